package httpsource_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/hes"
	"github.com/openmda/mda/hes/httpsource"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/simulator"
)

var errKill = errors.New("killed")

// TestEndToEnd runs a week of 20 meters, with late and duplicate reads,
// from the simulated head-end through the HTTP client into a lake, with
// the clock advancing a day at a time, two crashes (after a file is
// landed; after it is ingested but before the watermark is saved), a flaky
// head-end, and gaps without data: before the data starts, and between
// the last on-time read and the first late one (late reads arrive 9 days
// after their time). The lake must equal the generator's truth exactly.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests a week of data")
	}
	ctx := context.Background()
	g, err := simulator.New(&simulator.Options{Meters: 20, Days: 7, LateFraction: 0.05, LateOffset: 9 * 24 * time.Hour,
		DuplicateFraction: 0.01, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	start := g.Options().Start
	clk := &clock{t: start}
	srv := httptest.NewServer(simulator.NewHES(g, &simulator.HESOptions{APIKey: apiKey, Now: clk.Now, FailEvery: 13, FailFileEvery: 5, PollsPerStep: 2}))
	defer srv.Close()

	inbound, lake := memblob.OpenBucket(nil), memblob.OpenBucket(nil)
	defer inbound.Close()
	defer lake.Close()
	var ingested []string
	ingest := func(ctx context.Context, in *blob.Bucket, key string) error {
		ingested = append(ingested, key)
		_, err := mda.Ingest(ctx, lake, in, key, &mda.IngestOptions{Inbound: in, Workers: 2})
		return err
	}
	opts := httpsource.Options{APIKey: apiKey, Start: start.Add(-24 * time.Hour), Window: 12 * time.Hour, Lag: 5 * time.Minute,
		Now: clk.Now, PollInterval: time.Millisecond, Backoff: time.Millisecond}
	open := func() *hes.Source {
		src, err := hes.OpenSource(ctx, "hes+"+srv.URL+"/?name=hes1")
		if err != nil {
			t.Fatal(err)
		}
		// The URL gives the base and name; the test's clock and pace come
		// from New with the same base.
		src.Close()
		src, err = httpsource.New(srv.URL, "hes1", &opts)
		if err != nil {
			t.Fatal(err)
		}
		return src
	}

	src := open()
	landed := 0
	var faults hes.Faults
	crashes := 0
	faults.AfterLand = func(key string) error {
		if landed++; landed == 3 {
			crashes++
			return errKill
		}
		return nil
	}
	faults.BeforeAck = func(key string) error {
		if landed == 8 && crashes == 1 {
			crashes++
			return errKill
		}
		return nil
	}
	var empty int
	end := start.Add(17 * 24 * time.Hour)
	for day := start; !day.After(end); day = day.Add(24 * time.Hour) {
		clk.Set(day)
		for {
			res, err := hes.Pull(ctx, src, inbound, ingest, &hes.Options{Faults: &faults})
			empty += res.Empty
			if errors.Is(err, errKill) {
				src.Close()
				src = open() // restart: a new source reads the saved state
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if !res.More {
				break
			}
		}
	}
	src.Close()
	if crashes != 2 {
		t.Errorf("%d crashes, want 2", crashes)
	}
	// Gaps: two windows before the data, and about four between the last
	// on-time read and the first late one.
	if empty < 5 {
		t.Errorf("%d empty windows, want at least 5", empty)
	}
	st, err := hes.ReadState(ctx, inbound, "hes1")
	if err != nil {
		t.Fatal(err)
	}
	var cur httpsource.Cursor
	if err := json.Unmarshal(st.Cursor, &cur); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(httpsource.Cursor{Watermark: end.Add(-5 * time.Minute)}, cur); diff != "" {
		t.Errorf("final cursor differs (-want +got):\n%s", diff)
	}
	// Every key was ingested once, but the two interrupted ones twice.
	if n, uniq := len(ingested), len(slices.Compact(slices.Sorted(slices.Values(ingested)))); n != uniq+1 {
		t.Errorf("%d ingests of %d keys, want one more ingest than keys (the crash before the ack)", n, uniq)
	}
	for prefix, want := range map[string]bool{hes.LandingPrefix: false, mda.InboundUncompressedPrefix: false, hes.ProcessedPrefix: true} {
		if got := hasObjects(t, inbound, prefix); got != want {
			t.Errorf("objects under %s: %v, want %v", prefix, got, want)
		}
	}

	got, _, err := partition.ReadAll(ctx, lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(got, meter.Compare)
	want, err := g.Truth()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("lake holds %d reads, truth %d", len(got), len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lake differs from the truth (-want +got):\n%.3000s", diff)
	}
}

func hasObjects(t *testing.T, b *blob.Bucket, prefix string) bool {
	t.Helper()
	it := b.List(&blob.ListOptions{Prefix: prefix})
	obj, err := it.Next(context.Background())
	if err == io.EOF {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.HasPrefix(obj.Key, prefix)
}
