package grid_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
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

// TestHandlerMessages: errors name the parameters as given and show other
// times in RFC 3339 (a day as to showed as the next midnight, and times
// in Go's time.Time format); /voltvar without at answers for the lake's
// latest hour of voltage reads, not for now; formats other than json get
// 400 where the route has no CSV.
func TestHandlerMessages(t *testing.T) {
	w := newWorld(t, simulator.Options{Meters: 30, Days: 1, Seed: 3}, smallGrid, nil)
	now := time.Date(2026, 11, 26, 13, 34, 34, 391140784, time.UTC)
	h := grid.NewHandler(w.lake, &grid.HandlerOptions{Topology: w.topo, Now: func() time.Time { return now }})
	dt := w.topo.DistributionTransformers[0].ID
	tests := []struct {
		path string
		code int
		want string // the error, or the start of the body
	}{
		{"/outage?from=2024-03-08&to=2024-03-01", 400, "grid: bad request: to 2024-03-01 is before from 2024-03-08"},
		{"/outage?from=20240308&to=20240301", 400, "grid: bad request: to 20240301 is before from 20240308"},
		{"/outage?from=2024-03-02&to=2024-03-01", 400, "grid: bad request: to 2024-03-01 is before from 2024-03-02"},
		{"/outage?from=2024-03-02&to=2024-03-01T00:00:00Z", 400, "grid: bad request: to 2024-03-01T00:00:00Z is before from 2024-03-02"},
		{"/outage?from=2024-03-01T06:00:00Z&to=2024-03-01T06:00:00Z", 400,
			"grid: bad request: to 2024-03-01T06:00:00Z is not after from 2024-03-01T06:00:00Z: the range is empty"},
		{"/outage?start_date_time=20240309&end_date_time=20240308", 400, "grid: bad request: end_date_time 20240308 is before start_date_time 20240309"},
		{"/outage?from=2030-01-01", 400, "grid: bad request: to 2026-11-26T13:34:00Z (default) is before from 2030-01-01"},
		{"/outage?from=2024-01-01&to=2024-03-01", 400, "grid: bad request: from 2024-01-01, to 2024-03-01: the range is longer than the 32 days allowed"},
		{"/outage?from=2024-03-01&to=2024-03-01&format=arrow", 400, `grid: bad request: format "arrow": want json or csv`},
		{"/voltvar/" + dt + "?at=2020-01-01T12:00:00Z", 404,
			`grid: no reads: distribution_transformer "` + dt + `" in (2020-01-01T11:00:00Z, 2020-01-01T12:00:00Z]`},
		{"/voltvar/" + dt + "?format=csv", 400, `grid: bad request: format "csv": this route answers one JSON object: want format=json`},
		{"/topology/meter/x?format=csv", 400, `grid: bad request: format "csv": this route answers one JSON object: want format=json`},
		{"/voltvar/" + dt, 200, "{"},
		{"/voltvar/" + dt + "?format=json", 200, "{"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			var e struct{ Error string }
			json.Unmarshal(rec.Body.Bytes(), &e)
			if rec.Code != tc.code || (tc.code != 200 && e.Error != tc.want) || (tc.code == 200 && !strings.HasPrefix(rec.Body.String(), tc.want)) {
				t.Errorf("status %d: %s\nwant %d: %s", rec.Code, rec.Body, tc.code, tc.want)
			}
		})
	}

	// /voltvar without at: the hour ending at the latest voltage hour
	// (the simulated day's last read is at midnight, in the next day's
	// first hour: the day's last hour is complete), as with at.
	get := func(path string) grid.VoltVarResult {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		var r grid.VoltVarResult
		if err := json.Unmarshal(rec.Body.Bytes(), &r); rec.Code != 200 || err != nil {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		return r
	}
	r := get("/voltvar/" + dt)
	if !r.To.Equal(at(24, 0)) || r.Meters != 18 || r.Reads != 18*4 {
		t.Errorf("voltvar without at: %+v, want the hour ending %v", r, at(24, 0))
	}
	if diff := cmp.Diff(get("/voltvar/"+dt+"?at=2024-03-02T00:00:00Z"), r); diff != "" {
		t.Errorf("without at and with the latest hour (-with +without):\n%s", diff)
	}

	// A lake with a topology but no voltage reads.
	empty, _ := blob.OpenBucket(context.Background(), "mem://")
	defer empty.Close()
	rec := httptest.NewRecorder()
	grid.NewHandler(empty, &grid.HandlerOptions{Topology: w.topo}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/voltvar/"+dt, nil))
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "the lake has no voltage reads") {
		t.Errorf("no voltage reads: %d %s", rec.Code, rec.Body)
	}
}

