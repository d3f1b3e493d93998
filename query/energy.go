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
	"sync/atomic"
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
	// of missing reads estimated (Filter.Estimate): kW reads, and the
	// intervals of lost kWh interval reads, each estimated once. KWh
	// includes their energy.
	Reads, Estimated int
	// Interval is the interval each of the period's kW reads (and
	// estimates) stood for. It is 0 if the energy comes from kWh reads,
	// and 0 if the period's kW reads stood for different intervals (a week
	// in which the meter went from 30-minute to 15-minute reads): Reads
	// counts them all the same. The day a meter changed interval is such a
	// period too.
	Interval time.Duration
}

// Energy returns the energy of the meters that f selects per period,
// for the intervals within [f.From, f.To) (reads stamped in (From, To]),
// ordered by meter and start. Periods without reads are left out.
//
// kWh reads are summed, each in the range that holds its time. A kW read
// is left out when a kWh interval read of its meter covers it: a kWh read
// at most 26 hours after the meter's previous one (15-minute to daily
// reads) covers the kW reads that end in (that read, its time], also a
// kWh read outside the range (the kWh reads of the 52 hours either side
// of the range are read too, and count against Options.MaxReads like the
// range's), so that each interval counts once in any tiling of ranges;
// see kwhCovers for a lost kWh read. A kWh read after a longer gap (the
// first of a channel, the first after an outage, a read hours late, a
// weekly or monthly register read) covers nothing: it is set aside when
// the meter has kW reads in the span before it (the gap to the next kWh
// read where that is at most 26 hours: the read starts a run of interval
// reads; else 26 hours), which then hold its energy (where those kW
// reads miss part of its interval, that part is missing, or estimated),
// and counts otherwise (where the meter's kW reads stopped before that
// span, the kW reads of its interval count beside it). The kW reads of the
// 26 hours before the range are read too, in one scan, and count against
// MaxReads. The kW
// reads of the intervals no kWh read covers count (a kWh channel that
// starts mid-hour, a lost kWh read). Reads of one meter, type and time
// (loaded twice, not yet compacted) count once, the larger value. Days, weeks and months are sums of
// reads, so that a month is the sum of its days, and a day of its hours,
// whatever range is asked for. A kW read is multiplied by the interval it
// stands for: Options.Interval if set, else the one inferred from the
// meter's kW reads of the read's local day, all of them whatever part of
// the day the range holds, so that a day's energy does not depend on the
// range asked for. A day's interval is that of its first five reads when
// the last five agree ([InferInterval] of each; up to twelve when lost
// reads leave five without three gaps of one interval), so that the rest
// of a day the range cuts need not be read. Where they differ, the meter
// changed interval that day (30-minute reads until noon, then 15-minute
// ones): the reads before the change stand for the first interval and
// those after it for the second. A change to or from a multiple of the
// interval counts only if the coarser side holds twelve gaps of it or
// spans six hours: else its gaps are the finer interval's lost reads
// (every other read of a day's last hours), which stay missing, or are
// estimated. Where either does not tell, the interval inferred from all
// the day's reads counts. A day whose reads do not tell its interval
// (fewer than four reads in step: a meter installed late in the day, a
// day of lost reads) takes the one inferred from the reads of the three
// days either side, and a meter with a single read in that week the most
// common interval of the result's other meters' days, else
// DefaultInterval. With f.Estimate, every local day of the range is
// estimated for the meters f.MeterIDs names (for all meters: those with
// reads in the range or the edge windows of its first and last days;
// also a meter with only kWh reads in the range, where they leave part of
// it uncovered), a day without reads on the interval of the days around
// it (with Options.Interval, on the grid from its local midnight), so
// that a day's estimates do not depend on the range. A kWh interval
// channel (NEM12, Green Button, wide CSV, MRASCo) is estimated too: the
// intervals its lost reads leave uncovered between two of its reads (a
// gap of at least 1.5 times the interval that the gaps around it agree
// on, at most 26 hours: one lost read, a run of them, a whole lost day of
// 30-minute reads, 46 or 50 of them on a DST day) are estimated in kWh per
// interval, on the grid of the interval that the read after them
// covers, from the channel's interval reads of that interval (linear
// from the reads around, like-day from the same interval of the previous
// weeks); for all meters, a meter whose kWh reads around the range leave
// such a gap in it is estimated too. The intervals of a gap up to the
// meter's last kW read in it are not (the kW reads count, and the kW
// channel's missing reads are estimated as kW), and a kW estimate in an
// interval estimated as kWh is left out, so that each interval is
// estimated once. A kWh read after a longer gap (a register or daily
// read that counts whole, the first read after an outage or of a
// channel) may hold the gap's energy: the gap is not estimated, nor one
// before a channel's first interval read. For the meters with such gaps
// in the range, the kWh reads of Estimate.History() and 130 hours before
// the range are read too, and for gaps across an edge the kW reads of the
// 26 hours beyond it (both count against Options.MaxReads), so that a
// day's estimates do not depend on the range. With f.Export, its
// kwh_export reads are summed instead.
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
	budget := new(atomic.Int64) // the reads of all this call's scans, for MaxReads
	var edges edgeScan
	if l.opts.Interval <= 0 && !f.Export {
		edges.start(ctx, cancel, l, f, budget)
	}
	var kctx kwhContext
	if !f.Export {
		kctx.start(ctx, cancel, l, f, budget)
	}
	byMeter := make(map[string]*series)
	st, err := l.scanCounted(ctx, &pf, budget, func(rs []meter.Reading) error {
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
	kctx.wg.Wait()
	st.Add(edges.st)
	st.Add(kctx.st)
	for _, e := range []error{edges.err, kctx.err} {
		if e != nil && (err == nil || errors.Is(err, context.Canceled)) {
			err = e // the cause, not the cancellation of the other scans
		}
	}
	if err != nil {
		return nil, st, err
	}

	if f.Estimate != nil {
		// Every day of the range is estimated for the meters asked for,
		// also those without reads in it (a day whose reads were all
		// lost), so that a day's estimates do not depend on the range
		// that holds it. For all meters, those known from the edge
		// windows too (not yet those with reads in the history only).
		add := func(id string) {
			if byMeter[id] == nil {
				byMeter[id] = &series{}
			}
		}
		for _, id := range f.MeterIDs {
			add(id)
		}
		for id := range edges.reads {
			add(id)
		}
	}
	sums := make(map[bucketKey]*Energy)
	loc := l.opts.Location
	from, to := f.From.In(loc), f.To.In(loc)
	// add counts energy toward the period of the interval that ends at t;
	// iv is the interval of a kW read or estimate, 0 for a kWh read.
	//
	// A meter's reads come in time order, so the last period found is
	// reused while the reads lie in it: Bucket's local-time arithmetic
	// per read cost about a fifth of a month's query.
	var lastID string
	var lastStart, lastEnd time.Time
	var last *Energy
	add := func(id string, t time.Time, kwh float64, iv time.Duration, estimated bool) {
		tm := t.Add(-time.Millisecond)
		if last == nil || id != lastID || tm.Before(lastStart) || !tm.Before(lastEnd) {
			lastID = id
			lastStart, lastEnd = p.Bucket(tm, loc)
			k := bucketKey{id, lastStart.UnixMilli()}
			last = sums[k]
			if last == nil {
				s, en := clip(lastStart, lastEnd, from, to)
				last = &Energy{MeterID: id, Start: s, End: en, Interval: iv}
				sums[k] = last
			}
		}
		e := last
		switch {
		case e.Reads+e.Estimated == 0:
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
	// The spans the meters' kWh reads cover: a kW read (or estimate) that
	// ends in one is left out, the interval's energy coming from the kWh
	// read. The choice is made per kW read, so that a kWh channel that
	// starts mid-hour, or a lost kWh read, leaves the kW reads of the
	// intervals no kWh read covers counted, and a range cut anywhere gives
	// the same sums.
	covers := make(map[string][]cover)
	// The lost kWh interval reads estimated (Estimate), as covers: kW
	// estimates in them are left out.
	kwhEstimated := make(map[string][]cover)
	for _, s := range byMeter {
		// Sorted, so that a period's reads are summed in the same order
		// whatever order the scan's pieces came in; one read per time.
		sortByTime(s.kw)
		s.kw = dedup(s.kw)
		if len(s.kwh) > 0 {
			sortByTime(s.kwh)
			s.kwh = dedup(s.kwh)
		}
	}
	if f.Export {
		for id, s := range byMeter {
			for _, r := range s.kwh {
				add(id, r.Time, r.Value, 0, false)
			}
		}
	} else {
		// A kWh read at most fineKWh after the meter's previous one (an
		// interval read: 15-minute to daily) counts, and covers the kW
		// reads of its interval. One after a longer gap (the first after
		// lost reads or an outage, a weekly or monthly register read)
		// covers nothing: where the meter has kW reads in the fineKWh
		// before it, they hold its interval's energy, and it is set aside;
		// else it counts. Each choice needs only the reads within
		// 2*fineKWh of the read, which kwhContext holds around the range,
		// so a range cut anywhere gives the same sums.
		// coarseRead is a kWh read of the range after a long gap, and the
		// span before it whose kW reads decide it: the gap to the next
		// kWh read where that is fine (it starts a channel, or a run after
		// an outage or a late read, of that interval), else fineKWh.
		type coarseRead struct {
			r  meter.Reading
			iv time.Duration
		}
		coarse := make(map[string][]coarseRead)
		var kwBefore []string // the meters of those within fineKWh of From
		// With Estimate, the runs of lost kWh interval reads that reach
		// into the range (kwhHoles), the kWh reads known around them, and
		// the meters whose holes reach before From or after To, whose kW
		// reads there tell which of the holes' intervals they hold. The
		// meters known from the kWh reads around the range only are
		// estimated too: a day whose kWh reads were all lost lies between
		// those of the days around it.
		holes := make(map[string][]kwhHole)
		known := make(map[string][]meter.Reading)
		var holesBefore, holesAfter []string
		ids := slices.Collect(maps.Keys(byMeter))
		if f.Estimate != nil {
			for id := range kctx.reads {
				if byMeter[id] == nil {
					ids = append(ids, id)
				}
			}
		}
		for _, id := range ids {
			s := byMeter[id]
			var kwh []meter.Reading
			if s != nil {
				kwh = s.kwh
			}
			all := make([]meter.Reading, 0, len(kwh)+len(kctx.reads[id]))
			all = append(append(all, kwh...), kctx.reads[id]...)
			if len(all) == 0 {
				continue
			}
			sortByTime(all)
			all = dedup(all)
			own, fine := kwhSpans(all, loc)
			if f.Estimate != nil {
				if hs := kwhHoles(all, own, fine, f.From, f.To); len(hs) > 0 {
					holes[id], known[id] = hs, all
					if hs[0].first().Before(f.From) {
						holesBefore = append(holesBefore, id)
					}
					if last := hs[len(hs)-1]; last.end().After(f.To) {
						holesAfter = append(holesAfter, id)
					}
					if s == nil {
						s = &series{}
						byMeter[id] = s
					}
				}
			}
			if s == nil {
				continue
			}
			if cv := mergeCovers(all, own, fine); len(cv) > 0 {
				covers[id] = cv
			}
			var before bool
			for i, r := range all {
				if !r.Time.After(f.From) || r.Time.After(f.To) {
					continue
				}
				if fine[i] {
					add(id, r.Time, r.Value, 0, false)
					continue
				}
				iv := time.Duration(fineKWh)
				if i+1 < len(all) && all[i+1].Time.Sub(r.Time) <= fineKWh {
					iv = all[i+1].Time.Sub(r.Time)
				}
				coarse[id] = append(coarse[id], coarseRead{r, iv})
				before = before || r.Time.Add(-fineKWh).Before(f.From)
			}
			if before {
				kwBefore = append(kwBefore, id)
			}
		}
		// The kW reads just before the range of the meters with such a
		// read near From (and of those with holes before it), and just
		// after it of those with holes after To: in one scan per side, of
		// those meters where they are few, else of the query's meters (the
		// weekly or monthly register reads of many meters fall at one
		// time).
		scanNear := func(meters []string, sp span, into map[string][]meter.Reading) error {
			if len(meters) == 0 {
				return nil
			}
			want := make(map[string]bool, len(meters))
			for _, id := range meters {
				want[id] = true
			}
			ids := slices.Sorted(maps.Keys(want))
			if len(ids) > maxListedMeters {
				ids = f.MeterIDs
			}
			nst, err := l.scanSpansOf(ctx, ids, []span{sp}, budget, []meter.Type{meter.TypeKW}, func(rs []meter.Reading) error {
				for _, r := range rs {
					if want[r.MeterID] {
						into[r.MeterID] = append(into[r.MeterID], r)
					}
				}
				return nil
			})
			st.Add(nst)
			for _, rs := range into {
				sortByTime(rs)
			}
			return err
		}
		near := make(map[string][]meter.Reading)
		if err := scanNear(append(kwBefore, holesBefore...), span{f.From.Add(-fineKWh), f.From}, near); err != nil {
			return nil, st, err
		}
		for id, rs := range coarse {
			kw := byMeter[id].kw
			for _, c := range rs {
				// The kW reads hold its energy where they run in its span
				// before it: a read that starts a run of interval reads
				// holds its interval, which kW reads ending in it hold
				// too (where a kWh channel replaces a kW one, the kW
				// reads stop before it, and it counts); an isolated one
				// (a register read) may hold any span, which kW reads in
				// the fineKWh before it hold (nothing after it can tell
				// a kW feed behind the kWh one, or a kW outage, from a
				// kW channel that stopped).
				r := c.r
				if lo := r.Time.Add(-c.iv); hasReadIn(kw, lo, r.Time) || hasReadIn(near[id], lo, r.Time) {
					continue
				}
				add(id, r.Time, r.Value, 0, false)
			}
		}
		if len(holes) > 0 {
			after := make(map[string][]meter.Reading)
			if err := scanNear(holesAfter, span{f.To, f.To.Add(fineKWh)}, after); err != nil {
				return nil, st, err
			}
			est, hst, err := l.estimateKWh(ctx, f, holes, known, budget)
			st.Add(hst)
			if err != nil {
				return nil, st, err
			}
			// The intervals of a hole up to its last kW read are the kW
			// channel's: its reads count (a kW read may hold more than
			// one of them: hourly kW reads beside 30-minute kWh ones),
			// and its missing ones are estimated as kW. Those after it
			// hold no kW read that counts (the kW reads after the hole
			// are the kWh read's after it), and are estimated as kWh; kW
			// estimates in them are left out: each interval is estimated
			// once.
			for id, es := range est {
				kw := [][]meter.Reading{byMeter[id].kw, near[id], after[id]}
				for _, e := range es {
					lo := e.t.Add(-e.iv)
					if slices.ContainsFunc(kw, func(rs []meter.Reading) bool { return hasReadIn(rs, lo, e.end) }) {
						continue
					}
					kwhEstimated[id] = append(kwhEstimated[id], cover{lo.UnixMilli(), e.t.UnixMilli()})
					if e.t.After(f.From) && !e.t.After(f.To) {
						add(id, e.t, e.kwh, 0, true)
					}
				}
			}
		}
	}
	// The meters whose kW reads count: those with a kW read no kWh read
	// covers. Only they need intervals, and, with Estimate, all meters
	// whose kWh reads leave part of the range uncovered, whose lost kW
	// reads may lie there (a meter that lost a day's kW reads is no kWh
	// meter for that day's kWh reads).
	var kwMeters []string
	for id, s := range byMeter {
		if len(s.kw) == 0 && (f.Estimate == nil || covers[id] != nil && coversAll(covers[id], f.From, f.To)) {
			continue // a kWh meter: no kW read to count or estimate
		}
		if cv := covers[id]; f.Estimate == nil && cv != nil && !slices.ContainsFunc(s.kw, func(r meter.Reading) bool { return !covered(cv, r.Time) }) {
			continue
		}
		kwMeters = append(kwMeters, id)
	}
	slices.Sort(kwMeters)

	var days map[string][]dayInterval
	if l.opts.Interval <= 0 && len(kwMeters) > 0 {
		var ist Stats
		days, ist, err = l.inferIntervals(ctx, f, byMeter, kwMeters, edges.reads, budget)
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
		cv := covers[id]
		j := 0
		for _, r := range s.kw {
			for ms := r.Time.UnixMilli(); ds[j].end < ms && j+1 < len(ds); {
				j++
			}
			if cv != nil && covered(cv, r.Time) {
				continue
			}
			iv := ds[j].iv
			add(id, r.Time, r.Value*iv.Hours(), iv, false)
		}
		if f.Estimate == nil {
			continue
		}
		// One grid per run of days (or parts of a day) of one interval: a
		// meter whose interval changed is estimated on each side at its
		// interval of the time.
		for i := 0; i < len(ds); {
			j := i + 1
			for j < len(ds) && ds[j].iv == ds[i].iv {
				j++
			}
			// A change day's cut may lie outside the range: a run is
			// estimated only within it, and a run that lies wholly
			// outside not at all.
			rf, rt := f.From, f.To
			if i > 0 {
				rf = maxTime(rf, time.UnixMilli(ds[i].start))
			}
			if j < len(ds) {
				rt = minTime(rt, time.UnixMilli(ds[j].start))
			}
			if !rf.Before(rt) {
				i = j
				continue
			}
			kw := readsIn(s.kw, rf, rt)
			if len(kw) == 0 {
				// A run without reads in the range: its grid's phase
				// is that of the meter's reads around it, else its
				// day's start.
				kw = s.all
				if len(kw) == 0 {
					// Options.Interval's one run starts at
					// math.MinInt64: no time to anchor on.
					anchor := time.UnixMilli(ds[i].start)
					if ds[i].start == math.MinInt64 {
						anchor, _ = Day.Bucket(rf, loc)
					}
					kw = []meter.Reading{{Time: anchor}}
				}
			}
			if g := gapsOf(id, kw, ds[i].iv, rf, rt); g != nil {
				gappy = append(gappy, *g)
			}
			i = j
		}
	}
	if len(gappy) > 0 {
		est, err := l.estimate(ctx, f, gappy, budget, func(g *gapMeter, t time.Time, kw float64) {
			if !t.After(f.From) || t.After(f.To) {
				return // a defence: an estimate outside the range would make a row outside it
			}
			if cv := covers[g.id]; cv != nil && covered(cv, t) {
				return
			}
			if cv := kwhEstimated[g.id]; cv != nil && covered(cv, t) {
				return
			}
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

// cover is the span (from, to] (Unix milliseconds) of a meter's kWh reads.
type cover struct{ from, to int64 }

// fineKWh is the longest gap after a meter's previous kWh read for which a
// kWh read is an interval read that covers its interval (daily reads on a
// 25-hour day, and an hour late): a read after a longer gap may hold
// any span since a read the query has not seen.
const fineKWh = 26 * time.Hour

// kwhCovers returns the spans that a meter's kWh reads (sorted by time,
// one per time) cover, sorted and disjoint, and which of the reads are
// fine: at most fineKWh after the previous one. A fine read covers (the
// previous read, its time]: its interval, unless that gap is a lost kWh
// read's (see the loop), when it covers one interval back from its time,
// so that the lost read's interval stays uncovered and its kW reads
// count. Gaps of whole local days compare as days (a 25-hour day's read
// is a daily one). A read that
// is not fine (the first of a channel, the first after lost reads or an
// outage, a read hours late, a weekly or monthly register read) covers
// nothing: its value holds energy since a read the query may not have
// seen (see Energy). Each read's part depends only on the reads within
// 2*fineKWh before it and fineKWh after it.
func kwhCovers(kwh []meter.Reading, loc *time.Location) (out []cover, fine []bool) {
	own, fine := kwhSpans(kwh, loc)
	return mergeCovers(kwh, own, fine), fine
}

// mergeCovers returns the spans that kWh reads (sorted by time) cover,
// sorted and disjoint, from kwhSpans' own and fine.
func mergeCovers(kwh []meter.Reading, own []time.Duration, fine []bool) (out []cover) {
	for i := range kwh {
		if !fine[i] {
			continue
		}
		f, to := kwh[i].Time.Add(-own[i]).UnixMilli(), kwh[i].Time.UnixMilli()
		if k := len(out) - 1; k >= 0 && f <= out[k].to {
			out[k].to = max(out[k].to, to) // overlapping or adjacent
			out[k].from = min(out[k].from, f)
			continue
		}
		out = append(out, cover{f, to})
	}
	return out
}

// kwhSpans returns, for each of a meter's kWh reads (sorted by time, one
// per time), whether it is fine (see kwhCovers) and, if it is, the length
// of the span before its time that it covers: its own interval, the gap
// to the previous read unless that is a lost read's.
func kwhSpans(kwh []meter.Reading, loc *time.Location) (own []time.Duration, fine []bool) {
	// A gap is its length, counted in whole local days where it is that
	// (a 25-hour day's read is a daily one); none if it is not fine.
	none := time.Duration(math.MaxInt64)
	gap := func(i int) time.Duration { // the gap before kwh[i]
		if i <= 0 || i >= len(kwh) {
			return none
		}
		a, b := kwh[i-1].Time, kwh[i].Time
		d := b.Sub(a)
		switch {
		case d > fineKWh:
			return none
		case d < 23*time.Hour:
			return d
		}
		if days := wholeDays(a, b, loc); days > 0 {
			return time.Duration(days) * 24 * time.Hour
		}
		return d
	}
	fine = make([]bool, len(kwh))
	own = make([]time.Duration, len(kwh))
	for i := range kwh {
		t := kwh[i].Time
		g := gap(i)
		if g == none {
			continue
		}
		fine[i] = true
		// The read covers its gap back to the previous read, unless the
		// gap is a lost read's: at least 1.5 times the interval (a read
		// a minute late is none). The interval is the fine gaps' on both
		// sides where they agree (within 1.5 times of each other), or the
		// next gap's where the previous read has none (the second read
		// of a channel); then the read covers that interval back, so that
		// the lost read's interval stays uncovered. With the sides apart
		// (15-minute reads, then daily ones) or only the previous gap
		// known (the latest read), it covers its gap. A lost daily read
		// leaves a gap of two days, which is not fine.
		a, b := gap(i-1), gap(i+1)
		own[i] = t.Sub(kwh[i-1].Time)
		iv := none
		switch {
		case a != none && b != none && max(a, b) < min(a, b)+min(a, b)/2:
			iv = max(a, b)
		case a == none && b != none:
			iv = b
		}
		if iv != none && g >= iv+iv/2 {
			own[i] = iv
		}
	}
	return own, fine
}

// kwhHole is a run of a meter's lost kWh interval reads: the n intervals
// of iv before the one that its next read, at t, covers, (t-(n+1)*iv,
// t-iv], which kwhSpans leaves uncovered.
type kwhHole struct {
	t  time.Time
	iv time.Duration
	n  int
}

// first returns the start of the hole's first interval, end the end of
// its last.
func (h kwhHole) first() time.Time { return h.t.Add(-time.Duration(h.n+1) * h.iv) }
func (h kwhHole) end() time.Time   { return h.t.Add(-h.iv) }

// kwhHoles returns the holes of a meter's kWh reads (sorted by time, one
// per time; own and fine from kwhSpans) with an interval in (from, to],
// in time order: the gaps of a fine read that covers less than its gap
// (a lost read's, see kwhSpans), counted in whole intervals (to the
// nearest, halves down: the reads around may be a minute or two off the
// grid). A read after a longer gap is not fine: it may hold the gap's
// energy (a register or daily read that counts whole), which is not
// estimated.
func kwhHoles(kwh []meter.Reading, own []time.Duration, fine []bool, from, to time.Time) []kwhHole {
	var out []kwhHole
	for i := 1; i < len(kwh); i++ {
		t := kwh[i].Time
		g := t.Sub(kwh[i-1].Time)
		if !fine[i] || own[i] <= 0 || own[i] >= g {
			continue
		}
		iv := own[i]
		h := kwhHole{t: t, iv: iv, n: int((g - iv + iv/2 - 1) / iv)}
		if h.n > 0 && h.first().Before(to) && h.end().After(from) {
			out = append(out, h)
		}
	}
	return out
}

// kwhEstimate is an estimated kWh interval read: the energy of (t-iv, t],
// in the hole that ends at end.
type kwhEstimate struct {
	t, end time.Time
	iv     time.Duration
	kwh    float64
}

// estimateKWh estimates the intervals of the meters' holes with package
// vee, each hole on the grid of its interval that ends at the read after
// it, from Estimate.History() before it: known are the meters' kWh reads
// of the range and of kwhContext's spans around it, to which it adds
// those before, read in one scan. A slot holds the value of the kWh read
// that ends there if that is an interval read of the hole's interval
// (kwhSpans: one that covers just that), else it is missing; the read
// after the hole closes it. The estimates of each meter are in time
// order, those outside the range included.
func (l *Lake) estimateKWh(ctx context.Context, f Filter, holes map[string][]kwhHole, known map[string][]meter.Reading, budget *atomic.Int64) (map[string][]kwhEstimate, Stats, error) {
	opts := *f.Estimate
	if opts.Location == nil {
		opts.Location = l.opts.Location
	}
	hist := opts.History()
	ids := slices.Sorted(maps.Keys(holes))
	scanIDs := ids
	if len(ids) > maxListedMeters {
		scanIDs = f.MeterIDs
	}
	// A hole that reaches into the range starts less than fineKWh
	// before From, its history hist and an interval (under fineKWh)
	// before that, and whether a read of the history is an interval read
	// depends on the 2*fineKWh before it: 5*fineKWh is enough.
	// kwhContext read the 2*fineKWh before From already.
	sp := span{f.From.Add(-hist - 5*fineKWh), f.From.Add(-2 * fineKWh)}
	reads := make(map[string][]meter.Reading, len(ids))
	st, err := l.scanSpansOf(ctx, scanIDs, []span{sp}, budget, []meter.Type{meter.TypeKWh}, func(rs []meter.Reading) error {
		for _, r := range rs {
			if holes[r.MeterID] != nil {
				reads[r.MeterID] = append(reads[r.MeterID], r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, st, err
	}
	out := make(map[string][]kwhEstimate, len(ids))
	var v []float64
	for _, id := range ids {
		rs := append(reads[id], known[id]...)
		sortByTime(rs)
		rs = dedup(rs)
		own, fine := kwhSpans(rs, l.opts.Location)
		for _, h := range holes[id] {
			// v: the history's slots, the read before the hole's, the
			// hole's and the read after it's.
			back := int((hist + h.iv - 1) / h.iv)
			start := h.t.Add(-time.Duration(back+h.n+1) * h.iv)
			v = slices.Grow(v[:0], back+h.n+2)[:back+h.n+2]
			for k := range v {
				v[k] = math.NaN()
			}
			for i := sort.Search(len(rs), func(i int) bool { return !rs[i].Time.Before(start) }); i < len(rs) && !rs[i].Time.After(h.t); i++ {
				d := rs[i].Time.Sub(start)
				if fine[i] && own[i] == h.iv && d%h.iv == 0 {
					v[d/h.iv] = rs[i].Value
				}
			}
			from := back + 1
			for k, m := range vee.Estimate(v, from, start, h.iv, &opts)[:h.n] {
				if m == vee.Linear || m == vee.LikeDay {
					out[id] = append(out[id], kwhEstimate{t: start.Add(time.Duration(from+k) * h.iv), end: h.end(), iv: h.iv, kwh: v[from+k]})
				}
			}
		}
	}
	return out, st, nil
}

// hasReadIn says whether rs (sorted by time) hold a read stamped in
// (from, to].
func hasReadIn(rs []meter.Reading, from, to time.Time) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].Time.After(from) })
	return i < len(rs) && !rs[i].Time.After(to)
}

// wholeDays returns the number of local days from a to b if b is a's
// local time of day that many days later, else 0.
func wholeDays(a, b time.Time, loc *time.Location) int {
	la, lb := a.In(loc), b.In(loc)
	ha, ma, sa := la.Clock()
	hb, mb, sb := lb.Clock()
	if ha != hb || ma != mb || sa != sb || la.Nanosecond() != lb.Nanosecond() {
		return 0
	}
	ya, mo, da := la.Date()
	yb, mob, db := lb.Date()
	return int(time.Date(yb, mob, db, 0, 0, 0, 0, time.UTC).Sub(time.Date(ya, mo, da, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
}

// coversAll says whether cs cover all of (from, to].
func coversAll(cs []cover, from, to time.Time) bool {
	f, t := from.UnixMilli(), to.UnixMilli()
	i := sort.Search(len(cs), func(i int) bool { return cs[i].to >= t })
	return i < len(cs) && cs[i].from <= f
}

// covered says whether t lies in one of cs (see kwhCovers).
func covered(cs []cover, t time.Time) bool {
	ms := t.UnixMilli()
	i := sort.Search(len(cs), func(i int) bool { return cs[i].to >= ms })
	return i < len(cs) && cs[i].from < ms
}

// dedup collapses the reads of rs (one meter and type, sorted by time)
// stamped at one time, as reloads leave them before compaction, keeping
// the one of the larger value: partition.Dedup keeps the latest arrival
// first, but Energy scans values only (partition.Filter.ValuesOnly),
// without arrivals, so its choice is the one Dedup makes between reads of
// one arrival. Reads that differ only in arrival count once either way.
func dedup(rs []meter.Reading) []meter.Reading {
	k := 0
	for i := range rs {
		if k > 0 && rs[i].Time.Equal(rs[k-1].Time) {
			if rs[i].Value > rs[k-1].Value {
				rs[k-1] = rs[i]
			}
			continue
		}
		rs[k] = rs[i]
		k++
	}
	clear(rs[k:])
	return rs[:k]
}

// kwhContext reads, alongside the range, the kWh reads just around it:
// those of 2*fineKWh before From and after To. Whether a kWh read of the
// range is fine depends on the read within fineKWh before it; whether a
// kW read of the range is covered, on the fine reads up to fineKWh after
// it (a kWh read just after To covers kW reads before it), and so on the
// reads up to 2*fineKWh before and after it (kwhCovers).
type kwhContext struct {
	wg        sync.WaitGroup
	pre, post span
	reads     map[string][]meter.Reading // by meter, sorted later
	st        Stats
	err       error
}

func (c *kwhContext) start(ctx context.Context, cancel func(), l *Lake, f Filter, budget *atomic.Int64) {
	c.pre = span{f.From.Add(-2 * fineKWh), f.From}
	c.post = span{f.To, f.To.Add(2 * fineKWh)}
	c.reads = make(map[string][]meter.Reading)
	c.wg.Go(func() {
		c.st, c.err = l.scanSpansOf(ctx, f.MeterIDs, []span{c.pre, c.post}, budget, []meter.Type{meter.TypeKWh}, c.collect)
		if c.err != nil {
			cancel()
		}
	})
}

func (c *kwhContext) collect(rs []meter.Reading) error {
	for _, r := range rs {
		c.reads[r.MeterID] = append(c.reads[r.MeterID], r)
	}
	return nil
}

// series is one meter's reads for Energy.
type series struct {
	// kw and kwh are the reads in the range (kwh also kwh_export).
	kw, kwh []meter.Reading
	// all are the kW reads known of the range's days, sorted by time: those
	// of the range and of the first and last edgeWindow of its first and
	// last days, and, for the meters marked whole, the rest of those days.
	// near are kW reads of the days around a day whose reads do not tell
	// its interval, for the meters marked need.
	all, near   []meter.Reading
	need, whole bool
}

// dayInterval is the interval of a meter's kW reads stamped in (start,
// end] (Unix milliseconds): one local day, or the part of it before or
// after the meter changed interval.
type dayInterval struct {
	start, end int64
	iv         time.Duration
}

// Interval inference: a day's own reads tell its interval when they hold
// minDayGaps gaps of it (four reads in step), which a couple of reads
// that happen to lie some intervals apart do not; other days take the
// interval of the windowDays days either side of them as well. A day's
// first and last edgeReads reads tell its interval when they agree (one
// lost read among them still leaves minDayGaps gaps in step); reading the
// first and last edgeWindow of a day the range cuts finds them for meters
// of 30 minutes or less, so that the rest of the day is read only for the
// meters whose interval those reads do not settle.
const (
	minDayGaps   = 3
	windowDays   = 3
	edgeReads    = 5
	maxEdgeReads = 12
	confirmGaps  = 12
	confirmSpan  = 6 * time.Hour
	edgeWindow   = 3 * time.Hour
)

// span is the reads stamped in (from, to].
type span struct{ from, to time.Time }

func (s span) empty() bool { return !s.from.Before(s.to) }

func (s span) and(o span) span { return span{maxTime(s.from, o.from), minTime(s.to, o.to)} }

// edgeSpans returns the parts of the range's first and last local days
// outside the range (pre and post; empty if the range holds the whole
// day), and the windows of those parts that tell the days' intervals:
// their first and last edgeWindow.
func edgeSpans(f Filter, loc *time.Location) (pre, post span, windows []span) {
	first, last := dayBounds(f, loc)
	_, firstEnd := Day.Bucket(first, loc)
	lastStart, _ := Day.Bucket(last.Add(-time.Millisecond), loc)
	pre, post = span{first, f.From}, span{f.To, last}
	for _, w := range []span{
		pre.and(span{first, first.Add(edgeWindow)}), pre.and(span{firstEnd.Add(-edgeWindow), firstEnd}),
		post.and(span{lastStart, lastStart.Add(edgeWindow)}), post.and(span{last.Add(-edgeWindow), last}),
	} {
		if w.empty() {
			continue
		}
		if n := len(windows); n > 0 && !windows[n-1].to.Before(w.from) {
			windows[n-1].to = maxTime(windows[n-1].to, w.to) // adjacent or overlapping: one scan
			continue
		}
		windows = append(windows, w)
	}
	return pre, post, windows
}

// edgeScan reads, alongside the range, the kW reads of the windows of the
// range's first and last local days that tell those days' intervals (see
// edgeSpans).
type edgeScan struct {
	wg    sync.WaitGroup
	reads map[string][]meter.Reading // by meter
	st    Stats
	err   error
}

// start starts the scan, unless the range is whole days; cancel is called
// if it fails.
func (e *edgeScan) start(ctx context.Context, cancel func(), l *Lake, f Filter, budget *atomic.Int64) {
	_, _, windows := edgeSpans(f, l.opts.Location)
	if len(windows) == 0 {
		return
	}
	e.reads = make(map[string][]meter.Reading)
	e.wg.Go(func() {
		e.st, e.err = l.scanSpans(ctx, f.MeterIDs, windows, budget, func(rs []meter.Reading) error {
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
// intervals of each local day of the range that holds its kW reads, in
// time order (two for a day the meter changed interval). A day's intervals
// come from the meter's kW reads of that day (see dayIntervals): those of
// the range, and edges, the meter's kW reads of the windows of the range's
// first and last days (edgeSpans); inferIntervals reads the rest of those
// days for the meters whose windows do not settle them, and the days
// around a day whose reads do not tell its interval. So a day's interval
// is the same whatever range holds it.
func (l *Lake) inferIntervals(ctx context.Context, f Filter, byMeter map[string]*series, ids []string, edges map[string][]meter.Reading, budget *atomic.Int64) (map[string][]dayInterval, Stats, error) {
	loc := l.opts.Location
	first, last := dayBounds(f, loc)
	pre, post, windows := edgeSpans(f, loc)
	var st Stats
	var counts gapCounts
	// days returns the meter's day intervals, and false if some day the
	// range cuts needs its reads outside the windows.
	days := func(s *series) ([]dayInterval, bool) {
		var ds []dayInterval
		for i := 0; i < len(s.all); {
			start, end := Day.Bucket(s.all[i].Time.Add(-time.Millisecond), loc)
			j := i + 1
			for j < len(s.all) && !s.all[j].Time.After(end) {
				j++
			}
			day := s.all[i:j]
			i = j
			if f.Estimate == nil && len(readsIn(day, f.From, f.To)) == 0 {
				continue // an edge day's reads of a meter without reads in the range's part of it
			}
			whole := s.whole || !(start.Equal(first) && !pre.empty()) && !(end.Equal(last) && !post.empty())
			dis, ok := counts.dayIntervals(day, start, end, whole)
			if !ok {
				return nil, false
			}
			ds = append(ds, dis...)
		}
		if f.Estimate != nil {
			ds = withEmptyDays(ds, first, last, loc)
		}
		return ds, true
	}
	out := make(map[string][]dayInterval, len(ids))
	var partial []string // meters that need the rest of the edge days
	for _, id := range ids {
		s := byMeter[id]
		s.all = withNear(edges[id], s.kw)
		ds, ok := days(s)
		// A meter with a day to take from the days around must have its
		// edge days whole too: they may be among those days.
		if !ok || len(windows) > 0 && slices.ContainsFunc(ds, func(d dayInterval) bool { return d.iv == 0 }) {
			partial = append(partial, id)
			continue
		}
		out[id] = ds
	}
	if len(partial) > 0 {
		var rest []span
		for _, sp := range []span{pre, post} {
			if !sp.empty() {
				rest = append(rest, sp) // the windows again too: simpler than cutting them out, and these meters are few
			}
		}
		scanIDs := partial
		if len(f.MeterIDs) == 0 && len(partial) > maxListedMeters {
			scanIDs = nil // all meters: cheaper than a long list
		}
		wanted := make(map[string]bool, len(partial))
		for _, id := range partial {
			wanted[id] = true
			byMeter[id].near = nil
		}
		rst, err := l.scanSpans(ctx, scanIDs, rest, budget, func(rs []meter.Reading) error {
			for _, r := range rs {
				if wanted[r.MeterID] {
					byMeter[r.MeterID].near = append(byMeter[r.MeterID].near, r)
				}
			}
			return nil
		})
		st.Add(rst)
		if err != nil {
			return nil, st, err
		}
		for _, id := range partial {
			s := byMeter[id]
			s.all, s.near, s.whole = withNear(s.near, s.kw), nil, true
			out[id], _ = days(s)
		}
	}

	votes := make(map[time.Duration]int)
	type pending struct {
		id string
		i  int // in out[id]
	}
	var undecided []pending
	for _, id := range ids {
		for i, d := range out[id] {
			if d.iv == 0 {
				undecided = append(undecided, pending{id, i})
			} else {
				votes[d.iv]++
			}
		}
	}
	if len(undecided) > 0 {
		wins := make([]span, len(undecided))
		lo, hi := first, last
		var wids []string
		for k, u := range undecided {
			y, m, d := time.UnixMilli(out[u.id][u.i].start).In(loc).Date()
			w := span{meter.StartOfDay(y, m, d-windowDays, loc), meter.StartOfDay(y, m, d+windowDays+1, loc)}
			wins[k] = w
			lo, hi = minTime(lo, w.from), maxTime(hi, w.to)
			if s := byMeter[u.id]; !s.need {
				s.need = true
				wids = append(wids, u.id)
			}
		}
		slices.Sort(wids)
		wst, err := l.scanSpans(ctx, wids, []span{{lo, first}, {last, hi}}, budget, func(rs []meter.Reading) error {
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

// withEmptyDays returns ds with an entry of interval 0 (to be inferred
// from the days around, as a sparse day's) for each local day of [first,
// last) that it lacks: with Estimate, a day without reads is estimated
// on its own grid.
func withEmptyDays(ds []dayInterval, first, last time.Time, loc *time.Location) []dayInterval {
	var out []dayInterval
	i := 0
	for d := first; d.Before(last); {
		_, end := Day.Bucket(d, loc)
		ms, ems := d.UnixMilli(), end.UnixMilli()
		if i < len(ds) && ds[i].start < ems {
			for i < len(ds) && ds[i].start < ems {
				out = append(out, ds[i])
				i++
			}
		} else {
			out = append(out, dayInterval{start: ms, end: ems})
		}
		d = end
	}
	return append(out, ds[i:]...)
}

// maxListedMeters bounds the meters a scan names; more are scanned as all
// meters and filtered, which prunes less but does not test each row group
// against a long list.
const maxListedMeters = 64

// dayIntervals returns the intervals of a meter's kW reads of the local
// day (start, end], sorted by time; whole says whether they are all the
// day's reads, else they are those of its first and last edgeWindow and
// maybe more. The day's first and last edgeReads reads tell its interval
// when both do and agree; when both do and disagree the meter changed
// interval that day, and the day is cut where the gaps of the one give
// way to those of the other. Else all the day's reads tell it, and an
// interval of 0 says that they do not either. ok is false if whole is
// false and the reads known do not settle the day.
func (c *gapCounts) dayIntervals(day []meter.Reading, start, end time.Time, whole bool) (_ []dayInterval, ok bool) {
	var head, tail []meter.Reading
	if whole {
		head, tail = day[:min(maxEdgeReads, len(day))], day[max(0, len(day)-maxEdgeReads):]
	} else {
		// The day's first reads are known as far as its first window
		// holds them, and likewise its last.
		head, tail = readsIn(day, start, start.Add(edgeWindow)), readsIn(day, end.Add(-edgeWindow), end)
		if len(head) < edgeReads || len(tail) < edgeReads {
			return nil, false
		}
	}
	// told returns the interval of the first (or last) edgeReads reads of
	// rs, widened a read at a time up to maxEdgeReads until they hold
	// minDayGaps gaps of one interval: two lost reads among the first five
	// leave fewer, and the whole day's reads would weight the reads of a
	// change day's other side at the wrong interval.
	told := func(rs []meter.Reading, last bool) time.Duration {
		for k := edgeReads; k <= min(maxEdgeReads, len(rs)); k++ {
			w := rs[:k]
			if last {
				w = rs[len(rs)-k:]
			}
			if iv, n := c.infer(w); n >= minDayGaps {
				return iv
			}
		}
		return 0
	}
	a, b := told(head, false), told(tail, true)
	d := dayInterval{start: start.UnixMilli(), end: end.UnixMilli(), iv: a}
	switch {
	case a > 0 && a == b:
		return []dayInterval{d}, true
	case !whole:
		return nil, false
	case a > 0 && b > 0:
		k := changeAt(day, a, b)
		if coarse, fine := max(a, b), min(a, b); coarse%fine == 0 {
			// Reads lost at a day's edge (every other one of its last
			// hours) look like gaps of a multiple of the interval: the
			// coarser side counts only if it holds confirmGaps gaps of
			// its interval or spans confirmSpan (a regular loss that
			// long is implausible), else its reads are the finer
			// interval's with some lost, which stay missing (or are
			// estimated and flagged) rather than each counting for the
			// lost ones. Lost reads cannot make gaps shorter: the finer
			// side is the meter's.
			side := day[:k+1]
			if coarse == b {
				side = day[k:]
			}
			if n := countGaps(side, coarse); n < confirmGaps && time.Duration(n)*coarse < confirmSpan {
				d.iv = fine
				return []dayInterval{d}, true
			}
		}
		cut := day[k].Time.UnixMilli()
		return []dayInterval{{d.start, cut, a}, {cut, d.end, b}}, true
	}
	if iv, n := c.infer(day); n >= minDayGaps {
		d.iv = iv
	} else {
		d.iv = 0
	}
	return []dayInterval{d}, true
}

// countGaps returns the number of gaps of iv between rs's reads.
func countGaps(rs []meter.Reading, iv time.Duration) int {
	n := 0
	for i := 1; i < len(rs); i++ {
		if rs[i].Time.Sub(rs[i-1].Time) == iv {
			n++
		}
	}
	return n
}

// changeAt returns the index of the last read at interval a of a day
// (sorted) whose reads went from interval a to b: the cut that leaves the
// most gaps of a before it and of b after it, the earliest of equals (a
// read lost at the change leaves a gap of neither; the reads after it are
// b's).
func changeAt(day []meter.Reading, a, b time.Duration) int {
	after := 0
	for i := 1; i < len(day); i++ {
		if day[i].Time.Sub(day[i-1].Time) == b {
			after++
		}
	}
	best, k, before := -1, 0, 0
	for i := range day {
		if i > 0 {
			switch day[i].Time.Sub(day[i-1].Time) {
			case a:
				before++
			case b:
				after--
			}
		}
		if before+after > best {
			best, k = before+after, i
		}
	}
	return k
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

// scanSpans calls fn with the kW reads of the meters ids (nil: all) of
// each of spans, counted in budget. An empty span is not scanned.
func (l *Lake) scanSpans(ctx context.Context, ids []string, spans []span, budget *atomic.Int64, fn func([]meter.Reading) error) (Stats, error) {
	return l.scanSpansOf(ctx, ids, spans, budget, []meter.Type{meter.TypeKW}, fn)
}

// scanSpansOf is scanSpans for the reads of types.
func (l *Lake) scanSpansOf(ctx context.Context, ids []string, spans []span, budget *atomic.Int64, types []meter.Type, fn func([]meter.Reading) error) (Stats, error) {
	var st Stats
	for _, sp := range spans {
		if sp.empty() {
			continue
		}
		pf := endFilter(Filter{MeterIDs: ids, From: sp.from, To: sp.to}, types...)
		s, err := l.scanCounted(ctx, &pf, budget, fn)
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
	// from is the start of the meter's run of days of interval iv: its
	// reads before may be of a longer interval.
	from time.Time
}

// slot returns the grid slot nearest to t, and floor and the first slot
// after t for range ends.
func (g *gapMeter) slot(t time.Time) int {
	return int(math.Round(float64(t.Sub(g.anchor)) / float64(g.iv)))
}

// slotOf returns the slot whose interval (slot - iv, slot] holds t.
func (g *gapMeter) slotOf(t time.Time) int {
	d := t.Sub(g.anchor)
	k := int(d / g.iv)
	if d%g.iv > 0 {
		k++ // ceiling; negative d truncates up already
	}
	return k
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
	g := &gapMeter{id: id, anchor: anchor, iv: iv, from: from}
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
func (l *Lake) estimate(ctx context.Context, f Filter, gappy []gapMeter, budget *atomic.Int64, est func(g *gapMeter, t time.Time, kw float64)) (Stats, error) {
	opts := *f.Estimate
	if opts.Location == nil {
		opts.Location = l.opts.Location
	}
	maxGap := cmp.Or(opts.MaxGap, vee.DefaultMaxGap)
	ids := make([]string, 0, len(gappy))
	for _, g := range gappy {
		if len(ids) == 0 || ids[len(ids)-1] != g.id { // a meter's runs are together
			ids = append(ids, g.id)
		}
	}
	from, to := f.From.Add(-opts.History()), f.To.Add(maxGap)
	reads := make(map[string][]meter.Reading, len(gappy))
	hf := endFilter(Filter{MeterIDs: ids, From: from, To: to}, meter.TypeKW)
	st, err := l.scanCounted(ctx, &hf, budget, func(rs []meter.Reading) error {
		for _, r := range rs {
			reads[r.MeterID] = append(reads[r.MeterID], r)
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	for id, rs := range reads {
		sortByTime(rs)
		reads[id] = dedup(rs)
	}
	for i := range gappy {
		g := &gappy[i]
		lo, hi := g.firstAfter(from), g.firstAfter(to)-1
		values := make([]float64, hi-lo+1)
		for k := range values {
			values[k] = math.NaN()
		}
		n := make([]int, len(values)) // the reads averaged in each slot
		rs := reads[g.id]
		for q, r := range rs {
			// A slot is the mean power of the reads that end in it,
			// (slot - iv, slot]: finer reads before the run (15-minute
			// ones before 30-minute ones) are averaged, not sampled,
			// so that like-day history keeps their energy.
			k := g.slotOf(r.Time) - lo
			if k >= 0 && k < len(values) {
				n[k]++
				if n[k] == 1 {
					values[k] = r.Value
				} else {
					values[k] += (r.Value - values[k]) / float64(n[k])
				}
			}
			// A read before the run, of a longer interval that is a
			// multiple of the run's (30-minute reads before 15-minute
			// ones), is the mean power of each of the run's slots it
			// covers: without it the like-day history of the slots
			// between its reads would be missing. A gap repeated is an
			// interval, one alone a lost read, which stays missing.
			if q < 2 || r.Time.After(g.from) {
				continue
			}
			gap := r.Time.Sub(rs[q-1].Time)
			if gap <= g.iv || gap%g.iv != 0 || rs[q-1].Time.Sub(rs[q-2].Time) != gap {
				continue
			}
			for c := k - 1; c > k-int(gap/g.iv) && c >= 0; c-- {
				if c < len(values) && math.IsNaN(values[c]) {
					values[c] = r.Value
				}
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
