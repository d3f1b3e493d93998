package simulator

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/meter"
)

// OutageMode is what an outage does to its meters' lines.
type OutageMode int

// Outage modes.
const (
	// OutageSilent drops the lines: the meters send nothing.
	OutageSilent OutageMode = iota
	// OutageZeroVoltage keeps the lines with vltg, kw, kva and crrnt 0 (load
	// and pf unchanged): the meters report a dead supply.
	OutageZeroVoltage
)

func (m OutageMode) String() string {
	switch m {
	case OutageSilent:
		return "silent"
	case OutageZeroVoltage:
		return "zero_voltage"
	}
	return fmt.Sprintf("OutageMode(%d)", int(m))
}

// Outage is a supply interruption to inject: every meter under one node of
// the topology, for the lines whose reading time is in [Start, End).
type Outage struct {
	// ID is the node's id: a service transformer, distribution transformer
	// or substation, or a single meter.
	ID string
	// Level says which table ID is in; empty means the first that has it,
	// from service transformer up to substation, then meter.
	Level topology.Level
	// Start and End bound the reading times affected, half-open.
	Start, End time.Time
	// Mode is what happens to the lines.
	Mode OutageMode
}

type outageSpan struct {
	from, to int64 // ms, [from, to)
	mode     OutageMode
}

// OutageGenerator is a Generator with outages injected: its lines are the
// generator's, less or altered where an outage applies. Make one with
// WithOutages; it is immutable and safe for concurrent use.
type OutageGenerator struct {
	g     *Generator
	spans map[string][]outageSpan // by meter id, sorted
	ids   [][]string              // meters of each outage
}

// WithOutages returns g with outages injected, resolving each outage's node
// to its meters with topo (typically g.Topology). Where outages overlap, a
// silent one wins over a zero-voltage one.
func WithOutages(g *Generator, topo *topology.Topology, outages []Outage) (*OutageGenerator, error) {
	o := &OutageGenerator{g: g, spans: make(map[string][]outageSpan)}
	for k, out := range outages {
		if !out.End.After(out.Start) {
			return nil, fmt.Errorf("simulator: outage %d (%s): end %v is not after start %v", k, out.ID, out.End, out.Start)
		}
		if out.Mode != OutageSilent && out.Mode != OutageZeroVoltage {
			return nil, fmt.Errorf("simulator: outage %d (%s): unknown mode %d", k, out.ID, out.Mode)
		}
		levels := []topology.Level{out.Level}
		if out.Level == "" {
			levels = []topology.Level{topology.LevelServiceTransformer, topology.LevelDistributionTransformer,
				topology.LevelSubstation, topology.LevelMeter}
		}
		var meters []string
		found := false
		for _, l := range levels {
			if topo.Has(l, out.ID) {
				meters, found = topo.MetersUnder(l, out.ID), true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("simulator: outage %d: no node %q in the topology", k, out.ID)
		}
		o.ids = append(o.ids, meters)
		span := outageSpan{from: msCeil(out.Start), to: msCeil(out.End), mode: out.Mode}
		for _, m := range meters {
			o.spans[m] = append(o.spans[m], span)
		}
	}
	for m, s := range o.spans {
		slices.SortFunc(s, func(a, b outageSpan) int { return cmp.Compare(a.from, b.from) })
		o.spans[m] = s
	}
	return o, nil
}

func msCeil(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		ms++
	}
	return ms
}

// Meters returns the ids of the meters that outage k affects.
func (o *OutageGenerator) Meters(k int) []string { return slices.Clone(o.ids[k]) }

// state returns whether meter id is out at ms and how.
func (o *OutageGenerator) state(id string, ms int64) (out bool, mode OutageMode) {
	for _, s := range o.spans[id] {
		if ms >= s.from && ms < s.to {
			if !out || s.mode == OutageSilent {
				mode = s.mode
			}
			out = true
		}
	}
	return out, mode
}

// Apply is the transform itself: it reports whether line l survives the
// outages (false: drop it) and zeroes its values under a zero-voltage
// outage. It works on any HES line, from any source.
func (o *OutageGenerator) Apply(l *meter.HESLine) bool {
	out, mode := o.state(l.DeviceID, l.Time.UnixMilli())
	if !out {
		return true
	}
	if mode == OutageSilent {
		return false
	}
	l.Voltage, l.KW, l.KVA, l.Current = 0, 0, 0, 0
	return true
}

// Lines calls fn for the generator's lines (Generator.Lines) that survive
// the outages, altered by them.
func (o *OutageGenerator) Lines(fn func(l *meter.HESLine) error) error {
	return o.g.Lines(func(l *meter.HESLine) error {
		if !o.Apply(l) {
			return nil
		}
		return fn(l)
	})
}

// TruthReads calls fn with the generator's truth (Generator.TruthReads)
// under the outages: no reads for silent meters, zeros for dead ones.
func (o *OutageGenerator) TruthReads(fn func(r meter.Reading) error) error {
	return o.g.TruthReads(func(r meter.Reading) error {
		out, mode := o.state(r.MeterID, r.Time.UnixMilli())
		if out {
			if mode == OutageSilent {
				return nil
			}
			switch r.Type {
			case meter.TypeVoltage, meter.TypeKW, meter.TypeKVA, meter.TypeCurrent:
				r.Value = 0
			}
		}
		return fn(r)
	})
}

// Truth returns TruthReads' reads sorted by meter.Compare.
func (o *OutageGenerator) Truth() ([]meter.Reading, error) {
	var out []meter.Reading
	err := o.TruthReads(func(r meter.Reading) error {
		out = append(out, r)
		return nil
	})
	slices.SortFunc(out, meter.Compare)
	return out, err
}

// WriteCSV writes the generator's HES CSV (Generator.WriteCSV) with the
// outages applied: a silent meter's lines, and the garbage lines that
// would follow them, are left out; a dead meter's lines carry zeros. Stats
// count what is written.
func (o *OutageGenerator) WriteCSV(w io.Writer) (Stats, error) {
	return o.g.writeCSV(w, o.Apply)
}
