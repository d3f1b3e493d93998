package dropsource_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/hes"
	"github.com/openmda/mda/hes/drivertest"
	"github.com/openmda/mda/hes/dropsource"
)

// clock is a clock that tests advance.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	b     *blob.Bucket
	clock *clock
	n     int
}

const claimTimeout = 10 * time.Minute

func (h *harness) MakeSource(ctx context.Context) (*hes.Source, error) {
	return dropsource.New(h.b, "drop/", "drop", &dropsource.Options{ClaimTimeout: claimTimeout, MaxAttempts: 2, Now: h.clock.Now})
}

// gzipCSV returns a gzip HES CSV of lines.
func gzipCSV(lines []string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintln(zw, "time,arrival_time,device_id,measure_name,load,crrnt,pf,kva,kw,vltg")
	for _, l := range lines {
		fmt.Fprintln(zw, l)
	}
	zw.Close()
	return buf.Bytes()
}

func newLines(n *int, k int) []string {
	var lines []string
	for range k {
		*n++
		lines = append(lines, fmt.Sprintf("2024-03-01 00:00:00.000000,2024-03-01 00:00:00.000000,meter-%d,readings,7,1.5,0.9,0.36,0.33,0.231", *n))
	}
	return lines
}

func (h *harness) Add(ctx context.Context) ([]string, error) {
	lines := newLines(&h.n, 3)
	return lines, h.b.WriteAll(ctx, fmt.Sprintf("drop/file-%04d.csv.gz", h.n), gzipCSV(lines), nil)
}

func (h *harness) Crashed(ctx context.Context) error {
	h.clock.Add(claimTimeout + time.Second)
	return nil
}
func (h *harness) MaxAttempts() int { return 2 }
func (h *harness) Concurrent() bool { return true }
func (h *harness) Close()           { h.b.Close() }

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (drivertest.Harness, error) {
		return &harness{b: memblob.OpenBucket(nil), clock: &clock{t: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}}, nil
	})
}
