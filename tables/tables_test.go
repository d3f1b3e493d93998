package tables_test

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/openmda/mda/tables"
)

// TestAnomalyEventRowSchema: the events table's columns, in order, with
// types Athena and Glue read (string, timestamp in ms, int, double), so
// that a catalog table can declare them, and optional where a value may
// be missing.
func TestAnomalyEventRowSchema(t *testing.T) {
	want := []string{
		"meter_id string", "kind string", "start_time timestamp", "end_time timestamp", "resolution_seconds int",
		"consumption double", "yhat double", "yhat_lower double", "yhat_upper double", "importance double", "model string",
	}
	var got []string
	for _, f := range parquet.SchemaOf(new(tables.AnomalyEventRow)).Fields() {
		typ := f.Type()
		var hive string
		var ts *format.TimestampType
		if lt := typ.LogicalType(); lt != nil {
			ts, _ = lt.Value.(*format.TimestampType)
		}
		switch {
		case ts != nil:
			if _, ms := ts.Unit.Value.(*format.MilliSeconds); !ms || !ts.IsAdjustedToUTC {
				t.Errorf("%s: %v, want milliseconds in UTC", f.Name(), ts)
			}
			hive = "timestamp"
		case typ.Kind() == parquet.ByteArray:
			hive = "string"
		case typ.Kind() == parquet.Double:
			hive = "double"
		case typ.Kind() == parquet.Int32:
			hive = "int"
		default:
			hive = typ.String()
		}
		// What may be missing is NULL, never NaN (an engine's AVG over NaN
		// is NaN): yhat and the bounds; the rest is always there.
		if optional := strings.HasPrefix(f.Name(), "yhat"); f.Required() == optional {
			t.Errorf("%s: required %v, want %v", f.Name(), f.Required(), !optional)
		}
		got = append(got, f.Name()+" "+hive)
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("columns\n%s\nwant\n%s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}

// TestWeatherParquetRowSchema: the stored weather row has WeatherRow's
// columns, in order, with the same types; time and station are required,
// the values optional.
func TestWeatherParquetRowSchema(t *testing.T) {
	want := parquet.SchemaOf(new(tables.WeatherRow)).Fields()
	got := parquet.SchemaOf(new(tables.WeatherParquetRow)).Fields()
	if len(got) != len(want) || len(got) != 2+tables.WeatherValueCount {
		t.Fatalf("%d columns, WeatherRow has %d", len(got), len(want))
	}
	for i, f := range got {
		if f.Name() != want[i].Name() || f.Type().Kind() != want[i].Type().Kind() ||
			!reflect.DeepEqual(f.Type().LogicalType(), want[i].Type().LogicalType()) {
			t.Errorf("column %d: %s %v, want %s %v", i, f.Name(), f.Type(), want[i].Name(), want[i].Type())
		}
		if optional := i >= 2; f.Optional() != optional || f.Required() == optional {
			t.Errorf("%s: optional %v, want %v", f.Name(), f.Optional(), optional)
		}
	}
}

// TestWeatherRowParquet: NaN is nil and back; every other value, 0 and -0
// included, is kept.
func TestWeatherRowParquet(t *testing.T) {
	nan := math.NaN()
	ts := time.Date(2024, 3, 1, 5, 0, 0, 0, time.UTC)
	r := tables.WeatherRow{Time: ts, Station: "s", Temperature: 0, DewPoint: math.Copysign(0, -1), RelativeHumidity: nan,
		Precipitation: 0.2, SnowDepth: nan, WindDirection: 270, WindSpeed: 12.5, WindGust: nan, SeaLevelAirPressure: 1012.4,
		SunshineMinutes: math.Inf(1), WeatherConditionCode: 7}
	p := r.Parquet()
	if p.Time != ts || p.Station != "s" || p.Temperature == nil || *p.Temperature != 0 || p.DewPoint == nil ||
		!math.Signbit(*p.DewPoint) || p.RelativeHumidity != nil || p.SnowDepth != nil || p.WindGust != nil ||
		p.SunshineMinutes == nil || *p.WeatherConditionCode != 7 {
		t.Errorf("Parquet: %+v", p)
	}
	*p.WindSpeed = 99 // p's values are copies
	if r.WindSpeed != 12.5 {
		t.Error("Parquet aliases the row")
	}
	*p.WindSpeed = 12.5
	back := p.Row()
	if diff := cmp.Diff(r, back, cmpopts.EquateNaNs()); diff != "" || !math.Signbit(back.DewPoint) {
		t.Errorf("Row (-want +got):\n%s", diff)
	}
	// A row of a file written when missing values were NaN.
	legacy := tables.WeatherParquetRow{Temperature: &nan}
	if v := legacy.Row(); !math.IsNaN(v.Temperature) || !math.IsNaN(v.DewPoint) {
		t.Errorf("legacy NaN: %+v", v)
	}
}

// TestParquetGoOptionalZero pins the parquet-go behaviour that makes
// WeatherParquetRow's values pointers: the optional tag on a float64 writes
// 0 as NULL (and reads NULL as 0), where on a *float64 it writes nil as
// NULL and keeps 0.
func TestParquetGoOptionalZero(t *testing.T) {
	type plain struct {
		V float64 `parquet:"v,optional"`
	}
	type pointer struct {
		V *float64 `parquet:"v,optional"`
	}
	zero, one := 0.0, 1.0
	nulls := func(data []byte) []bool {
		t.Helper()
		rows, err := parquet.Read[pointer](bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		var out []bool
		for _, r := range rows {
			out = append(out, r.V == nil)
		}
		return out
	}
	if got := nulls(writeRows(t, []plain{{0}, {1}})); !reflect.DeepEqual(got, []bool{true, false}) {
		t.Errorf("optional float64: NULL %v, want [true false] (0 written as NULL)", got)
	}
	data := writeRows(t, []pointer{{&zero}, {nil}, {&one}})
	if got := nulls(data); !reflect.DeepEqual(got, []bool{false, true, false}) {
		t.Errorf("optional *float64: NULL %v, want [false true false]", got)
	}
	back, err := parquet.Read[plain](bytes.NewReader(data), int64(len(data)))
	if err != nil || !reflect.DeepEqual(back, []plain{{0}, {0}, {1}}) {
		t.Errorf("NULL into a float64: %v %v, want 0", back, err)
	}
}

func writeRows[T any](t *testing.T, rows []T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
