package query_test

import (
	"bytes"
	"context"
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
	p := func(v float64) *float64 { return &v }
	rows := []tables.AnomalyEventRow{
		{MeterID: "m1", Kind: "drop", Start: d.AddDate(0, 0, 3), End: d.AddDate(0, 0, 31), Resolution: 86400, Consumption: 200, Expected: p(300), Lower: nil, Upper: nil, Importance: 1.0 / 3, Model: "a"},
		{MeterID: "m1", Kind: "spike", Start: d, End: d.AddDate(0, 0, 1), Resolution: 86400, Consumption: 30, Expected: p(10), Lower: p(5), Upper: p(20), Importance: 1.0 / 3, Model: "a"},
		{MeterID: "m1", Kind: "spike", Start: d.Add(18 * time.Hour), End: d.Add(21 * time.Hour), Resolution: 3600, Consumption: 9, Expected: p(3), Lower: p(1), Upper: p(6), Importance: 1.0 / 3, Model: "a"},
		{MeterID: "m2", Kind: "zero", Start: d.Add(90 * time.Minute), End: d.Add(13 * time.Hour), Resolution: 1800, Consumption: 0, Expected: p(4), Lower: nil, Upper: nil, Importance: 1, Model: "a"},
		{MeterID: "m2", Kind: "flat", Start: d.AddDate(0, 1, 0), End: d.AddDate(0, 1, 1), Resolution: 1800, Consumption: 4.8, Expected: p(12), Lower: nil, Upper: nil, Importance: 0.6, Model: "b"},
	}
	for i, part := range [][]tables.AnomalyEventRow{rows[3:], rows[:3]} {
		var buf bytes.Buffer
		var err error
		if i == 0 {
			// The first file as written before yhat and the bounds were
			// optional: NaN where they are missing.
			w := parquet.NewGenericWriter[eventRowNaN](&buf)
			for _, r := range part {
				_, err = w.Write([]eventRowNaN{{r.MeterID, r.Kind, r.Start, r.End, r.Resolution, r.Consumption,
					tables.OrNaN(r.Expected), tables.OrNaN(r.Lower), tables.OrNaN(r.Upper), r.Importance, r.Model}})
			}
			if cerr := w.Close(); err == nil {
				err = cerr
			}
		} else {
			w := parquet.NewGenericWriter[tables.AnomalyEventRow](&buf)
			_, err = w.Write(part)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		key := tables.AnomalyEventDir(2024) + []string{"part-00000.parquet", "part-00001.parquet"}[i]
		if err := b.WriteAll(ctx, key, buf.Bytes(), nil); err != nil {
			t.Fatal(err)
		}
	}
	return b, rows
}

// eventRowNaN is tables.AnomalyEventRow as it was before yhat, yhat_lower
// and yhat_upper were optional columns.
type eventRowNaN struct {
	MeterID     string    `parquet:"meter_id,dict"`
	Kind        string    `parquet:"kind,dict"`
	Start       time.Time `parquet:"start_time,timestamp(millisecond)"`
	End         time.Time `parquet:"end_time,timestamp(millisecond)"`
	Resolution  int32     `parquet:"resolution_seconds"`
	Consumption float64   `parquet:"consumption"`
	Expected    float64   `parquet:"yhat"`
	Lower       float64   `parquet:"yhat_lower"`
	Upper       float64   `parquet:"yhat_upper"`
	Importance  float64   `parquet:"importance"`
	Model       string    `parquet:"model,dict"`
}

func TestAnomalyEvents(t *testing.T) {
	b, rows := eventLake(t)
	ctx := context.Background()
	q := query.New(b, nil)
	ev := func(r tables.AnomalyEventRow) query.AnomalyEvent {
		return query.AnomalyEvent{MeterID: r.MeterID, Kind: r.Kind, Start: r.Start, End: r.End, Resolution: time.Duration(r.Resolution) * time.Second,
			Consumption: r.Consumption, Expected: tables.OrNaN(r.Expected), Lower: tables.OrNaN(r.Lower), Upper: tables.OrNaN(r.Upper),
			Importance: r.Importance, Model: r.Model}
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
