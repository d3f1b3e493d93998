package query_test

import (
	"bytes"
	"context"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"

	"github.com/openmda/mda/query"
	"github.com/openmda/mda/tables"
)

// eventLake writes an anomaly events table of two files, rows out of
// order, into a new bucket.
func eventLake(t *testing.T) (*blob.Bucket, []tables.AnomalyEventRow) {
	t.Helper()
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	d := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	nan := math.NaN()
	rows := []tables.AnomalyEventRow{
		{MeterID: "m1", Kind: "drop", Start: d.AddDate(0, 0, 3), End: d.AddDate(0, 0, 31), Resolution: 86400, Consumption: 200, Expected: 300, Lower: nan, Upper: nan, Importance: 1.0 / 3, Model: "a"},
		{MeterID: "m1", Kind: "spike", Start: d, End: d.AddDate(0, 0, 1), Resolution: 86400, Consumption: 30, Expected: 10, Lower: 5, Upper: 20, Importance: 1.0 / 3, Model: "a"},
		{MeterID: "m1", Kind: "spike", Start: d.Add(18 * time.Hour), End: d.Add(21 * time.Hour), Resolution: 3600, Consumption: 9, Expected: 3, Lower: 1, Upper: 6, Importance: 1.0 / 3, Model: "a"},
		{MeterID: "m2", Kind: "zero", Start: d.Add(90 * time.Minute), End: d.Add(13 * time.Hour), Resolution: 1800, Consumption: 0, Expected: 4, Lower: nan, Upper: nan, Importance: 1, Model: "a"},
		{MeterID: "m2", Kind: "flat", Start: d.AddDate(0, 1, 0), End: d.AddDate(0, 1, 1), Resolution: 1800, Consumption: 4.8, Expected: 12, Lower: nan, Upper: nan, Importance: 0.6, Model: "b"},
	}
	for i, part := range [][]tables.AnomalyEventRow{rows[3:], rows[:3]} {
		var buf bytes.Buffer
		w := parquet.NewGenericWriter[tables.AnomalyEventRow](&buf)
		if _, err := w.Write(part); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		key := tables.AnomalyEventDir(2024) + []string{"part-00000.parquet", "part-00001.parquet"}[i]
		if err := b.WriteAll(ctx, key, buf.Bytes(), nil); err != nil {
			t.Fatal(err)
		}
	}
	return b, rows
}

func TestAnomalyEvents(t *testing.T) {
	b, rows := eventLake(t)
	ctx := context.Background()
	q := query.New(b, nil)
	ev := func(r tables.AnomalyEventRow) query.AnomalyEvent {
		return query.AnomalyEvent{MeterID: r.MeterID, Kind: r.Kind, Start: r.Start, End: r.End, Resolution: time.Duration(r.Resolution) * time.Second,
			Consumption: r.Consumption, Expected: r.Expected, Lower: r.Lower, Upper: r.Upper, Importance: r.Importance, Model: r.Model}
	}
	// Ordered by meter, start, kind, then daily before hourly.
	want := []query.AnomalyEvent{ev(rows[1]), ev(rows[2]), ev(rows[0]), ev(rows[3]), ev(rows[4])}
	for _, tc := range []struct {
		name string
		f    query.AnomalyEventFilter
		want []query.AnomalyEvent
	}{
		{"all", query.AnomalyEventFilter{Year: 2024}, want},
		{"kind", query.AnomalyEventFilter{Year: 2024, Kinds: []string{"spike"}}, want[:2]},
		{"kinds", query.AnomalyEventFilter{Year: 2024, Kinds: []string{"zero", "drop"}}, []query.AnomalyEvent{want[2], want[3]}},
		{"meter", query.AnomalyEventFilter{Year: 2024, MeterIDs: []string{"m2"}}, want[3:]},
		{"model", query.AnomalyEventFilter{Year: 2024, Model: "b"}, want[4:]},
		{"other year", query.AnomalyEventFilter{Year: 2023}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := q.AnomalyEvents(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, f := range []query.AnomalyEventFilter{{Year: 0}, {Year: 2024, Kinds: []string{"spikes"}}} {
		if _, err := q.AnomalyEvents(ctx, f); err == nil {
			t.Errorf("%+v: no error", f)
		}
	}

	rec := query.AnomalyEventRecord(nil, want)
	defer rec.Release()
	if rec.NumRows() != int64(len(want)) || rec.NumCols() != int64(query.AnomalyEventSchema.NumFields()) {
		t.Fatalf("record %d×%d", rec.NumRows(), rec.NumCols())
	}
	if got := rec.Column(1).(*array.String).Value(4); got != "flat" {
		t.Errorf("kind column: %q", got)
	}
	if got := rec.Column(4).(*array.Int64).Value(1); got != 3600 {
		t.Errorf("resolution column: %d", got)
	}
}
