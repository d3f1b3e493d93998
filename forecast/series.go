package forecast

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// Series is a regular time series: Values[i] is the value of the interval
// that starts at Start + i*Step. A NaN value is a missing read; keeping the
// grid regular (instead of dropping gaps) is what lets every model index
// "one season ago" by subtraction.
type Series struct {
	Start  time.Time     // start of the first interval (unlike meter.Reading.Time, an end)
	Step   time.Duration // length of every interval; positive
	Values []float64     // one value per interval, NaN where missing
}

// Len is the number of intervals, missing ones included.
func (s Series) Len() int { return len(s.Values) }

// Time is the start of interval i.
func (s Series) Time(i int) time.Time { return s.Start.Add(time.Duration(i) * s.Step) }

// End is the end of the last interval (the start of the one after it).
func (s Series) End() time.Time { return s.Time(len(s.Values)) }

// Slice returns intervals [i, j) sharing the backing array, with Start moved
// so that times stay right.
func (s Series) Slice(i, j int) Series {
	return Series{Start: s.Time(i), Step: s.Step, Values: s.Values[i:j]}
}

// Clone returns a deep copy, for callers that transform values in place.
func (s Series) Clone() Series {
	s.Values = append([]float64(nil), s.Values...)
	return s
}

// Missing counts the NaN values.
func (s Series) Missing() int {
	n := 0
	for _, v := range s.Values {
		if math.IsNaN(v) {
			n++
		}
	}
	return n
}

// Point is one timestamped value, as read from a long-format file.
type Point struct {
	Time  time.Time // the point's time, laid on a Series grid as an interval start
	Value float64
}

// ErrStep reports a step that cannot describe a regular grid.
var ErrStep = errors.New("forecast: step must be positive")

// FromPoints lays points on the regular grid of step that starts at the
// earliest point. Missing intervals become NaN, so gaps stay visible to the
// models instead of silently shifting the seasonal phase. A point off the
// grid goes to the nearest interval; points that land on the same interval
// are averaged (a duplicated read is not twice the consumption).
func FromPoints(points []Point, step time.Duration) (Series, error) {
	if step <= 0 {
		return Series{}, ErrStep
	}
	if len(points) == 0 {
		return Series{Step: step}, nil
	}
	ps := append([]Point(nil), points...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Time.Before(ps[j].Time) })
	start := ps[0].Time
	last := ps[len(ps)-1].Time.Sub(start)
	n := int((last+step/2)/step) + 1
	const maxLen = 1 << 28
	if n > maxLen {
		return Series{}, fmt.Errorf("forecast: %d intervals of %v from %v: too many", n, step, start)
	}
	sum := make([]float64, n)
	cnt := make([]int32, n)
	for _, p := range ps {
		i := int((p.Time.Sub(start) + step/2) / step)
		if math.IsNaN(p.Value) {
			continue
		}
		sum[i] += p.Value
		cnt[i]++
	}
	for i := range sum {
		if cnt[i] == 0 {
			sum[i] = math.NaN()
		} else {
			sum[i] /= float64(cnt[i])
		}
	}
	return Series{Start: start, Step: step, Values: sum}, nil
}

// Points returns the non-missing values with their times.
func (s Series) Points() []Point {
	ps := make([]Point, 0, len(s.Values))
	for i, v := range s.Values {
		if !math.IsNaN(v) {
			ps = append(ps, Point{Time: s.Time(i), Value: v})
		}
	}
	return ps
}

// InferStep returns the most common positive gap between consecutive sorted
// times: robust to gaps and the odd duplicated or shifted read that real
// meter files have.
func InferStep(times []time.Time) (time.Duration, error) {
	ts := append([]time.Time(nil), times...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	count := map[time.Duration]int{}
	for i := 1; i < len(ts); i++ {
		if d := ts[i].Sub(ts[i-1]); d > 0 {
			count[d]++
		}
	}
	var best time.Duration
	for d, c := range count {
		if c > count[best] || (c == count[best] && d < best) {
			best = d
		}
	}
	if best <= 0 {
		return 0, fmt.Errorf("forecast: cannot infer a step from %d times", len(times))
	}
	return best, nil
}
