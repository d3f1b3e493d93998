package catalog_test

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/forecast"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/tables"
	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
)

// writeLake writes one file of kw reads and one of kwh reads and returns
// the bucket.
func writeLake(t *testing.T) *blob.Bucket {
	t.Helper()
	b := memblob.OpenBucket(nil)
	t.Cleanup(func() { b.Close() })
	start := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, typ := range []meter.Type{meter.TypeKW, meter.TypeKWh} {
		var reads []meter.Reading
		for i := range 4 {
			at := start.Add(time.Duration(i) * 15 * time.Minute)
			reads = append(reads, meter.Reading{MeterID: "m1", Type: typ, Value: float64(i), Time: at,
				Source: "B", Arrival: at.Add(time.Minute), Quality: meter.QualityActual})
		}
		if _, err := partition.WriteFile(t.Context(), b, partition.KeyOf(reads[0]), "part-0", reads, nil); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// TestDDLMatchesLake parses the script that "mda catalog ddl" prints
// (AthenaScript of Tables), with and without projection, and checks the
// readings table against real files of the lake: the columns and types of
// their Parquet schema, the partition keys of their paths, and, with
// projection, that the storage location template and the projected value
// formats give the files' directories.
func TestDDLMatchesLake(t *testing.T) {
	ctx := t.Context()
	lake := writeLake(t)
	keys, err := partition.Partitions(ctx, lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("lake has %d partitions, want 2", len(keys))
	}
	// The files' schema, as Hive columns.
	var fileCols []catalog.Column
	var filePath string
	objs, listErr := lake.List(&blob.ListOptions{Prefix: keys[0].Path()}).All(ctx)
	for obj := range objs {
		filePath = obj.Key
	}
	if err := listErr(); err != nil {
		t.Fatal(err)
	}
	data, err := lake.ReadAll(ctx, filePath)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if fileCols, err = catalog.ParquetColumns(pf.Schema()); err != nil {
		t.Fatal(err)
	}

	const root = "s3://my-lake/"
	tables := catalog.Tables(root, "s3://my-ml/")
	for _, projection := range []bool{false, true} {
		t.Run(fmt.Sprintf("projection=%v", projection), func(t *testing.T) {
			script, err := catalog.AthenaScript(tables, &catalog.DDLOptions{Projection: projection})
			if err != nil {
				t.Fatal(err)
			}
			dbs, parsed, err := catalog.ParseDDL(script)
			if err != nil {
				t.Fatalf("parse: %v\n%s", err, script)
			}
			if diff := cmp.Diff([]string{catalog.DatabaseIntegrated, catalog.DatabaseFeatureML}, dbs); diff != "" {
				t.Errorf("databases (-want +got):\n%s", diff)
			}
			if len(parsed) != len(tables) {
				t.Fatalf("%d tables parsed, want %d", len(parsed), len(tables))
			}
			// Every statement round-trips to its table.
			for i, want := range tables {
				if projection {
					want = want.WithProjection()
				}
				back := parsed[i].Clone()
				back.Projection = want.Projection
				if diff := cmp.Diff(want, back); diff != "" {
					t.Errorf("%s (-want +parsed):\n%s", want.QualifiedName(), diff)
				}
			}

			r := parsed[0]
			if r.Database+"."+r.Name != "mda_database_integrated.meter_readings_integrated_parquet" {
				t.Fatalf("first table is %s.%s", r.Database, r.Name)
			}
			// Columns and types match the Parquet files, in order (names
			// only matter to Athena's Parquet reader, but order is what
			// Hive's default positional mapping would use).
			var cols []catalog.Column
			for _, c := range r.Columns {
				cols = append(cols, catalog.Column{Name: c.Name, Type: c.Type})
			}
			if diff := cmp.Diff(fileCols, cols); diff != "" {
				t.Errorf("readings columns vs Parquet schema (-file +ddl):\n%s", diff)
			}
			// Partition keys are the path's key=value levels, all strings.
			var pkeys []string
			for _, k := range r.PartitionKeys {
				if k.Type != "string" {
					t.Errorf("partition key %s has type %s, want string", k.Name, k.Type)
				}
				pkeys = append(pkeys, k.Name)
			}
			var pathKeys []string
			for _, seg := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(keys[0].Path(), partition.Prefix), "/"), "/") {
				k, _, _ := strings.Cut(seg, "=")
				pathKeys = append(pathKeys, k)
			}
			if diff := cmp.Diff(pathKeys, pkeys); diff != "" {
				t.Errorf("partition keys vs lake path (-path +ddl):\n%s", diff)
			}
			if r.Location != root+partition.Prefix || r.Format.SerDe != catalog.ParquetSerDe {
				t.Errorf("location %q, serde %q", r.Location, r.Format.SerDe)
			}
			if !projection {
				if _, ok := r.Parameters["projection.enabled"]; ok {
					t.Error("projection properties without DDLOptions.Projection")
				}
				return
			}
			checkProjection(t, r, keys, root)
		})
	}
}

