package forecast

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Norm is how Linear removes the level of each look-back window before
// regression and adds it back to the forecast. Level shifts between train
// and test are the main failure of linear forecasters on load data; a
// per-window level (as RevIN/NLinear do) removes them at no cost, and keeps
// the model linear, so it still has a closed form.
type Norm int

const (
	// NormMean subtracts the look-back window's mean.
	NormMean Norm = iota
	// NormLast subtracts the window's last value (NLinear).
	NormLast
	// NormNone regresses on the raw values.
	NormNone
)

func (n Norm) String() string {
	switch n {
	case NormMean:
		return "mean"
	case NormLast:
		return "last"
	case NormNone:
		return "none"
	}
	return fmt.Sprintf("Norm(%d)", int(n))
}

// LinearOptions configure Linear. The zero value (or nil) is DLinear's
// setting for hourly data: look-back 336, horizon 96, kernel 25.
type LinearOptions struct {
	Lookback int // look-back window L; 0 means 336
	Horizon  int // intervals forecast at once, H; 0 means 96
	// Kernel is the moving-average kernel of the trend/seasonal
	// decomposition; 0 means 25, 1 turns the decomposition off.
	Kernel int
	// Lambda is the ridge penalty per training window (the penalty is
	// Lambda times the number of windows, so it does not depend on the data
	// size). 0 means: choose from Lambdas by validation MSE.
	Lambda  float64
	Lambdas []float64 // grid searched when Lambda is 0; nil means a log grid 1e-4..300
	// Norm is how each look-back window's level is removed; the zero
	// value is NormMean.
	Norm Norm
	// ScaleSeries divides every series (and every history at Predict) by its
	// mean absolute value, so that weights shared across meters are not
	// dominated by the largest meter.
	ScaleSeries bool
	// Season is used to fill gaps in a history and to scale the residual
	// quantiles; 0 means 24h/step when that divides, else 1.
	Season int
	// HoldOut is the share of the end of each training series that Fit holds
	// out to choose Lambda and to calibrate P10/P50/P90; 0 means 0.2. The
	// final model is refitted on all of train.
	HoldOut float64
	// Exog adds exogenous regressors; nil means none.
	Exog *Exog
	// MaxCalibration caps the held-out windows whose residuals set the
	// quantiles (evenly spaced); 0 means 4096.
	MaxCalibration int
}

// Linear is a direct multi-horizon linear forecaster of the DLinear class
// (Zeng et al., AAAI 2023): the look-back window is split into a trend
// (centred moving average, edges padded with the end values) and a seasonal
// remainder, and one linear map from both to all H outputs is learnt. It is
// channel-independent with weights shared by all training series (DLinear's
// individual=False); for per-channel weights fit one Linear per series.
//
// Unlike DLinear it is fitted in closed form by ridge regression. Because the
// decomposition, the level normalisation and the regression are all linear,
// the normal equations only need the second moments of the raw windows
// [x; y], and those are Toeplitz-like: Fit computes them with a sliding
// update in O(n·(L+H) + (L+H)²) per series and never builds the n×2L design
// matrix. The penalty is chosen on held-out data by an exact validation MSE
// computed from the held-out moments, so tuning costs one Cholesky per
// candidate.
//
// P10/P50/P90 are the point forecast plus per-step quantiles of held-out
// residuals, stored in units of the history's seasonal MAE so they adapt to
// each meter's volatility.
type Linear struct {
	opt    LinearOptions
	step   time.Duration
	exog   *exogSpec
	w      [][]float64 // L rows of H: effective weights on the raw window
	we     [][]float64 // E rows of H: exogenous weights
	bias   []float64   // H
	q      [3][]float64
	lambda float64
	valMSE float64
	fitted bool
}

