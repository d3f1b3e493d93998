package forecast

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"
)

const towtSamplesDir = "../../shared/datasets/openeemeter-samples"

// towtMeta is one entry of the samples' metadata.json.
type towtMeta struct {
	ID             string  `json:"id"`
	TempFile       string  `json:"temperature_filename"`
	MeterFile      string  `json:"meter_data_filename"`
	BlackoutStart  string  `json:"blackout_start_date"`
	BlackoutEnd    string  `json:"blackout_end_date"`
	Freq           string  `json:"freq"`
	Interpretation string  `json:"interpretation"`
	Unit           string  `json:"unit"`
	BaselineTotal  float64 `json:"annual_baseline_total_load"`
	BaselineBase   float64 `json:"annual_baseline_base_load"`
	BaselineHeat   float64 `json:"annual_baseline_heating_load"`
	BaselineCool   float64 `json:"annual_baseline_cooling_load"`
	HeatBalance    float64 `json:"baseline_heating_balance_point"`
	CoolBalance    float64 `json:"baseline_cooling_balance_point"`
	ReportingTotal float64 `json:"annual_reporting_total_load"`
}

// readTOWTPoints reads one of the samples' CSVs: start,value (meters) or
// dt,tempF / ,dt,tempC (temperatures, the latter with a leading index
// column), gzip or not, with ISO-8601 offsets or naive (UTC) stamps and
// "nan" for missing values.
func readTOWTPoints(t testing.TB, path string) []Point {
	t.Helper()
	r, err := maybeGzip(openOrSkip(t, path))
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		t.Fatalf("%s: header: %v", path, err)
	}
	col := 0
	if strings.TrimSpace(head[0]) == "" { // pandas index column
		col = 1
	}
	if len(head) < col+2 {
		t.Fatalf("%s: header %q has no time,value columns", path, head)
	}
	var pts []Point
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s line %d: %v", path, line, err)
		}
		tm, err := parseTime(rec[col])
		if err != nil {
			t.Fatalf("%s line %d: %v", path, line, err)
		}
		v, err := parseValue(rec[col+1])
		if err != nil {
			t.Fatalf("%s line %d: %v", path, line, err)
		}
		pts = append(pts, Point{tm, v})
	}
	return pts
}

// fixDayMonthSwaps moves the points of dates whose day and month were
// swapped when the file was made (uk sample-2: the 1st and 2nd of every
// month of 2012 appear as 2012-01-03..12 and 2012-02-03..12, and
// 2014-01-03..02-12 as 2014-03-01..12-02). A date is moved when its day is
// at most 12, the swapped date is absent from the file, the date lies
// outside the span of the other dates and the swapped one inside it. It
// returns the number of dates moved.
func fixDayMonthSwaps(pts []Point) int {
	type ymd struct{ y, m, d int }
	key := func(t time.Time) ymd { return ymd{t.Year(), int(t.Month()), t.Day()} }
	before := func(a, b ymd) bool {
		return a.y < b.y || a.y == b.y && (a.m < b.m || a.m == b.m && a.d < b.d)
	}
	dates := map[ymd]bool{}
	for _, p := range pts {
		dates[key(p.Time)] = true
	}
	swap := func(k ymd) ymd { return ymd{k.y, k.d, k.m} }
	cand := map[ymd]bool{}
	var lo, hi ymd
	first := true
	for k := range dates {
		if k.d <= 12 && k.d != k.m && !dates[swap(k)] {
			cand[k] = true
			continue
		}
		if first || before(k, lo) {
			lo = k
		}
		if first || before(hi, k) {
			hi = k
		}
		first = false
	}
	inside := func(k ymd) bool { return !before(k, lo) && !before(hi, k) }
	moved := map[ymd]bool{}
	for k := range cand {
		if !inside(k) && inside(swap(k)) {
			moved[k] = true
		}
	}
	for i, p := range pts {
		if k := key(p.Time); moved[k] {
			pts[i].Time = time.Date(k.y, time.Month(k.d), k.m, p.Time.Hour(), p.Time.Minute(), p.Time.Second(), 0, p.Time.Location())
		}
	}
	return len(moved)
}

