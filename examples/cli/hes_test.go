package main

import (
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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
