package main

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openmda/mda"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/simulator"
)

// TestCLIFetch: mda fetch from a simulated head-end system starting days
// before its data walks the empty windows, saying how far it has come on
// stderr while more are waiting, ingests the windows with data, and ends
// with how many objects it fetched.
func TestCLIFetch(t *testing.T) {
	if testing.Short() {
		t.Skip("walks 200 windows of a simulated head-end system")
	}
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	g, err := simulator.New(&simulator.Options{Meters: 2, Days: 1, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	// The head-end's clock: the day after the data.
	srv := httptest.NewServer(simulator.NewHES(g, &simulator.HESOptions{Now: func() time.Time { return start.Add(48 * time.Hour) }}))
	defer srv.Close()
	lake := "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "lake"))
	// Six days of hourly windows before the data, the day of data, and
	// the day after it (end= stops the windows there, not at the present).
	from := start.Add(-6 * 24 * time.Hour).Format(time.RFC3339)
	end := start.Add(48 * time.Hour).Format(time.RFC3339)
	src := "hes+" + srv.URL + "/?window=1h&lag=1m&poll=16ms&start=" + from + "&end=" + end // a simulated HES answers at once
	code, out, errs := runCLI(t, "fetch", "--source", src, "--lake", lake, "--backfill")
	if code != 0 {
		t.Fatalf("fetch: exit %d: %s%s", code, out, errs)
	}
	if !strings.Contains(errs, "empty so far") || !strings.Contains(errs, "more waiting") {
		t.Errorf("no progress on stderr while more windows were waiting:\n%s", errs)
	}
	m := regexp.MustCompile(`fetched (\d+) objects from \S+ \((\d+) empty windows acknowledged\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary in:\n%s", out)
	}
	// The day's 24 hours, and the hour after it, in which its last read
	// (stamped at midnight, its interval's end) arrives.
	if m[1] != "25" || m[2] != "167" {
		t.Errorf("fetched %s objects with data and %s empty; want 25 hours of data and 8 x 24 - 25 empty ones", m[1], m[2])
	}
	if !strings.Contains(out, "backfill: late detection off") {
		t.Errorf("the windows were not ingested as a backfill:\n%s", out)
	}
}

// lockedBuffer is a bytes.Buffer for a command running in a goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestCLIServeHESIsTheDemo: serve-hes's simulator defaults are demo's
// (seed, meters, days), so that the README's fetch from serve-hes into the
// demo lake brings the demo's own reads; the fetch command it suggests is
// the README's; and fetching with it gives the lake demo makes.
func TestCLIServeHESIsTheDemo(t *testing.T) {
	flagDefaults := func(cmd string) map[string]string {
		_, _, errs := runCLI(t, cmd, "-h")
		m := map[string]string{}
		for _, name := range []string{"meters", "days", "seed", "start", "interval", "late-offset"} {
			re := regexp.MustCompile(`(?m)^  -` + name + ` \S+\n[^\n]*\(default "?([^")]+)"?\)`)
			if s := re.FindStringSubmatch(errs); s != nil {
				m[name] = s[1]
			}
		}
		return m
	}
	demo, serve := flagDefaults("demo"), flagDefaults("serve-hes")
	if demo["seed"] == "" || demo["meters"] == "" || demo["days"] == "" {
		t.Fatalf("demo -h: no defaults found: %v", demo)
	}
	for name, v := range serve {
		if demo[name] != v {
			t.Errorf("serve-hes --%s defaults to %s, demo's to %s", name, v, demo[name])
		}
	}
	for _, name := range []string{"seed", "meters", "days"} {
		if serve[name] == "" {
			t.Errorf("serve-hes -h shows no default --%s", name)
		}
	}
	// Its start and interval are the simulator's defaults: demo's must be too.
	if demo["start"] != simulator.DefaultStart.Format(time.DateOnly) || demo["interval"] != simulator.DefaultInterval.String() {
		t.Errorf("demo starts %s every %s; serve-hes %s every %s", demo["start"], demo["interval"], simulator.DefaultStart, simulator.DefaultInterval)
	}

	// serve-hes with demo's days (and 2 meters) suggests the README's fetch.
	ctx := context.Background()
	m := startServeHES(t, "--meters", "2")
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	r := regexp.MustCompile(`serve-hes --addr (\S+) &[^\n]*\n[^\n]*fetch --source '(hes\+http://[^']+)' --lake (\S+)\n`).FindSubmatch(readme)
	if r == nil {
		t.Fatal("README has no serve-hes and fetch commands")
	}
	if want := strings.Replace(string(r[2]), string(r[1]), m[2], 1); m[1] != want || m[3] != string(r[3]) {
		t.Errorf("serve-hes suggests\n  --source '%s' --lake %s\nREADME has\n  --source '%s' --lake %s", m[1], m[3], r[2], r[3])
	}

	// Its reads are demo's, value for value (a day of them: a week of
	// hourly partitions takes seconds to write).
	m = startServeHES(t, "--meters", "2", "--days", "1")
	dir := t.TempDir()
	fetched := "file://" + filepath.ToSlash(filepath.Join(dir, "fetched"))
	code, fout, ferrs := runCLI(t, "fetch", "--source", m[1]+"&poll=16ms", "--lake", fetched)
	if code != 0 {
		t.Fatalf("fetch: exit %d: %s%s", code, fout, ferrs)
	}
	demoLake := "file://" + filepath.ToSlash(filepath.Join(dir, "demo"))
	if code, dout, derrs := runCLI(t, "demo", "--lake", demoLake, "--meters", "2", "--days", "1", "--quiet", "--catalog", "none"); code != 0 {
		t.Fatalf("demo: exit %d: %s%s", code, dout, derrs)
	}
	type read struct {
		id, typ string
		t       time.Time
		v       float64
	}
	reads := func(url string) []read {
		b, err := mda.OpenBucket(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		rs, _, err := partition.ReadAll(ctx, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]read, len(rs))
		for i, r := range rs {
			out[i] = read{r.MeterID, string(r.Type), r.Time, r.Value}
		}
		return out
	}
	want, got := reads(demoLake), reads(fetched)
	if len(want) != 2*96*6 {
		t.Errorf("demo lake holds %d reads, want 2 meters x 96 x 6", len(want))
	}
	if !slices.Equal(want, got) {
		t.Errorf("the fetched reads are not demo's: %d and %d reads", len(got), len(want))
	}
}

// startServeHES runs mda serve-hes with args on a free port until the
// test ends, and returns the match of the fetch command it suggests: the
// source URL, its host:port, and the lake.
func startServeHES(t *testing.T, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve-hes", "--addr", "127.0.0.1:0"}, args...), &out, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve-hes %v: exit %d", args, code)
		}
	})
	re := regexp.MustCompile(`fetch with: mda fetch --source '(hes\+http://([^/]+)/\?[^']+)' --lake (\S+)\n`)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve-hes %v printed no fetch command: %s", args, out.String())
		}
	}
}
