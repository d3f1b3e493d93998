package mda_test

import (
	"context"
	"testing"

	"github.com/openmda/mda"
	"github.com/openmda/mda/simulator"
)

// BenchmarkIngest measures the whole path for one plain CSV on a mem://
// lake: split, scan, decode, sort and Parquet encoding.
func BenchmarkIngest(b *testing.B) {
	ctx := context.Background()
	g := newGenerator(b, simulator.Options{Meters: 1000, Days: 2, Seed: 1})
	data, st := csvOf(b, g)
	in := openBucket(b, "mem://")
	if err := in.WriteAll(ctx, "in.csv", data, nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		lake := openBucket(b, "mem://")
		if _, err := mda.Ingest(ctx, lake, in, "in.csv", nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(st.Reads)*float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}
