package dataflow

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/tables"
)

// TopologyOptions configures a TopologyFlow. Nil means the defaults.
type TopologyOptions struct {
	// Dir is the directory in the source that holds the JSON files
	// (<table>.json or <table>/<table>.json); default the source's root.
	Dir string
	// Strict makes Prepare fail if the topology has consistency issues; by
	// default they are reported (Report) and the topology stored anyway.
	Strict bool
	// SkipReadsCheck leaves out the comparison of the topology's meters
	// with the lake's: it scans the kw reads, which on a large lake takes
	// time (bound it with ReadsFrom and ReadsTo instead).
	SkipReadsCheck bool
	// ReadsFrom and ReadsTo bound the reading times of the kw reads the
	// comparison scans, half-open; zero means unbounded.
	ReadsFrom, ReadsTo time.Time
}

// TopologyReport is what a topology load found.
type TopologyReport struct {
	// Counts are the rows per table.
	Counts map[string]int `json:"counts"`
	// Issues are the consistency problems (topology.Topology.Check).
	Issues []topology.Issue `json:"issues"`
	// ReadsChecked reports whether the lake's meters were compared.
	ReadsChecked bool `json:"reads_checked"`
	// LakeMeters is the number of distinct meters with kw reads.
	LakeMeters int `json:"lake_meters"`
	// MetersWithoutTopology are meters with kw reads that the topology
	// does not have, sorted.
	MetersWithoutTopology []string `json:"meters_without_topology"`
	// MetersWithoutReads are the topology's meters without kw reads,
	// sorted.
	MetersWithoutReads []string `json:"meters_without_reads"`
}

// TopologyFlow loads the guidance's topology JSON into the lake's
// topology tables.
type TopologyFlow struct {
	opts    TopologyOptions
	topo    *topology.Topology
	report  TopologyReport
	written []Written
}

// NewTopologyFlow returns a topology flow.
func NewTopologyFlow(opts *TopologyOptions) *TopologyFlow {
	f := &TopologyFlow{}
	if opts != nil {
		f.opts = *opts
	}
	return f
}

// Name implements Flow.
func (f *TopologyFlow) Name() string { return "topology" }

// Topology returns the topology loaded (nil before Load).
func (f *TopologyFlow) Topology() *topology.Topology { return f.topo }

// Report returns what the flow found: consistency issues after Prepare,
// the comparison with the lake's reads after Store.
func (f *TopologyFlow) Report() TopologyReport { return f.report }

// Load reads the JSON files with topology.ReadJSON.
func (f *TopologyFlow) Load(ctx context.Context, src fs.FS) error {
	t, err := topology.ReadJSON(src, f.opts.Dir)
	if err != nil {
		return err
	}
	f.topo = t
	return nil
}

// Prepare normalizes the topology (numeric capacities and coordinates) and
// checks its consistency.
func (f *TopologyFlow) Prepare(ctx context.Context) error {
	if f.topo == nil {
		return fmt.Errorf("nothing loaded")
	}
	f.topo.Normalize()
	f.report.Counts = f.topo.Counts()
	f.report.Issues = f.topo.Check()
	if f.report.Issues == nil {
		f.report.Issues = []topology.Issue{}
	}
	if f.opts.Strict && len(f.report.Issues) > 0 {
		return fmt.Errorf("%d consistency issues, the first: %v", len(f.report.Issues), f.report.Issues[0])
	}
	return nil
}

// Store writes the tables (topology.Topology.WriteLake) and compares the
// topology's meters with the meters that have kw reads in the lake.
func (f *TopologyFlow) Store(ctx context.Context, lake *blob.Bucket) error {
	if err := f.topo.WriteLake(ctx, lake); err != nil {
		return err
	}
	f.written = nil
	for _, name := range topology.TableNames {
		dir := tables.TopologyDir(name)
		f.written = append(f.written, Written{Table: name, Location: dir, Files: []string{dir + topology.FileName(name)},
			Rows: int64(f.report.Counts[name])})
	}
	if f.opts.SkipReadsCheck {
		return nil
	}
	ids, err := LakeMeters(ctx, lake, f.opts.ReadsFrom, f.opts.ReadsTo)
	if err != nil {
		return err
	}
	f.report.ReadsChecked = true
	f.report.LakeMeters = len(ids)
	f.report.MetersWithoutTopology, f.report.MetersWithoutReads = []string{}, []string{}
	for _, id := range ids {
		if !f.topo.Has(topology.LevelMeter, id) {
			f.report.MetersWithoutTopology = append(f.report.MetersWithoutTopology, id)
		}
	}
	have := make(map[string]bool, len(ids))
	for _, id := range ids {
		have[id] = true
	}
	for _, id := range f.topo.IDs(topology.LevelMeter) {
		if !have[id] {
			f.report.MetersWithoutReads = append(f.report.MetersWithoutReads, id)
		}
	}
	slices.Sort(f.report.MetersWithoutReads)
	return nil
}

// LakeMeters returns the distinct meters with kw reads in [from, to)
// (zero: unbounded), sorted.
func LakeMeters(ctx context.Context, lake *blob.Bucket, from, to time.Time) ([]string, error) {
	seen := map[string]struct{}{}
	_, err := partition.Scan(ctx, lake, &partition.Filter{Types: []meter.Type{meter.TypeKW}, From: from, To: to},
		func(reads []meter.Reading) error {
			for _, r := range reads {
				seen[r.MeterID] = struct{}{}
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("scanning the lake's meters: %w", err)
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// Register implements Flow: one call per topology table.
func (f *TopologyFlow) Register(ctx context.Context, register RegisterFunc) error {
	for _, w := range f.written {
		if err := register(ctx, w); err != nil {
			return err
		}
	}
	return nil
}
