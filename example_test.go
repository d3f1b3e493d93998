package mda_test

import (
	"context"
	"fmt"
	"time"

	"github.com/openmda/mda"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

func ExampleIngest() {
	ctx := context.Background()
	lake, err := mda.OpenBucket(ctx, "mem://")
	if err != nil {
		panic(err)
	}
	defer lake.Close()
	csv := "time,arrival_time,device_id,measure_name,load,crrnt,pf,kva,kw,vltg\n" +
		"2024-03-01 10:15:00.000000,2024-03-01 10:16:00.000000,503d4c60-3ff0-3d2b-9ea0-6fb5b0078031,readings,7,7.187,0.889,1.437,1.278,0.2\n" +
		"2024-03-01 10:15:00.000000,2024-03-01 10:16:00.000000,81cac15d-01d5-3d51-8bde-0f7a383585ae,readings,19,16.678,0.931,3.688,3.434,0.221\n" +
		"a broken line\n"
	if err := lake.WriteAll(ctx, "inbound/hes.csv", []byte(csv), nil); err != nil {
		panic(err)
	}
	st, err := mda.Ingest(ctx, lake, lake, "inbound/hes.csv", nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d lines, %d reads in %d partitions, %d quarantined\n", st.Lines, st.Reads, st.Partitions, st.Quarantined)

	reads, _, err := partition.ReadAll(ctx, lake, &partition.Filter{Types: []meter.Type{meter.TypeVoltage}})
	if err != nil {
		panic(err)
	}
	for _, r := range reads {
		fmt.Println(r.MeterID, r.Value, "V")
	}
	// Output:
	// 3 lines, 12 reads in 6 partitions, 1 quarantined
	// 503d4c60-3ff0-3d2b-9ea0-6fb5b0078031 200 V
	// 81cac15d-01d5-3d51-8bde-0f7a383585ae 221 V
}

// ExampleIngestReads hands reads a service holds in memory to the lake:
// the same batch sent twice changes nothing.
func ExampleIngestReads() {
	ctx := context.Background()
	lake, err := mda.OpenBucket(ctx, "mem://")
	if err != nil {
		panic(err)
	}
	defer lake.Close()
	at := time.Date(2024, 3, 1, 10, 15, 0, 0, time.UTC)
	batch := []meter.Reading{
		{MeterID: "nmi-4102", Type: meter.TypeKWh, Value: 0.25, Time: at, Arrival: at.Add(time.Minute), Source: "mqtt", Quality: meter.QualityActual},
		{MeterID: "nmi-4102", Type: meter.TypeKWh, Value: 0.31, Time: at.Add(15 * time.Minute), Arrival: at.Add(16 * time.Minute), Source: "mqtt", Quality: meter.QualityActual},
	}
	for range 2 {
		st, err := mda.IngestReads(ctx, lake, batch, nil)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%d reads staged, already ingested: %v\n", st.Staged, st.AlreadyIngested != nil)
	}
	reads, _, err := partition.ReadAll(ctx, lake, &partition.Filter{MeterIDs: []string{"nmi-4102"}})
	if err != nil {
		panic(err)
	}
	for _, r := range reads {
		fmt.Println(r.Time.Format("15:04"), r.Value, r.Type)
	}
	// Output:
	// 2 reads staged, already ingested: false
	// 0 reads staged, already ingested: true
	// 10:15 0.25 kwh
	// 10:30 0.31 kwh
}
