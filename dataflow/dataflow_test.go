package dataflow_test

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/tables"
)

var nan = math.NaN()

func TestParseMeteostatCSV(t *testing.T) {
	t0 := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in string
		want     []tables.WeatherRow
		err      string
	}{
		{"meteostat", "time,temp,dwpt,rhum,prcp,snow,wdir,wspd,wpgt,pres,tsun,coco\n" +
			"2022-01-01 00:00:00,5.6,3.1,84.0,0.2,,190.0,13.0,,1012.3,,7.0\n",
			[]tables.WeatherRow{{Time: t0, Station: "KSEA", Temperature: 5.6, DewPoint: 3.1, RelativeHumidity: 84, Precipitation: 0.2,
				SnowDepth: nan, WindDirection: 190, WindSpeed: 13, WindGust: nan, SeaLevelAirPressure: 1012.3, SunshineMinutes: nan,
				WeatherConditionCode: 7}}, ""},
		{"guidance names, station column, any order, CRLF", "station,temperature,time,extra\r\nX1,-2.5,2022-01-01T01:00:00Z,zzz\r\n",
			[]tables.WeatherRow{{Time: t0.Add(time.Hour), Station: "X1", Temperature: -2.5, DewPoint: nan, RelativeHumidity: nan,
				Precipitation: nan, SnowDepth: nan, WindDirection: nan, WindSpeed: nan, WindGust: nan, SeaLevelAirPressure: nan,
				SunshineMinutes: nan, WeatherConditionCode: nan}}, ""},
		{"no time column", "temp\n1\n", nil, "no time column"},
		{"bad number", "time,temp\n2022-01-01 00:00:00,warm\n", nil, "line 2: column temp"},
		{"bad time", "time,temp\n2022-13-01 00:00:00,1\n", nil, "line 2: bad time"},
		{"short row", "time,temp\n2022-01-01 00:00:00\n", nil, "line 2: 1 fields"},
		{"empty", "", nil, "empty file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dataflow.ParseMeteostatCSV(strings.NewReader(tc.in), "KSEA")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateNaNs()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func weatherCSV(t *testing.T, g *simulator.Generator, from, to time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := g.WriteWeatherCSV(&buf, &simulator.WeatherOptions{From: from, To: to}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readDay(t *testing.T, lake *blob.Bucket, day time.Time) []tables.WeatherRow {
	t.Helper()
	rows, err := dataflow.ReadWeather(context.Background(), lake, day, day.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestWeatherFlowMergesOverlappingLoads(t *testing.T) {
	ctx := context.Background()
	lake, _ := blob.OpenBucket(ctx, "mem://")
	defer lake.Close()
	d1 := simulator.DefaultStart
	d2, d3 := d1.Add(24*time.Hour), d1.Add(48*time.Hour)
	gA, _ := simulator.New(&simulator.Options{Meters: 1, Seed: 1})
	gB, _ := simulator.New(&simulator.Options{Meters: 1, Seed: 2}) // a different weather: the revised data

	var registered []dataflow.Written
	reg := &dataflow.RunOptions{Register: func(_ context.Context, w dataflow.Written) error {
		registered = append(registered, w)
		return nil
	}}
	// Load 1: days 1 and 2. Load 2: day 2 from 12:00 and day 3, revised.
	f1 := dataflow.NewWeatherFlow(&dataflow.WeatherOptions{Station: "sim"})
	if err := dataflow.Run(ctx, f1, fstest.MapFS{"a.csv": {Data: weatherCSV(t, gA, d1, d3)}}, lake, reg); err != nil {
		t.Fatal(err)
	}
	day2First := readDay(t, lake, d2)
	f2 := dataflow.NewWeatherFlow(&dataflow.WeatherOptions{Station: "sim"})
	src2 := fstest.MapFS{"b.csv": {Data: weatherCSV(t, gB, d2.Add(12*time.Hour), d3.Add(24*time.Hour))}}
	if err := dataflow.Run(ctx, f2, src2, lake, reg); err != nil {
		t.Fatal(err)
	}
	want := dataflow.WeatherStats{Files: 1, Rows: 36, Days: 2, Replaced: 12, Kept: 12, Written: 48}
	if diff := cmp.Diff(want, f2.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	// The expected lake: day 1 from A, day 2 until 12:00 from A, then B.
	parse := func(data []byte) []tables.WeatherRow {
		rows, err := dataflow.ParseMeteostatCSV(bytes.NewReader(data), "sim")
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	wantDay2 := append(parse(weatherCSV(t, gA, d2, d2.Add(12*time.Hour))), parse(weatherCSV(t, gB, d2.Add(12*time.Hour), d3))...)
	if diff := cmp.Diff(wantDay2, readDay(t, lake, d2), cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("day 2 (-want +got):\n%s", diff)
	}
	if cmp.Equal(day2First, readDay(t, lake, d2), cmpopts.EquateNaNs()) {
		t.Error("the second load changed nothing")
	}
	if diff := cmp.Diff(parse(weatherCSV(t, gA, d1, d2)), readDay(t, lake, d1), cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("day 1 (-want +got):\n%s", diff)
	}
	// One file per day, deterministic names, each registered.
	keys := listKeys(t, lake, tables.WeatherPrefix)
	wantKeys := []string{"weather/date=2024-03-01/weather.parquet", "weather/date=2024-03-02/weather.parquet", "weather/date=2024-03-03/weather.parquet"}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if len(registered) != 2 || !cmp.Equal(registered[1].Partitions, []string{"date=2024-03-02/", "date=2024-03-03/"}) {
		t.Errorf("registered %+v", registered)
	}
	// Loading the same file again is idempotent, byte for byte.
	before, _ := lake.ReadAll(ctx, wantKeys[2])
	if err := dataflow.Run(ctx, dataflow.NewWeatherFlow(&dataflow.WeatherOptions{Station: "sim"}), src2, lake, nil); err != nil {
		t.Fatal(err)
	}
	after, _ := lake.ReadAll(ctx, wantKeys[2])
	if !bytes.Equal(before, after) {
		t.Error("reloading changed the file")
	}
}

func TestWeatherFlowDuplicatesWithinLoad(t *testing.T) {
	ctx := context.Background()
	lake, _ := blob.OpenBucket(ctx, "mem://")
	defer lake.Close()
	src := fstest.MapFS{
		"2024/a.csv": {Data: []byte("time,temp\n2024-03-01 00:00:00,1\n2024-03-01 01:00:00,2\n2024-03-01 00:00:00,3\n")},
		"2024/b.csv": {Data: []byte("time,temp\n2024-03-01 01:00:00,4\n")},
		"notes.txt":  {Data: []byte("not weather")},
	}
	f := dataflow.NewWeatherFlow(nil)
	if err := dataflow.Run(ctx, f, src, lake, nil); err != nil {
		t.Fatal(err)
	}
	rows := readDay(t, lake, simulator.DefaultStart)
	var temps []float64
	for _, r := range rows {
		temps = append(temps, r.Temperature)
	}
	if !cmp.Equal([]float64{3, 4}, temps) || f.Stats().Duplicates != 2 {
		t.Errorf("temperatures %v, stats %+v", temps, f.Stats())
	}
	if err := dataflow.Run(ctx, dataflow.NewWeatherFlow(nil), fstest.MapFS{"x.txt": {}}, lake, nil); err == nil {
		t.Error("a source without CSV files was accepted")
	}
}

func TestTopologyFlowReport(t *testing.T) {
	ctx := context.Background()
	// The guidance's off-by-one: reads for meters 1..12, topology for 0..11.
	g, _ := simulator.New(&simulator.Options{Meters: 12, Days: 1, Seed: 1})
	var buf bytes.Buffer
	g.WriteCSV(&buf)
	lake, _ := blob.OpenBucket(ctx, "mem://")
	defer lake.Close()
	lake.WriteAll(ctx, "in.csv", buf.Bytes(), nil)
	if _, err := mda.Ingest(ctx, lake, lake, "in.csv", nil); err != nil {
		t.Fatal(err)
	}
	gTopo, _ := simulator.New(&simulator.Options{Meters: 12, FirstMeter: 1, Days: 1, Seed: 1})
	topo, _ := gTopo.Topology(nil)
	topo.SmartMeters[0].ID = simulator.MeterID(0)     // meter 0 instead of 1
	topo.SmartMeters[5].ServiceTransformerID = "gone" // a broken reference
	dir := t.TempDir()
	if err := topo.WriteJSONDir(dir); err != nil {
		t.Fatal(err)
	}
	var registered []string
	f := dataflow.NewTopologyFlow(nil)
	err := dataflow.Run(ctx, f, osDirFS(dir), lake, &dataflow.RunOptions{Register: func(_ context.Context, w dataflow.Written) error {
		registered = append(registered, w.Location)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	rep := f.Report()
	want := dataflow.TopologyReport{
		Counts: topo.Counts(),
		Issues: []topology.Issue{{Kind: topology.IssueMissingParent, Table: "smart_meter", ID: topo.SmartMeters[5].ID,
			RefTable: "service_transformer", Ref: "gone"}},
		ReadsChecked: true, LakeMeters: 12,
		MetersWithoutTopology: []string{simulator.MeterID(1)},
		MetersWithoutReads:    []string{simulator.MeterID(0)},
	}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if len(registered) != 7 || registered[4] != "topology/smart_meter/" {
		t.Errorf("registered %v", registered)
	}
	back, err := topology.ReadLake(ctx, lake)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f.Topology(), back, cmpopts.IgnoreUnexported(topology.Topology{})); diff != "" {
		t.Errorf("lake topology (-want +got):\n%s", diff)
	}
	// Strict refuses it.
	if err := dataflow.Run(ctx, dataflow.NewTopologyFlow(&dataflow.TopologyOptions{Strict: true}), osDirFS(dir), lake, nil); err == nil ||
		!strings.Contains(err.Error(), "prepare") {
		t.Errorf("strict: %v", err)
	}
}