// checkProjection checks the readings table's projection properties
// against the lake: the template, filled in as Athena would from the
// projected values, gives each partition's directory.
func checkProjection(t *testing.T, r *catalog.Table, keys []partition.Key, root string) {
	p := r.Parameters
	if p["projection.enabled"] != "true" {
		t.Fatalf("projection.enabled = %q", p["projection.enabled"])
	}
	var types []string
	for _, info := range meter.Types() {
		types = append(types, string(info.Type))
	}
	if p["projection.reading_type.type"] != "enum" || p["projection.reading_type.values"] != strings.Join(types, ",") {
		t.Errorf("reading_type projection %q %q, want enum of %v", p["projection.reading_type.type"], p["projection.reading_type.values"], types)
	}
	ranges := map[string][2]int{"year": {2000, 2099}, "month": {1, 12}, "day": {1, 31}, "hour": {0, 23}}
	digits := map[string]int{"year": 4, "month": 2, "day": 2, "hour": 2}
	for _, k := range r.PartitionKeys {
		if k.Name == "reading_type" {
			continue
		}
		if got := p["projection."+k.Name+".type"]; got != "integer" {
			t.Errorf("%s projection type %q, want integer", k.Name, got)
		}
		var lo, hi int
		if _, err := fmt.Sscanf(p["projection."+k.Name+".range"], "%d,%d", &lo, &hi); err != nil || [2]int{lo, hi} != ranges[k.Name] {
			t.Errorf("%s range %q", k.Name, p["projection."+k.Name+".range"])
		}
		if got := p["projection."+k.Name+".digits"]; got != fmt.Sprint(digits[k.Name]) {
			t.Errorf("%s digits %q, want %d", k.Name, got, digits[k.Name])
		}
	}
	tmpl := p["storage.location.template"]
	for _, key := range keys {
		h := key.Hour
		vals := map[string]int{"year": h.Year(), "month": int(h.Month()), "day": h.Day(), "hour": h.Hour()}
		dir := strings.ReplaceAll(tmpl, "${reading_type}", string(key.Type))
		for _, name := range slices.Sorted(maps.Keys(vals)) {
			// Athena pads an integer projection to its digits.
			dir = strings.ReplaceAll(dir, "${"+name+"}", fmt.Sprintf("%0*d", digits[name], vals[name]))
		}
		if want := root + key.Path(); dir != want {
			t.Errorf("template gives %q, want %q", dir, want)
		}
	}
}

func TestAthenaDDLInvalid(t *testing.T) {
	tbl := catalog.ReadingsTable("s3://lake/")
	tbl.Columns = append(tbl.Columns, catalog.Column{Name: "x", Type: "string'; DROP TABLE y; --"})
	if _, err := catalog.AthenaDDL(tbl, nil); err == nil {
		t.Error("AthenaDDL accepted a type with a quote")
	}
}

