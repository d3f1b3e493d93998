package query_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/query"
)

// exampleLake writes two hours of 15-minute kW and voltage reads of one
// meter to a memory bucket: 2 kW in the first hour, 4 kW in the second.
func exampleLake(ctx context.Context) *blob.Bucket {
	b, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	w := partition.NewWriter(b, "example", nil)
	start := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	for i := 1; i <= 8; i++ { // reading times are interval ends: 10:15 ... 12:00
		t := start.Add(time.Duration(i) * 15 * time.Minute)
		kw := 2.0
		if i > 4 {
			kw = 4
		}
		w.Write([]meter.Reading{
			{MeterID: "m-1", Type: meter.TypeKW, Value: kw, Time: t},
			{MeterID: "m-1", Type: meter.TypeVoltage, Value: 228 + float64(i), Time: t},
		})
	}
	if _, err := w.Close(ctx); err != nil {
		log.Fatal(err)
	}
	return b
}

func ExampleLake_Energy() {
	ctx := context.Background()
	b := exampleLake(ctx)
	defer b.Close()

	q := query.New(b, nil)
	f := query.Filter{MeterIDs: []string{"m-1"},
		From: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)}
	hours, _, err := q.Energy(ctx, f, query.Hour)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range hours {
		fmt.Printf("%s %s-%s %.1f kWh from %d reads of %v\n", e.MeterID, e.Start.Format("15:04"), e.End.Format("15:04"), e.KWh, e.Reads, e.Interval)
	}
	days, _, _ := q.Energy(ctx, f, query.Day)
	fmt.Printf("day: %.1f kWh\n", days[0].KWh)
	// Output:
	// m-1 10:00-11:00 2.0 kWh from 4 reads of 15m0s
	// m-1 11:00-12:00 4.0 kWh from 4 reads of 15m0s
	// day: 6.0 kWh
}

func ExampleLake_Voltage() {
	ctx := context.Background()
	b := exampleLake(ctx)
	defer b.Close()

	f := query.Filter{MeterIDs: []string{"m-1"},
		From: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)}
	vs, _, err := query.New(b, nil).Voltage(ctx, f, query.Hour)
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range vs {
		fmt.Printf("%s min %.0f V avg %.1f V max %.0f V\n", v.Start.Format("15:04"), v.Min, v.Avg, v.Max)
	}
	// Output:
	// 10:00 min 229 V avg 230.5 V max 232 V
	// 11:00 min 233 V avg 234.5 V max 236 V
}

func ExampleWriteIPCStream() {
	ctx := context.Background()
	b := exampleLake(ctx)
	defer b.Close()

	f := query.Filter{From: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)}
	rows, _, err := query.New(b, nil).Energy(ctx, f, query.Hour)
	if err != nil {
		log.Fatal(err)
	}
	rec := query.EnergyRecord(nil, rows)
	defer rec.Release()
	var buf bytes.Buffer // e.g. an HTTP response
	if err := query.WriteIPCStream(&buf, rec); err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.NumRows(), "rows:", rec.Schema().Field(3).Name, rec.Schema().Field(3).Type)
	fmt.Println(bytes.HasPrefix(buf.Bytes(), []byte{0xff, 0xff, 0xff, 0xff}), "(an IPC stream starts with a continuation marker)")
	// Output:
	// 2 rows: kwh float64
	// true (an IPC stream starts with a continuation marker)
}
