package drivertest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/hes"
)

// Harness gives the suite sources and data.
type Harness interface {
	// MakeSource returns a new source over the harness's backing store. A
	// second call is a restart, or a second fetcher.
	MakeSource(ctx context.Context) (*hes.Source, error)
	// Add makes new data available to the sources and returns its CSV
	// data lines (no header): the next objects of the source must deliver
	// exactly these lines, in one object or several.
	Add(ctx context.Context) ([]string, error)
	// Crashed is called after a fetcher died holding objects: the harness
	// lets enough time pass for its claims to lapse.
	Crashed(ctx context.Context) error
	// MaxAttempts is the source's number of failed attempts that
	// quarantine an object.
	MaxAttempts() int
	// Concurrent reports whether several fetchers may share the source
	// (drop folders) or only one (a HES API's watermark).
	Concurrent() bool
	// Close releases the harness.
	Close()
}

// HarnessMaker makes a fresh harness for one test.
type HarnessMaker func(ctx context.Context, t *testing.T) (Harness, error)

// RunConformanceTests runs the suite.
func RunConformanceTests(t *testing.T, newHarness HarnessMaker) {
	tests := []struct {
		name string
		run  func(t *testing.T, h Harness)
	}{
		{"NothingNew", testNothingNew},
		{"FetchLandsAndAcknowledges", testFetch},
		{"PullProcessesThenAcknowledges", testPull},
		{"RefetchAfterCrashAfterLand", func(t *testing.T, h Harness) { testCrash(t, h, true) }},
		{"RefetchAfterCrashBeforeAck", func(t *testing.T, h Harness) { testCrash(t, h, false) }},
		{"ProcessingFailureIsRetried", testRetry},
		{"PoisonIsQuarantined", testPoison},
		{"ConcurrentFetchers", testConcurrent},
		{"ErrorCodes", testErrors},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			h, err := newHarness(ctx, t)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			tc.run(t, h)
		})
	}
}

func source(t *testing.T, h Harness) *hes.Source {
	t.Helper()
	s, err := h.MakeSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func inbound(t *testing.T) *blob.Bucket {
	b := memblob.OpenBucket(nil)
	t.Cleanup(func() { b.Close() })
	return b
}

func add(t *testing.T, h Harness) []string {
	t.Helper()
	lines, err := h.Add(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) == 0 {
		t.Fatal("harness added no lines")
	}
	return lines
}

// ReadLines returns the CSV data lines of an object (plain or gzip), without
// the header.
func ReadLines(ctx context.Context, b *blob.Bucket, key string) ([]string, error) {
	data, err := b.ReadAll(ctx, key)
	if err != nil {
		return nil, err
	}
	var r io.Reader = bytes.NewReader(data)
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		r = zr
	}
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "time,") {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

func readAll(t *testing.T, b *blob.Bucket, keys []string) []string {
	t.Helper()
	var out []string
	for _, k := range keys {
		l, err := ReadLines(context.Background(), b, k)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		out = append(out, l...)
	}
	return out
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = slices.Clone(got), slices.Clone(want)
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: lines differ (-want +got):\n%s", what, diff)
	}
}

func testNothingNew(t *testing.T, h Harness) {
	src := source(t, h)
	keys, err := hes.Fetch(context.Background(), src, inbound(t), nil)
	if err != nil || len(keys) != 0 {
		t.Fatalf("Fetch of an empty source = %v, %v; want nothing", keys, err)
	}
}

func testFetch(t *testing.T, h Harness) {
	ctx := context.Background()
	want := append(add(t, h), add(t, h)...)
	src, in := source(t, h), inbound(t)
	keys, err := hes.Fetch(ctx, src, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, hes.LandingPrefix+src.Name()+"/") {
			t.Errorf("landed %q, not under %s%s/", k, hes.LandingPrefix, src.Name())
		}
	}
	sameLines(t, "landed", readAll(t, in, keys), want)
	again, err := hes.Fetch(ctx, src, in, nil)
	if err != nil || len(again) != 0 {
		t.Errorf("second Fetch = %v, %v; want nothing (the first acknowledged everything)", again, err)
	}
	// A restarted fetcher sees nothing new either.
	again, err = hes.Fetch(ctx, source(t, h), in, nil)
	if err != nil || len(again) != 0 {
		t.Errorf("Fetch after restart = %v, %v; want nothing", again, err)
	}
}

// collector is a ProcessFunc that records the lines it processed.
type collector struct {
	mu    sync.Mutex
	keys  []string
	lines []string
	fail  func(key string) error
}

func (c *collector) process(ctx context.Context, b *blob.Bucket, key string) error {
	if c.fail != nil {
		if err := c.fail(key); err != nil {
			return err
		}
	}
	l, err := ReadLines(ctx, b, key)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = append(c.keys, key)
	c.lines = append(c.lines, l...)
	return nil
}

func testPull(t *testing.T, h Harness) {
	ctx := context.Background()
	want := add(t, h)
	src, in := source(t, h), inbound(t)
	var c collector
	res, err := hes.Pull(ctx, src, in, c.process, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res.Landed, c.keys); diff != "" {
		t.Errorf("processed keys differ from landed (-landed +processed):\n%s", diff)
	}
	sameLines(t, "processed", c.lines, want)
	for _, k := range res.Landed {
		name := strings.TrimPrefix(k, hes.LandingPrefix)
		if ok, _ := in.Exists(ctx, hes.ProcessedPrefix+name); !ok {
			t.Errorf("%s not moved to %s%s", k, hes.ProcessedPrefix, name)
		}
		if ok, _ := in.Exists(ctx, k); ok {
			t.Errorf("%s still in landing after processing", k)
		}
	}
	res, err = hes.Pull(ctx, src, in, c.process, nil)
	if err != nil || len(res.Landed) != 0 {
		t.Errorf("second Pull = %+v, %v; want nothing", res, err)
	}
}

