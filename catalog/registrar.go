package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/partition"
)

// RegistrarOptions configures a Registrar. Nil means the defaults.
type RegistrarOptions struct {
	// Database is the database of the lake's integrated tables (readings,
	// weather, topology); "" means the catalog's DefaultDatabase.
	Database string
	// MLDatabase is the database of the forecast and anomaly result
	// tables; "" means DatabaseFeatureML.
	MLDatabase string
	// MLLocation is the root of the ML result tables, as engines see it;
	// "" means the lake's root. Directories given to RegisterDirs are
	// relative to the root of their table.
	MLLocation string
}

// Registrar registers what the lake's jobs write in a catalog: the
// guidance's tables (Tables) over one lake root, each in its database. It
// creates each database and table the first time it registers something
// in it (EnsureDatabase and EnsureTable, so an existing definition is
// brought up to date) and remembers that it did, so that later
// registrations cost one catalog call. It is the catalog side of every
// job's registration hook:
//
//   - staging.IntegrateOptions.Register and mda.IngestOptions.Register:
//     RegisterReadings;
//   - dataflow.RunOptions.Register (weather, topology): RegisterDataflow;
//   - forecast.RunOptions.Register and anything else that knows the
//     directories it wrote (forecasts, anomalies): RegisterDirs;
//   - and Sync, which repairs every table from the lake's listing, like
//     MSCK REPAIR TABLE.
//
// A Registrar is safe for concurrent use.
type Registrar struct {
	cat    *Catalog
	tables []*Table
	rels   []string // each table's directory relative to its root, e.g. "weather/"

	mu      sync.Mutex
	ensured map[string]bool
}

// NewRegistrar returns a Registrar of the guidance's tables (Tables) over
// the lake whose root, as engines see it, is location (e.g.
// "s3://bucket/", see LakeLocation), in cat. The Registrar does not own
// cat: close it after the Registrar's last use.
func NewRegistrar(cat *Catalog, location string, opts *RegistrarOptions) (*Registrar, error) {
	if cat == nil {
		return nil, errors.New("catalog: NewRegistrar: nil catalog")
	}
	var o RegistrarOptions
	if opts != nil {
		o = *opts
	}
	root, err := rootLocation(location)
	if err != nil {
		return nil, fmt.Errorf("catalog: NewRegistrar: location: %w", err)
	}
	mlRoot := root
	if o.MLLocation != "" {
		if mlRoot, err = rootLocation(o.MLLocation); err != nil {
			return nil, fmt.Errorf("catalog: NewRegistrar: ML location: %w", err)
		}
	}
	if o.Database == "" {
		o.Database = cat.DefaultDatabase()
	}
	if o.MLDatabase == "" {
		o.MLDatabase = DatabaseFeatureML
	}
	for _, db := range []string{o.Database, o.MLDatabase} {
		if err := ValidateName(db); err != nil {
			return nil, fmt.Errorf("catalog: NewRegistrar: database: %w", err)
		}
	}
	r := &Registrar{cat: cat, ensured: make(map[string]bool)}
	for _, t := range Tables(root, mlRoot) {
		base := root
		if t.Database == DatabaseFeatureML {
			t.Database, base = o.MLDatabase, mlRoot
		} else {
			t.Database = o.Database
		}
		r.tables = append(r.tables, t)
		r.rels = append(r.rels, strings.TrimPrefix(t.Location, base))
	}
	return r, nil
}

// rootLocation checks a lake root location and gives it a trailing slash.
func rootLocation(loc string) (string, error) {
	if !strings.Contains(loc, "://") {
		return "", fmt.Errorf("%q is not a URL such as s3://bucket/", loc)
	}
	if !strings.HasSuffix(loc, "/") {
		loc += "/"
	}
	return loc, nil
}

// Catalog returns the Registrar's catalog.
func (r *Registrar) Catalog() *Catalog { return r.cat }

// Tables returns copies of the Registrar's table definitions, in the order
// of Tables, with their databases and locations.
func (r *Registrar) Tables() []*Table {
	out := make([]*Table, len(r.tables))
	for i, t := range r.tables {
		out[i] = t.Clone()
	}
	return out
}

// Dir returns the directory of the table named name relative to its root
// (e.g. "weather/" for WeatherTableName), and whether the Registrar has
// such a table.
func (r *Registrar) Dir(name string) (string, bool) {
	i := r.index(name)
	if i < 0 {
		return "", false
	}
	return r.rels[i], true
}

func (r *Registrar) index(name string) int {
	return slices.IndexFunc(r.tables, func(t *Table) bool { return t.Name == name })
}

// EnsureTables creates the named tables (all of them if none are named),
// and their databases, where they do not exist, and updates definitions
// that changed.
func (r *Registrar) EnsureTables(ctx context.Context, names ...string) error {
	for _, t := range r.tables {
		if len(names) > 0 && !slices.Contains(names, t.Name) {
			continue
		}
		if err := r.ensure(ctx, t); err != nil {
			return err
		}
	}
	for _, n := range names {
		if r.index(n) < 0 {
			return fmt.Errorf("catalog: no table %q", n)
		}
	}
	return nil
}

func databaseDescription(name string) string {
	for _, db := range Databases() {
		if db.Name == name {
			return db.Description
		}
	}
	return "Meter data lake tables"
}

func (r *Registrar) ensure(ctx context.Context, t *Table) error {
	q := t.QualifiedName()
	r.mu.Lock()
	done := r.ensured[q]
	r.mu.Unlock()
	if done {
		return nil
	}
	if err := r.cat.EnsureDatabase(ctx, &Database{Name: t.Database, Description: databaseDescription(t.Database)}); err != nil {
		return err
	}
	if err := r.cat.EnsureTable(ctx, t); err != nil {
		return err
	}
	r.mu.Lock()
	r.ensured[q] = true
	r.mu.Unlock()
	return nil
}

