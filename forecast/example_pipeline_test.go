package forecast_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"

	"github.com/openmda/mda/forecast"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/tables"
)

// blobReaderAt reads a whole object for parquet.Read.
func blobReaderAt(ctx context.Context, b *blob.Bucket, key string) (*bytes.Reader, int64) {
	data, err := b.ReadAll(ctx, key)
	if err != nil {
		panic(err)
	}
	return bytes.NewReader(data), int64(len(data))
}

// exampleLake is a lake of hourly kW reads of three meters over nine weeks
// of 2024: a daily shape, busier weekends, and on February 20 meter m2
// using three times its usual energy.
func exampleLake(ctx context.Context) (*blob.Bucket, error) {
	lake, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		return nil, err
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	spike := time.Date(2024, 2, 20, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	level := make([]float64, 3)
	for h := 1; h <= 63*24; h++ {
		end := start.Add(time.Duration(h) * time.Hour) // a read ends its hour
		hour := end.Add(-time.Hour)
		if hour.Hour() == 0 {
			for i := range level {
				level[i] = 1 + 0.04*rng.NormFloat64()
			}
		}
		var reads []meter.Reading
		for i, id := range []string{"m1", "m2", "m3"} {
			kw := (0.4 + 0.2*float64(i)) * (1 + 0.8*math.Sin(math.Pi*float64(hour.Hour())/24))
			kw *= level[i] // day-to-day variation
			if wd := hour.Weekday(); wd == time.Saturday || wd == time.Sunday {
				kw *= 1.3
			}
			if id == "m2" && hour.Truncate(24*time.Hour).Equal(spike) {
				kw *= 3
			}
			reads = append(reads, meter.Reading{MeterID: id, Type: meter.TypeKW, Time: end, Value: kw})
		}
		if _, err := partition.WriteFile(ctx, lake, partition.KeyOf(reads[0]), "reads", reads, nil); err != nil {
			return nil, err
		}
	}
	return lake, nil
}

// Train fits the hourly model on the last 56 days of the lake and stores a
// version; Run forecasts the next week of every meter into the forecasts
// table.
func ExampleTrain() {
	ctx := context.Background()
	lake, err := exampleLake(ctx)
	if err != nil {
		panic(err)
	}
	defer lake.Close()
	ts, err := forecast.Train(ctx, lake, nil)
	if err != nil {
		panic(err)
	}
	m := ts.Manifest
	fmt.Printf("trained %s (%s) on %d meters, %s to %s\n", m.Model, m.Kind, m.Meters,
		m.From.Format(time.DateOnly), m.To.Format(time.DateOnly))
	rs, err := forecast.Run(ctx, lake, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("forecast %d hours from %s: %d rows in %s\n", rs.Horizon, rs.Start.Format(time.DateTime), rs.Rows, rs.Files[0])
	// Output:
	// trained linear (linear-pooled) on 3 meters, 2024-01-08 to 2024-03-04
	// forecast 168 hours from 2024-03-04 00:00:00: 504 rows in forecasts/model_name=linear/forecast_start=20240304000000/part-00000.parquet
}

// DetectAnomalies scores every day of the year against each meter's own
// previous weeks and finds the day meter m2 used three times its energy.
func ExampleDetectAnomalies() {
	ctx := context.Background()
	lake, err := exampleLake(ctx)
	if err != nil {
		panic(err)
	}
	defer lake.Close()
	st, err := forecast.DetectAnomalies(ctx, lake, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d: %d meter-days scored, %d spikes, %d dips\n", st.Year, st.Days, st.Spikes, st.Dips)
	rows, err := parquet.Read[tables.AnomalyRow](blobReaderAt(ctx, lake, st.Files[0]))
	if err != nil {
		panic(err)
	}
	// The most important anomaly: small excursions of a few percent are
	// flagged too, as a 98% interval does, but rank far below.
	top := rows[0]
	for _, r := range rows {
		if r.Importance > top.Importance {
			top = r
		}
	}
	fmt.Printf("%s %s: %.1f kWh, expected %.1f (%.1f to %.1f), anomaly %+d, importance %.2f\n", top.MeterID,
		top.Day.Format(time.DateOnly), top.Consumption, top.Expected, top.Lower, top.Upper, top.Anomaly, top.Importance)
	// Output:
	// 2024: 147 meter-days scored, 5 spikes, 1 dips
	// m2 2024-02-20: 64.2 kWh, expected 22.2 (20.5 to 24.1), anomaly +1, importance 0.62
}

// With TrainOptions.Weather the models take the temperature of a weather
// station from the lake's weather table (as `mda dataflow weather` loads
// it). Run then needs the temperature of the week it forecasts: a weather
// forecast, loaded into the weather table like the observations, or passed
// in RunOptions.Temperature as here.
func ExampleTrain_weather() {
	ctx := context.Background()
	lake, err := exampleLake(ctx)
	if err != nil {
		panic(err)
	}
	defer lake.Close()
	// Nine weeks of hourly observations of one station, a day file each.
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tempAt := func(t time.Time) float64 { return 6 + 4*math.Sin(2*math.Pi*t.Sub(start).Hours()/(24*9)) }
	for d := range 63 {
		day := start.AddDate(0, 0, d)
		var rows []tables.WeatherParquetRow
		for h := range 24 {
			t := day.Add(time.Duration(h) * time.Hour)
			r := tables.WeatherRow{Time: t, Station: "EGLL", Temperature: tempAt(t), DewPoint: math.NaN(),
				RelativeHumidity: math.NaN(), Precipitation: math.NaN(), SnowDepth: math.NaN(), WindDirection: math.NaN(),
				WindSpeed: math.NaN(), WindGust: math.NaN(), SeaLevelAirPressure: math.NaN(), SunshineMinutes: math.NaN(),
				WeatherConditionCode: math.NaN()}
			rows = append(rows, r.Parquet())
		}
		var buf bytes.Buffer
		if err := parquet.Write(&buf, rows); err != nil {
			panic(err)
		}
		if err := lake.WriteAll(ctx, tables.WeatherDir(day)+"weather.parquet", buf.Bytes(), nil); err != nil {
			panic(err)
		}
	}
	ts, err := forecast.Train(ctx, lake, &forecast.TrainOptions{Weather: &forecast.Weather{Station: "EGLL"}})
	if err != nil {
		panic(err)
	}
	fmt.Printf("trained on %d meters with the temperature of %s\n", ts.Manifest.Meters, ts.Manifest.Weather.Station)

	_, err = forecast.Run(ctx, lake, nil)
	fmt.Println("without a weather forecast:", errors.Is(err, forecast.ErrNoWeather))

	from := ts.Manifest.To.Add(-168 * time.Hour) // the look-back and the week ahead
	temp := forecast.Series{Start: from, Step: time.Hour, Values: make([]float64, 2*168)}
	for i := range temp.Values {
		temp.Values[i] = tempAt(temp.Time(i))
	}
	rs, err := forecast.Run(ctx, lake, &forecast.RunOptions{Temperature: temp})
	if err != nil {
		panic(err)
	}
	fmt.Printf("with one: %d rows from %s\n", rs.Rows, rs.Start.Format(time.DateTime))
	// Output:
	// trained on 3 meters with the temperature of EGLL
	// without a weather forecast: true
	// with one: 504 rows from 2024-03-04 00:00:00
}
