package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/simulator"
)

// TestCatalogDDLMatchesLake builds a demo-sized lake with every table
// through the mda command (demo: readings, weather, topology; forecast
// train, run and anomalies: forecasts, anomalies, anomaly events), checks
// that the jobs registered every partition they wrote (catalog sync finds
// nothing to add), then parses the bytes "mda catalog ddl"
// prints, with and without --projection, and checks each table against a
// real file of it: the statement parses, its columns are the file's
// Parquet columns (names, order, Hive types), its partition keys are the
// key=value levels of the file's path, and with projection its storage
// location template, filled in with those values, is the file's
// directory, so that no table needs MSCK REPAIR TABLE.
func TestCatalogDDLMatchesLake(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 40-day lake and trains a model (a few seconds)")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "lake")
	lake := "file://" + filepath.ToSlash(root)
	steps := [][]string{
		{"demo", "--lake", lake, "--meters", "3", "--days", "37", "--faults", "2", "--quiet"},
		{"forecast", "train", "--lake", lake, "--window", "37d", "--quiet"},
		{"forecast", "run", "--lake", lake, "--horizon", "24", "--quiet"},
		{"forecast", "anomalies", "--lake", lake, "--quiet"},
	}
	for _, args := range steps {
		if code, out, errs := runCLI(t, args...); code != 0 {
			t.Fatalf("mda %s: exit %d: %s%s", strings.Join(args, " "), code, out, errs)
		}
	}

	// demo registered the readings and the weather as it wrote them, and
	// created the topology tables; forecast run registered its forecasts,
	// forecast anomalies its scores and events: sync has nothing to do.
	partitioned := []string{catalog.ReadingsTableName, catalog.WeatherTableName, catalog.ForecastResultsTableName,
		catalog.AnomalyResultsTableName, catalog.AnomalyEventsTableName}
	for _, dryRun := range []bool{true, false} {
		args := []string{"catalog", "sync", "--lake", lake}
		verb := "added 0"
		if dryRun {
			args, verb = append(args, "--dry-run"), "would add 0"
		}
		code, out, errs := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("mda %s: exit %d: %s%s", strings.Join(args, " "), code, out, errs)
		}
		for _, name := range partitioned {
			if line := lineOf(out, "."+name+" "); !strings.HasSuffix(line, verb) || strings.Contains(line, " 0 in the catalog") {
				t.Errorf("mda %s, after the jobs, %s: %q", strings.Join(args, " "), name, line)
			}
		}
		if n, tops := strings.Count(out, verb), strings.Count(out, map[bool]string{false: ": ensured", true: "not partitioned"}[dryRun]); n != 5 || tops != 7 {
			t.Errorf("mda %s: %d partitioned tables up to date, want 5; %d unpartitioned, want 7:\n%s", strings.Join(args, " "), n, tops, out)
		}
	}

	const loc = "s3://my-lake/"
	for _, projection := range []bool{false, true} {
		args := []string{"catalog", "ddl", "--lake-location", loc}
		if projection {
			args = append(args, "--projection")
		}
		code, out, errs := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("mda %s: exit %d: %s", strings.Join(args, " "), code, errs)
		}
		dbs, tables, err := catalog.ParseDDL(out)
		if err != nil {
			t.Fatalf("mda %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if want := []string{catalog.DatabaseIntegrated, catalog.DatabaseFeatureML}; !slices.Equal(dbs, want) {
			t.Errorf("databases %v, want %v", dbs, want)
		}
		var names, wantNames []string
		for _, tb := range tables {
			names = append(names, tb.QualifiedName())
		}
		for _, tb := range catalog.Tables(loc, "") {
			wantNames = append(wantNames, tb.QualifiedName())
		}
		if !slices.Equal(names, wantNames) {
			t.Fatalf("tables %v, want %v", names, wantNames)
		}
		if got := strings.Contains(out, "MSCK REPAIR TABLE"); got == projection {
			t.Errorf("projection %v: MSCK REPAIR TABLE in the script: %v", projection, got)
		}
		for _, tb := range tables {
			t.Run(tb.Name+map[bool]string{false: "", true: "/projection"}[projection], func(t *testing.T) {
				checkTableFile(t, tb, loc, root, projection)
			})
		}
	}
}

