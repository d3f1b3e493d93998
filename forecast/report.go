package forecast

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

// DLinearETTh1 are the published DLinear (look-back 336) MSE and MAE on
// ETTh1 by horizon (Zeng et al., AAAI 2023, Table 3), the bar BacktestETT
// reports against.
var DLinearETTh1 = map[int][2]float64{96: {0.375, 0.399}, 192: {0.405, 0.416}, 336: {0.439, 0.443}, 720: {0.472, 0.490}}

// WriteETT prints a table of BacktestETT results and, as its last line, one
// JSON object with every metric, for scripts that parse the output.
func WriteETT(w io.Writer, rs []ETTResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "horizon\twindows\tlinear MSE\tlinear MAE\tDLinear MSE\tDLinear MAE\tsnaive MSE\tsnaive MAE\tlambda\tseconds\t")
	for _, r := range rs {
		ref, ok := DLinearETTh1[r.Horizon]
		if !ok {
			ref = [2]float64{math.NaN(), math.NaN()}
		}
		fmt.Fprintf(tw, "%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%v\t%.1f\t\n", r.Horizon, r.Windows,
			r.Model.MSE, r.Model.MAE, ref[0], ref[1], r.Baseline.MSE, r.Baseline.MAE, r.Lambda, r.Seconds)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	type dl struct {
		MSE float64 `json:"mse"`
		MAE float64 `json:"mae"`
	}
	refs := map[string]dl{}
	for _, r := range rs {
		if ref, ok := DLinearETTh1[r.Horizon]; ok {
			refs[fmt.Sprint(r.Horizon)] = dl{ref[0], ref[1]}
		}
	}
	return writeJSONLine(w, map[string]any{"protocol": "ett", "results": rs, "dlinear_published": refs})
}

// WriteLastWindow prints per-meter and mean scores of BacktestLastWindow and,
// as its last line, one JSON object with every metric.
func WriteLastWindow(w io.Writer, r LastWindowResult) error {
	fmt.Fprintf(w, "linear: look-back %d, horizon %d, lambda %g; seasonal-naive: season %d; %d origins %d intervals apart\n\n",
		r.Lookback, r.Horizon, r.Lambda, r.Season, r.Origins, r.Stride)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "meter\tMASE\tsnaive MASE\tMAE\tsnaive MAE\tWQL\tsnaive WQL\trolling MASE\tsnaive rolling MASE\trolling WQL\tsnaive rolling WQL\t")
	for _, m := range r.Meters {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.4f\t%.4f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", m.ID,
			m.Model.MASE, m.Baseline.MASE, m.Model.MAE, m.Baseline.MAE, m.Model.WQL, m.Baseline.WQL,
			m.ModelRolling.MASE, m.BaselineRolling.MASE, m.ModelRolling.WQL, m.BaselineRolling.WQL)
	}
	fmt.Fprintf(tw, "mean\t%.3f\t%.3f\t%.4f\t%.4f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t\n",
		r.Model.MeanMASE, r.Baseline.MeanMASE, r.Model.MeanMAE, r.Baseline.MeanMAE, r.Model.MeanWQL, r.Baseline.MeanWQL,
		r.ModelRolling.MeanMASE, r.BaselineRolling.MeanMASE, r.ModelRolling.MeanWQL, r.BaselineRolling.MeanWQL)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nmean MASE vs seasonal-naive: last window %+.1f%%, rolling %+.1f%%; pooled WQL %.3f vs %.3f (rolling %.3f vs %.3f); %.1fs\n",
		100*(r.Model.MeanMASE/r.Baseline.MeanMASE-1), 100*(r.ModelRolling.MeanMASE/r.BaselineRolling.MeanMASE-1),
		r.Model.Pooled.WQL, r.Baseline.Pooled.WQL, r.ModelRolling.Pooled.WQL, r.BaselineRolling.Pooled.WQL, r.Seconds)
	return writeJSONLine(w, map[string]any{
		"protocol": "last-window", "season": r.Season, "horizon": r.Horizon, "lookback": r.Lookback,
		"origins": r.Origins, "stride": r.Stride, "lambda": r.Lambda, "seconds": r.Seconds,
		"model": r.Model, "seasonal_naive": r.Baseline,
		"model_rolling": r.ModelRolling, "seasonal_naive_rolling": r.BaselineRolling,
		"meters": r.Meters,
	})
}

// MarshalJSON writes a NaN mean as null.
func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		"mean_mase": jsonNum(s.MeanMASE), "mean_mae": jsonNum(s.MeanMAE), "mean_wql": jsonNum(s.MeanWQL), "pooled": s.Pooled,
	})
}

func jsonNum(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("forecast: encoding results: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
