package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"gocloud.dev/blob"

	"github.com/openmda/mda/partition"
)

// TableSync reports the sync of one table by Registrar.Sync.
type TableSync struct {
	// Table is the table's definition.
	Table *Table
	// Lake is the number of partitions in the lake, Catalog the number the
	// catalog had (for the readings table, within SyncOptions.Filter).
	// Both are 0 for an unpartitioned table.
	Lake, Catalog int
	// Added and Dropped are the values of the partitions registered and
	// removed (or that would be, with DryRun).
	Added, Dropped [][]string
}

// Sync repairs the Registrar's tables (SyncOptions.Tables, or all) from
// the lake, like Athena's MSCK REPAIR TABLE on each: it ensures every
// database and table, lists each partitioned table's key=value
// directories in lake (the bucket of the lake root, holding the ML tables
// too) and registers the partitions the catalog lacks; with
// SyncOptions.Drop it also drops those the lake no longer has. A
// partition is in the lake when its directory holds a file whose name
// does not start with '.' or '_' (which engines skip). The readings table
// is listed with partition.Partitions, within SyncOptions.Filter;
// SyncReadings documents its rules.
//
// It returns one TableSync per table, in the order of Tables, also when it
// fails on one (with the tables done so far).
func (r *Registrar) Sync(ctx context.Context, lake *blob.Bucket, opts *SyncOptions) ([]TableSync, error) {
	if opts == nil {
		opts = new(SyncOptions)
	}
	for _, n := range opts.Tables {
		if r.index(n) < 0 {
			return nil, fmt.Errorf("catalog: sync: no table %q", n)
		}
	}
	var out []TableSync
	for i, t := range r.tables {
		if opts.Tables != nil && !slices.Contains(opts.Tables, t.Name) {
			continue
		}
		t = t.Clone()
		if !opts.DryRun {
			if err := r.ensure(ctx, t); err != nil {
				return out, err
			}
		}
		var st TableSync
		var err error
		switch {
		case len(t.PartitionKeys) == 0:
			st = TableSync{Table: t}
		case t.Name == ReadingsTableName:
			st, err = syncReadings(ctx, r.cat, lake, t, opts)
		default:
			dir, keys := r.rels[i], t.PartitionKeyNames()
			listLake := func() ([][]string, error) {
				inLake, err := lakePartitions(ctx, lake, dir, keys)
				if err != nil {
					return nil, fmt.Errorf("catalog: sync %s: listing the lake: %w", t.QualifiedName(), err)
				}
				return inLake, nil
			}
			droppable := func(v []string) (bool, error) {
				p := dir
				for j, k := range keys {
					p += k + "=" + v[j] + "/"
				}
				present, err := hasVisibleFile(ctx, lake, p)
				return !present, err
			}
			st, err = syncPartitions(ctx, r.cat, t, listLake, nil, droppable, opts)
		}
		out = append(out, st)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// lakePartitions lists the partitions of a table under dir in b: the
// key=value directories, one level per key, whose last level holds a
// visible file. Directories of other names, or with values that are not
// valid partition values, are skipped.
func lakePartitions(ctx context.Context, b *blob.Bucket, dir string, keys []string) ([][]string, error) {
	var out [][]string
	var walk func(prefix string, values []string) error
	walk = func(prefix string, values []string) error {
		i := len(values)
		if i == len(keys) {
			ok, err := hasVisibleFile(ctx, b, prefix)
			if ok {
				out = append(out, slices.Clone(values))
			}
			return err
		}
		dirs, err := partition.ListDirs(ctx, b, prefix)
		if err != nil {
			return err
		}
		for _, d := range dirs {
			v, ok := strings.CutPrefix(d, keys[i]+"=")
			if !ok || validateValues([]string{v}, 1) != nil {
				continue
			}
			if err := walk(prefix+d+"/", append(values, v)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(dir, nil); err != nil {
		return nil, err
	}
	slices.SortFunc(out, compareValues)
	return out, nil
}

// hasVisibleFile reports whether dir holds, directly, a file whose name
// does not start with '.' or '_'.
func hasVisibleFile(ctx context.Context, b *blob.Bucket, dir string) (bool, error) {
	it := b.List(&blob.ListOptions{Prefix: dir, Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("listing %s: %w", dir, err)
		}
		if name := path.Base(obj.Key); !obj.IsDir && name != "" && name[0] != '.' && name[0] != '_' {
			return true, nil
		}
	}
}
