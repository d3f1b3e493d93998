package forecast

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
)

// TestLinearStoreRoundTrip: a model encoded for the store and decoded
// forecasts what it did before, to float32 precision.
func TestLinearStoreRoundTrip(t *testing.T) {
	s := synth(24*60, 0, 0.8, 0.4, 1)
	m := NewLinear(MeterModelOptions())
	if err := m.Fit(context.Background(), []Series{s}); err != nil {
		t.Fatal(err)
	}
	back, err := decodeLinear(m.Options(), time.Hour, encodeLinear(m))
	if err != nil {
		t.Fatal(err)
	}
	f1, err := m.Predict(s, 168)
	if err != nil {
		t.Fatal(err)
	}
	f2, err := back.Predict(s, 168)
	if err != nil {
		t.Fatal(err)
	}
	for h := range f1.P50 {
		for _, p := range [][2]float64{{f1.P10[h], f2.P10[h]}, {f1.P50[h], f2.P50[h]}, {f1.P90[h], f2.P90[h]}} {
			if math.Abs(p[0]-p[1]) > 1e-4*math.Max(1, math.Abs(p[0])) {
				t.Fatalf("step %d: %v before, %v after the store", h, p[0], p[1])
			}
		}
	}
	if _, err := decodeLinear(NewLinear(DefaultMeterOptions(48)).Options(), time.Hour, encodeLinear(m)); err == nil {
		t.Error("decoding with other options: no error")
	}
}

// TestGridEnergy: a read at t counts for the hour before t; an hour's
// energy is mean kW × 1 h whatever the read interval, with missing reads
// imputed by the hour's mean and duplicates harmless; a kWh meter's hour
// is the sum of its reads, missing if one is, and an hour's kWh win over
// its kW in whichever order they come.
func TestGridEnergy(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	kw := func(id string, min int, v float64) meter.Reading {
		return meter.Reading{MeterID: id, Type: meter.TypeKW, Time: t0.Add(time.Duration(min) * time.Minute), Value: v}
	}
	kwh := func(id string, min int, v float64) meter.Reading {
		r := kw(id, min, v)
		r.Type = meter.TypeKWh
		return r
	}
	tests := []struct {
		name  string
		reads []meter.Reading
		want  []float64 // kWh of hours 0 and 1 of meter a
	}{
		{"15-min", []meter.Reading{kw("a", 15, 1), kw("a", 30, 2), kw("a", 45, 3), kw("a", 60, 2)}, []float64{2, math.NaN()}},
		{"read at the hour ends it", []meter.Reading{kw("a", 60, 4), kw("a", 120, 6)}, []float64{4, 6}},
		{"missing read", []meter.Reading{kw("a", 15, 1), kw("a", 30, 3)}, []float64{2, math.NaN()}},
		{"duplicate", []meter.Reading{kw("a", 30, 1), kw("a", 30, 1), kw("a", 60, 1)}, []float64{1, math.NaN()}},
		{"other meters, types, null, outside", []meter.Reading{kw("b", 30, 9), {MeterID: "a", Type: meter.TypeVoltage, Time: t0.Add(time.Hour), Value: 9},
			{MeterID: "a", Type: meter.TypeKW, Time: t0.Add(time.Hour), Quality: meter.QualityNull}, kw("a", 0, 9), kw("a", 181, 9), kw("a", 90, 5)},
			[]float64{math.NaN(), 5}},
		{"30-min kWh", []meter.Reading{kwh("a", 30, 0.5), kwh("a", 60, 0.25), kwh("a", 90, 1), kwh("a", 120, 2)}, []float64{0.75, 3}},
		// A short sum would read as a dip: the hour is missing instead.
		{"missing kWh read", []meter.Reading{kwh("a", 30, 0.5), kwh("a", 60, 0.25), kwh("a", 90, 1), kwh("a", 150, 1), kwh("a", 180, 1)}, []float64{0.75, math.NaN()}},
		{"kWh after kW", []meter.Reading{kw("a", 60, 4), kw("a", 120, 6), kwh("a", 120, 1.5)}, []float64{4, 1.5}},
		{"kW after kWh", []meter.Reading{kwh("a", 60, 1.5), kw("a", 60, 4), kw("a", 120, 6)}, []float64{1.5, 6}},
		// A batch delivered twice: the usual count is 2 (hour 2).
		{"duplicate kWh", []meter.Reading{kwh("a", 30, 0.5), kwh("a", 60, 0.25), kwh("a", 30, 0.5), kwh("a", 60, 0.25), kwh("a", 150, 1), kwh("a", 180, 1),
			kwh("a", 90, 1), kwh("a", 120, 2)}, []float64{0.75, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newGrid([]string{"a"}, t0, time.Hour, 3)
			g.add(tc.reads)
			got := g.energy(0, nil)
			for i, w := range tc.want {
				if !(got[i] == w || math.IsNaN(got[i]) && math.IsNaN(w)) {
					t.Errorf("hour %d: %v kWh, want %v", i, got[i], w)
				}
			}
		})
	}
}

