package simulator

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Options configures a Generator. A nil *Options, and every zero field, mean
// the defaults documented on each field.
type Options struct {
	// Meters is the number of meters; default 1000.
	Meters int
	// FirstMeter is the index of the first meter; default 1. The meters are
	// i = FirstMeter .. FirstMeter+Meters-1 with ids MeterID(i), as in the
	// guidance. A meter's data depends only on Seed, i and the time window,
	// not on which other meters are generated.
	FirstMeter int
	// Start is the start of the window; default 2024-03-01T00:00:00Z. It
	// must be a multiple of Interval since the Unix epoch. Reading times
	// are interval ends, as everywhere in this module: the first read,
	// of the interval that starts at Start, is stamped Start+Interval.
	Start time.Time
	// Days is the length of the window in days of 24 hours; default 7. The
	// window holds Days*24h/Interval timestamps, from Start+Interval to
	// Start+Days*24h, so that each of its days has all its reads.
	Days int
	// Interval is the read interval; default 15m. It must be a whole number
	// of seconds and divide 24h.
	Interval time.Duration
	// Seed selects the data set: the same Options give the same bytes.
	Seed int64
	// NominalVoltage is the supply voltage in volts; default 230.
	NominalVoltage float64
	// Location is the time zone in which households live their day (wake-up
	// times, weekends, daylight); default UTC. Times in the file are UTC.
	Location *time.Location
	// Climate is the weather of the area; nil means DefaultClimate().
	Climate *Climate

	// LateFraction is the fraction (0..1) of lines that arrive late: such a
	// line keeps its reading time but its arrival_time is time+LateOffset,
	// and it is emitted in the file at its arrival position, after the lines
	// of that later time (at the end of the file if that is past the window).
	LateFraction float64
	// LateOffset is how late a late line arrives; default 24h. It must be a
	// whole number of milliseconds.
	LateOffset time.Duration
	// DuplicateFraction is the fraction (0..1) of lines that are delivered a
	// second time, with identical values and an arrival_time one to ten
	// minutes later, placed in the file by that arrival.
	DuplicateFraction float64
	// BadFraction is the fraction (0..1) of lines followed by a garbage line
	// (wrong column count, bad number, bad timestamp, empty meter id, or
	// binary bytes). Only WriteCSV writes them; Lines does not see them.
	BadFraction float64
	// Faults are meter faults to inject (stuck, zero and scaled reads),
	// for testing anomaly detection against known answers. They must name
	// generated meters and not overlap on one meter.
	Faults []Fault
}

// Climate describes the synthetic weather of the area, which drives
// electric heating and air conditioning. Temperatures are in °C.
type Climate struct {
	// MeanC is the annual mean temperature.
	MeanC float64
	// SeasonalAmplitudeC is half the difference between the mean
	// temperatures of the warmest and the coldest day of the year.
	SeasonalAmplitudeC float64
	// ColdestDay is the day of the year (1..366) of the seasonal minimum:
	// about 20 in the northern hemisphere, 200 in the southern.
	ColdestDay int
	// DiurnalAmplitudeC is half the typical daily range (larger in summer,
	// smaller in winter); the daily maximum is mid-afternoon.
	DiurnalAmplitudeC float64
	// WeatherSigmaC is the standard deviation of the weather anomaly, an
	// hourly AR(1) process around the seasonal and daily cycle.
	WeatherSigmaC float64
	// WeatherTimescale is the anomaly's e-folding time, 1h to 30 days
	// (ignored if WeatherSigmaC is 0).
	WeatherTimescale time.Duration
	// LatitudeDeg is the latitude, which sets the length of the day and so
	// when lights are on.
	LatitudeDeg float64
}

// DefaultClimate is a temperate, central European climate: annual mean 11
// °C, coldest around January 20 (about 2 °C), warmest in July (about 20 °C),
// daily range about 8 °C, weather anomalies of 3 °C lasting a day or two.
func DefaultClimate() Climate {
	return Climate{MeanC: 11, SeasonalAmplitudeC: 9, ColdestDay: 20, DiurnalAmplitudeC: 4,
		WeatherSigmaC: 3, WeatherTimescale: 36 * time.Hour, LatitudeDeg: 48}
}

// Defaults.
const (
	DefaultMeters         = 1000
	DefaultDays           = 7
	DefaultInterval       = 15 * time.Minute
	DefaultNominalVoltage = 230.0
	DefaultLateOffset     = 24 * time.Hour
)

// DefaultStart is the default Start, 2024-03-01T00:00:00Z.
var DefaultStart = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// maxMeterIndex bounds meter indices, which the generator keeps as int32.
const maxMeterIndex = math.MaxInt32

