package forecast

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

func TestTmpETT(t *testing.T) {
	r, c, err := OpenFile("../../shared/datasets/ett-hourly/ETTh1.csv")
	if err != nil { t.Skip(err) }
	defer c.Close()
	_, ch, err := ReadWide(context.Background(), r)
	if err != nil { t.Fatal(err) }
	norm := map[string]Norm{"mean": NormMean, "last": NormLast, "none": NormNone}[os.Getenv("NORM")]
	k := 0
	fmt.Sscan(os.Getenv("KERNEL"), &k)
	st := time.Now()
	res, err := BacktestETT(context.Background(), ch, &ETTOptions{Horizons: []int{96,192,336,720}, Individual: os.Getenv("IND") != "", Linear: &LinearOptions{Norm: norm, Kernel: k}})
	if err != nil { t.Fatal(err) }
	for _, r := range res {
		fmt.Printf("H=%d win=%d lam=%v val=%.4f  model %.4f/%.4f  naive %.4f/%.4f  %.1fs\n", r.Horizon, r.Windows, r.Lambda, r.ValMSE, r.Model.MSE, r.Model.MAE, r.Baseline.MSE, r.Baseline.MAE, r.Seconds)
	}
	fmt.Println(time.Since(st))
}
