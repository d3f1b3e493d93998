package dataflow_test

import (
	"bytes"
	"context"
	"math"
	"slices"
	"strconv"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"

	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/tables"
)

// arrowColumns reads a Parquet file with Apache Arrow's implementation
// (not parquet-go's) and returns its schema and its columns by name, as
// float64 with a null mask for the DOUBLE columns.
func arrowColumns(t *testing.T, data []byte) (*arrow.Schema, map[string][]*float64) {
	t.Helper()
	rdr, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	cols := map[string][]*float64{}
	for i, f := range tbl.Schema().Fields() {
		if f.Type.ID() != arrow.FLOAT64 {
			continue
		}
		var vals []*float64
		for _, chunk := range tbl.Column(i).Data().Chunks() {
			a := chunk.(*array.Float64)
			for k := range a.Len() {
				if a.IsNull(k) {
					vals = append(vals, nil)
				} else {
					v := a.Value(k)
					vals = append(vals, &v)
				}
			}
		}
		cols[f.Name] = vals
	}
	return tbl.Schema(), cols
}

// TestWeatherFlowWritesNulls: an empty Meteostat field is stored as NULL, so
// engines' AVG skips it and IS NULL finds it, and a 0 °C reading as 0, not
// NULL; checked with Apache Arrow's reader. A day already in the lake as
// the flow wrote it before (required columns, missing values NaN) is
// rewritten with NULLs when a load overlaps it.
func TestWeatherFlowWritesNulls(t *testing.T) {
	ctx := context.Background()
	lake, _ := blob.OpenBucket(ctx, "mem://")
	defer lake.Close()
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	key := tables.WeatherDir(day) + dataflow.WeatherFileName

	// The lake's old file: hours 20 to 23, wind gust NaN, 20:00 at 0 °C.
	var legacy []tables.WeatherRow
	for h := 20; h < 24; h++ {
		legacy = append(legacy, tables.WeatherRow{Time: day.Add(time.Duration(h) * time.Hour), Station: "sim",
			Temperature: float64(h - 20), DewPoint: -1, RelativeHumidity: 80, Precipitation: 0, SnowDepth: 0,
			WindDirection: 0, WindSpeed: 5, WindGust: math.NaN(), SeaLevelAirPressure: 1010, SunshineMinutes: 0,
			WeatherConditionCode: 1})
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[tables.WeatherRow](&buf)
	if _, err := w.Write(legacy); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := lake.WriteAll(ctx, key, buf.Bytes(), nil); err != nil {
		t.Fatal(err)
	}

	// The load: 00:00 missing, 01:00 0 °C, 02:00 -0.0 °C, 03:00 1.5 °C.
	csv := "time,temp,dwpt,rhum,prcp,snow,wdir,wspd,wpgt,pres,tsun,coco\n" +
		"2024-03-01 00:00:00,,0.0,90,0,,0,0,,1000,,\n" +
		"2024-03-01 01:00:00,0.0,-2.1,88,,,,,,,,\n" +
		"2024-03-01 02:00:00,-0.0,,,,,,,,,,\n" +
		"2024-03-01 03:00:00,1.5,,,,,,,,,,\n"
	f := dataflow.NewWeatherFlow(&dataflow.WeatherOptions{Station: "sim"})
	if err := dataflow.Run(ctx, f, fstest.MapFS{"h.csv": {Data: []byte(csv)}}, lake, nil); err != nil {
		t.Fatal(err)
	}
	if s := f.Stats(); s.Kept != 4 || s.Written != 8 {
		t.Errorf("stats %+v", s)
	}
	data, err := lake.ReadAll(ctx, key)
	if err != nil {
		t.Fatal(err)
	}

	schema, cols := arrowColumns(t, data)
	for _, fl := range schema.Fields() {
		value := fl.Name != "time" && fl.Name != "station"
		if fl.Nullable != value {
			t.Errorf("%s: nullable %v, want %v", fl.Name, fl.Nullable, value)
		}
		if value && fl.Type.ID() != arrow.FLOAT64 {
			t.Errorf("%s: %v, want double", fl.Name, fl.Type)
		}
	}
	if len(schema.Fields()) != 2+tables.WeatherValueCount {
		t.Errorf("%d columns", len(schema.Fields()))
	}
	str := func(vals []*float64) []string {
		var out []string
		for _, v := range vals {
			switch {
			case v == nil:
				out = append(out, "null")
			case math.IsNaN(*v):
				out = append(out, "NaN")
			case *v == 0 && math.Signbit(*v):
				out = append(out, "-0")
			default:
				out = append(out, strconv.FormatFloat(*v, 'g', -1, 64))
			}
		}
		return out
	}
	check := func(name string, want ...string) {
		t.Helper()
		if got := str(cols[name]); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	check("temperature", "null", "0", "-0", "1.5", "0", "1", "2", "3")
	check("dew_point", "0", "-2.1", "null", "null", "-1", "-1", "-1", "-1")
	check("wind_gust", "null", "null", "null", "null", "null", "null", "null", "null")
	check("precipitation", "0", "null", "null", "null", "0", "0", "0", "0")
	check("weather_condition_code", "null", "null", "null", "null", "1", "1", "1", "1")

	// parquet-go and the lake's readers agree: missing is NaN in memory.
	rows := readDay(t, lake, day)
	if len(rows) != 8 || !math.IsNaN(rows[0].Temperature) || rows[1].Temperature != 0 || math.IsNaN(rows[1].Temperature) ||
		!math.IsNaN(rows[4].WindGust) || rows[4].Temperature != 0 {
		t.Errorf("read back: %+v", rows)
	}
	// Loading again changes nothing, byte for byte.
	if err := dataflow.Run(ctx, dataflow.NewWeatherFlow(&dataflow.WeatherOptions{Station: "sim"}),
		fstest.MapFS{"h.csv": {Data: []byte(csv)}}, lake, nil); err != nil {
		t.Fatal(err)
	}
	if again, _ := lake.ReadAll(ctx, key); !bytes.Equal(again, data) {
		t.Error("reloading changed the file")
	}
}
