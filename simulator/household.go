package simulator

import (
	"math"
	"math/rand/v2"
)

// Household archetypes.
const (
	archCommuter = iota // out on weekdays: morning and evening peaks
	archHome            // retired or working from home: daytime and lunch use
	archNightOwl        // late riser, late evening peak
)

// dayHabits is one household's routine on one kind of day (weekday or
// weekend). Hours are local; bed may exceed 24 (after midnight).
type dayHabits struct {
	wake, bed         float64
	leave, back       float64 // away between leave and back if leave < back
	morning, mAmp, mW float64 // morning peak: centre, amplitude, width
	lunch, lAmp, lW   float64
	evening, eAmp, eW float64
	dayLevel          float64 // activity while awake at home
	sleepLevel        float64 // standby while asleep
	awayLevel         float64 // activity while away (timers, pets)
}

// household holds the static parameters of one meter.
type household struct {
	arch                  int
	level                 float64 // kW per unit of activity shape
	base                  float64 // always-on load, kW
	light                 float64 // lighting when home, awake and dark, kW
	events                float64 // appliance cycles started per hour of full occupancy
	heatC, heatB, heatMax float64 // electric heating: kW/°C below heatB °C, capped
	coolC, coolB, coolMax float64 // air conditioning: kW/°C above coolB °C, capped
	evKW                  float64 // EV charger power, 0 if none
	evProb                float64 // probability of charging on a given day
	evStart               int32   // usual local minute of plugging in
	vacation              float64 // probability per day of leaving for a holiday
	pf                    float64 // mean power factor
	load                  float64 // contracted kW, integer
	vService              float64 // relative voltage drop at full contracted load
	vTap, vFeeder         float64 // feeder's relative set point and drop at area load 1
	habits                [2]dayHabits
}

