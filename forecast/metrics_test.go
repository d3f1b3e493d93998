package forecast

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}

func TestPointMetrics(t *testing.T) {
	nan := math.NaN()
	// Pairs (1,2) (2,2) (3,1); the NaN pair is skipped. Errors y−f: −1, 0, 2.
	actual := []float64{1, 2, 3, nan}
	pred := []float64{2, 2, 1, 5}
	train := []float64{1, 2, 4, 3} // |Δ| = 1, 2, 1: seasonal (m=1) scale 4/3
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"MAE", MAE(actual, pred), 1},
		{"MSE", MSE(actual, pred), 5.0 / 3},
		{"sMAPE", SMAPE(actual, pred), 100.0 / 3 * (2.0/3 + 0 + 1)},
		{"CVRMSE", CVRMSE(actual, pred), math.Sqrt(5.0/3) / 2},
		{"NMBE", NMBE(actual, pred), 1.0 / 6},
		{"SeasonalScale", SeasonalScale(train, 1), 4.0 / 3},
		// |2−1|, |7−5|, NaN skipped, |9−7|
		{"SeasonalScale m=2", SeasonalScale([]float64{1, 5, 2, 7, nan, 9}, 2), (1 + 2 + 2) / 3.0},
		{"MASE", MASE(actual, pred, train, 1), 0.75},
		{"MAE all missing", MAE([]float64{nan}, []float64{1}), nan},
		{"MASE flat train", MASE(actual, pred, []float64{2, 2, 2}, 1), nan},
		{"sMAPE both zero", SMAPE([]float64{0, 1}, []float64{0, 3}), 100.0 / 2 * (0 + 2*2.0/4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !near(tt.got, tt.want, 1e-12) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestWQLAndCoverage(t *testing.T) {
	// Pinball sums: q=.1: .1·1 + .9·1 = 1.0; q=.5: 0; q=.9: .1·1 + .1·2 = .3.
	// WQL = mean(2·1.0/3, 0, 2·.3/3).
	f := Forecast{P10: []float64{0, 3}, P50: []float64{1, 2}, P90: []float64{2, 4}, Point: []float64{1, 2}}
	actual := []float64{1, 2}
	if got, want := WQL(actual, f), (2.0/3+0+0.2)/3; !near(got, want, 1e-12) {
		t.Errorf("WQL = %v, want %v", got, want)
	}
	var a Accumulator
	a.Add(actual, f.Point, f, 1)
	if got, want := a.Metrics().Coverage, [3]float64{0.5, 1, 1}; got != want {
		t.Errorf("coverage = %v, want %v", got, want)
	}
}

func TestAccumulatorMergeIsPooled(t *testing.T) {
	// WQL and CV(RMSE) of two windows are ratios of totals, not means of ratios.
	var a, b, all Accumulator
	f1 := Forecast{Point: []float64{1}, P10: []float64{1}, P50: []float64{1}, P90: []float64{1}}
	f2 := Forecast{Point: []float64{10}, P10: []float64{10}, P50: []float64{10}, P90: []float64{10}}
	a.Add([]float64{2}, f1.Point, f1, 1)
	b.Add([]float64{20}, f2.Point, f2, 4)
	all.Add([]float64{2}, f1.Point, f1, 1)
	all.Add([]float64{20}, f2.Point, f2, 4)
	a.Merge(&b)
	got, want := a.Metrics(), all.Metrics()
	if !near(got.WQL, want.WQL, 1e-12) || !near(got.CVRMSE, want.CVRMSE, 1e-12) || got.N != 2 {
		t.Errorf("merged %+v, want %+v", got, want)
	}
	// MASE: (1/1 + 10/4)/2.
	if !near(got.MASE, 1.75, 1e-12) {
		t.Errorf("MASE = %v, want 1.75", got.MASE)
	}
}

func TestMetricsJSONNull(t *testing.T) {
	var a Accumulator
	b, err := json.Marshal(a.Metrics())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"mae":null`) || !strings.Contains(string(b), `"n":0`) {
		t.Errorf("empty metrics JSON = %s", b)
	}
}
