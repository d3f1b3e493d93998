package partition_test

import (
	"context"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

// A partition of two load batches in which batch-2 corrects a read of
// batch-1 (later arrival, smaller value). A full scan returns the
// correction; a ValuesOnly scan (what aggregates use) returns the stale
// read, because Arrival is not decoded and Dedup's tie-break is the larger
// value.
func TestValuesOnlyMergeKeepsLatest(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	h := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	k := partition.Key{Type: meter.TypeKW, Hour: h}
	rd := func(v float64, arr time.Duration) meter.Reading {
		return meter.Reading{MeterID: "m1", Type: meter.TypeKW, Value: v, Time: h.Add(15 * time.Minute), Source: "B", Arrival: h.Add(arr), Quality: meter.QualityActual}
	}
	if _, err := partition.WriteFile(ctx, b, k, "batch-1", []meter.Reading{rd(5, 16*time.Minute)}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := partition.WriteFile(ctx, b, k, "batch-2", []meter.Reading{rd(3, 2*time.Hour)}, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range []*partition.Filter{{}, {ValuesOnly: true}, {ValuesOnly: true, MeterIDs: []string{"m1"}}} {
		got, _, err := partition.ReadAll(ctx, b, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Value != 3 {
			t.Errorf("ValuesOnly=%v meters=%v: got %v, want the one read of value 3 (the later arrival)", f.ValuesOnly, f.MeterIDs, got)
		}
	}
}
