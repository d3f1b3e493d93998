package forecast

import (
	"encoding/json"
	"math"
)

// Every metric skips a pair where either value is NaN, so a meter gap costs
// coverage, not correctness, and returns NaN when no pair is left.

// MAE is the mean absolute error.
func MAE(actual, pred []float64) float64 {
	var a Accumulator
	a.AddPoint(actual, pred, 1)
	return a.Metrics().MAE
}

// MSE is the mean squared error.
func MSE(actual, pred []float64) float64 {
	var a Accumulator
	a.AddPoint(actual, pred, 1)
	return a.Metrics().MSE
}

// SMAPE is the symmetric mean absolute percentage error in percent,
// 200/n * sum |y-f| / (|y|+|f|); pairs where both are zero count as zero
// error, which is what a meter that reads 0 kWh at night needs.
func SMAPE(actual, pred []float64) float64 {
	var a Accumulator
	a.AddPoint(actual, pred, 1)
	return a.Metrics().SMAPE
}

// CVRMSE is the coefficient of variation of the RMSE, RMSE / mean(actual),
// as a fraction (ASHRAE Guideline 14 quotes it in percent and uses n-p in
// the denominator; we use n because the model's parameter count is not a
// property of a forecast).
func CVRMSE(actual, pred []float64) float64 {
	var a Accumulator
	a.AddPoint(actual, pred, 1)
	return a.Metrics().CVRMSE
}

// NMBE is the normalised mean bias error, sum(actual-pred) / (n*mean(actual)),
// as a fraction; positive means the forecast is too low.
func NMBE(actual, pred []float64) float64 {
	var a Accumulator
	a.AddPoint(actual, pred, 1)
	return a.Metrics().NMBE
}

