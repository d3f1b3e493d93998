package catalog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/catalog/localcat"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

// hookDriver is a Driver over another Catalog, with hooks around
// ListPartitions.
type hookDriver struct {
	in                    *catalog.Catalog
	beforeList, afterList func()
}

func (d *hookDriver) CreateDatabase(ctx context.Context, db *catalog.Database) error {
	return d.in.EnsureDatabase(ctx, db)
}
func (d *hookDriver) GetTable(ctx context.Context, db, name string) (*catalog.Table, error) {
	return d.in.GetTable(ctx, db, name)
}
func (d *hookDriver) CreateTable(ctx context.Context, t *catalog.Table) error {
	return d.in.EnsureTable(ctx, t)
}
func (d *hookDriver) UpdateTable(ctx context.Context, t *catalog.Table) error {
	return d.in.EnsureTable(ctx, t)
}
func (d *hookDriver) AddPartitions(ctx context.Context, t *catalog.Table, ps []catalog.Partition) error {
	return d.in.AddPartitions(ctx, t.Database, t.Name, ps)
}
func (d *hookDriver) ListPartitions(ctx context.Context, db, table string, f *catalog.Filter) ([]catalog.Partition, error) {
	if d.beforeList != nil {
		d.beforeList()
		d.beforeList = nil
	}
	ps, err := d.in.ListPartitions(ctx, db, table, f)
	if d.afterList != nil {
		d.afterList()
		d.afterList = nil
	}
	return ps, err
}
func (d *hookDriver) DropPartitions(ctx context.Context, t *catalog.Table, vs [][]string) error {
	return d.in.DropPartitions(ctx, t.Database, t.Name, vs)
}
func (d *hookDriver) Limits() catalog.Limits                { return catalog.Limits{} }
func (d *hookDriver) ErrorCode(err error) catalog.ErrorCode { return catalog.Code(err) }
func (d *hookDriver) As(any) bool                           { return false }
func (d *hookDriver) ErrorAs(error, any) bool               { return false }
func (d *hookDriver) Close() error                          { return nil }

// TestSyncDropRacesRegistration: a partition that an integrator writes
// and registers while SyncReadings with Drop runs, before or after the
// sync lists the catalog, stays registered (the sync listed the lake first,
// and dropped it: nothing registered it again).
func TestSyncDropRacesRegistration(t *testing.T) {
	for _, after := range []bool{false, true} {
		t.Run(fmt.Sprintf("after catalog listing=%v", after), func(t *testing.T) { syncDropRace(t, after) })
	}
}

func syncDropRace(t *testing.T, after bool) {
	ctx := t.Context()
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	inner, err := localcat.Open(lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	const db, loc = "mda_test", "s3://lake/"
	start := time.Date(2024, 3, 1, 22, 0, 0, 0, time.UTC)
	writeHours(t, lake, meter.TypeKW, start, 2)
	if err := catalog.RegisterReadings(ctx, inner, db, loc, nil); err != nil {
		t.Fatal(err)
	}
	d := &hookDriver{in: inner}
	cat := catalog.NewCatalog(d, nil)
	if _, err := catalog.SyncReadings(ctx, cat, lake, db, loc, nil); err != nil {
		t.Fatal(err)
	}
	// The integrator, while a repair runs: a new partition, compacted
	// and registered (IntegrateOptions.Register).
	var fresh partition.Key
	integrate := func() {
		fresh = writeHours(t, lake, meter.TypeKW, start.Add(5*time.Hour), 1)[0]
		if err := catalog.RegisterReadings(ctx, inner, db, loc, []partition.Key{fresh}); err != nil {
			t.Fatal(err)
		}
	}
	if after {
		d.afterList = integrate
	} else {
		d.beforeList = integrate
	}
	st, err := catalog.SyncReadings(ctx, cat, lake, db, loc, &catalog.SyncOptions{Drop: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Dropped) != 0 {
		t.Errorf("dropped %v", st.Dropped)
	}
	keys, err := catalog.ReadingsPartitions(ctx, inner, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, k := range keys {
		found = found || k == fresh
	}
	if !found {
		t.Errorf("partition %s is in the lake but no longer in the catalog", fresh.Path())
	}
}
