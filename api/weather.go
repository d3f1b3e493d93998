package api

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/openmda/mda/query"
)

// WeatherObservations is the body of /weather.
type WeatherObservations struct {
	// From and To bound the observation times, [From, To): To is the day
	// after the to parameter.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Station is the station asked for, "" for all.
	Station string `json:"station,omitempty"`
	// Units maps each value column to its unit.
	Units map[string]string `json:"units"`
	Data  []Observation     `json:"data"`
}

// Observation is one hour of one station, with the guidance's column
// names; missing values are null.
type Observation struct {
	Time                 time.Time `json:"time"`
	Station              string    `json:"station"`
	Temperature          Float     `json:"temperature"`
	DewPoint             Float     `json:"dew_point"`
	RelativeHumidity     Float     `json:"relative_humidity"`
	Precipitation        Float     `json:"precipitation"`
	SnowDepth            Float     `json:"snow_depth"`
	WindDirection        Float     `json:"wind_direction"`
	WindSpeed            Float     `json:"wind_speed"`
	WindGust             Float     `json:"wind_gust"`
	SeaLevelAirPressure  Float     `json:"sealevel_air_pressure"`
	SunshineHours        Float     `json:"sunshine_hours"`
	WeatherConditionCode Float     `json:"weather_condition_code"`
}

// weatherUnits are the units of Observation's values.
var weatherUnits = func() map[string]string {
	m := make(map[string]string, len(query.WeatherColumns))
	for _, c := range query.WeatherColumns {
		m[c.Name] = c.Unit
	}
	return m
}()

// dayLayouts are the layouts of the day parameters of /weather.
var dayLayouts = []string{"20060102", "2006-01-02"}

// dayRange parses from and to (days yyyyMMdd or YYYY-MM-DD, both required,
// both inclusive) into [from, to) in loc, at most maxDays long.
func dayRange(q url.Values, loc *time.Location, maxDays int) (from, to time.Time, err error) {
	return localDays(q, loc, maxDays, "from", "to", dayLayouts, "yyyyMMdd or YYYY-MM-DD")
}

// weather serves GET /weather?from=&to=[&station=].
func (h *handler) weather(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkParams(q, "from", "to", "station"); err != nil {
		badRequest(w, err)
		return
	}
	from, to, err := dayRange(q, h.opts.Location, h.opts.MaxDays)
	if err != nil {
		badRequest(w, err)
		return
	}
	station := q.Get("station")
	if station != "" && !validStation(station) {
		badRequest(w, badParam("invalid station %q: want 1 to 128 characters of A-Z a-z 0-9 . _ : -", station))
		return
	}
	// Format errors are the client's even when the lake has no weather.
	if _, err := negotiate(r); err != nil {
		badRequest(w, err)
		return
	}
	rows, err := h.lake.Weather(r.Context(), query.WeatherFilter{From: from, To: to, Station: station})
	if errors.Is(err, query.ErrNoWeather) {
		writeError(w, http.StatusNotFound, "no weather in the lake: load it with mda dataflow weather")
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body := WeatherObservations{From: from, To: to, Station: station, Units: weatherUnits, Data: make([]Observation, len(rows))}
	for i := range rows {
		o := &rows[i]
		body.Data[i] = Observation{Time: o.Time, Station: o.Station, Temperature: Float(o.Temperature), DewPoint: Float(o.DewPoint),
			RelativeHumidity: Float(o.RelativeHumidity), Precipitation: Float(o.Precipitation), SnowDepth: Float(o.SnowDepth),
			WindDirection: Float(o.WindDirection), WindSpeed: Float(o.WindSpeed), WindGust: Float(o.WindGust),
			SeaLevelAirPressure: Float(o.SeaLevelAirPressure), SunshineHours: Float(o.SunshineMinutes),
			WeatherConditionCode: Float(o.WeatherConditionCode)}
	}
	header := []string{"time", "station"}
	for _, c := range query.WeatherColumns {
		header = append(header, c.Name)
	}
	h.write(w, r, &table{
		json:   body,
		header: header,
		rows: func(yield func([]string) bool) {
			for i := range rows {
				row := []string{fmtTime(rows[i].Time), rows[i].Station}
				for _, v := range query.WeatherValues(&rows[i]) {
					row = append(row, fmtMissing(v))
				}
				if !yield(row) {
					return
				}
			}
		},
		arrow: func(mem memory.Allocator) arrow.RecordBatch { return query.WeatherRecord(mem, rows) },
	})
}

// fmtMissing formats v, or "" for a missing value (NaN).
func fmtMissing(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return fmtFloat(v)
}

// validStation checks a station id: 1 to 128 bytes of [A-Za-z0-9._:-],
// other than "." and "..". Stations name folders of the weather loader,
// so they keep a path-safe alphabet.
func validStation(id string) bool {
	if len(id) == 0 || len(id) > 128 || id == "." || id == ".." {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}
