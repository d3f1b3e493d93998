package simulator

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/openmda/mda/meter"
)

// MeasureName is the measure_name of every line, as in the guidance.
const MeasureName = "readings"

// Generator generates one data set. It is immutable after New, and its
// methods may be called concurrently; each call of Lines, WriteCSV or
// TruthReads generates the data afresh, identically.
type Generator struct {
	opts    Options
	climate Climate
	seed    uint64
	vn      float64 // nominal voltage, V
	ids     []string
	hh      []household
	slots   []slot
	weather *weather

	// Activity and occupancy tables, [dayType][tableSlot][meter], so that
	// one timestamp reads one contiguous row.
	tableSlots int
	act, occ   []float32

	// firstMS is the time of the first read: the end of the first
	// interval, Start+Interval.
	firstMS, intervalMS, lateMS, maxDelayMS int64
	dtMin, dtH                              float64
	faults                                  map[int][]meterFault // by meter index
	late, dup, bad                          float64
	buckets                                 int // arrival buckets in flight

	// AR(1) coefficients per interval: innovation = sd*N(0,1).
	phiX, sdX float64 // activity, log scale
	phiB, sdB float64 // base load and heating
	phiP, sdP float64 // power factor
	phiV, sdV float64 // voltage
}

// slot is what every meter shares at one timestamp.
type slot struct {
	t        time.Time
	ms       int64
	row      int   // offset of the timestamp's row in act and occ
	localMin int32 // local minute of the day
	newDay   bool  // first timestamp of a local day
	temp     float64
	dark     float64 // 1 at night
	area     float64 // area load index, ~0.3 at night to ~1 at the evening peak
	grid     float64 // relative voltage set point offset of the grid
}

