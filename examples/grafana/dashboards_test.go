package grafana_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"

	"github.com/openmda/mda/api"
	"github.com/openmda/mda/query/querytest"
)

type dashboard struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID         int    `json:"id"`
		Title      string `json:"title"`
		Type       string `json:"type"`
		Datasource struct {
			Type string `json:"type"`
		} `json:"datasource"`
		Targets     []target `json:"targets"`
		FieldConfig struct {
			Defaults struct {
				Unit string `json:"unit"`
			} `json:"defaults"`
		} `json:"fieldConfig"`
	} `json:"panels"`
}

type target struct {
	RefID  string `json:"refId"`
	RawSQL string `json:"rawSQL"`
	// Infinity
	Type       string `json:"type"`
	Source     string `json:"source"`
	URL        string `json:"url"`
	URLOptions struct {
		Method string `json:"method"`
		Params []struct {
			Key, Value string
		} `json:"params"`
	} `json:"url_options"`
	RootSelector string `json:"root_selector"`
	Columns      []struct {
		Selector, Text, Type string
	} `json:"columns"`
	InfinityQuery *target `json:"infinityQuery"`
}

func load(t *testing.T, dir string) map[string]dashboard {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in %s: %v", dir, err)
	}
	out := map[string]dashboard{}
	uids := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		dec := json.NewDecoder(strings.NewReader(string(data)))
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("%s: invalid JSON: %v", f, err)
		}
		if d.UID == "" || d.Title == "" || len(d.Panels) == 0 {
			t.Errorf("%s: uid %q, title %q, %d panels", f, d.UID, d.Title, len(d.Panels))
		}
		if uids[d.UID] {
			t.Errorf("%s: duplicate uid %q", f, d.UID)
		}
		uids[d.UID] = true
		ids := map[int]bool{}
		for _, p := range d.Panels {
			if p.ID == 0 || ids[p.ID] || p.Title == "" || p.Type == "" || len(p.Targets) == 0 {
				t.Errorf("%s: panel %d %q: missing or duplicate id, title, type or targets", f, p.ID, p.Title)
			}
			ids[p.ID] = true
		}
		out[f] = d
	}
	return out
}

// Tables and their partition predicates.
var (
	readingsRe    = regexp.MustCompile(`meter_readings_integrated_parquet`)
	readingTypeRe = regexp.MustCompile(`reading_type = '(kw|vltg|kwh)'`)
	yearRe        = regexp.MustCompile(`\byear (=|BETWEEN) `)
	monthDayRe    = regexp.MustCompile(`(concat\((\w+\.)?year, (\w+\.)?month, (\w+\.)?day\) BETWEEN|\bmonth = .*\bday = )`)
	weatherRe     = regexp.MustCompile(`weather_data_integrated_weather`)
	anomalyRe     = regexp.MustCompile(`meter_anomaly_results`)
	forecastRe    = regexp.MustCompile(`meter_forecast_results`)
	sumKWRe       = regexp.MustCompile(`sum\((\w+\.)?reading_value\)`)
)

// checkSQL checks that a query prunes every table it reads, and that kW
// sums are turned into energy.
func checkSQL(t *testing.T, where, sql string) {
	t.Helper()
	if sql == "" {
		t.Errorf("%s: empty query", where)
		return
	}
	checked := false
	if readingsRe.MatchString(sql) {
		checked = true
		if !readingTypeRe.MatchString(sql) {
			t.Errorf("%s: readings query without a reading_type predicate:\n%s", where, sql)
		}
		if !yearRe.MatchString(sql) || !monthDayRe.MatchString(sql) {
			t.Errorf("%s: readings query without year/month/day predicates:\n%s", where, sql)
		}
		if strings.Contains(sql, "reading_type = 'kw'") && sumKWRe.MatchString(sql) && !strings.Contains(sql, "$interval_h") {
			t.Errorf("%s: sums kW without the interval (kWh = kW x $interval_h):\n%s", where, sql)
		}
		if strings.Contains(sql, "reading_type = 'vltg'") && strings.Contains(sql, "1000") {
			t.Errorf("%s: voltage scaled by 1000; the lake stores volts:\n%s", where, sql)
		}
	}
	if weatherRe.MatchString(sql) {
		checked = true
		if !strings.Contains(sql, "date BETWEEN") {
			t.Errorf("%s: weather query without a date predicate:\n%s", where, sql)
		}
	}
	if anomalyRe.MatchString(sql) {
		checked = true
		if !yearRe.MatchString(sql) {
			t.Errorf("%s: anomaly query without a year predicate:\n%s", where, sql)
		}
	}
	if forecastRe.MatchString(sql) {
		checked = true
		if !strings.Contains(sql, "forecast_start") {
			t.Errorf("%s: forecast query without a forecast_start predicate:\n%s", where, sql)
		}
	}
	if !checked {
		t.Errorf("%s: query reads no known table:\n%s", where, sql)
	}
	if strings.Contains(sql, "$__timeFilter") {
		t.Errorf("%s: use explicit interval-end bounds, not $__timeFilter:\n%s", where, sql)
	}
}

