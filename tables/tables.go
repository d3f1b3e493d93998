package tables

import (
	"fmt"
	"math"
	"time"
)

// Forecasts: forecasts/model_name=<name>/forecast_start=<yyyyMMddHHmmss>/<part>.parquet
//
// One row per meter and forecast step. Values are energy in kWh over the
// step that ends at ForecastTime (hourly steps: kWh per hour), never power
// samples summed. The guidance stores arrays per meter (target, mean,
// quantiles); a long table is what Athena, Grafana and our API filter on.
type ForecastRow struct {
	MeterID string `parquet:"meter_id,dict"`
	// ForecastTime is the end of the step the values cover.
	ForecastTime time.Time `parquet:"forecast_time,timestamp(millisecond)"`
	// P10, P50 and P90 are the 10%, 50% and 90% quantiles of the step's
	// energy (kWh); forecast.Run writes them non-negative and in order.
	// A household's hourly energy is skewed (a kettle, an oven), so its
	// median lies below its mean and the sum of a week's P50 understates
	// the week's energy; for totals, sum more than the median.
	P10 float64 `parquet:"p10"`
	P50 float64 `parquet:"p50"`
	P90 float64 `parquet:"p90"`
	// ModelVersion identifies the fitted model (its key in the model store).
	ModelVersion string `parquet:"model_version,dict"`
}

// ForecastsPrefix is the root of the forecasts table.
const ForecastsPrefix = "forecasts/"

// ForecastStartLayout formats the forecast_start partition value.
const ForecastStartLayout = "20060102150405"

// ForecastDir is the directory of one model's forecasts made at start.
func ForecastDir(model string, start time.Time) string {
	return fmt.Sprintf("%smodel_name=%s/forecast_start=%s/", ForecastsPrefix, model, start.UTC().Format(ForecastStartLayout))
}

// Anomalies: anomalies/year=YYYY/<part>.parquet
//
// One row per meter and day that was scored (the anomaly events, which
// also span hours, runs of reads and weeks, are AnomalyEventRow).
// Consumption is the day's energy in kWh; Expected, Lower and Upper are the
// model's P50 and interval. Anomaly is +1 (above Upper: spike), -1 (below
// Lower: dip) or 0. Importance is the relative excess outside the
// interval, as in the guidance: (y-upper)/y for a spike, (lower-y)/y for a
// dip, 0 otherwise, and 0 when y is 0 (the guidance divides by zero
// there).
type AnomalyRow struct {
	MeterID     string    `parquet:"meter_id,dict"`
	Day         time.Time `parquet:"ds,timestamp(millisecond)"` // the date (of the job's zone) at midnight UTC
	Consumption float64   `parquet:"consumption"`               // kWh
	Expected    float64   `parquet:"yhat"`                      // kWh
	Lower       float64   `parquet:"yhat_lower"`                // kWh
	Upper       float64   `parquet:"yhat_upper"`                // kWh
	Anomaly     int32     `parquet:"anomaly"`                   // +1, -1 or 0
	Importance  float64   `parquet:"importance"`                // a share of Consumption; 0 inside the interval
	Model       string    `parquet:"model,dict"`                // the detector and its settings (forecast.AnomalyStats.Model)
}

// AnomaliesPrefix is the root of the anomalies table.
const AnomaliesPrefix = "anomalies/"

// AnomalyDir is the directory of one year's anomaly scores.
func AnomalyDir(year int) string { return fmt.Sprintf("%syear=%04d/", AnomaliesPrefix, year) }

