package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/parquet-go/parquet-go"

	"github.com/openmda/mda/api"
	"github.com/openmda/mda/tables"
)

var eventsOnce sync.Once

// withEvents adds an anomaly events table for the shared lake's first
// meter in 2024 (the other routes read nothing under it) and returns the
// meter's events as written.
func withEvents(t *testing.T) (string, []tables.AnomalyEventRow) {
	t.Helper()
	l, b := sharedLake(t)
	id := l.MeterIDs[0]
	d := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	p := func(v float64) *float64 { return &v }
	rows := []tables.AnomalyEventRow{
		{MeterID: id, Kind: "spike", Start: d, End: d.AddDate(0, 0, 1), Resolution: 86400, Consumption: 30, Expected: p(10), Lower: p(5), Upper: p(20), Importance: 1.0 / 3, Model: "detect"},
		{MeterID: id, Kind: "zero", Start: d.Add(2 * time.Hour), End: d.Add(10 * time.Hour), Resolution: 900, Consumption: 0, Expected: p(4), Lower: nil, Upper: nil, Importance: 1, Model: "detect"},
		{MeterID: id, Kind: "flat", Start: d.AddDate(0, 0, 1), End: d.AddDate(0, 0, 1).Add(7 * time.Hour), Resolution: 900, Consumption: 2.8, Expected: p(3.5), Lower: nil, Upper: nil, Importance: 0.2, Model: "detect"},
		{MeterID: id, Kind: "drop", Start: d.AddDate(0, 0, 2), End: d.AddDate(0, 0, 30), Resolution: 86400, Consumption: 200, Expected: p(300), Lower: nil, Upper: nil, Importance: 1.0 / 3, Model: "detect"},
	}
	eventsOnce.Do(func() {
		var buf bytes.Buffer
		w := parquet.NewGenericWriter[tables.AnomalyEventRow](&buf)
		if _, err := w.Write(rows); err == nil {
			err = w.Close()
		}
		if err := b.WriteAll(context.Background(), tables.AnomalyEventDir(2024)+"part-00000.parquet", buf.Bytes(), nil); err != nil {
			t.Fatal(err)
		}
	})
	return id, rows
}

func TestAnomalyEventKinds(t *testing.T) {
	id, rows := withEvents(t)
	_, b := sharedLake(t)
	h := api.New(b, nil)
	for _, tc := range []struct {
		kind string
		want []string // kinds, in order
	}{
		{"events", []string{"spike", "zero", "flat", "drop"}},
		{"flat", []string{"flat"}},
		{"zero", []string{"zero"}},
		{"drop", []string{"drop"}},
	} {
		got := decode[api.Anomalies](t, get(h, "/anomaly/"+id+"?year=2024&kind="+tc.kind))
		var kinds []string
		for _, a := range got.Data {
			kinds = append(kinds, a.Kind)
		}
		if got.Kind != tc.kind || strings.Join(kinds, ",") != strings.Join(tc.want, ",") {
			t.Errorf("kind=%s: body kind %q, events %v, want %v", tc.kind, got.Kind, kinds, tc.want)
		}
	}
	all := decode[api.Anomalies](t, get(h, "/anomaly/"+id+"?year=2024&kind=events"))
	z := all.Data[1]
	if !z.Start.Equal(rows[1].Start) || !z.End.Equal(rows[1].End) || z.ResolutionSeconds != 900 || !z.Day.Equal(rows[1].Start.Truncate(24*time.Hour)) ||
		z.Consumption != 0 || z.Expected != 4 || z.Importance != 1 || z.Model != "detect" {
		t.Errorf("zero event: %+v", z)
	}
	if body := get(h, "/anomaly/"+id+"?year=2024&kind=zero").Body.String(); !strings.Contains(body, `"lower":null,"upper":null`) {
		t.Errorf("a zero run's interval is not null: %s", body)
	}
	// A scored day has no start, end or resolution in JSON.
	w := get(h, "/anomaly/"+id+"?year=2024&kind=all")
	if body := w.Body.String(); strings.Contains(body, `"start"`) || strings.Contains(body, "resolution_seconds") {
		t.Errorf("scored days carry event fields: %s", body)
	}
	// A year never scored: 404; an unknown meter: 404.
	if w := get(h, "/anomaly/"+id+"?year=2023&kind=events"); w.Code != 404 || !strings.Contains(w.Body.String(), "no anomaly scores for 2023") {
		t.Errorf("2023: %d %s", w.Code, w.Body)
	}
	if w := get(h, "/anomaly/no-such-meter?year=2024&kind=zero"); w.Code != 404 || !strings.Contains(w.Body.String(), "anomaly events in 2024") {
		t.Errorf("unknown meter: %d %s", w.Code, w.Body)
	}
	if w := get(h, "/anomaly/"+id+"?year=2024&kind=stuck"); w.Code != 400 || !strings.Contains(w.Body.String(), "flat, zero, drop or events") {
		t.Errorf("bad kind: %d %s", w.Code, w.Body)
	}

	// CSV and Arrow carry the same events.
	w = get(h, "/anomaly/"+id+"?year=2024&kind=events&format=csv")
	recs, err := csv.NewReader(w.Body).ReadAll()
	if err != nil || len(recs) != 5 || strings.Join(recs[0], ",") != "meter_id,kind,start,end,resolution_seconds,consumption,expected,lower,upper,importance,model" {
		t.Fatalf("CSV %v (%v)", recs, err)
	}
	if r := recs[2]; r[1] != "zero" || r[2] != "2024-03-01T02:00:00Z" || r[4] != "900" || r[7] != "" { // null in JSON, empty in CSV
		t.Errorf("CSV zero row %v", r)
	}
	w = get(h, "/anomaly/"+id+"?year=2024&kind=drop&format=arrow")
	rd, err := ipc.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	n := 0
	for rd.Next() {
		n += int(rd.RecordBatch().NumRows())
	}
	if n != 1 || rd.Schema().Field(1).Name != "kind" {
		t.Errorf("Arrow: %d rows, schema %v", n, rd.Schema())
	}
}
