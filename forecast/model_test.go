package forecast

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// synth is an hourly series: a daily shape, a weekly shape, a trend, and
// optional AR(1) plus white noise. Deterministic for a seed.
func synth(n int, trend, ar, noise float64, seed uint64) Series {
	rng := rand.New(rand.NewPCG(seed, 7))
	v := make([]float64, n)
	e := 0.0
	for t := range v {
		e = ar*e + noise*rng.NormFloat64()
		v[t] = 10 + trend*float64(t) + 2*math.Sin(2*math.Pi*float64(t)/24) + 0.7*math.Cos(2*math.Pi*float64(t)/168) + e +
			0.3*noise*rng.NormFloat64()
	}
	return Series{Start: t0, Step: time.Hour, Values: v}
}

func rolling(t *testing.T, m Model, s Series, h, origins int, usePoint bool) Metrics {
	t.Helper()
	accs, err := RollingOrigin(context.Background(), m, s, &RollingOptions{Horizon: h, Origins: origins, Stride: 7, Season: 24, Point: usePoint})
	if err != nil {
		t.Fatal(err)
	}
	var a Accumulator
	for i := range accs {
		a.Merge(&accs[i])
	}
	return a.Metrics()
}

func TestSeasonalNaive(t *testing.T) {
	s := Series{Start: t0, Step: time.Hour, Values: []float64{1, 2, 3, 1, 2, 3, 1, math.NaN(), 3}}
	f, err := SeasonalNaive{Season: 3}.Predict(s, 5)
	if err != nil {
		t.Fatal(err)
	}
	// Step 1 looks one season back at the NaN and falls back a season more.
	want := []float64{1, 2, 3, 1, 2}
	for i, w := range want {
		if f.Point[i] != w || f.P50[i] != w {
			t.Errorf("step %d: point %v P50 %v, want %v", i, f.Point[i], f.P50[i], w)
		}
	}
	if !f.Start.Equal(s.End()) {
		t.Errorf("forecast start %v, want %v", f.Start, s.End())
	}
	if _, err := (SeasonalNaive{}).Predict(s, 1); err == nil {
		t.Error("season 0: no error")
	}
}

func TestLinearPureSeasonalTrend(t *testing.T) {
	s := synth(24*7*30, 0.002, 0, 0, 1)
	train, test := s.Slice(0, s.Len()-48), s
	m := NewLinear(&LinearOptions{Lookback: 336, Horizon: 48})
	if err := m.Fit(context.Background(), []Series{train}); err != nil {
		t.Fatal(err)
	}
	got := rolling(t, m, test, 48, 1, true)
	// Amplitude is ~2; a linear recurrence reproduces sines and a line.
	if got.MAE > 0.01 {
		t.Errorf("MAE on a noise-free seasonal series = %v, want < 0.01 (lambda %v)", got.MAE, m.Lambda())
	}
}

func TestLinearBeatsSeasonalNaiveOnNoise(t *testing.T) {
	s := synth(24*7*40, 0, 0.9, 0.5, 2)
	const origins = 60
	train := s.Slice(0, s.Len()-48-(origins-1)*7)
	m := NewLinear(&LinearOptions{Lookback: 168, Horizon: 48})
	if err := m.Fit(context.Background(), []Series{train}); err != nil {
		t.Fatal(err)
	}
	lin := rolling(t, m, s, 48, origins, false)
	sn := rolling(t, SeasonalNaive{Season: 24}, s, 48, origins, true)
	if lin.MASE >= 0.9*sn.MASE {
		t.Errorf("linear MASE %.3f, seasonal-naive %.3f: want at least 10%% better", lin.MASE, sn.MASE)
	}
	if lin.WQL >= sn.WQL {
		t.Errorf("linear WQL %.3f >= seasonal-naive %.3f", lin.WQL, sn.WQL)
	}
	// Intervals from held-out residuals should be roughly calibrated.
	want := [3]float64{0.1, 0.5, 0.9}
	for k, c := range lin.Coverage {
		if math.Abs(c-want[k]) > 0.08 {
			t.Errorf("coverage of P%d = %.3f, want %.2f±0.08", []int{10, 50, 90}[k], c, want[k])
		}
	}
}

func TestLinearDayOfWeekRegressor(t *testing.T) {
	// Weekends sit 3 higher; a one-day look-back cannot see the week, the
	// day-of-week one-hot can.
	s := synth(24*7*30, 0, 0.5, 0.3, 3)
	for i := range s.Values {
		if wd := s.Time(i).Weekday(); wd == time.Saturday || wd == time.Sunday {
			s.Values[i] += 3
		}
	}
	const origins = 80
	train := s.Slice(0, s.Len()-24-(origins-1)*7)
	score := func(ex *Exog) float64 {
		m := NewLinear(&LinearOptions{Lookback: 48, Horizon: 24, Exog: ex})
		if err := m.Fit(context.Background(), []Series{train}); err != nil {
			t.Fatal(err)
		}
		return rolling(t, m, s, 24, origins, false).MAE
	}
	without, with := score(nil), score(&Exog{DayOfWeek: true, TimeOfDay: true})
	if with >= 0.7*without {
		t.Errorf("MAE with day-of-week %.3f, without %.3f: want at least 30%% better", with, without)
	}
}

