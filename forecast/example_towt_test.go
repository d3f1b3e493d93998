package forecast_test

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/openmda/mda/forecast"
)

// ExampleTOWT measures the savings of a retrofit with CalTRACK's hourly
// model: fit the baseline year, predict the reporting year from its
// temperatures, and compare with the metered load.
func ExampleTOWT() {
	// Two years of hourly load and outdoor temperature (°C): a daily
	// profile, electric heating below 15 °C and cooling above 22 °C, and a
	// retrofit that cuts everything by 10% from the second year.
	start := time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC) // a Monday
	const year = 365 * 24
	temp := forecast.Series{Start: start, Step: time.Hour, Values: make([]float64, 2*year)}
	load := forecast.Series{Start: start, Step: time.Hour, Values: make([]float64, 2*year)}
	for i := range load.Values {
		T := 12 - 12*math.Cos(2*math.Pi*float64(i)/year) - 4*math.Cos(2*math.Pi*float64(i%24)/24)
		kwh := 0.3 + 0.05*math.Max(15-T, 0) + 0.08*math.Max(T-22, 0)
		if h := i % 24; h >= 17 && h < 22 {
			kwh += 0.6
		}
		if i >= year {
			kwh *= 0.9
		}
		temp.Values[i], load.Values[i] = T, kwh
	}

	m := forecast.NewTOWT(&forecast.TOWTOptions{Celsius: true})
	baseline := load.Slice(0, year)
	if err := m.Fit(context.Background(), baseline, temp); err != nil {
		panic(err)
	}
	fitted, _ := m.Predict(temp, baseline.Start, baseline.Len())
	reporting := load.Slice(year, 2*year)
	counterfactual, err := m.Predict(temp, reporting.Start, reporting.Len())
	if err != nil {
		panic(err)
	}
	var metered, predicted float64
	for i, v := range reporting.Values {
		metered += v
		predicted += counterfactual.Values[i]
	}
	fmt.Printf("temperature bins %d, coefficients %d\n", len(m.Knots())+1, m.Params())
	fmt.Printf("baseline fit: CV(RMSE) %.1f%%, |NMBE| %.1f%%\n",
		100*forecast.CVRMSE(baseline.Values, fitted.Values), 100*math.Abs(forecast.NMBE(baseline.Values, fitted.Values)))
	fmt.Printf("reporting year: predicted %.0f kWh, metered %.0f kWh, savings %.1f%%\n",
		predicted, metered, 100*(1-metered/predicted))
	// Output:
	// temperature bins 6, coefficients 174
	// baseline fit: CV(RMSE) 2.4%, |NMBE| 0.0%
	// reporting year: predicted 6475 kWh, metered 5827 kWh, savings 10.0%
}
