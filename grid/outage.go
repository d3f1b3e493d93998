package grid

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

// OutageOptions configures DetectOutages. Nil means the defaults.
type OutageOptions struct {
	// Interval is the read interval: a meter is expected to read at every
	// multiple of it; default 15 minutes.
	Interval time.Duration
	// ZeroVoltage is the voltage (V) at or below which a vltg read means
	// no supply; default 1 V.
	ZeroVoltage float64
	// GroupFraction is the fraction of a node's monitored children (meters
	// of a service transformer, service transformers of a distribution
	// transformer, distribution transformers of a substation) that must be
	// out at once for the node itself to be out; default 0.8.
	GroupFraction float64
	// MinGroup is the least number of children that must be out for a node
	// to be out (so that one dead meter never makes a transformer out);
	// default 2.
	MinGroup int
	// MinDuration drops outages shorter than it; default 0 (keep all).
	MinDuration time.Duration
	// LookBack is how far before the window DetectOutages looks for the
	// last reads of the meters that are out at its start, or silent all
	// through it; default 24 hours, negative none. A meter silent all
	// through the window is monitored, and out, if it read in the
	// look-back: an outage that began within LookBack before the window
	// and outlasts it is reported, from the meters' last supplied reads.
	LookBack time.Duration
}

func (o *OutageOptions) withDefaults() OutageOptions {
	var r OutageOptions
	if o != nil {
		r = *o
	}
	if r.Interval <= 0 {
		r.Interval = DefaultInterval
	}
	if r.ZeroVoltage <= 0 {
		r.ZeroVoltage = 1
	}
	if r.GroupFraction <= 0 || r.GroupFraction > 1 {
		r.GroupFraction = 0.8
	}
	if r.MinGroup <= 0 {
		r.MinGroup = 2
	}
	if r.LookBack == 0 {
		r.LookBack = DefaultLookBack
	}
	return r
}

// DefaultLookBack is OutageOptions.LookBack's default: the handler's
// default window, so that an outage that began in the window before is
// still reported.
const DefaultLookBack = 24 * time.Hour

// Outage kinds.
const (
	OutageSilent      = "silent"       // no reads
	OutageZeroVoltage = "zero_voltage" // reads at zero voltage
	OutageMixed       = "mixed"        // some of each
)

// OutageEvent is one detected outage of one node: a meter, or a
// transformer or substation when most of what it feeds was out at once.
type OutageEvent struct {
	Level topology.Level `json:"level"`
	ID    string         `json:"id"`
	// Start is the reading time of the first missing or dead read; End the
	// reading time at which supply was back (the end of the analysed window
	// if Ongoing). An outage that StartedBefore the window starts at the
	// first read its meters missed (or read dead) after their last supplied
	// reads of the look-back (OutageOptions.LookBack); at the window's
	// start if they had none.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Ongoing reports an outage still on at the end of the window, and
	// StartedBefore one already on at its start.
	Ongoing       bool `json:"ongoing,omitempty"`
	StartedBefore bool `json:"started_before,omitempty"`
	// Kind is OutageSilent, OutageZeroVoltage or OutageMixed.
	Kind string `json:"kind"`
	// MeterIDs are the meters out during the outage, sorted.
	MeterIDs []string `json:"meter_ids"`
	// Location is the node's location, if the topology has it.
	Latitude  *float64 `json:"latitude,omitempty"`
	Longitude *float64 `json:"longitude,omitempty"`
}

// Duration is End - Start.
func (e OutageEvent) Duration() time.Duration { return e.End.Sub(e.Start) }

// Meter states at one reading time.
const (
	stateOK uint8 = iota
	stateSilent
	stateZero
)

