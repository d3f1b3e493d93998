package forecast

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/mat"
)

// TOWTSlots is the number of time-of-week slots of a TOWT model: one per
// hour of the week, slot 0 being Monday 00:00-01:00 as in CalTRACK 3.8.2.
const TOWTSlots = 168

// CalTRACK's temperature knots (bin endpoints, CalTRACK 2.0 §3.9.1.1) and
// occupancy balance points (§3.8.3), in °F and the same points in °C. The
// model does not know units: the knots and balance points must be in the
// unit of the temperature series given to Fit and Predict.
var (
	CalTRACKKnotsF = []float64{30, 45, 55, 65, 75, 90}
	CalTRACKKnotsC = []float64{-10.0 / 9, 65.0 / 9, 115.0 / 9, 165.0 / 9, 215.0 / 9, 290.0 / 9}

	CalTRACKOccupancyBalanceF = [2]float64{50, 65}
	CalTRACKOccupancyBalanceC = [2]float64{10, 165.0 / 9}
)

// TOWTOptions configures a TOWT model. The zero value (or nil) is CalTRACK's
// hourly model with °F temperatures and without occupancy segmentation.
type TOWTOptions struct {
	// Celsius selects the °C versions of the default knots and occupancy
	// balance points (CalTRACKKnotsC, CalTRACKOccupancyBalanceC). It has no
	// effect on values set explicitly below.
	Celsius bool
	// Knots are the temperature bin endpoints, ascending, in the unit of
	// the temperature series; nil means CalTRACK's 30, 45, 55, 65, 75, 90 °F
	// (or their °C equivalents with Celsius). An empty non-nil slice fits
	// one straight line in temperature.
	Knots []float64
	// MinBinHours: a bin with fewer fitted hours is merged into its
	// neighbour as CalTRACK §3.9.1.2 does (dropping its upper endpoint, or
	// the lower one for the last bin). 0 means 20; negative keeps all knots.
	MinBinHours int
	// Occupancy segments the hours of the week into occupied and unoccupied
	// ones (CalTRACK §3.8) and fits separate temperature coefficients to
	// each: an hour of the week is occupied when more than
	// OccupancyThreshold of its baseline loads lie above an ordinary
	// least-squares fit of load on heating and cooling degree-hours with
	// balance points OccupancyBalance.
	Occupancy bool
	// OccupancyThreshold is the share of under-predictions that flags an
	// hour of the week occupied; 0 means 0.65.
	OccupancyThreshold float64
	// OccupancyBalance are the heating and cooling balance points of the
	// occupancy fit; zero means 50 and 65 °F (10 and 18.3 °C with Celsius).
	OccupancyBalance [2]float64
	// Lambda is the ridge penalty relative to each column's sum of squares
	// (scale-free); it only keeps the normal equations well conditioned.
	// 0 means 1e-8.
	Lambda float64
	// Location is the time zone of the time of week; nil means the location
	// of the load series' Start.
	Location *time.Location
}

// TOWT is the time-of-week-and-temperature regression of LBNL (Mathieu et
// al. 2011, Price 2010) in the form CalTRACK 2.0 §3.7-3.12 standardises for
// hourly savings: the load of an interval is the coefficient of its hour of
// the week (168 of them, no separate intercept) plus a piecewise-linear
// function of the outdoor temperature with knots at fixed bin endpoints,
// optionally with separate temperature slopes for occupied and unoccupied
// hours. It is fitted in closed form by least squares (a tiny ridge for
// conditioning) over the intervals where both load and temperature are
// known.
//
// Unlike [Model], TOWT needs no history at prediction time: given a fitted
// baseline and the reporting period's temperature, Predict returns the
// counterfactual load, and avoided energy use is prediction minus metered
// load. CalTRACK's month-by-month weighting (§3.7.5) is not implemented: one
// model covers the whole baseline, which §3.7.5.1 allows. Nor is thermal
// lag: to try one, pass the temperature series with its Start moved later
// by the lag, to Fit and Predict alike.
type TOWT struct {
	opt      TOWTOptions
	loc      *time.Location
	step     time.Duration
	knots    []float64 // after merging sparse bins
	occupied [TOWTSlots]bool
	coef     []float64 // TOWTSlots slot coefficients, then the temperature blocks
	blocks   int       // 1, or 2 with occupancy
	params   int
	n        int
	fitted   bool
}

