package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openmda/mda/api"
	"github.com/openmda/mda/grid"
)

// TestOddQueriesAreNever500: dates at the ends of the calendar, repeated,
// empty and odd parameters, and the grid routes' edges get a 4xx with a
// JSON error, or a 200 with a body; never a 500.
func TestOddQueriesAreNever500(t *testing.T) {
	l, b := sharedLake(t)
	h := api.New(b, nil)
	m := l.MeterIDs[0]
	for _, tc := range []struct {
		q    string
		code int
	}{
		{"/consumption/" + m + "?reading_date_from=99991231&reading_date_to=99991231", 400},
		{"/consumption/" + m + "?reading_date_from=00010101&reading_date_to=00010101", 400},
		{"/consumption/" + m + "?reading_date_from=99991231&reading_date_to=99991231&period=month&estimate=true", 400},
		{"/consumption/" + m + "?reading_date_from=00010101&reading_date_to=00010101&estimate=true", 400},
		{"/voltage/" + m + "?reading_date_from=99991231&reading_date_to=99991231", 400},
		{"/reads/" + m + "?reading_date_from=00010101&reading_date_to=00010101", 400},
		{"/forecast/" + m + "?forecast_start=99991231235959", 400},
		{"/forecast/" + m + "?forecast_start=00010101000000", 400},
		{"/anomaly/" + m + "?year=9999", 400},
		{"/anomaly/" + m + "?year=0001&kind=events", 400},
		{"/weather?from=99991231&to=99991231", 400},
		{"/weather?from=00010101&to=00010101", 400},
		{"/outage?from=9999-12-31&to=9999-12-31", 400},
		{"/outage?from=0001-01-01&to=0001-01-01", 400},
		{"/outage?from=0001-01-01T00:00:00Z&to=0001-01-01T00:00:00.001Z", 400},
		{"/voltvar/x?at=9999-12-31", 400},
		{"/topology/", 404},
		{"/topology/meter/", 404},
		{"/consumption/" + m + "?reading_date_from=20240301&reading_date_to=20240301&format=csv&format=csv", 400},
		{"/consumption/" + m + "?reading_date_from=20240301&reading_date_to=20240301&period=", 200},
		{"/consumption/%ff?reading_date_from=20240301&reading_date_to=20240301", 400},
		{"/consumption/" + m + "?reading_date_from=2024030%31&reading_date_to=20240301", 200},
		{"/consumption/" + m + "?reading_date_from=2024+301&reading_date_to=20240301", 400},
		{"/consumption/" + m + "?reading_date_from=20240301&reading_date_to=20240301;x=1", 400},
	} {
		w := get(h, tc.q)
		var body map[string]any
		if w.Code != tc.code || w.Header().Get("Content-Type") != api.JSON || json.Unmarshal(w.Body.Bytes(), &body) != nil {
			t.Errorf("%s: %d %q %.200s; want %d with a JSON body", tc.q, w.Code, w.Header().Get("Content-Type"), w.Body, tc.code)
		}
	}
}

// TestGridRoutesParameters: the grid routes read days in the API's zone,
// take the guidance's start_date_time and end_date_time, refuse unknown
// and repeated parameters, and answer a request out of time with 503.
func TestGridRoutesParameters(t *testing.T) {
	l, b := sharedLake(t)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC) }
	h := api.New(b, &api.Options{Location: ny, Grid: &grid.HandlerOptions{Now: now}})
	window := func(q string) (from, to time.Time) {
		t.Helper()
		w := get(h, q)
		var body struct{ From, To time.Time }
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &body) != nil {
			t.Fatalf("%s: %d %s", q, w.Code, w.Body)
		}
		return body.From, body.To
	}
	dayStart, dayEnd := time.Date(2024, 3, 1, 0, 0, 0, 0, ny), time.Date(2024, 3, 2, 0, 0, 0, 0, ny)
	if from, to := window("/outage?from=20240301&to=20240301"); !from.Equal(dayStart) || !to.Equal(dayEnd) {
		t.Errorf("a New York day: [%v, %v), want [%v, %v)", from, to, dayStart, dayEnd)
	}
	if from, to := window("/outage?start_date_time=2024-03-01&end_date_time=2024-03-01"); !from.Equal(dayStart) || !to.Equal(dayEnd) {
		t.Errorf("the guidance's names: [%v, %v), want [%v, %v)", from, to, dayStart, dayEnd)
	}
	for _, q := range []string{
		"/outage?from=2024-03-01&from=2024-03-02&to=2024-03-02",
		"/outage?start=2024-03-01",
		"/outage?from=2024-03-01&start_date_time=2024-03-01",
		"/voltvar/x?at=2024-03-01&level=dt",
		"/topology/smart_meter?limit=5",
	} {
		if w := get(h, q); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "parameter") && !strings.Contains(w.Body.String(), "same bound") {
			t.Errorf("%s: %d %s; want 400", q, w.Code, w.Body)
		}
	}
	// A calendar month of days fits, DST change included (745 hours in
	// London's October), and so does the last day a date may name.
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	lh := api.New(b, &api.Options{Location: london})
	for _, q := range []string{"/outage?from=2024-10-01&to=2024-10-31", "/outage?from=9998-12-30&to=9998-12-31"} {
		if w := get(lh, q); w.Code != http.StatusOK {
			t.Errorf("%s: %d %s", q, w.Code, w.Body)
		}
	}
	slow := api.New(b, &api.Options{Timeout: time.Nanosecond})
	for _, q := range []string{"/consumption/" + l.MeterIDs[0] + "?reading_date_from=20240301&reading_date_to=20240303", "/outage?from=2024-03-01&to=2024-03-03"} {
		if w := get(slow, q); w.Code != http.StatusServiceUnavailable {
			t.Errorf("%s out of time: %d %s; want 503", q, w.Code, w.Body)
		}
	}
}