// Anomaly events: anomaly_events/year=YYYY/<part>.parquet
//
// One row per anomaly event of a meter, the year of its start: spikes and
// dips of daily and of hourly energy, flat (stuck) and zero runs, and
// sustained drops (see forecast.Detect). It is a table of its own, next to
// the anomalies table rather than new columns of it, because the grains
// differ (an event spans [start_time, end_time): an hour, a run of
// reads, weeks; AnomalyRow is one scored day, anomalous or not) and
// because the anomalies table keeps the guidance's columns for the
// readers that expect them. Consumption is the energy read over the event
// (kWh), Expected what the meter's history predicts (NULL, a nil pointer,
// when it cannot), Lower and Upper the sums of the interval bounds of
// spikes and dips (NULL for the other kinds): NULL and not NaN, which
// would make an engine's AVG or SUM over the column NaN. Files written
// before these columns were optional hold NaN instead, which reads as a
// pointer to NaN: read the three with OrNaN, which maps both to NaN.
// Importance is the guidance's score for spikes and
// dips ((y-upper)/y, (lower-y)/y, 0 when y is 0) and |y-yhat|/max(y, yhat)
// for the other kinds. Resolution is what was scored, in seconds: 86400
// for daily spikes, dips and drops, 3600 for hourly spikes and dips, the
// read interval for flat and zero runs.
type AnomalyEventRow struct {
	MeterID     string    `parquet:"meter_id,dict"`
	Kind        string    `parquet:"kind,dict"`                         // spike, dip, flat, zero, drop
	Start       time.Time `parquet:"start_time,timestamp(millisecond)"` // the event's first instant
	End         time.Time `parquet:"end_time,timestamp(millisecond)"`   // the event's end, exclusive
	Resolution  int32     `parquet:"resolution_seconds"`                // seconds
	Consumption float64   `parquet:"consumption"`                       // kWh
	Expected    *float64  `parquet:"yhat,optional"`                     // kWh; nil (NULL) when unknown
	Lower       *float64  `parquet:"yhat_lower,optional"`               // kWh; nil (NULL) but for spikes and dips
	Upper       *float64  `parquet:"yhat_upper,optional"`               // kWh; nil (NULL) but for spikes and dips
	Importance  float64   `parquet:"importance"`                        // a share, 0 to 1 for flat, zero and drop events
	Model       string    `parquet:"model,dict"`                        // as in AnomalyRow
}