// NewTOWT returns an unfitted TOWT; opts may be nil.
func NewTOWT(opts *TOWTOptions) *TOWT {
	var o TOWTOptions
	if opts != nil {
		o = *opts
	}
	if o.Knots == nil {
		o.Knots = CalTRACKKnotsF
		if o.Celsius {
			o.Knots = CalTRACKKnotsC
		}
	}
	o.Knots = slices.Clone(o.Knots)
	slices.Sort(o.Knots)
	o.Knots = slices.Compact(o.Knots)
	if o.MinBinHours == 0 {
		o.MinBinHours = 20
	}
	if o.OccupancyThreshold <= 0 {
		o.OccupancyThreshold = 0.65
	}
	if o.OccupancyBalance == [2]float64{} {
		o.OccupancyBalance = CalTRACKOccupancyBalanceF
		if o.Celsius {
			o.OccupancyBalance = CalTRACKOccupancyBalanceC
		}
	}
	if o.Lambda <= 0 {
		o.Lambda = 1e-8
	}
	return &TOWT{opt: o}
}

// Options returns the options in effect, defaults filled in.
func (m *TOWT) Options() TOWTOptions { return m.opt }

// Knots are the bin endpoints used by the fitted model, after sparse bins
// were merged.
func (m *TOWT) Knots() []float64 { return slices.Clone(m.knots) }

// Occupied reports, per time-of-week slot (Monday 00:00 first), whether the
// fitted model treats it as occupied; all false without Occupancy.
func (m *TOWT) Occupied() [TOWTSlots]bool { return m.occupied }

// Params is the number of coefficients the fit estimated from data (slots
// and temperature columns that had at least one fitted interval): the p of
// ASHRAE Guideline 14's n-p degrees of freedom.
func (m *TOWT) Params() int { return m.params }

// N is the number of intervals the fit used (load and temperature known).
func (m *TOWT) N() int { return m.n }

// Slot is the time-of-week slot of t in the model's location: 0 for Monday
// 00:00-01:00, 167 for Sunday 23:00-24:00.
func (m *TOWT) Slot(t time.Time) int { return towtSlot(t, m.loc) }

func towtSlot(t time.Time, loc *time.Location) int {
	if loc != nil {
		t = t.In(loc)
	}
	return (int(t.Weekday())+6)%7*24 + t.Hour()
}

