package main

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openmda/mda"
	"github.com/openmda/mda/api"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/query"
	"github.com/openmda/mda/simulator"
)

// hourRow is a row of mda query --hourly --format json.
type hourRow struct {
	MeterID string    `json:"meter_id"`
	Hour    time.Time `json:"hour"`
	KWh     float64   `json:"kwh"`
	Reads   int       `json:"reads"`
}

// queryHourlyJSON runs mda query --hourly --format json with args and
// returns its rows and stderr.
func queryHourlyJSON(t *testing.T, args ...string) ([]hourRow, string) {
	t.Helper()
	args = append([]string{"query", "--hourly", "--format", "json"}, args...)
	code, out, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("mda %s: exit %d: %s%s", strings.Join(args, " "), code, out, errs)
	}
	var rows []hourRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("mda %s: %v:\n%s", strings.Join(args, " "), err, out)
	}
	return rows, errs
}

// checkDay checks that rows are the 24 hours of day, in order, of meter id.
func checkDay(t *testing.T, rows []hourRow, id string, day time.Time) {
	t.Helper()
	if len(rows) != 24 {
		t.Fatalf("%d hours, want 24: %+v", len(rows), rows)
	}
	for i, r := range rows {
		if want := day.Add(time.Duration(i) * time.Hour); r.MeterID != id || !r.Hour.Equal(want) || r.Reads == 0 {
			t.Errorf("hour %d: %+v, want meter %s at %v with reads", i, r, id, want)
		}
	}
}

func sumKWh(rows []hourRow) float64 {
	var s float64
	for _, r := range rows {
		s += r.KWh
	}
	return s
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }

