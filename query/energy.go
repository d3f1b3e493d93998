package query

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"math"
	"slices"
	"sort"
	"sync"
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
	// Interval is the interval each of the period's kW reads (and
	// estimates) stood for. It is 0 if the energy comes from kWh reads,
	// and 0 if the period's kW reads stood for different intervals (a week
	// in which the meter went from 30-minute to 15-minute reads): Reads
	// counts them all the same.
	Interval time.Duration
}

// Energy returns the energy of the meters that f selects per period,
// for the intervals within [f.From, f.To) (reads stamped in (From, To]),
// ordered by meter and start. Periods without reads are left out.
//
// A meter's period that has kWh reads is read from them: they are summed,
// and its kW reads in that period are left out. Otherwise the period's kW
// reads are each multiplied by the interval they stand for:
// Options.Interval if set, else the one inferred from the meter's kW reads
// of the read's local day (see [InferInterval]), all of them whatever part
// of the day the range holds, so that a day's energy does not depend on the
// range asked for. A day whose reads do not tell its interval (fewer than
// four reads in step: a meter installed late in the day, a day of lost
// reads) takes the one inferred from the reads of the three days either
// side, and a meter with a single read in that week the most common
// interval of the result's other meters' days, else DefaultInterval.
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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var edges edgeScan
	if l.opts.Interval <= 0 && !f.Export {
		edges.start(ctx, cancel, l, f)
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
		cancel()
	}
	edges.wg.Wait()
	st.Add(edges.st)
	if edges.err != nil && (err == nil || errors.Is(err, context.Canceled)) {
		err = edges.err // the cause, not the cancellation of the other scan
	}
	if err != nil {
		return nil, st, err
	}

	type acc struct {
		Energy
		kwh bool // read from kWh reads
	}
	sums := make(map[bucketKey]*acc)
	loc := l.opts.Location
	from, to := f.From.In(loc), f.To.In(loc)
	// add counts energy toward the period of the interval that ends at t;
	// iv is the interval of a kW read or estimate, 0 for a kWh read. A
	// period with kWh reads is read from them alone: they are added first,
	// and kW reads and estimates in such a period are not added.
	add := func(id string, t time.Time, kwh float64, iv time.Duration, estimated bool) {
		start, end := p.Bucket(t.Add(-time.Millisecond), loc)
		k := bucketKey{id, start.UnixMilli()}
		e := sums[k]
		switch {
		case e == nil:
			s, en := clip(start, end, from, to)
			e = &acc{Energy: Energy{MeterID: id, Start: s, End: en, Interval: iv}, kwh: iv == 0}
			sums[k] = e
		case e.kwh && iv != 0:
			return
		case e.Interval != iv:
			e.Interval = 0
		}
		e.KWh += kwh
		if estimated {
			e.Estimated++
		} else {
			e.Reads++
		}
	}
	inKWhPeriod := func(id string, t time.Time) bool {
		start, _ := p.Bucket(t.Add(-time.Millisecond), loc)
		e := sums[bucketKey{id, start.UnixMilli()}]
		return e != nil && e.kwh
	}
	for id, s := range byMeter {
		for _, r := range s.kwh {
			add(id, r.Time, r.Value, 0, false)
		}
	}
	// The meters whose kW reads count: those with a kW read in a period
	// without kWh reads. Only they need intervals and estimates.
	var kwMeters []string
	for id, s := range byMeter {
		if len(s.kw) == 0 || len(s.kwh) > 0 && !slices.ContainsFunc(s.kw, func(r meter.Reading) bool { return !inKWhPeriod(id, r.Time) }) {
			continue
		}
		sortByTime(s.kw)
		kwMeters = append(kwMeters, id)
	}
	slices.Sort(kwMeters)

	var days map[string][]dayInterval
	if l.opts.Interval <= 0 && len(kwMeters) > 0 {
		var ist Stats
		days, ist, err = l.inferIntervals(ctx, f, byMeter, kwMeters, edges.reads)
		st.Add(ist)
		if err != nil {
			return nil, st, err
		}
	}
	fixed := []dayInterval{{start: math.MinInt64, end: math.MaxInt64, iv: l.opts.Interval}}
	var gappy []gapMeter // kW meters with missing reads, for Estimate
	for _, id := range kwMeters {
		s := byMeter[id]
		ds := days[id]
		if l.opts.Interval > 0 {
			ds = fixed
		}
		j := 0
		for _, r := range s.kw {
			for ms := r.Time.UnixMilli(); ds[j].end < ms && j+1 < len(ds); {
				j++
			}
			iv := ds[j].iv
			add(id, r.Time, r.Value*iv.Hours(), iv, false)
		}
		if f.Estimate == nil {
			continue
		}
		// One grid per run of days of one interval: a meter whose interval
		// changed is estimated on each side at its interval of the time.
		for i := 0; i < len(ds); {
			j := i + 1
			for j < len(ds) && ds[j].iv == ds[i].iv {
				j++
			}
			rf, rt := f.From, f.To
			if i > 0 {
				rf = time.UnixMilli(ds[i].start)
			}
			if j < len(ds) {
				rt = time.UnixMilli(ds[j].start)
			}
			if g := gapsOf(id, readsIn(s.kw, rf, rt), ds[i].iv, rf, rt); g != nil {
				gappy = append(gappy, *g)
			}
			i = j
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
		out[i] = sums[k].Energy
	}
	return out, st, nil
}

