package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/api"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/query/querytest"
)

// benchLake returns a file lake of meters x 7 days of 15-minute kW reads,
// built once into the temp directory and reused by later runs.
func benchLake(b *testing.B, meters, rowGroupRows int) (*blob.Bucket, *querytest.Lake) {
	b.Helper()
	ctx := context.Background()
	// The name carries the file format's version: a lake left by an older
	// writer is not reused.
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("mda-api-bench-%d-rg%d-%s", meters, rowGroupRows, partition.FormatVersion))
	opts := &querytest.Options{Meters: meters, Days: 7, KWOnly: true, NoTables: true, RowGroupRows: rowGroupRows}
	done := filepath.Join(dir, "_complete")
	if _, err := os.Stat(done); err != nil {
		os.RemoveAll(dir)
		start := time.Now()
		lake, err := mda.OpenBucket(ctx, "file://"+dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := querytest.Build(ctx, lake, opts); err != nil {
			b.Fatal(err)
		}
		lake.Close()
		os.WriteFile(done, nil, 0o644)
		b.Logf("built %s in %v", dir, time.Since(start).Round(time.Millisecond))
	}
	lake, err := mda.OpenBucket(ctx, "file://"+dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { lake.Close() })
	// The description only (the generator is cheap to make).
	opts.Meters = meters
	l, err := querytest.Describe(opts)
	if err != nil {
		b.Fatal(err)
	}
	return lake, l
}

// BenchmarkConsumptionOneMeterWeek measures GET /consumption/{id} for a
// seven-day range of one meter (hourly kWh) over a file lake of 1,000
// meters (10,000 with MDA_LONG_TESTS=1), with the partition package's
// default row groups (one per file) and with 8,192-row row groups. It
// reports the p50 and p99 latency of sequential requests and the
// requests per second, and the latency of the process's first request
// (first-ms), which opens the files. For a p99 that is not the slowest
// request, run at least 200 requests (-benchtime 200x).
func BenchmarkConsumptionOneMeterWeek(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a lake; skipped in -short")
	}
	meters := 1000
	if os.Getenv("MDA_LONG_TESTS") == "1" {
		meters = 10000
	}
	for _, rg := range []int{0, 8192} {
		b.Run(fmt.Sprintf("meters=%d/rowgroup=%d", meters, rg), func(b *testing.B) {
			lake, l := benchLake(b, meters, rg)
			h := api.New(lake, nil)
			i := 0
			get := func() time.Duration {
				id := l.MeterIDs[(i*7919)%len(l.MeterIDs)]
				i++
				t0 := time.Now()
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/consumption/"+id+"?reading_date_from=20240301&reading_date_to=20240307", nil))
				d := time.Since(t0)
				if rec.Code != http.StatusOK {
					b.Fatalf("%d: %s", rec.Code, rec.Body)
				}
				return d
			}
			// The first request of a process opens the lake's files (it
			// fills partition.DefaultFileCache): reported on its own, and
			// left out of the percentiles, which are of a server's steady
			// state. Another meter each time: no read is served twice.
			partition.DefaultFileCache.Purge()
			first := get()
			lat := make([]time.Duration, 0, 1024)
			start := time.Now()
			for b.Loop() {
				lat = append(lat, get())
			}
			elapsed := time.Since(start)
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(first.Microseconds())/1000, "first-ms")
		})
	}
}
