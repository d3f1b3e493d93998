package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda"
	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/forecast"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/tables"
)

// writeKWLake writes the simulator's true kW reads of meters x days into
// a file lake, one file per hourly partition, and returns its URL. The
// first meter reads zero for the 12 hours from noon of the last day but
// two: an anomaly event (a zero run) that forecast anomalies finds.
func writeKWLake(t *testing.T, meters, days int) string {
	t.Helper()
	ctx := t.Context()
	url := "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "lake"))
	lake, err := mda.OpenBucket(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer lake.Close()
	g, err := simulator.New(&simulator.Options{Meters: meters, Days: days, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	first := ""
	zeroFrom := simulator.DefaultStart.AddDate(0, 0, days-3).Add(12 * time.Hour)
	var batch []meter.Reading
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := partition.WriteFile(ctx, lake, partition.KeyOf(batch[0]), "data", batch, nil)
		batch = batch[:0]
		return err
	}
	err = g.TruthReads(func(r meter.Reading) error {
		if r.Type != meter.TypeKW {
			return nil
		}
		if first == "" {
			first = r.MeterID
		}
		if r.MeterID == first && r.Time.After(zeroFrom) && !r.Time.After(zeroFrom.Add(12*time.Hour)) {
			r.Value = 0
		}
		if len(batch) > 0 && partition.KeyOf(r) != partition.KeyOf(batch[0]) {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, r)
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// TestCLIForecastCatalog: mda forecast run registers the forecasts
// partition it wrote, and mda forecast anomalies the year's partitions of
// the anomalies and anomaly events tables, in the default catalog of mda
// ingest (a manifest catalog in the lake's bucket), at the lake's
// location; --catalog and --ml-database choose another catalog and
// database, and --catalog none registers nothing.
func TestCLIForecastCatalog(t *testing.T) {
	ctx := t.Context()
	lake := writeKWLake(t, 2, 37)
	steps := [][]string{
		{"forecast", "train", "--lake", lake, "--window", "37d", "--quiet"},
		{"forecast", "run", "--lake", lake, "--horizon", "24", "--quiet"},
		{"forecast", "anomalies", "--lake", lake, "--quiet"},
	}
	var runOut, anomOut string
	for _, args := range steps {
		code, out, errs := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("mda %s: exit %d: %s%s", strings.Join(args, " "), code, out, errs)
		}
		switch args[1] {
		case "run":
			runOut = out
		case "anomalies":
			anomOut = out
		}
	}
	loc, err := catalog.LakeLocation(lake)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.OpenCatalog(ctx, lake)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	parts := func(c *catalog.Catalog, db, table string) []catalog.Partition {
		t.Helper()
		ps, err := c.ListPartitions(ctx, db, table, nil)
		if err != nil {
			t.Fatalf("%s.%s: %v", db, table, err)
		}
		return ps
	}

	// The forecast run's partition: the directory it printed.
	ps := parts(cat, catalog.DatabaseFeatureML, catalog.ForecastResultsTableName)
	if len(ps) != 1 || len(ps[0].Values) != 2 || ps[0].Values[0] != forecast.DefaultModel {
		t.Fatalf("forecasts partitions %+v, want one of model %s", ps, forecast.DefaultModel)
	}
	start, err := time.Parse(tables.ForecastStartLayout, ps[0].Values[1])
	if err != nil {
		t.Fatal(err)
	}
	dir := tables.ForecastDir(forecast.DefaultModel, start)
	if ps[0].Location != loc+dir || !strings.Contains(runOut, " under "+dir+";") {
		t.Errorf("forecasts partition at %q; the run printed:\n%s", ps[0].Location, runOut)
	}

	// The anomalies run's year, in both tables.
	var year int
	if _, err := fmt.Sscanf(anomOut, "anomalies %d ", &year); err != nil || strings.Contains(anomOut, "(0 in 0 files)") {
		t.Fatalf("forecast anomalies printed (%v):\n%s", err, anomOut)
	}
	for table, dirOf := range map[string]func(int) string{
		catalog.AnomalyResultsTableName: tables.AnomalyDir,
		catalog.AnomalyEventsTableName:  tables.AnomalyEventDir,
	} {
		want := []catalog.Partition{{Values: []string{fmt.Sprint(year)}, Location: loc + dirOf(year)}}
		if diff := cmp.Diff(want, parts(cat, catalog.DatabaseFeatureML, table)); diff != "" {
			t.Errorf("%s partitions (-want +got):\n%s", table, diff)
		}
	}

	// Another catalog and ML database; none.
	other := "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "cat"))
	for _, args := range [][]string{
		{"forecast", "run", "--lake", lake, "--horizon", "24", "--quiet", "--catalog", other, "--ml-database", "ml_test"},
		{"forecast", "run", "--lake", lake, "--horizon", "24", "--quiet", "--catalog", "none"},
	} {
		if code, out, errs := runCLI(t, args...); code != 0 {
			t.Fatalf("mda %s: exit %d: %s%s", strings.Join(args, " "), code, out, errs)
		}
	}
	oc, err := catalog.OpenCatalog(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close()
	if got := parts(oc, "ml_test", catalog.ForecastResultsTableName); len(got) != 1 || !slices.Equal(got[0].Values, ps[0].Values) {
		t.Errorf("--catalog --ml-database: partitions %+v, want %v", got, ps[0].Values)
	}
}

// TestCLIForecastWeather: forecast train --weather takes its temperatures
// from the weather table that dataflow weather loads; forecast run says
// that the weather forecast is missing until it is loaded too.
func TestCLIForecastWeather(t *testing.T) {
	const days = 42
	lake := writeKWLake(t, 4, days)
	g, err := simulator.New(&simulator.Options{Meters: 4, Days: days, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	end := simulator.DefaultStart.AddDate(0, 0, days)
	load := func(name string, from, to time.Time) {
		t.Helper()
		var buf strings.Builder
		if _, err := g.WriteWeatherCSV(&buf, &simulator.WeatherOptions{From: from, To: to}); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, []byte(buf.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := runCLI(t, "dataflow", "weather", "--src", path, "--lake", lake, "--catalog", "none"); code != 0 {
			t.Fatalf("dataflow weather: exit %d: %s", code, stderr)
		}
	}
	load("observed.csv", simulator.DefaultStart, end)
	code, stdout, stderr := runCLI(t, "forecast", "train", "--lake", lake, "--weather", "--quiet")
	if code != 0 || !strings.Contains(stdout, `temperature regressors from weather station ""`) {
		t.Fatalf("forecast train --weather: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "forecast", "run", "--lake", lake, "--catalog", "none", "--quiet")
	if code == 0 || !strings.Contains(stderr, "forecast period") || !strings.Contains(stderr, "mda dataflow weather") {
		t.Fatalf("forecast run without the weather forecast: exit %d: %s", code, stderr)
	}
	load("forecast.csv", end, end.Add(7*24*time.Hour))
	code, stdout, stderr = runCLI(t, "forecast", "run", "--lake", lake, "--catalog", "none", "--quiet")
	if code != 0 || !strings.Contains(stdout, "4 meters") {
		t.Fatalf("forecast run with the weather forecast: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestCLIForecastHistoryTooShort: on a week of reads, forecast train and
// forecast anomalies both fail with "history too short", and anomalies
// says what the detector needs and how many days the lake holds.
func TestCLIForecastHistoryTooShort(t *testing.T) {
	lake := writeKWLake(t, 2, 7)
	code, out, errs := runCLI(t, "forecast", "train", "--lake", lake, "--quiet")
	if code != 1 || !strings.Contains(errs, "history too short") {
		t.Errorf("forecast train: exit %d: %s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "forecast", "anomalies", "--lake", lake, "--quiet", "--catalog", "none")
	if code != 1 || !strings.Contains(errs, "history too short") || !strings.Contains(errs, "needs 14 days of history") {
		t.Fatalf("forecast anomalies: exit %d: %s%s", code, out, errs)
	}
	// It says what the lake holds, not the window it scanned (from 8 weeks
	// before the year).
	if !strings.Contains(errs, "the lake's kW and kWh reads run from 2024-03-01 00:15 to 2024-03-08 00:00 (7.0 days)") || strings.Contains(errs, "2023-") {
		t.Errorf("forecast anomalies does not say what the lake holds: %s", errs)
	}
	// Another year: nothing to score, and it says so.
	code, out, errs = runCLI(t, "forecast", "anomalies", "--lake", lake, "--quiet", "--catalog", "none", "--year", "2023")
	if code != 1 || !strings.Contains(errs, "no kW or kWh reads") {
		t.Errorf("forecast anomalies --year 2023: exit %d: %s%s", code, out, errs)
	}
	// A stuck meter needs no history: its run is found and written, with a
	// warning that no day could be scored, and the command succeeds.
	dir := t.TempDir()
	stuck := "file://" + filepath.ToSlash(filepath.Join(dir, "lake"))
	if code, out, errs := runCLI(t, "demo", "--lake", stuck, "--meters", "2", "--days", "7", "--faults", "1", "--quiet", "--catalog", "none"); code != 0 {
		t.Fatalf("demo: exit %d: %s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "forecast", "anomalies", "--lake", stuck, "--quiet", "--catalog", "none")
	if code != 0 || !strings.Contains(out, "1 flat") || !strings.Contains(errs, "warning:") || !strings.Contains(errs, "history too short") {
		t.Errorf("forecast anomalies on a week with a stuck meter: exit %d: %s%s", code, out, errs)
	}
}

// TestCLIForecastTrainWarning: forecast train warns, and still stores the
// model, when its held-out median MASE is worse than seasonal-naive's.
func TestCLIForecastTrainWarning(t *testing.T) {
	lake := writeKWLake(t, 2, 37)
	code, out, errs := runCLI(t, "forecast", "train", "--lake", lake, "--window", "37d", "--quiet")
	if code != 0 {
		t.Fatalf("forecast train: exit %d: %s%s", code, out, errs)
	}
	m := regexp.MustCompile(`trained \S+ version (\S+) [^\n]*\nholdout [^:]*: median MASE ([0-9.]+) \(seasonal-naive ([0-9.]+)\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no version and hold-out scores in:\n%s", out)
	}
	model, _ := strconv.ParseFloat(m[2], 64)
	naive, _ := strconv.ParseFloat(m[3], 64)
	warned := strings.Contains(errs, "warning:") && strings.Contains(errs, "worse than seasonal-naive") &&
		strings.Contains(errs, fmt.Sprintf("(median MASE %s > %s)", m[2], m[3]))
	if warned != (model > naive) {
		t.Errorf("median MASE %v, seasonal-naive %v; warned %v:\n%s", model, naive, warned, errs)
	}
	b, err := mda.OpenBucket(t.Context(), lake)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if v, err := forecast.LatestVersion(t.Context(), b, forecast.DefaultModel); err != nil || v != m[1] {
		t.Errorf("latest version %q (%v), want the trained %s", v, err, m[1])
	}

	for _, tt := range []struct {
		model, naive float64
		warn         bool
	}{
		{1.050, 0.995, true},
		{0.891, 1.013, false},
		{1, 1, false},
		{math.NaN(), 0.9, false},
		{0.9, math.NaN(), false},
	} {
		man := forecast.Manifest{Model: "linear", Version: "v1"}
		man.Linear.Horizon = 168
		setFloat(&man.Holdout.MedianMASE, tt.model)
		setFloat(&man.SeasonalNaive.MedianMASE, tt.naive)
		w := holdoutWarning(man)
		if (w != "") != tt.warn || tt.warn && !strings.Contains(w, "(median MASE 1.050 > 0.995)") {
			t.Errorf("MASE %v vs seasonal-naive %v: warning %q", tt.model, tt.naive, w)
		}
	}
}

// setFloat sets a float of a type that its package does not export.
func setFloat[T ~float64](p *T, v float64) { *p = T(v) }
