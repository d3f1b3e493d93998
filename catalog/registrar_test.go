package catalog_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/catalog/localcat"
	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/forecast"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/tables"
)

func put(t *testing.T, b *blob.Bucket, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if err := b.WriteAll(t.Context(), k, []byte("x"), nil); err != nil {
			t.Fatal(err)
		}
	}
}

// catalogValues lists the values of a table's partitions.
func catalogValues(t *testing.T, cat *catalog.Catalog, tb *catalog.Table) [][]string {
	t.Helper()
	ps, err := cat.ListPartitions(t.Context(), tb.Database, tb.Name, nil)
	if err != nil {
		t.Fatalf("%s: %v", tb.QualifiedName(), err)
	}
	out := [][]string{}
	for _, p := range ps {
		if want := tb.PartitionLocation(p.Values); p.Location != want {
			t.Errorf("%s: partition %v at %q, want %q", tb.QualifiedName(), p.Values, p.Location, want)
		}
		out = append(out, p.Values)
	}
	return out
}

// TestRegistrarSync repairs every table of a lake, like MSCK REPAIR TABLE
// on each: tables and databases are created, partitions of every
// partitioned table registered, hidden and foreign directories ignored,
// and with Drop the partitions the lake lost are dropped.
func TestRegistrarSync(t *testing.T) {
	ctx := t.Context()
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	cat, err := localcat.Open(lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	start := time.Date(2024, 3, 1, 22, 0, 0, 0, time.UTC)
	writeHours(t, lake, meter.TypeKW, start, 3)
	fstart := time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC)
	put(t, lake,
		tables.WeatherDir(start)+"weather.parquet",
		tables.WeatherDir(start.Add(24*time.Hour))+"weather.parquet",
		tables.WeatherDir(start.Add(48*time.Hour))+"_SUCCESS", // hidden only: no partition
		tables.WeatherPrefix+"notes/readme.txt",               // not date=...: ignored
		tables.ForecastDir("linear", fstart)+"part-00000.parquet",
		tables.ForecastDir("linear", fstart.Add(time.Hour))+"part-00000.parquet",
		tables.ForecastDir("towt", fstart)+"part-00000.parquet",
		tables.AnomalyDir(2024)+"part-00000.parquet",
		tables.AnomalyEventDir(2023)+"part-00000.parquet",
		tables.AnomalyEventDir(2024)+"part-00000.parquet",
		tables.TopologyDir("smart_meter")+"smart_meter.parquet",
	)
	reg, err := catalog.NewRegistrar(cat, "s3://lake", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][][]string{
		catalog.ReadingsTableName: {{"kw", "2024", "03", "01", "22"}, {"kw", "2024", "03", "01", "23"}, {"kw", "2024", "03", "02", "00"}},
		catalog.WeatherTableName:  {{"2024-03-01"}, {"2024-03-02"}},
		catalog.ForecastResultsTableName: {{"linear", "20240308000000"}, {"linear", "20240308010000"},
			{"towt", "20240308000000"}},
		catalog.AnomalyResultsTableName: {{"2024"}},
		catalog.AnomalyEventsTableName:  {{"2023"}, {"2024"}},
	}

	check := func(name string, res []catalog.TableSync, added map[string]int) {
		t.Helper()
		if len(res) != len(reg.Tables()) {
			t.Fatalf("%s: %d tables synced, want %d", name, len(res), len(reg.Tables()))
		}
		for _, ts := range res {
			n := ts.Table.Name
			if got := len(ts.Added); got != added[n] {
				t.Errorf("%s: %s: added %v, want %d", name, n, ts.Added, added[n])
			}
			if ts.Lake != len(want[n]) {
				t.Errorf("%s: %s: %d partitions in the lake, want %d", name, n, ts.Lake, len(want[n]))
			}
		}
	}
	// A dry run creates nothing.
	res, err := reg.Sync(ctx, lake, &catalog.SyncOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for n, v := range want {
		counts[n] = len(v)
	}
	check("dry run", res, counts)
	if _, err := cat.GetTable(ctx, catalog.DatabaseIntegrated, catalog.WeatherTableName); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("dry run created a table: %v", err)
	}

	res, err = reg.Sync(ctx, lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("first", res, counts)
	for _, tb := range reg.Tables() {
		got, err := cat.GetTable(ctx, tb.Database, tb.Name)
		if err != nil {
			t.Errorf("table %s not created: %v", tb.QualifiedName(), err)
			continue
		}
		if got.Location != tb.Location || !strings.HasPrefix(tb.Location, "s3://lake/") {
			t.Errorf("%s at %q, want %q", tb.Name, got.Location, tb.Location)
		}
		if len(tb.PartitionKeys) == 0 {
			continue
		}
		if diff := cmp.Diff(want[tb.Name], catalogValues(t, cat, tb)); diff != "" {
			t.Errorf("%s partitions (-want +got):\n%s", tb.Name, diff)
		}
	}
	res, err = reg.Sync(ctx, lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("again", res, nil)

	// The lake loses a forecast run: kept without Drop, dropped with it.
	if err := lake.Delete(ctx, tables.ForecastDir("towt", fstart)+"part-00000.parquet"); err != nil {
		t.Fatal(err)
	}
	res, err = reg.Sync(ctx, lake, &catalog.SyncOptions{Drop: true, Tables: []string{catalog.ForecastResultsTableName}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || !cmp.Equal(res[0].Dropped, [][]string{{"towt", "20240308000000"}}) || res[0].Catalog != 3 || res[0].Lake != 2 {
		t.Errorf("drop: %+v", res)
	}
	if _, err := reg.Sync(ctx, lake, &catalog.SyncOptions{Tables: []string{"nope"}}); err == nil {
		t.Error("sync of an unknown table: no error")
	}
}

// TestRegistrarRegister: the hooks of the jobs register their
// directories, creating what is missing, in the databases chosen.
func TestRegistrarRegister(t *testing.T) {
	ctx := t.Context()
	cat, err := catalog.OpenCatalog(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	reg, err := catalog.NewRegistrar(cat, "s3://lake/p/", &catalog.RegistrarOptions{Database: "lake_db", MLDatabase: "ml_db", MLLocation: "s3://ml"})
	if err != nil {
		t.Fatal(err)
	}
	tbl := map[string]*catalog.Table{}
	for _, tb := range reg.Tables() {
		tbl[tb.Name] = tb
	}
	if tbl[catalog.ReadingsTableName].Database != "lake_db" || tbl[catalog.AnomalyResultsTableName].Database != "ml_db" ||
		tbl[catalog.WeatherTableName].Location != "s3://lake/p/weather/" || tbl[catalog.ForecastResultsTableName].Location != "s3://ml/forecasts/" {
		t.Fatalf("tables: %+v", tbl)
	}
	start := time.Date(2024, 3, 8, 13, 0, 0, 0, time.UTC)
	k := partition.Key{Type: meter.TypeKWh, Hour: start}
	steps := []struct {
		name string
		run  func() error
	}{
		{"readings", func() error { return reg.RegisterReadings(ctx, []partition.Key{k, k}) }},
		{"forecast file", func() error { return reg.RegisterDirs(ctx, tables.ForecastDir("linear", start)+"part-00001.parquet") }},
		{"anomaly years", func() error { return reg.RegisterDirs(ctx, tables.AnomalyDir(2023), tables.AnomalyDir(2024)) }},
		{"anomaly events and scores", func() error {
			return reg.RegisterDirs(ctx, tables.AnomalyEventDir(2024), tables.AnomalyDir(2024), tables.AnomalyEventDir(2024)+"part-00003.parquet")
		}},
		{"readings path", func() error { return reg.RegisterDirs(ctx, k.Path()) }},
		{"dataflow weather", func() error {
			return reg.RegisterDataflow(ctx, dataflow.Written{Table: "weather", Location: tables.WeatherPrefix,
				Partitions: []string{"date=2024-03-01/", "date=2024-03-02"}})
		}},
		{"dataflow topology", func() error {
			return reg.RegisterDataflow(ctx, dataflow.Written{Table: "smart_meter", Location: tables.TopologyDir("smart_meter")})
		}},
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	wantParts := map[string][][]string{
		catalog.ReadingsTableName:        {catalog.ReadingsValues(k)},
		catalog.ForecastResultsTableName: {{"linear", "20240308130000"}},
		catalog.AnomalyResultsTableName:  {{"2023"}, {"2024"}},
		catalog.AnomalyEventsTableName:   {{"2024"}},
		catalog.WeatherTableName:         {{"2024-03-01"}, {"2024-03-02"}},
	}
	for name, want := range wantParts {
		if diff := cmp.Diff(want, catalogValues(t, cat, tbl[name])); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	if _, err := cat.GetTable(ctx, "lake_db", catalog.TopologyTablePrefix+"smart_meter"); err != nil {
		t.Errorf("topology table not created: %v", err)
	}
	if _, err := cat.GetTable(ctx, "lake_db", catalog.TopologyTablePrefix+"location"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("a topology table nobody wrote was created: %v", err)
	}
	if err := reg.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.GetTable(ctx, "lake_db", catalog.TopologyTablePrefix+"location"); err != nil {
		t.Errorf("EnsureTables: %v", err)
	}

	for _, bad := range []struct{ dir, want string }{
		{"nope/x/", "no table's directory"},
		{"weather/day=2024-03-01/", "want partition key date"},
		{"forecasts/model_name=linear/", "want the partition keys"},
		{"anomalies/year=/", "invalid value"},
	} {
		if err := reg.RegisterDirs(ctx, tables.AnomalyDir(2030), bad.dir); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("RegisterDirs(%q): %v, want an error with %q", bad.dir, err, bad.want)
		}
	}
	if got := catalogValues(t, cat, tbl[catalog.AnomalyResultsTableName]); slices.ContainsFunc(got, func(v []string) bool { return v[0] == "2030" }) {
		t.Error("a call with a bad directory registered the good ones")
	}
	if err := reg.RegisterDataflow(ctx, dataflow.Written{Table: "mine", Location: "mine/"}); err == nil {
		t.Error("a dataflow of no table: no error")
	}
	if _, err := catalog.NewRegistrar(cat, "bucket/", nil); err == nil {
		t.Error("a location without a scheme: no error")
	}
	if d, ok := reg.Dir(catalog.WeatherTableName); !ok || d != tables.WeatherPrefix {
		t.Errorf("Dir(weather) = %q, %v", d, ok)
	}
}

// TestReadingsPartitions: the catalog's partition list, through
// partition.Filter.Keys, drives a scan instead of a listing: a scan reads
// exactly the registered partitions that match the filter.
func TestReadingsPartitions(t *testing.T) {
	ctx := context.Background()
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	cat, err := localcat.Open(lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	start := time.Date(2024, 12, 31, 22, 0, 0, 0, time.UTC)
	kw := writeHours(t, lake, meter.TypeKW, start, 4)
	kwh := writeHours(t, lake, meter.TypeKWh, start, 4)
	reg, err := catalog.NewRegistrar(cat, "s3://lake/", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The last kw hour is in the lake but not (yet) in the catalog.
	if err := reg.RegisterReadings(ctx, append(slices.Clone(kw[:3]), kwh...)); err != nil {
		t.Fatal(err)
	}
	db := catalog.DatabaseIntegrated
	tests := []struct {
		name string
		f    *partition.Filter
		want []partition.Key
	}{
		{"all", nil, append(slices.Clone(kw[:3]), kwh...)},
		{"kw", &partition.Filter{Types: []meter.Type{meter.TypeKW}}, kw[:3]},
		{"kwh across the new year", &partition.Filter{Types: []meter.Type{meter.TypeKWh}, From: start.Add(90 * time.Minute), To: start.Add(3 * time.Hour)},
			kwh[1:3]},
		{"nothing", &partition.Filter{From: start.Add(-time.Hour), To: start}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := catalog.ReadingsPartitions(ctx, cat, db, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tc.want)
			sortKeys(want)
			if diff := cmp.Diff(want, keys, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			// A scan with the catalog's keys reads their partitions only
			// (not the kw hour the catalog lacks).
			reads, _, err := partition.ReadAll(ctx, lake, &partition.Filter{Keys: keys})
			if err != nil {
				t.Fatal(err)
			}
			var got []partition.Key
			for _, r := range reads {
				got = append(got, partition.KeyOf(r))
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("scanned partitions (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := catalog.ReadingsPartitions(ctx, cat, "no_such_db", nil); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("missing table: %v, want ErrNotFound", err)
	}
}

// TestForecastRunRegisters: forecast.Run's Register hook, given a
// Registrar's RegisterDirs, registers the run's partition of the
// forecasts table, and the catalog's partition is where the run wrote.
func TestForecastRunRegisters(t *testing.T) {
	ctx := t.Context()
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	g, err := simulator.New(&simulator.Options{Meters: 2, Days: 37, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.WriteTruthLake(ctx, lake, "truth", nil, meter.TypeKW); err != nil {
		t.Fatal(err)
	}
	if _, err := forecast.Train(ctx, lake, &forecast.TrainOptions{Window: 37 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	cat, err := localcat.Open(lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	reg, err := catalog.NewRegistrar(cat, "s3://lake/", nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := forecast.Run(ctx, lake, &forecast.RunOptions{Horizon: 24, Register: reg.RegisterDirs})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := cat.ListPartitions(ctx, catalog.DatabaseFeatureML, catalog.ForecastResultsTableName, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []catalog.Partition{{Values: []string{forecast.DefaultModel, st.Start.Format(tables.ForecastStartLayout)},
		Location: "s3://lake/" + tables.ForecastDir(forecast.DefaultModel, st.Start)}}
	if diff := cmp.Diff(want, ps); diff != "" {
		t.Errorf("forecasts partitions (-want +got):\n%s", diff)
	}
	if len(st.Files) == 0 || !strings.HasPrefix(st.Files[0], tables.ForecastDir(forecast.DefaultModel, st.Start)) {
		t.Errorf("run wrote %v", st.Files)
	}
	// A failing hook fails the run.
	if _, err := forecast.Run(ctx, lake, &forecast.RunOptions{Horizon: 24, Register: func(context.Context, ...string) error {
		return errors.New("catalog down")
	}}); err == nil || !strings.Contains(err.Error(), "catalog down") {
		t.Errorf("failing hook: %v", err)
	}
}
