package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/api"
	"github.com/openmda/mda/tables"
)

// weatherLake is a lake with only a weather table: stations "s1" and "s2",
// hourly from 2024-03-01 to 2024-03-03 (three UTC days), temperature = the
// hour's index (0 °C at the first hour), s2's temperature missing at
// 2024-03-02T05:00Z, snow depth and gust always missing. Missing values are
// NULL, as the weather flow writes them.
func weatherLake(t *testing.T) *blob.Bucket {
	t.Helper()
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	t.Cleanup(func() { b.Close() })
	nan := math.NaN()
	day0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for d := range 3 {
		var rows []tables.WeatherParquetRow
		for h := range 24 {
			ts := day0.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour)
			for _, st := range []string{"s1", "s2"} {
				r := tables.WeatherRow{Time: ts, Station: st, Temperature: float64(d*24 + h), DewPoint: 1.5, RelativeHumidity: 90,
					Precipitation: 0.2, SnowDepth: nan, WindDirection: 270, WindSpeed: 12.5, WindGust: nan,
					SeaLevelAirPressure: 1012.4, SunshineMinutes: 30, WeatherConditionCode: 7}
				if st == "s2" && d == 1 && h == 5 {
					r.Temperature = nan
				}
				rows = append(rows, r.Parquet())
			}
		}
		var buf bytes.Buffer
		w := parquet.NewGenericWriter[tables.WeatherParquetRow](&buf)
		if _, err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := b.WriteAll(ctx, tables.WeatherDir(day0.AddDate(0, 0, d))+"weather.parquet", buf.Bytes(), nil); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func TestWeatherJSON(t *testing.T) {
	h := api.New(weatherLake(t), nil)
	body := decode[api.WeatherObservations](t, get(h, "/weather?from=20240302&to=2024-03-02"))
	if len(body.Data) != 48 || !body.From.Equal(time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)) || !body.To.Equal(body.From.AddDate(0, 0, 1)) {
		t.Fatalf("%d rows, [%v, %v)", len(body.Data), body.From, body.To)
	}
	first := body.Data[0]
	if !first.Time.Equal(body.From) || first.Station != "s1" || first.Temperature != 24 || first.WindSpeed != 12.5 ||
		first.SeaLevelAirPressure != 1012.4 || first.SunshineHours != 30 || first.WeatherConditionCode != 7 {
		t.Errorf("first row %+v", first)
	}
	if body.Units["temperature"] != "°C" || body.Units["wind_speed"] != "km/h" || len(body.Units) != 11 {
		t.Errorf("units %v", body.Units)
	}

	// Missing values are null in the JSON, with the guidance's names.
	w := get(h, "/weather?from=20240302&to=20240302&station=s2")
	var raw struct {
		Station string           `json:"station"`
		Data    []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil || w.Code != 200 {
		t.Fatalf("%d %v: %s", w.Code, err, w.Body)
	}
	if raw.Station != "s2" || len(raw.Data) != 24 {
		t.Fatalf("station %q, %d rows", raw.Station, len(raw.Data))
	}
	for i, row := range raw.Data {
		if row["station"] != "s2" || row["snow_depth"] != nil || row["wind_gust"] != nil {
			t.Errorf("row %d: %v", i, row)
		}
		if v, ok := row["temperature"]; !ok || (i == 5) != (v == nil) {
			t.Errorf("row %d: temperature %v (present %v)", i, v, ok)
		}
		for _, k := range []string{"time", "dew_point", "relative_humidity", "precipitation", "wind_direction", "wind_speed",
			"sealevel_air_pressure", "sunshine_hours", "weather_condition_code"} {
			if row[k] == nil {
				t.Errorf("row %d: %s is %v", i, k, row[k])
			}
		}
	}
	if strings.Contains(w.Body.String(), "NaN") {
		t.Error("NaN in the JSON")
	}
	// 0 °C is a value, not a missing one.
	if err := json.Unmarshal(get(h, "/weather?from=20240301&to=20240301&station=s1").Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if v, ok := raw.Data[0]["temperature"].(float64); !ok || v != 0 {
		t.Errorf("0 °C read as %v", raw.Data[0]["temperature"])
	}

	// Days follow Options.Location: a day in UTC+2 starts at 22:00Z.
	loc := time.FixedZone("UTC+2", 2*3600)
	hl := api.New(weatherLake(t), &api.Options{Location: loc})
	body = decode[api.WeatherObservations](t, get(hl, "/weather?from=2024-03-02&to=2024-03-02&station=s1"))
	if len(body.Data) != 24 || !body.Data[0].Time.Equal(time.Date(2024, 3, 1, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("UTC+2: %d rows from %v", len(body.Data), body.Data[0].Time)
	}

	// A range without observations: 200 and no rows.
	body = decode[api.WeatherObservations](t, get(h, "/weather?from=20250101&to=20250102"))
	if len(body.Data) != 0 {
		t.Errorf("2025: %d rows", len(body.Data))
	}
	if w := get(h, "/weather?from=20250101&to=20250102"); !strings.Contains(w.Body.String(), `"data":[]`) {
		t.Errorf("empty data is not []: %s", w.Body)
	}
}

func TestWeatherCSVAndArrow(t *testing.T) {
	h := api.New(weatherLake(t), nil)
	w := get(h, "/weather?from=20240302&to=20240302&station=s2&format=csv")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), api.CSV) {
		t.Fatalf("%d %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	recs, err := csv.NewReader(w.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := "time,station,temperature,dew_point,relative_humidity,precipitation,snow_depth,wind_direction,wind_speed,wind_gust,sealevel_air_pressure,sunshine_hours,weather_condition_code"
	if len(recs) != 25 || strings.Join(recs[0], ",") != want {
		t.Fatalf("%d records, header %v", len(recs), recs[0])
	}
	if got := strings.Join(recs[1], ","); got != "2024-03-02T00:00:00Z,s2,24,1.5,90,0.2,,270,12.5,,1012.4,30,7" {
		t.Errorf("first row %s", got)
	}
	if got := strings.Join(recs[6], ","); got != "2024-03-02T05:00:00Z,s2,,1.5,90,0.2,,270,12.5,,1012.4,30,7" {
		t.Errorf("row with missing temperature %s", got)
	}
	w = get(h, "/weather?from=20240301&to=20240301&station=s1&format=csv")
	if recs, err := csv.NewReader(w.Body).ReadAll(); err != nil || len(recs) < 2 || recs[1][2] != "0" {
		t.Errorf("0 °C in CSV: %v %v", recs, err)
	}
	// By Accept, too.
	if w := get(h, "/weather?from=20240301&to=20240301", "Accept", "text/csv"); w.Code != 200 || strings.Count(w.Body.String(), "\n") != 49 {
		t.Errorf("Accept text/csv: %d, %d lines", w.Code, strings.Count(w.Body.String(), "\n"))
	}

	w = get(h, "/weather?from=20240302&to=20240302&station=s2&format=arrow")
	if w.Code != 200 || w.Header().Get("Content-Type") != api.Arrow {
		t.Fatalf("arrow: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	rd, err := ipc.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	if !rd.Next() {
		t.Fatal("no record")
	}
	rec := rd.RecordBatch()
	temp := rec.Column(2).(*array.Float64)
	if rec.NumRows() != 24 || !temp.IsNull(5) || temp.Value(0) != 24 || rec.Column(6).NullN() != 24 {
		t.Errorf("arrow record: %v", rec)
	}
}

func TestWeatherErrors(t *testing.T) {
	h := api.New(weatherLake(t), &api.Options{MaxDays: 31})
	for _, tc := range []struct {
		target string
		code   int
		msg    string
	}{
		{"/weather", 400, "from is required"},
		{"/weather?from=20240301", 400, "to is required"},
		{"/weather?from=2024-3-1&to=20240301", 400, "from \"2024-3-1\": not a date yyyyMMdd or YYYY-MM-DD"},
		{"/weather?from=2024-03-1&to=20240301", 400, "from \"2024-03-1\": want yyyyMMdd or YYYY-MM-DD"},
		{"/weather?from=yesterday&to=20240301", 400, "want yyyyMMdd or YYYY-MM-DD"},
		{"/weather?from=20241301&to=20241301", 400, "not a date"},
		{"/weather?from=2024-02-30&to=2024-03-01", 400, "not a date"},
		{"/weather?from=20240305&to=20240301", 400, "before from"},
		{"/weather?from=20240101&to=20240301", 400, "exceeds the limit of 31"},
		{"/weather?from=20240301&to=20240301&station=a%2Fb", 400, "invalid station"},
		{"/weather?from=20240301&to=20240301&reading_date_from=20240301", 400, "unknown parameter \"reading_date_from\""},
		{"/weather?from=20240301&from=20240302&to=20240303", 400, "given 2 times"},
		{"/weather?from=20240301&to=20240301&format=xml", 400, "format \"xml\""},
	} {
		w := get(h, tc.target)
		var e api.Error
		if w.Code != tc.code || json.Unmarshal(w.Body.Bytes(), &e) != nil || !strings.Contains(e.Error, tc.msg) {
			t.Errorf("%s: status %d, body %s; want %d with %q", tc.target, w.Code, w.Body, tc.code, tc.msg)
		}
	}
	if w := get(h, "/weather?from=20240301&to=20240301", "Accept", "image/png"); w.Code != http.StatusNotAcceptable {
		t.Errorf("Accept image/png: %d", w.Code)
	}
	if w := get(h, "/weather?from=20240101&to=20240131"); w.Code != 200 {
		t.Errorf("31 days: %d %s", w.Code, w.Body)
	}

	// A lake without weather: 404 saying so; bad parameters stay 400.
	empty := api.New(memblob.OpenBucket(nil), nil)
	w := get(empty, "/weather?from=20240301&to=20240301")
	var e api.Error
	if w.Code != 404 || json.Unmarshal(w.Body.Bytes(), &e) != nil || !strings.Contains(e.Error, "no weather in the lake") {
		t.Errorf("no weather: %d %s", w.Code, w.Body)
	}
	if w := get(empty, "/weather?from=20240301&to=20240301&format=xml"); w.Code != 400 {
		t.Errorf("no weather, bad format: %d", w.Code)
	}
	// The route is listed.
	if w := get(empty, "/nothing"); !strings.Contains(w.Body.String(), "GET /weather") {
		t.Errorf("routes: %s", w.Body)
	}
}