// NewLinear returns an unfitted Linear; opts may be nil.
func NewLinear(opts *LinearOptions) *Linear {
	var o LinearOptions
	if opts != nil {
		o = *opts
	}
	if o.Lookback <= 0 {
		o.Lookback = 336
	}
	if o.Horizon <= 0 {
		o.Horizon = 96
	}
	if o.Kernel <= 0 {
		o.Kernel = 25
	}
	if o.Kernel%2 == 0 {
		o.Kernel++ // a centred window needs an odd kernel
	}
	if o.Lambdas == nil {
		o.Lambdas = []float64{1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300}
	}
	if o.HoldOut <= 0 || o.HoldOut >= 1 {
		o.HoldOut = 0.2
	}
	if o.MaxCalibration <= 0 {
		o.MaxCalibration = 4096
	}
	return &Linear{opt: o}
}

// Options returns the options in effect, defaults filled in.
func (m *Linear) Options() LinearOptions { return m.opt }

// Lambda is the ridge penalty in use after Fit, and ValidationMSE the
// held-out MSE (in the scaled units the model regresses in) that chose it.
func (m *Linear) Lambda() float64        { return m.lambda }
func (m *Linear) ValidationMSE() float64 { return m.valMSE }

// Fit holds out the last HoldOut share of every series, chooses the penalty
// and calibrates the quantiles there, and refits on all of train.
func (m *Linear) Fit(ctx context.Context, train []Series) error {
	return m.fitSet(ctx, seriesSlice(train))
}

// fitSet is Fit on series that may be materialised one at a time.
func (m *Linear) fitSet(ctx context.Context, train seriesSet) error {
	L, H := m.opt.Lookback, m.opt.Horizon
	tr, va := &subSet{base: train}, &subSet{base: train}
	for i := range train.count() {
		n := train.length(i)
		hold := int(math.Round(m.opt.HoldOut * float64(n)))
		if hold < H {
			hold = H
		}
		cut := n - hold
		if cut < L+H {
			continue // too short to split; still used in the final fit
		}
		tr.add(i, 0, cut)
		va.add(i, cut-L, n)
	}
	if tr.count() == 0 {
		return fmt.Errorf("%w: no series has %d intervals plus a hold-out", ErrHistory, L+H)
	}
	if err := m.fit(ctx, tr, va, train); err != nil {
		return err
	}
	return nil
}

// FitValidate fits on train only, and chooses the penalty and calibrates the
// quantiles on val, whose series must start L intervals before the first
// interval to forecast (the ETT protocol's validation split). Use it when a
// benchmark fixes the splits.
func (m *Linear) FitValidate(ctx context.Context, train, val []Series) error {
	return m.fit(ctx, seriesSlice(train), seriesSlice(val), nil)
}

// seriesSet is the training series of a fit, which a caller may
// materialise one at a time: Train's shard of 250 meter-years would be
// 17.5 MB of float64 per worker if it were a []Series, and the fit only
// ever reads one series at once.
type seriesSet interface {
	count() int
	length(i int) int // Len of series i, without materialising it
	step(i int) time.Duration
	// at returns series i; its values may be valid only until the next
	// call of at.
	at(i int) Series
}

// seriesSlice is a seriesSet of series in memory.
type seriesSlice []Series

func (s seriesSlice) count() int               { return len(s) }
func (s seriesSlice) length(i int) int         { return s[i].Len() }
func (s seriesSlice) step(i int) time.Duration { return s[i].Step }
func (s seriesSlice) at(i int) Series          { return s[i] }

// subSet is a seriesSet of intervals [lo, hi) of some series of base.
type subSet struct {
	base        seriesSet
	idx, lo, hi []int
}

func (s *subSet) add(i, lo, hi int) {
	s.idx, s.lo, s.hi = append(s.idx, i), append(s.lo, lo), append(s.hi, hi)
}

func (s *subSet) count() int               { return len(s.idx) }
func (s *subSet) length(k int) int         { return s.hi[k] - s.lo[k] }
func (s *subSet) step(k int) time.Duration { return s.base.step(s.idx[k]) }
func (s *subSet) at(k int) Series          { return s.base.at(s.idx[k]).Slice(s.lo[k], s.hi[k]) }