// TestGridEnergyIntervalChange: a kWh meter that moves from half-hourly
// to 5-minute reads keeps exact hours on both sides; in the week of the
// change, whose usual count is the 5-minute one, its half-hourly hours
// are missing, never scaled.
func TestGridEnergyIntervalChange(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	const days = 17
	g := newGrid([]string{"a"}, t0, time.Hour, days*24)
	// Weeks of cells count from the end: [0, 10d) and [10d, 17d).
	change := t0.Add(12 * 24 * time.Hour)
	var reads []meter.Reading
	for ts := t0.Add(5 * time.Minute); !ts.After(t0.Add(days * 24 * time.Hour)); ts = ts.Add(5 * time.Minute) {
		if ts.Before(change) && ts.Minute()%30 != 0 {
			continue
		}
		v := 0.01
		if ts.Before(change) || ts.Equal(change) {
			v = 0.06 // half-hourly: the same 0.12 kWh an hour
		}
		reads = append(reads, meter.Reading{MeterID: "a", Type: meter.TypeKWh, Time: ts, Value: v})
	}
	g.add(reads)
	got := g.energy(0, nil)
	for i, e := range got {
		h := t0.Add(time.Duration(i) * time.Hour)
		switch {
		case h.Before(t0.Add(10*24*time.Hour)) || !h.Before(change):
			if math.Abs(e-0.12) > 1e-6 {
				t.Fatalf("hour %v: %v kWh, want 0.12", h, e)
			}
		case !math.IsNaN(e):
			t.Fatalf("hour %v of the week of the change, half-hourly: %v kWh, want NaN", h, e)
		}
	}
}

// TestHourProgress: a scan of both reading types counts each hour once.
func TestHourProgress(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	p := newHourProgress(t0, t0.Add(3*time.Hour))
	var news int
	for range 2 { // kW hours, then kWh hours
		for h := range 4 {
			if p.add(t0.Add(time.Duration(h)*time.Hour + 15*time.Minute)) {
				news++
			}
		}
	}
	if p.done != 4 || p.total != 4 || news != 4 {
		t.Errorf("done %d of %d, %d new; want 4 of 4, 4", p.done, p.total, news)
	}
}

// TestUsualBlocks: weeks from the end, a short first one joined to the
// next.
func TestUsualBlocks(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want [][2]int
	}{
		{100, [][2]int{{0, 100}}},
		{168, [][2]int{{0, 168}}},
		{336, [][2]int{{0, 168}, {168, 336}}},
		{360, [][2]int{{0, 192}, {192, 360}}},
		{8760, nil},
	} {
		var got [][2]int
		usualBlocks(tc.n, time.Hour, func(lo, hi int) { got = append(got, [2]int{lo, hi}) })
		if tc.want == nil {
			if len(got) != 52 || got[0] != [2]int{0, 8760 - 51*168} || got[51] != [2]int{8760 - 168, 8760} {
				t.Errorf("a year: %d blocks, first %v, last %v", len(got), got[0], got[len(got)-1])
			}
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%d cells: %v, want %v", tc.n, got, tc.want)
		}
	}
}

func TestPasses(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e"}
	tests := []struct {
		n, chunk int
		budget   int64
		want     []int
	}{
		{100, 2, 1 << 20, []int{5}},
		{100, 2, 3 * 100 * gridCellBytes, []int{2, 2, 1}}, // 3 fit, rounded down to chunks of 2
		{100, 2, 1, []int{2, 2, 1}},                       // at least one chunk
		{100, 0, 1, []int{1, 1, 1, 1, 1}},
	}
	for _, tc := range tests {
		var got []int
		for _, p := range passes(ids, tc.n, tc.chunk, tc.budget) {
			got = append(got, len(p))
		}
		if len(got) != len(tc.want) {
			t.Errorf("passes(n=%d, chunk=%d, budget=%d) = %v, want %v", tc.n, tc.chunk, tc.budget, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("passes(n=%d, chunk=%d, budget=%d) = %v, want %v", tc.n, tc.chunk, tc.budget, got, tc.want)
				break
			}
		}
	}
}

func TestFullCountAndLOOMedian(t *testing.T) {
	if got := fullCount([]uint16{96, 96, 95, 0, 48, 96, 192}); got != 96 {
		t.Errorf("fullCount = %d, want 96", got)
	}
	if got := fullCount([]uint16{0, 0}); got != 0 {
		t.Errorf("fullCount of nothing = %d", got)
	}
	xs := []float64{1, 2, 3, 10}
	for r, want := range []float64{3, 3, 2, 2} {
		if got := looMedian(xs, r); got != want {
			t.Errorf("looMedian(%v, %d) = %v, want %v", xs, r, got, want)
		}
	}
}