// TestHandlerCSV: format=csv answers the rows of /outage and
// /topology/{table} as CSV with a header line, the same rows as the JSON.
func TestHandlerCSV(t *testing.T) {
	g0, _ := simulator.New(&simulator.Options{Meters: 30, Days: 1, Seed: 3})
	topo0, _ := g0.Topology(smallGrid)
	st := topo0.ServiceTransformers[1].ID
	w := newWorld(t, simulator.Options{Meters: 30, Days: 1, Seed: 3}, smallGrid,
		[]simulator.Outage{{ID: st, Start: at(8, 0), End: at(9, 0)}})
	h := grid.NewHandler(w.lake, &grid.HandlerOptions{Topology: w.topo})
	get := func(path string) [][]string {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("GET %s: %d %s %s", path, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
		rows, err := csv.NewReader(rec.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	events, err := grid.DetectOutages(context.Background(), w.lake, w.topo, day0, day0.Add(24*time.Hour), nil)
	if err != nil || len(events) != 1 {
		t.Fatalf("%v, %v", events, err)
	}
	e := events[0]
	want := [][]string{
		{"level", "id", "start", "end", "ongoing", "started_before", "kind", "meters", "meter_ids", "latitude", "longitude"},
		{"service_transformer", st, "2024-03-01T08:00:00Z", "2024-03-01T09:00:00Z", "false", "false", e.Kind, "6",
			strings.Join(e.MeterIDs, " "), strconv.FormatFloat(*e.Latitude, 'f', -1, 64), strconv.FormatFloat(*e.Longitude, 'f', -1, 64)},
	}
	if diff := cmp.Diff(want, get("/outage?from=2024-03-01&to=2024-03-01&format=csv")); diff != "" {
		t.Errorf("/outage (-want +got):\n%s", diff)
	}
	meters := get("/topology/smart_meter?format=csv")
	if len(meters) != 31 || !slices.Equal(meters[0], []string{"id", "locationId", "serviceTransformerId"}) {
		t.Fatalf("smart_meter: %d lines, header %v", len(meters), meters[0])
	}
	for i, m := range w.topo.SmartMeters {
		if got := meters[i+1]; !slices.Equal(got, []string{m.ID, m.LocationID, m.ServiceTransformerID}) {
			t.Errorf("smart_meter row %d: %v, want %+v", i, got, m)
		}
	}
	locs := get("/topology/location?format=csv")
	l := w.topo.Locations[0]
	if want := []string{l.ID, strconv.FormatFloat(float64(l.Latitude), 'f', -1, 64), strconv.FormatFloat(float64(l.Longitude), 'f', -1, 64),
		l.Address, l.LocationType}; len(locs) != len(w.topo.Locations)+1 || !slices.Equal(locs[1], want) {
		t.Errorf("location: %d lines, first row %v, want %v", len(locs), locs[1], want)
	}
}

// TestRangeErrors: the analyses' own range errors show their times in
// RFC 3339, not in Go's time.Time format.
func TestRangeErrors(t *testing.T) {
	ctx := context.Background()
	lake, _ := blob.OpenBucket(ctx, "mem://")
	defer lake.Close()
	const want = "grid: bad request: to 2024-03-01T01:00:00Z is not after from 2024-03-01T02:00:00Z"
	_, err1 := grid.Rollup(ctx, lake, nil, topology.LevelServiceTransformer, at(2, 0), at(1, 0), nil)
	_, err2 := grid.DetectOutages(ctx, lake, nil, at(2, 0), at(1, 0), nil)
	for _, err := range []error{err1, err2} {
		if err == nil || err.Error() != want {
			t.Errorf("%v, want %s", err, want)
		}
	}
}
