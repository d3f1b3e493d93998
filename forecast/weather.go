package forecast

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/query"
)

// Weather configures the temperature regressors of Train and Run (see
// Exog.Temperature), read from the lake's weather table
// (tables.WeatherPrefix, loaded by dataflow.WeatherFlow).
//
// Train reads the station's observed temperature over the training
// window; Run reads it over the look-back and the forecast period, so the
// weather forecast must be in the weather table before Run (loaded like
// the observations: a later load of the same hours replaces the forecast
// with what was observed), or be passed as RunOptions.Temperature. Every
// meter of the model uses the one station.
//
// Train's held-out scores (Manifest.Holdout) forecast with the observed
// temperature of the held-out hours: a perfect weather forecast. A real
// one is worse, so they show the most the regressors can gain.
type Weather struct {
	// Station is the weather station; "" is the station of a load without
	// one (Meteostat's hourly export has no station column, and
	// dataflow.WeatherOptions.Station defaults to "").
	Station string `json:"station"`
	// BaseTemp is the balance point of the heating and cooling degrees;
	// 0 means 18 (°C).
	BaseTemp float64 `json:"base_temp,omitempty"`
}

// ErrNoWeather is matched by the errors of Train and Run when the weather
// table lacks the temperatures a model with Weather needs.
var ErrNoWeather = errors.New("forecast: no temperature")

// minTemperatureShare is the share of a period's hours that must have a
// temperature: the regressors are the period's means, which a few missing
// hours hardly move but a missing day of a week does.
const minTemperatureShare = 0.9

// ReadTemperature returns the hourly temperature (°C) of a station in the
// lake's weather table over [from, to), both rounded down to the hour, as
// a Series starting at from; hours without an observation are NaN.
// A lake without a weather table gives an error matching ErrNoWeather.
func ReadTemperature(ctx context.Context, lake *blob.Bucket, station string, from, to time.Time) (Series, error) {
	from, to = from.UTC().Truncate(time.Hour), to.UTC().Truncate(time.Hour)
	s := Series{Start: from, Step: time.Hour}
	if !from.Before(to) {
		return s, nil
	}
	rows, err := query.New(lake, nil).Weather(ctx, query.WeatherFilter{From: from, To: to, Station: station})
	if errors.Is(err, query.ErrNoWeather) {
		return s, fmt.Errorf("%w: %w", ErrNoWeather, err)
	}
	if err != nil {
		return s, fmt.Errorf("forecast: reading the weather: %w", err)
	}
	s.Values = make([]float64, int(to.Sub(from)/time.Hour))
	for i := range s.Values {
		s.Values[i] = math.NaN()
	}
	for _, r := range rows {
		if r.Station != station {
			continue // the query's "" means every station; here it is one
		}
		// Observations at whole hours; one off the hour (a report at
		// hh:50, say) stands for its hour unless the hour has its own.
		i := int(r.Time.Sub(from) / time.Hour)
		if i < 0 || i >= len(s.Values) || !finite(r.Temperature) {
			continue
		}
		if r.Time.Equal(from.Add(time.Duration(i)*time.Hour)) || math.IsNaN(s.Values[i]) {
			s.Values[i] = r.Temperature
		}
	}
	return s, nil
}

// checkTemperature fails with ErrNoWeather unless at least
// minTemperatureShare of the hours [from, to) of t have a temperature.
func checkTemperature(t Series, station string, from, to time.Time, what string) error {
	n, have := 0, 0
	for at := from; at.Before(to); at = at.Add(time.Hour) {
		n++
		i := int(at.Sub(t.Start) / t.Step)
		if at.Sub(t.Start) >= 0 && i < t.Len() && finite(t.Values[i]) {
			have++
		}
	}
	if n == 0 || float64(have) >= minTemperatureShare*float64(n) {
		return nil
	}
	return fmt.Errorf("%w for %s: station %q has a temperature for %d of the %d hours [%s, %s); "+
		"load the weather (mda dataflow weather) into the lake's weather table", ErrNoWeather, what, station, have, n,
		from.Format(time.RFC3339), to.Format(time.RFC3339))
}

// valueAt returns the value of s at time t (the interval holding t), NaN
// outside s or where s has none.
func valueAt(s Series, t time.Time) float64 {
	if s.Step <= 0 || t.Before(s.Start) {
		return math.NaN()
	}
	if i := int(t.Sub(s.Start) / s.Step); i < s.Len() && finite(s.Values[i]) {
		return s.Values[i]
	}
	return math.NaN()
}

// mergeTemperature returns the hourly temperature over [from, to): first's
// where it has one, else second's.
func mergeTemperature(first, second Series, from, to time.Time) Series {
	out := Series{Start: from, Step: time.Hour, Values: make([]float64, int(to.Sub(from)/time.Hour))}
	for i := range out.Values {
		t := out.Time(i)
		if v := valueAt(first, t); finite(v) {
			out.Values[i] = v
		} else {
			out.Values[i] = valueAt(second, t)
		}
	}
	return out
}

// withTemperature returns opt with its regressors' temperature set to t
// (the Exog is copied, never shared with the caller's).
func withTemperature(opt LinearOptions, t Series, w *Weather) LinearOptions {
	x := Exog{}
	if opt.Exog != nil {
		x = *opt.Exog
	}
	x.Temperature = t
	if w != nil && w.BaseTemp != 0 {
		x.BaseTemp = w.BaseTemp
	}
	if x.BaseTemp == 0 {
		x.BaseTemp = defaultBaseTemp // stored, so that the manifest says it
	}
	x.sums = newTempSums(t.Values, x.BaseTemp) // one copy for every model
	opt.Exog = &x
	return opt
}

// storedOptions returns opt as a manifest stores it: without the
// temperature series, which Run reads from the weather table.
func storedOptions(opt LinearOptions) LinearOptions {
	if opt.Exog != nil && opt.Exog.Temperature.Len() > 0 {
		x := *opt.Exog
		x.Temperature, x.sums = Series{}, nil
		opt.Exog = &x
	}
	return opt
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
