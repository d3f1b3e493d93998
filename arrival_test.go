package mda_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openmda/mda"
	"github.com/openmda/mda/meter"
)

// TestWholeFileArrivalCorrection: reads of a format that does not say when
// they were delivered (the retailer wide CSV) arrive with their object, so
// that a corrected file delivered later under another name replaces the
// values it corrects, and only those: de-duplication keeps the latest
// arrival, where zero times would tie.
func TestWholeFileArrivalCorrection(t *testing.T) {
	ctx := context.Background()
	orig, err := os.ReadFile(filepath.Join("meter", "testdata", "wide-retailer.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// The correction: the first half hour of the first row, 0.1 -> 0.05,
	// lower (de-duplication breaks ties of arrival by the larger value).
	lines := strings.SplitAfter(string(orig), "\n")
	if !strings.Contains(lines[1], ",No,0.1,0.15,") {
		t.Fatalf("unexpected fixture line %q", lines[1])
	}
	lines[1] = strings.Replace(lines[1], ",No,0.1,0.15,", ",No,0.05,0.15,", 1)
	fixed := strings.Join(lines, "")

	in := openBucket(t, "mem://")
	lake := openBucket(t, "mem://")
	before := time.Now()
	if err := in.WriteAll(ctx, "first.csv", orig, nil); err != nil {
		t.Fatal(err)
	}
	first, err := mda.Ingest(ctx, lake, in, "first.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	mid := time.Now()
	if err := in.WriteAll(ctx, "corrected.csv", []byte(fixed), nil); err != nil {
		t.Fatal(err)
	}
	second, err := mda.Ingest(ctx, lake, in, "corrected.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	reads := allReads(t, lake)
	if int64(len(reads)) != first.Reads {
		t.Fatalf("%d reads in the lake after the correction, %d after the first file: a read was lost or counted twice", len(reads), first.Reads)
	}
	t0 := time.Date(2024, 2, 29, 14, 0, 0, 0, time.UTC) // 1/3/24 00:00 NEM time, UTC+10
	changed := 0
	for _, r := range reads {
		if r.Arrival.IsZero() || r.Arrival.Before(before.Truncate(time.Millisecond)) {
			t.Fatalf("read %+v: arrival %v, want the time its object arrived (after %v)", r, r.Arrival, before)
		}
		first := r.MeterID == "6001234567" && r.Type == meter.TypeKWh && r.Time.Equal(t0.Add(30*time.Minute))
		if first {
			if r.Value != 0.05 || r.Arrival.Before(mid.Truncate(time.Millisecond)) {
				t.Errorf("corrected read %+v: want 0.05 from the second file", r)
			}
			changed++
		}
	}
	if changed != 1 {
		t.Errorf("%d reads at the corrected instant, want 1", changed)
	}
	t.Logf("first file %d reads, correction %d staged, lake %d reads", first.Reads, second.Staged, len(reads))
}