// series is one meter's reads for Energy.
type series struct {
	// kw and kwh are the reads in the range (kwh also kwh_export).
	kw, kwh []meter.Reading
	// all are the kW reads of the range's days, sorted by time: those of
	// the range and the rest of its first and last days. near are kW reads
	// of the days around a day whose reads do not tell its interval, for
	// the meters marked need.
	all, near []meter.Reading
	need      bool
}

// dayInterval is the interval of a meter's kW reads stamped in (start,
// end] (Unix milliseconds): one local day.
type dayInterval struct {
	start, end int64
	iv         time.Duration
}

// Interval inference: a day's own reads tell its interval when they hold
// minDayGaps gaps of it (four reads in step), which a couple of reads
// that happen to lie some intervals apart do not; other days take the
// interval of the windowDays days either side of them as well.
const (
	minDayGaps = 3
	windowDays = 3
)

// edgeScan reads, alongside the range, the kW reads of the rest of the
// range's first and last local days, from which those days' intervals are
// inferred with the range's reads.
type edgeScan struct {
	wg    sync.WaitGroup
	reads map[string][]meter.Reading // by meter
	st    Stats
	err   error
}

// start starts the scan, unless the range is whole days; cancel is called
// if it fails.
func (e *edgeScan) start(ctx context.Context, cancel func(), l *Lake, f Filter) {
	first, last := dayBounds(f, l.opts.Location)
	if !first.Before(f.From) && !f.To.Before(last) {
		return
	}
	e.reads = make(map[string][]meter.Reading)
	e.wg.Go(func() {
		e.st, e.err = l.scanAround(ctx, f.MeterIDs, first, f.From, f.To, last, func(rs []meter.Reading) error {
			for _, r := range rs {
				e.reads[r.MeterID] = append(e.reads[r.MeterID], r)
			}
			return nil
		})
		if e.err != nil {
			cancel()
		}
	})
}

// dayBounds returns the start of the local day of f's first interval
// and the end of the day of its last.
func dayBounds(f Filter, loc *time.Location) (first, last time.Time) {
	first, _ = Day.Bucket(f.From, loc)
	_, last = Day.Bucket(f.To.Add(-time.Millisecond), loc)
	return first, last
}

