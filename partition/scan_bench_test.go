//go:build unix

package partition

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
	"gocloud.dev/blob"
)

// BenchmarkScanLakeWeek runs the queries of `mda bench query` over a week
// of hourly kW partitions of 12,000 meters (168 files of 48,000 reads) in a
// file:// bucket: one meter's week (values only, as an API's consumption
// query reads it), with the FileCache and without, and the kWh per meter
// and day over the whole lake (a scan of every read). It reports the
// process's CPU time per query besides the wall time: on a busy machine
// the first is the steadier.
//
// MDA_BENCH_LAKE=file:///path/to/lake runs it over another lake (say
// `mda bench ingest`'s) instead, MDA_BENCH_METER naming the meter.
func BenchmarkScanLakeWeek(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a lake; skipped in -short")
	}
	ctx := context.Background()
	start := hourOf("2024-03-01T00:00:00Z")
	bk, id := benchWeekLake(b, start)
	week := &Filter{Types: []meter.Type{meter.TypeKW}, MeterIDs: []string{id}, From: start, To: start.Add(7 * 24 * time.Hour), ValuesOnly: true}
	for _, c := range []struct {
		name  string
		cache *FileCache
	}{{"meter/cache", NewFileCache(DefaultFileCacheBytes)}, {"meter/nocache", NewFileCache(0)}} {
		b.Run(c.name, func(b *testing.B) {
			f := *week
			f.Cache = c.cache
			// Warm the cache (and the page cache) first.
			if _, _, err := ReadAll(ctx, bk, &f); err != nil {
				b.Fatal(err)
			}
			var st ScanStats
			defer reportCPU(b)()
			for b.Loop() {
				reads, s, err := ReadAll(ctx, bk, &f)
				if err != nil {
					b.Fatal(err)
				}
				if len(reads) == 0 {
					b.Fatal("no reads")
				}
				st = s
			}
			b.ReportMetric(float64(st.Requests), "requests/op")
			b.ReportMetric(float64(st.BytesRead), "bytes-read/op")
			b.ReportMetric(float64(st.Rows), "rows-decoded/op")
		})
	}
	b.Run("daily", func(b *testing.B) {
		var cells int
		defer reportCPU(b)()
		for b.Loop() {
			var err error
			if cells, err = dailyKWh(ctx, bk); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cells), "meter-days")
	})
}

// dailyKWh sums the lake's kW reads into kWh per meter and day (reads of
// 15 minutes; a read's interval ends at its time), as `mda bench query`
// does, and returns the number of meter-days.
func dailyKWh(ctx context.Context, b *blob.Bucket) (int, error) {
	type cell struct {
		day int64
		kwh float64
	}
	daily := make(map[string]*[]cell)
	var last string
	var cells *[]cell
	_, err := Scan(ctx, b, &Filter{Types: []meter.Type{meter.TypeKW}, ValuesOnly: true}, func(rs []meter.Reading) error {
		for i := range rs {
			r := &rs[i]
			if cells == nil || r.MeterID != last {
				last = r.MeterID
				if cells = daily[last]; cells == nil {
					cells = new([]cell)
					daily[last] = cells
				}
			}
			ms := r.Time.UnixMilli() - 1
			day := ms / 86_400_000
			if ms < 0 && ms%86_400_000 != 0 {
				day--
			}
			c := *cells
			j := len(c) - 1
			for j >= 0 && c[j].day != day {
				j--
			}
			if j < 0 {
				*cells = append(c, cell{day, r.Value * 0.25})
			} else {
				c[j].kwh += r.Value * 0.25
			}
		}
		return nil
	})
	n := 0
	for _, c := range daily {
		n += len(*c)
	}
	return n, err
}

// benchWeekLake returns the lake of BenchmarkScanLakeWeek and a meter.
func benchWeekLake(b *testing.B, start time.Time) (*blob.Bucket, string) {
	ctx := context.Background()
	if u := os.Getenv("MDA_BENCH_LAKE"); u != "" {
		bk, err := blob.OpenBucket(ctx, u)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { bk.Close() })
		id := os.Getenv("MDA_BENCH_METER")
		if id == "" {
			b.Fatal("MDA_BENCH_LAKE needs MDA_BENCH_METER")
		}
		return bk, id
	}
	dir := b.TempDir()
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(dir), RawQuery: "metadata=skip&no_tmp_dir=1"}
	bk := openBucket(b, u.String())
	t0 := time.Now()
	var id string
	for h := range 7 * 24 {
		reads := weekLakeHour(start.Add(time.Duration(h) * time.Hour))
		id = reads[777].MeterID
		if _, err := WriteFile(ctx, bk, KeyOf(reads[0]), "data", reads, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("built a lake of 168 files in %v", time.Since(t0).Round(time.Millisecond))
	return bk, id
}

// reportCPU reports the process's CPU time per op (user and system, all
// goroutines, the collector's included): call it before the loop, and
// what it returns after.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