func badOption(format string, args ...any) error {
	return fmt.Errorf("simulator: invalid Options: "+format, args...)
}

// withDefaults returns the options with defaults filled in, validated.
func (o *Options) withDefaults() (Options, error) {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Meters == 0 {
		r.Meters = DefaultMeters
	}
	if r.FirstMeter == 0 {
		r.FirstMeter = 1
	}
	if r.Start.IsZero() {
		r.Start = DefaultStart
	}
	if r.Days == 0 {
		r.Days = DefaultDays
	}
	if r.Interval == 0 {
		r.Interval = DefaultInterval
	}
	if r.NominalVoltage == 0 {
		r.NominalVoltage = DefaultNominalVoltage
	}
	if r.Location == nil {
		r.Location = time.UTC
	}
	var c Climate
	if r.Climate != nil {
		c = *r.Climate
	} else {
		c = DefaultClimate()
	}
	r.Climate = &c
	if r.LateOffset == 0 {
		r.LateOffset = DefaultLateOffset
	}
	r.Start = r.Start.UTC()
	r.Faults = slices.Clone(r.Faults)

	switch {
	case r.Meters < 0:
		return r, badOption("Meters %d is negative", r.Meters)
	case r.FirstMeter < 0:
		return r, badOption("FirstMeter %d is negative", r.FirstMeter)
	case int64(r.FirstMeter)+int64(r.Meters)-1 > maxMeterIndex:
		return r, badOption("meter indices %d..%d exceed %d", r.FirstMeter, int64(r.FirstMeter)+int64(r.Meters)-1, maxMeterIndex)
	case r.Days < 0:
		return r, badOption("Days %d is negative", r.Days)
	case r.Days > 100*366:
		return r, badOption("Days %d is more than a century", r.Days)
	case r.Interval < 0:
		return r, badOption("Interval %v is negative", r.Interval)
	case r.Interval%time.Second != 0:
		return r, badOption("Interval %v is not a whole number of seconds", r.Interval)
	case (24*time.Hour)%r.Interval != 0:
		return r, badOption("Interval %v does not divide 24h", r.Interval)
	case r.Start.Year() < 1900:
		return r, badOption("Start %v is before 1900", r.Start)
	case r.Start.Add(time.Duration(r.Days)*24*time.Hour).Year() > 9998:
		return r, badOption("window from %v for %d days ends too late", r.Start, r.Days)
	case mod(r.Start.UnixMilli(), r.Interval.Milliseconds()) != 0 || r.Start.Nanosecond()%int(time.Millisecond) != 0:
		return r, badOption("Start %v is not aligned to Interval %v", r.Start, r.Interval)
	case !(r.NominalVoltage > 0 && r.NominalVoltage <= 1e6):
		return r, badOption("NominalVoltage %v V is not in (0, 1e6]", r.NominalVoltage)
	case r.LateOffset < 0:
		return r, badOption("LateOffset %v is negative", r.LateOffset)
	case r.LateOffset%time.Millisecond != 0:
		return r, badOption("LateOffset %v is not a whole number of milliseconds", r.LateOffset)
	case r.LateOffset > 100*366*24*time.Hour:
		return r, badOption("LateOffset %v is more than a century", r.LateOffset)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"LateFraction", r.LateFraction}, {"DuplicateFraction", r.DuplicateFraction}, {"BadFraction", r.BadFraction}} {
		if !(f.v >= 0 && f.v <= 1) {
			return r, badOption("%s %v is not in [0, 1]", f.name, f.v)
		}
	}
	if err := c.validate(); err != nil {
		return r, err
	}
	return r, nil
}

func (c *Climate) validate() error {
	for _, f := range []struct {
		name     string
		v        float64
		min, max float64
	}{
		{"MeanC", c.MeanC, -60, 60},
		{"SeasonalAmplitudeC", c.SeasonalAmplitudeC, 0, 50},
		{"DiurnalAmplitudeC", c.DiurnalAmplitudeC, 0, 30},
		{"WeatherSigmaC", c.WeatherSigmaC, 0, 30},
		{"LatitudeDeg", c.LatitudeDeg, -90, 90},
	} {
		if !(f.v >= f.min && f.v <= f.max) {
			return badOption("Climate.%s %v is not in [%v, %v]", f.name, f.v, f.min, f.max)
		}
	}
	if c.ColdestDay < 1 || c.ColdestDay > 366 {
		return badOption("Climate.ColdestDay %d is not in 1..366", c.ColdestDay)
	}
	if c.WeatherSigmaC > 0 && (c.WeatherTimescale < time.Hour || c.WeatherTimescale > 30*24*time.Hour) {
		return badOption("Climate.WeatherTimescale %v is not in [1h, 720h]", c.WeatherTimescale)
	}
	return nil
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
