package forecast

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// ETTSplit is the standard Informer/Autoformer/DLinear split of the hourly
// ETT files by row: train [0, Train), validation [Train, Val), test
// [Val, Test), each non-training split starting Lookback rows early so that
// its first window is complete. Rows from Test on are unused.
type ETTSplit struct{ Train, Val, Test int } // end rows (exclusive) of the three splits

// ETTh1Split is 12/4/4 months of 30 days of hourly rows.
var ETTh1Split = ETTSplit{Train: 12 * 30 * 24, Val: 16 * 30 * 24, Test: 20 * 30 * 24}

// ETTOptions configure BacktestETT; nil means the DLinear protocol.
type ETTOptions struct {
	Lookback int   // 0 means 336
	Horizons []int // nil means 96, 192, 336, 720
	// Split is the split of the rows; the zero value means ETTh1Split.
	Split ETTSplit
	// Season is the seasonal-naive baseline's season; 0 means 24.
	Season int
	// Individual fits one model per channel instead of weights shared by
	// all channels (DLinear's individual=True).
	Individual bool
	// Linear is the template for the model; Lookback and Horizon are
	// overridden per run.
	Linear *LinearOptions
}

// ETTResult is one horizon of BacktestETT. Metrics are on the z-scored
// scale, averaged over every test window (stride 1), step and channel.
type ETTResult struct {
	Horizon  int       `json:"horizon"`        // intervals forecast, H
	Windows  int       `json:"windows"`        // test windows per channel
	Lambda   []float64 `json:"lambda"`         // one per model
	ValMSE   []float64 `json:"val_mse"`        // validation MSE of each model at its Lambda
	Model    Metrics   `json:"model"`          // Linear's errors
	Baseline Metrics   `json:"seasonal_naive"` // the seasonal-naive baseline's errors
	Seconds  float64   `json:"seconds"`        // wall-clock time of the horizon's fits and scoring
}

// BacktestETT runs the long-horizon benchmark protocol on the channels of an
// ETT file (all in, all out, "M"): z-score every channel with the training
// split's mean and standard deviation, choose the ridge penalty on the
// validation split, and score every stride-1 window of the test split, for
// Linear and for the seasonal-naive baseline. The test split is never seen
// by fitting or tuning.
func BacktestETT(ctx context.Context, channels []Series, opts *ETTOptions) ([]ETTResult, error) {
	var o ETTOptions
	if opts != nil {
		o = *opts
	}
	if o.Lookback <= 0 {
		o.Lookback = 336
	}
	if o.Horizons == nil {
		o.Horizons = []int{96, 192, 336, 720}
	}
	if o.Split == (ETTSplit{}) {
		o.Split = ETTh1Split
	}
	if o.Season <= 0 {
		o.Season = 24
	}
	L, sp := o.Lookback, o.Split
	if len(channels) == 0 {
		return nil, fmt.Errorf("%w: no channels", ErrHistory)
	}
	if sp.Train-L < 0 || !(sp.Train < sp.Val && sp.Val < sp.Test) {
		return nil, fmt.Errorf("forecast: bad split %+v for look-back %d", sp, L)
	}
	var train, val, test []Series
	for i, c := range channels {
		if c.Len() < sp.Test {
			return nil, fmt.Errorf("%w: channel %d has %d rows, split needs %d", ErrHistory, i, c.Len(), sp.Test)
		}
		z := ZScore(c, c.Slice(0, sp.Train))
		train = append(train, z.Slice(0, sp.Train))
		val = append(val, z.Slice(sp.Train-L, sp.Val))
		test = append(test, z.Slice(sp.Val-L, sp.Test))
	}
	var out []ETTResult
	for _, H := range o.Horizons {
		start := time.Now()
		lo := LinearOptions{}
		if o.Linear != nil {
			lo = *o.Linear
		}
		lo.Lookback, lo.Horizon = L, H
		if lo.Season == 0 {
			lo.Season = o.Season
		}
		groups := [][]int{}
		if o.Individual {
			for i := range channels {
				groups = append(groups, []int{i})
			}
		} else {
			all := make([]int, len(channels))
			for i := range all {
				all[i] = i
			}
			groups = append(groups, all)
		}
		res := ETTResult{Horizon: H}
		models := make([]*Linear, len(channels))
		for _, g := range groups {
			m := NewLinear(&lo)
			var tr, va []Series
			for _, i := range g {
				tr, va = append(tr, train[i]), append(va, val[i])
			}
			if err := m.FitValidate(ctx, tr, va); err != nil {
				return nil, fmt.Errorf("forecast: ETT H=%d: %w", H, err)
			}
			res.Lambda = append(res.Lambda, m.Lambda())
			res.ValMSE = append(res.ValMSE, m.ValidationMSE())
			for _, i := range g {
				models[i] = m
			}
		}
		accs := make([]Accumulator, 2*len(channels))
		var wg sync.WaitGroup
		for i := range test {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				// MASE's scale is the channel's in-sample seasonal-naive
				// MAE on the training split, as Hyndman & Koehler define it.
				scale := SeasonalScale(train[i].Values, o.Season)
				evalWindows(test[i], models[i], L, H, o.Season, scale, &accs[2*i], &accs[2*i+1])
			}(i)
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var model, base Accumulator
		for i := range test {
			model.Merge(&accs[2*i])
			base.Merge(&accs[2*i+1])
		}
		res.Windows = test[0].Len() - L - H + 1
		res.Model, res.Baseline = model.Metrics(), base.Metrics()
		res.Seconds = time.Since(start).Seconds()
		out = append(out, res)
	}
	return out, nil
}

