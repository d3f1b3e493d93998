package forecast

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// Model is a forecaster. It is deliberately two methods: Fit learns from
// whole training series (it may hold some of their end out to tune itself),
// Predict forecasts the horizon intervals that follow history. Keeping
// history an argument of Predict, rather than state of the model, is what
// lets one fitted model serve every meter and every rolling origin.
type Model interface {
	// Fit learns from train. It honours ctx between series.
	Fit(ctx context.Context, train []Series) error
	// Predict forecasts the horizon intervals after history.
	Predict(history Series, horizon int) (Forecast, error)
}

// Forecast holds a forecast of Len() intervals starting at Start.
type Forecast struct {
	Start time.Time     // start of the first forecast interval: the history's End
	Step  time.Duration // the history's step
	// Point is the model's point forecast: the least-squares (mean) forecast
	// for Linear, the value one season back for SeasonalNaive. Use it for
	// MSE; use P50 for absolute-error metrics such as MAE and MASE.
	Point []float64
	// P10, P50 and P90 are the 10%, 50% and 90% quantiles.
	P10, P50, P90 []float64
}

// Len is the number of forecast intervals.
func (f Forecast) Len() int { return len(f.Point) }

// Errors common to the models.
var (
	ErrNotFitted = errors.New("forecast: model is not fitted")
	ErrHistory   = errors.New("forecast: history too short")
	ErrHorizon   = errors.New("forecast: horizon out of range")
)

// quantile returns the q-quantile of sorted xs by linear interpolation.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(i)
	return sorted[i]*(1-frac) + sorted[i+1]*frac
}

// residualQuantiles turns per-step residual samples into per-step P10/P50/P90
// offsets. Steps with too few samples borrow the pooled samples of all steps
// so that a sparse tail does not produce a zero-width interval.
func residualQuantiles(res [][]float64) [3][]float64 {
	var out [3][]float64
	var pooled []float64
	for _, r := range res {
		pooled = append(pooled, r...)
	}
	sort.Float64s(pooled)
	for k := range out {
		out[k] = make([]float64, len(res))
	}
	for h, r := range res {
		s := append([]float64(nil), r...)
		sort.Float64s(s)
		if len(s) < 20 {
			s = pooled
		}
		for k, q := range Levels {
			v := quantile(s, q)
			if math.IsNaN(v) {
				v = 0
			}
			out[k][h] = v
		}
	}
	return out
}

// historyScale is the typical size of one step's forecast error for a
// history: the mean absolute seasonal difference, or the mean absolute first
// difference when the history is shorter than two seasons. Residual
// quantiles are stored in these units so that one set of intervals fits a
// 0.1 kWh flat and a 2 kWh house.
func historyScale(x []float64, season int) float64 {
	if season < 1 || len(x) < 2*season {
		season = 1
	}
	s := SeasonalScale(x, season)
	if math.IsNaN(s) || s <= 0 {
		s = SeasonalScale(x, 1)
	}
	if math.IsNaN(s) || s <= 0 {
		return 1
	}
	return s
}

