package simulator

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// FaultKind is what a meter fault does to the meter's measurements.
type FaultKind int

// Fault kinds. Each alters the load side of a line (kw, kva, crrnt; and
// pf for a stuck register) and leaves the supply (vltg) live: the meter
// is powered, its measurement is wrong. An outage (Outage, WithOutages)
// is the other case, a dead supply.
const (
	// FaultStuck freezes the measurements at their values at the fault's
	// first timestamp: a stuck register, or a head-end system repeating
	// the last value it got.
	FaultStuck FaultKind = iota + 1
	// FaultZero reads no load: a broken current transformer, or a meter
	// bypassed altogether.
	FaultZero
	// FaultScale multiplies the load by Factor: a wrong multiplier or
	// current-transformer ratio (Factor > 1: reads counted twice is 2), or
	// a partial bypass, the classic theft (Factor < 1).
	FaultScale
)

func (k FaultKind) String() string {
	switch k {
	case FaultStuck:
		return "stuck"
	case FaultZero:
		return "zero"
	case FaultScale:
		return "scale"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault is a meter fault to inject (Options.Faults): meter MeterID reads
// wrongly at the timestamps in [Start, End). The truth (TruthReads) carries
// the fault too, since it is what the head-end system delivers: the faults
// are there to be found by anomaly detection, not to be repaired by ingest.
type Fault struct {
	MeterID    string
	Kind       FaultKind
	Start, End time.Time
	// Factor multiplies the load under FaultScale; it must be positive.
	Factor float64
}

// meterFault is a Fault resolved to a meter index and milliseconds.
type meterFault struct {
	from, to int64 // ms, [from, to)
	kind     FaultKind
	factor   float64
}

// resolveFaults validates the faults and indexes them by meter; ids are
// the generator's meter ids.
func resolveFaults(faults []Fault, ids []string, from, to time.Time) (map[int][]meterFault, error) {
	if len(faults) == 0 {
		return nil, nil
	}
	index := make(map[string]int, len(ids))
	for m, id := range ids {
		index[id] = m
	}
	out := make(map[int][]meterFault)
	for k, f := range faults {
		m, ok := index[f.MeterID]
		switch {
		case !ok:
			return nil, badOption("fault %d: meter %q is not one of the generated meters", k, f.MeterID)
		case f.Kind != FaultStuck && f.Kind != FaultZero && f.Kind != FaultScale:
			return nil, badOption("fault %d (%s): unknown kind %d", k, f.MeterID, int(f.Kind))
		case !f.End.After(f.Start):
			return nil, badOption("fault %d (%s): end %v is not after start %v", k, f.MeterID, f.End, f.Start)
		case f.Kind == FaultScale && !(f.Factor > 0 && !math.IsInf(f.Factor, 1)):
			return nil, badOption("fault %d (%s): scale factor %v is not positive", k, f.MeterID, f.Factor)
		case !f.End.After(from) || !f.Start.Before(to):
			return nil, badOption("fault %d (%s): [%v, %v) is outside the window [%v, %v)", k, f.MeterID, f.Start, f.End, from, to)
		}
		out[m] = append(out[m], meterFault{from: msCeil(f.Start), to: msCeil(f.End), kind: f.Kind, factor: f.Factor})
	}
	for m, fs := range out {
		slices.SortFunc(fs, func(a, b meterFault) int { return cmp.Compare(a.from, b.from) })
		for i := 1; i < len(fs); i++ {
			if fs[i].from < fs[i-1].to {
				return nil, badOption("faults of meter %s overlap", ids[m])
			}
		}
	}
	return out, nil
}

// applyFault alters meter m's values at ms by its fault there, if any;
// stuck holds the values a stuck register repeats.
func (g *Generator) applyFault(m int, ms int64, v *values, stuck *stuckState) {
	fs := g.faults[m]
	if fs == nil {
		return
	}
	i, _ := slices.BinarySearchFunc(fs, ms, func(f meterFault, ms int64) int {
		if f.to <= ms {
			return -1
		}
		if f.from > ms {
			return 1
		}
		return 0
	})
	if i == len(fs) || ms < fs[i].from || ms >= fs[i].to {
		return
	}
	f := fs[i]
	switch f.kind {
	case FaultStuck:
		if !stuck.set || stuck.from != f.from {
			stuck.set, stuck.from, stuck.v = true, f.from, *v
		}
		v.kw, v.kva, v.pf = stuck.v.kw, stuck.v.kva, stuck.v.pf
		v.current = 0
		if v.voltage > 0 {
			v.current = round3(v.kva * 1000 / v.voltage)
		}
	case FaultZero:
		v.kw, v.kva, v.current = 0, 0, 0
	case FaultScale:
		v.kw, v.kva, v.current = round3(v.kw*f.factor), round3(v.kva*f.factor), round3(v.current*f.factor)
	}
}

// stuckState is the frozen values of a meter's current stuck fault.
type stuckState struct {
	set  bool
	from int64 // the fault's start
	v    values
}

// DropDays is how long before the window's end SampleFaults starts its
// bypass where it can: forecast.DetectOptions.DropMinDays' default.
const DropDays = 28

// SampleFaults returns n faults on distinct meters of the generator that
// opts describe (nil: the defaults), drawn from opts.Seed, for demos and
// tests of anomaly detection. The kinds come in turn: stuck and zero for 6
// to 48 hours, a whole UTC day doubled (reads counted twice), and a
// bypass that halves the load from its start to the end of the window,
// which starts at least DropDays before the window's end and a week after
// the others' earliest start where the window allows (60 days or more: a
// detector confirms a sustained drop DropDays after it starts, against
// the level of the days before it).
// Each starts at a midnight (UTC) after the first 14 whole days, the
// history a detector needs, or, in a window of less than 17 days, at the
// first midnight of its second half, or later; all but the bypass end a
// day before the window does, so that a detector sees them end. The
// window must hold two whole days after that start, and n at most the
// number of meters.
func SampleFaults(opts *Options, n int) ([]Fault, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if n < 0 || n > o.Meters {
		return nil, badOption("%d faults for %d meters", n, o.Meters)
	}
	r := rand.New(rand.NewPCG(hash4(uint64(o.Seed), domFault, 0, 0), hash4(uint64(o.Seed), domFault, 0, 1)))
	meters := r.Perm(o.Meters)[:n]
	slices.Sort(meters)
	const day = 24 * time.Hour
	ceilDay := func(t time.Time) time.Time {
		if d := t.Truncate(day); d.Before(t) {
			return d.Add(day)
		}
		return t
	}
	end := o.Start.Add(time.Duration(o.Days) * day)
	lo := ceilDay(o.Start).Add(14 * day) // after 14 whole days
	if lo.Add(3 * day).After(end) {
		lo = ceilDay(o.Start.Add(end.Sub(o.Start) / 2))
	}
	last := end.Add(-day) // the faults but the bypass end by then
	if lo.Add(day).After(last) {
		return nil, badOption("a window of %d days from %v is too short to sample faults in", o.Days, o.Start)
	}
	days := int(last.Sub(lo) / day) // midnights a whole day can start at
	out := make([]Fault, n)
	for k, m := range meters {
		f := Fault{MeterID: MeterID(o.FirstMeter + m), Kind: []FaultKind{FaultStuck, FaultZero, FaultScale, FaultScale}[k%4]}
		f.Start = lo.Add(time.Duration(r.IntN(days)) * day)
		switch k % 4 {
		case 0, 1:
			f.Start = f.Start.Add(time.Duration(r.IntN(24)) * time.Hour)
			f.End = f.Start.Add(time.Duration(6+r.IntN(43)) * time.Hour)
		case 2:
			f.End, f.Factor = f.Start.Add(day), 2
		case 3:
			f.End, f.Factor = end, 0.5
			// A sustained drop is confirmed DropDays after it starts,
			// against a level of the week of scored days before it: the
			// bypass starts in that span where the window allows (60
			// days or more), else as early as it can. The same draw
			// places it, so the other faults do not move.
			first := lo.Add(7 * day)
			if !first.Add(DropDays * day).Before(end) {
				first = lo
			}
			if span := int(end.Add(-DropDays*day).Sub(first)/day) + 1; span > 0 {
				f.Start = first.Add(time.Duration(int(f.Start.Sub(lo)/day)%span) * day)
			} else {
				f.Start = lo
			}
		}
		if f.Kind != FaultScale || f.Factor > 1 {
			f.End = minTime(f.End, last)
		}
		out[k] = f
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
