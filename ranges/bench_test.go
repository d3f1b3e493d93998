package ranges_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/openmda/mda/ranges"
)

// benchCSV is a ~64 MiB synthetic meter-data CSV of ~130-byte lines.
var benchCSV = sync.OnceValue(func() []byte {
	const target = 64 << 20
	var b bytes.Buffer
	b.Grow(target + 256)
	b.WriteString("timestamp,meter_id,register,value,unit,quality,source,comment\n")
	for i := 0; b.Len() < target; i++ {
		fmt.Fprintf(&b, "2024-%02d-%02dT%02d:%02d:00Z,meter-%08d,ACTIVE_ENERGY_IMPORT,%d.%03d,kWh,VALID,hes-%03d,reading %09d ok,site=substation-north-%04d\n",
			1+i%12, 1+i%28, i%24, i%60, i%1_000_000, i%100_000, i%1000, i%500, i, i%7919)
	}
	return b.Bytes()
})

func BenchmarkScan(b *testing.B) {
	data := benchCSV()
	size := int64(len(data))
	run := func(b *testing.B, rs []ranges.Range, scan func(rng ranges.Range) *ranges.Scanner) {
		b.SetBytes(size)
		b.ReportAllocs()
		var rows, sum int64
		for b.Loop() {
			for _, rng := range rs {
				sc := scan(rng)
				for sc.Scan() {
					rows++
					sum += int64(len(sc.Record()))
				}
				if err := sc.Err(); err != nil {
					b.Fatal(err)
				}
			}
		}
		if sum == 0 {
			b.Fatal("no records")
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(size)*float64(b.N)/float64(rows), "B/row")
	}
	b.Run("Reader/1range", func(b *testing.B) {
		var rd bytes.Reader
		run(b, ranges.Split(size, &ranges.SplitOptions{Ranges: 1}), func(rng ranges.Range) *ranges.Scanner {
			rd.Reset(data[rng.ReadFrom():])
			return ranges.NewScanner(&rd, rng, nil)
		})
	})
	b.Run("ReaderAt/150ranges", func(b *testing.B) {
		ra := bytes.NewReader(data)
		run(b, ranges.Split(size, nil), func(rng ranges.Range) *ranges.Scanner {
			return ranges.NewReaderAtScanner(ra, size, rng, nil)
		})
	})
	b.Run("Reader/16ranges/MaxRecordBytes=64", func(b *testing.B) {
		// Every record is truncated: the TooLong path.
		var rd bytes.Reader
		opts := &ranges.ScanOptions{MaxRecordBytes: 64}
		run(b, ranges.Split(size, &ranges.SplitOptions{Ranges: 16}), func(rng ranges.Range) *ranges.Scanner {
			rd.Reset(data[rng.ReadFrom():])
			return ranges.NewScanner(&rd, rng, opts)
		})
	})
}
