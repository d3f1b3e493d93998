package partition

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
	"gocloud.dev/blob/memblob"
)

// A partition of 4 load batches of 48,000 reads each: peak heap of a scan of all.
func BenchmarkScanMultiFile(b *testing.B) {
	ctx := context.Background()
	bk := memblob.OpenBucket(nil)
	hour := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	reads := hourReads(hour)
	for i, name := range []string{"b1", "b2", "b3", "b4"} {
		rs := make([]meter.Reading, len(reads))
		copy(rs, reads)
		for j := range rs {
			rs[j].Time = rs[j].Time.Add(-time.Duration(i) * time.Second)
		}
		if _, err := WriteFile(ctx, bk, Key{meter.TypeKW, hour}, name, rs, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		n := 0
		_, err := Scan(ctx, bk, nil, func(rs []meter.Reading) error {
			n += len(rs)
			if n%40960 < len(rs) {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			return nil
		})
		if err != nil || n != 4*len(reads) {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