// towtTemp returns the temperature of the interval [at, at+step): the
// temperature interval containing at when temperatures are as coarse as the
// load or coarser, else the mean of the known temperature intervals that
// start within it. NaN when unknown.
func towtTemp(temp Series, at time.Time, step time.Duration) float64 {
	if temp.Step <= 0 || temp.Len() == 0 {
		return math.NaN()
	}
	d := at.Sub(temp.Start)
	i := int(d / temp.Step)
	if d < 0 && d%temp.Step != 0 {
		i--
	}
	if temp.Step >= step {
		if i < 0 || i >= temp.Len() {
			return math.NaN()
		}
		return temp.Values[i]
	}
	if d%temp.Step != 0 {
		i++
	}
	var sum float64
	n := 0
	for ; i < temp.Len() && temp.Time(i).Before(at.Add(step)); i++ {
		if i >= 0 && !math.IsNaN(temp.Values[i]) {
			sum += temp.Values[i]
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// towtFeatures writes CalTRACK's binned temperature features of T for the
// knots into f (len(knots)+1 values): the part of T in each bin, so that
// the features sum to T and the fit is continuous and piecewise linear.
func towtFeatures(f []float64, T float64, knots []float64) {
	clear(f)
	lo := math.Inf(-1)
	for k, b := range knots {
		if T <= b {
			if k == 0 {
				f[0] = T
			} else {
				f[k] = T - lo
			}
			return
		}
		if k == 0 {
			f[0] = b
		} else {
			f[k] = b - lo
		}
		lo = b
	}
	if len(knots) == 0 {
		f[0] = T
		return
	}
	f[len(knots)] = T - lo
}

// towtMergeKnots drops knots until every bin holds at least min of temps,
// as CalTRACK §3.9.1.2: a sparse bin loses its upper endpoint (merging
// into the bin above), the last bin its lower one.
func towtMergeKnots(knots, temps []float64, min int) []float64 {
	knots = slices.Clone(knots)
	if min <= 0 {
		return knots
	}
	counts := make([]int, len(knots)+1)
	for len(knots) > 0 {
		clear(counts[:len(knots)+1])
		for _, T := range temps {
			k, _ := slices.BinarySearch(knots, T) // first knot >= T: T in bin k
			counts[k]++
		}
		sparse := -1
		for k := 0; k <= len(knots); k++ {
			if counts[k] < min {
				sparse = k
				break
			}
		}
		if sparse < 0 {
			break
		}
		if sparse == len(knots) {
			sparse--
		}
		knots = slices.Delete(knots, sparse, sparse+1)
	}
	return knots
}

// ErrTOWTData reports a fit without enough intervals where both load and
// temperature are known.
var ErrTOWTData = errors.New("forecast: TOWT needs more intervals with both load and temperature")

// Fit fits the model to load with the outdoor temperature of each interval
// looked up by time in temperature (any step; see Predict). Intervals where
// either is NaN or temperature does not cover are skipped. Pass the
// baseline only (e.g. load.Slice over the 365 days before the
// intervention). Fit honours ctx between its passes.
func (m *TOWT) Fit(ctx context.Context, load, temperature Series) error {
	m.fitted = false
	if load.Step <= 0 || temperature.Step <= 0 {
		return ErrStep
	}
	m.loc = m.opt.Location
	if m.loc == nil {
		m.loc = load.Start.Location()
	}
	m.step = load.Step
	slot := make([]int16, 0, load.Len())
	temp := make([]float64, 0, load.Len())
	y := make([]float64, 0, load.Len())
	for i, v := range load.Values {
		if math.IsNaN(v) {
			continue
		}
		at := load.Time(i)
		T := towtTemp(temperature, at, load.Step)
		if math.IsNaN(T) {
			continue
		}
		slot = append(slot, int16(towtSlot(at, m.loc)))
		temp = append(temp, T)
		y = append(y, v)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.knots = towtMergeKnots(m.opt.Knots, temp, m.opt.MinBinHours)
	nt := len(m.knots) + 1
	m.blocks = 1
	m.occupied = [TOWTSlots]bool{}
	if m.opt.Occupancy {
		m.blocks = 2
		if err := m.fitOccupancy(slot, temp, y); err != nil {
			return err
		}
	}
	if len(y) <= TOWTSlots+m.blocks*nt {
		return fmt.Errorf("%w: %d of %d intervals usable", ErrTOWTData, len(y), load.Len())
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// Normal equations, accumulated sparsely: a row has one slot indicator
	// and nt temperature features in its occupancy block.
	p := TOWTSlots + m.blocks*nt
	xtx := make([]float64, p*p)
	xty := make([]float64, p)
	f := make([]float64, nt)
	for r, T := range temp {
		s := int(slot[r])
		off := TOWTSlots
		if m.occupied[s] {
			off += nt
		}
		towtFeatures(f, T, m.knots)
		xtx[s*p+s]++
		xty[s] += y[r]
		for a, fa := range f {
			if fa == 0 {
				continue
			}
			xtx[s*p+off+a] += fa
			xty[off+a] += fa * y[r]
			row := (off + a) * p
			for b := a; b < nt; b++ {
				xtx[row+off+b] += fa * f[b]
			}
		}
	}
	k := mat.NewSymDense(p, nil)
	m.params = 0
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			k.SetSym(i, j, xtx[i*p+j])
		}
		d := xtx[i*p+i]
		if d > 0 {
			m.params++
			k.SetSym(i, i, d*(1+m.opt.Lambda))
		} else {
			k.SetSym(i, i, 1) // no data: the coefficient stays 0
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(k) {
		return errors.New("forecast: TOWT normal equations not positive definite")
	}
	var w mat.VecDense
	if err := ch.SolveVecTo(&w, mat.NewVecDense(p, xty)); err != nil {
		return fmt.Errorf("forecast: TOWT solve: %w", err)
	}
	m.coef = make([]float64, p)
	for i := range m.coef {
		m.coef[i] = w.AtVec(i)
	}
	// A slot the baseline never saw gets the mean of the others rather
	// than zero.
	var sum float64
	seen := 0
	for s := 0; s < TOWTSlots; s++ {
		if xtx[s*p+s] > 0 {
			sum += m.coef[s]
			seen++
		}
	}
	for s := 0; s < TOWTSlots; s++ {
		if xtx[s*p+s] == 0 {
			m.coef[s] = sum / float64(seen)
		}
	}
	m.n = len(y)
	m.fitted = true
	return nil
}

// fitOccupancy flags the occupied slots (CalTRACK §3.8.3-3.8.4).
func (m *TOWT) fitOccupancy(slot []int16, temp, y []float64) error {
	hb, cb := m.opt.OccupancyBalance[0], m.opt.OccupancyBalance[1]
	var xtx [3][3]float64
	var xty [3]float64
	for r, T := range temp {
		x := [3]float64{1, math.Max(hb-T, 0), math.Max(T-cb, 0)}
		for a := range x {
			xty[a] += x[a] * y[r]
			for b := range x {
				xtx[a][b] += x[a] * x[b]
			}
		}
	}
	k := mat.NewSymDense(3, nil)
	for a := 0; a < 3; a++ {
		for b := a; b < 3; b++ {
			k.SetSym(a, b, xtx[a][b])
		}
		if xtx[a][a] == 0 {
			k.SetSym(a, a, 1)
		} else {
			k.SetSym(a, a, xtx[a][a]*(1+m.opt.Lambda))
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(k) {
		return errors.New("forecast: TOWT occupancy fit not positive definite")
	}
	var w mat.VecDense
	if err := ch.SolveVecTo(&w, mat.NewVecDense(3, xty[:])); err != nil {
		return fmt.Errorf("forecast: TOWT occupancy solve: %w", err)
	}
	var under, count [TOWTSlots]int
	for r, T := range temp {
		pred := w.AtVec(0) + w.AtVec(1)*math.Max(hb-T, 0) + w.AtVec(2)*math.Max(T-cb, 0)
		s := slot[r]
		count[s]++
		if y[r] > pred {
			under[s]++
		}
	}
	for s := range m.occupied {
		m.occupied[s] = count[s] > 0 && float64(under[s]) > m.opt.OccupancyThreshold*float64(count[s])
	}
	return nil
}

// Predict returns the model's load for the n intervals of the fitted step
// starting at from, with the temperature of each interval looked up by time
// in temperature: the interval that contains its start when temperature is
// as coarse as the load or coarser, else the mean of the known temperature
// intervals that start within it. An interval with unknown temperature is
// NaN.
func (m *TOWT) Predict(temperature Series, from time.Time, n int) (Series, error) {
	if !m.fitted {
		return Series{}, ErrNotFitted
	}
	if n < 0 {
		return Series{}, ErrHorizon
	}
	out := Series{Start: from, Step: m.step, Values: make([]float64, n)}
	nt := len(m.knots) + 1
	f := make([]float64, nt)
	for i := range out.Values {
		at := out.Time(i)
		T := towtTemp(temperature, at, m.step)
		if math.IsNaN(T) {
			out.Values[i] = math.NaN()
			continue
		}
		s := towtSlot(at, m.loc)
		off := TOWTSlots
		if m.occupied[s] {
			off += nt
		}
		towtFeatures(f, T, m.knots)
		v := m.coef[s]
		for a, fa := range f {
			v += m.coef[off+a] * fa
		}
		out.Values[i] = v
	}
	return out, nil
}