// New returns a generator for opts (nil means the defaults).
func New(opts *Options) (*Generator, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &Generator{opts: o, climate: *o.Climate, seed: uint64(o.Seed), vn: o.NominalVoltage}
	n := o.Meters
	perDay := int(24 * time.Hour / o.Interval)
	nT := o.Days * perDay
	g.intervalMS = o.Interval.Milliseconds()
	g.firstMS = o.Start.UnixMilli() + g.intervalMS
	g.lateMS = o.LateOffset.Milliseconds()
	g.maxDelayMS = min(5*60*1000, g.intervalMS/2)
	g.dtMin = o.Interval.Minutes()
	g.dtH = o.Interval.Hours()
	g.late, g.dup, g.bad = o.LateFraction, o.DuplicateFraction, o.BadFraction
	span := (g.lateMS+max(g.maxDelayMS, 0)+maxDupDelayMS)/g.intervalMS + 2
	g.buckets = int(min(span, int64(max(nT, 1))))

	ar := func(tau time.Duration, sigma float64) (phi, sd float64) {
		phi = math.Exp(-float64(o.Interval) / float64(tau))
		return phi, sigma * math.Sqrt(1-phi*phi)
	}
	g.phiX, g.sdX = ar(time.Hour, 0.3)
	g.phiB, g.sdB = ar(3*time.Hour, 1)
	g.phiP, g.sdP = ar(2*time.Hour, 1)
	g.phiV, g.sdV = ar(30*time.Minute, 1)

	endMS := o.Start.UnixMilli() + int64(nT)*g.intervalMS // the last read
	g.weather = newWeather(g.seed, &g.climate, floorDiv(g.firstMS, msPerHour)-1, floorDiv(endMS, msPerHour)+1)

	g.ids = make([]string, n)
	g.hh = make([]household, n)
	for m := range n {
		i := o.FirstMeter + m
		g.ids[m] = MeterID(i)
		g.hh[m] = g.newHousehold(i)
	}
	if g.faults, err = resolveFaults(o.Faults, g.ids, o.Start, o.Start.Add(time.Duration(nT)*o.Interval)); err != nil {
		return nil, err
	}

	g.tableSlots = min(perDay, 288)
	ts := g.tableSlots
	g.act = make([]float32, 2*ts*n)
	g.occ = make([]float32, 2*ts*n)
	for m := range g.hh {
		h := &g.hh[m]
		for d := range h.habits {
			for j := range ts {
				a, oc := h.habits[d].shape(float64(j) * 24 / float64(ts))
				idx := (d*ts+j)*n + m
				g.act[idx] = float32(a * h.level)
				g.occ[idx] = float32(oc)
			}
		}
	}

	g.slots = make([]slot, nT)
	lat := g.climate.LatitudeDeg
	var prevY, prevD int
	for k := range g.slots {
		s := &g.slots[k]
		s.ms = g.firstMS + int64(k)*g.intervalMS
		s.t = time.UnixMilli(s.ms).UTC()
		lt := s.t.In(o.Location)
		sec := lt.Hour()*3600 + lt.Minute()*60 + lt.Second()
		lh := float64(sec) / 3600
		s.localMin = int32(sec / 60)
		weekend := 0
		if wd := lt.Weekday(); wd == time.Saturday || wd == time.Sunday {
			weekend = 1
		}
		s.row = (weekend*ts + sec*ts/86400) * n
		y, yd := lt.Year(), lt.YearDay()
		s.newDay = k == 0 || y != prevY || yd != prevD
		prevY, prevD = y, yd
		s.temp = g.temperature(s.ms, lh)
		sunrise, sunset := daylight(lat, yd, lt.IsDST())
		s.dark = darkness(lh, sunrise, sunset)
		s.area = areaLoad(lh, weekend == 1, s.temp)
		s.grid = 0.003 * gauss(hash4(g.seed, domGrid, uint64(floorDiv(s.ms, msPerHour)), 0))
	}
	return g, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// areaLoad is the typical load of the neighbourhood relative to its evening
// peak, which sets the feeder's voltage drop.
func areaLoad(h float64, weekend bool, temp float64) float64 {
	var a float64
	if weekend {
		a = 0.3 + 0.3*bump(h, 9.5, 1.5) + 0.35*bump(h, 13, 3)
	} else {
		a = 0.3 + 0.35*bump(h, 7.5, 1.2) + 0.2*bump(h, 13, 3)
	}
	a += 0.7 * (bump(h, 19.5, 2.2) + bump(h+24, 19.5, 2.2))
	a += 0.025*math.Max(0, 16-temp) + 0.03*math.Max(0, temp-23)
	return math.Min(a, 3)
}

// Options returns the options with the defaults filled in.
func (g *Generator) Options() Options {
	o := g.opts
	c := g.climate
	o.Climate = &c
	return o
}

// MeterIDs returns the ids of the meters, in file order.
func (g *Generator) MeterIDs() []string { return slices.Clone(g.ids) }

// dyn is the state of one meter while generating.
type dyn struct {
	r          *rand.Rand
	x, b, p, v float64 // AR(1) states
	dayLevel   float64 // today's activity factor
	away       int32   // days of holiday left, today included
	evToday    bool    // the EV will charge today, from evStart
	evStart    int32
	evEnergy   float64 // kWh
	evLeft     float64 // minutes of EV charging left
	stuck      stuckState
	evtKW      float64 // running appliance cycle
	evtLeft    float64 // its minutes left
}

func (g *Generator) newStates() []dyn {
	st := make([]dyn, len(g.hh))
	for m := range st {
		i := uint64(g.opts.FirstMeter + m)
		d := &st[m]
		d.r = rand.New(rand.NewPCG(hash4(g.seed, domDynamic, i, 0), hash4(g.seed, domDynamic, i, 1)))
		d.x = 0.3 * d.r.NormFloat64()
		d.b = d.r.NormFloat64()
		d.p = d.r.NormFloat64()
		d.v = d.r.NormFloat64()
		if d.r.Float64() < 8*g.hh[m].vacation {
			d.away = int32(1 + d.r.IntN(8))
		}
	}
	return st
}

// beginDay draws a meter's decisions for a new local day.
func (g *Generator) beginDay(m int, d *dyn) {
	h := &g.hh[m]
	r := d.r
	d.dayLevel = math.Exp(0.15 * r.NormFloat64())
	if d.away > 0 {
		d.away--
	}
	if d.away == 0 && r.Float64() < h.vacation {
		d.away = int32(3 + r.IntN(12))
	}
	if h.evKW > 0 {
		d.evToday = d.away == 0 && r.Float64() < h.evProb
		d.evStart = h.evStart + int32(r.IntN(91)) - 45
		d.evEnergy = uniform(r, 5, 20)
	}
}

// values are one line's rounded measurements (load is the household's).
type values struct {
	current, pf, kva, kw, voltage float64
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// step advances meter m to timestamp s and returns its measurements.
func (g *Generator) step(s *slot, m int, d *dyn, out *values) {
	h := &g.hh[m]
	r := d.r
	act := float64(g.act[s.row+m])
	occ := float64(g.occ[s.row+m])
	away := d.away > 0
	if away {
		act *= 0.1
		occ = 0
	}
	d.x = g.phiX*d.x + g.sdX*r.NormFloat64()
	d.b = g.phiB*d.b + g.sdB*r.NormFloat64()
	kw := h.base*(1+0.08*d.b) + act*d.dayLevel*math.Exp(d.x) + h.light*s.dark*occ

	// Appliance cycles (washing machine, oven, dryer...).
	if d.evtLeft <= 0 && r.Float64() < h.events*occ*g.dtH {
		d.evtKW = uniform(r, 0.8, 2.5)
		d.evtLeft = uniform(r, 20, 120)
	}
	if d.evtLeft > 0 {
		kw += d.evtKW * math.Min(1, d.evtLeft/g.dtMin)
		d.evtLeft -= g.dtMin
	}
	// Electric vehicle.
	if h.evKW > 0 {
		if d.evToday && s.localMin >= d.evStart {
			d.evToday = false
			d.evLeft = d.evEnergy / h.evKW * 60
		}
		if d.evLeft > 0 {
			kw += h.evKW * math.Min(1, d.evLeft/g.dtMin)
			d.evLeft -= g.dtMin
		}
	}
	// Heating and cooling follow the outdoor temperature, with a night
	// set-back and frost protection when away.
	t := s.temp
	if h.heatC > 0 && t < h.heatB {
		f := 0.55 + 0.45*occ
		if away {
			f = 0.3
		}
		kw += math.Min(h.heatC*(h.heatB-t)*f*(1+0.05*d.b), h.heatMax)
	}
	if h.coolC > 0 && t > h.coolB && !away {
		kw += math.Min(h.coolC*(t-h.coolB)*(0.35+0.65*occ), h.coolMax)
	}
	kw = clamp(kw, 0, h.load)

	d.p = g.phiP*d.p + g.sdP*r.NormFloat64()
	pf := clamp(h.pf+0.01*d.p-0.012/(kw+0.4), 0.5, 0.995)

	d.v = g.phiV*d.v + g.sdV*r.NormFloat64()
	v := g.vn * (h.vTap + s.grid - h.vFeeder*s.area - h.vService*kw/h.load + 0.0015*d.v)

	out.kw = round3(kw)
	out.pf = round3(pf)
	out.kva = round3(out.kw / out.pf)
	out.voltage = round2(v)
	out.current = round3(out.kva * 1000 / out.voltage)
	g.applyFault(m, s.ms-g.intervalMS, out, &d.stuck) // faults cover the intervals that start in their span
}

const maxDupDelayMS = 10 * 60 * 1000

// fate is what happens to the line of one meter at one timestamp.
type fate struct {
	h       uint64 // the line's hash
	arrival int64  // ms; time+LateOffset if late
	normal  int64  // ms; the arrival it would have if not late
	late    bool
	dup     bool
	dupArr  int64 // ms, the duplicate's arrival
	bad     bool  // a garbage line follows it in WriteCSV
}

func (g *Generator) fate(m int, s *slot) fate {
	h := hash4(g.seed, domLine, uint64(g.opts.FirstMeter+m), uint64(s.ms))
	f := fate{h: h}
	f.normal = s.ms
	if g.maxDelayMS > 0 {
		f.normal += int64(h % uint64(g.maxDelayMS))
	}
	f.arrival = f.normal
	if g.late > 0 && unit(mix(h^1)) < g.late {
		f.late = true
		f.arrival = s.ms + g.lateMS
	}
	if g.dup > 0 && unit(mix(h^2)) < g.dup {
		f.dup = true
		f.dupArr = f.arrival + 60*1000 + int64(mix(h^3)%(maxDupDelayMS-60*1000))
	}
	f.bad = g.bad > 0 && unit(mix(h^4)) < g.bad
	return f
}

type lineKind uint8

const (
	kindNormal lineKind = iota
	kindLate
	kindDup
)

// pending is a line waiting for its arrival position.
type pending struct {
	arr  int64
	k    int32
	m    int32
	kind lineKind
	v    values
}

func comparePending(a, b pending) int {
	if c := cmp.Compare(a.arr, b.arr); c != 0 {
		return c
	}
	if c := cmp.Compare(a.m, b.m); c != 0 {
		return c
	}
	if c := cmp.Compare(a.k, b.k); c != 0 {
		return c
	}
	return cmp.Compare(a.kind, b.kind)
}

func (g *Generator) fill(l *meter.HESLine, m int, t time.Time, arrival time.Time, v *values) {
	l.Time = t
	l.Arrival = arrival
	l.DeviceID = g.ids[m]
	l.MeasureName = MeasureName
	l.Load = g.hh[m].load
	l.Current = v.current
	l.PF = v.pf
	l.KVA = v.kva
	l.KW = v.kw
	l.Voltage = v.voltage
}

// run generates the file: good gets every good line in file order, bad (if
// not nil) is called after the line of a meter and timestamp that is
// followed by a garbage line, with that line as it would be if on time.
func (g *Generator) run(good func(l *meter.HESLine, kind lineKind) error, bad func(l *meter.HESLine, h uint64) error) error {
	st := g.newStates()
	ring := make([][]pending, g.buckets)
	var tail []pending
	var line meter.HESLine
	nT := int64(len(g.slots))
	hold := func(p pending) {
		j := (p.arr - g.firstMS) / g.intervalMS
		if j >= nT {
			tail = append(tail, p)
			return
		}
		b := &ring[j%int64(len(ring))]
		*b = append(*b, p)
	}
	flush := func(b []pending) error {
		slices.SortFunc(b, comparePending)
		for i := range b {
			p := &b[i]
			g.fill(&line, int(p.m), g.slots[p.k].t, time.UnixMilli(p.arr).UTC(), &p.v)
			if err := good(&line, p.kind); err != nil {
				return err
			}
		}
		return nil
	}
	for k := range g.slots {
		s := &g.slots[k]
		if s.newDay {
			for m := range st {
				g.beginDay(m, &st[m])
			}
		}
		for m := range st {
			var v values
			g.step(s, m, &st[m], &v)
			f := g.fate(m, s)
			if f.late {
				hold(pending{arr: f.arrival, k: int32(k), m: int32(m), kind: kindLate, v: v})
			} else {
				g.fill(&line, m, s.t, s.t.Add(time.Duration(f.arrival-s.ms)*time.Millisecond), &v)
				if err := good(&line, kindNormal); err != nil {
					return err
				}
			}
			if f.dup {
				hold(pending{arr: f.dupArr, k: int32(k), m: int32(m), kind: kindDup, v: v})
			}
			if f.bad && bad != nil {
				g.fill(&line, m, s.t, s.t.Add(time.Duration(f.normal-s.ms)*time.Millisecond), &v)
				if err := bad(&line, mix(f.h^5)); err != nil {
					return err
				}
			}
		}
		b := &ring[k%len(ring)]
		if err := flush(*b); err != nil {
			return err
		}
		*b = (*b)[:0]
	}
	return flush(tail)
}

// Lines calls fn for every good line in file order: for each timestamp,
// every meter in order, except late lines, which come after the lines of
// the timestamp of their arrival (or at the end), and duplicates, which
// come after the lines of the timestamp of their own arrival; lines so
// placed are ordered by arrival. The line is valid only during the call.
// Garbage lines (BadFraction) are not passed to fn; see WriteCSV. An error
// from fn stops Lines and is returned.
func (g *Generator) Lines(fn func(l *meter.HESLine) error) error {
	return g.run(func(l *meter.HESLine, _ lineKind) error { return fn(l) }, nil)
}

// TruthReads calls fn with the reads that a correct ingest of the file must
// keep: for every distinct (meter, time) line the six reads of
// meter.HESTypes, in that order, with the latest arrival of the line's
// copies (the duplicate's, if any), Source "B" and Quality
// meter.QualityActual. Reads come time-major: by time, then meter, then
// type. It needs no memory beyond the generator's state.
func (g *Generator) TruthReads(fn func(r meter.Reading) error) error {
	st := g.newStates()
	for k := range g.slots {
		s := &g.slots[k]
		if s.newDay {
			for m := range st {
				g.beginDay(m, &st[m])
			}
		}
		for m := range st {
			var v values
			g.step(s, m, &st[m], &v)
			f := g.fate(m, s)
			arr := f.arrival
			if f.dup {
				arr = f.dupArr
			}
			r := meter.Reading{MeterID: g.ids[m], Time: s.t, Source: "B",
				Arrival: time.UnixMilli(arr).UTC(), Quality: meter.QualityActual}
			for i, val := range [len(meter.HESTypes)]float64{g.hh[m].load, v.current, v.pf, v.kva, v.kw, v.voltage} {
				r.Type = meter.HESTypes[i]
				r.Value = val
				if err := fn(r); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Truth returns TruthReads' reads sorted by meter.Compare (meter, time,
// type), the order of the lake. It holds every read in memory: it is meant
// for tests of small data sets.
func (g *Generator) Truth() ([]meter.Reading, error) {
	out := make([]meter.Reading, 0, len(g.slots)*len(g.hh)*len(meter.HESTypes))
	err := g.TruthReads(func(r meter.Reading) error {
		out = append(out, r)
		return nil
	})
	slices.SortFunc(out, meter.Compare)
	return out, err
}