// evalWindows scores the forecast of m and the seasonal-naive forecast on
// every stride-1 window of s: points for MSE and MAE (the protocol's
// metrics), MASE with the given scale, and P10/P50/P90 for the quantile
// loss. The model's quantiles are its calibrated residual quantiles; the
// baseline's are SeasonalNaive's, from the errors of the same rule inside
// the look-back window.
func evalWindows(s Series, m *Linear, L, H, season int, scale float64, model, base *Accumulator) {
	pred := make([]float64, m.opt.Horizon)
	naive := SeasonalNaive{Season: season}
	mf := Forecast{P10: make([]float64, H), P50: make([]float64, H), P90: make([]float64, H)}
	for o := 0; o+L+H <= s.Len(); o++ {
		x := s.Values[o : o+L]
		y := s.Values[o+L : o+L+H]
		filled := fillGaps(x, season)
		m.predictInto(pred, filled, s.Time(o+L), m.seriesScale(s.Values[:o+L]))
		u := historyScale(filled, season)
		for h := range H {
			mf.P10[h] = pred[h] + m.q[0][h]*u
			mf.P50[h] = pred[h] + m.q[1][h]*u
			mf.P90[h] = pred[h] + m.q[2][h]*u
		}
		model.Add(y, pred[:H], mf, scale)
		nf, err := naive.Predict(Series{Start: s.Time(o), Step: s.Step, Values: x}, H)
		if err != nil {
			continue // only when L < season, which BacktestETT's split rules out
		}
		base.Add(y, nf.Point, nf, scale)
	}
}

// ZScore returns s standardised with the mean and (population) standard
// deviation of ref, ignoring NaN: the benchmark's StandardScaler fitted on
// the training split.
func ZScore(s, ref Series) Series {
	var sum, sq float64
	n := 0
	for _, v := range ref.Values {
		if !math.IsNaN(v) {
			sum += v
			sq += v * v
			n++
		}
	}
	mean := sum / float64(n)
	sd := math.Sqrt(math.Max(sq/float64(n)-mean*mean, 0))
	if sd == 0 || n == 0 {
		sd = 1
	}
	z := s.Clone()
	for i, v := range z.Values {
		z.Values[i] = (v - mean) / sd
	}
	return z
}

// LastWindowOptions configure BacktestLastWindow; nil means half-hourly
// meters: season 48, horizon 48, 7 origins one day apart.
type LastWindowOptions struct {
	Season  int // 0 means 48
	Horizon int // 0 means Season
	// Origins is the number of forecast origins, the last window and the
	// Origins−1 before it; 0 means 7.
	Origins int
	// Stride is the number of intervals between origins; 0 means Season.
	Stride int
	// Linear is the model template; nil means DefaultMeterOptions.
	// Horizon and, if unset, Season are overridden.
	Linear *LinearOptions
}

