package forecast

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func BenchmarkZZPerMeter(b *testing.B) {
	for _, days := range []int{56, 365} {
		for _, k := range []int{25, 1} {
			for _, nl := range []int{14, 5} {
				b.Run(fmt.Sprintf("days%d-k%d-lam%d", days, k, nl), func(b *testing.B) {
					s := synth(24*days, 0, 0.8, 0.4, 1)
					lams := []float64{1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300}
					if nl == 5 {
						lams = []float64{1e-3, 0.01, 0.1, 1, 10}
					}
					opts := &LinearOptions{MaxCalibration: 512, ScaleSeries: true, Lookback: 168, Horizon: 168, Kernel: k, Season: 24, Lambdas: lams, Exog: &Exog{TimeOfDay: true, DayOfWeek: true}}
					for b.Loop() {
						t0 := time.Now()
						if err := NewLinear(opts).Fit(context.Background(), []Series{s}); err != nil {
							b.Fatal(err)
						}
						_ = t0
					}
				})
			}
		}
	}
}