func TestAthenaDashboards(t *testing.T) {
	ds := load(t, "athena")
	if len(ds) < 5 {
		t.Errorf("%d Athena dashboards, want 5", len(ds))
	}
	for f, d := range ds {
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			raw, _ := json.Marshal(v.Query)
			var tg target
			json.Unmarshal(raw, &tg)
			checkSQL(t, f+" variable "+v.Name, tg.RawSQL)
		}
		for _, p := range d.Panels {
			if p.Datasource.Type != "grafana-athena-datasource" {
				t.Errorf("%s: panel %q uses %q", f, p.Title, p.Datasource.Type)
			}
			for _, tg := range p.Targets {
				checkSQL(t, f+" panel "+p.Title+" "+tg.RefID, tg.RawSQL)
			}
			if strings.HasPrefix(p.Title, "Voltage") && p.FieldConfig.Defaults.Unit != "volt" {
				t.Errorf("%s: panel %q: unit %q, want volt", f, p.Title, p.FieldConfig.Defaults.Unit)
			}
		}
	}
}

// TestInfinityDashboards sends every URL of the Infinity dashboards, with
// Grafana's variables filled in, to the API over a simulated lake: each
// must hit a real route and answer 200 with the selected columns.
func TestInfinityDashboards(t *testing.T) {
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	l, err := querytest.Build(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := api.New(b, &api.Options{RequireAuth: true, APIKeys: []string{"grafana"}})
	vars := strings.NewReplacer("${api_url}", "", "${meter_id}", l.MeterIDs[0],
		"${__from:date:YYYYMMDD}", "20240301", "${__to:date:YYYYMMDD}", "20240303", "${__to:date:YYYY}", "2024")
	n := 0
	check := func(where string, tg target) {
		t.Helper()
		if tg.Type != "json" || tg.Source != "url" || !strings.HasPrefix(tg.URL, "${api_url}/") {
			t.Errorf("%s: target %+v: want a json url target on ${api_url}", where, tg)
			return
		}
		u, err := url.Parse(vars.Replace(tg.URL))
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		q := u.Query()
		for _, p := range tg.URLOptions.Params {
			q.Set(p.Key, vars.Replace(p.Value))
		}
		u.RawQuery = q.Encode()
		if strings.Contains(u.String(), "$") {
			t.Errorf("%s: unknown variable in %s", where, u)
		}
		r := httptest.NewRequest(http.MethodGet, u.String(), nil)
		r.Header.Set("Authorization", "Bearer grafana")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Errorf("%s: GET %s: %d %s", where, u, w.Code, w.Body)
			return
		}
		n++
		var body map[string]json.RawMessage
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		data, ok := body[tg.RootSelector]
		if !ok {
			t.Errorf("%s: GET %s has no %q", where, u, tg.RootSelector)
			return
		}
		if len(tg.Columns) == 0 {
			return
		}
		var rows []map[string]any
		if err := json.Unmarshal(data, &rows); err != nil || len(rows) == 0 {
			t.Errorf("%s: GET %s: %d rows, %v", where, u, len(rows), err)
			return
		}
		for _, c := range tg.Columns {
			if _, ok := rows[0][c.Selector]; !ok {
				t.Errorf("%s: GET %s: rows have no %q", where, u, c.Selector)
			}
		}
	}
	for f, d := range load(t, "infinity") {
		for _, v := range d.Templating.List {
			if v.Type == "query" {
				raw, _ := json.Marshal(v.Query)
				var q struct {
					InfinityQuery target `json:"infinityQuery"`
				}
				json.Unmarshal(raw, &q)
				check(f+" variable "+v.Name, q.InfinityQuery)
			}
		}
		for _, p := range d.Panels {
			if p.Datasource.Type != "yesoreyeram-infinity-datasource" {
				t.Errorf("%s: panel %q uses %q", f, p.Title, p.Datasource.Type)
			}
			for _, tg := range p.Targets {
				check(f+" panel "+p.Title, tg)
			}
		}
	}
	if n < 8 {
		t.Errorf("checked %d URLs", n)
	}
}