// inferIntervals returns, for each of the meters ids (sorted), the
// interval of each local day of the range that holds its kW reads, in
// time order. A day's interval comes from all the meter's kW reads of that
// day: those of the range, and edges, the meter's kW reads of the rest of
// the range's first and last days; for a day whose reads do not tell it,
// from the days around it, which inferIntervals reads. So a day's interval
// is the same whatever range holds it.
func (l *Lake) inferIntervals(ctx context.Context, f Filter, byMeter map[string]*series, ids []string, edges map[string][]meter.Reading) (map[string][]dayInterval, Stats, error) {
	loc := l.opts.Location
	first, last := dayBounds(f, loc)
	var st Stats
	out := make(map[string][]dayInterval, len(ids))
	votes := make(map[time.Duration]int)
	type pending struct {
		id string
		i  int // in out[id]
	}
	var undecided []pending
	var counts gapCounts
	for _, id := range ids {
		s := byMeter[id]
		s.all = withNear(edges[id], s.kw)
		var ds []dayInterval
		for i := 0; i < len(s.all); {
			start, end := Day.Bucket(s.all[i].Time.Add(-time.Millisecond), loc)
			j := i + 1
			for j < len(s.all) && !s.all[j].Time.After(end) {
				j++
			}
			day := s.all[i:j]
			i = j
			if len(readsIn(day, f.From, f.To)) == 0 {
				continue // an edge day's reads of a meter without reads in the range's part of it
			}
			d := dayInterval{start: start.UnixMilli(), end: end.UnixMilli()}
			if iv, n := counts.infer(day); n >= minDayGaps {
				d.iv = iv
				votes[iv]++
			} else {
				undecided = append(undecided, pending{id, len(ds)})
			}
			ds = append(ds, d)
		}
		out[id] = ds
	}

	if len(undecided) > 0 {
		type window struct{ from, to time.Time }
		wins := make([]window, len(undecided))
		lo, hi := first, last
		var wids []string
		for k, u := range undecided {
			y, m, d := time.UnixMilli(out[u.id][u.i].start).In(loc).Date()
			w := window{meter.StartOfDay(y, m, d-windowDays, loc), meter.StartOfDay(y, m, d+windowDays+1, loc)}
			wins[k] = w
			lo, hi = minTime(lo, w.from), maxTime(hi, w.to)
			if s := byMeter[u.id]; !s.need {
				s.need = true
				wids = append(wids, u.id)
			}
		}
		slices.Sort(wids)
		wst, err := l.scanAround(ctx, wids, lo, first, last, hi, func(rs []meter.Reading) error {
			for _, r := range rs {
				if s := byMeter[r.MeterID]; s != nil && s.need {
					s.near = append(s.near, r)
				}
			}
			return nil
		})
		st.Add(wst)
		if err != nil {
			return nil, st, err
		}
		for _, id := range wids {
			s := byMeter[id]
			s.all = withNear(s.near, s.all)
		}
		for k, u := range undecided {
			s := byMeter[u.id]
			if iv, _ := counts.infer(readsIn(s.all, wins[k].from, wins[k].to)); iv > 0 {
				out[u.id][u.i].iv = iv
			}
		}
	}
	fallback := DefaultInterval
	if len(votes) > 0 {
		fallback = mode(votes)
	}
	for _, ds := range out {
		for i := range ds {
			if ds[i].iv == 0 {
				ds[i].iv = fallback
			}
		}
	}
	return out, st, nil
}

// withNear returns rs, sorted by time, with near merged in: reads (in
// any order) that lie before and after rs's span, none within it.
func withNear(near, rs []meter.Reading) []meter.Reading {
	sortByTime(near)
	if len(near) == 0 || len(rs) == 0 {
		return append(near, rs...)
	}
	i := sort.Search(len(near), func(i int) bool { return near[i].Time.After(rs[0].Time) })
	all := make([]meter.Reading, 0, len(near)+len(rs))
	return append(append(append(all, near[:i]...), rs...), near[i:]...)
}

// scanAround calls fn with the kW reads of the meters ids (nil: all)
// stamped in (a, b] and in (c, d]: the parts of (a, d] around a span
// (b, c] already read. An empty part is not scanned.
func (l *Lake) scanAround(ctx context.Context, ids []string, a, b, c, d time.Time, fn func([]meter.Reading) error) (Stats, error) {
	var st Stats
	for _, span := range [][2]time.Time{{a, b}, {c, d}} {
		if !span[0].Before(span[1]) {
			continue
		}
		pf := endFilter(Filter{MeterIDs: ids, From: span[0], To: span[1]}, meter.TypeKW)
		s, err := l.scan(ctx, &pf, fn)
		st.Add(s)
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

// readsIn returns the reads of rs (sorted by time) stamped in (from, to].
func readsIn(rs []meter.Reading, from, to time.Time) []meter.Reading {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].Time.After(from) })
	j := sort.Search(len(rs), func(i int) bool { return rs[i].Time.After(to) })
	return rs[i:max(i, j)]
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
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

