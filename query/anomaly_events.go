package query

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/openmda/mda/tables"
)

// AnomalyEventKinds are the kinds of anomaly event the lake's jobs write
// (see forecast.Detect): spikes and dips of daily or hourly energy, flat
// (stuck) and zero runs of reads, sustained drops.
var AnomalyEventKinds = []string{"spike", "dip", "flat", "zero", "drop"}

// AnomalyEvent is one anomaly event of a meter, [Start, End).
type AnomalyEvent struct {
	MeterID string
	// Kind is spike, dip, flat, zero or drop.
	Kind       string
	Start, End time.Time
	// Resolution is what was scored: a day, an hour, or the read interval
	// of a flat or zero run.
	Resolution time.Duration
	// Consumption is the energy read over the event (kWh); Expected what
	// the meter's history predicts (NaN if it cannot); Lower and Upper the
	// interval of a spike or dip (NaN for the other kinds).
	Consumption, Expected, Lower, Upper float64
	Importance                          float64
	Model                               string
}

// AnomalyEventFilter selects anomaly events.
type AnomalyEventFilter struct {
	// Year is the year partition to read (required): the events that
	// start in it.
	Year int
	// MeterIDs selects meters; empty means all.
	MeterIDs []string
	// Model selects the model that found them; "" means any.
	Model string
	// Kinds selects kinds (of AnomalyEventKinds); empty means all.
	Kinds []string
}

// AnomalyEvents returns the events that f selects, ordered by meter,
// start, kind and resolution.
func (l *Lake) AnomalyEvents(ctx context.Context, f AnomalyEventFilter) ([]AnomalyEvent, error) {
	if f.Year < 1 || f.Year > 9999 {
		return nil, fmt.Errorf("query: year %d out of range", f.Year)
	}
	for _, k := range f.Kinds {
		if !slices.Contains(AnomalyEventKinds, k) {
			return nil, fmt.Errorf("query: invalid anomaly event kind %q", k)
		}
	}
	files, err := listFiles(ctx, l.b, tables.AnomalyEventDir(f.Year))
	if err != nil {
		return nil, err
	}
	rows, err := readRows(ctx, l.b, files, f.MeterIDs,
		func(r *tables.AnomalyEventRow) string { return r.MeterID },
		func(r *tables.AnomalyEventRow) bool {
			return (len(f.Kinds) == 0 || slices.Contains(f.Kinds, r.Kind)) && (f.Model == "" || r.Model == f.Model)
		})
	if err != nil {
		return nil, err
	}
	out := make([]AnomalyEvent, len(rows))
	for i, r := range rows {
		out[i] = AnomalyEvent{MeterID: r.MeterID, Kind: r.Kind, Start: r.Start.UTC(), End: r.End.UTC(),
			Resolution: time.Duration(r.Resolution) * time.Second, Consumption: r.Consumption, Expected: tables.OrNaN(r.Expected),
			Lower: tables.OrNaN(r.Lower), Upper: tables.OrNaN(r.Upper), Importance: r.Importance, Model: r.Model}
	}
	slices.SortStableFunc(out, func(a, b AnomalyEvent) int {
		if c := cmp.Compare(a.MeterID, b.MeterID); c != 0 {
			return c
		}
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if c := cmp.Compare(slices.Index(AnomalyEventKinds, a.Kind), slices.Index(AnomalyEventKinds, b.Kind)); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Resolution, a.Resolution); c != 0 {
			return c
		}
		return strings.Compare(a.Model, b.Model)
	})
	return out, nil
}

// AnomalyEventSchema is the schema of anomaly events.
var AnomalyEventSchema = arrow.NewSchema([]arrow.Field{
	field("meter_id", strType, ""), field("kind", strType, ""), field("start", tsType, ""), field("end", tsType, ""),
	field("resolution_seconds", i64Type, "s"), field("consumption", f64Type, "kWh"), nullable("expected", f64Type, "kWh"),
	nullable("lower", f64Type, "kWh"), nullable("upper", f64Type, "kWh"), field("importance", f64Type, ""),
	field("model", strType, ""),
}, nil)

// AnomalyEventRecord returns anomaly events as a record of
// AnomalyEventSchema. The caller must Release it.
func AnomalyEventRecord(mem memory.Allocator, rows []AnomalyEvent) arrow.RecordBatch {
	return newRecord(mem, AnomalyEventSchema, len(rows), func(b *array.RecordBuilder) {
		f := b.Fields()
		for _, r := range rows {
			str(f[0]).Append(r.MeterID)
			str(f[1]).Append(r.Kind)
			ms(f[2]).Append(arrow.Timestamp(r.Start.UnixMilli()))
			ms(f[3]).Append(arrow.Timestamp(r.End.UnixMilli()))
			f[4].(*array.Int64Builder).Append(int64(r.Resolution / time.Second))
			f64(f[5]).Append(r.Consumption)
			appendOrNull(f[6], r.Expected)
			appendOrNull(f[7], r.Lower)
			appendOrNull(f[8], r.Upper)
			f64(f[9]).Append(r.Importance)
			str(f[10]).Append(r.Model)
		}
	})
}
