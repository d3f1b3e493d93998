package query

import (
	"cmp"
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
// With f.Export, its kwh_export reads are summed instead.
func (l *Lake) Energy(ctx context.Context, f Filter, p Period) ([]Energy, Stats, error) {
	if err := checkRange(f); err != nil {
		return nil, Stats{}, err
	}
	if !p.valid() {
		return nil, Stats{}, errInvalidPeriod(p)
	}
	pf := endFilter(f, meter.TypeKW, meter.TypeKWh)
	if f.Export {
		// Exported energy comes as interval energy only; no kW read says
		// which way the power flowed.
		pf = endFilter(f, meter.TypeKWhExport)
		f.Estimate = nil
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
			if r.Type == meter.TypeKWh || r.Type == meter.TypeKWhExport {
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
	var gappy []gapMeter // kW meters with missing reads, for Estimate
	for id, s := range byMeter {
		if len(s.kwh) > 0 {
			for _, r := range s.kwh {
				add(id, r.Time, r.Value, 0, false)
			}
			continue
		}
		iv, ok := intervals[id]
		if !ok {
			iv = fallback
		}
		h := iv.Hours()
		for _, r := range s.kw {
			add(id, r.Time, r.Value*h, iv, false)
		}
		if f.Estimate != nil {
			if g := gapsOf(id, s.kw, iv, f); g != nil {
				gappy = append(gappy, *g)
			}
		}
	}
	if len(gappy) > 0 {
		est, err := l.estimate(ctx, f, gappy, func(g *gapMeter, t time.Time, kw float64) {
			add(g.id, t, kw*g.iv.Hours(), g.iv, true)
		})
		st.Add(est)
		if err != nil {
			return nil, st, err
		}
	}
	keys := slices.SortedFunc(maps.Keys(sums), compareKeys)
	out := make([]Energy, len(keys))
	for i, k := range keys {
		out[i] = *sums[k]
	}
	return out, st, nil
}

// gapMeter is a kW meter with missing reads in the range: its reads lie
// on the grid anchor + k*iv, slots kLo to kHi in (From, To].
type gapMeter struct {
	id       string
	anchor   time.Time
	iv       time.Duration
	kLo, kHi int
}

// slot returns the grid slot nearest to t, and floor and the first slot
// after t for range ends.
func (g *gapMeter) slot(t time.Time) int {
	return int(math.Round(float64(t.Sub(g.anchor)) / float64(g.iv)))
}

func (g *gapMeter) firstAfter(t time.Time) int {
	d := t.Sub(g.anchor)
	k := d / g.iv
	if d%g.iv != 0 && d < 0 {
		k-- // floor
	}
	return int(k) + 1
}

func (g *gapMeter) at(k int) time.Time { return g.anchor.Add(time.Duration(k) * g.iv) }

// gapsOf returns the grid of a meter's in-range kW reads (sorted by time)
// if some of its slots in (From, To] have no read, else nil. The grid's
// phase is the reads' most common one (a stray read off the grid does not
// shift it), whatever From is.
func gapsOf(id string, kw []meter.Reading, iv time.Duration, f Filter) *gapMeter {
	if len(kw) == 0 || iv <= 0 {
		return nil
	}
	phases := make(map[time.Duration]int)
	for _, r := range kw {
		phases[time.Duration(r.Time.UnixNano())%iv]++
	}
	phase := mode(phases)
	anchor := kw[0].Time
	for _, r := range kw {
		if time.Duration(r.Time.UnixNano())%iv == phase {
			anchor = r.Time
			break
		}
	}
	g := &gapMeter{id: id, anchor: anchor, iv: iv}
	g.kLo, g.kHi = g.firstAfter(f.From), g.firstAfter(f.To)-1
	seen := make(map[int]bool, len(kw))
	for _, r := range kw {
		seen[g.slot(r.Time)] = true
	}
	if len(seen) >= g.kHi-g.kLo+1 {
		return nil
	}
	return g
}

// estimate reads the gappy meters' kW reads from Estimate.History()
// before the range to Estimate.MaxGap after it (the reads that close a
// gap may come after To), estimates their missing reads with package vee
// and calls est for every estimate in (From, To].
func (l *Lake) estimate(ctx context.Context, f Filter, gappy []gapMeter, est func(g *gapMeter, t time.Time, kw float64)) (Stats, error) {
	opts := *f.Estimate
	if opts.Location == nil {
		opts.Location = l.opts.Location
	}
	maxGap := cmp.Or(opts.MaxGap, vee.DefaultMaxGap)
	ids := make([]string, len(gappy))
	for i, g := range gappy {
		ids[i] = g.id
	}
	from, to := f.From.Add(-opts.History()), f.To.Add(maxGap)
	reads := make(map[string][]meter.Reading, len(gappy))
	hf := endFilter(Filter{MeterIDs: ids, From: from, To: to}, meter.TypeKW)
	st, err := l.scan(ctx, &hf, func(rs []meter.Reading) error {
		for _, r := range rs {
			reads[r.MeterID] = append(reads[r.MeterID], r)
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	for i := range gappy {
		g := &gappy[i]
		lo, hi := g.firstAfter(from), g.firstAfter(to)-1
		values := make([]float64, hi-lo+1)
		for k := range values {
			values[k] = math.NaN()
		}
		for _, r := range reads[g.id] {
			if k := g.slot(r.Time) - lo; k >= 0 && k < len(values) && math.IsNaN(values[k]) {
				values[k] = r.Value
			}
		}
		for k, m := range vee.Estimate(values, g.kLo-lo, g.at(lo), g.iv, &opts) {
			if slot := g.kLo + k; (m == vee.Linear || m == vee.LikeDay) && slot <= g.kHi {
				est(g, g.at(slot), values[slot-lo])
			}
		}
	}
	return st, nil
}

// DefaultInterval is the interval Energy assumes for a kW read when
// neither Options.Interval nor the data tells it: only when no meter in the
// result has two reads.
const DefaultInterval = 15 * time.Minute

// InferInterval returns the interval of reads, which must be of one meter
// and type, sorted by time: the most frequent gap between consecutive
// reading times (ties go to the shorter gap), unless a shorter gap that
// divides it comes twice or more and at least a fifth as often, which is
// then the interval and the frequent gap its multiple: a window that lost
// more than half of its reads, but not every other one, still gets the
// meter's interval rather than one that would count each read for the
// missing ones around it. A gap that does not divide the frequent one (a
// stray read off the grid), or a rare one (two extra reads in a day),
// changes nothing. It returns 0 if there are fewer than two distinct
// times.
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
	best := mode(votes)
	short := best
	for d, n := range votes {
		if d < short && n >= 2 && 5*n >= votes[best] && best%d == 0 {
			short = d
		}
	}
	return short
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