// fillGaps returns a copy of x with NaNs replaced: by the value one season
// earlier (or later) when that is known, else by linear interpolation
// between neighbours, else by the mean. Models need a complete look-back
// window; a seasonal fill keeps the daily shape a linear fill would flatten.
func fillGaps(x []float64, season int) []float64 {
	y := append([]float64(nil), x...)
	missing := false
	for _, v := range y {
		if math.IsNaN(v) {
			missing = true
			break
		}
	}
	if !missing {
		return y
	}
	if season > 0 {
		for i := range y {
			if !math.IsNaN(y[i]) {
				continue
			}
			for k := 1; k <= 4; k++ {
				if j := i - k*season; j >= 0 && !math.IsNaN(y[j]) {
					y[i] = y[j]
					break
				}
				if j := i + k*season; j < len(y) && !math.IsNaN(x[j]) {
					y[i] = x[j]
					break
				}
			}
		}
	}
	var sum float64
	n := 0
	for _, v := range y {
		if !math.IsNaN(v) {
			sum += v
			n++
		}
	}
	mean := 0.0
	if n > 0 {
		mean = sum / float64(n)
	}
	prev := -1
	for i := 0; i <= len(y); i++ {
		if i < len(y) && math.IsNaN(y[i]) {
			continue
		}
		if i-prev > 1 {
			lo, hi := mean, mean
			if prev >= 0 {
				lo = y[prev]
			}
			if i < len(y) {
				hi = y[i]
			}
			if prev < 0 {
				lo = hi
			}
			if i == len(y) {
				hi = lo
			}
			for j := prev + 1; j < i; j++ {
				w := float64(j-prev) / float64(i-prev)
				y[j] = lo*(1-w) + hi*w
			}
		}
		prev = i
	}
	return y
}

// SeasonalNaive forecasts each interval with the value one season earlier
// (k seasons earlier for steps beyond the first season). Its quantiles come
// from the empirical distribution of the same forecast's errors over the
// recent history, so there is nothing to fit: Fit only checks the season.
type SeasonalNaive struct {
	Season int // intervals per season, e.g. 48 for a day of half-hours
	// Window is how many of the latest history intervals the error
	// quantiles come from; 0 means 28 seasons (four weeks of days), recent
	// enough to follow the time of year.
	Window int
}

func (m SeasonalNaive) window() int {
	if m.Window > 0 {
		return m.Window
	}
	return 28 * m.Season
}

// Fit checks the season; the model has nothing to learn.
func (m SeasonalNaive) Fit(ctx context.Context, train []Series) error {
	if m.Season < 1 {
		return fmt.Errorf("forecast: seasonal naive: season %d < 1", m.Season)
	}
	return ctx.Err()
}

// Predict forecasts horizon intervals after history. A missing value one
// season back is looked up one more season back, up to four.
func (m SeasonalNaive) Predict(history Series, horizon int) (Forecast, error) {
	s := m.Season
	if s < 1 {
		return Forecast{}, fmt.Errorf("forecast: seasonal naive: season %d < 1", s)
	}
	if horizon < 1 {
		return Forecast{}, fmt.Errorf("%w: %d", ErrHorizon, horizon)
	}
	x := history.Values
	if len(x) < s {
		return Forecast{}, fmt.Errorf("%w: %d values, season %d", ErrHistory, len(x), s)
	}
	n := len(x)
	f := newForecast(history, horizon)
	from := 0
	if w := m.window(); n > w {
		from = n - w
	}
	byLag := map[int][3]float64{}
	for h := 0; h < horizon; h++ {
		k := h/s + 1 // seasons back
		v := math.NaN()
		for extra := 0; extra < 4 && math.IsNaN(v); extra++ {
			if j := n + h - (k+extra)*s; j >= 0 {
				v = x[j]
			}
		}
		f.Point[h] = v
		// Quantiles of the errors of the same k-seasons-back forecast over
		// the recent history.
		lag := k * s
		q, ok := byLag[lag]
		if !ok {
			var r []float64
			for t := max(lag, from); t < n; t++ {
				if d := x[t] - x[t-lag]; !math.IsNaN(d) {
					r = append(r, d)
				}
			}
			sort.Float64s(r)
			for i, l := range Levels {
				if q[i] = quantile(r, l); math.IsNaN(q[i]) {
					q[i] = 0
				}
			}
			byLag[lag] = q
		}
		f.P10[h], f.P50[h], f.P90[h] = v+q[0], v+q[1], v+q[2]
	}
	return f, nil
}

func newForecast(history Series, horizon int) Forecast {
	return Forecast{
		Start: history.End(), Step: history.Step,
		Point: make([]float64, horizon),
		P10:   make([]float64, horizon), P50: make([]float64, horizon), P90: make([]float64, horizon),
	}
}