var errCrash = errors.New("simulated crash")

func testCrash(t *testing.T, h Harness, afterLand bool) {
	ctx := context.Background()
	want := add(t, h)
	in := inbound(t)
	var crashedKey string
	f := func(key string) error { crashedKey = key; return errCrash }
	faults := &hes.Faults{BeforeAck: f}
	if afterLand {
		faults = &hes.Faults{AfterLand: f}
	}
	var first collector
	_, err := hes.Pull(ctx, source(t, h), in, first.process, &hes.Options{Faults: faults})
	if !errors.Is(err, errCrash) {
		t.Fatalf("Pull with a crash fault = %v, want the crash", err)
	}
	if err := h.Crashed(ctx); err != nil {
		t.Fatal(err)
	}
	var c collector
	res, err := hes.Pull(ctx, source(t, h), in, c.process, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The object the crash interrupted is delivered again, to the same key.
	if !slices.Contains(res.Landed, crashedKey) {
		t.Errorf("after the crash, landed %v; want %q again (the same key)", res.Landed, crashedKey)
	}
	sameLines(t, "delivered after restart", c.lines, want)
	res, err = hes.Pull(ctx, source(t, h), in, c.process, nil)
	if err != nil || len(res.Landed) != 0 {
		t.Errorf("Pull after recovery = %+v, %v; want nothing", res, err)
	}
}

func testRetry(t *testing.T, h Harness) {
	ctx := context.Background()
	want := add(t, h)
	src, in := source(t, h), inbound(t)
	boom := errors.New("ingest failed")
	c := collector{fail: func(string) error { return boom }}
	res, err := hes.Pull(ctx, src, in, c.process, nil)
	if !errors.Is(err, boom) || hes.Code(err) != hes.Processing {
		t.Fatalf("Pull with a failing process = %v (code %v), want %v with code Processing", err, hes.Code(err), boom)
	}
	if res.Failed == 0 || len(res.Quarantined) != 0 {
		t.Errorf("result %+v: want failures and nothing quarantined", res)
	}
	c.fail = nil
	if _, err := hes.Pull(ctx, src, in, c.process, nil); err != nil {
		t.Fatal(err)
	}
	sameLines(t, "delivered on retry", c.lines, want)
}

func testPoison(t *testing.T, h Harness) {
	ctx := context.Background()
	want := add(t, h)
	src, in := source(t, h), inbound(t)
	boom := errors.New("unparseable")
	c := collector{fail: func(string) error { return boom }}
	var poisoned []string
	for i := 0; ; i++ {
		if i > 20*h.MaxAttempts() {
			t.Fatalf("objects still not quarantined after %d pulls", i)
		}
		res, _ := hes.Pull(ctx, src, in, c.process, nil)
		poisoned = append(poisoned, res.Quarantined...)
		if res.Failed == 0 && len(res.Quarantined) == 0 {
			break
		}
	}
	if len(poisoned) == 0 {
		t.Fatal("nothing quarantined")
	}
	for _, k := range poisoned {
		if !strings.HasPrefix(k, hes.PoisonPrefix+src.Name()+"/") {
			t.Errorf("quarantined %q, not under %s%s/", k, hes.PoisonPrefix, src.Name())
		}
		if ok, _ := in.Exists(ctx, k+".error.json"); !ok {
			t.Errorf("%s has no .error.json", k)
		}
	}
	sameLines(t, "quarantined", readAll(t, in, poisoned), want)
	// The source moved on: new data flows.
	more := add(t, h)
	c.fail = nil
	if _, err := hes.Pull(ctx, src, in, c.process, nil); err != nil {
		t.Fatal(err)
	}
	sameLines(t, "delivered after the poison", c.lines, more)
}

func testConcurrent(t *testing.T, h Harness) {
	if !h.Concurrent() {
		t.Skip("the source takes one fetcher at a time")
	}
	ctx := context.Background()
	var want []string
	for range 4 {
		want = append(want, add(t, h)...)
	}
	var wg sync.WaitGroup
	var c collector
	errs := make([]error, 3)
	for i := range errs {
		src, in := source(t, h), inbound(t)
		wg.Go(func() {
			_, errs[i] = hes.Pull(ctx, src, in, c.process, &hes.Options{Max: 1})
			for errs[i] == nil {
				res, err := hes.Pull(ctx, src, in, c.process, &hes.Options{Max: 1})
				errs[i] = err
				if len(res.Landed) == 0 && res.Claimed == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	sameLines(t, "delivered by 3 fetchers", c.lines, want)
}

func testErrors(t *testing.T, h Harness) {
	ctx := context.Background()
	src := source(t, h)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := hes.Fetch(ctx, src, inbound(t), nil)
	var he *hes.Error
	if !errors.As(err, &he) || he.Code != hes.FailedPrecondition {
		t.Errorf("Fetch on a closed source = %v; want *hes.Error with code FailedPrecondition", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	add(t, h)
	_, err = hes.Fetch(cctx, source(t, h), inbound(t), nil)
	if hes.Code(err) != hes.Canceled {
		t.Errorf("Fetch with a canceled context = %v (code %v); want code Canceled", err, hes.Code(err))
	}
}
