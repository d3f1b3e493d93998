package forecast_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"

	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/forecast"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/tables"
)

// loadWeather loads the generator's hourly weather over [from, to) into
// the lake's weather table, as `mda dataflow weather` does, for the station
// "" of a load without a station column.
func loadWeather(t *testing.T, lake *blob.Bucket, g *simulator.Generator, from, to time.Time) {
	t.Helper()
	loadStation(t, lake, g, "", from, to)
}

func loadStation(t *testing.T, lake *blob.Bucket, g *simulator.Generator, station string, from, to time.Time) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := g.WriteWeatherCSV(&buf, &simulator.WeatherOptions{From: from, To: to}); err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"w.csv": &fstest.MapFile{Data: buf.Bytes()}}
	if err := dataflow.Run(context.Background(), dataflow.NewWeatherFlow(&dataflow.WeatherOptions{Station: station}), fsys, lake, nil); err != nil {
		t.Fatal(err)
	}
}

// TestTrainRunWeather trains with temperature regressors from the lake's
// weather table and forecasts with the weather forecast from the table or
// from RunOptions, and checks the errors that say what is missing.
func TestTrainRunWeather(t *testing.T) {
	ctx := context.Background()
	lake := memBucket(t)
	opts := &simulator.Options{Meters: 8, Days: 56, Seed: 1}
	if err := writeTruth(ctx, lake, opts); err != nil {
		t.Fatal(err)
	}
	g, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	start := g.Options().Start
	end := start.Add(56 * 24 * time.Hour)
	train := func(model string, w *forecast.Weather) (forecast.Manifest, error) {
		st, err := forecast.Train(ctx, lake, &forecast.TrainOptions{Model: model, MaxMeters: 5, Weather: w})
		return st.Manifest, err
	}

	if _, err := train("w", &forecast.Weather{}); !errors.Is(err, forecast.ErrNoWeather) {
		t.Fatalf("Train with no weather table: error %v, want ErrNoWeather", err)
	}
	// Half the window's weather is not enough.
	loadWeather(t, lake, g, start.Add(28*24*time.Hour), end)
	if _, err := train("w", &forecast.Weather{}); !errors.Is(err, forecast.ErrNoWeather) || !strings.Contains(err.Error(), "training window") {
		t.Fatalf("Train with half the window's weather: error %v, want ErrNoWeather for the training window", err)
	}
	if _, err := train("w", &forecast.Weather{Station: "elsewhere"}); !errors.Is(err, forecast.ErrNoWeather) {
		t.Fatalf("Train for a station without weather: error %v, want ErrNoWeather", err)
	}
	// Another station's weather is not the station "" (for which the
	// weather table's query means every station).
	loadStation(t, lake, g, "elsewhere", start, end)
	if _, err := train("w", &forecast.Weather{}); !errors.Is(err, forecast.ErrNoWeather) {
		t.Fatalf("Train for station \"\" with another station's weather: error %v, want ErrNoWeather", err)
	}
	loadWeather(t, lake, g, start, end)

	man, err := train("w", &forecast.Weather{})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := train("plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	if man.Weather == nil || man.Weather.Station != "" {
		t.Fatalf("manifest weather %+v, want station \"\"", man.Weather)
	}
	if x := man.Linear.Exog; x == nil || x.Temperature.Len() != 0 || x.BaseTemp != 18 {
		t.Fatalf("manifest regressors %+v: want no stored temperatures, base 18", x)
	}
	if strings.TrimPrefix(man.Version, man.To.Format("20060102T15Z")) == strings.TrimPrefix(plain.Version, plain.To.Format("20060102T15Z")) {
		t.Errorf("versions %s and %s: the weather does not change the version", man.Version, plain.Version)
	}
	mj, err := lake.ReadAll(ctx, forecast.ModelDir("w", man.Version)+"manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(mj) > 16<<10 {
		t.Errorf("manifest of %d bytes: temperatures stored in it?", len(mj))
	}
	t.Logf("held-out median MASE %.3f with temperature, %.3f without, seasonal-naive %.3f", man.Holdout.MedianMASE, plain.Holdout.MedianMASE, man.SeasonalNaive.MedianMASE)
	if _, err := forecast.LoadShard(ctx, lake, man, 0); err == nil || !strings.Contains(err.Error(), "temperature") {
		t.Errorf("LoadShard without temperatures: error %v", err)
	}

	// The weather table ends where the readings do: no forecast.
	_, err = forecast.Run(ctx, lake, &forecast.RunOptions{Model: "w", Start: end})
	if !errors.Is(err, forecast.ErrNoWeather) || !strings.Contains(err.Error(), "forecast period") {
		t.Fatalf("Run without a weather forecast: error %v, want ErrNoWeather for the forecast period", err)
	}
	// A weather forecast passed in.
	temp := forecast.Series{Start: end.Add(-168 * time.Hour), Step: time.Hour, Values: make([]float64, 2*168)}
	for i := range temp.Values {
		temp.Values[i] = math.Round(10*g.Temperature(temp.Time(i))) / 10 // as the table holds it
	}
	passed, err := forecast.Run(ctx, lake, &forecast.RunOptions{Model: "w", Start: end, Temperature: temp})
	if err != nil {
		t.Fatal(err)
	}
	if passed.Meters != 5 || passed.Rows != 5*168 || !passed.Start.Equal(end) {
		t.Fatalf("run: %d meters, %d rows from %v; want 5, 840 from %v", passed.Meters, passed.Rows, passed.Start, end)
	}
	fromOptions, _ := readTable[tables.ForecastRow](t, lake, tables.ForecastDir("w", end))

	// Only the week ahead passed in: the look-back comes from the table.
	week := forecast.Series{Start: end, Step: time.Hour, Values: temp.Values[168:]}
	if _, err := forecast.Run(ctx, lake, &forecast.RunOptions{Model: "w", Start: end, Temperature: week}); err != nil {
		t.Fatal(err)
	}
	weekOnly, _ := readTable[tables.ForecastRow](t, lake, tables.ForecastDir("w", end))
	if diff := cmp.Diff(fromOptions, weekOnly); diff != "" {
		t.Errorf("forecasts with the week ahead passed in differ from those with both weeks (-both +week):\n%s", diff)
	}
	if _, err := forecast.Run(ctx, lake, &forecast.RunOptions{Model: "w", Start: end, Temperature: forecast.Series{Start: end, Values: week.Values}}); err == nil {
		t.Error("Run with temperatures without a step: no error")
	}

	// The same forecast in the weather table gives the same forecasts.
	loadWeather(t, lake, g, end, end.Add(168*time.Hour))
	if _, err := forecast.Run(ctx, lake, &forecast.RunOptions{Model: "w", Start: end}); err != nil {
		t.Fatal(err)
	}
	fromTable, _ := readTable[tables.ForecastRow](t, lake, tables.ForecastDir("w", end))
	if diff := cmp.Diff(fromOptions, fromTable); diff != "" {
		t.Errorf("forecasts from the table differ from those with the same temperatures passed in (-passed +table):\n%s", diff)
	}
	// A forecast 8 °C warmer moves them: the regressors are live.
	for i := range temp.Values {
		temp.Values[i] += 8
	}
	if _, err := forecast.Run(ctx, lake, &forecast.RunOptions{Model: "w", Start: end, Temperature: temp}); err != nil {
		t.Fatal(err)
	}
	warmer, _ := readTable[tables.ForecastRow](t, lake, tables.ForecastDir("w", end))
	moved := 0
	for i := range warmer {
		if warmer[i].P50 != fromTable[i].P50 {
			moved++
		}
	}
	if moved < len(warmer)/2 {
		t.Errorf("an 8 °C warmer week moved %d of %d forecasts", moved, len(warmer))
	}

	// Temperatures in the template cannot be found again by Run.
	lin := forecast.MeterModelOptions()
	lin.Exog.Temperature = temp
	if _, err := forecast.Train(ctx, lake, &forecast.TrainOptions{Model: "x", Linear: lin}); err == nil || !strings.Contains(err.Error(), "TrainOptions.Weather") {
		t.Errorf("Train with template temperatures: error %v", err)
	}
}