// TestMomentsMatchExplicitDesign checks the sliding-moment normal equations
// against ridge on the materialised design matrix, with gaps, two series,
// per-series scaling, a decomposition and calendar regressors.
func TestMomentsMatchExplicitDesign(t *testing.T) {
	const L, H, lam = 12, 4, 0.05
	ctx := context.Background()
	for _, norm := range []Norm{NormMean, NormLast, NormNone} {
		t.Run(norm.String(), func(t *testing.T) {
			a, b := synth(300, 0.01, 0.7, 0.4, 4), synth(200, 0, 0.5, 0.4, 5)
			b.Step = time.Hour
			b.Start = t0.Add(5 * time.Hour)
			a.Values[40], a.Values[41], a.Values[170] = math.NaN(), math.NaN(), math.NaN()
			series := []Series{a, b}
			m := NewLinear(&LinearOptions{Lookback: L, Horizon: H, Kernel: 5, Norm: norm, ScaleSeries: true,
				Exog: &Exog{TimeOfDay: true, DayOfWeek: true, Fourier: 1}})
			m.step, m.opt.Season = time.Hour, 24
			m.exog = newExogSpec(m.opt.Exog, time.Hour, L, H)
			ds := m.newDesign()
			mo, err := ds.moments(ctx, series, m)
			if err != nil {
				t.Fatal(err)
			}
			w, err := ds.solve(mo, lam)
			if err != nil {
				t.Fatal(err)
			}
			// Explicit rows.
			var rows, ys [][]float64
			for _, s := range series {
				sc := m.seriesScale(s.Values)
				for o := 0; o+L+H <= s.Len(); o++ {
					win := s.Values[o : o+L+H]
					if hasNaN(win) {
						continue
					}
					x := make([]float64, L)
					for i := range x {
						x[i] = win[i] / sc
					}
					row := mat.NewVecDense(ds.nf, nil)
					row.MulVec(ds.ap, mat.NewVecDense(L, x))
					r := append([]float64(nil), row.RawVector().Data...)
					e := make([]float64, ds.e)
					idx, val := m.exog.features(s.Time(o+L), nil, nil)
					for k, j := range idx {
						e[j] += val[k]
					}
					r = append(append(r, e...), 1)
					c := 0.0
					for i := range x {
						c += ds.wc[i] * x[i]
					}
					y := make([]float64, H)
					for h := range y {
						y[h] = win[L+h]/sc - c
					}
					rows, ys = append(rows, r), append(ys, y)
				}
			}
			n := len(rows)
			if n != mo.n {
				t.Fatalf("windows: explicit %d, moments %d", n, mo.n)
			}
			X, Y := mat.NewDense(n, ds.f, nil), mat.NewDense(n, H, nil)
			for i := range rows {
				X.SetRow(i, rows[i])
				Y.SetRow(i, ys[i])
			}
			var xtx, xty, want mat.Dense
			xtx.Mul(X.T(), X)
			for i := 0; i < ds.f-1; i++ {
				xtx.Set(i, i, xtx.At(i, i)+lam*float64(n))
			}
			xty.Mul(X.T(), Y)
			if err := want.Solve(&xtx, &xty); err != nil {
				t.Fatal(err)
			}
			if !mat.EqualApprox(w, &want, 1e-6) {
				t.Errorf("weights differ: max |Δ| = %g", maxAbsDiff(w, &want))
			}
			var pred, resid mat.Dense
			pred.Mul(X, w)
			resid.Sub(Y, &pred)
			var sse float64
			for _, v := range resid.RawMatrix().Data {
				sse += v * v
			}
			if got := ds.sse(mo, w); math.Abs(got-sse) > 1e-6*math.Max(1, sse) {
				t.Errorf("sse from moments %v, explicit %v", got, sse)
			}
		})
	}
}

func maxAbsDiff(a, b *mat.Dense) float64 {
	var d mat.Dense
	d.Sub(a, b)
	return mat.Norm(&d, math.Inf(1))
}

func TestLinearErrors(t *testing.T) {
	s := synth(2000, 0, 0.5, 0.3, 6)
	fitted := NewLinear(&LinearOptions{Lookback: 48, Horizon: 24})
	if err := fitted.Fit(context.Background(), []Series{s}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		m       *Linear
		history Series
		horizon int
		want    error
	}{
		{"not fitted", NewLinear(nil), s, 24, ErrNotFitted},
		{"horizon too long", fitted, s, 25, ErrHorizon},
		{"horizon zero", fitted, s, 0, ErrHorizon},
		{"short history", fitted, s.Slice(0, 47), 24, ErrHistory},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.m.Predict(tt.history, tt.horizon); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := NewLinear(&LinearOptions{Lookback: 48, Horizon: 24}).Fit(ctx, []Series{s}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Fit: err = %v", err)
	}
	if err := NewLinear(nil).Fit(context.Background(), []Series{s.Slice(0, 100)}); !errors.Is(err, ErrHistory) {
		t.Errorf("too short to fit: err = %v", err)
	}
}

func TestLinearPredictFillsGaps(t *testing.T) {
	s := synth(3000, 0, 0, 0, 8)
	m := NewLinear(&LinearOptions{Lookback: 168, Horizon: 24})
	if err := m.Fit(context.Background(), []Series{s.Slice(0, 2900)}); err != nil {
		t.Fatal(err)
	}
	hist := s.Slice(0, 2976).Clone()
	for i := 2950; i < 2960; i++ {
		hist.Values[i] = math.NaN()
	}
	f, err := m.Predict(hist, 24)
	if err != nil {
		t.Fatal(err)
	}
	if mae := MAE(s.Values[2976:3000], f.Point); mae > 0.05 {
		t.Errorf("MAE with a 10-hour gap in the look-back = %v", mae)
	}
}

func nan() float64 { return math.NaN() }