// gapsOf returns the grid of a meter's kW reads in (from, to] (sorted by
// time) at interval iv if some of its slots in (from, to] have no read,
// else nil. The grid's phase is the reads' most common one (a stray read
// off the grid does not shift it), whatever from is.
func gapsOf(id string, kw []meter.Reading, iv time.Duration, from, to time.Time) *gapMeter {
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
	g.kLo, g.kHi = g.firstAfter(from), g.firstAfter(to)-1
	// Only the slots in (from, to] count: a read that rounds to a slot
	// outside (a stray one just after from) fills no gap.
	seen := make(map[int]bool, len(kw))
	for _, r := range kw {
		if k := g.slot(r.Time); k >= g.kLo && k <= g.kHi {
			seen[k] = true
		}
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
// divides it comes twice or more and at least half as often, which is
// then the interval and the frequent gap its multiple: a window that lost
// most of its reads, but not every other one, still gets the meter's
// interval rather than one that would count each read for the missing
// ones around it. A gap that does not divide the frequent one (a stray
// read off the grid), or a rarer one, changes nothing: two extra reads in
// a day of half hours, or three on-demand reads at half past in a day of
// hourly reads (six half-hour gaps to twenty-one hours). It returns 0 if
// there are fewer than two distinct times.
//
// Energy applies it to each local day of a meter's reads (see
// [Lake.Energy]).
func InferInterval(reads []meter.Reading) time.Duration {
	var c gapCounts
	iv, _ := c.infer(reads)
	return iv
}

// gapCounts counts the gaps between reads. Its buffer is reused from one
// call of infer to the next: Energy infers one interval per meter and day.
type gapCounts struct {
	gaps []gapCount
}

type gapCount struct {
	d time.Duration
	n int
}

// maxGapKinds bounds the distinct gaps counted by a linear search; reads
// with more (times off any grid) are counted in a map.
const maxGapKinds = 32

// infer returns InferInterval(reads) and the number of gaps of it.
func (c *gapCounts) infer(reads []meter.Reading) (time.Duration, int) {
	c.gaps = c.gaps[:0]
	var many map[time.Duration]int
	last := -1 // index in c.gaps of the last gap: most gaps repeat it
	for i := 1; i < len(reads); i++ {
		d := reads[i].Time.Sub(reads[i-1].Time)
		if d <= 0 {
			continue
		}
		if many != nil {
			many[d]++
			continue
		}
		if last >= 0 && c.gaps[last].d == d {
			c.gaps[last].n++
			continue
		}
		last = slices.IndexFunc(c.gaps, func(g gapCount) bool { return g.d == d })
		if last >= 0 {
			c.gaps[last].n++
			continue
		}
		if len(c.gaps) == maxGapKinds {
			many = make(map[time.Duration]int, 2*maxGapKinds)
			for _, g := range c.gaps {
				many[g.d] = g.n
			}
			many[d]++
			continue
		}
		last = len(c.gaps)
		c.gaps = append(c.gaps, gapCount{d, 1})
	}
	if many != nil {
		c.gaps = c.gaps[:0]
		for d, n := range many {
			c.gaps = append(c.gaps, gapCount{d, n})
		}
	}
	if len(c.gaps) == 0 {
		return 0, 0
	}
	best := c.gaps[0]
	for _, g := range c.gaps[1:] {
		if g.n > best.n || g.n == best.n && g.d < best.d {
			best = g
		}
	}
	short := best
	for _, g := range c.gaps {
		if g.d < short.d && g.n >= 2 && 2*g.n >= best.n && best.d%g.d == 0 {
			short = g
		}
	}
	return short.d, short.n
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
