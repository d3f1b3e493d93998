package partition_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"
)

func ExampleKey_Path() {
	r := meter.Reading{MeterID: "m1", Type: meter.TypeKW, Value: 1.5,
		Time: time.Date(2024, 3, 1, 10, 45, 0, 0, time.UTC)}
	k := partition.KeyOf(r)
	fmt.Println(k.Path())

	back, err := partition.ParseKey(k.Path() + "part-0.parquet")
	fmt.Println(back == k, err)

	_, err = partition.ParseKey("readings/reading_type=kw/year=2024/month=3/day=01/hour=10/")
	fmt.Println(err)
	// Output:
	// readings/reading_type=kw/year=2024/month=03/day=01/hour=10/
	// true <nil>
	// partition: bad path "readings/reading_type=kw/year=2024/month=3/day=01/hour=10/": month "3" is not 2 digits
}

// exampleReads returns reads of two meters over one hour.
func exampleReads() []meter.Reading {
	start := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	var reads []meter.Reading
	for _, id := range []string{"meter-b", "meter-a"} {
		for q := range 4 {
			t := start.Add(time.Duration(q) * 15 * time.Minute)
			reads = append(reads, meter.Reading{MeterID: id, Type: meter.TypeKW, Value: float64(q) + 0.5,
				Time: t, Source: "B", Arrival: t.Add(time.Minute), Quality: meter.QualityActual})
		}
	}
	return reads
}

func ExampleWriteFile() {
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	reads := exampleReads()
	info, err := partition.WriteFile(ctx, b, partition.KeyOf(reads[0]), "batch-0001", reads, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Path, info.Rows, info.MinTime.Format(time.TimeOnly), info.MaxTime.Format(time.TimeOnly))

	// The rows come back sorted by meter and time.
	back, _, err := partition.ReadAll(ctx, b, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range back[:5] {
		fmt.Println(r)
	}
	// Output:
	// readings/reading_type=kw/year=2024/month=03/day=01/hour=10/batch-0001.parquet 8 10:00:00 10:45:00
	// meter-a 2024-03-01T10:00:00Z kw=0.5 A
	// meter-a 2024-03-01T10:15:00Z kw=1.5 A
	// meter-a 2024-03-01T10:30:00Z kw=2.5 A
	// meter-a 2024-03-01T10:45:00Z kw=3.5 A
	// meter-b 2024-03-01T10:00:00Z kw=0.5 A
}

func ExampleScan() {
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	// A lake of two types over three hours: six partitions.
	w := partition.NewWriter(b, "batch-0001", nil)
	for h := range 3 {
		for _, r := range exampleReads() {
			r.Time = r.Time.Add(time.Duration(h) * time.Hour)
			v := r
			v.Type, v.Value = meter.TypeVoltage, 230+r.Value
			if _, err := w.Write([]meter.Reading{r, v}); err != nil {
				log.Fatal(err)
			}
		}
	}
	files, err := w.Close(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(files), "files")

	// One meter's voltage in the second hour.
	from := time.Date(2024, 3, 1, 11, 0, 0, 0, time.UTC)
	f := &partition.Filter{
		Types:    []meter.Type{meter.TypeVoltage},
		From:     from,
		To:       from.Add(time.Hour),
		MeterIDs: []string{"meter-b"},
	}
	stats, err := partition.Scan(ctx, b, f, func(reads []meter.Reading) error {
		for _, r := range reads {
			fmt.Println(r)
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("partitions %d (pruned %d), files %d, rows %d, reads %d\n",
		stats.Partitions, stats.PartitionsPruned, stats.Files, stats.Rows, stats.Reads)
	// Output:
	// 6 files
	// meter-b 2024-03-01T11:00:00Z vltg=230.5 A
	// meter-b 2024-03-01T11:15:00Z vltg=231.5 A
	// meter-b 2024-03-01T11:30:00Z vltg=232.5 A
	// meter-b 2024-03-01T11:45:00Z vltg=233.5 A
	// partitions 1 (pruned 2), files 1, rows 8, reads 4
}