// TestCLIQueryHourly: mda query --hourly for one day gives that day's 24
// hours (reading times are interval ends: the day's first read ends the
// interval 23:45-00:00 of the day before, its last is at 24:00), whose sum
// is the day's energy from query.Lake.Energy and from the API's
// /consumption; the interval is inferred unless --interval fixes it; a lake
// of kWh interval reads gives the same hours.
func TestCLIQueryHourly(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	lakeURL := "file://" + filepath.ToSlash(filepath.Join(dir, "lake"))
	if code, out, errs := runCLI(t, "demo", "--lake", lakeURL, "--meters", "2", "--days", "2", "--quiet"); code != 0 {
		t.Fatalf("demo: exit %d: %s%s", code, out, errs)
	}
	id := simulator.MeterID(1)
	day := simulator.DefaultStart
	rows, errs := queryHourlyJSON(t, "--lake", lakeURL, "--meter", id, "--from", "2024-03-01", "--to", "2024-03-01")
	checkDay(t, rows, id, day)
	for _, r := range rows {
		if r.Reads != 4 {
			t.Errorf("hour %v has %d reads, want 4 (15-minute reads)", r.Hour, r.Reads)
		}
	}
	if !strings.Contains(errs, "24 hours") || !strings.Contains(errs, "from 96 kw reads x 15m0s") {
		t.Errorf("stderr: %q", errs)
	}
	total := sumKWh(rows)

	// The day's energy from the query package and from the API.
	b, err := mda.OpenBucket(ctx, lakeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	es, _, err := query.New(b, nil).Energy(ctx, query.Filter{MeterIDs: []string{id}, From: day, To: day.AddDate(0, 0, 1)}, query.Day)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Reads != 96 || !near(total, es[0].KWh) {
		t.Fatalf("hourly sum %.9f kWh; query.Lake.Energy per day %+v", total, es)
	}
	rec := httptest.NewRecorder()
	api.New(b, nil).ServeHTTP(rec, httptest.NewRequest("GET", "/consumption/"+id+"?reading_date_from=20240301&reading_date_to=20240301&period=day", nil))
	var body api.Consumption
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 200 || len(body.Data) != 1 {
		t.Fatalf("API: %d %s (%v)", rec.Code, rec.Body, err)
	}
	if got := float64(body.Data[0].KWh); !near(total, got) {
		t.Errorf("hourly sum %.9f kWh, API day total %.9f", total, got)
	}

	// CSV: the same hours, to 4 decimals.
	code, out, errs := runCLI(t, "query", "--lake", lakeURL, "--meter", id, "--hourly", "--from", "2024-03-01", "--to", "2024-03-01")
	if code != 0 {
		t.Fatalf("query --hourly: exit %d: %s%s", code, out, errs)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 25 || strings.Join(recs[0], ",") != "meter_id,hour,kwh,reads" {
		t.Fatalf("CSV: %d rows, header %v", len(recs), recs[0])
	}
	for i, r := range recs[1:] {
		kwh, err := strconv.ParseFloat(r[2], 64)
		if err != nil || r[0] != id || r[1] != rows[i].Hour.Format(time.RFC3339) || math.Abs(kwh-rows[i].KWh) > 5.0001e-5 || r[3] != "4" {
			t.Errorf("CSV row %v, JSON %+v", r, rows[i])
		}
	}

	// --interval fixes the interval of the kW reads.
	same, _ := queryHourlyJSON(t, "--lake", lakeURL, "--meter", id, "--from", "2024-03-01", "--to", "2024-03-01", "--interval", "15m")
	if got := sumKWh(same); !near(got, total) {
		t.Errorf("--interval 15m: %.9f kWh, inferred %.9f", got, total)
	}
	double, _ := queryHourlyJSON(t, "--lake", lakeURL, "--meter", id, "--from", "2024-03-01", "--to", "2024-03-01", "--interval", "30m")
	if got := sumKWh(double); !near(got, 2*total) {
		t.Errorf("--interval 30m: %.9f kWh, want twice %.9f", got, total)
	}
	// Unbounded: every read of the meter, counted once.
	all, _ := queryHourlyJSON(t, "--lake", lakeURL, "--meter", id)
	n := 0
	for _, r := range all {
		n += r.Reads
	}
	if n != 2*96 {
		t.Errorf("unbounded --hourly counted %d reads, want %d", n, 2*96)
	}
	if code, _, errs := runCLI(t, "query", "--lake", lakeURL, "--meter", id, "--hourly", "--from", "2024-03-02", "--to", "2024-03-01"); code == 0 || !strings.Contains(errs, "empty range") {
		t.Errorf("reversed range: exit %d: %s", code, errs)
	}

	// The same reads as kWh interval energy, in a lake of their own.
	reads, _, err := partition.ReadAll(ctx, b, &partition.Filter{MeterIDs: []string{id}, Types: []meter.Type{meter.TypeKW}})
	if err != nil {
		t.Fatal(err)
	}
	kwhURL := "file://" + filepath.ToSlash(filepath.Join(dir, "kwh"))
	kb, err := mda.OpenBucket(ctx, kwhURL)
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	w := partition.NewWriter(kb, "data", nil)
	for _, r := range reads {
		r.Type, r.Value = meter.TypeKWh, r.Value*0.25
		if _, err := w.Write([]meter.Reading{r}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	kwh, errs := queryHourlyJSON(t, "--lake", kwhURL, "--meter", id, "--from", "2024-03-01", "--to", "2024-03-01")
	checkDay(t, kwh, id, day)
	for i, r := range kwh {
		if !near(r.KWh, rows[i].KWh) || r.Reads != rows[i].Reads {
			t.Errorf("kWh lake hour %+v, kW lake %+v", r, rows[i])
		}
	}
	if !strings.Contains(errs, "from 96 kwh reads") {
		t.Errorf("kWh lake stderr: %q", errs)
	}
}

// TestCLIQueryHourlyNEM12: a NEM12 file's half-hourly kWh, ingested, gives
// hourly energy: the AEST day of 2024-03-03 (UTC+10) is the 24 UTC hours
// from 14:00 the day before, two reads each, summing the file's 48 values.
func TestCLIQueryHourlyNEM12(t *testing.T) {
	lakeURL := "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "lake"))
	if code, out, errs := runCLI(t, "ingest", "--lake", lakeURL, "--quiet", "--catalog", "none", filepath.Join("..", "..", "meter", "testdata", "nem12-sample.csv")); code != 0 {
		t.Fatalf("ingest: exit %d: %s%s", code, out, errs)
	}
	id := "NMI0000001-E1"
	rows, errs := queryHourlyJSON(t, "--lake", lakeURL, "--meter", id, "--from", "2024-03-02T14:00:00Z", "--to", "2024-03-03T14:00:00Z")
	checkDay(t, rows, id, time.Date(2024, 3, 2, 14, 0, 0, 0, time.UTC))
	for _, r := range rows {
		if r.Reads != 2 {
			t.Errorf("hour %v has %d reads, want 2 (half-hourly)", r.Hour, r.Reads)
		}
	}
	// 0.100, 0.110, ..., 0.570 kWh.
	if got, want := sumKWh(rows), 48*(0.100+0.570)/2; !near(got, want) {
		t.Errorf("day total %.9f kWh, want %.9f (stderr %q)", got, want, errs)
	}
	if !strings.Contains(errs, "kwh reads") {
		t.Errorf("stderr: %q", errs)
	}
}

// TestCLIQueryHourlyRejectsType: --hourly takes kwh reads, else kw reads,
// so a --type beside it is an error, not silently ignored.
func TestCLIQueryHourlyRejectsType(t *testing.T) {
	code, out, errs := runCLI(t, "query", "--lake", "mem://", "--meter", "m", "--hourly", "--type", "vltg")
	if code == 0 || !strings.Contains(errs, "--type with --hourly") {
		t.Errorf("query --hourly --type vltg: exit %d: %s%s", code, out, errs)
	}
}