// Optional returns v as an optional column holds it: nil for NaN, else a
// pointer to a copy.
func Optional(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

// OrNaN returns the value of an optional column as programs hold it: NaN
// for nil (NULL), and for the NaN that files written before the column
// was optional hold.
func OrNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// AnomalyEventsPrefix is the root of the anomaly events table.
const AnomalyEventsPrefix = "anomaly_events/"

// AnomalyEventDir is the directory of the events that start in year.
func AnomalyEventDir(year int) string { return fmt.Sprintf("%syear=%04d/", AnomalyEventsPrefix, year) }

// Weather: weather/date=YYYY-MM-DD/<part>.parquet, hourly observations with
// the guidance's column names (Meteostat's, renamed).
//
// WeatherRow is an observation as programs hold it: a value that was not
// observed (an empty Meteostat field) is NaN. It is not the files' row:
// the files are written and read as WeatherParquetRow, whose value columns
// are optional, a missing value NULL, so that engines' AVG, MIN and IS NULL
// skip or find it (NaN in a DOUBLE column makes Athena's AVG NaN). Convert
// with Parquet and WeatherParquetRow.Row. WeatherRow's tags name the
// table's columns, in order, with their types (DOUBLE), but declare them
// required: do not write or read weather files with it (parquet-go
// would write NaN, and read NULL as 0).
type WeatherRow struct {
	// Time is the observation's time, UTC (its hour, in Meteostat's hourly
	// data); Station is the station's id, "" if the load named none.
	Time                 time.Time `parquet:"time,timestamp(millisecond)"`
	Station              string    `parquet:"station,dict"`
	Temperature          float64   `parquet:"temperature"`            // °C
	DewPoint             float64   `parquet:"dew_point"`              // °C
	RelativeHumidity     float64   `parquet:"relative_humidity"`      // %
	Precipitation        float64   `parquet:"precipitation"`          // mm
	SnowDepth            float64   `parquet:"snow_depth"`             // mm
	WindDirection        float64   `parquet:"wind_direction"`         // degrees
	WindSpeed            float64   `parquet:"wind_speed"`             // km/h
	WindGust             float64   `parquet:"wind_gust"`              // km/h
	SeaLevelAirPressure  float64   `parquet:"sealevel_air_pressure"`  // hPa
	SunshineMinutes      float64   `parquet:"sunshine_hours"`         // minutes (Meteostat tsun), guidance's name
	WeatherConditionCode float64   `parquet:"weather_condition_code"` // Meteostat coco
}

// WeatherParquetRow is the weather table's row as stored: the columns of
// WeatherRow, the values optional DOUBLE, nil (NULL) when not observed.
// They are pointers because parquet-go's optional tag on a float64 writes
// its zero value as NULL, and 0 °C is a temperature.
type WeatherParquetRow struct {
	Time                 time.Time `parquet:"time,timestamp(millisecond)"`     // as in WeatherRow
	Station              string    `parquet:"station,dict"`                    // as in WeatherRow
	Temperature          *float64  `parquet:"temperature,optional"`            // °C
	DewPoint             *float64  `parquet:"dew_point,optional"`              // °C
	RelativeHumidity     *float64  `parquet:"relative_humidity,optional"`      // %
	Precipitation        *float64  `parquet:"precipitation,optional"`          // mm
	SnowDepth            *float64  `parquet:"snow_depth,optional"`             // mm
	WindDirection        *float64  `parquet:"wind_direction,optional"`         // degrees
	WindSpeed            *float64  `parquet:"wind_speed,optional"`             // km/h
	WindGust             *float64  `parquet:"wind_gust,optional"`              // km/h
	SeaLevelAirPressure  *float64  `parquet:"sealevel_air_pressure,optional"`  // hPa
	SunshineMinutes      *float64  `parquet:"sunshine_hours,optional"`         // minutes, despite the column's name
	WeatherConditionCode *float64  `parquet:"weather_condition_code,optional"` // Meteostat coco
}

// WeatherValueCount is the number of value columns of the weather table.
const WeatherValueCount = 11

// Values returns pointers to r's values, in the order of the columns.
func (r *WeatherRow) Values() [WeatherValueCount]*float64 {
	return [...]*float64{&r.Temperature, &r.DewPoint, &r.RelativeHumidity, &r.Precipitation, &r.SnowDepth,
		&r.WindDirection, &r.WindSpeed, &r.WindGust, &r.SeaLevelAirPressure, &r.SunshineMinutes, &r.WeatherConditionCode}
}

// values returns pointers to r's value fields, in the order of the columns.
func (r *WeatherParquetRow) values() [WeatherValueCount]**float64 {
	return [...]**float64{&r.Temperature, &r.DewPoint, &r.RelativeHumidity, &r.Precipitation, &r.SnowDepth,
		&r.WindDirection, &r.WindSpeed, &r.WindGust, &r.SeaLevelAirPressure, &r.SunshineMinutes, &r.WeatherConditionCode}
}

// Parquet returns r as stored: NaN values are nil (NULL), the others point
// to copies of r's values.
func (r *WeatherRow) Parquet() WeatherParquetRow {
	out := WeatherParquetRow{Time: r.Time, Station: r.Station}
	vals := new([WeatherValueCount]float64) // one allocation for the row's values
	dst := out.values()
	for i, v := range r.Values() {
		if !math.IsNaN(*v) {
			vals[i] = *v
			*dst[i] = &vals[i]
		}
	}
	return out
}

// Row returns r as programs hold it: nil values are NaN. So are NaN
// values, which the files written before the columns were optional hold
// for missing ones.
func (r *WeatherParquetRow) Row() WeatherRow {
	out := WeatherRow{Time: r.Time, Station: r.Station}
	dst := out.Values()
	for i, v := range r.values() {
		if *v == nil {
			*dst[i] = math.NaN()
		} else {
			*dst[i] = **v
		}
	}
	return out
}

// WeatherPrefix is the root of the weather table.
const WeatherPrefix = "weather/"

// WeatherDir is the directory of one day's weather.
func WeatherDir(day time.Time) string {
	return WeatherPrefix + "date=" + day.UTC().Format("2006-01-02") + "/"
}

// TopologyPrefix is the root of the topology tables: topology/<table>/<part>.parquet.
const TopologyPrefix = "topology/"

// TopologyDir is the directory of one topology table (e.g. "smart_meter").
func TopologyDir(table string) string { return TopologyPrefix + table + "/" }
