package query

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/tables"
)

// ErrNoWeather is matched by the error of Weather on a lake without a
// weather table (no weather/date=YYYY-MM-DD/ partition at all).
var ErrNoWeather = errors.New("query: no weather in the lake")

// WeatherFilter selects hourly weather observations.
type WeatherFilter struct {
	// From and To bound the observation times, half-open [From, To); both
	// are required.
	From, To time.Time
	// Station selects one station; "" means every station.
	Station string
}

// WeatherColumns are the weather table's value columns, the guidance's
// names, in the order of WeatherValues, with their units.
var WeatherColumns = []struct{ Name, Unit string }{
	{"temperature", "°C"}, {"dew_point", "°C"}, {"relative_humidity", "%"},
	{"precipitation", "mm"}, {"snow_depth", "mm"}, {"wind_direction", "°"},
	{"wind_speed", "km/h"}, {"wind_gust", "km/h"}, {"sealevel_air_pressure", "hPa"},
	{"sunshine_hours", "min"}, {"weather_condition_code", ""},
}

// WeatherValues returns r's values in the order of WeatherColumns. Missing
// values are NaN (see Weather).
func WeatherValues(r *tables.WeatherRow) [11]float64 {
	return [...]float64{r.Temperature, r.DewPoint, r.RelativeHumidity, r.Precipitation, r.SnowDepth,
		r.WindDirection, r.WindSpeed, r.WindGust, r.SeaLevelAirPressure, r.SunshineMinutes, r.WeatherConditionCode}
}

// Weather returns the hourly observations of the weather table
// (tables.WeatherDir) that f selects, ordered by time and station, with
// times in UTC. Missing values are NaN: the table stores them as NULL
// (tables.WeatherParquetRow), files written before its value columns were
// optional as NaN, and both read as NaN here, so callers test math.IsNaN
// (WeatherRecord and the API turn NaN back into null). Only the day
// partitions that overlap [From, To) are read. A lake without any weather
// partition gives an error matching ErrNoWeather; a range without
// observations gives none and no error.
func (l *Lake) Weather(ctx context.Context, f WeatherFilter) ([]tables.WeatherRow, error) {
	if f.From.IsZero() || f.To.IsZero() {
		return nil, errors.New("query: weather needs both From and To")
	}
	dirs, err := partition.ListDirs(ctx, l.b, tables.WeatherPrefix)
	if err != nil {
		return nil, err
	}
	first := f.From.UTC().Truncate(24 * time.Hour)
	found := false
	var rows []tables.WeatherRow
	for _, d := range dirs {
		s, ok := strings.CutPrefix(d, "date=")
		if !ok {
			continue
		}
		day, err := time.Parse(time.DateOnly, s)
		if err != nil {
			continue
		}
		found = true
		if day.Before(first) || !day.Before(f.To) {
			continue
		}
		files, err := listFiles(ctx, l.b, tables.WeatherPrefix+d+"/")
		if err != nil {
			return nil, err
		}
		got, err := readRows(ctx, l.b, files, nil, nil, func(r *tables.WeatherParquetRow) bool {
			return !r.Time.Before(f.From) && r.Time.Before(f.To) && (f.Station == "" || r.Station == f.Station)
		})
		if err != nil {
			return nil, err
		}
		for i := range got {
			rows = append(rows, got[i].Row())
		}
	}
	if !found {
		return nil, fmt.Errorf("%w (%s)", ErrNoWeather, tables.WeatherPrefix)
	}
	for i := range rows {
		rows[i].Time = rows[i].Time.UTC()
	}
	slices.SortStableFunc(rows, func(a, b tables.WeatherRow) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Station, b.Station)
	})
	return rows, nil
}

// WeatherSchema is the schema of weather observations: time, station and
// the columns of WeatherColumns, with missing values null.
var WeatherSchema = func() *arrow.Schema {
	fs := []arrow.Field{field("time", tsType, ""), field("station", strType, "")}
	for _, c := range WeatherColumns {
		fs = append(fs, nullable(c.Name, f64Type, c.Unit))
	}
	return arrow.NewSchema(fs, nil)
}()

// WeatherRecord returns weather observations as a record of WeatherSchema,
// NaN as null. The caller must Release it.
func WeatherRecord(mem memory.Allocator, rows []tables.WeatherRow) arrow.RecordBatch {
	return newRecord(mem, WeatherSchema, len(rows), func(b *array.RecordBuilder) {
		f := b.Fields()
		for i := range rows {
			r := &rows[i]
			ms(f[0]).Append(arrow.Timestamp(r.Time.UnixMilli()))
			str(f[1]).Append(r.Station)
			for k, v := range WeatherValues(r) {
				appendOrNull(f[2+k], v)
			}
		}
	})
}
