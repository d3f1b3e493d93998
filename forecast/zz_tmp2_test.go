package forecast

import (
	"context"
	"fmt"
	"testing"
)

func TestTmpSGSC(t *testing.T) {
	r, c, err := OpenFile("../../shared/datasets/sgsc-au-households-halfhourly/smart_meter10.csv.gz")
	if err != nil { t.Skip(err) }
	defer c.Close()
	ms, err := ReadLong(context.Background(), r)
	if err != nil { t.Fatal(err) }
	for _, m := range ms { fmt.Println(m.ID, m.Start, m.Step, m.Len(), m.Missing()) }
	res, err := BacktestLastWindow(context.Background(), ms, nil)
	if err != nil { t.Fatal(err) }
	for _, m := range res.Meters {
		fmt.Printf("%s last %.3f vs %.3f   roll %.3f vs %.3f  cov %.2f\n", m.ID, m.Model.MASE, m.Baseline.MASE, m.ModelRolling.MASE, m.BaselineRolling.MASE, m.ModelRolling.Coverage)
	}
	fmt.Printf("lam %v  last %.3f vs %.3f (wql %.3f vs %.3f)  roll %.3f vs %.3f (wql %.3f vs %.3f) %.1fs\n", res.Lambda, res.Model.MeanMASE, res.Baseline.MeanMASE, res.Model.Pooled.WQL, res.Baseline.Pooled.WQL,
		res.ModelRolling.MeanMASE, res.BaselineRolling.MeanMASE, res.ModelRolling.Pooled.WQL, res.BaselineRolling.Pooled.WQL, res.Seconds)
}