// towtHourly sums a sub-hourly energy series into whole clock hours (an
// hour with a missing part is missing); an hourly series is returned as is.
func towtHourly(s Series) Series {
	if s.Step == time.Hour || s.Len() == 0 {
		return s
	}
	k := int(time.Hour / s.Step)
	start := s.Start.Truncate(time.Hour)
	skip := int(s.Start.Sub(start) / s.Step) // parts of the first hour before Start
	n := (skip + s.Len() + k - 1) / k
	out := Series{Start: start, Step: time.Hour, Values: make([]float64, n)}
	for h := range out.Values {
		sum := 0.0
		for j := 0; j < k; j++ {
			i := h*k + j - skip
			if i < 0 || i >= s.Len() {
				sum = math.NaN()
				break
			}
			sum += s.Values[i]
		}
		out.Values[h] = sum
	}
	return out
}

// towtWindow is the part of s in [from, to), padded with NaN where s does
// not cover it.
func towtWindow(s Series, from, to time.Time) Series {
	n := int(to.Sub(from) / s.Step)
	out := Series{Start: from, Step: s.Step, Values: make([]float64, n)}
	off := int(from.Sub(s.Start) / s.Step)
	for i := range out.Values {
		j := off + i
		if j >= 0 && j < s.Len() {
			out.Values[i] = s.Values[j]
		} else {
			out.Values[i] = math.NaN()
		}
	}
	return out
}

// towtScore is CV(RMSE) and NMBE over n periods, as fractions.
type towtScore struct {
	N        int
	CV, NMBE float64
}

func (s towtScore) String() string {
	return fmt.Sprintf("%7.1f%% %7.1f%% (%4d)", 100*s.CV, 100*s.NMBE, s.N)
}

// towtHourlyScore scores hourly pairs; p > 0 applies ASHRAE Guideline 14's
// n-p degrees of freedom to both metrics (the calibration check).
func towtHourlyScore(actual, pred []float64, p int) towtScore {
	var a Accumulator
	a.AddPoint(actual, pred, 1)
	m := a.Metrics()
	s := towtScore{N: m.N, CV: m.CVRMSE, NMBE: m.NMBE}
	if p > 0 && m.N > p {
		n := float64(m.N)
		s.CV *= math.Sqrt(n / (n - float64(p)))
		s.NMBE *= n / (n - float64(p))
	}
	return s
}

// towtAggScore sums the hourly pairs into calendar days (monthly=false) or
// months in loc and scores the periods where at least 90% of the hours have
// both values. The n-p adjustment is not applied: an hourly model has more
// coefficients than a year has months.
func towtAggScore(actual, pred Series, loc *time.Location, monthly bool) towtScore {
	type agg struct {
		start, next time.Time
		y, f        float64
		n           int
	}
	var periods []*agg
	byStart := map[time.Time]*agg{}
	for i, y := range actual.Values {
		f := pred.Values[i]
		if math.IsNaN(y) || math.IsNaN(f) {
			continue
		}
		t := actual.Time(i).In(loc)
		var st, nx time.Time
		if monthly {
			st = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
			nx = st.AddDate(0, 1, 0)
		} else {
			st = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
			nx = st.AddDate(0, 0, 1)
		}
		a := byStart[st]
		if a == nil {
			a = &agg{start: st, next: nx}
			byStart[st] = a
			periods = append(periods, a)
		}
		a.y += y
		a.f += f
		a.n++
	}
	var ys, fs []float64
	for _, a := range periods {
		if float64(a.n) >= 0.9*a.next.Sub(a.start).Hours() {
			ys, fs = append(ys, a.y), append(fs, a.f)
		}
	}
	return towtHourlyScore(ys, fs, 0)
}

// towtFloor is the hourly CV(RMSE) no predictor can beat when each load
// is its mean mu times unit-mean exponential noise, as in the il-* samples:
// then E[(y-mu)²] = E[mu²] = E[y²]/2, so the floor is sqrt(mean(y²)/2) /
// mean(y), whatever mu is. It needs no model, only that noise model.
func towtFloor(actual []float64) float64 {
	var sy, sy2 float64
	n := 0
	for _, y := range actual {
		if !math.IsNaN(y) {
			sy += y
			sy2 += y * y
			n++
		}
	}
	return math.Sqrt(sy2/2/float64(n)) / (sy / float64(n))
}

