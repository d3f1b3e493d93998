package catalogtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

// Harness makes catalogs for one test.
type Harness interface {
	// MakeCatalog returns a new handle on the harness's catalog. Handles
	// made by one harness share the same state (as several processes
	// would), and the state starts empty.
	MakeCatalog(ctx context.Context) (*catalog.Catalog, error)
	// Close releases the harness's resources.
	Close()
}

// HarnessMaker makes a Harness for one test.
type HarnessMaker func(ctx context.Context, t *testing.T) (Harness, error)

// AsTest checks a driver's As and ErrorAs types.
type AsTest interface {
	// Name names the test.
	Name() string
	// CatalogCheck checks Catalog.As.
	CatalogCheck(c *catalog.Catalog) error
	// ErrorCheck checks Catalog.ErrorAs on err, a NotFound error of
	// GetTable.
	ErrorCheck(c *catalog.Catalog, err error) error
}

// Options configures RunConformanceTests. Nil means the defaults.
type Options struct {
	// AsTests are the driver's As checks.
	AsTests []AsTest
	// Writers is the number of concurrent writers in the concurrency
	// tests; default 8.
	Writers int
}

// RunConformanceTests runs the suite against catalogs made by newHarness.
func RunConformanceTests(t *testing.T, newHarness HarnessMaker, opts *Options) {
	t.Helper()
	if opts == nil {
		opts = new(Options)
	}
	writers := opts.Writers
	if writers <= 0 {
		writers = 8
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"EnsureDatabase", testEnsureDatabase},
		{"EnsureTable", testEnsureTable},
		{"EnsureTableUpdate", testEnsureTableUpdate},
		{"NotFound", testNotFound},
		{"InvalidArgument", testInvalidArgument},
		{"AddPartitions", testAddPartitions},
		{"AddPartitionsBatches", testAddPartitionsBatches},
		{"ListPartitionsFilter", testListPartitionsFilter},
		{"ReadingsFilter", testReadingsFilter},
		{"DropPartitions", testDropPartitions},
		{"ConcurrentAddPartitions", func(t *testing.T, h Harness) { testConcurrentAdd(t, h, writers) }},
		{"ConcurrentEnsure", func(t *testing.T, h Harness) { testConcurrentEnsure(t, h, writers) }},
		{"ConcurrentAddAndDrop", func(t *testing.T, h Harness) { testConcurrentAddDrop(t, h, writers) }},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := makeHarness(t, newHarness)
			tc.fn(t, h)
		})
	}
	for _, at := range opts.AsTests {
		t.Run("As/"+at.Name(), func(t *testing.T) {
			h := makeHarness(t, newHarness)
			c := open(t, h)
			if err := at.CatalogCheck(c); err != nil {
				t.Error(err)
			}
			_, err := c.GetTable(t.Context(), "no_such_db", "no_such_table")
			if err == nil {
				t.Fatal("GetTable of a missing table: no error")
			}
			if err := at.ErrorCheck(c, err); err != nil {
				t.Error(err)
			}
		})
	}
}

