package forecast

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
)

const (
	ettPath  = "../../shared/datasets/ett-hourly/ETTh1.csv"
	sgscPath = "../../shared/datasets/sgsc-au-households-halfhourly/smart_meter10.csv.gz"
)

func openOrSkip(t testing.TB, path string) *bytes.Reader {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("real-data test skipped: %s not available (%v); it lives in the shared datasets checkout", path, err)
	}
	return bytes.NewReader(b)
}

func loadETT(t testing.TB) []Series {
	t.Helper()
	raw := openOrSkip(t, ettPath)
	r, err := maybeGzip(raw)
	if err != nil {
		t.Fatal(err)
	}
	names, ch, err := ReadWide(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 7 || ch[0].Len() != 17420 {
		t.Fatalf("ETTh1: %d channels of %d rows, want 7 of 17420", len(names), ch[0].Len())
	}
	return ch
}

// TestETTh1 runs the DLinear protocol at H=96 (about 2 s) by default, and at
// all four horizons with MDA_LONG_TESTS=1 outside -short.
func TestETTh1(t *testing.T) {
	ch := loadETT(t)
	horizons := []int{96}
	if os.Getenv("MDA_LONG_TESTS") == "1" && !testing.Short() {
		horizons = []int{96, 192, 336, 720}
	}
	res, err := BacktestETT(context.Background(), ch, &ETTOptions{Horizons: horizons})
	if err != nil {
		t.Fatal(err)
	}
	// Seasonal-naive reproduces the published protocol value exactly.
	if r := res[0]; !near(r.Baseline.MSE, 0.512, 0.0015) || !near(r.Baseline.MAE, 0.433, 0.0015) || r.Windows != 2785 {
		t.Errorf("H=96 seasonal-naive %.4f/%.4f over %d windows, want 0.512/0.433 over 2785", r.Baseline.MSE, r.Baseline.MAE, r.Windows)
	}
	for _, r := range res {
		ref := DLinearETTh1[r.Horizon]
		t.Logf("H=%d: linear MSE/MAE %.4f/%.4f, DLinear %.3f/%.3f, seasonal-naive %.4f/%.4f, lambda %v, %.1fs",
			r.Horizon, r.Model.MSE, r.Model.MAE, ref[0], ref[1], r.Baseline.MSE, r.Baseline.MAE, r.Lambda, r.Seconds)
		if r.Model.MSE > ref[0] {
			t.Errorf("H=%d: MSE %.4f above DLinear's %.3f", r.Horizon, r.Model.MSE, ref[0])
		}
		if r.Model.MAE > ref[1] {
			t.Errorf("H=%d: MAE %.4f above DLinear's %.3f", r.Horizon, r.Model.MAE, ref[1])
		}
		// Every metric of the JSON line is defined, and the model beats
		// the baseline on the scaled and the probabilistic ones too.
		for _, m := range []Metrics{r.Model, r.Baseline} {
			if math.IsNaN(m.MASE) || math.IsNaN(m.WQL) || m.MASE <= 0 || m.WQL <= 0 {
				t.Errorf("H=%d: MASE %v, WQL %v: want both defined", r.Horizon, m.MASE, m.WQL)
			}
		}
		if r.Model.MASE >= r.Baseline.MASE || r.Model.WQL >= r.Baseline.WQL {
			t.Errorf("H=%d: model MASE/WQL %.3f/%.3f not below seasonal-naive's %.3f/%.3f",
				r.Horizon, r.Model.MASE, r.Model.WQL, r.Baseline.MASE, r.Baseline.WQL)
		}
	}
	var out bytes.Buffer
	if err := WriteETT(&out, res); err != nil {
		t.Fatal(err)
	}
	checkLastLineJSON(t, out.String(), "results")
}

func TestSGSCLastWindow(t *testing.T) {
	raw := openOrSkip(t, sgscPath)
	r, err := maybeGzip(raw)
	if err != nil {
		t.Fatal(err)
	}
	meters, err := ReadLong(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if len(meters) != 10 {
		t.Fatalf("%d meters, want 10", len(meters))
	}
	res, err := BacktestLastWindow(context.Background(), meters, &LastWindowOptions{Season: 48, Horizon: 48, Origins: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mean MASE last window %.3f vs seasonal-naive %.3f; rolling %.3f vs %.3f; WQL %.3f vs %.3f; lambda %g; %.1fs",
		res.Model.MeanMASE, res.Baseline.MeanMASE, res.ModelRolling.MeanMASE, res.BaselineRolling.MeanMASE,
		res.ModelRolling.Pooled.WQL, res.BaselineRolling.Pooled.WQL, res.Lambda, res.Seconds)
	if res.Model.MeanMASE > 0.85*res.Baseline.MeanMASE {
		t.Errorf("last window: mean MASE %.3f not 15%% below seasonal-naive %.3f", res.Model.MeanMASE, res.Baseline.MeanMASE)
	}
	if res.ModelRolling.MeanMASE > 0.85*res.BaselineRolling.MeanMASE {
		t.Errorf("rolling: mean MASE %.3f not 15%% below seasonal-naive %.3f", res.ModelRolling.MeanMASE, res.BaselineRolling.MeanMASE)
	}
	for i, m := range meters {
		if !res.TrainEnd[i].Equal(m.Time(m.Len() - 48 - 6*48)) {
			t.Errorf("meter %s trained up to %v, want the earliest test window", m.ID, res.TrainEnd[i])
		}
	}
	var out bytes.Buffer
	if err := WriteLastWindow(&out, res); err != nil {
		t.Fatal(err)
	}
	checkLastLineJSON(t, out.String(), "model_rolling")
}

func checkLastLineJSON(t *testing.T, out, key string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	var v map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &v); err != nil {
		t.Fatalf("last line is not JSON: %v\n%s", err, out)
	}
	if _, ok := v[key]; !ok {
		t.Errorf("JSON lacks %q: %s", key, lines[len(lines)-1])
	}
	if len(lines) < 3 {
		t.Errorf("no table before the JSON:\n%s", out)
	}
}

func TestBacktestLastWindowSynthetic(t *testing.T) {
	// Two meters of different size and step phase; one with a gap.
	a, b := synth(24*7*20, 0, 0.8, 0.4, 11), synth(24*7*16, 0, 0.8, 0.4, 12)
	for i := range b.Values {
		b.Values[i] *= 5
	}
	for i := 1000; i < 1100; i++ {
		a.Values[i] = nan()
	}
	meters := []Meter{{ID: "a", Series: a}, {ID: "b", Series: b}}
	res, err := BacktestLastWindow(context.Background(), meters, &LastWindowOptions{Season: 24, Origins: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Meters) != 2 || res.Model.Pooled.N != 2*24 || res.ModelRolling.Pooled.N != 2*24*5 {
		t.Fatalf("meters %d, points %d / %d", len(res.Meters), res.Model.Pooled.N, res.ModelRolling.Pooled.N)
	}
	if res.ModelRolling.MeanMASE >= res.BaselineRolling.MeanMASE {
		t.Errorf("rolling mean MASE %.3f >= seasonal-naive %.3f", res.ModelRolling.MeanMASE, res.BaselineRolling.MeanMASE)
	}
	if _, err := BacktestLastWindow(context.Background(), []Meter{{ID: "tiny", Series: a.Slice(0, 10)}}, nil); err == nil {
		t.Error("tiny meter: no error")
	}
}
