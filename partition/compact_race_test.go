package partition_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

// TestReadDuringCompact: a partition of two load batches is compacted; a
// reader between the write of data.parquet and the deletion of the batch
// files (all three listed) sees each read once.
func TestReadDuringCompact(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	h := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	k := partition.Key{Type: meter.TypeKW, Hour: h}
	rd := func(m string, v float64) meter.Reading {
		return meter.Reading{MeterID: m, Type: meter.TypeKW, Value: v, Time: h.Add(15 * time.Minute), Source: "B", Arrival: h.Add(16 * time.Minute), Quality: meter.QualityActual}
	}
	if _, err := partition.WriteFile(ctx, b, k, "batch-1", []meter.Reading{rd("a", 1)}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := partition.WriteFile(ctx, b, k, "batch-2", []meter.Reading{rd("b", 2)}, nil); err != nil {
		t.Fatal(err)
	}
	var seen int
	_, err := partition.Compact(ctx, b, k, nil, &partition.CompactOptions{AfterWrite: func(partition.FileInfo) error {
		// A concurrent reader, at this moment.
		got, _, err := partition.ReadAll(ctx, b, nil)
		seen = len(got)
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	if seen != 2 {
		t.Errorf("a reader during Compact saw %d reads, want 2 (old files or new one, never both)", seen)
	}
}

// TestScanAcrossOverwrite: a scan reads a file's footer in one request and
// its row groups in more, and Compact overwrites data.parquet in place. A
// scan that spans the overwrite must not decode the new object's bytes at
// the old footer's offsets: it reads the partition again from the read
// after the last it passed on, so it returns each old read once (the late
// reads sort before what it had passed on), with its value.
func TestScanAcrossOverwrite(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	h := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	k := partition.Key{Type: meter.TypeKW, Hour: h}
	mk := func(prefix string, n int, v float64) []meter.Reading {
		var rs []meter.Reading
		for i := 0; i < n; i++ {
			rs = append(rs, meter.Reading{MeterID: fmt.Sprintf("%s%06d", prefix, i), Type: meter.TypeKW, Value: v + float64(i)*1.000123,
				Time: h.Add(15 * time.Minute), Source: "B", Arrival: h.Add(16 * time.Minute), Quality: meter.QualityActual})
		}
		return rs
	}
	wo := &partition.WriterOptions{RowGroupRows: 50000}
	old := mk("m", 200000, 0)
	if _, err := partition.WriteFile(ctx, b, k, partition.CompactedName, old, wo); err != nil {
		t.Fatal(err)
	}
	// A late batch to integrate: meters sorting first, so every row group moves.
	src := "staging/" + k.Path() + "late.parquet"
	if _, err := partition.WriteFile(ctx, b, k, "late", mk("a", 3000, 1e7), &partition.WriterOptions{Root: "staging/"}); err != nil {
		t.Fatal(err)
	}
	var n int
	var got []meter.Reading
	compacted := false
	_, err := partition.Scan(ctx, b, &partition.Filter{Cache: partition.NewFileCache(0)}, func(rs []meter.Reading) error {
		got = append(got, rs...)
		n += len(rs)
		if !compacted {
			compacted = true
			if _, err := partition.Compact(ctx, b, k, []partition.Source{{Bucket: b, Key: src}}, &partition.CompactOptions{Writer: wo}); err != nil {
				return err
			}
		}
		return nil
	})
	if after, _, _ := partition.ReadAll(ctx, b, nil); len(after) != 203000 || !compacted {
		t.Fatalf("the lake holds %d reads after the compaction (%v), want 203000", len(after), compacted)
	}
	if err != nil {
		t.Errorf("a scan concurrent with Compact failed after handing %d reads to fn: %v", n, err)
	} else {
		// Each read once: the 200,000 old ones (or all 203,000 new ones).
		bad := 0
		for _, r := range got {
			var i int
			var p string
			fmt.Sscanf(r.MeterID, "%1s%d", &p, &i)
			want := float64(i) * 1.000123
			if p == "a" {
				want += 1e7
			}
			if r.Value != want {
				bad++
			}
		}
		keys := map[string]bool{}
		for _, r := range got {
			keys[r.MeterID] = true
		}
		if (n != 200000 && n != 203000) || bad > 0 || len(keys) != n {
			t.Errorf("a scan across an overwrite returned %d reads, %d with wrong values, and no error", n, bad)
		}
	}
}
