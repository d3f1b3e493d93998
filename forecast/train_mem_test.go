package forecast

import (
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
)

// TestMappedGrid: a grid outside the heap fills and reads like a heap grid,
// does not count in the heap, and frees.
func TestMappedGrid(t *testing.T) {
	const meters, n = 2000, 8760 // 105 MB of cells
	ids := make([]string, meters)
	for i := range ids {
		ids[i] = fmt.Sprintf("m%05d", i)
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var reads []meter.Reading
	for i := 0; i < meters; i += 97 {
		for h := range n {
			if h%13 == 5 {
				continue // a gap
			}
			at := start.Add(time.Duration(h+1) * time.Hour)
			reads = append(reads, meter.Reading{MeterID: ids[i], Time: at, Type: meter.TypeKW, Value: float64(i%7) + float64(h%24)/10},
				meter.Reading{MeterID: ids[i], Time: at.Add(-30 * time.Minute), Type: meter.TypeKW, Value: 1.5})
		}
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	mg := newMappedGrid(ids, start, time.Hour, n)
	runtime.GC()
	runtime.ReadMemStats(&after)
	mapped := mg.unmap != nil
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); mapped && grew > meters*n*gridCellBytes/4 {
		t.Errorf("mapped grid of %d MB grew the heap by %d MB", meters*n*gridCellBytes>>20, grew>>20)
	}
	t.Logf("mapped: %v", mapped)

	hg := newGrid(ids, start, time.Hour, n)
	mg.add(reads)
	hg.add(reads)
	var a, b []float64
	for row := range meters {
		a, b = mg.energy(row, a), hg.energy(row, b)
		for i := range a {
			if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
				t.Fatalf("meter %d hour %d: mapped %v, heap %v", row, i, a[i], b[i])
			}
		}
	}
	if a := mg.energy(97, nil); a[0] != 3.75 || !math.IsNaN(a[5]) {
		t.Errorf("meter 97: %v, want 3.75 (mean of 6 and 1.5 kW) first and a gap sixth", a[:6])
	}
	mg.free()
	mg.free() // twice is harmless
	hg.free()
	if mg.sum != nil || mg.cnt != nil {
		t.Error("freed grid still has cells")
	}
}
