package grid_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gocloud.dev/blob"

	"github.com/openmda/mda/grid"
	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/simulator"
)

func TestHandler(t *testing.T) {
	g0, _ := simulator.New(&simulator.Options{Meters: 30, Days: 1, Seed: 3})
	topo0, _ := g0.Topology(smallGrid)
	st := topo0.ServiceTransformers[1].ID
	w := newWorld(t, simulator.Options{Meters: 30, Days: 1, Seed: 3}, smallGrid,
		[]simulator.Outage{{ID: st, Start: at(8, 0), End: at(9, 0)}})
	if err := w.topo.WriteLake(context.Background(), w.lake); err != nil {
		t.Fatal(err)
	}
	h := grid.NewHandler(w.lake, &grid.HandlerOptions{Now: func() time.Time { return at(23, 0) }})
	dt := w.topo.DistributionTransformers[0].ID
	m := w.topo.SmartMeters[7].ID
	tests := []struct {
		path  string
		code  int
		check func(t *testing.T, body []byte)
	}{
		{"/outage?from=2024-03-01&to=2024-03-01", 200, func(t *testing.T, body []byte) {
			var r struct{ Outages []grid.OutageEvent }
			json.Unmarshal(body, &r)
			if len(r.Outages) != 1 || r.Outages[0].ID != st || !r.Outages[0].Start.Equal(at(8, 0)) || len(r.Outages[0].MeterIDs) != 6 {
				t.Errorf("outages %+v", r.Outages)
			}
		}},
		{"/outage", 200, nil}, // the last 24 hours
		{"/outage?from=20240301&to=20240302", 200, nil},
		{"/outage?from=yesterday", 400, nil},
		{"/outage?from=2024-03-02&to=2024-03-01T00:00:00Z", 400, nil},
		{"/outage?from=2024-01-01&to=2024-03-01", 400, nil},
		{"/voltvar/" + dt + "?at=2024-03-01T12:00:00Z", 200, func(t *testing.T, body []byte) {
			var r grid.VoltVarResult
			json.Unmarshal(body, &r)
			if r.TransformerID != dt || r.Meters != 18 || r.Reads != 18*4 || !(r.MeanVoltage > 200) {
				t.Errorf("voltvar %+v", r)
			}
		}},
		{"/voltvar/" + st + "?at=2024-03-01T12:00:00Z", 200, nil}, // a service transformer
		{"/voltvar/" + dt + "?at=noon", 400, nil},
		{"/voltvar/" + dt + "?at=2020-01-01T12:00:00Z", 404, nil},
		{"/voltvar/nope", 404, nil},
		{"/topology/smart_meter", 200, func(t *testing.T, body []byte) {
			var rows []map[string]any
			json.Unmarshal(body, &rows)
			if len(rows) != 30 || rows[0]["serviceTransformerId"] == nil {
				t.Errorf("%d rows, first %v", len(rows), rows[0])
			}
		}},
		{"/topology/location", 200, nil},
		{"/topology/bogus", 404, nil},
		{"/topology/meter/" + m, 200, func(t *testing.T, body []byte) {
			var info grid.MeterInfo
			json.Unmarshal(body, &info)
			want, _ := grid.DescribeMeter(w.topo, m)
			ignore := cmp.Options{cmpopts.IgnoreFields(topology.ServiceTransformer{}, "CapacityKVA"),
				cmpopts.IgnoreFields(topology.DistributionTransformer{}, "CapacityKVA")} // not in the JSON
			if diff := cmp.Diff(want, info, ignore); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if info.Substation == nil || info.Location == nil {
				t.Errorf("incomplete: %+v", info)
			}
		}},
		{"/topology/meter/" + url.PathEscape("no such meter"), 404, nil},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("content type %q", ct)
			}
			if tc.check != nil {
				tc.check(t, rec.Body.Bytes())
			}
		})
	}
}

func TestHandlerWithoutTopology(t *testing.T) {
	lake, _ := blob.OpenBucket(context.Background(), "mem://")
	defer lake.Close()
	h := grid.NewHandler(lake, nil)
	for path, code := range map[string]int{"/topology/smart_meter": 404, "/voltvar/x": 404, "/outage": 200, "/topology/meter/x": 404} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != code {
			t.Errorf("%s: status %d, want %d: %s", path, rec.Code, code, rec.Body)
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in    string
		upper bool
		want  time.Time
		ok    bool
	}{
		{"2024-03-01", false, at(0, 0), true},
		{"2024-03-01", true, at(24, 0), true},
		{"20240301", true, at(24, 0), true},
		{"20240301123000", false, at(12, 30), true},
		{"2024-03-01T12:30:00+01:00", false, at(11, 30), true},
		{"2024-02-30", false, time.Time{}, false},
		{"", false, time.Time{}, false},
	}
	for _, tc := range tests {
		got, err := grid.ParseTime(tc.in, tc.upper)
		if (err == nil) != tc.ok || !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q, %v) = %v, %v", tc.in, tc.upper, got, err)
		}
	}
}

// TestOutageCache: an /outage answer is reused for the same window until
// OutageTTL has passed, and not at all with a negative TTL.
func TestOutageCache(t *testing.T) {
	ctx := context.Background()
	g0, _ := simulator.New(&simulator.Options{Meters: 30, Days: 1, Seed: 3})
	topo0, _ := g0.Topology(smallGrid)
	st := topo0.ServiceTransformers[1].ID
	w := newWorld(t, simulator.Options{Meters: 30, Days: 1, Seed: 3}, smallGrid,
		[]simulator.Outage{{ID: st, Start: at(8, 0), End: at(9, 0)}})
	now := at(23, 0)
	clock := func() time.Time { return now }
	cached := grid.NewHandler(w.lake, &grid.HandlerOptions{Topology: w.topo, Now: clock})
	uncached := grid.NewHandler(w.lake, &grid.HandlerOptions{Topology: w.topo, Now: clock, OutageTTL: -1})
	get := func(h http.Handler) (int, error) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/outage?from=2024-03-01&to=2024-03-01", nil))
		if rec.Code != http.StatusOK {
			return 0, fmt.Errorf("status %d: %s", rec.Code, rec.Body)
		}
		var r struct{ Outages []grid.OutageEvent }
		err := json.Unmarshal(rec.Body.Bytes(), &r)
		return len(r.Outages), err
	}
	outages := func(h http.Handler) int {
		t.Helper()
		n, err := get(h)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Concurrent requests for one window share one scan.
	var wg sync.WaitGroup
	counts, errs := make([]int, 8), make([]error, 8)
	for i := range counts {
		wg.Go(func() { counts[i], errs[i] = get(cached) })
	}
	wg.Wait()
	for i, n := range counts {
		if n != 1 || errs[i] != nil {
			t.Fatalf("request %d: %d outages (%v), want 1", i, n, errs[i])
		}
	}
	if n, m := outages(cached), outages(uncached); n != 1 || m != 1 {
		t.Fatalf("%d and %d outages, want 1", n, m)
	}
	// The meters' reads of the outage's hours arrive (as if late): the
	// outage is gone from the lake.
	g, err := simulator.New(&simulator.Options{Meters: 30, Days: 1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.WriteTruthLake(ctx, w.lake, "late", nil); err != nil {
		t.Fatal(err)
	}
	if n, m := outages(cached), outages(uncached); n != 1 || m != 0 {
		t.Errorf("within the TTL: %d outages cached (want 1), %d uncached (want 0)", n, m)
	}
	now = now.Add(2 * time.Minute)
	if n := outages(cached); n != 0 {
		t.Errorf("after the TTL: %d outages, want 0", n)
	}
}
