package mda_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

// TestIngestReads: batches of in-memory reads land exactly once; a later
// arrival of the same read replaces it; a batch with a read the writer
// cannot encode leaves nothing.
func TestIngestReads(t *testing.T) {
	ctx := context.Background()
	lake, err := mda.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer lake.Close()
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var day []meter.Reading
	for m, id := range []string{"a", "b", "c"} {
		for i := 1; i <= 96; i++ {
			at := start.Add(time.Duration(i) * 15 * time.Minute)
			day = append(day, meter.Reading{MeterID: id, Type: meter.TypeKW, Value: float64(m) + float64(i)/100, Time: at,
				Arrival: at.Add(time.Minute), Source: "svc", Quality: meter.QualityActual})
		}
	}
	// Two batches, the second sent twice.
	first, second := day[:150], day[150:]
	for i, b := range [][]meter.Reading{first, second, second} {
		st, err := mda.IngestReads(ctx, lake, b, &mda.IngestOptions{RequireReads: true})
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if again := i == 2; (st.AlreadyIngested != nil) != again || !again && st.Staged != int64(len(b)) {
			t.Errorf("batch %d: %d staged, already ingested %v", i, st.Staged, st.AlreadyIngested != nil)
		}
	}
	got, _, err := partition.ReadAll(ctx, lake, &partition.Filter{Types: []meter.Type{meter.TypeKW}})
	if err != nil {
		t.Fatal(err)
	}
	sortReads(got)
	want := append([]meter.Reading(nil), day...)
	sortReads(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("lake (-sent +read):\n%s", diff)
	}

	// A correction: the same read, arriving later with another value.
	fix := day[10]
	fix.Value, fix.Arrival, fix.Quality = 42, fix.Arrival.Add(time.Hour), meter.QualitySubstituted
	if _, err := mda.IngestReads(ctx, lake, []meter.Reading{fix}, nil); err != nil {
		t.Fatal(err)
	}
	got, _, err = partition.ReadAll(ctx, lake, &partition.Filter{MeterIDs: []string{fix.MeterID}, From: fix.Time, To: fix.Time.Add(time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]meter.Reading{fix}, got); diff != "" {
		t.Errorf("corrected read (-want +got):\n%s", diff)
	}

	// A batch with a bad read: an error, no object, nothing staged.
	bad := []meter.Reading{day[0], {MeterID: "d", Type: meter.TypeKW, Value: 1, Time: start}, {MeterID: "", Type: meter.TypeKW, Value: 1, Time: start}}
	before := countObjects(t, lake, mda.InboundReadsPrefix)
	if _, err := mda.IngestReads(ctx, lake, bad, nil); !errors.Is(err, meter.ErrUnwritable) {
		t.Errorf("bad batch: error %v, want ErrUnwritable", err)
	}
	if after := countObjects(t, lake, mda.InboundReadsPrefix); after != before {
		t.Errorf("bad batch left %d objects under %s, was %d", after, mda.InboundReadsPrefix, before)
	}
	if st, err := mda.IngestReads(ctx, lake, nil, nil); err != nil || st.Staged != 0 {
		t.Errorf("empty batch: %+v, %v", st, err)
	}
}

func countObjects(t *testing.T, b *blob.Bucket, prefix string) int {
	t.Helper()
	n := 0
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		_, err := it.Next(context.Background())
		if err != nil {
			return n
		}
		n++
	}
}