func makeHarness(t *testing.T, newHarness HarnessMaker) Harness {
	t.Helper()
	h, err := newHarness(t.Context(), t)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func open(t *testing.T, h Harness) *catalog.Catalog {
	t.Helper()
	c, err := h.MakeCatalog(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

const testDB = "mda_conformance"

// testTable is a readings table in testDB.
func testTable() *catalog.Table {
	t := catalog.ReadingsTable("s3://lake/")
	t.Database = testDB
	t.Projection = nil
	return t
}

// setup opens a catalog with testDB and testTable.
func setup(t *testing.T, h Harness) (*catalog.Catalog, *catalog.Table) {
	t.Helper()
	c := open(t, h)
	ctx := t.Context()
	if err := c.EnsureDatabase(ctx, &catalog.Database{Name: testDB, Description: "conformance"}); err != nil {
		t.Fatal(err)
	}
	tbl := testTable()
	if err := c.EnsureTable(ctx, tbl); err != nil {
		t.Fatal(err)
	}
	return c, tbl
}

func hour(s string) time.Time {
	h, err := time.Parse("2006-01-02T15", s)
	if err != nil {
		panic(err)
	}
	return h
}

// hours returns readings partitions of type typ for n hours from start.
func hours(tbl *catalog.Table, typ meter.Type, start time.Time, n int) []catalog.Partition {
	out := make([]catalog.Partition, n)
	for i := range out {
		v := catalog.ReadingsValues(partition.Key{Type: typ, Hour: start.Add(time.Duration(i) * time.Hour)})
		out[i] = catalog.Partition{Values: v, Location: tbl.PartitionLocation(v)}
	}
	return out
}

func list(t *testing.T, c *catalog.Catalog, f *catalog.Filter) []catalog.Partition {
	t.Helper()
	ps, err := c.ListPartitions(t.Context(), testDB, catalog.ReadingsTableName, f)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func sorted(ps []catalog.Partition) []catalog.Partition {
	ps = slices.Clone(ps)
	slices.SortFunc(ps, func(a, b catalog.Partition) int { return slices.Compare(a.Values, b.Values) })
	return slices.CompactFunc(ps, func(a, b catalog.Partition) bool { return slices.Equal(a.Values, b.Values) })
}

func testEnsureDatabase(t *testing.T, h Harness) {
	c := open(t, h)
	for range 2 {
		if err := c.EnsureDatabase(t.Context(), &catalog.Database{Name: testDB}); err != nil {
			t.Fatalf("EnsureDatabase: %v", err)
		}
	}
}

func testEnsureTable(t *testing.T, h Harness) {
	c, tbl := setup(t, h)
	ctx := t.Context()
	got, err := c.GetTable(ctx, testDB, tbl.Name)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tbl, got); diff != "" {
		t.Errorf("GetTable after EnsureTable (-want +got):\n%s", diff)
	}
	// Again, and from another handle: no change, no error.
	if err := c.EnsureTable(ctx, tbl); err != nil {
		t.Fatalf("second EnsureTable: %v", err)
	}
	if err := open(t, h).EnsureTable(ctx, tbl); err != nil {
		t.Fatalf("EnsureTable from another handle: %v", err)
	}
	// Projection is not stored.
	withProj := tbl.Clone()
	withProj.Projection = map[string]string{"projection.enabled": "true"}
	if err := c.EnsureTable(ctx, withProj); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.GetTable(ctx, testDB, tbl.Name); got.Projection != nil {
		t.Errorf("Projection stored: %v", got.Projection)
	}
	// Every table of the guidance can be created.
	for _, db := range catalog.Databases() {
		if err := c.EnsureDatabase(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range catalog.Tables("s3://lake/", "s3://ml/") {
		want.Projection = nil
		if err := c.EnsureTable(ctx, want); err != nil {
			t.Fatalf("EnsureTable %s: %v", want.QualifiedName(), err)
		}
		got, err := c.GetTable(ctx, want.Database, want.Name)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", want.QualifiedName(), diff)
		}
	}
}

func testEnsureTableUpdate(t *testing.T, h Harness) {
	c, tbl := setup(t, h)
	ctx := t.Context()
	parts := hours(tbl, meter.TypeKW, hour("2024-03-01T10"), 3)
	if err := c.AddPartitions(ctx, testDB, tbl.Name, parts); err != nil {
		t.Fatal(err)
	}
	// A new column and property: the table is updated, partitions kept.
	v2 := tbl.Clone()
	v2.Columns = append(v2.Columns, catalog.Column{Name: "unit", Type: "string"})
	v2.Parameters["mda.version"] = "2"
	if err := c.EnsureTable(ctx, v2); err != nil {
		t.Fatalf("EnsureTable with a new column: %v", err)
	}
	got, err := c.GetTable(ctx, testDB, tbl.Name)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v2, got); diff != "" {
		t.Errorf("updated table (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sorted(parts), list(t, c, nil)); diff != "" {
		t.Errorf("partitions after update (-want +got):\n%s", diff)
	}
	// Changing the partition keys is refused.
	v3 := v2.Clone()
	v3.PartitionKeys = v3.PartitionKeys[:4]
	err = c.EnsureTable(ctx, v3)
	if !errors.Is(err, catalog.ErrFailedPrecondition) {
		t.Errorf("EnsureTable with other partition keys: got %v, want ErrFailedPrecondition", err)
	}
}

func testNotFound(t *testing.T, h Harness) {
	c := open(t, h)
	ctx := t.Context()
	tbl := testTable()
	checks := []struct {
		name string
		err  error
	}{
		{"EnsureTable without database", c.EnsureTable(ctx, tbl)},
		{"AddPartitions without table", c.AddPartitions(ctx, testDB, tbl.Name, hours(tbl, "kw", hour("2024-01-01T00"), 1))},
		{"DropPartitions without table", c.DropPartitions(ctx, testDB, tbl.Name, [][]string{{"kw", "2024", "01", "01", "00"}})},
	}
	_, err := c.GetTable(ctx, testDB, tbl.Name)
	checks = append(checks, struct {
		name string
		err  error
	}{"GetTable", err})
	_, err = c.ListPartitions(ctx, testDB, tbl.Name, nil)
	checks = append(checks, struct {
		name string
		err  error
	}{"ListPartitions", err})
	for _, ch := range checks {
		if !errors.Is(ch.err, catalog.ErrNotFound) || catalog.Code(ch.err) != catalog.NotFound {
			t.Errorf("%s: got %v, want ErrNotFound", ch.name, ch.err)
		}
		var e *catalog.Error
		if !errors.As(ch.err, &e) || e.Op == "" {
			t.Errorf("%s: %v is not a *catalog.Error with Op", ch.name, ch.err)
		}
	}
	// After the database exists, the table is still not found.
	if err := c.EnsureDatabase(ctx, &catalog.Database{Name: testDB}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetTable(ctx, testDB, "missing"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("GetTable of a missing table: got %v, want ErrNotFound", err)
	}
}

func testInvalidArgument(t *testing.T, h Harness) {
	c, tbl := setup(t, h)
	ctx := t.Context()
	bad := tbl.Clone()
	bad.Location = "s3://lake/readings" // no trailing slash
	tests := []struct {
		name string
		err  error
	}{
		{"bad database name", c.EnsureDatabase(ctx, &catalog.Database{Name: "Bad-Name"})},
		{"bad location", c.EnsureTable(ctx, bad)},
		{"too few values", c.AddPartitions(ctx, testDB, tbl.Name, []catalog.Partition{{Values: []string{"kw", "2024"}}})},
		{"value with slash", c.AddPartitions(ctx, testDB, tbl.Name, []catalog.Partition{{Values: []string{"kw", "2024", "03", "01", "1/0"}}})},
		{"empty value", c.DropPartitions(ctx, testDB, tbl.Name, [][]string{{"kw", "", "03", "01", "10"}})},
	}
	_, err := c.ListPartitions(ctx, testDB, tbl.Name, &catalog.Filter{Values: map[string][]string{"meter_id": {"m1"}}})
	tests = append(tests, struct {
		name string
		err  error
	}{"filter on a column", err})
	_, err = c.ListPartitions(ctx, testDB, tbl.Name, &catalog.Filter{Range: &catalog.Range{Keys: []string{"year"}, From: []string{"2024", "01"}}})
	tests = append(tests, struct {
		name string
		err  error
	}{"range bound length", err})
	for _, tc := range tests {
		if !errors.Is(tc.err, catalog.ErrInvalidArgument) {
			t.Errorf("%s: got %v, want ErrInvalidArgument", tc.name, tc.err)
		}
	}
	if ps := list(t, c, nil); len(ps) != 0 {
		t.Errorf("invalid calls added partitions: %v", ps)
	}
}

func testAddPartitions(t *testing.T, h Harness) {
	c, tbl := setup(t, h)
	ctx := t.Context()
	a := hours(tbl, meter.TypeKW, hour("2024-03-01T10"), 5)
	b := hours(tbl, meter.TypeKW, hour("2024-03-01T12"), 5) // overlaps a
	// A partition without a location gets the table's default.
	noLoc := catalog.Partition{Values: []string{"vltg", "2024", "03", "01", "10"}}
	steps := []struct {
		name string
		add  []catalog.Partition
		want []catalog.Partition
	}{
		{"first", a, sorted(a)},
		{"again", a, sorted(a)},
		{"overlap", b, sorted(append(slices.Clone(a), b...))},
		{"duplicates in one call", append(slices.Clone(b), b...), sorted(append(slices.Clone(a), b...))},
		{"default location", []catalog.Partition{noLoc}, sorted(append(append(slices.Clone(a), b...),
			catalog.Partition{Values: noLoc.Values, Location: "s3://lake/readings/reading_type=vltg/year=2024/month=03/day=01/hour=10/"}))},
		{"nothing", nil, nil},
	}
	var want []catalog.Partition
	for _, s := range steps {
		if err := c.AddPartitions(ctx, testDB, tbl.Name, s.add); err != nil {
			t.Fatalf("%s: AddPartitions: %v", s.name, err)
		}
		if s.want != nil {
			want = s.want
		}
		if diff := cmp.Diff(want, list(t, c, nil)); diff != "" {
			t.Errorf("%s: partitions (-want +got):\n%s", s.name, diff)
		}
	}
	// Another handle sees the same.
	if diff := cmp.Diff(want, list(t, open(t, h), nil)); diff != "" {
		t.Errorf("other handle (-want +got):\n%s", diff)
	}
}

func testAddPartitionsBatches(t *testing.T, h Harness) {
	c, tbl := setup(t, h)
	ctx := t.Context()
	// 250 partitions (several Glue batches of 100), half of them present.
	all := hours(tbl, meter.TypeKW, hour("2024-01-01T00"), 250)
	if err := c.AddPartitions(ctx, testDB, tbl.Name, all[:125]); err != nil {
		t.Fatal(err)
	}
	if err := c.AddPartitions(ctx, testDB, tbl.Name, all); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sorted(all), list(t, c, nil)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Drop 60 (several Glue batches of 25).
	var drop [][]string
	for _, p := range all[100:160] {
		drop = append(drop, p.Values)
	}
	if err := c.DropPartitions(ctx, testDB, tbl.Name, drop); err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(all[:100]), all[160:]...)
	if diff := cmp.Diff(sorted(want), list(t, c, nil)); diff != "" {
		t.Errorf("after drop (-want +got):\n%s", diff)
	}
}

func testListPartitionsFilter(t *testing.T, h Harness) {
	c, tbl := setup(t, h)
	ctx := t.Context()
	var all []catalog.Partition
	for _, typ := range []meter.Type{meter.TypeKW, meter.TypeKWh, meter.TypeVoltage} {
		// 2024-02-28T20 .. 2024-03-02T03: crosses a month and days.
		all = append(all, hours(tbl, typ, hour("2024-02-28T20"), 56)...)
	}
	all = append(all, hours(tbl, meter.TypeKW, hour("2023-12-31T22"), 4)...) // crosses a year
	if err := c.AddPartitions(ctx, testDB, tbl.Name, all); err != nil {
		t.Fatal(err)
	}
	keys := tbl.PartitionKeyNames()
	tests := []struct {
		name string
		f    *catalog.Filter
	}{
		{"nil", nil},
		{"zero", &catalog.Filter{}},
		{"one type", &catalog.Filter{Values: map[string][]string{"reading_type": {"kwh"}}}},
		{"two types", &catalog.Filter{Values: map[string][]string{"reading_type": {"kw", "vltg"}}}},
		{"no values", &catalog.Filter{Values: map[string][]string{"reading_type": {}}}},
		{"absent type", &catalog.Filter{Values: map[string][]string{"reading_type": {"pf"}}}},
		{"several keys", &catalog.Filter{Values: map[string][]string{"reading_type": {"kw"}, "day": {"29", "01"}, "hour": {"00", "23"}}}},
		{"year", &catalog.Filter{Values: map[string][]string{"year": {"2023"}}}},
		{"range from", &catalog.Filter{Range: &catalog.Range{Keys: []string{"year", "month", "day", "hour"}, From: []string{"2024", "03", "01", "22"}}}},
		{"range to", &catalog.Filter{Range: &catalog.Range{Keys: []string{"year", "month", "day", "hour"}, To: []string{"2024", "02", "29", "01"}}}},
		{"range both", &catalog.Filter{Range: &catalog.Range{Keys: []string{"year", "month", "day", "hour"},
			From: []string{"2024", "02", "29", "23"}, To: []string{"2024", "03", "01", "02"}}}},
		{"range and type", &catalog.Filter{Values: map[string][]string{"reading_type": {"kwh"}},
			Range: &catalog.Range{Keys: []string{"year", "month", "day", "hour"}, From: []string{"2024", "02", "29", "23"}, To: []string{"2024", "03", "01", "02"}}}},
		{"range on day only", &catalog.Filter{Range: &catalog.Range{Keys: []string{"day"}, From: []string{"02"}, To: []string{"29"}}}},
		{"range empty", &catalog.Filter{Range: &catalog.Range{Keys: []string{"year"}, From: []string{"2024"}, To: []string{"2024"}}}},
		{"range on type", &catalog.Filter{Range: &catalog.Range{Keys: []string{"reading_type", "year"}, From: []string{"kw", "2024"}, To: []string{"kwh", "2024"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []catalog.Partition
			for _, p := range sorted(all) {
				if tc.f.Match(keys, p.Values) {
					want = append(want, p)
				}
			}
			got := list(t, c, tc.f)
			if len(got) == 0 {
				got = nil
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// Spot checks of Match itself, so that the suite does not only agree
	// with itself.
	counts := map[string]int{"nil": 172, "one type": 56, "two types": 116, "range both": 3 * 3, "range and type": 3, "year": 2}
	for _, tc := range tests {
		if want, ok := counts[tc.name]; ok {
			if got := len(list(t, c, tc.f)); got != want {
				t.Errorf("%s: %d partitions, want %d", tc.name, got, want)
			}
		}
	}
}

func testReadingsFilter(t *testing.T, h Harness) {
	c, tbl := setup(t, h)
	ctx := t.Context()
	var all []catalog.Partition
	for _, typ := range []meter.Type{meter.TypeKW, meter.TypePF} {
		all = append(all, hours(tbl, typ, hour("2024-03-01T00"), 48)...)
	}
	if err := c.AddPartitions(ctx, testDB, tbl.Name, all); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		f     *partition.Filter
		first string // first hour expected, "" for none
		n     int    // hours expected per type
		types int
	}{
		{"all", nil, "2024-03-01T00", 48, 2},
		{"type", &partition.Filter{Types: []meter.Type{meter.TypePF}}, "2024-03-01T00", 48, 1},
		{"hour bounds", &partition.Filter{From: hour("2024-03-01T10"), To: hour("2024-03-01T14")}, "2024-03-01T10", 4, 2},
		{"mid-hour bounds", &partition.Filter{From: hour("2024-03-01T10").Add(30 * time.Minute), To: hour("2024-03-01T14").Add(time.Minute)}, "2024-03-01T10", 5, 2},
		{"day and type", &partition.Filter{Types: []meter.Type{meter.TypeKW}, From: hour("2024-03-02T00"), To: hour("2024-03-03T00")}, "2024-03-02T00", 24, 1},
		{"before", &partition.Filter{To: hour("2024-03-01T00")}, "", 0, 0},
		{"after", &partition.Filter{From: hour("2024-03-03T00")}, "", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := list(t, c, catalog.ReadingsFilter(tc.f))
			var want []catalog.Partition
			if tc.first != "" {
				for _, typ := range []meter.Type{meter.TypeKW, meter.TypePF} {
					if tc.f == nil || len(tc.f.Types) == 0 || slices.Contains(tc.f.Types, typ) {
						want = append(want, hours(tbl, typ, hour(tc.first), tc.n)...)
					}
				}
			}
			if diff := cmp.Diff(sorted(want), got, cmpEmpty); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if len(got) != tc.n*tc.types {
				t.Errorf("%d partitions, want %d", len(got), tc.n*tc.types)
			}
		})
	}
}

var cmpEmpty = cmp.Comparer(func(a, b []catalog.Partition) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return slices.EqualFunc(a, b, func(x, y catalog.Partition) bool {
		return x.Location == y.Location && slices.Equal(x.Values, y.Values)
	})
})

func testDropPartitions(t *testing.T, h Harness) {
	c, tbl := setup(t, h)
	ctx := t.Context()
	all := hours(tbl, meter.TypeKW, hour("2024-03-01T00"), 10)
	if err := c.AddPartitions(ctx, testDB, tbl.Name, all); err != nil {
		t.Fatal(err)
	}
	drop := [][]string{all[2].Values, all[5].Values, {"kw", "1999", "01", "01", "00"}, all[2].Values}
	for range 2 { // dropping again, and dropping absent partitions, is fine
		if err := c.DropPartitions(ctx, testDB, tbl.Name, drop); err != nil {
			t.Fatalf("DropPartitions: %v", err)
		}
	}
	want := slices.Concat(all[:2], all[3:5], all[6:])
	if diff := cmp.Diff(sorted(want), list(t, c, nil)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A dropped partition can be added again.
	if err := c.AddPartitions(ctx, testDB, tbl.Name, all[5:6]); err != nil {
		t.Fatal(err)
	}
	want = append(want, all[5])
	if diff := cmp.Diff(sorted(want), list(t, c, nil)); diff != "" {
		t.Errorf("re-added (-want +got):\n%s", diff)
	}
}

// testConcurrentAdd runs writers, each with its own handle (as separate
// processes would), adding overlapping partition sets in several calls.
// The result must be the union: no update lost.
func testConcurrentAdd(t *testing.T, h Harness, writers int) {
	_, tbl := setup(t, h)
	ctx := t.Context()
	var want []catalog.Partition
	sets := make([][]catalog.Partition, writers)
	for w := range writers {
		// Writer w adds 30 hours from hour 10*w: each overlaps the next two.
		sets[w] = hours(tbl, meter.TypeKW, hour("2024-03-01T00").Add(time.Duration(10*w)*time.Hour), 30)
		// and 3 partitions of its own type-hour.
		sets[w] = append(sets[w], hours(tbl, meter.TypeVoltage, hour("2024-06-01T00").Add(time.Duration(3*w)*time.Hour), 3)...)
		want = append(want, sets[w]...)
	}
	cats := make([]*catalog.Catalog, writers)
	for w := range cats {
		cats[w] = open(t, h)
	}
	stopReaders := startReaders(t, h, tbl, true)
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			set := sets[w]
			for len(set) > 0 { // several calls of 5 partitions each
				n := min(5, len(set))
				if err := cats[w].AddPartitions(ctx, testDB, tbl.Name, set[:n]); err != nil {
					errs[w] = fmt.Errorf("writer %d: %w", w, err)
					return
				}
				set = set[n:]
			}
		})
	}
	wg.Wait()
	if err := errors.Join(append(errs, stopReaders())...); err != nil {
		t.Fatal(err)
	}
	got := list(t, open(t, h), nil)
	if diff := cmp.Diff(sorted(want), got); diff != "" {
		t.Errorf("concurrent writers lost partitions (-want +got):\n%s", diff)
	}
	if n := 10*(writers-1) + 30 + 3*writers; len(got) != n {
		t.Errorf("%d partitions, want %d", len(got), n)
	}
}

// startReaders starts readers, each with its own handle, that read the
// table (GetTable, ListPartitions) in a loop while writers change it,
// until the returned function stops them and reports what went wrong:
// every read must succeed and, if growing, no reader may see fewer
// partitions than it saw before (each read sees a state at least as new as
// the last).
func startReaders(t *testing.T, h Harness, tbl *catalog.Table, growing bool) (stop func() error) {
	const readers = 2
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	errs := make([]error, readers)
	for r := range readers {
		c := open(t, h)
		wg.Go(func() {
			seen := 0
			for ctx.Err() == nil {
				if _, err := c.GetTable(ctx, testDB, tbl.Name); err != nil {
					if ctx.Err() == nil {
						errs[r] = fmt.Errorf("reader %d: GetTable: %w", r, err)
					}
					return
				}
				ps, err := c.ListPartitions(ctx, testDB, tbl.Name, nil)
				if err != nil {
					if ctx.Err() == nil {
						errs[r] = fmt.Errorf("reader %d: ListPartitions: %w", r, err)
					}
					return
				}
				if growing && len(ps) < seen {
					errs[r] = fmt.Errorf("reader %d: %d partitions after %d: a read went back in time", r, len(ps), seen)
					return
				}
				seen = len(ps)
			}
		})
	}
	return func() error {
		cancel()
		wg.Wait()
		return errors.Join(errs...)
	}
}

// testConcurrentEnsure creates the database and table from many handles
// at once: every call succeeds.
func testConcurrentEnsure(t *testing.T, h Harness, writers int) {
	ctx := t.Context()
	cats := make([]*catalog.Catalog, writers)
	for w := range cats {
		cats[w] = open(t, h)
	}
	tbl := testTable()
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			if err := cats[w].EnsureDatabase(ctx, &catalog.Database{Name: testDB}); err != nil {
				errs[w] = err
				return
			}
			errs[w] = cats[w].EnsureTable(ctx, tbl)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got, err := cats[0].GetTable(ctx, testDB, tbl.Name)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tbl, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// testConcurrentAddDrop has half the writers add partitions while the
// other half drop others: the adds all survive and the drops all happen.
func testConcurrentAddDrop(t *testing.T, h Harness, writers int) {
	c, tbl := setup(t, h)
	ctx := t.Context()
	base := hours(tbl, meter.TypeKWh, hour("2024-01-01T00"), 4*writers)
	if err := c.AddPartitions(ctx, testDB, tbl.Name, base); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(base)
	stopReaders := startReaders(t, h, tbl, false)
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		cw := open(t, h)
		if w%2 == 0 {
			add := hours(tbl, meter.TypeKW, hour("2024-02-01T00").Add(time.Duration(4*w)*time.Hour), 4)
			want = append(want, add...)
			wg.Go(func() { errs[w] = cw.AddPartitions(ctx, testDB, tbl.Name, add) })
		} else {
			var drop [][]string
			for _, p := range base[4*w : 4*w+4] {
				drop = append(drop, p.Values)
			}
			want = slices.DeleteFunc(want, func(p catalog.Partition) bool {
				return slices.ContainsFunc(drop, func(v []string) bool { return slices.Equal(v, p.Values) })
			})
			wg.Go(func() { errs[w] = cw.DropPartitions(ctx, testDB, tbl.Name, drop) })
		}
	}
	wg.Wait()
	if err := errors.Join(append(errs, stopReaders())...); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sorted(want), list(t, c, nil)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func testClose(t *testing.T, h Harness) {
	c, err := h.MakeCatalog(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.GetTable(t.Context(), testDB, "x"); !errors.Is(err, catalog.ErrFailedPrecondition) {
		t.Errorf("GetTable after Close: got %v, want ErrFailedPrecondition", err)
	}
}
