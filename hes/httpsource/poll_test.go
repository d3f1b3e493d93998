package httpsource_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/hes"
	"github.com/openmda/mda/hes/httpsource"
	"github.com/openmda/mda/simulator"
)

// TestEmptyWindowsAreQuick downloads a day with no reads in 6-hour windows
// with the default poll interval (2 s). The simulated head-end needs two
// status requests per file (queued, running, then skipped), which took 4 s
// a window when every pause was the full interval; growing pauses take
// 0.125 s + 0.25 s.
func TestEmptyWindowsAreQuick(t *testing.T) {
	ctx := context.Background()
	g, err := simulator.New(&simulator.Options{Meters: 2, Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	empty := g.Options().Start.Add(48 * time.Hour) // a day after the data ends
	now := func() time.Time { return empty.Add(24 * time.Hour) }
	srv := httptest.NewServer(simulator.NewHES(g, &simulator.HESOptions{Now: now}))
	defer srv.Close()
	src, err := httpsource.New(srv.URL, "hes", &httpsource.Options{Start: empty, Window: 6 * time.Hour, Lag: time.Minute, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	inbound := memblob.OpenBucket(nil)
	defer inbound.Close()
	t0 := time.Now()
	keys, err := hes.Fetch(ctx, src, inbound, nil)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(t0)
	if len(keys) != 0 {
		t.Errorf("fetched %v from a day without reads", keys)
	}
	st, err := hes.ReadState(ctx, inbound, "hes")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"watermark":"` + now().Add(-time.Minute).UTC().Format(time.RFC3339) + `"}`; string(st.Cursor) != want {
		t.Errorf("watermark %s, want %s: the empty windows must be passed, not retried", st.Cursor, want)
	}
	// Four windows at the old fixed 2 s pauses: 16 s. Allow for a loaded
	// machine, far below that.
	if elapsed > 5*time.Second {
		t.Errorf("four empty windows took %v", elapsed)
	}
	t.Logf("four empty windows in %v", elapsed)
}

// TestEndStopsTheWindows: a source with an end (end= in its URL) fetches
// the windows up to it and stops there, instead of walking empty windows
// up to the present: a backfill of a past period.
func TestEndStopsTheWindows(t *testing.T) {
	ctx := context.Background()
	g, err := simulator.New(&simulator.Options{Meters: 2, Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	start := g.Options().Start
	srv := httptest.NewServer(simulator.NewHES(g, nil)) // the head-end's clock is now
	defer srv.Close()
	end := start.Add(12 * time.Hour)
	src, err := hes.OpenSource(ctx, "hes+"+srv.URL+"/?name=hes&window=6h&lag=1m&poll=16ms&start="+start.Format(time.RFC3339)+"&end="+end.Format(time.RFC3339))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	inbound := memblob.OpenBucket(nil)
	defer inbound.Close()
	keys, err := hes.Fetch(ctx, src, inbound, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Errorf("fetched %v, want the two 6-hour windows before the end", keys)
	}
	st, err := hes.ReadState(ctx, inbound, "hes")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"watermark":"` + end.UTC().Format(time.RFC3339) + `"}`; string(st.Cursor) != want {
		t.Errorf("watermark %s, want %s", st.Cursor, want)
	}
	if _, err := hes.OpenSource(ctx, "hes+"+srv.URL+"/?end=yesterday"); err == nil {
		t.Error("end=yesterday: no error")
	}
}

// TestDayStartEnd: start= and end= may be days (their midnight, UTC), as
// elsewhere in the mda command; a time in none of the accepted forms gets
// an error that names them, not a Go layout.
func TestDayStartEnd(t *testing.T) {
	ctx := context.Background()
	g, err := simulator.New(&simulator.Options{Meters: 2, Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(simulator.NewHES(g, nil))
	defer srv.Close()
	src, err := hes.OpenSource(ctx, "hes+"+srv.URL+"/?name=hes&window=12h&lag=1m&poll=16ms&start=2024-03-01&end=2024-03-02")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	inbound := memblob.OpenBucket(nil)
	defer inbound.Close()
	keys, err := hes.Fetch(ctx, src, inbound, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Errorf("fetched %v, want the two 12-hour windows of 2024-03-01", keys)
	}
	st, err := hes.ReadState(ctx, inbound, "hes")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"watermark":"2024-03-02T00:00:00Z"}`; string(st.Cursor) != want {
		t.Errorf("watermark %s, want %s", st.Cursor, want)
	}
	_, err = hes.OpenSource(ctx, "hes+"+srv.URL+"/?start=2024/03/01")
	if err == nil || !strings.Contains(err.Error(), "want RFC 3339 (2024-03-01T00:00:00Z)") || strings.Contains(err.Error(), "2006") {
		t.Errorf("start=2024/03/01: error %v, want one naming the accepted forms", err)
	}
}