// checkTableFile checks table tb, located under loc, against the first
// Parquet file of its directory in the lake at root.
func checkTableFile(t *testing.T, tb *catalog.Table, loc, root string, projection bool) {
	rel, ok := strings.CutPrefix(tb.Location, loc)
	if !ok {
		t.Fatalf("location %q is not under %q", tb.Location, loc)
	}
	var file string
	err := filepath.WalkDir(filepath.Join(root, filepath.FromSlash(rel)), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if file == "" && !d.IsDir() && strings.HasSuffix(p, ".parquet") && !strings.HasPrefix(d.Name(), ".") {
			file = p
			return filepath.SkipAll
		}
		return nil
	})
	if err != nil || file == "" {
		t.Fatalf("no Parquet file of %s in the lake under %s: %v", tb.Name, rel, err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if err := catalog.CheckColumns(tb, pf.Schema()); err != nil {
		t.Errorf("%s: %v", file, err)
	}

	// The file's directory below the table's: its partition key=value
	// levels, in the order of the partition keys.
	key, _ := filepath.Rel(root, file)
	key = filepath.ToSlash(key)
	partDir := strings.TrimPrefix(key[:strings.LastIndex(key, "/")+1], rel)
	var keys, values []string
	for _, seg := range strings.Split(strings.TrimSuffix(partDir, "/"), "/") {
		if seg == "" {
			continue
		}
		k, v, ok := strings.Cut(seg, "=")
		if !ok {
			t.Fatalf("%s: directory level %q is not key=value", key, seg)
		}
		keys, values = append(keys, k), append(values, v)
	}
	if got := tb.PartitionKeyNames(); !slices.Equal(got, keys) {
		t.Errorf("partition keys %v, but the file %s is under %v", got, key, keys)
	}
	for _, k := range tb.PartitionKeys {
		if k.Type != "string" {
			t.Errorf("partition key %s has type %s, want string", k.Name, k.Type)
		}
	}
	if !projection || len(keys) == 0 {
		if _, ok := tb.Parameters["projection.enabled"]; ok && !projection {
			t.Error("projection properties without --projection")
		}
		return
	}
	p := tb.Parameters
	if p["projection.enabled"] != "true" {
		t.Fatalf("partitioned and not projected: %v", p)
	}
	tmpl := p["storage.location.template"]
	for i, k := range keys {
		tmpl = strings.ReplaceAll(tmpl, "${"+k+"}", values[i])
		if p["projection."+k+".type"] == "enum" && !slices.Contains(strings.Split(p["projection."+k+".values"], ","), values[i]) {
			t.Errorf("%s %q is not in the projected values %q", k, values[i], p["projection."+k+".values"])
		}
	}
	if want := loc + rel + partDir; tmpl != want {
		t.Errorf("storage.location.template gives %q for %s, want %q", tmpl, key, want)
	}
}

// lineOf returns the line of out that mentions s.
func lineOf(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// TestCLIDataflowCatalog: mda dataflow weather and topology register
// their tables in the same default catalog as mda ingest, a manifest
// catalog in the lake's bucket, or in the catalog --catalog names.
func TestCLIDataflowCatalog(t *testing.T) {
	dir := t.TempDir()
	lake := "file://" + filepath.ToSlash(filepath.Join(dir, "lake"))
	g, err := simulator.New(&simulator.Options{Meters: 4, Days: 2, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := g.WriteWeatherCSV(&buf, nil); err != nil {
		t.Fatal(err)
	}
	weather := filepath.Join(dir, "weather.csv")
	if err := os.WriteFile(weather, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	topo, err := g.Topology(nil)
	if err != nil {
		t.Fatal(err)
	}
	topoDir := filepath.Join(dir, "topology")
	if err := topo.WriteJSONDir(topoDir); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, "dataflow", "weather", "--lake", lake, "--src", weather, "--station", "sim"); code != 0 {
		t.Fatalf("dataflow weather: exit %d: %s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "dataflow", "topology", "--lake", lake, "--src", topoDir, "--skip-reads-check"); code != 0 {
		t.Fatalf("dataflow topology: exit %d: %s%s", code, out, errs)
	}
	code, out, errs := runCLI(t, "catalog", "sync", "--lake", lake, "--dry-run", "--table",
		catalog.WeatherTableName+","+catalog.TopologyTablePrefix+"smart_meter")
	if code != 0 || !strings.Contains(lineOf(out, catalog.WeatherTableName), "2 partitions in the lake, 2 in the catalog; would add 0") {
		t.Errorf("catalog sync --dry-run: exit %d: %s%s", code, out, errs)
	}
	cat, err := catalog.OpenCatalog(t.Context(), lake)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	for _, name := range []string{catalog.WeatherTableName, catalog.TopologyTablePrefix + "smart_meter", catalog.TopologyTablePrefix + "location"} {
		if _, err := cat.GetTable(t.Context(), catalog.DatabaseIntegrated, name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// --catalog names another catalog; none registers nothing.
	other := "file://" + filepath.ToSlash(filepath.Join(dir, "other"))
	if code, out, errs := runCLI(t, "dataflow", "weather", "--lake", lake, "--src", weather, "--station", "sim", "--catalog", other); code != 0 {
		t.Fatalf("dataflow weather --catalog: exit %d: %s%s", code, out, errs)
	}
	oc, err := catalog.OpenCatalog(t.Context(), other)
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close()
	if ps, err := oc.ListPartitions(t.Context(), catalog.DatabaseIntegrated, catalog.WeatherTableName, nil); err != nil || len(ps) != 2 {
		t.Errorf("--catalog: %d partitions, %v", len(ps), err)
	}
	if code, out, errs := runCLI(t, "dataflow", "weather", "--lake", "mem://", "--src", weather, "--station", "sim", "--catalog", "none"); code != 0 {
		t.Errorf("dataflow weather --catalog none: exit %d: %s%s", code, out, errs)
	}
}