// DefaultMeterOptions is the Linear configuration for interval meters:
// a one-week look-back, per-meter scaling so that one set of weights serves
// meters of any size, and time-of-day and day-of-week regressors.
func DefaultMeterOptions(season int) *LinearOptions {
	return &LinearOptions{
		Lookback:    7 * season,
		Season:      season,
		ScaleSeries: true,
		Exog:        &Exog{TimeOfDay: true, DayOfWeek: true},
	}
}

// MeterResult is one meter's scores: on the last window and pooled over
// all rolling origins.
type MeterResult struct {
	ID              string  `json:"id"`                     // Meter.ID
	Model           Metrics `json:"model"`                  // Linear on the last window
	Baseline        Metrics `json:"seasonal_naive"`         // seasonal-naive on the last window
	ModelRolling    Metrics `json:"model_rolling"`          // Linear pooled over all origins
	BaselineRolling Metrics `json:"seasonal_naive_rolling"` // seasonal-naive pooled over all origins
}

// Summary aggregates meters: MeanMASE is the mean of per-meter MASE (each
// meter counts once, whatever its size); Pooled holds the other metrics
// over all points of all meters (so WQL is a ratio of totals, as in the
// Chronos benchmark).
//
// The means skip meters whose metric is NaN, and are NaN when none has it.
type Summary struct {
	MeanMASE float64 `json:"mean_mase"`
	MeanMAE  float64 `json:"mean_mae"` // mean of per-meter MAE, in the series' unit
	MeanWQL  float64 `json:"mean_wql"` // mean of per-meter WQL
	Pooled   Metrics `json:"pooled"`
}

// LastWindowResult is the outcome of BacktestLastWindow.
type LastWindowResult struct {
	Season, Horizon, Origins, Stride int           // LastWindowOptions in effect, defaults filled in
	Lookback                         int           // the model's look-back, in intervals
	Lambda                           float64       // the model's ridge penalty (chosen when not set)
	TrainEnd                         []time.Time   // per meter: first interval not used to fit
	Meters                           []MeterResult // per meter, in the order given
	Model, Baseline                  Summary       // last window
	ModelRolling, BaselineRolling    Summary       // all origins
	Seconds                          float64       // wall-clock time of the fit and scoring
}

