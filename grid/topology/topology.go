package topology

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
)

// Topology is a grid topology: the guidance's seven tables.
//
// Lookups build an index on first use; do not modify the tables after the
// first lookup (or make a new Topology with the modified tables).
type Topology struct {
	PowerGrids               []PowerGrid               // power_grid
	Substations              []Substation              // substation
	DistributionTransformers []DistributionTransformer // distribution_transformer
	ServiceTransformers      []ServiceTransformer      // service_transformer
	SmartMeters              []SmartMeter              // smart_meter
	Locations                []Location                // location
	VoltageControlZones      []VoltageControlZone      // voltage_control_zone

	once sync.Once
	idx  *index
}

// Level is a level of the hierarchy under which meters are grouped.
type Level string

// Levels, from the meter up.
const (
	LevelMeter                   Level = "meter"
	LevelServiceTransformer      Level = "service_transformer"
	LevelDistributionTransformer Level = "distribution_transformer"
	LevelSubstation              Level = "substation"
)

// ParseLevel parses a level: its name, or "service"/"st",
// "distribution"/"dt", "substation"/"sub", "meter".
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "meter", "smart_meter":
		return LevelMeter, nil
	case "service", "st", "service_transformer":
		return LevelServiceTransformer, nil
	case "distribution", "dt", "distribution_transformer":
		return LevelDistributionTransformer, nil
	case "substation", "sub":
		return LevelSubstation, nil
	}
	return "", fmt.Errorf("topology: unknown level %q (want service, distribution, substation or meter)", s)
}

// Path is where a meter hangs in the hierarchy. An id is empty where the
// chain is broken (a missing parent).
type Path struct {
	Meter                   string `json:"meter_id"`                              // the meter's id
	ServiceTransformer      string `json:"service_transformer_id,omitempty"`      // its service transformer's id
	DistributionTransformer string `json:"distribution_transformer_id,omitempty"` // that transformer's distribution transformer's id
	Substation              string `json:"substation_id,omitempty"`               // that one's substation's id
}

// At returns the path's id at level l.
func (p Path) At(l Level) string {
	switch l {
	case LevelMeter:
		return p.Meter
	case LevelServiceTransformer:
		return p.ServiceTransformer
	case LevelDistributionTransformer:
		return p.DistributionTransformer
	case LevelSubstation:
		return p.Substation
	}
	return ""
}

type index struct {
	meters map[string]int
	sts    map[string]int
	dts    map[string]int
	subs   map[string]int
	locs   map[string]int
	// children, in table order
	stMeters map[string][]string
	dtSTs    map[string][]string
	subDTs   map[string][]string
}

func (t *Topology) index() *index {
	t.once.Do(func() {
		x := &index{
			meters: make(map[string]int, len(t.SmartMeters)), sts: make(map[string]int, len(t.ServiceTransformers)),
			dts: make(map[string]int), subs: make(map[string]int), locs: make(map[string]int, len(t.Locations)),
			stMeters: make(map[string][]string), dtSTs: make(map[string][]string), subDTs: make(map[string][]string),
		}
		// The first row of a duplicated id wins, everywhere.
		for i, r := range t.SmartMeters {
			if _, dup := x.meters[r.ID]; !dup {
				x.meters[r.ID] = i
				x.stMeters[r.ServiceTransformerID] = append(x.stMeters[r.ServiceTransformerID], r.ID)
			}
		}
		for i, r := range t.ServiceTransformers {
			if _, dup := x.sts[r.ID]; !dup {
				x.sts[r.ID] = i
				x.dtSTs[r.DistributionTransformerID] = append(x.dtSTs[r.DistributionTransformerID], r.ID)
			}
		}
		for i, r := range t.DistributionTransformers {
			if _, dup := x.dts[r.ID]; !dup {
				x.dts[r.ID] = i
				x.subDTs[r.SubstationID] = append(x.subDTs[r.SubstationID], r.ID)
			}
		}
		for i, r := range t.Substations {
			if _, dup := x.subs[r.ID]; !dup {
				x.subs[r.ID] = i
			}
		}
		for i, r := range t.Locations {
			if _, dup := x.locs[r.ID]; !dup {
				x.locs[r.ID] = i
			}
		}
		t.idx = x
	})
	return t.idx
}

// Meter returns the meter with id.
func (t *Topology) Meter(id string) (SmartMeter, bool) {
	i, ok := t.index().meters[id]
	if !ok {
		return SmartMeter{}, false
	}
	return t.SmartMeters[i], true
}

// ServiceTransformer returns the service transformer with id.
func (t *Topology) ServiceTransformer(id string) (ServiceTransformer, bool) {
	i, ok := t.index().sts[id]
	if !ok {
		return ServiceTransformer{}, false
	}
	return t.ServiceTransformers[i], true
}

// DistributionTransformer returns the distribution transformer with id.
func (t *Topology) DistributionTransformer(id string) (DistributionTransformer, bool) {
	i, ok := t.index().dts[id]
	if !ok {
		return DistributionTransformer{}, false
	}
	return t.DistributionTransformers[i], true
}

// Substation returns the substation with id.
func (t *Topology) Substation(id string) (Substation, bool) {
	i, ok := t.index().subs[id]
	if !ok {
		return Substation{}, false
	}
	return t.Substations[i], true
}

// Location returns the location with id.
func (t *Topology) Location(id string) (Location, bool) {
	i, ok := t.index().locs[id]
	if !ok {
		return Location{}, false
	}
	return t.Locations[i], true
}

