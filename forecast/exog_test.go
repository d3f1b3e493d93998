package forecast

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// weatherLoad makes n hours of a household-like load that follows the
// temperature: a daily shape, heating below 16 °C and cooling above 22 °C,
// and AR(1) noise. The temperature is a seasonal swing plus weather fronts
// (a smoothed random walk of a few days), which the load's own past cannot
// foresee: only a temperature forecast can.
func weatherLoad(n int, seed uint64) (load, temp Series) {
	rng := rand.New(rand.NewPCG(seed, 11))
	lv, tv := make([]float64, n), make([]float64, n)
	front, drift, e := 0.0, 0.0, 0.0
	for h := range lv {
		if h%24 == 0 {
			drift = 0.6*drift + 3*rng.NormFloat64()
		}
		front = 0.97*front + 0.03*drift*4
		hod := float64(h % 24)
		tv[h] = 15 + 10*math.Sin(2*math.Pi*float64(h)/(24*365)) + front + 4*math.Sin(2*math.Pi*(hod-9)/24)
		e = 0.6*e + 0.05*rng.NormFloat64()
		base := 0.4 + 0.3*math.Exp(-(hod-8)*(hod-8)/4) + 0.6*math.Exp(-(hod-19)*(hod-19)/6)
		lv[h] = base + 0.08*math.Max(16-tv[h], 0) + 0.1*math.Max(tv[h]-22, 0) + e
	}
	return Series{Start: t0, Step: time.Hour, Values: lv}, Series{Start: t0, Step: time.Hour, Values: tv}
}

// TestLinearTemperatureRegressor: with the forecast day's temperature as a
// regressor, next-day forecasts of a temperature-driven load are much
// better than from calendar regressors alone.
func TestLinearTemperatureRegressor(t *testing.T) {
	load, temp := weatherLoad(24*240, 1)
	const origins = 40
	train := load.Slice(0, load.Len()-24-(origins-1)*7)
	score := func(ex *Exog) Metrics {
		m := NewLinear(&LinearOptions{Lookback: 168, Horizon: 24, Exog: ex})
		if err := m.Fit(context.Background(), []Series{train}); err != nil {
			t.Fatal(err)
		}
		return rolling(t, m, load, 24, origins, true)
	}
	calendar := score(&Exog{TimeOfDay: true, DayOfWeek: true})
	weather := score(&Exog{TimeOfDay: true, DayOfWeek: true, Temperature: temp, BaseTemp: 18})
	t.Logf("next-day MAE: calendar %.4f, calendar+temperature %.4f; NMBE %.3f / %.3f",
		calendar.MAE, weather.MAE, calendar.NMBE, weather.NMBE)
	if weather.MAE > 0.8*calendar.MAE {
		t.Errorf("MAE with temperature %.4f, without %.4f: want at least 20%% better", weather.MAE, calendar.MAE)
	}
}

// TestLinearHolidays: a load whose holidays look like Sundays is forecast
// better on holidays when the model is told the dates.
func TestLinearHolidays(t *testing.T) {
	const days = 420
	rng := rand.New(rand.NewPCG(3, 5))
	hol := map[int]bool{}
	var dates []time.Time
	for len(hol) < 24 {
		d := 7 + rng.IntN(days-14)
		if wd := t0.AddDate(0, 0, d).Weekday(); wd != time.Saturday && wd != time.Sunday && !hol[d] {
			hol[d] = true
			dates = append(dates, t0.AddDate(0, 0, d))
		}
	}
	v := make([]float64, 24*days)
	e := 0.0
	for h := range v {
		d := h / 24
		day := t0.AddDate(0, 0, d)
		hod := float64(h % 24)
		e = 0.5*e + 0.05*rng.NormFloat64()
		v[h] = 1 + 0.8*math.Exp(-(hod-13)*(hod-13)/10) + e // a working day's midday peak
		if day.Weekday() == time.Sunday || hol[d] {
			v[h] = 0.5 + e // closed
		}
	}
	s := Series{Start: t0, Step: time.Hour, Values: v}
	// Fit on the first 300 days; score every day-ahead forecast (from
	// midnight) of a holiday after them.
	train := s.Slice(0, 300*24)
	score := func(ex *Exog) (holidayMAE float64, n int) {
		m := NewLinear(&LinearOptions{Lookback: 168, Horizon: 24, Exog: ex})
		if err := m.Fit(context.Background(), []Series{train}); err != nil {
			t.Fatal(err)
		}
		var a Accumulator
		for d := 300; d < days; d++ {
			if !hol[d] {
				continue
			}
			f, err := m.Predict(s.Slice(0, d*24), 24)
			if err != nil {
				t.Fatal(err)
			}
			a.AddPoint(v[d*24:(d+1)*24], f.Point, math.NaN())
			n++
		}
		return a.Metrics().MAE, n
	}
	without, n := score(&Exog{TimeOfDay: true, DayOfWeek: true})
	with, _ := score(&Exog{TimeOfDay: true, DayOfWeek: true, Holidays: dates})
	t.Logf("MAE on %d held-out holidays: calendar %.4f, calendar+holidays %.4f", n, without, with)
	if n < 3 {
		t.Fatalf("only %d held-out holidays", n)
	}
	if with > 0.5*without {
		t.Errorf("holiday MAE with the dates %.4f, without %.4f: want at least halved", with, without)
	}
}

// TestDegreesPrefixSums checks the O(1) window means of the temperature
// against the hour-by-hour lookup, over windows that start before, inside
// and after the series, across missing hours.
func TestDegreesPrefixSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	temp := Series{Start: start, Step: time.Hour, Values: make([]float64, 500)}
	for i := range temp.Values {
		temp.Values[i] = 10 + 12*math.Sin(float64(i)/30) + rng.NormFloat64()
		if rng.IntN(10) == 0 {
			temp.Values[i] = math.NaN()
		}
	}
	temp.Values[100] = 18          // on the balance point
	temp.Values[200] = math.Inf(1) // broken: counts as missing
	fast := newExogSpec(&Exog{Temperature: temp}, time.Hour, 168, 24)
	if fast.cum == nil {
		t.Fatal("no prefix sums for an hourly series and hourly temperature")
	}
	slow := *fast
	slow.cum = nil
	for _, off := range []int{-600, -200, -30, 0, 1, 99, 100, 250, 480, 499, 500, 700} {
		for _, n := range []int{1, 24, 168, 400} {
			at := start.Add(time.Duration(off) * time.Hour)
			got, okG := fast.degrees(at, n)
			want, okW := slow.degrees(at, n)
			if okG != okW {
				t.Fatalf("offset %d, %d hours: ok %v, want %v", off, n, okG, okW)
			}
			for j := range got {
				if math.Abs(got[j]-want[j]) > 1e-9 {
					t.Fatalf("offset %d, %d hours: %v, want %v", off, n, got, want)
				}
			}
		}
	}
	// Off the hour, and at another step, the lookup by time stays.
	if half := newExogSpec(&Exog{Temperature: temp}, 30*time.Minute, 336, 48); half.cum != nil {
		t.Fatal("prefix sums for half-hourly windows over hourly temperatures")
	}
	got, ok1 := fast.degrees(start.Add(90*time.Minute), 24)
	want, ok2 := slow.degrees(start.Add(90*time.Minute), 24)
	if ok1 != ok2 || got != want {
		t.Fatalf("off the hour: %v %v, want %v %v", got, ok1, want, ok2)
	}
}
