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
	return r
}

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
	// if Ongoing).
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
// the window; meters with no read at all (never installed, decommissioned,
// or the guidance's meter 0) are not outages. The window is cut to the
// reading times the lake has data for (the first and last read of any
// meter), so that data not yet ingested is not an outage.
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
	topo   *topology.Topology
	o      OutageOptions
	lo, hi int
	state  map[string][]uint8 // per monitored meter
	out    map[nodeKey][]bool // per node with monitored meters
	parent map[nodeKey]nodeKey
	order  []nodeKey // nodes, highest level first
}

// mark computes the out masks bottom-up.
func (d *detector) mark() {
	d.parent = map[nodeKey]nodeKey{}
	ns := d.hi
	children := map[nodeKey][]nodeKey{}
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
			need := max(d.o.MinGroup, int(math.Ceil(d.o.GroupFraction*float64(len(kids))-1e-9)))
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

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }
