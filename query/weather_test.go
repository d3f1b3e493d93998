package query_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/query"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/tables"
)

// writeWeather writes rows as the weather flow does, missing values NULL.
func writeWeather(t *testing.T, b *blob.Bucket, key string, rows []tables.WeatherRow) {
	t.Helper()
	stored := make([]tables.WeatherParquetRow, len(rows))
	for i := range rows {
		stored[i] = rows[i].Parquet()
	}
	writeParquet(t, b, key, stored)
}

// writeLegacyWeather writes rows as the weather flow did before the value
// columns were optional: required, missing values NaN.
func writeLegacyWeather(t *testing.T, b *blob.Bucket, key string, rows []tables.WeatherRow) {
	t.Helper()
	writeParquet(t, b, key, rows)
}

func writeParquet[T any](t *testing.T, b *blob.Bucket, key string, rows []T) {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteAll(context.Background(), key, buf.Bytes(), nil); err != nil {
		t.Fatal(err)
	}
}

func obs(t time.Time, station string, temp float64) tables.WeatherRow {
	nan := math.NaN()
	return tables.WeatherRow{Time: t, Station: station, Temperature: temp, DewPoint: temp - 3, RelativeHumidity: 80,
		Precipitation: 0, SnowDepth: nan, WindDirection: 180, WindSpeed: 10, WindGust: nan,
		SeaLevelAirPressure: 1013, SunshineMinutes: nan, WeatherConditionCode: 3}
}

func TestWeather(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	l := query.New(b, nil)
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	if _, err := l.Weather(ctx, query.WeatherFilter{From: day, To: day.AddDate(0, 0, 1)}); !errors.Is(err, query.ErrNoWeather) {
		t.Fatalf("empty lake: %v, want ErrNoWeather", err)
	}
	if _, err := l.Weather(ctx, query.WeatherFilter{From: day}); err == nil {
		t.Error("no To: no error")
	}
	// Three days, two stations; the second day's file written in two parts,
	// one of them as the flow wrote files before missing values were NULL.
	for d := range 3 {
		var a, c []tables.WeatherRow
		for h := range 24 {
			ts := day.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour)
			a = append(a, obs(ts, "b", float64(d*24+h)))
			c = append(c, obs(ts, "a", -float64(d*24+h)))
		}
		if d == 1 {
			a[5].Temperature = math.NaN()
			writeWeather(t, b, tables.WeatherDir(day.AddDate(0, 0, d))+"part-0.parquet", a)
			writeLegacyWeather(t, b, tables.WeatherDir(day.AddDate(0, 0, d))+"part-1.parquet", c)
			continue
		}
		writeWeather(t, b, tables.WeatherDir(day.AddDate(0, 0, d))+"part-0.parquet", append(a, c...))
	}
	// A range across the day boundary, in another time zone.
	loc := time.FixedZone("UTC+2", 2*3600)
	from := time.Date(2024, 3, 2, 0, 0, 0, 0, loc) // 2024-03-01T22:00Z
	rows, err := l.Weather(ctx, query.WeatherFilter{From: from, To: from.Add(10 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 20 {
		t.Fatalf("%d rows, want 20", len(rows))
	}
	for i, r := range rows {
		want := from.Add(time.Duration(i/2) * time.Hour).UTC()
		if !r.Time.Equal(want) || r.Time.Location() != time.UTC || r.Station != []string{"a", "b"}[i%2] {
			t.Errorf("row %d: %v %q, want %v %q", i, r.Time, r.Station, want, []string{"a", "b"}[i%2])
		}
		if !math.IsNaN(r.WindGust) || !math.IsNaN(r.SnowDepth) {
			t.Errorf("row %d: missing values read as %v, %v", i, r.WindGust, r.SnowDepth)
		}
		if r.Precipitation != 0 {
			t.Errorf("row %d: precipitation 0 read as %v", i, r.Precipitation)
		}
	}
	// One station; the NaN temperature survives.
	rows, err = l.Weather(ctx, query.WeatherFilter{From: day.AddDate(0, 0, 1), To: day.AddDate(0, 0, 2), Station: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 24 || !math.IsNaN(rows[5].Temperature) || rows[6].Temperature != 30 {
		t.Fatalf("%d rows, [5] %v, [6] %v", len(rows), rows[5].Temperature, rows[6].Temperature)
	}
	// Arrow: NaN is null.
	rec := query.WeatherRecord(memory.DefaultAllocator, rows)
	defer rec.Release()
	temp := rec.Column(2).(*array.Float64)
	if rec.NumRows() != 24 || rec.Schema().Field(2).Name != "temperature" || !temp.IsNull(5) || temp.Value(6) != 30 ||
		rec.Column(8).NullN() != 0 || rec.Column(9).NullN() != 24 {
		t.Errorf("arrow: %v", rec)
	}
	// A range outside the table: no rows, no error.
	rows, err = l.Weather(ctx, query.WeatherFilter{From: day.AddDate(1, 0, 0), To: day.AddDate(1, 0, 1)})
	if err != nil || len(rows) != 0 {
		t.Errorf("outside: %d rows, %v", len(rows), err)
	}
}

// TestWeatherFromDataflow reads back what the weather dataflow loads from
// the simulator's Meteostat CSV, as mda demo does.
func TestWeatherFromDataflow(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	g, err := simulator.New(&simulator.Options{Meters: 2, Days: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	n, err := g.WriteWeatherCSV(&csv, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := dataflow.ParseMeteostatCSV(bytes.NewReader(csv.Bytes()), "")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"hourly.csv": {Data: csv.Bytes()}}
	if err := dataflow.Run(ctx, dataflow.NewWeatherFlow(nil), fsys, b, nil); err != nil {
		t.Fatal(err)
	}
	start := g.Options().Start
	rows, err := query.New(b, nil).Weather(ctx, query.WeatherFilter{From: start, To: start.AddDate(0, 0, 2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n || len(want) != n {
		t.Fatalf("%d rows read, %d parsed, %d written", len(rows), len(want), n)
	}
	for i := range rows {
		got, exp := query.WeatherValues(&rows[i]), query.WeatherValues(&want[i])
		for k := range got {
			if got[k] != exp[k] && !(math.IsNaN(got[k]) && math.IsNaN(exp[k])) {
				t.Fatalf("row %d %s: %v, want %v", i, query.WeatherColumns[k].Name, got[k], exp[k])
			}
		}
		if !rows[i].Time.Equal(want[i].Time) {
			t.Fatalf("row %d: %v, want %v", i, rows[i].Time, want[i].Time)
		}
	}
}