// add ensures t and adds parts to it; if the table has gone since it was
// ensured (dropped by hand), it is created again.
func (r *Registrar) add(ctx context.Context, t *Table, parts []Partition) error {
	if err := r.ensure(ctx, t); err != nil {
		return err
	}
	if len(parts) == 0 {
		return nil
	}
	err := r.cat.AddPartitions(ctx, t.Database, t.Name, parts)
	if Code(err) == NotFound {
		r.mu.Lock()
		delete(r.ensured, t.QualifiedName())
		r.mu.Unlock()
		if err := r.ensure(ctx, t); err != nil {
			return err
		}
		err = r.cat.AddPartitions(ctx, t.Database, t.Name, parts)
	}
	return err
}

// RegisterReadings registers lake partitions in the readings table; its
// signature is that of staging.IntegrateOptions.Register and
// mda.IngestOptions.Register.
func (r *Registrar) RegisterReadings(ctx context.Context, keys []partition.Key) error {
	t := r.tables[r.index(ReadingsTableName)]
	parts := make([]Partition, len(keys))
	for i, k := range keys {
		parts[i] = Partition{Values: ReadingsValues(k)}
	}
	if len(parts) == 0 {
		return nil
	}
	return r.add(ctx, t, parts)
}

// RegisterDirs registers the partitions of the given directories, each
// relative to its table's root (the lake's, or MLLocation for the ML
// tables), as jobs name what they wrote: "weather/date=2024-03-01/",
// tables.ForecastDir(model, start), tables.AnomalyDir(year), a readings
// partition's Key.Path(), or the key of a file in one of them. A table's
// own directory (say "topology/smart_meter/", or any of an unpartitioned
// table's files) ensures the table only. A directory of no table, or
// whose key=value levels are not the table's partition keys, is an error
// and nothing is registered.
func (r *Registrar) RegisterDirs(ctx context.Context, dirs ...string) error {
	byTable := make(map[int][]Partition)
	var order []int
	for _, d := range dirs {
		i, values, err := r.parseDir(d)
		if err != nil {
			return err
		}
		if _, ok := byTable[i]; !ok {
			order = append(order, i)
		}
		if values != nil {
			byTable[i] = append(byTable[i], Partition{Values: values})
		} else if byTable[i] == nil {
			byTable[i] = []Partition{}
		}
	}
	for _, i := range order {
		if err := r.add(ctx, r.tables[i], byTable[i]); err != nil {
			return err
		}
	}
	return nil
}

// parseDir finds the table of a directory (or file key) and its partition
// values (nil for the table's own directory).
func (r *Registrar) parseDir(d string) (int, []string, error) {
	best := -1
	for i, rel := range r.rels {
		if strings.HasPrefix(d, rel) && (best < 0 || len(rel) > len(r.rels[best])) {
			best = i
		}
	}
	if best < 0 {
		return -1, nil, fmt.Errorf("catalog: %q is in no table's directory", d)
	}
	t := r.tables[best]
	rest := strings.TrimPrefix(d, r.rels[best])
	segs := strings.Split(rest, "/")
	keys := t.PartitionKeyNames()
	if len(keys) == 0 {
		return best, nil, nil
	}
	if n := len(segs); n > 0 && !strings.Contains(segs[n-1], "=") {
		segs = segs[:n-1] // a trailing "" or file name
	}
	if len(segs) == 0 {
		return best, nil, nil
	}
	if len(segs) != len(keys) {
		return -1, nil, fmt.Errorf("catalog: %q: want the partition keys %v of %s", d, keys, t.QualifiedName())
	}
	values := make([]string, len(keys))
	for i, s := range segs {
		k, v, _ := strings.Cut(s, "=")
		if k != keys[i] {
			return -1, nil, fmt.Errorf("catalog: %q: level %d is %q, want partition key %s of %s", d, i+1, k, keys[i], t.QualifiedName())
		}
		values[i] = v
	}
	if err := validateValues(values, len(keys)); err != nil {
		return -1, nil, fmt.Errorf("catalog: %q: %w", d, err)
	}
	return best, values, nil
}

// RegisterDataflow registers what a dataflow wrote (dataflow.Written: a
// table's location in the lake and its new partition directories); it is
// a dataflow.RegisterFunc, for dataflow.RunOptions.Register. The table is
// the one whose directory is w.Location ("weather/",
// "topology/smart_meter/").
func (r *Registrar) RegisterDataflow(ctx context.Context, w dataflow.Written) error {
	loc := w.Location
	if loc != "" && !strings.HasSuffix(loc, "/") {
		loc += "/"
	}
	i := slices.Index(r.rels, loc)
	if i < 0 {
		return fmt.Errorf("catalog: dataflow table %q: no table at %q", w.Table, w.Location)
	}
	dirs := []string{loc}
	for _, p := range w.Partitions {
		if !strings.HasSuffix(p, "/") {
			p += "/"
		}
		dirs = append(dirs, loc+p)
	}
	return r.RegisterDirs(ctx, dirs...)
}

// DataflowRegister returns the dataflow.RegisterFunc of a Registrar over
// cat and the lake root location (see NewRegistrar), for
// dataflow.RunOptions.Register.
func DataflowRegister(cat *Catalog, location string, opts *RegistrarOptions) (dataflow.RegisterFunc, error) {
	r, err := NewRegistrar(cat, location, opts)
	if err != nil {
		return nil, err
	}
	return r.RegisterDataflow, nil
}
