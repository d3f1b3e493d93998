package simulator

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// MeteostatHeader is the header of Meteostat's hourly CSV (pandas to_csv
// of meteostat.Hourly, as the guidance stages it): time, temperature (°C),
// dew point (°C), relative humidity (%), precipitation (mm), snow depth
// (mm), wind direction (°), wind speed (km/h), peak gust (km/h), sea-level
// pressure (hPa), sunshine (minutes) and condition code. Empty is missing.
const MeteostatHeader = "time,temp,dwpt,rhum,prcp,snow,wdir,wspd,wpgt,pres,tsun,coco"

// MeteostatTimeLayout is the layout of the time column.
const MeteostatTimeLayout = "2006-01-02 15:04:05"

// WeatherOptions configures Generator.WriteWeatherCSV. Nil means the
// defaults.
type WeatherOptions struct {
	// From and To bound the observations' hours, half-open; zero means the
	// generator's window [Start, Start+Days), widened to whole hours.
	From, To time.Time
}

// Hash domains of the weather observations (the generator's own are 1..6).
const (
	domObsDay uint64 = 201 + iota
	domObsHour
)

// WriteWeatherCSV writes hourly observations of the generator's synthetic
// weather in Meteostat's CSV format (MeteostatHeader), one line per whole
// hour in the window, and returns the number of observations.
//
// temp is Temperature(t) rounded to 0.1 °C: the very temperature that
// drives the households' heating and cooling, so that a weather join
// explains the simulated load. The other columns are plausible and
// deterministic (hashes of Seed and the hour), not physical: a dew point
// a few degrees below the day's mean temperature (never above temp), the
// relative humidity that follows from the two (Magnus formula), rain on
// about a third of the days (snow when freezing, as precipitation, condition
// codes to match), wind that varies by day and hour, pressure that drifts
// over days. snow, wpgt and tsun are left empty (missing), as they often
// are in Meteostat's data.
func (g *Generator) WriteWeatherCSV(w io.Writer, opts *WeatherOptions) (int, error) {
	var o WeatherOptions
	if opts != nil {
		o = *opts
	}
	from, to := o.From, o.To
	if from.IsZero() {
		from = g.opts.Start
	}
	if to.IsZero() {
		to = g.opts.Start.Add(time.Duration(g.opts.Days) * 24 * time.Hour)
	}
	from = from.UTC().Truncate(time.Hour)
	if !to.After(from) {
		return 0, fmt.Errorf("simulator: weather window [%v, %v) is empty", from, to)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(MeteostatHeader + "\n")
	n := 0
	buf := make([]byte, 0, 128)
	for t := from; t.Before(to); t = t.Add(time.Hour) {
		buf = g.appendObservation(buf[:0], t)
		if _, err := bw.Write(buf); err != nil {
			return n, fmt.Errorf("simulator: writing weather: %w", err)
		}
		n++
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("simulator: writing weather: %w", err)
	}
	return n, nil
}

// appendObservation appends the CSV line of hour t.
func (g *Generator) appendObservation(b []byte, t time.Time) []byte {
	temp := round1(g.Temperature(t))
	hour := uint64(t.Unix() / 3600)
	day := uint64(t.Unix() / 86400)
	hd := hash4(g.seed, domObsDay, day, 0)
	hh := hash4(g.seed, domObsHour, hour, 0)

	// Dew point: below the mean temperature of the surrounding day.
	mean := 0.0
	for k := -12; k <= 12; k += 3 {
		mean += g.Temperature(t.Add(time.Duration(k) * time.Hour))
	}
	mean /= 9
	dep := 1.5 + 4*unit(hd)
	dwpt := round1(math.Min(temp-0.3-1.5*unit(mix(hh^6)), mean-dep))
	rhum := math.Round(100 * magnus(dwpt) / magnus(temp))
	rhum = math.Min(100, math.Max(1, rhum))

	wet := unit(mix(hd^1)) < 0.35
	prcp := 0.0
	if wet && unit(hh) < 0.3 {
		prcp = round1(0.1 - 1.2*math.Log(1-unit(mix(hh^1))))
	}
	wdirDay := 360 * unit(mix(hd^2))
	wdir := math.Mod(wdirDay+40*(unit(mix(hh^2))-0.5)+360, 360)
	wspd := round1(math.Max(0, (6+14*unit(mix(hd^3)))*(0.7+0.6*unit(mix(hh^3)))))
	pres := round1(1013 + 12*math.Sin(2*math.Pi*float64(t.Unix())/(5.3*86400)) + 2*(unit(mix(hh^4))-0.5))
	var coco float64
	switch {
	case prcp > 0 && temp <= 0:
		coco = 14 // light snowfall
	case prcp > 2:
		coco = 8 // rain
	case prcp > 0:
		coco = 7 // light rain
	case wet:
		coco = 3 // cloudy
	default:
		coco = 1 + math.Floor(2*unit(mix(hh^5))) // clear or fair
	}

	b = t.AppendFormat(b, MeteostatTimeLayout)
	for _, v := range [...]float64{temp, dwpt, rhum, prcp, math.NaN(), math.Round(wdir), wspd, math.NaN(), pres, math.NaN(), coco} {
		b = append(b, ',')
		if !math.IsNaN(v) {
			b = strconv.AppendFloat(b, v, 'f', -1, 64)
		}
	}
	return append(b, '\n')
}

// magnus is the saturation vapour pressure (hPa) at t °C.
func magnus(t float64) float64 { return 6.1094 * math.Exp(17.625*t/(t+243.04)) }

func round1(x float64) float64 { return math.Round(x*10) / 10 }
