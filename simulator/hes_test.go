package simulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/simulator"
)

func hesFixture(t *testing.T, opts simulator.HESOptions) (*simulator.Generator, *httptest.Server, *time.Time) {
	t.Helper()
	g, err := simulator.New(&simulator.Options{Meters: 4, Days: 1, LateFraction: 0.2, LateOffset: 3 * time.Hour, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	now := g.Options().Start.Add(48 * time.Hour)
	opts.Now = func() time.Time { return now }
	srv := httptest.NewServer(simulator.NewHES(g, &opts))
	t.Cleanup(srv.Close)
	return g, srv, &now
}

// csvLines returns g's lines that arrived in [from, to) and by now, as CSV,
// sorted like the HES: by arrival, time, device id.
func csvLines(t *testing.T, g *simulator.Generator, from, to, now time.Time) []string {
	t.Helper()
	var ls []meter.HESLine
	g.Lines(func(l *meter.HESLine) error {
		if !l.Arrival.Before(from) && l.Arrival.Before(to) && !l.Arrival.After(now) {
			ls = append(ls, *l)
		}
		return nil
	})
	sortLines(ls)
	var out []string
	for i := range ls {
		out = append(out, strings.TrimSuffix(string(meter.AppendHESCSV(nil, &ls[i])), "\n"))
	}
	return out
}

func sortLines(ls []meter.HESLine) {
	for i := 1; i < len(ls); i++ { // insertion sort: the lines are nearly sorted
		for j := i; j > 0 && lessLine(&ls[j], &ls[j-1]); j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

func lessLine(a, b *meter.HESLine) bool {
	if !a.Arrival.Equal(b.Arrival) {
		return a.Arrival.Before(b.Arrival)
	}
	if !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	return a.DeviceID < b.DeviceID
}

func get(t *testing.T, srv *httptest.Server, path string, hdr map[string]string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp.StatusCode
}

func recordCSV(r simulator.HESRecord) string {
	return strings.Join([]string{r.Time, r.ArrivalTime, r.DeviceID, r.MeasureName, string(r.Load), string(r.Current),
		string(r.PF), string(r.KVA), string(r.KW), string(r.Voltage)}, ",")
}

func TestHESReadingsPagination(t *testing.T) {
	g, srv, now := hesFixture(t, simulator.HESOptions{})
	start := g.Options().Start.Add(6 * time.Hour)
	want := csvLines(t, g, start, now.Add(time.Hour), *now)
	var got []string
	offset := int64(0)
	for page := 0; ; page++ {
		var r simulator.HESReadings
		q := url.Values{"start_date": {start.Format(simulator.HESTimeLayout)}, "offset": {itoa(offset)}, "page_size": {"37"}}
		if code := get(t, srv, "/readings?"+q.Encode(), nil, &r); code != 200 {
			t.Fatalf("page %d: status %d", page, code)
		}
		if r.Results.RecordsTotal != int64(len(want)) {
			t.Fatalf("records_total %d, want %d", r.Results.RecordsTotal, len(want))
		}
		if len(r.Records) == 0 {
			break
		}
		for i, rec := range r.Records {
			if rec.Offset != offset+int64(i)+1 {
				t.Fatalf("record offset %d, want %d", rec.Offset, offset+int64(i)+1)
			}
			got = append(got, recordCSV(rec))
		}
		offset = r.Results.LastOffset
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged records differ (-want +got):\n%.2000s", diff)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestHESReadingsErrorsAndAuth(t *testing.T) {
	g, srv, _ := hesFixture(t, simulator.HESOptions{APIKey: "k"})
	late := url.Values{"start_date": {g.Options().Start.Add(30 * 24 * time.Hour).Format(simulator.HESTimeLayout)}}.Encode()
	for _, tc := range []struct {
		name  string
		query string
		hdr   map[string]string
		code  int
		total int64
	}{
		{"no key", "start_date=2024-03-01%2000:00", nil, 403, 0},
		{"wrong key", "start_date=2024-03-01%2000:00", map[string]string{"x-api-key": "nope"}, 403, 0},
		{"bearer", "start_date=2024-03-01%2000:00&page_size=1", map[string]string{"Authorization": "Bearer k"}, 200, -1},
		{"no start", "", map[string]string{"x-api-key": "k"}, 400, 0},
		{"bad start", "start_date=yesterday", map[string]string{"x-api-key": "k"}, 400, 0},
		{"bad page", "start_date=2024-03-01%2000:00&page_size=0", map[string]string{"x-api-key": "k"}, 400, 0},
		{"empty is 200", late, map[string]string{"x-api-key": "k"}, 200, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r simulator.HESReadings
			code := get(t, srv, "/readings?"+tc.query, tc.hdr, &r)
			if code != tc.code {
				t.Fatalf("status %d, want %d", code, tc.code)
			}
			if tc.code == 200 && tc.total >= 0 && (r.Results.RecordsTotal != tc.total || len(r.Records) != 0) {
				t.Errorf("got %d of %d records, want none", len(r.Records), r.Results.RecordsTotal)
			}
		})
	}
}

// fileOf requests the file of [from, to) and polls it to its end.
func fileOf(t *testing.T, srv *httptest.Server, from, to time.Time) (simulator.HESFileStatus, []string, []string) {
	t.Helper()
	body, _ := json.Marshal(simulator.HESFileRequest{StartDate: from.Format(simulator.HESTimeLayout), EndDate: to.Format(simulator.HESTimeLayout)})
	resp, err := http.Post(srv.URL+"/readings/file", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var st simulator.HESFileStatus
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	statuses := []string{st.Status}
	for st.Status == simulator.HESQueued || st.Status == simulator.HESRunning {
		get(t, srv, "/readings/file?request_id="+st.RequestID, nil, &st)
		statuses = append(statuses, st.Status)
	}
	if st.Status != simulator.HESCompleted {
		return st, statuses, nil
	}
	resp, err = http.Get(srv.URL + st.Location)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if lines[0] != meter.HESCSVHeader {
		t.Fatalf("header %q", lines[0])
	}
	return st, statuses, lines[1:]
}

func TestHESFiles(t *testing.T) {
	g, srv, now := hesFixture(t, simulator.HESOptions{FailFileEvery: 4})
	s := g.Options().Start
	for _, tc := range []struct {
		name       string
		from, to   time.Time
		statuses   []string
		wantRecord bool
	}{
		{"window", s.Add(time.Hour), s.Add(3 * time.Hour), []string{"queued", "running", "completed"}, true},
		{"adjacent window", s.Add(3 * time.Hour), s.Add(5 * time.Hour), []string{"queued", "running", "completed"}, true},
		{"before the data", s.Add(-5 * time.Hour), s, []string{"queued", "running", "skipped"}, false},
		{"injected failure", s, s.Add(time.Hour), []string{"queued", "running", "failed"}, false},
		{"late reads only", s.Add(24*time.Hour + 10*time.Minute), s.Add(27 * time.Hour), []string{"queued", "running", "completed"}, true},
		{"not arrived yet", now.Add(time.Hour), now.Add(2 * time.Hour), []string{"queued", "running", "skipped"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, statuses, lines := fileOf(t, srv, tc.from, tc.to)
			if diff := cmp.Diff(tc.statuses, statuses); diff != "" {
				t.Fatalf("statuses (-want +got):\n%s", diff)
			}
			if !tc.wantRecord {
				return
			}
			want := csvLines(t, g, tc.from, tc.to, *now)
			if len(want) == 0 {
				t.Fatal("test window holds no lines")
			}
			if diff := cmp.Diff(want, lines); diff != "" {
				t.Errorf("file lines differ (-want +got):\n%.2000s", diff)
			}
			if st.RecordCount == nil || *st.RecordCount != len(want) {
				t.Errorf("record_count %v, want %d", st.RecordCount, len(want))
			}
		})
	}
	if code := get(t, srv, "/readings/file?request_id=nope", nil, nil); code != 404 {
		t.Errorf("unknown request: status %d, want 404", code)
	}
}

// TestHESClock checks that only lines that have arrived by Now are served.
func TestHESClock(t *testing.T) {
	g, srv, now := hesFixture(t, simulator.HESOptions{})
	s := g.Options().Start
	*now = s.Add(2 * time.Hour)
	q := "/readings?start_date=" + url.QueryEscape(s.Format(simulator.HESTimeLayout)) + "&page_size=1"
	var r simulator.HESReadings
	get(t, srv, q, nil, &r)
	if want := int64(len(csvLines(t, g, s, s.Add(100*time.Hour), *now))); r.Results.RecordsTotal != want {
		t.Errorf("at %v: %d records, want %d", *now, r.Results.RecordsTotal, want)
	}
	*now = s.Add(30 * time.Hour)
	get(t, srv, q, nil, &r)
	if want := int64(len(csvLines(t, g, s, s.Add(100*time.Hour), *now))); r.Results.RecordsTotal != want {
		t.Errorf("at %v: %d records, want %d", *now, r.Results.RecordsTotal, want)
	}
}
