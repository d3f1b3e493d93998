package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"

	"github.com/openmda/mda/api"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query/querytest"
)

var (
	lakeOnce sync.Once
	testLake *querytest.Lake
	testB    *blob.Bucket
	lakeErr  error
)

// sharedLake is a 5-meter, 3-day lake (2024-03-01 to 03), ingested once.
func sharedLake(t testing.TB) (*querytest.Lake, *blob.Bucket) {
	t.Helper()
	lakeOnce.Do(func() {
		ctx := context.Background()
		testB, lakeErr = blob.OpenBucket(ctx, "mem://")
		if lakeErr == nil {
			testLake, lakeErr = querytest.Build(ctx, testB, nil)
		}
	})
	if lakeErr != nil {
		t.Fatal(lakeErr)
	}
	return testLake, testB
}

// get serves one request and returns the recorder.
func get(h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != api.JSON {
		t.Fatalf("Content-Type %q", ct)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	return v
}

// approx compares floats, api.Float included (JSON carries 15 significant
// digits), to 1e-9.
var approx = cmp.Options{cmpopts.EquateApprox(1e-9, 1e-9), cmp.Comparer(func(a, b api.Float) bool {
	return math.Abs(float64(a-b)) <= 1e-9*math.Max(1, math.Abs(float64(a)))
})}

// truthHourly is the independent computation: mda.HourlyEnergy over the
// simulator's kW reads (via querytest), hours in [from, to).
func truthHourly(t *testing.T, l *querytest.Lake, id string, from, to time.Time) []api.Energy {
	t.Helper()
	hourly, err := l.HourlyKWh()
	if err != nil {
		t.Fatal(err)
	}
	var out []api.Energy
	for _, e := range hourly {
		if e.MeterID == id && !e.Start.Before(from) && e.Start.Before(to) {
			out = append(out, api.Energy{Start: e.Start, End: e.Start.Add(time.Hour), KWh: api.Float(e.KWh), Reads: e.Reads, IntervalSeconds: 900})
		}
	}
	return out
}

func TestConsumptionMatchesTruth(t *testing.T) {
	l, b := sharedLake(t)
	h := api.New(b, nil)
	id := l.MeterIDs[1]
	day := func(n int) time.Time { return l.Start.AddDate(0, 0, n) }
	for _, tc := range []struct {
		name, from, to string
		first, end     time.Time
	}{
		{"one day includes its last day", "20240302", "20240302", day(1), day(2)},
		{"whole window", "20240301", "20240303", day(0), day(3)},
		{"past the data", "20240302", "20240310", day(1), day(10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decode[api.Consumption](t, get(h, "/consumption/"+id+"?reading_date_from="+tc.from+"&reading_date_to="+tc.to))
			want := api.Consumption{MeterID: id, From: tc.first, To: tc.end, Period: "hour", Unit: "kWh",
				Data: truthHourly(t, l, id, tc.first, tc.end)}
			if diff := cmp.Diff(want, got, approx, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	t.Run("estimates on complete data", func(t *testing.T) {
		// No read is missing: estimate=true changes nothing (the
		// estimating itself is query's TestEnergyEstimate).
		path := "/consumption/" + id + "?reading_date_from=20240301&reading_date_to=20240303&period=day"
		plain := decode[api.Consumption](t, get(h, path))
		est := decode[api.Consumption](t, get(h, path+"&estimate=true"))
		if diff := cmp.Diff(plain, est, approx); diff != "" || len(est.Data) != 3 {
			t.Errorf("(-plain +estimate=true):\n%s", diff)
		}
		// CSV has the estimates' column only when asked for.
		for q, want := range map[string]bool{"&format=csv": false, "&format=csv&estimate=true": true} {
			head, _, _ := strings.Cut(get(h, path+q).Body.String(), "\n")
			if got := strings.HasSuffix(head, ",estimated_reads"); got != want {
				t.Errorf("%s: header %q", q, head)
			}
		}
	})
	t.Run("daily", func(t *testing.T) {
		got := decode[api.Consumption](t, get(h, "/consumption/"+id+"?reading_date_from=20240301&reading_date_to=20240303&period=day"))
		hours := truthHourly(t, l, id, day(0), day(3))
		if len(got.Data) != 3 {
			t.Fatalf("%d days: %+v", len(got.Data), got.Data)
		}
		for i, d := range got.Data {
			var sum float64
			for _, e := range hours[24*i : 24*i+24] {
				sum += float64(e.KWh)
			}
			if diff := cmp.Diff(sum, float64(d.KWh), approx); diff != "" || !d.Start.Equal(day(i)) {
				t.Errorf("day %d: %+v, want %v kWh", i, d, sum)
			}
		}
	})
	t.Run("weekly", func(t *testing.T) {
		// The data's three days (Friday 2024-03-01 to Sunday) are in the
		// ISO week of Monday 2024-02-26, clipped to the query's range.
		got := decode[api.Consumption](t, get(h, "/consumption/"+id+"?reading_date_from=20240301&reading_date_to=20240303&period=week"))
		var sum float64
		for _, e := range truthHourly(t, l, id, day(0), day(3)) {
			sum += float64(e.KWh)
		}
		if len(got.Data) != 1 || got.Period != "week" || !got.Data[0].Start.Equal(day(0)) || !got.Data[0].End.Equal(day(3)) {
			t.Fatalf("weeks %+v", got)
		}
		if diff := cmp.Diff(sum, float64(got.Data[0].KWh), approx); diff != "" {
			t.Errorf("week: %v kWh, want %v", got.Data[0].KWh, sum)
		}
	})
}

func TestVoltage(t *testing.T) {
	l, b := sharedLake(t)
	h := api.New(b, nil)
	id := l.MeterIDs[0]
	got := decode[api.VoltageStats](t, get(h, "/voltage/"+id+"?reading_date_from=20240302&reading_date_to=20240302&period=day"))
	from, to := l.Start.AddDate(0, 0, 1), l.Start.AddDate(0, 0, 2)
	want := api.Voltage{Start: from, End: to, Min: 1e9, Max: -1e9}
	var sum float64
	l.Gen.TruthReads(func(r meter.Reading) error {
		if r.MeterID == id && r.Type == meter.TypeVoltage && r.Time.After(from) && !r.Time.After(to) {
			want.Min, want.Max = min(want.Min, api.Float(r.Value)), max(want.Max, api.Float(r.Value))
			sum += r.Value
			want.Reads++
		}
		return nil
	})
	want.Avg = api.Float(sum / float64(want.Reads))
	if diff := cmp.Diff(api.VoltageStats{MeterID: id, From: from, To: to, Period: "day", Unit: "V", Data: []api.Voltage{want}}, got, approx); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestForecast(t *testing.T) {
	l, b := sharedLake(t)
	h := api.New(b, nil)
	id := l.MeterIDs[2]
	yesterday := truthHourly(t, l, id, l.ForecastStart.AddDate(0, 0, -1), l.ForecastStart)
	steps := func(after time.Time) []api.Step {
		var out []api.Step
		for _, e := range yesterday {
			if st := e.End.Add(24 * time.Hour); st.After(after) {
				out = append(out, api.Step{Time: st, P10: 0.8 * e.KWh, P50: e.KWh, P90: 1.2 * e.KWh})
			}
		}
		return out
	}
	run := func(data []api.Step) api.ForecastRun {
		return api.ForecastRun{MeterID: id, ModelName: querytest.ForecastModel, ModelVersion: "v1", ForecastStart: l.ForecastStart, Unit: "kWh", Data: data}
	}
	for _, tc := range []struct {
		name, params string
		want         api.ForecastRun
	}{
		{"latest", "", run(steps(l.ForecastStart))},
		{"at the run's start", "?forecast_start=20240303000000", run(steps(l.ForecastStart))},
		{"later: steps after it", "?forecast_start=20240303120000&model=" + querytest.ForecastModel, run(steps(l.ForecastStart.Add(12 * time.Hour)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decode[api.ForecastRun](t, get(h, "/forecast/"+id+tc.params))
			if diff := cmp.Diff(tc.want, got, approx); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// The labels are explicit: no "consumption" holding P90.
	w := get(h, "/forecast/"+id)
	if s := w.Body.String(); !strings.Contains(s, `"p10"`) || !strings.Contains(s, `"p90"`) || strings.Contains(s, "consumption") {
		t.Errorf("body %.200s", s)
	}
	for _, target := range []string{"/forecast/" + id + "?forecast_start=20240302000000", "/forecast/" + id + "?model=other", "/forecast/nobody"} {
		if w := get(h, target); w.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404: %s", target, w.Code, w.Body)
		}
	}
}

func TestAnomaly(t *testing.T) {
	l, b := sharedLake(t)
	h := api.New(b, nil)
	kinds := map[string]int{}
	for _, id := range l.MeterIDs {
		all := decode[api.Anomalies](t, get(h, "/anomaly/"+id+"?year=2024&kind=all"))
		if len(all.Data) != 3 {
			t.Fatalf("%s: %d scored days, want 3", id, len(all.Data))
		}
		var wantBoth []api.Anomaly
		for _, a := range all.Data {
			kinds[a.Kind]++
			if a.Kind != "none" {
				wantBoth = append(wantBoth, a)
			}
		}
		both := decode[api.Anomalies](t, get(h, "/anomaly/"+id+"?year=2024"))
		if diff := cmp.Diff(wantBoth, both.Data, cmpopts.EquateEmpty()); diff != "" || both.Kind != "both" {
			t.Errorf("%s: default is spikes and dips (-want +got):\n%s", id, diff)
		}
	}
	if kinds["spike"] == 0 || kinds["dip"] == 0 {
		t.Fatalf("kinds %v: the test lake should have spikes and dips", kinds)
	}
	// A year the anomaly job never scored: 404, as /forecast without a
	// run, not an empty list that reads as "no anomalies".
	if w := get(h, "/anomaly/"+l.MeterIDs[0]+"?year=2023"); w.Code != 404 || !strings.Contains(w.Body.String(), "no anomaly scores for 2023") {
		t.Errorf("2023: %d %s", w.Code, w.Body)
	}
}

func TestMetersAndHealth(t *testing.T) {
	l, b := sharedLake(t)
	h := api.New(b, nil)
	got := decode[api.Meters](t, get(h, "/meters"))
	if diff := cmp.Diff(api.Meters{Hour: l.End, Count: len(l.MeterIDs), Data: l.MeterIDs}, got); diff != "" { // the last read, at End, is in End's hour
		t.Errorf("(-want +got):\n%s", diff)
	}
	if w := get(h, "/healthz"); w.Code != 200 || !strings.Contains(w.Body.String(), `"ok"`) {
		t.Errorf("healthz: %d %s", w.Code, w.Body)
	}
}

func TestFormats(t *testing.T) {
	l, b := sharedLake(t)
	h := api.New(b, nil)
	base := "/consumption/" + l.MeterIDs[0] + "?reading_date_from=20240302&reading_date_to=20240302"
	for _, tc := range []struct {
		name, target, accept, wantType string
		wantCode                       int
	}{
		{"default", base, "", api.JSON, 200},
		{"any", base, "*/*", api.JSON, 200},
		{"csv", base, "text/csv", api.CSV, 200},
		{"arrow", base, api.Arrow, api.Arrow, 200},
		{"q values", base, "application/json;q=0.5, text/csv;q=0.9", api.CSV, 200},
		{"browser", base, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", api.JSON, 200},
		{"format param wins", base + "&format=arrow", "text/csv", api.Arrow, 200},
		{"not acceptable", base, "image/png", api.JSON, 406},
		{"bad format", base + "&format=xml", "", api.JSON, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := get(h, tc.target, "Accept", tc.accept)
			if w.Code != tc.wantCode || !strings.HasPrefix(w.Header().Get("Content-Type"), tc.wantType) {
				t.Fatalf("status %d, type %q: %.200s", w.Code, w.Header().Get("Content-Type"), w.Body)
			}
			switch tc.wantType {
			case api.CSV:
				recs, err := csv.NewReader(w.Body).ReadAll()
				if err != nil || len(recs) != 25 || recs[0][3] != "kwh" {
					t.Errorf("csv: %d records, %v: %v", len(recs), err, recs[:1])
				}
			case api.Arrow:
				r, err := ipc.NewReader(w.Body)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Release()
				var rows int64
				for r.Next() {
					rec := r.RecordBatch()
					rows += rec.NumRows()
					if id := rec.Column(0).(*array.String).Value(0); id != l.MeterIDs[0] {
						t.Errorf("meter %q", id)
					}
				}
				if rows != 24 {
					t.Errorf("arrow: %d rows, want 24", rows)
				}
			}
		})
	}
}

// TestBadRequests: every bad parameter is a 400 with a JSON error; path
// tricks never reach the lake; nothing is a 500.
func TestBadRequests(t *testing.T) {
	l, b := sharedLake(t)
	h := api.New(b, &api.Options{MaxDays: 31})
	id := l.MeterIDs[0]
	rng := "?reading_date_from=20240301&reading_date_to=20240302"
	for _, tc := range []struct {
		target string
		code   int
		msg    string
	}{
		{"/consumption/" + id, 400, "reading_date_from is required"},
		{"/consumption/" + id + "?reading_date_from=20240301", 400, "reading_date_to is required"},
		{"/consumption/" + id + "?reading_date_from=2024-03-01&reading_date_to=20240302", 400, "want yyyyMMdd"},
		{"/consumption/" + id + "?reading_date_from=20240230&reading_date_to=20240302", 400, "not a date"},
		{"/consumption/" + id + "?reading_date_from=20241301&reading_date_to=20241302", 400, "not a date"},
		{"/consumption/" + id + "?reading_date_from=20240302&reading_date_to=20240301", 400, "is before"},
		{"/consumption/" + id + "?reading_date_from=20240101&reading_date_to=20240301", 400, "exceeds the limit of 31"},
		{"/consumption/" + id + rng + "&period=fortnight", 400, "period \"fortnight\""},
		{"/voltage/" + id + rng + "&period=month", 400, "want hour, day"},
		{"/consumption/" + id + rng + "&reading_date_form=x", 400, "unknown parameter"},
		{"/consumption/" + id + rng + "&estimate=maybe", 400, "want true or false"},
		{"/voltage/" + id + rng + "&estimate=true", 400, "unknown parameter"},
		{"/consumption/" + id + rng + "&reading_date_to=20240303", 400, "given 2 times"},
		{"/forecast/" + id + "?forecast_start=20240303", 400, "want yyyyMMddHHmmss"},
		{"/forecast/" + id + "?forecast_start=20240303256000", 400, "not a time"},
		{"/forecast/" + id + "?model=../../x", 400, "invalid model"},
		{"/forecast/" + id + "?model=.hidden", 400, "invalid model"},
		{"/anomaly/" + id, 400, "year is required"},
		{"/anomaly/" + id + "?year=24", 400, "want yyyy"},
		{"/anomaly/" + id + "?year=abcd", 400, "want yyyy"},
		{"/anomaly/" + id + "?year=2024&kind=spikes", 400, "kind \"spikes\""},
		{"/meters?x=1", 400, "takes none"},
		// Meter ids.
		{"/consumption/a%2Fb" + rng, 404, "unknown meter"}, // a meter id only selects reads
		{"/consumption/..%2F..%2Fetc" + rng, 404, "unknown meter"},
		{"/consumption/%2E%2E" + rng, 400, "invalid meter id"},
		{"/consumption/" + strings.Repeat("x", 129) + rng, 400, "invalid meter id"},
		{"/consumption/m%20eter" + rng, 400, "invalid meter id"},
		{"/consumption/%C3%A9" + rng, 400, "invalid meter id"},
		{"/consumption/a%00b" + rng, 400, "invalid meter id"},
		{"/voltage/'%3B--" + rng, 404, "unknown meter"},
		{"/anomaly/a%5Cb?year=2024", 404, "unknown meter"},
		// Routes.
		{"/consumption/a/b" + rng, 404, "no route"},
		{"/nothing", 404, "no route"},
		{"/consumption/no-such-meter" + rng, 404, "unknown meter"},
		{"/anomaly/no-such-meter?year=2024", 404, "unknown meter"},
	} {
		t.Run(tc.target, func(t *testing.T) {
			w := get(h, tc.target)
			var e api.Error
			if w.Code != tc.code || json.Unmarshal(w.Body.Bytes(), &e) != nil || !strings.Contains(e.Error, tc.msg) {
				t.Errorf("status %d, body %s; want %d with %q", w.Code, w.Body, tc.code, tc.msg)
			}
		})
	}
	// Dot segments are cleaned by the mux (a redirect), never served.
	for _, target := range []string{"/consumption/.." + rng, "/consumption/../meters", "/consumption/./x" + rng} {
		if w := get(h, target); w.Code != http.StatusMovedPermanently && w.Code != http.StatusTemporaryRedirect && w.Code != http.StatusNotFound && w.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d: %s", target, w.Code, w.Body)
		}
	}
	// Methods other than GET.
	r := httptest.NewRequest(http.MethodPost, "/consumption/"+id+rng, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d", w.Code)
	}
}

func TestLimitsAndTimeout(t *testing.T) {
	l, b := sharedLake(t)
	target := "/consumption/" + l.MeterIDs[0] + "?reading_date_from=20240301&reading_date_to=20240303"
	if w := get(api.New(b, &api.Options{MaxReads: 50}), target); w.Code != 400 || !strings.Contains(w.Body.String(), "more than 50 reads") {
		t.Errorf("MaxReads: %d %s", w.Code, w.Body)
	}
	if w := get(api.New(b, &api.Options{Timeout: time.Nanosecond}), target); w.Code != 503 || !strings.Contains(w.Body.String(), "timed out") {
		t.Errorf("Timeout: %d %s", w.Code, w.Body)
	}
}

func TestAuth(t *testing.T) {
	l, b := sharedLake(t)
	target := "/consumption/" + l.MeterIDs[0] + "?reading_date_from=20240302&reading_date_to=20240302"
	basic := func(pass string) string {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth("anyone", pass)
		return r.Header.Get("Authorization")
	}
	secured := api.New(b, &api.Options{RequireAuth: true, APIKeys: []string{"k1-secret", "k2-secret"}})
	for _, tc := range []struct {
		name    string
		h       http.Handler
		target  string
		auth    string
		want    int
		wantMsg string
	}{
		{"open without RequireAuth", api.New(b, nil), target, "", 200, ""},
		{"missing key", secured, target, "", 401, "missing API key"},
		{"wrong key", secured, target, "Bearer nope", 401, "invalid API key"},
		{"prefix of a key", secured, target, "Bearer k1-secre", 401, "invalid API key"},
		{"empty bearer", secured, target, "Bearer ", 401, "invalid API key"},
		{"first key", secured, target, "Bearer k1-secret", 200, ""},
		{"second key, lower-case scheme", secured, target, "bearer k2-secret", 200, ""},
		{"basic password", secured, target, basic("k2-secret"), 200, ""},
		{"basic wrong password", secured, target, basic("x"), 401, "invalid API key"},
		{"healthz is open", secured, "/healthz", "", 200, ""},
		{"meters needs a key", secured, "/meters", "", 401, "missing"},
		{"unknown routes need a key", secured, "/x", "", 401, "missing"},
		{"RequireAuth without keys refuses all", api.New(b, &api.Options{RequireAuth: true}), target, "Bearer ", 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := get(tc.h, tc.target, "Authorization", tc.auth)
			if w.Code != tc.want || !strings.Contains(w.Body.String(), tc.wantMsg) {
				t.Errorf("status %d, body %.200s; want %d %q", w.Code, w.Body, tc.want, tc.wantMsg)
			}
			if w.Code == 401 && len(w.Header().Values("WWW-Authenticate")) != 2 {
				t.Errorf("challenges %q", w.Header().Values("WWW-Authenticate"))
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:80": true, "[::1]:8080": true, "127.1.2.3:1": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:80": false, "10.0.0.1:80": false, "example.com:80": false,
	} {
		if got := api.IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v", addr, got)
		}
	}
}

func TestLogging(t *testing.T) {
	l, b := sharedLake(t)
	var buf bytes.Buffer
	h := api.New(b, &api.Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	get(h, "/consumption/"+l.MeterIDs[0]+"?reading_date_from=20240302&reading_date_to=20240302")
	get(h, "/consumption/x?y=1")
	var lines []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 || lines[0]["status"] != 200.0 || lines[1]["status"] != 400.0 || lines[0]["msg"] != "request" {
		t.Errorf("log lines %v", lines)
	}
}
