package vee

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var nan = math.NaN()

func TestEstimate(t *testing.T) {
	const step = time.Hour
	week := 7 * 24
	// Four weeks of history, each hour's value its hour of the week, then
	// a week with gaps.
	history := func() []float64 {
		v := make([]float64, 5*week)
		for i := range v {
			v[i] = float64(i % week)
		}
		return v
	}
	tests := []struct {
		name string
		gap  [2]int // [from, to) in the last week, made NaN
		opts *Options
		want []Method
		vals []float64
	}{
		{"short gap: linear", [2]int{10, 12}, nil, []Method{Linear, Linear}, []float64{10, 11}},
		{"long gap: like-day", [2]int{20, 30}, nil, rep(LikeDay, 10), seq(20, 30)},
		{"longer than MaxGap: missing", [2]int{20, 30}, &Options{MaxGap: 5 * time.Hour}, rep(Missing, 10), rep(nan, 10)},
		{"to the end of the data: missing", [2]int{week - 3, week}, nil, rep(Missing, 3), rep(nan, 3)},
		{"linear up to MaxLinear only", [2]int{40, 43}, &Options{MaxLinear: 2 * time.Hour}, rep(LikeDay, 3), seq(40, 43)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := history()
			from := 4 * week
			for i := from + tc.gap[0]; i < from+tc.gap[1]; i++ {
				v[i] = nan
			}
			m := Estimate(v, from, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), step, tc.opts)
			got := m[tc.gap[0]:tc.gap[1]]
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("methods (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.vals, v[from+tc.gap[0]:from+tc.gap[1]], cmp.Comparer(func(a, b float64) bool {
				return a == b || math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) < 1e-9
			})); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			for i, x := range m {
				if (x == Missing) != math.IsNaN(v[from+i]) {
					t.Fatalf("interval %d: method %v, value %v", i, x, v[from+i])
				}
			}
		})
	}
}

// TestEstimateLikeDayMean: the like-day value is the mean of the weeks
// that have the interval, and only actual values count.
func TestEstimateLikeDayMean(t *testing.T) {
	week := 7 * 24
	v := make([]float64, 3*week+10)
	for i := range v {
		v[i] = 1
	}
	v[5] = 3        // week 0, interval 5
	v[week+5] = nan // week 1 missing there
	v[2*week+5] = 5 // week 2
	for i := 3*week + 2; i < 3*week+8; i++ {
		v[i] = nan // a 6-hour gap in week 3, longer than MaxLinear
	}
	m := Estimate(v, 3*week, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour, nil)
	if m[5] != LikeDay || v[3*week+5] != 4 {
		t.Errorf("interval 5: %v %v, want like-day 4 (the mean of 3 and 5)", m[5], v[3*week+5])
	}
	if v[week+5] == v[week+5] {
		t.Error("history was filled")
	}
}

func rep[T any](x T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = x
	}
	return out
}

func seq(a, b int) []float64 {
	var out []float64
	for i := a; i < b; i++ {
		out = append(out, float64(i))
	}
	return out
}

// BenchmarkEstimate fills a year of 15-minute reads with a gap every day.
func BenchmarkEstimate(b *testing.B) {
	const perDay = 96
	base := make([]float64, 365*perDay)
	for i := range base {
		base[i] = 1 + float64(i%perDay)/perDay
	}
	v := make([]float64, len(base))
	b.ReportAllocs()
	for b.Loop() {
		copy(v, base)
		for d := 35; d < 365; d++ {
			for k := 0; k < 1+d%12; k++ {
				v[d*perDay+40+k] = math.NaN()
			}
		}
		Estimate(v, 28*perDay, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 15*time.Minute, nil)
	}
	b.ReportMetric(float64(b.N)*float64(len(v))/b.Elapsed().Seconds(), "intervals/s")
}

// TestEstimateLikeDayDST: the like-day value is the same wall-clock time
// of the previous weeks, across a change of daylight saving time.
func TestEstimateLikeDayDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	start := time.Date(2024, 2, 12, 5, 0, 0, 0, time.UTC) // Monday 00:00 EST
	n := 5 * 7 * 24
	v := make([]float64, n)
	for i := range v {
		if start.Add(time.Duration(i)*time.Hour).In(ny).Hour() == 18 {
			v[i] = 10 // the evening peak, by the local clock
		} else {
			v[i] = 1
		}
	}
	// Monday 11 March (EDT since the day before): 15:00 to 21:00 local.
	gapFrom := time.Date(2024, 3, 11, 15, 0, 0, 0, ny)
	i0 := int(gapFrom.Sub(start) / time.Hour)
	for i := i0; i < i0+6; i++ {
		v[i] = nan
	}
	m := Estimate(v, i0, start, time.Hour, &Options{Location: ny})
	for k := range 6 {
		local := start.Add(time.Duration(i0+k) * time.Hour).In(ny)
		want := 1.0
		if local.Hour() == 18 {
			want = 10
		}
		if m[k] != LikeDay || v[i0+k] != want {
			t.Errorf("%s: %v %v, want like-day %v", local.Format("Mon 15:04 MST"), m[k], v[i0+k], want)
		}
	}
}
