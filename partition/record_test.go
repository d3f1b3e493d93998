package partition

import (
	"context"
	"strings"
	"testing"

	"github.com/openmda/mda/meter"
)

// TestWriteRecord checks that records give the same files, byte for byte,
// as the same reads given to Write, and that a bad record buffers nothing.
func TestWriteRecord(t *testing.T) {
	ctx := context.Background()
	start := hourOf("2024-02-28T22:00:00Z")
	types := []meter.Type{meter.TypeKW, meter.TypeVoltage, meter.TypePF}
	reads := testReads(types[:1], 40, start, 3, 5) // one read per record, then the others derived
	viaWrite := NewWriter(openBucket(t, "mem://"), "x", nil)
	viaRecord := NewWriter(openBucket(t, "mem://"), "x", nil)
	for i, r := range reads {
		values := []float64{r.Value, 230 + float64(i%7), 0.9}
		for j, typ := range types {
			rr := r
			rr.Type, rr.Value = typ, values[j]
			if _, err := viaWrite.Write([]meter.Reading{rr}); err != nil {
				t.Fatal(err)
			}
		}
		if err := viaRecord.WriteRecord(r.MeterID, r.Time.UnixMilli(), r.Arrival.UnixMilli(), types, values, r.Source, r.Quality); err != nil {
			t.Fatal(err)
		}
	}
	// A record with one bad type, one with a bad quality and one with a
	// meter id that is not UTF-8: all refused whole.
	for _, bad := range []struct {
		id    string
		types []meter.Type
		q     meter.Quality
		want  string
	}{
		{"m-1", []meter.Type{meter.TypeKW, "Bad Type"}, meter.QualityActual, "type"},
		{"m-1", types[:2], meter.Quality('?'), "quality"},
		{"m-\xff", types[:2], meter.QualityActual, "UTF-8"},
	} {
		err := viaRecord.WriteRecord(bad.id, start.UnixMilli(), start.UnixMilli(), bad.types, make([]float64, len(bad.types)), "B", bad.q)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("WriteRecord(%q, %v, %q) = %v, want an error about %s", bad.id, bad.types, bad.q, err, bad.want)
		}
	}
	if err := viaRecord.WriteRecord("m-1", 0, 0, types, []float64{1}, "B", 0); err == nil {
		t.Error("WriteRecord with fewer values than types succeeded")
	}
	a, err := viaWrite.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := viaRecord.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) || len(a) != 9 {
		t.Fatalf("%d and %d files, want 9", len(a), len(b))
	}
	for i := range a {
		da, _ := viaWrite.b.ReadAll(ctx, a[i].Path)
		db, _ := viaRecord.b.ReadAll(ctx, b[i].Path)
		if a[i].Path != b[i].Path || string(da) != string(db) {
			t.Errorf("file %d: %s (%d bytes) via Write, %s (%d bytes) via WriteRecord", i, a[i].Path, len(da), b[i].Path, len(db))
		}
	}
	if err := viaRecord.WriteRecord("m-1", 0, 0, types, make([]float64, 3), "B", 0); err != ErrClosed {
		t.Errorf("WriteRecord after Close = %v, want ErrClosed", err)
	}
}