// DetectOutages finds supply interruptions in [from, to) from the kw and
// vltg reads: at every multiple of the interval a monitored meter either
// reads (with a voltage above ZeroVoltage: supplied) or not (silent) or
// reads at zero voltage (dead). A meter is monitored if it has a read in
// the window or in the look-back before it (OutageOptions.LookBack); meters
// with no read at all (never installed, decommissioned, or the guidance's
// meter 0) are not outages. The window is cut to the reading times the
// lake has data for (the first and last read of any meter), so that data
// not yet ingested by the whole lake is not an outage. Reads that one
// group of meters delivers later than the others (a head-end batch hours
// behind) do look like an outage of those meters until they arrive, all
// the more with the look-back: set LookBack negative where deliveries lag
// by more than the window.
//
// The look-back reads only the meters out at the window's start and the
// topology's meters that did not read in the window (every meter if the
// topology has none), in the look-back's partitions: a meter silent since
// before the window, and with it its transformer, is out from the window's
// start, its outage dated from its last supplied read.
//
// Out meters are grouped by the node that best explains them: a service
// transformer is out at a reading time when at least GroupFraction (and
// MinGroup) of its monitored meters are, a distribution transformer when
// that many of its service transformers are, a substation likewise. Each
// outage is reported once, at the highest level that explains it; the
// rest are single meters. Events are sorted by start, level (highest
// first), id.
func DetectOutages(ctx context.Context, lake *blob.Bucket, topo *topology.Topology, from, to time.Time, opts *OutageOptions) ([]OutageEvent, error) {
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	if topo == nil {
		topo = &topology.Topology{}
	}
	o := opts.withDefaults()
	iv := o.Interval.Milliseconds()
	if iv <= 0 {
		return nil, fmt.Errorf("%w: interval %v", ErrBadRequest, o.Interval)
	}
	first := ceilDiv(from.UnixMilli(), iv) * iv
	last := ceilDiv(to.UnixMilli(), iv)*iv - iv // last slot < to
	if last < first {
		return nil, nil
	}
	if n := (last-first)/iv + 1; n > 1<<22 {
		return nil, fmt.Errorf("%w: window of %d intervals is too long", ErrBadRequest, n)
	}
	nlb := int64(0) // intervals of look-back
	if o.LookBack > 0 {
		nlb = ceilDiv(o.LookBack.Milliseconds(), iv)
	}
	if nlb > 1<<22 {
		return nil, fmt.Errorf("%w: look-back of %d intervals is too long", ErrBadRequest, nlb)
	}
	type meterSlots struct {
		present, dead []bool
	}
	ns := int((last-first)/iv + 1)
	ms := map[string]*meterSlots{}
	seenFirst, seenLast := int64(math.MaxInt64), int64(math.MinInt64)
	f := &partition.Filter{Types: []meter.Type{meter.TypeKW, meter.TypeVoltage},
		From: time.UnixMilli(first - iv/2), To: time.UnixMilli(last + iv/2 + 1)}
	_, err := partition.Scan(ctx, lake, f, func(reads []meter.Reading) error {
		for _, r := range reads {
			t := r.Time.UnixMilli()
			k := int(floorDiv(t-first+iv/2, iv))
			if k < 0 || k >= ns {
				continue
			}
			m := ms[r.MeterID]
			if m == nil {
				m = &meterSlots{present: make([]bool, ns), dead: make([]bool, ns)}
				ms[r.MeterID] = m
			}
			m.present[k] = true
			if r.Type == meter.TypeVoltage && r.Value <= o.ZeroVoltage {
				m.dead[k] = true
			}
			seenFirst, seenLast = min(seenFirst, int64(k)), max(seenLast, int64(k))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("grid: scanning reads: %w", err)
	}
	if len(ms) == 0 {
		return nil, nil
	}
	// Cut the window to the data.
	lo, hi := int(seenFirst), int(seenLast)+1
	slot := func(k int) time.Time { return time.UnixMilli(first + int64(k)*iv).UTC() }

	// The look-back: since when the meters out at the window's start were
	// out, and which of the topology's meters silent all through the
	// window read before it (and so are monitored, and out).
	var since map[string]int64
	if nlb > 0 {
		var ids []string
		for id, m := range ms {
			if !m.present[lo] || m.dead[lo] {
				ids = append(ids, id)
			}
		}
		for _, m := range topo.SmartMeters {
			if _, ok := ms[m.ID]; !ok {
				ids = append(ids, m.ID)
			}
		}
		if len(ids) > 0 || len(topo.SmartMeters) == 0 {
			if len(topo.SmartMeters) == 0 {
				ids = nil // meters are known from reads only: every meter
			}
			since, err = lookBack(ctx, lake, ids, first, iv, nlb, o.ZeroVoltage)
			if err != nil {
				return nil, err
			}
		}
		for id, t := range since {
			if _, ok := ms[id]; !ok {
				ms[id] = &meterSlots{present: make([]bool, ns), dead: make([]bool, ns)}
			}
			if t >= first {
				// Supplied at the look-back's last slot: out only from
				// within the window, whose first slots may hold no data.
				delete(since, id)
			}
		}
	}

	d := &detector{topo: topo, o: o, lo: lo, hi: hi, state: map[string][]uint8{}, out: map[nodeKey][]bool{}}
	for id, m := range ms {
		st := make([]uint8, ns)
		for k := lo; k < hi; k++ {
			switch {
			case !m.present[k]:
				st[k] = stateSilent
			case m.dead[k]:
				st[k] = stateZero
			}
		}
		d.state[id] = st
	}
	d.mark()
	var events []OutageEvent
	for _, n := range d.order {
		mask := d.explained(n)
		for k := lo; k < hi; {
			if !mask[k] {
				k++
				continue
			}
			j := k
			for j < hi && mask[j] {
				j++
			}
			ev := OutageEvent{Level: n.level, ID: n.id, Start: slot(k), End: slot(j), Ongoing: j == hi, StartedBefore: k == lo}
			if k == lo {
				if t := d.since(n, since, first+int64(lo)*iv); t < ev.Start.UnixMilli() {
					ev.Start = time.UnixMilli(t).UTC()
				}
			}
			if ev.Duration() >= o.MinDuration {
				d.describe(&ev, n, k, j)
				events = append(events, ev)
			}
			k = j
		}
	}
	slices.SortFunc(events, func(a, b OutageEvent) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if c := cmp.Compare(levelRank(b.Level), levelRank(a.Level)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return events, nil
}

func levelRank(l topology.Level) int {
	switch l {
	case topology.LevelServiceTransformer:
		return 1
	case topology.LevelDistributionTransformer:
		return 2
	case topology.LevelSubstation:
		return 3
	}
	return 0
}

type nodeKey struct {
	level topology.Level
	id    string
}

// detector holds the out masks of every node.
type detector struct {
	topo     *topology.Topology
	o        OutageOptions
	lo, hi   int
	state    map[string][]uint8 // per monitored meter
	out      map[nodeKey][]bool // per node with monitored meters
	parent   map[nodeKey]nodeKey
	children map[nodeKey][]nodeKey
	order    []nodeKey // nodes, highest level first
}

// need is the number of a node's n monitored children that must be out
// for it to be out.
func (d *detector) need(n int) int {
	return max(d.o.MinGroup, int(math.Ceil(d.o.GroupFraction*float64(n)-1e-9)))
}

// mark computes the out masks bottom-up.
func (d *detector) mark() {
	d.parent = map[nodeKey]nodeKey{}
	ns := d.hi
	children := map[nodeKey][]nodeKey{}
	d.children = children
	var meters []string
	for id := range d.state {
		meters = append(meters, id)
	}
	slices.Sort(meters)
	for _, id := range meters {
		mk := nodeKey{topology.LevelMeter, id}
		st := d.state[id]
		mask := make([]bool, ns)
		for k := d.lo; k < d.hi; k++ {
			mask[k] = st[k] != stateOK
		}
		d.out[mk] = mask
		p, _ := d.topo.Path(id)
		child := mk
		for _, l := range []topology.Level{topology.LevelServiceTransformer, topology.LevelDistributionTransformer, topology.LevelSubstation} {
			pid := p.At(l)
			if pid == "" {
				break
			}
			pk := nodeKey{l, pid}
			if _, ok := d.parent[child]; !ok {
				d.parent[child] = pk
				children[pk] = append(children[pk], child)
			}
			child = pk
		}
	}
	for _, l := range []topology.Level{topology.LevelServiceTransformer, topology.LevelDistributionTransformer, topology.LevelSubstation} {
		var nodes []nodeKey
		for n := range children {
			if n.level == l {
				nodes = append(nodes, n)
			}
		}
		slices.SortFunc(nodes, func(a, b nodeKey) int { return strings.Compare(a.id, b.id) })
		for _, n := range nodes {
			kids := children[n]
			mask := make([]bool, ns)
			need := d.need(len(kids))
			for k := d.lo; k < d.hi; k++ {
				c := 0
				for _, kid := range kids {
					if d.out[kid][k] {
						c++
					}
				}
				mask[k] = c >= need
			}
			d.out[n] = mask
		}
		d.order = append(nodes, d.order...)
	}
	// Highest level first, meters last.
	slices.SortStableFunc(d.order, func(a, b nodeKey) int { return cmp.Compare(levelRank(b.level), levelRank(a.level)) })
	for _, id := range meters {
		d.order = append(d.order, nodeKey{topology.LevelMeter, id})
	}
}

// since returns since when (Unix ms) node n, out at the window's first
// slot lo (at time start), had been out: for a meter, the time since which
// the look-back found it out (since), for a node the time from which
// enough of its children were out, the need-th earliest of their times.
// A meter the look-back did not date is out from start.
func (d *detector) since(n nodeKey, since map[string]int64, start int64) int64 {
	if n.level == topology.LevelMeter {
		if t, ok := since[n.id]; ok {
			return min(t, start)
		}
		return start
	}
	var times []int64
	for _, c := range d.children[n] {
		if d.out[c][d.lo] {
			times = append(times, d.since(c, since, start))
		}
	}
	need := d.need(len(d.children[n]))
	if len(times) < need {
		return start
	}
	slices.Sort(times)
	return times[need-1]
}

// explained returns the slots where node n is out and its parent is not:
// the outages that n, and nothing above it, explains.
func (d *detector) explained(n nodeKey) []bool {
	mask := slices.Clone(d.out[n])
	for p, ok := d.parent[n]; ok; p, ok = d.parent[p] {
		pm := d.out[p]
		for k := d.lo; k < d.hi; k++ {
			if pm[k] {
				mask[k] = false
			}
		}
	}
	return mask
}

// describe fills an event's meters, kind and location.
func (d *detector) describe(ev *OutageEvent, n nodeKey, from, to int) {
	var meters []string
	if n.level == topology.LevelMeter {
		meters = []string{n.id}
	} else {
		meters = d.topo.MetersUnder(n.level, n.id)
	}
	silent, zero := false, false
	ev.MeterIDs = []string{}
	for _, id := range meters {
		st, ok := d.state[id]
		if !ok {
			continue
		}
		out := false
		for k := from; k < to; k++ {
			switch st[k] {
			case stateSilent:
				silent, out = true, true
			case stateZero:
				zero, out = true, true
			}
		}
		if out {
			ev.MeterIDs = append(ev.MeterIDs, id)
		}
	}
	slices.Sort(ev.MeterIDs)
	switch {
	case silent && zero:
		ev.Kind = OutageMixed
	case zero:
		ev.Kind = OutageZeroVoltage
	default:
		ev.Kind = OutageSilent
	}
	var locID string
	switch n.level {
	case topology.LevelMeter:
		if m, ok := d.topo.Meter(n.id); ok {
			locID = m.LocationID
		}
	case topology.LevelServiceTransformer:
		if r, ok := d.topo.ServiceTransformer(n.id); ok {
			locID = r.LocationID
		}
	case topology.LevelDistributionTransformer:
		if r, ok := d.topo.DistributionTransformer(n.id); ok {
			locID = r.LocationID
		}
	case topology.LevelSubstation:
		if r, ok := d.topo.Substation(n.id); ok {
			locID = r.LocationID
		}
	}
	if loc, ok := d.topo.Location(locID); ok && locID != "" {
		lat, lon := float64(loc.Latitude), float64(loc.Longitude)
		if !math.IsNaN(lat) && !math.IsNaN(lon) {
			ev.Latitude, ev.Longitude = &lat, &lon
		}
	}
}

// lookBack reads the kW and vltg reads of the meters ids (nil: every
// meter) of the n slots before slot first (interval iv ms; slot k holds the
// reads within half an interval of first + k*iv) and returns, for each
// meter that read then, the time (Unix ms) of the first of its slots after
// its last supplied one: from then to the window it was out, silent or
// dead. A meter that read only dead is out since its first read.
func lookBack(ctx context.Context, lake *blob.Bucket, ids []string, first, iv, n int64, zero float64) (map[string]int64, error) {
	const present, dead = 1, 2
	slots := map[string][]uint8{} // per meter, slot first-n+i at i
	f := &partition.Filter{Types: []meter.Type{meter.TypeKW, meter.TypeVoltage}, MeterIDs: ids, ValuesOnly: true,
		From: time.UnixMilli(first - n*iv - iv/2), To: time.UnixMilli(first - iv/2)}
	_, err := partition.Scan(ctx, lake, f, func(reads []meter.Reading) error {
		for _, r := range reads {
			k := floorDiv(r.Time.UnixMilli()-first+iv/2, iv) + n
			if k < 0 || k >= n {
				continue
			}
			st := slots[r.MeterID]
			if st == nil {
				st = make([]uint8, n)
				slots[r.MeterID] = st
			}
			st[k] |= present
			if r.Type == meter.TypeVoltage && r.Value <= zero {
				st[k] |= dead
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("grid: scanning reads before the window: %w", err)
	}
	since := make(map[string]int64, len(slots))
	for id, st := range slots {
		k := int64(-1) // the first slot after the last supplied one
		for i := n - 1; i >= 0; i-- {
			if st[i] == present {
				k = i + 1
				break
			}
		}
		if k < 0 { // dead whenever it read
			k = int64(slices.Index(st, present|dead))
		}
		since[id] = first + (k-n)*iv
	}
	return since, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }
