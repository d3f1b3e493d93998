package query

import (
	"context"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/vee"
)

// Energy is the energy of one meter over one period.
type Energy struct {
	MeterID string
	// Start and End bound the period, [Start, End), clipped to the query's
	// range, in the Lake's Location.
	Start, End time.Time
	// KWh is the energy in kWh.
	KWh float64
	// Reads is the number of reads that contributed; Estimated the number
	// of missing kW reads estimated (Filter.Estimate), whose energy KWh
	// includes.
	Reads, Estimated int
	// Interval is the interval each kW read stood for, or 0 if the energy
	// comes from kWh reads.
	Interval time.Duration
}

// Energy returns the energy of the meters that f selects per period,
// for the intervals within [f.From, f.To) (reads stamped in (From, To]),
// ordered by meter and start. Periods without reads are left out.
//
// A meter that has kWh reads in the range has them summed; otherwise its
// kW reads are multiplied by the interval (Options.Interval, or inferred).
func (l *Lake) Energy(ctx context.Context, f Filter, p Period) ([]Energy, Stats, error) {
	if err := checkRange(f); err != nil {
		return nil, Stats{}, err
	}
	if !p.valid() {
		return nil, Stats{}, errInvalidPeriod(p)
	}
	pf := endFilter(f, meter.TypeKW, meter.TypeKWh)
	if f.Estimate != nil {
		pf.From = pf.From.Add(-f.Estimate.History())
	}
	type series struct {
		kw, kwh []meter.Reading
	}
	byMeter := make(map[string]*series)
	st, err := l.scan(ctx, &pf, func(rs []meter.Reading) error {
		for _, r := range rs {
			s := byMeter[r.MeterID]
			if s == nil {
				s = &series{}
				byMeter[r.MeterID] = s
			}
			if r.Type == meter.TypeKWh {
				s.kwh = append(s.kwh, r)
			} else {
				s.kw = append(s.kw, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, st, err
	}
	// The fallback interval for meters with a single read: the most common
	// one among the others, else DefaultInterval.
	intervals := make(map[string]time.Duration)
	votes := make(map[time.Duration]int)
	for id, s := range byMeter {
		if len(s.kwh) > 0 || len(s.kw) == 0 {
			continue
		}
		sortByTime(s.kw)
		if l.opts.Interval > 0 {
			intervals[id] = l.opts.Interval
			continue
		}
		if iv := InferInterval(s.kw); iv > 0 {
			intervals[id] = iv
			votes[iv]++
		}
	}
	fallback := DefaultInterval
	if l.opts.Interval > 0 {
		fallback = l.opts.Interval
	} else if len(votes) > 0 {
		fallback = mode(votes)
	}

	sums := make(map[bucketKey]*Energy)
	loc := l.opts.Location
	inRange := func(t time.Time) bool { return t.After(f.From) && !t.After(f.To) }
	add := func(id string, t time.Time, kwh float64, iv time.Duration, estimated bool) {
		start, end := p.Bucket(t.Add(-time.Millisecond), loc)
		k := bucketKey{id, start.UnixMilli()}
		e := sums[k]
		if e == nil {
			s, en := clip(start, end, f.From.In(loc), f.To.In(loc))
			e = &Energy{MeterID: id, Start: s, End: en, Interval: iv}
			sums[k] = e
		}
		e.KWh += kwh
		if estimated {
			e.Estimated++
		} else {
			e.Reads++
		}
	}
	for id, s := range byMeter {
		if len(s.kwh) > 0 {
			for _, r := range s.kwh {
				if inRange(r.Time) {
					add(id, r.Time, r.Value, 0, false)
				}
			}
			continue
		}
		iv, ok := intervals[id]
		if !ok {
			iv = fallback
		}
		h := iv.Hours()
		for _, r := range s.kw {
			if inRange(r.Time) {
				add(id, r.Time, r.Value*h, iv, false)
			}
		}
		if f.Estimate != nil {
			estimate(s.kw, iv, f, func(t time.Time, kw float64) { add(id, t, kw*h, iv, true) })
		}
	}
	keys := slices.SortedFunc(maps.Keys(sums), compareKeys)
	out := make([]Energy, len(keys))
	for i, k := range keys {
		out[i] = *sums[k]
	}
	return out, st, nil
}

// estimate calls est for every missing kW read of one meter's reads
// (sorted by time, history included) in f's range that package vee
// estimates: gaps between two of its reads, the one before possibly in
// the history. The reads are laid on a grid of iv anchored at the first
// read; a read off the grid counts for the nearest interval.
func estimate(kw []meter.Reading, iv time.Duration, f Filter, est func(t time.Time, kw float64)) {
	if len(kw) == 0 || iv <= 0 || kw[0].Time.After(f.To) {
		return
	}
	anchor := kw[0].Time
	at := func(i int) time.Time { return anchor.Add(time.Duration(i) * iv) }
	n := int(f.To.Sub(anchor)/iv) + 1 // interval ends up to To
	from := 0                         // the first interval end after From
	if !anchor.After(f.From) {
		from = int(f.From.Sub(anchor)/iv) + 1
	}
	if from >= n {
		return
	}
	values := make([]float64, n)
	for i := range values {
		values[i] = math.NaN()
	}
	for _, r := range kw {
		if r.Time.After(f.To) {
			break
		}
		k := int(math.Round(float64(r.Time.Sub(anchor)) / float64(iv)))
		if k >= 0 && k < n && math.IsNaN(values[k]) {
			values[k] = r.Value
		}
	}
	for i, m := range vee.Estimate(values, from, iv, f.Estimate) {
		if m == vee.Linear || m == vee.LikeDay {
			est(at(from+i), values[from+i])
		}
	}
}

// DefaultInterval is the interval Energy assumes for a kW read when
// neither Options.Interval nor the data tells it: only when no meter in the
// result has two reads.
const DefaultInterval = 15 * time.Minute

// InferInterval returns the most frequent gap between consecutive reading
// times of reads, which must be of one meter and type, sorted by time; ties
// go to the shorter gap. It returns 0 if there are fewer than two distinct
// times. Missing reads make some gaps longer but rarely the most frequent.
func InferInterval(reads []meter.Reading) time.Duration {
	votes := make(map[time.Duration]int)
	for i := 1; i < len(reads); i++ {
		if d := reads[i].Time.Sub(reads[i-1].Time); d > 0 {
			votes[d]++
		}
	}
	if len(votes) == 0 {
		return 0
	}
	return mode(votes)
}

// mode returns the key with the most votes, the smallest on ties.
func mode(votes map[time.Duration]int) time.Duration {
	var best time.Duration
	n := -1
	for d, c := range votes {
		if c > n || c == n && d < best {
			best, n = d, c
		}
	}
	return best
}

func sortByTime(rs []meter.Reading) {
	slices.SortStableFunc(rs, func(a, b meter.Reading) int { return a.Time.Compare(b.Time) })
}
