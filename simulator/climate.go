package simulator

import (
	"math"
	"time"
)

// Hashing: every random decision that is not part of a meter's own stream
// is a pure function of (seed, domain, a, b), so that it does not depend on
// the order of generation or on the other options.

const golden = 0x9e3779b97f4a7c15

// mix is SplitMix64's finalizer, a bijective 64-bit mixer.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Hash domains.
const (
	domParams uint64 = iota + 1
	domDynamic
	domFeeder
	domWeather
	domGrid
	domLine
	domFault
)

func hash4(seed, domain, a, b uint64) uint64 {
	h := mix(seed + domain*golden)
	h = mix(h ^ a)
	return mix(h + b*golden)
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) * (1.0 / (1 << 53)) }

// gauss maps a hash to a standard normal variate (Box-Muller).
func gauss(h uint64) float64 {
	u1 := (float64(h>>11) + 0.5) * (1.0 / (1 << 53))
	u2 := unit(mix(h + golden))
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

const msPerHour = 3600 * 1000

// weather is the hourly weather anomaly: a stationary AR(1) process
// x[h] = phi*x[h-1] + e[h], written as its (truncated) moving average
// sum_j phi^j e[h-j], so that x at any hour is a pure function of the seed.
// Hours of the generation window are cached.
type weather struct {
	seed uint64
	w    []float64 // w[j] = sigma*sqrt(1-phi^2)*phi^j
	h0   int64     // first cached hour
	x    []float64 // x[h-h0]
}

func newWeather(seed uint64, c *Climate, from, to int64) *weather {
	w := &weather{seed: seed}
	if c.WeatherSigmaC == 0 {
		return w
	}
	phi := math.Exp(-float64(time.Hour) / float64(c.WeatherTimescale))
	k := int(math.Ceil(math.Log(1e-4) / math.Log(phi))) // phi^k < 1e-4
	scale := c.WeatherSigmaC * math.Sqrt(1-phi*phi)
	w.w = make([]float64, k)
	p := scale
	for j := range w.w {
		w.w[j] = p
		p *= phi
	}
	// Cache hours [from, to]: innovations e[from-k+1 .. to].
	n := int(to - from + 1)
	e := make([]float64, n+k-1)
	for i := range e {
		e[i] = w.innovation(from - int64(k) + 1 + int64(i))
	}
	w.h0 = from
	w.x = make([]float64, n)
	for i := range w.x {
		// Same summation order as at(): j = 0 .. k-1.
		s := 0.0
		base := i + k - 1
		for j, wj := range w.w {
			s += wj * e[base-j]
		}
		w.x[i] = s
	}
	return w
}

func (w *weather) innovation(h int64) float64 { return gauss(hash4(w.seed, domWeather, uint64(h), 0)) }

// at returns the anomaly at hour h (hours since the Unix epoch).
func (w *weather) at(h int64) float64 {
	if len(w.w) == 0 {
		return 0
	}
	if i := h - w.h0; i >= 0 && i < int64(len(w.x)) {
		return w.x[i]
	}
	s := 0.0
	for j, wj := range w.w {
		s += wj * w.innovation(h-int64(j))
	}
	return s
}

const (
	msPerDay   = 24 * msPerHour
	yearDays   = 365.2425
	twoPi      = 2 * math.Pi
	peakHour   = 15.0 // hour of the daily temperature maximum
	dayCentre  = 0.5  // the seasonal minimum is at midday of ColdestDay
	defaultLat = 48.0
)

// seasonPhase returns the phase of the annual cycle at ms since the epoch:
// 0 on the coldest day.
func (g *Generator) seasonPhase(ms int64) float64 {
	days := float64(ms) / msPerDay
	return twoPi * (days - (float64(g.climate.ColdestDay-1) + dayCentre)) / yearDays
}

// Temperature returns the synthetic outdoor temperature of the area at t, in
// °C: an annual cycle, a daily cycle (in Options.Location's local time) and
// an hourly AR(1) weather anomaly, interpolated linearly between hours. It
// is a pure function of the seed, the climate, the location and t: it is
// defined for any t, not only inside the window.
func (g *Generator) Temperature(t time.Time) float64 {
	ms := t.UnixMilli()
	lt := t.In(g.opts.Location)
	lh := float64(lt.Hour()) + float64(lt.Minute())/60 + float64(lt.Second())/3600
	return g.temperature(ms, lh)
}

// temperature is Temperature with the local hour of day precomputed.
func (g *Generator) temperature(ms int64, localHour float64) float64 {
	c := &g.climate
	season := math.Cos(g.seasonPhase(ms)) // 1 on the coldest day, -1 on the warmest
	t := c.MeanC - c.SeasonalAmplitudeC*season
	t += c.DiurnalAmplitudeC * (1 - 0.25*season) * math.Cos(twoPi*(localHour-peakHour)/24)
	h := ms / msPerHour
	if ms < 0 && ms%msPerHour != 0 {
		h--
	}
	f := float64(ms-h*msPerHour) / msPerHour
	x0 := g.weather.at(h)
	if f == 0 {
		return t + x0
	}
	return t + x0*(1-f) + g.weather.at(h+1)*f
}

// daylight returns local sunrise and sunset hours (solar time, shifted by
// an hour under daylight saving time) at ms since the epoch.
func daylight(latDeg float64, yearDay int, dst bool) (sunrise, sunset float64) {
	decl := -23.44 * math.Pi / 180 * math.Cos(twoPi*float64(yearDay+10)/365)
	lat := latDeg * math.Pi / 180
	cw := -math.Tan(lat) * math.Tan(decl)
	cw = math.Max(-1, math.Min(1, cw))
	half := math.Acos(cw) * 12 / math.Pi // half the day length in hours
	noon := 12.0
	if dst {
		noon = 13
	}
	return noon - half, noon + half
}

// darkness is 1 at night, 0 in daylight, with an hour of twilight around
// sunrise and sunset.
func darkness(h, sunrise, sunset float64) float64 {
	light := clamp(h-sunrise+0.5, 0, 1) * clamp(sunset+0.5-h, 0, 1)
	return 1 - light
}

func clamp(x, lo, hi float64) float64 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}