// towtOracle is the CV(RMSE) of actual around a known constant mean mu,
// and the share of the values below it.
func towtOracle(actual []float64, mu float64) (cv, below float64) {
	var sy, se2 float64
	n, nb := 0, 0
	for _, y := range actual {
		if math.IsNaN(y) {
			continue
		}
		sy += y
		se2 += (y - mu) * (y - mu)
		n++
		if y < mu {
			nb++
		}
	}
	return math.Sqrt(se2/float64(n)) / (sy / float64(n)), float64(nb) / float64(n)
}

// towtSavingsUncertainty is ASHRAE Guideline 14's 90% uncertainty of a
// savings fraction (Annex B, Reddy and Claridge): 1.26 t CV sqrt((n/n')
// (1+2/n') / m), with CV the baseline CV(RMSE), n baseline points, n' =
// n (1-rho)/(1+rho) their effective number given the lag-1 autocorrelation
// rho of the baseline residuals, and m reporting points.
func towtSavingsUncertainty(actual, pred []float64, cv float64, m int) float64 {
	var res []float64
	for i, y := range actual {
		res = append(res, y-pred[i]) // NaN where either is missing
	}
	var num, den float64
	n := 0
	for i, e := range res {
		if math.IsNaN(e) {
			continue
		}
		n++
		den += e * e
		if i > 0 && !math.IsNaN(res[i-1]) {
			num += e * res[i-1]
		}
	}
	rho := num / den
	np := float64(n) * (1 - rho) / (1 + rho)
	const t90 = 1.645
	return 1.26 * t90 * cv * math.Sqrt(float64(n)/np*(1+2/np)/float64(m))
}

func towtMean(x []float64) float64 {
	var s float64
	n := 0
	for _, v := range x {
		if !math.IsNaN(v) {
			s += v
			n++
		}
	}
	return s / float64(n)
}

func towtSum(actual, pred []float64) (sy, sf float64) {
	for i, y := range actual {
		if f := pred[i]; !math.IsNaN(y) && !math.IsNaN(f) {
			sy += y
			sf += f
		}
	}
	return sy, sf
}

// towtResult is everything TestTOWTASHRAEGuideline14 measures on a sample.
type towtResult struct {
	id               string
	coverage         float64 // share of the baseline hours fitted
	params           int     // p of n-p
	occupied, bins   int
	inH, inD, inM    towtScore // baseline year, in sample (hourly with n-p)
	outH, outD, outM towtScore // reporting year, out of sample
	floor            float64   // model-free hourly noise floor, baseline
	oracle, below    float64   // intercept-only: CV around the documented mean, share below it
	savings          float64   // 1 - metered/predicted over the reporting year
	savingsU         float64   // its ASHRAE 90% uncertainty
	rawChange        float64   // mean metered load, reporting/baseline - 1: not weather-normalised
	adjOutM          towtScore // il-*: reporting year against 0.9 × prediction, monthly
	sufficient       bool      // baseline covers >= 90% of its hours (CalTRACK)
	known            bool      // il-*: synthetic, with the 10% savings known
}