func TestDDLOverrides(t *testing.T) {
	s, err := catalog.AthenaDDL(catalog.ReadingsTable("s3://lake/"), &catalog.DDLOptions{
		Projection: true, ProjectionProperties: map[string]string{"projection.year.range": "2020,2030"}})
	if err != nil {
		t.Fatal(err)
	}
	_, ts, err := catalog.ParseDDL(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := ts[0].Parameters["projection.year.range"]; got != "2020,2030" {
		t.Errorf("projection.year.range = %q", got)
	}
	// The weather table has no year key: the override does not apply.
	s, err = catalog.AthenaDDL(catalog.WeatherTable("s3://lake/"), &catalog.DDLOptions{
		Projection: true, ProjectionProperties: map[string]string{"projection.year.range": "2020,2030"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "projection.year") {
		t.Errorf("year projection in the weather table:\n%s", s)
	}
	// Tables without projection ignore the overrides.
	s, err = catalog.AthenaDDL(catalog.TopologyTables("s3://lake/")[0], &catalog.DDLOptions{
		Projection: true, ProjectionProperties: map[string]string{"projection.year.range": "2020,2030"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "projection") {
		t.Errorf("projection in an unprojected table:\n%s", s)
	}
}

// TestProjectionEveryTable: with projection, no partitioned table needs
// its partitions registered, and the forecast and anomaly tables'
// templates, filled in as Athena fills them from their projected values,
// give the directories their jobs write (package tables).
func TestProjectionEveryTable(t *testing.T) {
	const lake, ml = "s3://lake/", "s3://ml/"
	script, err := catalog.AthenaScript(catalog.Tables(lake, ml), &catalog.DDLOptions{Projection: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(script, "MSCK") {
		t.Errorf("a table still needs MSCK REPAIR TABLE with projection:\n%s", script)
	}
	_, parsed, err := catalog.ParseDDL(script)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*catalog.Table{}
	for _, tb := range parsed {
		byName[tb.Name] = tb
		if len(tb.PartitionKeys) == 0 {
			continue
		}
		p := tb.Parameters
		if p["projection.enabled"] != "true" {
			t.Errorf("%s: partitioned and not projected", tb.Name)
		}
		for _, k := range tb.PartitionKeys {
			if p["projection."+k.Name+".type"] == "" {
				t.Errorf("%s: no projection of %s", tb.Name, k.Name)
			}
			if !strings.Contains(p["storage.location.template"], k.Name+"=${"+k.Name+"}/") {
				t.Errorf("%s: template %q lacks %s", tb.Name, p["storage.location.template"], k.Name)
			}
		}
	}

	// Forecasts: model_name an enum with the default model, forecast_start
	// hourly dates in tables.ForecastStartLayout.
	f := byName[catalog.ForecastResultsTableName].Parameters
	if f["projection.model_name.type"] != "enum" || !slices.Contains(strings.Split(f["projection.model_name.values"], ","), forecast.DefaultModel) {
		t.Errorf("model_name projection %q %q, want an enum with %q", f["projection.model_name.type"], f["projection.model_name.values"], forecast.DefaultModel)
	}
	if f["projection.forecast_start.type"] != "date" || f["projection.forecast_start.interval"] != "1" || f["projection.forecast_start.interval.unit"] != "HOURS" {
		t.Errorf("forecast_start projection: %v", f)
	}
	layout := javaLayout(f["projection.forecast_start.format"])
	if layout != tables.ForecastStartLayout {
		t.Errorf("forecast_start format %q is Go layout %q, want %q", f["projection.forecast_start.format"], layout, tables.ForecastStartLayout)
	}
	lo, hi, _ := strings.Cut(f["projection.forecast_start.range"], ",")
	if first, err := time.Parse(layout, lo); err != nil || hi != "NOW" || first.After(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("forecast_start range %q", f["projection.forecast_start.range"])
	}
	start := time.Date(2024, 3, 8, 13, 0, 0, 0, time.UTC)
	dir := strings.NewReplacer("${model_name}", forecast.DefaultModel, "${forecast_start}", start.Format(layout)).Replace(f["storage.location.template"])
	if want := ml + tables.ForecastDir(forecast.DefaultModel, start); dir != want {
		t.Errorf("forecast template gives %q, want %q", dir, want)
	}

	// Anomalies and anomaly events: year a 4-digit integer.
	for name, dirOf := range map[string]func(int) string{
		catalog.AnomalyResultsTableName: tables.AnomalyDir,
		catalog.AnomalyEventsTableName:  tables.AnomalyEventDir,
	} {
		a := byName[name].Parameters
		if a["projection.year.type"] != "integer" || a["projection.year.digits"] != "4" || a["projection.year.range"] != "2000,2099" {
			t.Errorf("%s year projection: %v", name, a)
		}
		if dir, want := strings.ReplaceAll(a["storage.location.template"], "${year}", fmt.Sprintf("%04d", 2024)), ml+dirOf(2024); dir != want {
			t.Errorf("%s template gives %q, want %q", name, dir, want)
		}
	}
	// --years narrows every year-partitioned table.
	script, err = catalog.AthenaScript(catalog.Tables(lake, ml), &catalog.DDLOptions{Projection: true,
		ProjectionProperties: map[string]string{"projection.year.range": "2020,2030"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(script, "'projection.year.range'='2020,2030'"); n != 3 {
		t.Errorf("year range override in %d tables, want 3 (readings, anomalies, anomaly events)", n)
	}
}

// javaLayout converts the Java date format letters that Athena's date
// projection uses to a Go time layout.
func javaLayout(f string) string {
	return strings.NewReplacer("yyyy", "2006", "MM", "01", "dd", "02", "HH", "15", "mm", "04", "ss", "05").Replace(f)
}

func TestParseDDLErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"CREATE TABLE `a`.`b` (x string);", "want EXTERNAL"},
		{"CREATE EXTERNAL TABLE IF NOT EXISTS `a`.`b` (x varchar(3)) ROW FORMAT SERDE 's' STORED AS INPUTFORMAT 'i' OUTPUTFORMAT 'o' LOCATION 'l';", "unknown type"},
		{"CREATE DATABASE IF NOT EXISTS `a`", "want ';'"},
		{"CREATE EXTERNAL TABLE IF NOT EXISTS `a`.`b` (x string) ROW FORMAT SERDE 's", "unterminated string"},
		{"DROP TABLE x;", "want CREATE"},
	} {
		if _, _, err := catalog.ParseDDL(tc.src); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseDDL(%q): %v, want an error with %q", tc.src, err, tc.want)
		}
	}
}

func TestCheckColumns(t *testing.T) {
	type row struct {
		MeterID string    `parquet:"meter_id"`
		At      time.Time `parquet:"at,timestamp(millisecond)"`
		Value   float64   `parquet:"value"`
		N       int32     `parquet:"n"`
	}
	schema := parquet.SchemaOf(new(row))
	tbl := &catalog.Table{Database: "d", Name: "t", Columns: []catalog.Column{
		{Name: "meter_id", Type: "string"}, {Name: "at", Type: "timestamp", Comment: "UTC"}, {Name: "value", Type: "double"}, {Name: "n", Type: "int"}}}
	if err := catalog.CheckColumns(tbl, schema); err != nil {
		t.Errorf("matching columns: %v", err)
	}
	tbl.Columns[3].Type = "bigint"
	tbl.Columns = append(tbl.Columns, catalog.Column{Name: "extra", Type: "string"})
	err := catalog.CheckColumns(tbl, schema)
	if err == nil || !strings.Contains(err.Error(), "column 4: table n bigint, file n int") || !strings.Contains(err.Error(), "column 5: table extra string, file (none)") {
		t.Errorf("mismatch: %v", err)
	}
}