// TestTemperatureRegressorsRollingOrigins measures what the temperature
// regressors gain a pooled model of simulated households (250 meters, 110
// days of training, March to June): week-ahead forecasts from 34 daily
// origins after the training window, with the true temperature as the
// weather forecast. The simulator's heating and cooling are a minority of
// the load and differ by household, which one pooled weight per output
// averages, so the gain is small; it must not be a loss.
func TestTemperatureRegressorsRollingOrigins(t *testing.T) {
	if testing.Short() {
		t.Skip("fits 100 meters twice (about 3 s; 250 meters with MDA_LONG_TESTS=1)")
	}
	const days, trainDays = 150, 110
	meters := 100 // the temperature's gain in MASE is the same relative one as with 250
	if os.Getenv("MDA_LONG_TESTS") == "1" {
		meters = 250
	}
	g, err := simulator.New(&simulator.Options{Meters: meters, Days: days, Interval: time.Hour, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	start, n := g.Options().Start, days*24
	series := map[string]*forecast.Series{}
	var ids []string
	err = g.TruthReads(func(r meter.Reading) error {
		if r.Type != meter.TypeKW {
			return nil
		}
		s := series[r.MeterID]
		if s == nil {
			s = &forecast.Series{Start: start, Step: time.Hour, Values: make([]float64, n)}
			series[r.MeterID] = s
			ids = append(ids, r.MeterID)
		}
		if h := int(r.Time.Sub(start) / time.Hour); h >= 0 && h < n {
			s.Values[h] = r.Value
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	temp := forecast.Series{Start: start.Add(-168 * time.Hour), Step: time.Hour, Values: make([]float64, n+2*168)}
	for i := range temp.Values {
		temp.Values[i] = math.Round(10*g.Temperature(temp.Time(i))) / 10
	}
	var train []forecast.Series
	for _, id := range ids {
		train = append(train, series[id].Slice(0, trainDays*24))
	}
	mase := map[bool]float64{}
	for _, withTemp := range []bool{false, true} {
		opt := forecast.MeterModelOptions()
		opt.ScaleSeries = true
		x := *opt.Exog
		if withTemp {
			x.Temperature = temp
		}
		opt.Exog = &x
		m := forecast.NewLinear(opt)
		if err := m.Fit(context.Background(), train); err != nil {
			t.Fatal(err)
		}
		var acc, naive forecast.Accumulator
		for _, id := range ids {
			s := series[id]
			for origin := trainDays * 24; origin+168 <= n; origin += 24 {
				h := s.Slice(0, origin)
				f, err := m.Predict(h, 168)
				if err != nil {
					t.Fatal(err)
				}
				scale := forecast.SeasonalScale(h.Values, 24)
				acc.Add(s.Values[origin:origin+168], f.P50, f, scale)
				nf, err := (forecast.SeasonalNaive{Season: 168}).Predict(h, 168)
				if err != nil {
					t.Fatal(err)
				}
				naive.Add(s.Values[origin:origin+168], nf.Point, nf, scale)
			}
		}
		mase[withTemp] = acc.Metrics().MASE
		t.Logf("temperature %v: MASE %.4f, WQL %.4f (seasonal-naive MASE %.4f)", withTemp, acc.Metrics().MASE, acc.Metrics().WQL, naive.Metrics().MASE)
	}
	if mase[true] > mase[false] {
		t.Errorf("MASE %.4f with temperature, %.4f without", mase[true], mase[false])
	}
}
