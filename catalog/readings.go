package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"gocloud.dev/blob"
)

// ReadingsValues returns the values of the readings table's partition keys
// for a lake partition: reading_type, then year, month, day and hour,
// zero-padded as in the lake's paths.
func ReadingsValues(k partition.Key) []string {
	t := k.Hour.UTC()
	return []string{
		string(k.Type),
		fmt.Sprintf("%04d", t.Year()),
		fmt.Sprintf("%02d", int(t.Month())),
		fmt.Sprintf("%02d", t.Day()),
		fmt.Sprintf("%02d", t.Hour()),
	}
}

// ReadingsKey is the inverse of ReadingsValues: it parses partition values
// of the readings table as strictly as partition.ParseKey parses paths.
func ReadingsKey(values []string) (partition.Key, error) {
	if len(values) != len(ReadingsPartitionKeys) {
		return partition.Key{}, fmt.Errorf("catalog: readings partition %q: want %d values", values, len(ReadingsPartitionKeys))
	}
	var b strings.Builder
	b.WriteString(partition.Prefix)
	for i, k := range ReadingsPartitionKeys {
		fmt.Fprintf(&b, "%s=%s/", k, values[i])
	}
	return partition.ParseKey(b.String())
}

// ReadingsFilter translates the types and time range of a lake filter into
// a filter of the readings table's partitions: the partitions that can
// hold matching reads (a partition's hour meets [From, To)). MeterIDs are
// not partition keys and are ignored. A nil f gives a nil Filter.
func ReadingsFilter(f *partition.Filter) *Filter {
	if f == nil || len(f.Types) == 0 && f.From.IsZero() && f.To.IsZero() {
		return nil
	}
	out := &Filter{}
	if len(f.Types) > 0 {
		vs := make([]string, len(f.Types))
		for i, t := range f.Types {
			vs[i] = string(t)
		}
		out.Values = map[string][]string{"reading_type": vs}
	}
	if !f.From.IsZero() || !f.To.IsZero() {
		r := &Range{Keys: ReadingsPartitionKeys[1:]}
		if !f.From.IsZero() {
			// The hour holding From is the first that can match.
			r.From = ReadingsValues(partition.Key{Hour: f.From.UTC().Truncate(time.Hour)})[1:]
		}
		if !f.To.IsZero() {
			// Hours starting before To match: those before To rounded up.
			to := f.To.UTC()
			up := to.Truncate(time.Hour)
			if up.Before(to) {
				up = up.Add(time.Hour)
			}
			r.To = ReadingsValues(partition.Key{Hour: up})[1:]
		}
		out.Range = r
	}
	return out
}

// SyncOptions configures SyncReadings and Registrar.Sync. Nil means the
// defaults.
type SyncOptions struct {
	// Filter limits the sync of the readings table to part of the lake
	// (its types and time range); nil syncs everything. Other tables are
	// synced whole.
	Filter *partition.Filter
	// Drop removes partitions from the catalog that the lake no longer has
	// (within Filter). By default they are kept.
	Drop bool
	// DryRun computes the changes without making them.
	DryRun bool
	// Tables names the tables that Registrar.Sync syncs (e.g.
	// ReadingsTableName, WeatherTableName); nil means all.
	Tables []string
}

// SyncStats reports what SyncReadings found and did.
type SyncStats struct {
	// Lake is the number of partitions in the lake, Catalog the number the
	// catalog had (within the filter).
	Lake, Catalog int
	// Added and Dropped are the partitions registered and removed.
	Added, Dropped []partition.Key
}

// SyncReadings repairs the readings table of database db from the lake,
// like Athena's MSCK REPAIR TABLE: it ensures db and the table
// (ReadingsTable(location), renamed into db) exist, lists the lake's
// partitions with partition.Partitions and registers those the catalog
// lacks. With SyncOptions.Drop it also drops partitions that are no longer
// in the lake. location is the lake's root as engines see it (e.g.
// "s3://bucket/"); lake is the same bucket, opened for listing.
// Registrar.Sync does the same for every table.
//
// Catalog partitions whose values are not a valid lake partition are left
// alone.
func SyncReadings(ctx context.Context, cat *Catalog, lake *blob.Bucket, db, location string, opts *SyncOptions) (SyncStats, error) {
	var st SyncStats
	if opts == nil {
		opts = new(SyncOptions)
	}
	t := ReadingsTable(location)
	t.Database = db
	if !opts.DryRun {
		if err := cat.EnsureDatabase(ctx, &Database{Name: db, Description: "Integrated meter data"}); err != nil {
			return st, err
		}
		if err := cat.EnsureTable(ctx, t); err != nil {
			return st, err
		}
	}
	ts, err := syncReadings(ctx, cat, lake, t, opts)
	st.Lake, st.Catalog = ts.Lake, ts.Catalog
	for _, v := range ts.Added {
		k, _ := ReadingsKey(v)
		st.Added = append(st.Added, k)
	}
	for _, v := range ts.Dropped {
		k, _ := ReadingsKey(v)
		st.Dropped = append(st.Dropped, k)
	}
	return st, err
}

