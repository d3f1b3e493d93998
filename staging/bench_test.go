package staging

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/internal/blobio"
	"github.com/openmda/mda/internal/s3test"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
)

// BenchmarkIntegrateManySmallPartitions stages and integrates a
// household's export, the lake's worst case per read: one meter with a kWh
// read every half hour, so two reads in each of 24 hourly partitions a
// day, in one range (as meter01.csv, a NEM12 file of 1,034 days and 24,817
// partitions). Each iteration does what Pipeline.ProcessRange and the
// final staging.Integrate of an ingest do to a new lake: buffer the reads
// in a partition.Writer, write one staged file per partition and the
// commit, then integrate (lock, copy or merge, register nothing, delete
// the staged files, complete the source). Local lakes are opened as
// mda.OpenBucket opens them (no sidecars, hard-linked copies); the S3 lake
// is gofakes3 through the AWS SDK, each request delayed by a round trip of
// 5 ms (an S3 request from the same region takes 10-30 ms).
func BenchmarkIntegrateManySmallPartitions(b *testing.B) {
	for _, tc := range []struct {
		store string
		days  int
	}{{"mem", 30}, {"mem", 365}, {"file", 30}, {"file", 365}, {"s3-rtt5ms", 30}} {
		b.Run(fmt.Sprintf("%s/days=%d", tc.store, tc.days), func(b *testing.B) {
			ctx := context.Background()
			reads := householdReads(tc.days)
			partitions := 24 * tc.days
			var s3 *s3test.Server
			if tc.store == "s3-rtt5ms" {
				s3 = s3test.New(b)
				s3.SetLatency(5 * time.Millisecond)
			}
			n := 0
			for b.Loop() {
				b.StopTimer()
				var lake *blob.Bucket
				if s3 != nil {
					lake = s3.Bucket(b, fmt.Sprintf("lake%d", n))
					n++
				} else {
					lake = benchLake(b, tc.store)
				}
				b.StartTimer()
				c := stageRange(b, lake, reads)
				st, err := Integrate(ctx, lake, nil)
				if err != nil {
					b.Fatal(err)
				}
				if st.Partitions != partitions || st.Reads != int64(len(reads)) || c.Reads != int64(len(reads)) {
					b.Fatalf("integrated %d partitions, %d reads; want %d and %d", st.Partitions, st.Reads, partitions, len(reads))
				}
				if s3 == nil { // s3test closes its buckets
					b.StopTimer()
					lake.Close()
					b.StartTimer()
				}
			}
			s := b.Elapsed().Seconds()
			b.ReportMetric(float64(partitions*b.N)/s, "partitions/s")
			b.ReportMetric(float64(len(reads)*b.N)/s, "reads/s")
		})
	}
}

// householdReads returns a meter's half-hourly kWh reads over days, stamped
// at interval ends as NEM12 has them.
func householdReads(days int) []meter.Reading {
	start := time.Date(2019, 6, 22, 0, 0, 0, 0, time.UTC)
	arrival := start.AddDate(0, 0, days+1)
	reads := make([]meter.Reading, 0, 48*days)
	for i := range 48 * days {
		reads = append(reads, meter.Reading{MeterID: "6001260509", Type: meter.TypeKWh, Value: float64(i%700) / 1000,
			Time: start.Add(time.Duration(i) * 30 * time.Minute), Source: "B", Arrival: arrival, Quality: meter.QualityActual})
	}
	return reads
}

// stageRange stages reads as the one range of a source and commits it.
func stageRange(b *testing.B, lake *blob.Bucket, reads []meter.Reading) *Commit {
	ctx := context.Background()
	msg := ranges.Message{Bucket: "in", Key: "household.csv", SourceID: "0123456789abcdef", Source: "household.csv", Size: 1, Ranges: 1,
		Format: "nem12", Range: ranges.Range{Index: 0, Start: 0, End: 1}}
	w := partition.NewWriter(lake, OutputName(msg.SourceID, 0), &partition.WriterOptions{Root: Prefix, Dedup: true})
	if _, err := w.Write(reads); err != nil {
		b.Fatal(err)
	}
	files, err := w.Close(ctx)
	if err != nil {
		b.Fatal(err)
	}
	c := &Commit{Message: msg, Records: int64(len(reads)), Lines: int64(len(reads)), Backfill: true, Committed: time.Now().UTC()}
	for _, f := range files {
		c.Files = append(c.Files, File{Key: f.Path, Partition: f.Key.Path(), Reads: f.Rows, MinTime: f.MinTime, MaxTime: f.MaxTime, Verbatim: true})
		c.Reads += f.Rows
	}
	if err := WriteCommit(ctx, lake, c); err != nil {
		b.Fatal(err)
	}
	return c
}

func benchLake(b *testing.B, store string) *blob.Bucket {
	if store == "mem" {
		return memblob.OpenBucket(nil)
	}
	dir := b.TempDir()
	lake, err := fileblob.OpenBucket(dir, &fileblob.Options{Metadata: fileblob.MetadataDontWrite, NoTempDir: true, CreateDir: true})
	if err != nil {
		b.Fatal(err)
	}
	if !blobio.RegisterDir(lake, dir) {
		b.Fatal("RegisterDir refused a fileblob bucket")
	}
	return lake
}