func (m *Linear) fit(ctx context.Context, tr, va, final seriesSet) error {
	if tr.count() == 0 || va.count() == 0 {
		return fmt.Errorf("%w: need training and validation series", ErrHistory)
	}
	m.step = tr.step(0)
	for _, set := range []seriesSet{tr, va} {
		for i := range set.count() {
			if st := set.step(i); st != m.step {
				return fmt.Errorf("forecast: series steps differ: %v and %v", m.step, st)
			}
		}
	}
	if m.opt.Season <= 0 {
		m.opt.Season = 1
		if day := int(24 * time.Hour / m.step); day > 1 && time.Duration(day)*m.step == 24*time.Hour {
			m.opt.Season = day
		}
	}
	m.exog = newExogSpec(m.opt.Exog, m.step, m.opt.Lookback, m.opt.Horizon)
	design := m.newDesign()

	trQ, err := design.momentsOf(ctx, tr, m)
	if err != nil {
		return fmt.Errorf("forecast: training moments: %w", err)
	}
	vaQ, err := design.momentsOf(ctx, va, m)
	if err != nil {
		return fmt.Errorf("forecast: validation moments: %w", err)
	}
	if trQ.n == 0 {
		return fmt.Errorf("%w: no complete training window of %d intervals", ErrHistory, design.d)
	}
	lambdas := m.opt.Lambdas
	if m.opt.Lambda > 0 {
		lambdas = []float64{m.opt.Lambda}
	}
	best, bestMSE := math.NaN(), math.Inf(1)
	var bestW *mat.Dense
	for _, lam := range lambdas {
		w, err := design.solve(trQ, lam)
		if err != nil {
			continue // not positive definite at this penalty; try the next
		}
		mse := math.NaN()
		if vaQ.n > 0 {
			mse = design.sse(vaQ, w) / float64(vaQ.n*design.h)
		}
		if bestW == nil || mse < bestMSE {
			best, bestMSE, bestW = lam, mse, w
		}
	}
	if bestW == nil {
		return errors.New("forecast: ridge system is singular for every penalty")
	}
	m.lambda, m.valMSE = best, bestMSE
	m.setWeights(design, bestW)
	m.fitted = true

	// Calibrate on the held-out windows with the model that did not see them.
	if err := m.calibrate(ctx, va); err != nil {
		return err
	}
	if final != nil {
		allQ, err := design.momentsOf(ctx, final, m)
		if err != nil {
			return fmt.Errorf("forecast: final moments: %w", err)
		}
		w, err := design.solve(allQ, m.lambda)
		if err != nil {
			return fmt.Errorf("forecast: final fit: %w", err)
		}
		m.setWeights(design, w)
	}
	return nil
}

// calibrate sets the residual quantiles from windows of val.
func (m *Linear) calibrate(ctx context.Context, val seriesSet) error {
	L, H := m.opt.Lookback, m.opt.Horizon
	total := 0
	for i := range val.count() {
		if k := val.length(i) - L - H + 1; k > 0 {
			total += k
		}
	}
	stride := 1
	if total > m.opt.MaxCalibration {
		stride = (total + m.opt.MaxCalibration - 1) / m.opt.MaxCalibration
	}
	res := make([][]float64, H)
	pred := make([]float64, H)
	for i := range val.count() {
		if err := ctx.Err(); err != nil {
			return err
		}
		s := val.at(i)
		scale := m.seriesScale(s.Values)
		for o := 0; o+L+H <= s.Len(); o += stride {
			x := s.Values[o : o+L]
			y := s.Values[o+L : o+L+H]
			if hasNaN(x) {
				continue
			}
			m.predictInto(pred, x, s.Time(o+L), scale)
			u := historyScale(x, m.opt.Season)
			for h := range y {
				if !math.IsNaN(y[h]) {
					res[h] = append(res[h], (y[h]-pred[h])/u)
				}
			}
		}
	}
	m.q = residualQuantiles(res)
	return nil
}