// BacktestLastWindow scores Linear against seasonal-naive on the last
// Horizon intervals of every meter, and on Origins windows ending Stride
// intervals apart. One model with shared weights is fitted on every meter's
// data before its earliest test window (tuning included, on a hold-out at
// the end of that data), so no test interval is ever seen while fitting; it
// then forecasts each window from all history before it. Model metrics use
// P50 (the right point for absolute errors and MASE), the baseline's its
// seasonal value; MASE is scaled by the seasonal-naive MAE of the history
// before each window, as GluonTS does. Gaps are NaN throughout: skipped in
// fitting and scoring, filled only inside a forecast's look-back.
func BacktestLastWindow(ctx context.Context, meters []Meter, opts *LastWindowOptions) (LastWindowResult, error) {
	var o LastWindowOptions
	if opts != nil {
		o = *opts
	}
	if o.Season <= 0 {
		o.Season = 48
	}
	if o.Horizon <= 0 {
		o.Horizon = o.Season
	}
	if o.Origins <= 0 {
		o.Origins = 7
	}
	if o.Stride <= 0 {
		o.Stride = o.Season
	}
	lo := DefaultMeterOptions(o.Season)
	if o.Linear != nil {
		c := *o.Linear
		lo = &c
	}
	lo.Horizon = o.Horizon
	if lo.Season <= 0 {
		lo.Season = o.Season
	}
	start := time.Now()
	H, K, S := o.Horizon, o.Origins, o.Stride
	res := LastWindowResult{Season: o.Season, Horizon: H, Origins: K, Stride: S}
	var train []Series
	for _, m := range meters {
		cut := m.Len() - H - (K-1)*S
		if cut <= 0 {
			return res, fmt.Errorf("%w: meter %s has %d intervals", ErrHistory, m.ID, m.Len())
		}
		train = append(train, m.Slice(0, cut))
		res.TrainEnd = append(res.TrainEnd, m.Time(cut))
	}
	model := NewLinear(lo)
	if err := model.Fit(ctx, train); err != nil {
		return res, fmt.Errorf("forecast: fitting: %w", err)
	}
	res.Lambda, res.Lookback = model.Lambda(), model.Options().Lookback
	naive := SeasonalNaive{Season: o.Season}
	ro := &RollingOptions{Horizon: H, Origins: K, Stride: S, Season: o.Season}
	rb := *ro
	rb.Point = true
	var pm, pb, pmr, pbr Accumulator
	for _, m := range meters {
		accM, err := RollingOrigin(ctx, model, m.Series, ro)
		if err != nil {
			return res, fmt.Errorf("forecast: meter %s: %w", m.ID, err)
		}
		accB, err := RollingOrigin(ctx, naive, m.Series, &rb)
		if err != nil {
			return res, fmt.Errorf("forecast: meter %s: %w", m.ID, err)
		}
		am, ab := accM[0], accB[0]
		var amr, abr Accumulator
		for k := range accM {
			amr.Merge(&accM[k])
			abr.Merge(&accB[k])
		}
		pm.Merge(&am)
		pb.Merge(&ab)
		pmr.Merge(&amr)
		pbr.Merge(&abr)
		res.Meters = append(res.Meters, MeterResult{ID: m.ID,
			Model: am.Metrics(), Baseline: ab.Metrics(), ModelRolling: amr.Metrics(), BaselineRolling: abr.Metrics()})
	}
	res.Model = summarise(res.Meters, pm.Metrics(), func(r MeterResult) Metrics { return r.Model })
	res.Baseline = summarise(res.Meters, pb.Metrics(), func(r MeterResult) Metrics { return r.Baseline })
	res.ModelRolling = summarise(res.Meters, pmr.Metrics(), func(r MeterResult) Metrics { return r.ModelRolling })
	res.BaselineRolling = summarise(res.Meters, pbr.Metrics(), func(r MeterResult) Metrics { return r.BaselineRolling })
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

func summarise(rs []MeterResult, pooled Metrics, get func(MeterResult) Metrics) Summary {
	mean := func(f func(Metrics) float64) float64 {
		var s float64
		n := 0
		for _, r := range rs {
			if v := f(get(r)); !math.IsNaN(v) {
				s += v
				n++
			}
		}
		if n == 0 {
			return math.NaN()
		}
		return s / float64(n)
	}
	return Summary{
		MeanMASE: mean(func(m Metrics) float64 { return m.MASE }),
		MeanMAE:  mean(func(m Metrics) float64 { return m.MAE }),
		MeanWQL:  mean(func(m Metrics) float64 { return m.WQL }),
		Pooled:   pooled,
	}
}

// RollingOptions configure RollingOrigin; nil means one day-ahead window of
// half-hours.
type RollingOptions struct {
	Horizon int // intervals per window; 0 means 48
	Origins int // number of windows; 0 means 1 (the last window only)
	Stride  int // intervals between window ends; 0 means Horizon
	Season  int // MASE season; 0 means Horizon
	// Point scores Forecast.Point instead of P50 (MSE-style models and the
	// seasonal-naive baseline).
	Point bool
}

// RollingOrigin evaluates a fitted model on the last Origins windows of s,
// each Horizon long and ending Stride intervals before the next, forecast
// from all of s before the window. It returns one Accumulator per window,
// the last window first, so callers can report the last window alone and
// pool the rest with Merge. MASE is scaled by the seasonal-naive MAE of the
// history before each window.
func RollingOrigin(ctx context.Context, m Model, s Series, opts *RollingOptions) ([]Accumulator, error) {
	var o RollingOptions
	if opts != nil {
		o = *opts
	}
	if o.Horizon <= 0 {
		o.Horizon = 48
	}
	if o.Origins <= 0 {
		o.Origins = 1
	}
	if o.Stride <= 0 {
		o.Stride = o.Horizon
	}
	if o.Season <= 0 {
		o.Season = o.Horizon
	}
	H := o.Horizon
	out := make([]Accumulator, o.Origins)
	for k := range out {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		end := s.Len() - H - k*o.Stride
		if end <= 0 {
			return nil, fmt.Errorf("%w: %d intervals for origin %d", ErrHistory, s.Len(), k)
		}
		hist := s.Slice(0, end)
		f, err := m.Predict(hist, H)
		if err != nil {
			return nil, fmt.Errorf("origin %v: %w", hist.End(), err)
		}
		point := f.P50
		if o.Point {
			point = f.Point
		}
		out[k].Add(s.Values[end:end+H], point, f, SeasonalScale(hist.Values, o.Season))
	}
	return out, nil
}
