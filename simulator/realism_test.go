package simulator

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
)

// series holds every meter's values in time order.
type series struct {
	t                         []time.Time
	kw, pf, kva, cur, v, load [][]float64 // [meter][timestamp]
}

func collect(t *testing.T, g *Generator) *series {
	t.Helper()
	n := len(g.ids)
	s := &series{}
	for _, p := range []*[][]float64{&s.kw, &s.pf, &s.kva, &s.cur, &s.v, &s.load} {
		*p = make([][]float64, n)
	}
	idx := map[string]int{}
	for m, id := range g.MeterIDs() {
		idx[id] = m
	}
	err := g.Lines(func(l *meter.HESLine) error {
		m := idx[l.DeviceID]
		if m == 0 {
			s.t = append(s.t, l.Time)
		}
		s.kw[m] = append(s.kw[m], l.KW)
		s.pf[m] = append(s.pf[m], l.PF)
		s.kva[m] = append(s.kva[m], l.KVA)
		s.cur[m] = append(s.cur[m], l.Current)
		s.v[m] = append(s.v[m], l.Voltage)
		s.load[m] = append(s.load[m], l.Load)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func corr(x, y []float64) float64 {
	mx, my := mean(x), mean(y)
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	return sxy / math.Sqrt(sxx*syy)
}

func TestRealismShapes(t *testing.T) {
	g := mustNew(t, &Options{Meters: 300, Days: 28, Seed: 5})
	s := collect(t, g)
	var prof [2][24]float64 // [weekend][hour] mean kW per meter
	var cnt [2][24]float64
	for k, ts := range s.t {
		we := 0
		if wd := ts.Weekday(); wd == time.Saturday || wd == time.Sunday {
			we = 1
		}
		for m := range s.kw {
			prof[we][ts.Hour()] += s.kw[m][k]
			cnt[we][ts.Hour()]++
		}
	}
	for d := range prof {
		for h := range prof[d] {
			prof[d][h] /= cnt[d][h]
		}
	}
	t.Logf("weekday profile: %.2f", prof[0])
	t.Logf("weekend profile: %.2f", prof[1])
	for d, name := range []string{"weekday", "weekend"} {
		peak := slices.Max(prof[d][17:23])
		trough := slices.Min(prof[d][1:6])
		if peak < 1.5*trough {
			t.Errorf("%s: evening peak %.3f kW, night trough %.3f kW", name, peak, trough)
		}
	}
	// Weekends: later mornings, more use in the day.
	if prof[1][7] > 0.9*prof[0][7] {
		t.Errorf("7h: weekend %.3f kW, weekday %.3f kW: want a later weekend morning", prof[1][7], prof[0][7])
	}
	midWD, midWE := mean(prof[0][10:16]), mean(prof[1][10:16])
	if midWE < 1.1*midWD {
		t.Errorf("10-16h: weekend %.3f kW, weekday %.3f kW: want more daytime use at weekends", midWE, midWD)
	}

	// Autocorrelated, not i.i.d.
	low := 0
	for m, kw := range s.kw {
		if r := corr(kw[1:], kw[:len(kw)-1]); r <= 0.5 {
			t.Errorf("meter %d: lag-1 autocorrelation of kw %.3f", m, r)
			low++
		}
	}

	// Physical consistency of every line.
	for m := range s.kw {
		load := s.load[m][0]
		if load != math.Trunc(load) || load < 5 {
			t.Fatalf("meter %d: load %v", m, load)
		}
		for k := range s.kw[m] {
			kw, pf, kva, cur, v := s.kw[m][k], s.pf[m][k], s.kva[m][k], s.cur[m][k], s.v[m][k]
			switch {
			case s.load[m][k] != load:
				t.Fatalf("meter %d: load changes", m)
			case !(kw >= 0 && kw <= load):
				t.Fatalf("meter %d: kw %v, load %v", m, kw, load)
			case !(pf > 0 && pf <= 1):
				t.Fatalf("meter %d: pf %v", m, pf)
			case kva < kw:
				t.Fatalf("meter %d: kva %v < kw %v", m, kva, kw)
			case math.Abs(cur-kva*1000/v) > 0.0005+1e-9:
				t.Fatalf("meter %d: crrnt %v, kva %v, vltg %v", m, cur, kva, v)
			case v < 0.85*230 || v > 1.1*230:
				t.Fatalf("meter %d: vltg %v V", m, v)
			case round3(kw) != kw || round3(pf) != pf || round3(kva) != kva || round3(cur) != cur || round2(v) != v:
				t.Fatalf("meter %d: values not rounded: %v %v %v %v %v", m, kw, pf, kva, cur, v)
			}
		}
	}

	// Voltage sags with load.
	neg := 0
	var pairs [][2]float64
	for m := range s.kw {
		if corr(s.kw[m], s.v[m]) < 0 {
			neg++
		}
		for k := range s.kw[m] {
			pairs = append(pairs, [2]float64{s.kw[m][k] / s.load[m][k], s.v[m][k]})
		}
	}
	if neg < 95*len(s.kw)/100 {
		t.Errorf("voltage falls with kw at only %d of %d meters", neg, len(s.kw))
	}
	slices.SortFunc(pairs, func(a, b [2]float64) int {
		if a[0] < b[0] {
			return -1
		}
		if a[0] > b[0] {
			return 1
		}
		return 0
	})
	dec := len(pairs) / 10
	var vLow, vHigh float64
	for i := range dec {
		vLow += pairs[i][1] / float64(dec)
		vHigh += pairs[len(pairs)-1-i][1] / float64(dec)
	}
	t.Logf("mean voltage at the lowest decile of relative load %.2f V, highest %.2f V", vLow, vHigh)
	if vHigh >= vLow-1 {
		t.Errorf("voltage at high load %.2f V, at low load %.2f V", vHigh, vLow)
	}
}

// dailyEnergy returns each meter's kWh per day and the daily mean temperature.
func dailyEnergy(t *testing.T, g *Generator) (kwh [][]float64, temp []float64) {
	s := collect(t, g)
	perDay := 96
	days := len(s.t) / perDay
	kwh = make([][]float64, len(s.kw))
	for m := range s.kw {
		kwh[m] = make([]float64, days)
		for k, v := range s.kw[m] {
			kwh[m][k/perDay] += v / 4
		}
	}
	temp = make([]float64, days)
	for k := range s.t {
		temp[k/perDay] += g.slots[k].temp / float64(perDay)
	}
	return kwh, temp
}

func TestRealismTemperature(t *testing.T) {
	check := func(name string, o *Options, pick func(h *household) bool, sign float64) {
		g := mustNew(t, o)
		kwh, temp := dailyEnergy(t, g)
		var rs []float64
		for m := range kwh {
			if pick(&g.hh[m]) {
				rs = append(rs, corr(kwh[m], temp))
			}
		}
		if len(rs) < 10 {
			t.Fatalf("%s: only %d meters", name, len(rs))
		}
		slices.Sort(rs)
		t.Logf("%s: %d meters, daily temperature %.1f..%.1f °C, correlation of daily energy with temperature: median %.2f, range %.2f..%.2f",
			name, len(rs), slices.Min(temp), slices.Max(temp), rs[len(rs)/2], rs[0], rs[len(rs)-1])
		wrong := 0
		for _, r := range rs {
			if r*sign <= 0 {
				wrong++
			}
		}
		if wrong > len(rs)/10 || rs[len(rs)/2]*sign < 0.5 {
			t.Errorf("%s: %d of %d meters with the wrong sign, median %.2f", name, wrong, len(rs), rs[len(rs)/2])
		}
	}
	check("heating in winter", &Options{Meters: 200, Days: 60, Seed: 9, Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		func(h *household) bool { return h.heatC > 0 }, -1)
	hot := Climate{MeanC: 22, SeasonalAmplitudeC: 7, ColdestDay: 20, DiurnalAmplitudeC: 5, WeatherSigmaC: 3,
		WeatherTimescale: 48 * time.Hour, LatitudeDeg: 33}
	check("cooling in summer", &Options{Meters: 200, Days: 60, Seed: 9, Start: time.Date(2024, 6, 15, 0, 0, 0, 0, time.UTC), Climate: &hot},
		func(h *household) bool { return h.coolC > 0 && h.heatC == 0 }, +1)
	// Households with neither follow the weather much less.
	g := mustNew(t, &Options{Meters: 200, Days: 60, Seed: 9, Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
	kwh, temp := dailyEnergy(t, g)
	var rs []float64
	for m := range kwh {
		if g.hh[m].heatC == 0 && g.hh[m].coolC == 0 {
			rs = append(rs, corr(kwh[m], temp))
		}
	}
	slices.Sort(rs)
	if med := rs[len(rs)/2]; math.Abs(med) > 0.4 {
		t.Errorf("meters without heating or cooling: median correlation with temperature %.2f", med)
	}
}

func TestTemperature(t *testing.T) {
	g := mustNew(t, &Options{Meters: 1, Days: 3, Seed: 4})
	for k := range g.slots {
		if s := &g.slots[k]; g.Temperature(s.t) != s.temp {
			t.Fatalf("Temperature(%v) = %v, generation used %v", s.t, g.Temperature(s.t), s.temp)
		}
	}
	// A pure function of seed and climate: another window agrees, inside
	// and outside either window.
	other := mustNew(t, &Options{Meters: 1, Days: 30, Seed: 4, Start: time.Date(2024, 2, 20, 0, 0, 0, 0, time.UTC)})
	for _, ts := range []time.Time{DefaultStart.Add(90 * time.Minute), DefaultStart.Add(17*time.Hour + 7*time.Minute),
		time.Date(2023, 7, 1, 12, 0, 0, 0, time.UTC), time.Date(2024, 3, 15, 3, 30, 0, 0, time.UTC)} {
		if a, b := g.Temperature(ts), other.Temperature(ts); math.Abs(a-b) > 1e-9 {
			t.Errorf("Temperature(%v): %v and %v", ts, a, b)
		}
	}
	if other := mustNew(t, &Options{Meters: 1, Days: 3, Seed: 5}); other.Temperature(DefaultStart) == g.Temperature(DefaultStart) {
		t.Error("the seed does not change the weather")
	}
	// Seasons and days.
	avg := func(from time.Time, hours int, step time.Duration) float64 {
		s := 0.0
		for i := range hours {
			s += g.Temperature(from.Add(time.Duration(i) * step))
		}
		return s / float64(hours)
	}
	jan := avg(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), 31*24, time.Hour)
	jul := avg(time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC), 31*24, time.Hour)
	night := avg(time.Date(2023, 4, 1, 3, 0, 0, 0, time.UTC), 60, 24*time.Hour)
	afternoon := avg(time.Date(2023, 4, 1, 15, 0, 0, 0, time.UTC), 60, 24*time.Hour)
	t.Logf("January %.1f °C, July %.1f °C, April-May 03:00 %.1f °C, 15:00 %.1f °C", jan, jul, night, afternoon)
	if !(jan < 6 && jul > 15 && afternoon > night+4) {
		t.Errorf("implausible climate")
	}
	// Continuous between hours.
	ts := time.Date(2024, 3, 2, 10, 0, 0, 0, time.UTC)
	for i := range 120 {
		a, b := g.Temperature(ts.Add(time.Duration(i)*time.Minute)), g.Temperature(ts.Add(time.Duration(i+1)*time.Minute))
		if math.Abs(a-b) > 0.1 {
			t.Errorf("temperature jumps from %.2f to %.2f in a minute", a, b)
		}
	}
}

func TestLocation(t *testing.T) {
	loc := time.FixedZone("UTC+8", 8*3600)
	g := mustNew(t, &Options{Meters: 200, Days: 7, Seed: 2, Location: loc})
	s := collect(t, g)
	var local, utc [24]float64
	for k, ts := range s.t {
		for m := range s.kw {
			local[ts.In(loc).Hour()] += s.kw[m][k]
			utc[ts.Hour()] += s.kw[m][k]
		}
	}
	peak := func(p [24]float64) int {
		best := 0
		for h := range p {
			if p[h] > p[best] {
				best = h
			}
		}
		return best
	}
	if h := peak(local); h < 17 || h > 22 {
		t.Errorf("peak at %d:00 local time", h)
	}
	if h := peak(utc); h >= 17 && h <= 22 {
		t.Errorf("peak at %d:00 UTC: Location ignored", h)
	}
}