// Predict forecasts horizon <= Horizon intervals after history, which needs
// at least Lookback intervals; gaps in its last Lookback are filled from one
// season earlier (or by interpolation).
func (m *Linear) Predict(history Series, horizon int) (Forecast, error) {
	if !m.fitted {
		return Forecast{}, ErrNotFitted
	}
	L, H := m.opt.Lookback, m.opt.Horizon
	if horizon < 1 || horizon > H {
		return Forecast{}, fmt.Errorf("%w: %d not in [1, %d]", ErrHorizon, horizon, H)
	}
	if history.Len() < L {
		return Forecast{}, fmt.Errorf("%w: %d intervals, look-back %d", ErrHistory, history.Len(), L)
	}
	if history.Step != m.step {
		return Forecast{}, fmt.Errorf("forecast: history step %v, model step %v", history.Step, m.step)
	}
	n := history.Len()
	window := history.Values[n-L:]
	x := fillGaps(window, m.opt.Season)
	if hasNaN(x) || allNaN(window) {
		return Forecast{}, fmt.Errorf("%w: look-back window is all missing", ErrHistory)
	}
	pred := make([]float64, H)
	m.predictInto(pred, x, history.End(), m.seriesScale(history.Values))
	f := newForecast(history, horizon)
	u := historyScale(x, m.opt.Season)
	for h := 0; h < horizon; h++ {
		f.Point[h] = pred[h]
		f.P10[h] = pred[h] + m.q[0][h]*u
		f.P50[h] = pred[h] + m.q[1][h]*u
		f.P90[h] = pred[h] + m.q[2][h]*u
	}
	return f, nil
}

// predictInto writes the point forecast for a complete window x (raw units)
// whose first forecast interval starts at origin.
func (m *Linear) predictInto(dst, x []float64, origin time.Time, scale float64) {
	copy(dst, m.bias)
	if m.exog != nil {
		idx, val := m.exog.features(origin, nil, nil)
		for k, j := range idx {
			floats.AddScaled(dst, val[k], m.we[j])
		}
	}
	floats.Scale(scale, dst)
	for i, v := range x {
		floats.AddScaled(dst, v, m.w[i])
	}
}

// seriesScale is the divisor of ScaleSeries: mean absolute value.
func (m *Linear) seriesScale(x []float64) float64 {
	if !m.opt.ScaleSeries {
		return 1
	}
	var sum float64
	n := 0
	for _, v := range x {
		if !math.IsNaN(v) {
			sum += math.Abs(v)
			n++
		}
	}
	if n == 0 || sum == 0 {
		return 1
	}
	return sum / float64(n)
}

// setWeights folds the decomposition and normalisation into weights on the
// raw window: forecast = W'x + We'e + b (all linear), so Predict costs L·H.
func (m *Linear) setWeights(d *design, w *mat.Dense) {
	L, H := d.l, d.h
	var eff mat.Dense
	eff.Mul(d.ap.T(), w.Slice(0, d.nf, 0, H)) // L×H
	m.w = make([][]float64, L)
	for i := range m.w {
		m.w[i] = make([]float64, H)
		for h := range m.w[i] {
			m.w[i][h] = eff.At(i, h) + d.wc[i]
		}
	}
	m.we = make([][]float64, d.e)
	for j := range m.we {
		m.we[j] = mat.Row(nil, d.nf+j, w)
	}
	m.bias = mat.Row(nil, d.f-1, w)
}

// design is the regression layout: features f = [A·P·x; e; 1] (A the
// decomposition, P the normalisation) and targets y' = y − c(x), all linear
// in the raw window v = [x; y; e; 1].
type design struct {
	l, h, d, e int
	nf, f      int        // decomposition features, all features incl. e and bias
	ap         *mat.Dense // nf×L: decomposition of the normalised window
	wc         []float64  // level c(x) = wc·x
	// Buffers of moments and addRun, reused over a fit's series (a fit
	// sums the moments of every series three times): d + e·d floats
	// (86 KB for a week of look-back and horizon) per series otherwise.
	z, row, cross []float64
	idx           []int
	val           []float64
	raw           []float64  // dim×dim raw moments
	tr, tq        *mat.Dense // transform's R and Q
	k             *mat.SymDense
	rhs           *mat.Dense
	ch            mat.Cholesky // solve's system, right-hand side and factor
}