// SeasonalScale is the in-sample mean absolute error of the seasonal-naive
// forecast, mean |y_t - y_{t-season}|: the denominator of MASE. A scale
// from the training series (not the test window) is what makes MASE
// comparable across meters of very different size.
func SeasonalScale(train []float64, season int) float64 {
	if season < 1 {
		season = 1
	}
	var sum float64
	n := 0
	for t := season; t < len(train); t++ {
		d := train[t] - train[t-season]
		if !math.IsNaN(d) {
			sum += math.Abs(d)
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// MASE is MAE divided by the SeasonalScale of train; below 1 beats the
// in-sample seasonal-naive forecast.
func MASE(actual, pred, train []float64, season int) float64 {
	var a Accumulator
	a.AddPoint(actual, pred, SeasonalScale(train, season))
	return a.Metrics().MASE
}

// WQL is the weighted quantile loss over the forecast's P10, P50 and P90:
// the mean over the three levels q of 2*sum rho_q(y - f_q) / sum |y|, where
// rho_q is the pinball loss. It is the probabilistic metric the Chronos and
// GluonTS benchmarks report (they average nine levels, 0.1..0.9; three give
// close but not identical values).
func WQL(actual []float64, f Forecast) float64 {
	var a Accumulator
	a.Add(actual, f.P50, f, 1)
	return a.Metrics().WQL
}

// Levels are the quantile levels of a Forecast, in the order P10, P50, P90.
var Levels = [3]float64{0.1, 0.5, 0.9}

// Accumulator sums errors over many forecast windows so that ratio metrics
// (WQL, CV(RMSE), NMBE) are ratios of totals, as the benchmarks define
// them, rather than means of per-window ratios. The zero value is ready.
type Accumulator struct {
	n                     int
	sumAbs, sumSq, sumErr float64
	sumY, sumSMAPE        float64
	nScaled               int
	sumScaled             float64
	nQ                    int
	sumAbsYQ              float64
	pinball               [3]float64
	covered               [3]int
}

// AddPoint adds a point forecast; scale is the MASE denominator for this
// window's series (NaN or 0 leaves MASE out).
func (a *Accumulator) AddPoint(actual, point []float64, scale float64) {
	okScale := scale > 0 && !math.IsInf(scale, 0)
	for i, y := range actual {
		if i >= len(point) {
			break
		}
		f := point[i]
		if math.IsNaN(y) || math.IsNaN(f) {
			continue
		}
		e := y - f
		a.n++
		a.sumAbs += math.Abs(e)
		a.sumSq += e * e
		a.sumErr += e
		a.sumY += y
		if d := math.Abs(y) + math.Abs(f); d > 0 {
			a.sumSMAPE += 2 * math.Abs(e) / d
		}
		if okScale {
			a.nScaled++
			a.sumScaled += math.Abs(e) / scale
		}
	}
}

// Add adds a point forecast and the quantiles of f.
func (a *Accumulator) Add(actual, point []float64, f Forecast, scale float64) {
	a.AddPoint(actual, point, scale)
	qs := [3][]float64{f.P10, f.P50, f.P90}
	for i, y := range actual {
		if math.IsNaN(y) || i >= len(f.P10) || i >= len(f.P50) || i >= len(f.P90) {
			continue
		}
		if math.IsNaN(qs[0][i]) || math.IsNaN(qs[1][i]) || math.IsNaN(qs[2][i]) {
			continue
		}
		a.nQ++
		a.sumAbsYQ += math.Abs(y)
		for k, q := range Levels {
			a.pinball[k] += pinball(q, y, qs[k][i])
			if y <= qs[k][i] {
				a.covered[k]++
			}
		}
	}
}

func pinball(q, y, f float64) float64 {
	if y >= f {
		return q * (y - f)
	}
	return (1 - q) * (f - y)
}

// Merge adds b's sums to a, for accumulators filled in parallel.
func (a *Accumulator) Merge(b *Accumulator) {
	a.n += b.n
	a.sumAbs += b.sumAbs
	a.sumSq += b.sumSq
	a.sumErr += b.sumErr
	a.sumY += b.sumY
	a.sumSMAPE += b.sumSMAPE
	a.nScaled += b.nScaled
	a.sumScaled += b.sumScaled
	a.nQ += b.nQ
	a.sumAbsYQ += b.sumAbsYQ
	for k := range a.pinball {
		a.pinball[k] += b.pinball[k]
		a.covered[k] += b.covered[k]
	}
}

// Metrics are forecast errors over the pairs added to an Accumulator. A
// metric with no data is NaN (null in JSON).
type Metrics struct {
	N      int     // pairs compared
	MAE    float64 // mean absolute error
	MSE    float64 // mean squared error
	RMSE   float64 // root of MSE
	MASE   float64 // MAE in units of the training seasonal-naive MAE
	SMAPE  float64 // symmetric MAPE, percent
	WQL    float64 // weighted quantile loss over P10/P50/P90
	CVRMSE float64 // RMSE / mean(actual), fraction
	NMBE   float64 // sum(actual-pred) / (n*mean(actual)), fraction
	// Coverage is the share of actual values at or below P10, P50, P90: a
	// calibrated forecast has about 0.1, 0.5, 0.9.
	Coverage [3]float64
}

// Metrics computes the metrics of everything added so far.
func (a *Accumulator) Metrics() Metrics {
	nan := math.NaN()
	m := Metrics{N: a.n, MAE: nan, MSE: nan, RMSE: nan, MASE: nan, SMAPE: nan, WQL: nan, CVRMSE: nan, NMBE: nan,
		Coverage: [3]float64{nan, nan, nan}}
	if a.n > 0 {
		n := float64(a.n)
		m.MAE = a.sumAbs / n
		m.MSE = a.sumSq / n
		m.RMSE = math.Sqrt(m.MSE)
		m.SMAPE = 100 * a.sumSMAPE / n
		if mean := a.sumY / n; mean != 0 {
			m.CVRMSE = m.RMSE / mean
			m.NMBE = a.sumErr / (n * mean)
		}
	}
	if a.nScaled > 0 {
		m.MASE = a.sumScaled / float64(a.nScaled)
	}
	if a.nQ > 0 {
		if a.sumAbsYQ > 0 {
			var s float64
			for _, p := range a.pinball {
				s += 2 * p / a.sumAbsYQ
			}
			m.WQL = s / float64(len(a.pinball))
		}
		for k := range m.Coverage {
			m.Coverage[k] = float64(a.covered[k]) / float64(a.nQ)
		}
	}
	return m
}

// MarshalJSON writes NaN metrics as null: JSON has no NaN, and a missing
// metric must not look like a perfect zero.
func (m Metrics) MarshalJSON() ([]byte, error) {
	f := func(v float64) any {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	}
	return json.Marshal(map[string]any{
		"n": m.N, "mae": f(m.MAE), "mse": f(m.MSE), "rmse": f(m.RMSE), "mase": f(m.MASE),
		"smape": f(m.SMAPE), "wql": f(m.WQL), "cvrmse": f(m.CVRMSE), "nmbe": f(m.NMBE),
		"coverage_p10_p50_p90": []any{f(m.Coverage[0]), f(m.Coverage[1]), f(m.Coverage[2])},
	})
}
