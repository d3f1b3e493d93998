package grid

import (
	"context"
	"errors"
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

// DefaultInterval is the read interval assumed when options leave it zero.
const DefaultInterval = 15 * time.Minute

// ErrNotFound is returned (wrapped) for an id that is not in the topology.
var ErrNotFound = errors.New("grid: not found")

// ErrBadRequest is returned (wrapped) for invalid arguments: a level that
// does not apply, an empty or inverted time range.
var ErrBadRequest = errors.New("grid: bad request")

// RollupOptions configures Rollup. Nil means the defaults.
type RollupOptions struct {
	// Interval is the read interval, by which kW reads become kWh;
	// default 15 minutes.
	Interval time.Duration
}

// Load is one node's consumption over one hour.
type Load struct {
	Level topology.Level `json:"level"`
	ID    string         `json:"id"`
	// Hour is the start of the hour (UTC).
	Hour time.Time `json:"hour"`
	// KWh is the energy of the node's meters over the hour: the sum over
	// their kW reads of kW × interval.
	KWh float64 `json:"kwh"`
	// AvgKW is the mean load, KWh over one hour.
	AvgKW float64 `json:"avg_kw"`
	// MaxKW is the coincident peak: the largest sum of the meters' kW at
	// one reading time within the hour.
	MaxKW float64 `json:"max_kw"`
	// Meters is the number of meters with reads in the hour, Reads the
	// number of reads.
	Meters int `json:"meters"`
	Reads  int `json:"reads"`
}

// Rollup sums the kW reads of the meters under every node of level
// (service transformer, distribution transformer or substation; meter
// gives per-meter figures) into hourly energy and load, for the hours
// that start in [from, to) (whole hours: from is rounded down, to up).
// Meters that are not in the topology, or whose chain up to the level is
// broken, are left out. Rows are sorted by id, then hour; hours without
// reads have no row.
func Rollup(ctx context.Context, lake *blob.Bucket, topo *topology.Topology, level topology.Level, from, to time.Time, opts *RollupOptions) ([]Load, error) {
	interval := DefaultInterval
	if opts != nil && opts.Interval > 0 {
		interval = opts.Interval
	}
	aggs, err := aggregate(ctx, lake, topo, level, meter.TypeKW, from, to)
	if err != nil {
		return nil, err
	}
	h := interval.Hours()
	out := make([]Load, 0, len(aggs))
	for _, a := range aggs {
		kwh := a.sum * h
		out = append(out, Load{Level: level, ID: a.id, Hour: a.hour, KWh: kwh, AvgKW: kwh, MaxKW: a.peak, Meters: a.meters, Reads: a.reads})
	}
	return out, nil
}

// LoadingOptions configures TransformerLoading. Nil means the defaults.
type LoadingOptions struct {
	// Interval is the read interval; default 15 minutes.
	Interval time.Duration
	// Threshold is the utilization (peak kVA over capacity) above which a
	// transformer is overloaded; default 1.0 (100 %). Use e.g. 0.8 to flag
	// transformers approaching their rating.
	Threshold float64
	// OnlyOverloaded keeps only the overloaded rows.
	OnlyOverloaded bool
}

// Loading is one transformer's loading over one hour.
type Loading struct {
	Level topology.Level `json:"level"`
	ID    string         `json:"id"`
	Hour  time.Time      `json:"hour"`
	// CapacityKVA is the transformer's rating, NaN if unknown.
	CapacityKVA float64 `json:"capacity_kva"`
	// AvgKVA is the mean apparent power of its meters over the hour, and
	// PeakKVA the largest sum of their kVA at one reading time.
	AvgKVA  float64 `json:"avg_kva"`
	PeakKVA float64 `json:"peak_kva"`
	// Utilization is PeakKVA over CapacityKVA.
	Utilization float64 `json:"utilization"`
	// Overloaded reports Utilization above the threshold.
	Overloaded bool `json:"overloaded"`
	Meters     int  `json:"meters"`
}

// TransformerLoading compares the apparent power (kva reads) of the meters
// under every service or distribution transformer, hour by hour, with the
// transformer's capacity. It ignores the diversity of loads behind other
// transformers and the losses in the transformer itself: it is the sum of
// what its meters draw. Rows are sorted by id, then hour.
func TransformerLoading(ctx context.Context, lake *blob.Bucket, topo *topology.Topology, level topology.Level, from, to time.Time, opts *LoadingOptions) ([]Loading, error) {
	var o LoadingOptions
	if opts != nil {
		o = *opts
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Threshold <= 0 {
		o.Threshold = 1
	}
	if level != topology.LevelServiceTransformer && level != topology.LevelDistributionTransformer {
		return nil, fmt.Errorf("%w: loading is for service or distribution transformers, not %q", ErrBadRequest, level)
	}
	aggs, err := aggregate(ctx, lake, topo, level, meter.TypeKVA, from, to)
	if err != nil {
		return nil, err
	}
	var out []Loading
	for _, a := range aggs {
		c, ok := topo.CapacityKVA(level, a.id)
		if !ok {
			c = math.NaN()
		}
		l := Loading{Level: level, ID: a.id, Hour: a.hour, CapacityKVA: c, AvgKVA: a.sum * o.Interval.Hours(),
			PeakKVA: a.peak, Meters: a.meters}
		if ok && c > 0 {
			l.Utilization = l.PeakKVA / c
			l.Overloaded = l.Utilization > o.Threshold
		}
		if o.OnlyOverloaded && !l.Overloaded {
			continue
		}
		out = append(out, l)
	}
	return out, nil
}

// agg is the sum of one reading type over one node and hour.
type agg struct {
	id     string
	hour   time.Time
	sum    float64 // of values
	peak   float64 // largest sum at one reading time
	meters int
	reads  int
}

// hourOf returns the start of the hour that a read at t belongs to.
func hourOf(t time.Time) time.Time { return t.Add(-time.Millisecond).Truncate(time.Hour).UTC() }

func checkRange(from, to time.Time) error {
	if from.IsZero() || to.IsZero() {
		return fmt.Errorf("%w: from and to are required", ErrBadRequest)
	}
	if !to.After(from) {
		return fmt.Errorf("%w: to %s is not after from %s", ErrBadRequest, to.UTC().Format(time.RFC3339Nano), from.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// aggregate scans the reads of typ for the hours in [from, to) and sums
// them per node of level and hour.
func aggregate(ctx context.Context, lake *blob.Bucket, topo *topology.Topology, level topology.Level, typ meter.Type, from, to time.Time) ([]agg, error) {
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	if topo == nil {
		topo = &topology.Topology{}
	}
	switch level {
	case topology.LevelMeter, topology.LevelServiceTransformer, topology.LevelDistributionTransformer, topology.LevelSubstation:
	default:
		return nil, fmt.Errorf("%w: unknown level %q", ErrBadRequest, level)
	}
	from = from.UTC().Truncate(time.Hour)
	if t := to.UTC().Truncate(time.Hour); t.Before(to) {
		to = t.Add(time.Hour)
	}
	type hourKey struct {
		id   string
		hour int64
	}
	type instKey struct {
		id string
		ms int64
	}
	node := make(map[string]string) // meter -> node id, "" if none
	sums := make(map[hourKey]*agg)
	inst := make(map[instKey]float64)
	meters := make(map[hourKey]map[string]struct{})
	f := &partition.Filter{Types: []meter.Type{typ}, From: from.Add(time.Millisecond), To: to.Add(time.Millisecond)}
	_, err := partition.Scan(ctx, lake, f, func(reads []meter.Reading) error {
		for _, r := range reads {
			id, ok := node[r.MeterID]
			if !ok {
				p, _ := topo.Path(r.MeterID)
				id = p.At(level)
				node[r.MeterID] = id
			}
			if id == "" {
				continue
			}
			h := hourOf(r.Time)
			k := hourKey{id, h.UnixMilli()}
			a := sums[k]
			if a == nil {
				a = &agg{id: id, hour: h, peak: math.Inf(-1)}
				sums[k] = a
				meters[k] = make(map[string]struct{})
			}
			a.sum += r.Value
			a.reads++
			meters[k][r.MeterID] = struct{}{}
			inst[instKey{id, r.Time.UnixMilli()}] += r.Value
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("grid: scanning %s reads: %w", typ, err)
	}
	for k, v := range inst {
		a := sums[hourKey{k.id, hourOf(time.UnixMilli(k.ms)).UnixMilli()}]
		if v > a.peak {
			a.peak = v
		}
	}
	out := make([]agg, 0, len(sums))
	for k, a := range sums {
		a.meters = len(meters[k])
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b agg) int {
		if c := strings.Compare(a.id, b.id); c != 0 {
			return c
		}
		return a.hour.Compare(b.hour)
	})
	return out, nil
}
