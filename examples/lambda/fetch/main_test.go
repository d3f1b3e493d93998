package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda"
	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/examples/lambda/internal/lambdatest"
	"github.com/openmda/mda/hes"
	"github.com/openmda/mda/simulator"
)

// TestFetch runs the scheduled downloader against a simulated head-end
// system, behind an API key, into an S3 inbound bucket: the first run
// fails part way when the head-end goes down, keeping what it landed;
// the next run goes on from there and lands the rest, the one after it
// nothing. Every landed object lands once, under the source's landing
// folder (where the inbound function's rule looks), and the inbound,
// worker and integrator functions make of them the simulator's truth
// exactly: late reads included, no read lost or doubled at the windows'
// edges.
func TestFetch(t *testing.T) {
	ctx := context.Background()
	env := lambdatest.New(t)
	g, err := simulator.New(&simulator.Options{Meters: 5, Days: 1, Seed: 11, LateFraction: 0.05, LateOffset: 5 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	start := g.Options().Start
	hesSim := simulator.NewHES(g, &simulator.HESOptions{APIKey: "secret", Now: func() time.Time { return start.Add(48 * time.Hour) }})
	// The head-end goes down after limit requests.
	var requests, limit atomic.Int64
	limit.Store(40)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) > limit.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		hesSim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	t.Setenv("HES_API_KEY", "secret")
	env.Vars["HES_SOURCE_URL"] = "hes+" + srv.URL + "/?api_key_env=HES_API_KEY&name=hes1&window=2h&lag=1m&poll=10ms&retries=1" +
		"&start=" + start.Format(time.RFC3339) + "&end=" + start.Add(36*time.Hour).Format(time.RFC3339)
	env.Vars["FETCH_MAX"] = "4" // several listings per run
	f, err := handler.NewFetcher(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "info"))
	if err != nil {
		t.Fatal(err)
	}
	run := func() (handler.FetcherResult, error) {
		t.Helper()
		out, err := lambdatest.Invoke(ctx, f.Handle, []byte(`{"source":"aws.scheduler"}`))
		var res handler.FetcherResult
		if out != nil {
			if jerr := json.Unmarshal(out, &res); jerr != nil {
				t.Fatalf("response %s: %v", out, jerr)
			}
		}
		return res, err
	}

	// A failed invocation returns its error, not its result: what it
	// landed is in the bucket (and in its log line).
	landing := hes.LandingKey("hes1", "")
	if _, err := run(); err == nil || !strings.Contains(err.Error(), "down for maintenance") {
		t.Fatalf("first run, the head-end going down after %d requests: %v; want its error", limit.Load(), err)
	}
	before := lambdatest.Keys(t, env.Inbound, landing)
	if len(before) == 0 {
		t.Fatal("the first run landed nothing before the head-end went down")
	}
	limit.Store(1 << 40)
	second, err := run()
	if err != nil || len(second.Landed) == 0 || second.More {
		t.Fatalf("second run: %+v, %v; want the rest landed", second, err)
	}
	third, err := run()
	if err != nil || len(third.Landed) != 0 {
		t.Fatalf("third run: %+v, %v; want nothing new", third, err)
	}
	landed := append(slices.Clone(before), second.Landed...)
	if got := lambdatest.Keys(t, env.Inbound, landing); !cmp.Equal(slices.Sorted(slices.Values(landed)), got) {
		t.Errorf("inbound bucket holds %v; the first run landed %v, the second %v", got, before, second.Landed)
	}
	for _, k := range landed {
		if !strings.HasPrefix(k, hes.LandingPrefix+"hes1/") {
			t.Errorf("%s is not in the source's landing folder", k)
		}
	}
	t.Logf("run 1: %d landed; run 2: %d landed, %d empty, %d listings", len(before), len(second.Landed), second.Empty, second.Listings)

	// The rest of the pipeline, as the template wires it.
	env.Ingest(t, landed)
	if diff := lambdatest.TruthDiff(t, g, env.Lake); diff != "" {
		t.Errorf("lake differs from the truth (-want +got):\n%s", diff)
	}
}

// TestFetchEnvironment: a fetcher needs its inbound bucket and a source it
// can open, and says which is missing.
func TestFetchEnvironment(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"INBOUND_URL": "mem://"}, "HES_SOURCE_URL"},
		{map[string]string{"HES_SOURCE_URL": "drop+mem://"}, "INBOUND_URL"},
		{map[string]string{"INBOUND_URL": "mem://", "HES_SOURCE_URL": "ftp://host/dir"}, "HES_SOURCE_URL"},
		{map[string]string{"INBOUND_URL": "mem://", "HES_SOURCE_URL": "hes+http://host/?api_key_env=NOT_SET_ANYWHERE"}, "NOT_SET_ANYWHERE"},
	} {
		_, err := handler.NewFetcher(ctx, lambdaenv.New(lambdaenv.Map(tc.vars)), lambdaenv.Logger(t.Output(), "error"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error naming %s", tc.vars, err, tc.want)
		}
	}
}

// TestFetchOutOfTime: a run whose time runs out in the middle of a
// listing succeeds with More set, having landed part of the windows; the
// window in flight is released, and the next run lands the rest, each
// window once, their reads the simulator's truth.
func TestFetchOutOfTime(t *testing.T) {
	ctx := context.Background()
	env := lambdatest.New(t)
	g, err := simulator.New(&simulator.Options{Meters: 3, Days: 1, Seed: 12})
	if err != nil {
		t.Fatal(err)
	}
	start := g.Options().Start
	hesSim := simulator.NewHES(g, &simulator.HESOptions{Now: func() time.Time { return start.Add(48 * time.Hour) }})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(15 * time.Millisecond) // a slow head-end
		hesSim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	// 25 hours of arrivals: the day's last read, stamped at its end,
	// arrives just after it.
	env.Vars["HES_SOURCE_URL"] = "hes+" + srv.URL + "/?name=slow&window=1h&lag=1m&poll=5ms" +
		"&start=" + start.Format(time.RFC3339) + "&end=" + start.Add(25*time.Hour).Format(time.RFC3339)
	env.Vars["FETCH_MAX"] = "100" // one listing of every window
	f, err := handler.NewFetcher(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "info"))
	if err != nil {
		t.Fatal(err)
	}
	f.StopReserve, f.CancelReserve = 600*time.Millisecond, 300*time.Millisecond
	short, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	first, err := f.Handle(short, nil)
	if err != nil || !first.More || len(first.Landed) == 0 || len(first.Landed) >= 25 || first.Listings != 1 {
		t.Fatalf("run out of time: %+v, %v; want part of the 25 windows landed, More and no error", first, err)
	}
	second, err := f.Handle(ctx, nil)
	if err != nil || second.More || len(first.Landed)+len(second.Landed) != 25 {
		t.Fatalf("next run: %+v, %v; want the other %d windows", second, err, 25-len(first.Landed))
	}
	if overlap := slices.ContainsFunc(second.Landed, func(k string) bool { return slices.Contains(first.Landed, k) }); overlap {
		t.Errorf("a window landed twice: %v then %v", first.Landed, second.Landed)
	}
	for _, k := range append(first.Landed, second.Landed...) {
		if _, err := mda.Ingest(ctx, env.Lake, env.Inbound, k, &mda.IngestOptions{Inbound: env.Inbound}); err != nil {
			t.Fatalf("ingest %s: %v", k, err)
		}
	}
	if diff := lambdatest.TruthDiff(t, g, env.Lake); diff != "" {
		t.Errorf("lake differs from the truth (-want +got):\n%s", diff)
	}
}