// Has reports whether the level has a node with id.
func (t *Topology) Has(l Level, id string) bool {
	x := t.index()
	var ok bool
	switch l {
	case LevelMeter:
		_, ok = x.meters[id]
	case LevelServiceTransformer:
		_, ok = x.sts[id]
	case LevelDistributionTransformer:
		_, ok = x.dts[id]
	case LevelSubstation:
		_, ok = x.subs[id]
	}
	return ok
}

// Path returns where meter id hangs, and false if the meter is unknown.
func (t *Topology) Path(id string) (Path, bool) {
	x := t.index()
	i, ok := x.meters[id]
	if !ok {
		return Path{Meter: id}, false
	}
	p := Path{Meter: id}
	st := t.SmartMeters[i].ServiceTransformerID
	j, ok := x.sts[st]
	if !ok {
		return p, true
	}
	p.ServiceTransformer = st
	dt := t.ServiceTransformers[j].DistributionTransformerID
	k, ok := x.dts[dt]
	if !ok {
		return p, true
	}
	p.DistributionTransformer = dt
	sub := t.DistributionTransformers[k].SubstationID
	if _, ok := x.subs[sub]; ok {
		p.Substation = sub
	}
	return p, true
}

// Children returns the ids of the nodes directly under node id of level l
// (meters under a service transformer, service transformers under a
// distribution transformer, distribution transformers under a substation),
// in table order. The result must not be modified.
func (t *Topology) Children(l Level, id string) []string {
	x := t.index()
	switch l {
	case LevelServiceTransformer:
		return x.stMeters[id]
	case LevelDistributionTransformer:
		return x.dtSTs[id]
	case LevelSubstation:
		return x.subDTs[id]
	}
	return nil
}

// MetersUnder returns the meters under node id of level l (the meter
// itself for LevelMeter, if known), in table order.
func (t *Topology) MetersUnder(l Level, id string) []string {
	switch l {
	case LevelMeter:
		if t.Has(LevelMeter, id) {
			return []string{id}
		}
		return nil
	case LevelServiceTransformer:
		return slices.Clone(t.Children(l, id))
	case LevelDistributionTransformer:
		var out []string
		for _, st := range t.Children(l, id) {
			out = append(out, t.Children(LevelServiceTransformer, st)...)
		}
		return out
	case LevelSubstation:
		var out []string
		for _, dt := range t.Children(l, id) {
			out = append(out, t.MetersUnder(LevelDistributionTransformer, dt)...)
		}
		return out
	}
	return nil
}

// IDs returns the ids of level l's nodes, in table order, without
// duplicates.
func (t *Topology) IDs(l Level) []string {
	var ids []string
	switch l {
	case LevelMeter:
		for _, r := range t.SmartMeters {
			ids = append(ids, r.ID)
		}
	case LevelServiceTransformer:
		for _, r := range t.ServiceTransformers {
			ids = append(ids, r.ID)
		}
	case LevelDistributionTransformer:
		for _, r := range t.DistributionTransformers {
			ids = append(ids, r.ID)
		}
	case LevelSubstation:
		for _, r := range t.Substations {
			ids = append(ids, r.ID)
		}
	}
	seen := make(map[string]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// CapacityKVA returns the capacity of a service or distribution transformer
// in kVA, and false if it is unknown or its capacity does not parse.
func (t *Topology) CapacityKVA(l Level, id string) (float64, bool) {
	var c float64
	switch l {
	case LevelServiceTransformer:
		r, ok := t.ServiceTransformer(id)
		if !ok {
			return 0, false
		}
		c = r.CapacityKVA
	case LevelDistributionTransformer:
		r, ok := t.DistributionTransformer(id)
		if !ok {
			return 0, false
		}
		c = r.CapacityKVA
	default:
		return 0, false
	}
	return c, !math.IsNaN(c)
}

// Normalize fills the derived columns (CapacityKVA from Capacity) and
// returns t. Readers call it; call it after building a Topology by hand.
func (t *Topology) Normalize() *Topology {
	for i := range t.DistributionTransformers {
		t.DistributionTransformers[i].CapacityKVA, _ = ParseCapacity(t.DistributionTransformers[i].Capacity)
	}
	for i := range t.ServiceTransformers {
		t.ServiceTransformers[i].CapacityKVA, _ = ParseCapacity(t.ServiceTransformers[i].Capacity)
	}
	return t
}

// Rows returns the rows of the named table (a []PowerGrid, []Substation,
// ...), and false for an unknown name.
func (t *Topology) Rows(table string) (any, bool) {
	switch table {
	case TablePowerGrid:
		return nonNil(t.PowerGrids), true
	case TableSubstation:
		return nonNil(t.Substations), true
	case TableDistributionTransformer:
		return nonNil(t.DistributionTransformers), true
	case TableServiceTransformer:
		return nonNil(t.ServiceTransformers), true
	case TableSmartMeter:
		return nonNil(t.SmartMeters), true
	case TableLocation:
		return nonNil(t.Locations), true
	case TableVoltageControlZone:
		return nonNil(t.VoltageControlZones), true
	}
	return nil, false
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Counts returns the number of rows of every table.
func (t *Topology) Counts() map[string]int {
	return map[string]int{
		TablePowerGrid: len(t.PowerGrids), TableSubstation: len(t.Substations),
		TableDistributionTransformer: len(t.DistributionTransformers), TableServiceTransformer: len(t.ServiceTransformers),
		TableSmartMeter: len(t.SmartMeters), TableLocation: len(t.Locations), TableVoltageControlZone: len(t.VoltageControlZones),
	}
}