const feederSize = 40 // meters per feeder, by meter index

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// newHousehold draws the static parameters of meter i from its own stream.
func (g *Generator) newHousehold(i int) household {
	seed := g.seed
	r := rand.New(rand.NewPCG(hash4(seed, domParams, uint64(i), 0), hash4(seed, domParams, uint64(i), 1)))
	var h household
	u := r.Float64()
	switch {
	case u < 0.45:
		h.arch = archCommuter
	case u < 0.80:
		h.arch = archHome
	default:
		h.arch = archNightOwl
	}
	wd, we := &h.habits[0], &h.habits[1]
	switch h.arch {
	case archCommuter:
		wd.wake = uniform(r, 5.3, 7.3)
		wd.bed = uniform(r, 22, 24.3)
		wd.leave = wd.wake + uniform(r, 0.8, 1.5)
		wd.back = uniform(r, 16.5, 18.8)
		wd.morning, wd.mAmp, wd.mW = wd.wake+0.45, uniform(r, 0.8, 1.6), uniform(r, 0.4, 0.7)
		wd.evening, wd.eAmp, wd.eW = wd.back+uniform(r, 1, 2), uniform(r, 1.2, 2.0), uniform(r, 1.2, 2.0)
		wd.dayLevel = uniform(r, 0.3, 0.45)
		*we = *wd
		we.wake = wd.wake + uniform(r, 1, 2.5)
		we.bed = wd.bed + uniform(r, 0.3, 1.2)
		we.leave, we.back = 0, 0
		if r.Float64() < 0.4 { // out on weekend afternoons
			we.leave, we.back = uniform(r, 13, 14.5), uniform(r, 17, 19)
		}
		we.morning, we.mAmp, we.mW = we.wake+0.9, wd.mAmp*uniform(r, 1, 1.3), 1.0
		we.lunch, we.lAmp, we.lW = uniform(r, 12, 13.3), uniform(r, 0.4, 0.9), 0.8
		we.evening, we.eAmp = wd.evening-uniform(r, 0, 0.7), wd.eAmp*uniform(r, 1, 1.2)
		we.dayLevel = uniform(r, 0.4, 0.7)
	case archHome:
		wd.wake = uniform(r, 6.3, 8.3)
		wd.bed = uniform(r, 21.5, 23.5)
		wd.morning, wd.mAmp, wd.mW = wd.wake+0.6, uniform(r, 0.6, 1.2), 0.8
		wd.lunch, wd.lAmp, wd.lW = uniform(r, 12, 13), uniform(r, 0.4, 0.8), 0.7
		wd.evening, wd.eAmp, wd.eW = uniform(r, 17.3, 19), uniform(r, 1.0, 1.6), uniform(r, 1.5, 2.2)
		wd.dayLevel = uniform(r, 0.35, 0.6)
		*we = *wd
		we.wake = wd.wake + uniform(r, 0, 1)
		we.morning = we.wake + 0.8
		we.dayLevel = wd.dayLevel * uniform(r, 0.9, 1.3)
		we.lAmp = wd.lAmp * 1.3
		we.eAmp = wd.eAmp * 1.1
		if r.Float64() < 0.3 { // visits family on weekend afternoons
			we.leave, we.back = uniform(r, 14, 15), uniform(r, 17.5, 19)
		}
	case archNightOwl:
		wd.wake = uniform(r, 7.5, 9.5)
		wd.bed = uniform(r, 24.3, 26)
		wd.leave = wd.wake + uniform(r, 0.7, 1.3)
		wd.back = uniform(r, 14.5, 17)
		wd.morning, wd.mAmp, wd.mW = wd.wake+0.4, uniform(r, 0.3, 0.6), 0.5
		wd.evening, wd.eAmp, wd.eW = uniform(r, 20, 22), uniform(r, 1.0, 1.6), uniform(r, 2, 3)
		wd.dayLevel = uniform(r, 0.3, 0.5)
		*we = *wd
		we.wake = wd.wake + uniform(r, 1.5, 3)
		we.bed = wd.bed + uniform(r, 0.5, 1.5)
		we.leave, we.back = 0, 0
		if r.Float64() < 0.5 { // out on weekend evenings
			we.leave, we.back = uniform(r, 19.5, 21), wd.bed+uniform(r, 0.5, 1.5)
			if we.back > we.bed-0.2 {
				we.bed = we.back + 0.3
			}
		}
		we.morning, we.mAmp = we.wake+0.7, wd.mAmp*1.5
		we.lunch, we.lAmp, we.lW = we.wake+uniform(r, 2.5, 4), uniform(r, 0.4, 0.8), 0.8
		we.evening, we.eAmp = wd.evening+0.5, wd.eAmp*1.2
		we.dayLevel = uniform(r, 0.45, 0.7)
	}
	for d := range h.habits {
		h.habits[d].sleepLevel = uniform(r, 0.02, 0.06)
		h.habits[d].awayLevel = uniform(r, 0.04, 0.1)
	}

	h.level = 0.65 * math.Exp(0.4*r.NormFloat64())
	h.level = clamp(h.level, 0.2, 2.5)
	h.base = clamp(0.18*math.Exp(0.35*r.NormFloat64())*(0.7+0.3*h.level), 0.05, 0.8)
	h.light = uniform(r, 0.05, 0.3) * (0.6 + 0.4*h.level)
	h.events = uniform(r, 1, 4) / 16 // 1 to 4 cycles in 16 waking hours

	c := &g.climate
	coldest := c.MeanC - c.SeasonalAmplitudeC
	warmest := c.MeanC + c.SeasonalAmplitudeC
	heatShare := clamp(0.1+0.02*(18-coldest), 0.1, 0.5)
	coolShare := clamp(0.05+0.04*(warmest-18), 0.05, 0.8)
	designCold := coldest - 1.25*c.DiurnalAmplitudeC - 2.5*c.WeatherSigmaC
	designHot := warmest + 1.25*c.DiurnalAmplitudeC + 2.5*c.WeatherSigmaC
	if r.Float64() < heatShare {
		h.heatC = uniform(r, 0.12, 0.4) * (0.7 + 0.3*h.level)
		h.heatB = uniform(r, 14.5, 17)
		h.heatMax = h.heatC * math.Max(h.heatB-designCold, 3)
	}
	if r.Float64() < coolShare {
		h.coolC = uniform(r, 0.15, 0.45) * (0.7 + 0.3*h.level)
		h.coolB = uniform(r, 21.5, 25)
		h.coolMax = h.coolC * math.Max(designHot-h.coolB, 3)
	}
	if r.Float64() < 0.1 {
		h.evKW = 3.7
		if r.Float64() < 0.4 {
			h.evKW = 7.4
		}
		h.evProb = uniform(r, 0.25, 0.6)
		if r.Float64() < 0.5 { // plugs in on coming home
			h.evStart = int32(60 * clamp(h.habits[0].back+0.3, 17, 21))
		} else { // off-peak timer
			h.evStart = int32(60 * uniform(r, 22, 23.25))
		}
	}
	h.vacation = uniform(r, 0.002, 0.008)
	h.pf = uniform(r, 0.9, 0.98)
	h.vService = uniform(r, 0.01, 0.035)

	// Feeder of the meter (by index, shared by feederSize neighbours).
	f := uint64((i - 1) / feederSize)
	h.vTap = 1.005 + 0.03*unit(hash4(seed, domFeeder, f, 0))
	h.vFeeder = 0.015 + 0.03*unit(hash4(seed, domFeeder, f, 1))

	// Contracted load: an integer above any kW the model can produce;
	// kW is clamped to it, like a main breaker.
	maxShape := 0.0
	for d := range h.habits {
		for s := 0; s < 96; s++ {
			a, _ := h.habits[d].shape(float64(s) / 4)
			maxShape = math.Max(maxShape, a)
		}
	}
	peak := 1.5*h.base + 2.2*h.level*maxShape + h.light + 2.5 + h.heatMax + h.coolMax + h.evKW
	h.load = math.Max(5, math.Ceil(peak))
	return h
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func bump(h, centre, width float64) float64 {
	if width <= 0 {
		return 0
	}
	z := (h - centre) / width
	if z > 6 || z < -6 {
		return 0
	}
	return math.Exp(-0.5 * z * z)
}

// shape returns the activity (in units of the household's level) and the
// occupancy (1 awake at home, 0 asleep or away) at local hour h in [0, 24).
func (d *dayHabits) shape(h float64) (act, occ float64) {
	// Unwrap h so that it runs from 3 hours before waking.
	if h < d.wake-3 {
		h += 24
	}
	awake := logistic((h-d.wake)/0.2) * logistic((d.bed-h)/0.25)
	home := 1.0
	if d.leave < d.back {
		home = 1 - logistic((h-d.leave)/0.25)*logistic((d.back-h)/0.25)
	}
	peaks := d.mAmp*bump(h, d.morning, d.mW) + d.lAmp*bump(h, d.lunch, d.lW) + d.eAmp*bump(h, d.evening, d.eW)
	occ = awake * home
	act = (1-awake)*d.sleepLevel + awake*(home*(d.dayLevel+peaks)+(1-home)*d.awayLevel)
	return act, occ
}
