package staging_test

import (
	"context"
	"fmt"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/staging"
)

// A worker stages one range and commits it; the integrator merges it into
// the lake. Staging the same range twice (a redelivery) changes nothing.
func ExampleIntegrate() {
	ctx := context.Background()
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	h := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	k := partition.Key{Type: meter.TypeKW, Hour: h}
	reads := []meter.Reading{
		{MeterID: "m1", Type: meter.TypeKW, Value: 1.5, Time: h.Add(15 * time.Minute), Source: "B", Arrival: h.Add(16 * time.Minute)},
		{MeterID: "m2", Type: meter.TypeKW, Value: 0.7, Time: h.Add(15 * time.Minute), Source: "B", Arrival: h.Add(16 * time.Minute)},
	}
	msg := ranges.Message{Bucket: "inbound", Key: "hes.csv", SourceID: "src1", Size: 1000, Ranges: 1, Range: ranges.Range{End: 1000}}
	for range 2 { // delivered twice
		info, err := partition.WriteFile(ctx, lake, k, staging.OutputName(msg.SourceID, 0), reads,
			&partition.WriterOptions{Root: staging.Prefix, Dedup: true})
		if err != nil {
			panic(err)
		}
		c := &staging.Commit{Message: msg, Records: 3, Reads: 2, Files: []staging.File{
			{Key: info.Path, Partition: k.Path(), Reads: info.Rows, MinTime: info.MinTime, MaxTime: info.MaxTime, Verbatim: true}}}
		if err := staging.WriteCommit(ctx, lake, c); err != nil {
			panic(err)
		}
	}
	st, err := staging.Integrate(ctx, lake, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d commit, %d partition, %d reads\n", st.Commits, st.Partitions, st.Reads)
	got, _, _ := partition.ReadAll(ctx, lake, nil)
	fmt.Println(len(got), "reads in the lake")
	// Output:
	// 1 commit, 1 partition, 2 reads
	// 2 reads in the lake
}