// TestTOWTASHRAEGuideline14 fits the CalTRACK hourly TOWT model (168
// time-of-week coefficients, CalTRACK's temperature bins in the
// temperature's unit, occupancy segmentation) to the baseline year of
// every hourly OpenEEmeter sample (the 365 days before blackout_start_date)
// and scores it against ASHRAE Guideline 14: CV(RMSE) and NMBE in sample
// (hourly with n-p degrees of freedom) and out of sample on the 365 days
// from blackout_end_date, at hourly, daily and monthly aggregation.
//
// ASHRAE's hourly CV(RMSE) <= 30% is met on none of these files, and on the
// il-* ones no model can meet it:
//
//   - il-* (synthetic, 4 samples). eemeter's own docs call these samples
//     "completely unrealistic" and not for methods testing: every hour is
//     its mean mu (base plus heating/cooling response) times unit-mean
//     exponential noise. Checked on il-gas-intercept-only, documented as a
//     constant 1000 therm/year (mu = 0.1142/h): its hours have CV(RMSE)
//     100.0% around that exact constant, and 63.6% of them lie below it
//     (an exponential: 1-1/e = 63.2%). Under that noise E[(y-mu)²] =
//     E[mu²] = E[y²]/2 whatever mu is, so no prediction that does not see
//     the hour's own noise draw (weather, calendar, anything) can beat
//     sqrt(mean(y²)/2)/mean(y): 116.2% (cdd-hdd), 152.9% (cdd-only),
//     143.1% (gas hdd-only), 100.0% (intercept-only). The model sits on
//     that floor: 118.5%, 158.8%, 143.5%, 100.0% in sample (n-p). The
//     +3.9% gap of cdd-only is thermal lag, which CalTRACK's TOWT does not
//     model: with the temperature shifted 3 h later it fits 153.0%
//     (measured while writing this test; savings unchanged). Summing hours
//     averages the noise away, so the monthly criteria are met (2.7-6.1%
//     in sample).
//   - uk-* (real households). Hour-to-hour load is occupant behaviour, not
//     weather: the model leaves 74.6% (electricity sample-0) and 148.6%
//     (gas sample-0) in sample with 180 coefficients fitted to one year.
//     This is measured for this model class (time of week and
//     temperature); unlike il-* it is not a proof for every model. uk
//     samples 1 and 2 have 25% and 15% of a baseline year with
//     temperature (CalTRACK requires 90%): logged, not asserted.
//
// Asserted, because true and attainable: hourly |NMBE| <= 10% in sample
// (zero by construction: least squares with a coefficient per hour of the
// week); the monthly criteria (CV(RMSE) <= 15%, |NMBE| <= 5%) in sample;
// hourly CV(RMSE) > 30% (the claim above); for il-*, the model within
// -3%..+5% of the noise floor (and within 1% of the oracle on
// intercept-only), the known 10% savings recovered within ASHRAE's 90%
// fractional savings uncertainty (il-electricity-cdd-only recovers 6.4% ±
// 3.8%: inside, but only just), and the reporting year predicted within
// the monthly criteria once the known 10% is taken out. Out of sample the
// hourly and monthly NMBE of il-* are about -1/9 = -11.1% by design, and
// those of uk-* (no known savings: their metadata's 1000/900 "ground
// truth" is a copy of the intercept-only entry) are real changes in use;
// neither is a calibration failure, so neither is asserted.
func TestTOWTASHRAEGuideline14(t *testing.T) {
	raw := openOrSkip(t, towtSamplesDir+"/metadata.json")
	var meta map[string]towtMeta
	if err := json.NewDecoder(raw).Decode(&meta); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for id, m := range meta {
		if m.Freq == "hourly" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if len(ids) != 8 {
		t.Fatalf("%d hourly samples in metadata.json, want 8", len(ids))
	}
	temps := map[string]Series{}
	var results []towtResult
	for _, id := range ids {
		results = append(results, towtEvaluate(t, meta[id], temps))
	}

	const (
		hourlyCV, hourlyNMBE   = 0.30, 0.10 // ASHRAE G14 hourly calibration
		monthlyCV, monthlyNMBE = 0.15, 0.05 // ASHRAE G14 monthly calibration
	)
	met := func(s towtScore, cv, nmbe float64) string {
		v := [2]string{"no", "no"}
		if s.CV <= cv {
			v[0] = "ok"
		}
		if math.Abs(s.NMBE) <= nmbe {
			v[1] = "ok"
		}
		return v[0] + "/" + v[1]
	}
	t.Logf("CalTRACK TOWT on the hourly OpenEEmeter samples. Each cell: CV(RMSE) NMBE (periods) and whether ASHRAE G14's")
	t.Logf("CV/NMBE limits are met: 30%%/10%% hourly (also applied to daily), 15%%/5%% monthly. in = baseline year (hourly with n-p), out = reporting year.")
	t.Logf("%-40s %5s %3s | %-33s %-33s %-33s | %-33s %-33s %-33s | %6s | %14s %6s",
		"sample", "cover", "p", "in hourly", "in daily", "in monthly", "out hourly", "out daily", "out monthly",
		"floor", "savings ± 90%", "raw")
	for _, r := range results {
		t.Logf("%-40s %4.0f%% %3d | %s %s %s %s %s %s | %s %s %s %s %s %s | %6s | %5.1f%% ± %4.1f%% %5.1f%%",
			r.id, 100*r.coverage, r.params,
			r.inH, met(r.inH, hourlyCV, hourlyNMBE), r.inD, met(r.inD, hourlyCV, hourlyNMBE), r.inM, met(r.inM, monthlyCV, monthlyNMBE),
			r.outH, met(r.outH, hourlyCV, hourlyNMBE), r.outD, met(r.outD, hourlyCV, hourlyNMBE), r.outM, met(r.outM, monthlyCV, monthlyNMBE),
			towtPct(r.floor), 100*r.savings, 100*r.savingsU, 100*r.rawChange)
	}
	for _, r := range results {
		switch {
		case !r.oracleNaN():
			t.Logf("%-40s oracle (documented constant): CV %.1f%%, %.1f%% of hours below it (exponential: 63.2%%); model/floor %+.1f%%; reporting vs 0.9 x prediction, monthly: %s; occupied slots %d, bins %d",
				r.id, 100*r.oracle, 100*r.below, 100*(r.inH.CV/r.floor-1), r.adjOutM, r.occupied, r.bins)
		case r.known:
			t.Logf("%-40s model/floor %+.1f%%; reporting vs 0.9 x prediction, monthly: %s; occupied slots %d, bins %d",
				r.id, 100*(r.inH.CV/r.floor-1), r.adjOutM, r.occupied, r.bins)
		default:
			t.Logf("%-40s occupied slots %d, bins %d; baseline sufficient (>= 90%% of hours): %v", r.id, r.occupied, r.bins, r.sufficient)
		}
	}

	for _, r := range results {
		if !r.sufficient {
			continue // uk samples 1 and 2: logged only
		}
		// Attainable and met: ASHRAE's bias criterion in sample, and both
		// monthly criteria in sample.
		if math.Abs(r.inH.NMBE) > hourlyNMBE {
			t.Errorf("%s: in-sample hourly NMBE %.1f%%, ASHRAE wants |NMBE| <= 10%%", r.id, 100*r.inH.NMBE)
		}
		if r.inM.CV > monthlyCV || math.Abs(r.inM.NMBE) > monthlyNMBE {
			t.Errorf("%s: in-sample monthly CV(RMSE) %.1f%%, NMBE %.1f%%: ASHRAE wants <= 15%%, |.| <= 5%%", r.id, 100*r.inM.CV, 100*r.inM.NMBE)
		}
		// Not met, as the comment above says.
		if r.inH.CV <= hourlyCV {
			t.Errorf("%s: in-sample hourly CV(RMSE) %.1f%% meets 30%%; the comment above says it cannot", r.id, 100*r.inH.CV)
		}
		if !r.known {
			continue
		}
		// il-*: the noise floor is above 30% and the model is on it.
		if r.floor <= hourlyCV {
			t.Errorf("%s: noise floor %.1f%% <= 30%%, contradicting the comment above", r.id, 100*r.floor)
		}
		if d := r.inH.CV/r.floor - 1; d < -0.03 || d > 0.05 {
			t.Errorf("%s: in-sample hourly CV(RMSE) %.1f%% is %+.1f%% off the noise floor %.1f%%, want within -3%%..+5%%", r.id, 100*r.inH.CV, 100*d, 100*r.floor)
		}
		if !r.oracleNaN() {
			if d := r.inH.CV/r.oracle - 1; math.Abs(d) > 0.01 {
				t.Errorf("%s: in-sample hourly CV(RMSE) %.1f%% is %+.1f%% off the oracle %.1f%%", r.id, 100*r.inH.CV, 100*d, 100*r.oracle)
			}
			if math.Abs(r.below-(1-1/math.E)) > 0.015 || math.Abs(r.oracle-1) > 0.03 {
				t.Errorf("%s: %.3f of hours below the documented mean, CV %.3f around it: not the exponential noise the floor assumes", r.id, r.below, r.oracle)
			}
		}
		// The reporting year is 10% below the counterfactual by design:
		// savings 10% within ASHRAE's 90% savings uncertainty, and so an
		// out-of-sample NMBE near (0.9-1)/0.9 = -11.1%.
		if math.Abs(r.savings-0.10) > r.savingsU {
			t.Errorf("%s: savings %.1f%%, want 10%% ± %.1f%% (ASHRAE 90%% uncertainty)", r.id, 100*r.savings, 100*r.savingsU)
		}
		if want := -r.savings / (1 - r.savings); math.Abs(r.outH.NMBE-want) > 1e-9 {
			t.Errorf("%s: out-of-sample NMBE %.2f%%, want -s/(1-s) = %.2f%%", r.id, 100*r.outH.NMBE, 100*want)
		}
		// With the known 10% taken out, the baseline model predicts the
		// reporting year within ASHRAE's monthly criteria.
		if r.adjOutM.CV > monthlyCV || math.Abs(r.adjOutM.NMBE) > monthlyNMBE {
			t.Errorf("%s: reporting year vs 0.9 x prediction, monthly CV(RMSE) %.1f%%, NMBE %.1f%%", r.id, 100*r.adjOutM.CV, 100*r.adjOutM.NMBE)
		}
	}
}

func towtPct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

func (r towtResult) oracleNaN() bool { return math.IsNaN(r.oracle) }

func towtEvaluate(t *testing.T, m towtMeta, temps map[string]Series) towtResult {
	t.Helper()
	temp, ok := temps[m.TempFile]
	if !ok {
		var err error
		if temp, err = FromPoints(readTOWTPoints(t, towtSamplesDir+"/"+m.TempFile), time.Hour); err != nil {
			t.Fatal(err)
		}
		temps[m.TempFile] = temp
	}
	pts := readTOWTPoints(t, towtSamplesDir+"/"+m.MeterFile)
	if n := fixDayMonthSwaps(pts); n > 0 {
		t.Logf("%s: moved %d dates whose day and month were swapped", m.ID, n)
	}
	times := make([]time.Time, len(pts))
	for i, p := range pts {
		times[i] = p.Time
	}
	step, err := InferStep(times)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := FromPoints(pts, step)
	if err != nil {
		t.Fatal(err)
	}
	load := towtHourly(sub) // uk samples 1 and 2 are half-hourly
	loc := load.Start.Location()
	day := func(s string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	bs, be := day(m.BlackoutStart), day(m.BlackoutEnd)
	base := towtWindow(load, bs.AddDate(0, 0, -365), bs)
	rep := towtWindow(load, be, be.AddDate(0, 0, 365))

	celsius := strings.Contains(m.TempFile, "tempC")
	model := NewTOWT(&TOWTOptions{Celsius: celsius, Occupancy: true})
	if err := model.Fit(context.Background(), base, temp); err != nil {
		t.Fatalf("%s: %v", m.ID, err)
	}
	in, err := model.Predict(temp, base.Start, base.Len())
	if err != nil {
		t.Fatal(err)
	}
	out, err := model.Predict(temp, rep.Start, rep.Len())
	if err != nil {
		t.Fatal(err)
	}
	r := towtResult{id: m.ID, params: model.Params(), bins: len(model.Knots()) + 1, oracle: math.NaN()}
	r.coverage = float64(model.N()) / float64(base.Len())
	r.sufficient = r.coverage >= 0.9
	r.known = strings.HasPrefix(m.ID, "il-")
	for _, o := range model.Occupied() {
		if o {
			r.occupied++
		}
	}
	r.inH = towtHourlyScore(base.Values, in.Values, model.Params())
	r.inD = towtAggScore(base, in, loc, false)
	r.inM = towtAggScore(base, in, loc, true)
	r.outH = towtHourlyScore(rep.Values, out.Values, 0)
	r.outD = towtAggScore(rep, out, loc, false)
	r.outM = towtAggScore(rep, out, loc, true)
	r.floor = math.NaN()
	if r.known {
		r.floor = towtFloor(base.Values)
	}
	if r.known && m.BaselineHeat == 0 && m.BaselineCool == 0 {
		r.oracle, r.below = towtOracle(base.Values, m.BaselineTotal/float64(base.Len()))
	}
	ry, rf := towtSum(rep.Values, out.Values)
	r.savings = 1 - ry/rf
	r.savingsU = towtSavingsUncertainty(base.Values, in.Values, r.inH.CV, r.outH.N)
	r.rawChange = towtMean(rep.Values)/towtMean(base.Values) - 1
	if r.known {
		adj := out.Clone()
		for i := range adj.Values {
			adj.Values[i] *= 0.9
		}
		r.adjOutM = towtAggScore(rep, adj, loc, true)
	}
	return r
}

// towtSynth is hourly load = slot profile + 0.05 kWh/°C below 15 °C +
// 0.08 kWh/°C above 22 °C, with temperature a daily and seasonal cycle.
func towtSynth(hours int, noise float64, seed uint64) (load, temp Series) {
	start := time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC) // a Monday
	rng := rand.New(rand.NewPCG(seed, 7))
	load = Series{Start: start, Step: time.Hour, Values: make([]float64, hours)}
	temp = Series{Start: start, Step: time.Hour, Values: make([]float64, hours)}
	for i := range load.Values {
		day := float64(i) / 24
		T := 12 - 10*math.Cos(2*math.Pi*day/365) - 4*math.Cos(2*math.Pi*float64(i%24)/24)
		temp.Values[i] = T
		h := i % 24
		base := 0.3
		if h >= 7 && h < 9 || h >= 17 && h < 22 {
			base = 0.9
		}
		if (i/24)%7 >= 5 {
			base += 0.2
		}
		load.Values[i] = base + 0.05*math.Max(15-T, 0) + 0.08*math.Max(T-22, 0) + noise*rng.NormFloat64()
	}
	return load, temp
}

func TestTOWTRecoversSynthetic(t *testing.T) {
	load, temp := towtSynth(24*365, 0, 1)
	load.Values[100] = math.NaN()
	temp.Values[200] = math.NaN()
	m := NewTOWT(&TOWTOptions{Knots: []float64{15, 22}, Celsius: true})
	if err := m.Fit(context.Background(), load, temp); err != nil {
		t.Fatal(err)
	}
	if m.N() != 24*365-2 {
		t.Errorf("fitted %d hours, want %d (two NaN skipped)", m.N(), 24*365-2)
	}
	if m.Params() != TOWTSlots+3 {
		t.Errorf("Params %d, want %d", m.Params(), TOWTSlots+3)
	}
	// Predict a week of the following year: exact, since the model class
	// contains the generator.
	future, ftemp := towtSynth(24*372, 0, 1)
	from := future.Time(24 * 365)
	p, err := m.Predict(ftemp, from, 168)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range p.Values {
		if want := future.Values[24*365+i]; math.Abs(v-want) > 1e-6 {
			t.Fatalf("hour %d: predicted %.6f, want %.6f", i, v, want)
		}
	}
	if p.Start != from || p.Step != time.Hour {
		t.Errorf("prediction grid %v/%v, want %v/1h", p.Start, p.Step, from)
	}
	// Missing temperature gives a NaN prediction, not a guess.
	p, _ = m.Predict(temp, temp.Time(200), 1)
	if !math.IsNaN(p.Values[0]) {
		t.Errorf("prediction with a missing temperature = %v, want NaN", p.Values[0])
	}
}

func TestTOWTNoisySyntheticMeetsASHRAE(t *testing.T) {
	// A meter whose hourly noise is small enough for Guideline 14's hourly
	// criteria: the model must then meet them in and out of sample.
	load, temp := towtSynth(24*730, 0.05, 3)
	m := NewTOWT(&TOWTOptions{Celsius: true, Occupancy: true})
	base := load.Slice(0, 24*365)
	if err := m.Fit(context.Background(), base, temp); err != nil {
		t.Fatal(err)
	}
	in, _ := m.Predict(temp, base.Start, base.Len())
	out, _ := m.Predict(temp, load.Time(24*365), 24*365)
	si := towtHourlyScore(base.Values, in.Values, m.Params())
	so := towtHourlyScore(load.Values[24*365:], out.Values, 0)
	t.Logf("synthetic, noise sd 0.05 kWh: in sample %s, out of sample %s", si, so)
	if si.CV > 0.30 || math.Abs(si.NMBE) > 0.10 || so.CV > 0.30 || math.Abs(so.NMBE) > 0.10 {
		t.Errorf("in sample %v, out of sample %v: want CV(RMSE) <= 30%%, |NMBE| <= 10%%", si, so)
	}
}

func TestTOWTFeaturesAndKnots(t *testing.T) {
	// CalTRACK 2.0 §3.9.2's worked example.
	want := map[float64][]float64{
		20:  {20, 0, 0, 0, 0, 0, 0},
		40:  {30, 10, 0, 0, 0, 0, 0},
		50:  {30, 15, 5, 0, 0, 0, 0},
		60:  {30, 15, 10, 5, 0, 0, 0},
		70:  {30, 15, 10, 10, 5, 0, 0},
		80:  {30, 15, 10, 10, 10, 5, 0},
		100: {30, 15, 10, 10, 10, 15, 10},
	}
	f := make([]float64, 7)
	for T, w := range want {
		towtFeatures(f, T, CalTRACKKnotsF)
		for i := range w {
			if f[i] != w[i] {
				t.Errorf("T=%v: features %v, want %v", T, f, w)
				break
			}
		}
	}
	for i, k := range CalTRACKKnotsF {
		if c := (k - 32) * 5 / 9; math.Abs(CalTRACKKnotsC[i]-c) > 1e-12 {
			t.Errorf("CalTRACKKnotsC[%d] = %v, want %v", i, CalTRACKKnotsC[i], c)
		}
	}
	// 10 hours below 30 °F: the first bin merges upward (30 dropped); 5
	// hours above 90: the last bin merges downward (90 dropped).
	var temps []float64
	for i := 0; i < 10; i++ {
		temps = append(temps, 20)
	}
	for _, c := range []float64{40, 50, 60, 70, 80} {
		for i := 0; i < 30; i++ {
			temps = append(temps, c)
		}
	}
	for i := 0; i < 5; i++ {
		temps = append(temps, 95)
	}
	got := towtMergeKnots(CalTRACKKnotsF, temps, 20)
	if fmt.Sprint(got) != "[45 55 65 75]" {
		t.Errorf("merged knots %v, want [45 55 65 75]", got)
	}
	if got := towtMergeKnots(CalTRACKKnotsF, temps, -1); len(got) != 6 {
		t.Errorf("MinBinHours<0 kept %v", got)
	}
	// Slots start on Monday.
	mon := time.Date(2024, 1, 1, 0, 30, 0, 0, time.UTC)
	if s := towtSlot(mon, nil); s != 0 {
		t.Errorf("Monday 00:30 slot %d", s)
	}
	if s := towtSlot(mon.Add(-time.Hour), nil); s != 167 {
		t.Errorf("Sunday 23:30 slot %d", s)
	}
}

func TestTOWTTemperatureLookup(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	hourly := Series{Start: t0, Step: time.Hour, Values: []float64{1, 2, 3}}
	if v := towtTemp(hourly, t0.Add(90*time.Minute), 30*time.Minute); v != 2 {
		t.Errorf("half-hour in hour 1: %v", v)
	}
	if v := towtTemp(hourly, t0.Add(-time.Minute), time.Hour); !math.IsNaN(v) {
		t.Errorf("before the series: %v", v)
	}
	quarter := Series{Start: t0, Step: 15 * time.Minute, Values: []float64{1, 2, math.NaN(), 6, 10}}
	if v := towtTemp(quarter, t0, time.Hour); v != 3 {
		t.Errorf("mean of 1,2,6 = %v, want 3", v)
	}
	if v := towtTemp(quarter, t0.Add(-30*time.Minute), time.Hour); v != 1.5 {
		t.Errorf("hour half before the series = %v, want 1.5", v)
	}
	// Errors.
	m := NewTOWT(nil)
	if _, err := m.Predict(hourly, t0, 1); !errors.Is(err, ErrNotFitted) {
		t.Errorf("unfitted Predict: %v", err)
	}
	if err := m.Fit(context.Background(), hourly, hourly); !errors.Is(err, ErrTOWTData) {
		t.Errorf("3 hours: %v, want ErrTOWTData", err)
	}
}

func TestTOWTDayMonthSwapFix(t *testing.T) {
	var pts []Point
	add := func(y int, m time.Month, d int) {
		pts = append(pts, Point{Time: time.Date(y, m, d, 12, 0, 0, 0, time.UTC), Value: 1})
	}
	for d := time.Date(2012, 2, 20, 0, 0, 0, 0, time.UTC); d.Before(time.Date(2012, 6, 1, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
		if d.Day() > 2 {
			add(d.Year(), d.Month(), d.Day())
		}
	}
	add(2012, 1, 3) // really 2012-03-01
	add(2012, 2, 4) // really 2012-04-02
	if n := fixDayMonthSwaps(pts); n != 2 {
		t.Fatalf("moved %d dates, want 2", n)
	}
	got := pts[len(pts)-2].Time.Format(time.DateOnly) + " " + pts[len(pts)-1].Time.Format(time.DateOnly)
	if got != "2012-03-01 2012-04-02" {
		t.Errorf("moved to %s", got)
	}
}

func BenchmarkTOWTFit(b *testing.B) {
	load, temp := towtSynth(24*365, 0.05, 1)
	opts := &TOWTOptions{Celsius: true, Occupancy: true}
	b.ReportAllocs()
	for b.Loop() {
		if err := NewTOWT(opts).Fit(context.Background(), load, temp); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(load.Len())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