// syncReadings syncs the readings table t (which exists unless DryRun).
func syncReadings(ctx context.Context, cat *Catalog, lake *blob.Bucket, t *Table, opts *SyncOptions) (TableSync, error) {
	listLake := func() ([][]string, error) {
		keys, err := partition.Partitions(ctx, lake, opts.Filter)
		if err != nil {
			return nil, fmt.Errorf("catalog: sync %s: listing the lake: %w", t.QualifiedName(), err)
		}
		inLake := make([][]string, len(keys))
		for i, k := range keys {
			inLake[i] = ReadingsValues(k)
		}
		return inLake, nil
	}
	droppable := func(v []string) (bool, error) {
		k, err := ReadingsKey(v)
		if err != nil || !typeSelected(opts.Filter, k.Type) {
			return false, nil
		}
		present, err := hasVisibleFile(ctx, lake, k.Path())
		return !present, err
	}
	return syncPartitions(ctx, cat, t, listLake, ReadingsFilter(opts.Filter), droppable, opts)
}

// syncPartitions registers the partitions of t that are in the lake
// (listLake) and not in the catalog (within f), and with opts.Drop drops
// the catalog's that are not in the lake and droppable. The catalog is
// listed before the lake, and droppable looks at a partition's directory
// again just before it is dropped: an integrator that writes and
// registers a partition while the sync runs must not have it dropped.
func syncPartitions(ctx context.Context, cat *Catalog, t *Table, listLake func() ([][]string, error), f *Filter,
	droppable func([]string) (bool, error), opts *SyncOptions) (TableSync, error) {
	st := TableSync{Table: t}
	have, err := cat.ListPartitions(ctx, t.Database, t.Name, f)
	if err != nil && !(opts.DryRun && Code(err) == NotFound) {
		return st, err
	}
	inLake, err := listLake()
	if err != nil {
		return st, err
	}
	st.Lake = len(inLake)
	st.Catalog = len(have)
	inCatalog := make(map[string]bool, len(have))
	for _, p := range have {
		inCatalog[valuesKey(p.Values)] = true
	}
	lakeSet := make(map[string]bool, len(inLake))
	var add []Partition
	for _, v := range inLake {
		k := valuesKey(v)
		lakeSet[k] = true
		if !inCatalog[k] {
			st.Added = append(st.Added, v)
			add = append(add, Partition{Values: v, Location: t.PartitionLocation(v)})
		}
	}
	var drop [][]string
	if opts.Drop {
		for _, p := range have {
			if lakeSet[valuesKey(p.Values)] {
				continue
			}
			ok, err := droppable(p.Values)
			if err != nil {
				return st, fmt.Errorf("catalog: sync %s: %w", t.QualifiedName(), err)
			}
			if ok {
				st.Dropped = append(st.Dropped, p.Values)
				drop = append(drop, p.Values)
			}
		}
	}
	if opts.DryRun {
		return st, nil
	}
	if err := cat.AddPartitions(ctx, t.Database, t.Name, add); err != nil {
		return st, err
	}
	if err := cat.DropPartitions(ctx, t.Database, t.Name, drop); err != nil {
		return st, err
	}
	return st, nil
}

func typeSelected(f *partition.Filter, t meter.Type) bool {
	if f == nil || len(f.Types) == 0 {
		return true
	}
	for _, x := range f.Types {
		if x == t {
			return true
		}
	}
	return false
}

// RegisterReadings registers lake partitions in the readings table of db
// (creating database and table if needed); partitions already there are
// left as they are. Integration calls it with the partitions it wrote, so
// that engines see new data without a repair.
func RegisterReadings(ctx context.Context, cat *Catalog, db, location string, keys []partition.Key) error {
	if len(keys) == 0 {
		return nil
	}
	t := ReadingsTable(location)
	t.Database = db
	if err := cat.EnsureDatabase(ctx, &Database{Name: db, Description: "Integrated meter data"}); err != nil {
		return err
	}
	if err := cat.EnsureTable(ctx, t); err != nil {
		return err
	}
	parts := make([]Partition, len(keys))
	for i, k := range keys {
		parts[i] = Partition{Values: ReadingsValues(k), Location: t.PartitionLocation(ReadingsValues(k))}
	}
	return cat.AddPartitions(ctx, db, t.Name, parts)
}

// ReadingsPartitions returns the readings partitions the catalog knows that
// match f, for partition.Filter.Keys: a scan then reads the catalog instead
// of listing the bucket, as Athena does.
func ReadingsPartitions(ctx context.Context, cat *Catalog, db string, f *partition.Filter) ([]partition.Key, error) {
	parts, err := cat.ListPartitions(ctx, db, ReadingsTableName, ReadingsFilter(f))
	if err != nil {
		return nil, err
	}
	keys := make([]partition.Key, 0, len(parts))
	for _, p := range parts {
		if k, err := ReadingsKey(p.Values); err == nil {
			keys = append(keys, k)
		}
	}
	return keys, nil
}
