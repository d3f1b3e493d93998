package forecast

import (
	"fmt"
	"math"
	"time"
)

// Local days. Detect lays a series on days of fixed length from midnight
// of the series' clock. To score the days of a time zone, the batch job
// re-lays each meter's grid of instants on the zone's wall clock, written
// as UTC-labelled times (10:00 in Melbourne becomes 10:00Z), and maps what
// Detect reports back to instants. A wall day is then always 24 hours: the
// hour repeated when daylight saving time ends holds the energy of both
// (the day's total stays exact), and the hour skipped when it starts
// reads zero energy, or NaN next to a missing read.

// wallTime returns the wall clock reading of instant t in loc, as a
// UTC-labelled time.
func wallTime(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	y, mo, d := l.Date()
	h, mi, s := l.Clock()
	return time.Date(y, mo, d, h, mi, s, l.Nanosecond(), time.UTC)
}

// instantOf returns the instant whose wall clock in loc reads w (a
// UTC-labelled time): for a wall time repeated when the clocks go back,
// the first (the wall clock's slot holds both); for one skipped when they
// go forward, the instant the gap ends (its slot holds no time). time.Date
// alone picks neither consistently: it moves a skipped time back west of
// UTC and forward east of it, and may give the second of a repeated one.
func instantOf(w time.Time, loc *time.Location) time.Time {
	y, mo, d := w.Date()
	h, mi, s := w.Clock()
	t := time.Date(y, mo, d, h, mi, s, w.Nanosecond(), loc)
	if loc == time.UTC {
		return t
	}
	switch got := wallTime(t, loc); {
	case got.Before(w): // skipped, moved back into the zone before the gap
		if _, end := t.ZoneBounds(); !end.IsZero() {
			return end
		}
	case got.After(w): // skipped, moved forward into the zone after it
		if start, _ := t.ZoneBounds(); !start.IsZero() {
			return start
		}
	default:
		// Repeated if the zone before t's reads w too, earlier.
		if start, _ := t.ZoneBounds(); !start.IsZero() {
			_, prev := start.Add(-time.Nanosecond).In(loc).Zone()
			if e := w.Add(-time.Duration(prev) * time.Second); e.Before(t) && wallTime(e, loc).Equal(w) {
				return e
			}
		}
	}
	return t
}

// wallSteps are the grid steps a zone may need, longest first: a zone
// whose offsets are whole hours keeps hourly cells; India (+05:30) and
// South Australia (+09:30) need half hours, Nepal (+05:45) quarters.
var wallSteps = []time.Duration{time.Hour, 30 * time.Minute, 15 * time.Minute, 5 * time.Minute, time.Minute}

// wallStep returns the longest of wallSteps that divides every UTC offset
// loc has over [from, to), so that the cells of a grid of instants fall on
// whole cells of the wall clock.
func wallStep(loc *time.Location, from, to time.Time) (time.Duration, error) {
	k := 0
	for t := from; t.Before(to); {
		l := t.In(loc)
		_, off := l.Zone()
		for time.Duration(off)*time.Second%wallSteps[k] != 0 {
			if k++; k == len(wallSteps) {
				return 0, fmt.Errorf("forecast: time zone %s: offset %ds at %v is not a whole number of minutes", loc, off, t)
			}
		}
		_, end := l.ZoneBounds()
		if end.IsZero() || !end.After(t) {
			break
		}
		t = end
	}
	return wallSteps[k], nil
}

// wallClock re-lays a grid of instants (start, step, cells) on the wall
// clock of loc, from wall time start for n slots of the same step.
type wallClock struct {
	loc   *time.Location
	start time.Time // the first slot's wall time (UTC-labelled)
	step  time.Duration
	n     int
	slot  []int32 // per grid cell, its slot; -1 outside [start, start+n·step)
}

// newWallClock maps the cells of a grid of instants from gridStart to the
// slots of wall time from wallStart; step must divide every offset of loc
// over the grid (wallStep).
func newWallClock(loc *time.Location, gridStart time.Time, step time.Duration, cells int, wallStart time.Time, n int) *wallClock {
	w := &wallClock{loc: loc, start: wallStart, step: step, n: n, slot: make([]int32, cells)}
	for i := range w.slot {
		j := wallTime(gridStart.Add(time.Duration(i)*step), loc).Sub(wallStart) / step
		if j < 0 || j >= time.Duration(n) {
			j = -1
		}
		w.slot[i] = int32(j)
	}
	return w
}

// energy re-lays the grid cells' energy vals on the wall clock into dst
// (grown to n) and returns it: a slot with two cells (the repeated hour)
// holds their sum, NaN if either is; a slot with none (the skipped hour)
// holds 0 between two read slots, else NaN.
func (w *wallClock) energy(vals, dst []float64) []float64 {
	dst = growNaN(dst, w.n)
	seen := make([]bool, w.n)
	for i, j := range w.slot {
		if j < 0 {
			continue
		}
		if !seen[j] {
			dst[j], seen[j] = vals[i], true
		} else {
			dst[j] += vals[i]
		}
	}
	// Runs of slots no cell fell in: the skipped wall times (an hour is
	// two half-hour slots).
	for j := 0; j < len(dst); j++ {
		if seen[j] {
			continue
		}
		k := j
		for k < len(dst) && !seen[k] {
			k++
		}
		if j > 0 && k < len(dst) && !math.IsNaN(dst[j-1]) && !math.IsNaN(dst[k]) {
			for i := j; i < k; i++ {
				dst[i] = 0
			}
		}
		j = k
	}
	return dst
}

// series returns the wall series of dst from energy.
func (w *wallClock) series(vals []float64) Series {
	return Series{Start: w.start, Step: w.step, Values: vals}
}

// growNaN returns dst resized to n and filled with NaN.
func growNaN(dst []float64, n int) []float64 {
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	for i := range dst {
		dst[i] = math.NaN()
	}
	return dst
}

// wallMean re-lays a series of instants (temperatures) on loc's wall
// clock, from the wall slot of its start, with its own step: a slot holds
// the mean of the values that fall in it, NaN where none does.
func wallMean(s Series, loc *time.Location) Series {
	if s.Len() == 0 || s.Step <= 0 {
		return s
	}
	start := wallTime(s.Start, loc).Truncate(s.Step)
	last := wallTime(s.Time(s.Len()-1), loc)
	n := int(last.Sub(start)/s.Step) + 1
	sum := make([]float64, n)
	cnt := make([]int, n)
	for i, v := range s.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		j := int(wallTime(s.Time(i), loc).Sub(start) / s.Step)
		if j < 0 || j >= n {
			continue
		}
		sum[j] += v
		cnt[j]++
	}
	out := Series{Start: start, Step: s.Step, Values: sum}
	for j := range sum {
		if cnt[j] == 0 {
			sum[j] = math.NaN()
		} else {
			sum[j] /= float64(cnt[j])
		}
	}
	return out
}
