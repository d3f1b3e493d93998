package forecast_test

import (
	"bytes"
	"context"
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