func (m *Linear) newDesign() *design {
	L, H, k := m.opt.Lookback, m.opt.Horizon, m.opt.Kernel
	ds := &design{l: L, h: H, d: L + H}
	if m.exog != nil {
		ds.e = m.exog.width
	}
	ds.wc = make([]float64, L)
	switch m.opt.Norm {
	case NormMean:
		for i := range ds.wc {
			ds.wc[i] = 1 / float64(L)
		}
	case NormLast:
		ds.wc[L-1] = 1
	}
	// P = I − 1·wcᵀ
	p := mat.NewDense(L, L, nil)
	for i := 0; i < L; i++ {
		for j := 0; j < L; j++ {
			v := -ds.wc[j]
			if i == j {
				v++
			}
			p.Set(i, j, v)
		}
	}
	var a *mat.Dense
	if k <= 1 {
		a = mat.NewDense(L, L, nil)
		for i := 0; i < L; i++ {
			a.Set(i, i, 1)
		}
	} else {
		// Trend rows: centred mean over k, indices clamped to the window
		// (DLinear pads with the first and last value). Seasonal rows: I − trend.
		a = mat.NewDense(2*L, L, nil)
		half := (k - 1) / 2
		for i := 0; i < L; i++ {
			for j := i - half; j <= i+half; j++ {
				c := min(max(j, 0), L-1)
				a.Set(i, c, a.At(i, c)+1/float64(k))
			}
			for c := 0; c < L; c++ {
				v := -a.At(i, c)
				if c == i {
					v++
				}
				a.Set(L+i, c, v)
			}
		}
	}
	ds.nf, _ = a.Dims()
	ds.ap = mat.NewDense(ds.nf, L, nil)
	ds.ap.Mul(a, p)
	ds.f = ds.nf + ds.e + 1
	return ds
}

// moments are the transformed second moments Σ [f; y'][f; y']ᵀ over n windows.
type moments struct {
	q *mat.SymDense
	n int
}

// moments accumulates the raw moments of every complete window of series,
// then transforms them once: Q = T·M·Tᵀ.
func (ds *design) moments(ctx context.Context, series []Series, m *Linear) (moments, error) {
	return ds.momentsOf(ctx, seriesSlice(series), m)
}

// momentsOf is moments of a seriesSet.
func (ds *design) momentsOf(ctx context.Context, series seriesSet, m *Linear) (moments, error) {
	dim := ds.d + ds.e + 1
	raw := slices.Grow(ds.raw[:0], dim*dim)[:dim*dim]
	clear(raw)
	ds.raw = raw
	n := 0
	z := ds.z
	defer func() { ds.z = z[:0] }()
	for i := range series.count() {
		if err := ctx.Err(); err != nil {
			return moments{}, err
		}
		s := series.at(i)
		sc := m.seriesScale(s.Values)
		z = append(z[:0], s.Values...)
		if sc != 1 {
			floats.Scale(1/sc, z)
		}
		// Complete windows lie in runs without NaN.
		for a := 0; a < len(z); {
			if math.IsNaN(z[a]) {
				a++
				continue
			}
			b := a
			for b < len(z) && !math.IsNaN(z[b]) {
				b++
			}
			if b-a >= ds.d {
				n += ds.addRun(raw, dim, z[a:b], s.Time(a+ds.l), m.exog)
			}
			a = b
		}
	}
	// Mirror the upper triangle.
	for i := 0; i < dim; i++ {
		for j := i + 1; j < dim; j++ {
			raw[j*dim+i] = raw[i*dim+j]
		}
	}
	return moments{q: ds.transform(mat.NewDense(dim, dim, raw)), n: n}, nil
}

// transform returns Q = T·M·Tᵀ for the linear map T: v = [x; y; e; 1] ->
// [f; y'] = [AP·x; e; 1; y − 1·wcᵀx], without materialising T. T is the
// identity on e, 1 and y except for the decomposition block AP and the
// rank-one level wc, so T·M costs nf·L·dim and (T·M)·Tᵀ (f+h)·L·nf instead
// of two dense (f+h)·dim² products: five times less for a one-week
// look-back, which is what makes per-meter fits of 10,000 meters practical.
func (ds *design) transform(mm *mat.Dense) *mat.SymDense {
	L, H, E, nf, f := ds.l, ds.h, ds.e, ds.nf, ds.f
	dim, _ := mm.Dims()
	d, last := ds.d, dim-1
	wc := mat.NewVecDense(L, ds.wc)
	mx := mm.Slice(0, L, 0, dim)
	// R = T·M, (f+h)×dim. Every element of R and Q is written below, so
	// the design's buffers need no clearing.
	if ds.tr == nil {
		ds.tr, ds.tq = mat.NewDense(f+H, dim, nil), mat.NewDense(f+H, f+H, nil)
	}
	r := ds.tr
	r.Slice(0, nf, 0, dim).(*mat.Dense).Mul(ds.ap, mx)
	for j := 0; j < E; j++ {
		r.SetRow(nf+j, mm.RawRowView(d+j))
	}
	r.SetRow(f-1, mm.RawRowView(last))
	var cm mat.VecDense // wcᵀ·Mx as a column
	cm.MulVec(mx.T(), wc)
	for h := 0; h < H; h++ {
		row := r.RawRowView(f + h)
		copy(row, mm.RawRowView(L+h))
		floats.AddScaled(row, -1, cm.RawVector().Data)
	}
	// Q = R·Tᵀ, (f+h)×(f+h).
	q := ds.tq
	rx := r.Slice(0, f+H, 0, L)
	q.Slice(0, f+H, 0, nf).(*mat.Dense).Mul(rx, ds.ap.T())
	var rc mat.VecDense // R_x·wc
	rc.MulVec(rx, wc)
	for i := 0; i < f+H; i++ {
		ri, qi := r.RawRowView(i), q.RawRowView(i)
		for j := 0; j < E; j++ {
			qi[nf+j] = ri[d+j]
		}
		qi[f-1] = ri[last]
		for h := 0; h < H; h++ {
			qi[f+h] = ri[L+h] - rc.AtVec(i)
		}
	}
	sym := mat.NewSymDense(f+H, nil)
	for i := 0; i < f+H; i++ {
		for j := i; j < f+H; j++ {
			sym.SetSym(i, j, (q.At(i, j)+q.At(j, i))/2)
		}
	}
	return sym
}

// addRun adds the upper triangle of Σ v vᵀ over all windows of a NaN-free
// run seg, where the window at origin o is v = [seg[o:o+d]; e(o); 1] and
// firstTarget is the time of the first forecast interval of window 0. It
// returns the number of windows.
//
// The lag block uses G[i][j] = G[i−1][j−1] − seg[i−1]seg[j−1] +
// seg[n+i−1]seg[n+j−1]: one O(n·d) pass for the first row, O(d²) for the rest.
func (ds *design) addRun(raw []float64, dim int, seg []float64, firstTarget time.Time, ex *exogSpec) int {
	d := ds.d
	n := len(seg) - d + 1
	row := slices.Grow(ds.row[:0], d)[:d] // G[i-1][·], updated in place row by row
	ds.row = row
	for j := 0; j < d; j++ {
		row[j] = floats.Dot(seg[:n], seg[j:j+n])
	}
	for i := 0; i < d; i++ {
		if i > 0 {
			// Row i from row i−1, right to left so row[j−1] is still old.
			a, b := seg[i-1], seg[n+i-1]
			for j := d - 1; j >= i; j-- {
				row[j] = row[j-1] - a*seg[j-1] + b*seg[n+j-1]
			}
		}
		r := raw[i*dim : i*dim+dim]
		for j := i; j < d; j++ {
			r[j] += row[j]
		}
	}
	// Sums (the bias column).
	last := dim - 1
	s := floats.Sum(seg[:n])
	for i := 0; i < d; i++ {
		if i > 0 {
			s += seg[n+i-1] - seg[i-1]
		}
		raw[i*dim+last] += s
	}
	raw[last*dim+last] += float64(n)
	if ex != nil {
		idx, val := ds.idx[:0], ds.val[:0]
		// The lag × exogenous block is summed per exogenous column in a
		// contiguous buffer (an axpy per window and column) and added to
		// raw's strided columns once: five times faster than strided adds.
		cross := slices.Grow(ds.cross[:0], ds.e*d)[:ds.e*d]
		ds.cross = cross
		clear(cross)
		for o := 0; o < n; o++ {
			idx, val = ex.features(firstTarget.Add(time.Duration(o)*ex.step), idx[:0], val[:0])
			win := seg[o : o+d]
			for k, j := range idx {
				c := d + j
				floats.AddScaled(cross[j*d:(j+1)*d], val[k], win)
				for k2, j2 := range idx {
					if c2 := d + j2; c2 >= c {
						raw[c*dim+c2] += val[k] * val[k2]
					}
				}
				raw[c*dim+last] += val[k]
			}
		}
		for j := 0; j < ds.e; j++ {
			col := cross[j*d : (j+1)*d]
			for i, v := range col {
				raw[i*dim+d+j] += v
			}
		}
		ds.idx, ds.val = idx[:0], val[:0]
	}
	return n
}

// solve returns the ridge weights (f×h) for penalty lam per window; the
// bias is not penalised.
func (ds *design) solve(mo moments, lam float64) (*mat.Dense, error) {
	f := ds.f
	if ds.k == nil {
		ds.k, ds.rhs = mat.NewSymDense(f, nil), mat.NewDense(f, ds.h, nil)
	}
	k := ds.k
	k.CopySym(mo.q.SliceSym(0, f))
	pen := lam * float64(mo.n)
	for i := 0; i < f-1; i++ {
		k.SetSym(i, i, k.At(i, i)+pen)
	}
	ch := &ds.ch
	if ok := ch.Factorize(k); !ok {
		return nil, errors.New("forecast: normal equations not positive definite")
	}
	rhs := ds.rhs // every element set below
	for i := 0; i < f; i++ {
		for h := 0; h < ds.h; h++ {
			rhs.Set(i, h, mo.q.At(i, f+h))
		}
	}
	var w mat.Dense
	if err := ch.SolveTo(&w, rhs); err != nil {
		return nil, fmt.Errorf("forecast: cholesky solve: %w", err)
	}
	return &w, nil
}

// sse is Σ‖y' − Wᵀf‖² over the windows of mo, from the moments alone:
// tr(Qyy) − 2·⟨W, Qfy⟩ + ⟨W, Qff·W⟩.
func (ds *design) sse(mo moments, w *mat.Dense) float64 {
	f, h := ds.f, ds.h
	var tr, cross float64
	for j := 0; j < h; j++ {
		tr += mo.q.At(f+j, f+j)
	}
	for i := 0; i < f; i++ {
		for j := 0; j < h; j++ {
			cross += w.At(i, j) * mo.q.At(i, f+j)
		}
	}
	var qw mat.Dense
	qw.Mul(mo.q.SliceSym(0, f), w)
	quad := mat.Sum(elemMul(&qw, w))
	return tr - 2*cross + quad
}

func elemMul(a, b *mat.Dense) *mat.Dense {
	var c mat.Dense
	c.MulElem(a, b)
	return &c
}

func hasNaN(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) {
			return true
		}
	}
	return false
}

func allNaN(x []float64) bool {
	for _, v := range x {
		if !math.IsNaN(v) {
			return false
		}
	}
	return true
}
