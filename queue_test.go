package mda_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/simulator"
)

func TestOpenQueue(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"", "mem://", "mem://ranges"} {
		q, err := mda.OpenQueue(ctx, u)
		if err != nil {
			t.Fatalf("%q: %v", u, err)
		}
		if err := mda.Enqueue(ctx, q.Topic, []ranges.Message{{Key: "k"}}); err != nil {
			t.Fatal(err)
		}
		m, err := q.Subscription.Receive(ctx)
		if err != nil || !strings.Contains(string(m.Body), `"k"`) {
			t.Fatalf("%q: received %v, %v", u, m, err)
		}
		m.Ack()
		if err := q.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// A mem:// name opened again after a shutdown is a new queue.
	q, err := mda.OpenQueue(ctx, "mem://ranges")
	if err != nil {
		t.Fatal(err)
	}
	q.Shutdown(ctx)
	for u, want := range map[string]string{"ranges": "no scheme", "nosuch://q": "nosuch"} {
		if _, err := mda.OpenQueue(ctx, u); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error saying %q", u, err, want)
		}
	}
}

// TestIngestDrain: with Duplicate and Drain, the ingest handles both
// copies of every range before it integrates.
func TestIngestDrain(t *testing.T) {
	ctx := context.Background()
	g := newGenerator(t, simulator.Options{Meters: 10, Days: 1, Seed: 8})
	data, _ := csvOf(t, g)
	lake := openBucket(t, "mem://")
	lake.WriteAll(ctx, "in.csv", data, nil)
	var mu sync.Mutex
	seen := map[int]int{}
	const nranges = 5
	st, err := mda.Ingest(ctx, lake, lake, "in.csv", &mda.IngestOptions{Workers: 2, Split: &ranges.SplitOptions{Ranges: nranges},
		Duplicate: true, Drain: true, Faults: &mda.Faults{BeforeRange: func(m ranges.Message) error {
			mu.Lock()
			defer mu.Unlock()
			seen[m.Range.Index]++
			return nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range nranges {
		if seen[i] != 2 {
			t.Errorf("range %d processed %d times, want both copies", i, seen[i])
		}
	}
	if st.Processed != 2*nranges || st.Resent != 0 {
		t.Errorf("processed %d, re-sent %d; want %d, 0", st.Processed, st.Resent, 2*nranges)
	}
	if diff := cmp.Diff(allLineReads(t, g), allReads(t, lake)); diff != "" {
		t.Errorf("lake (-want +got):\n%s", diff)
	}
}
