package forecast_test

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/openmda/mda/forecast"
)

// daily is a half-hourly series with a fixed daily shape: 0.2 kWh at night,
// 1.0 kWh from 18:00 to 22:00.
func daily(days int) forecast.Series {
	start := time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	v := make([]float64, 48*days)
	for i := range v {
		v[i] = 0.2
		if slot := i % 48; slot >= 36 && slot < 44 {
			v[i] = 1.0
		}
	}
	return forecast.Series{Start: start, Step: 30 * time.Minute, Values: v}
}

func ExampleSeasonalNaive() {
	s := daily(3)
	f, err := forecast.SeasonalNaive{Season: 48}.Predict(s, 48)
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Start.Format(time.DateTime), f.Point[0], f.Point[36])
	// Output: 2024-03-07 00:00:00 0.2 1
}

func ExampleLinear() {
	s := daily(60)
	m := forecast.NewLinear(&forecast.LinearOptions{Lookback: 7 * 48, Horizon: 48})
	if err := m.Fit(context.Background(), []forecast.Series{s}); err != nil {
		panic(err)
	}
	f, err := m.Predict(s, 48)
	if err != nil {
		panic(err)
	}
	fmt.Printf("19:00 forecast %.2f kWh, 03:00 forecast %.2f kWh\n", f.Point[38], f.Point[6])
	// Output: 19:00 forecast 1.00 kWh, 03:00 forecast 0.20 kWh
}

func ExampleFromPoints() {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := forecast.FromPoints([]forecast.Point{
		{Time: t0, Value: 1.5},
		{Time: t0.Add(90 * time.Minute), Value: 2.5},
	}, 30*time.Minute)
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Values, s.Missing())
	// Output: [1.5 NaN NaN 2.5] 2
}

func ExampleMASE() {
	train := []float64{1, 2, 1, 2, 1, 3} // seasonal-naive (m=2) MAE: (0+0+0+1)/4
	actual := []float64{1, 2}
	pred := []float64{1.25, 2}
	fmt.Println(forecast.MASE(actual, pred, train, 2), forecast.MAE(actual, pred))
	fmt.Println(math.IsNaN(forecast.MAE([]float64{math.NaN()}, []float64{1})))
	// Output:
	// 0.5 0.125
	// true
}
