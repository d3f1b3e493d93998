package query

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openmda/mda/tables"
)

// AnomalyKind selects anomaly scores by their flag.
type AnomalyKind int

// Kinds of anomaly.
const (
	// SpikesAndDips selects the days flagged as anomalies either way.
	SpikesAndDips AnomalyKind = iota
	// Spikes selects days above the prediction interval (anomaly = 1).
	Spikes
	// Dips selects days below the prediction interval (anomaly = -1).
	Dips
	// AllDays selects every scored day, anomalous or not.
	AllDays
)

// String returns "spikes_and_dips", "spikes", "dips" or "all".
func (k AnomalyKind) String() string {
	switch k {
	case SpikesAndDips:
		return "spikes_and_dips"
	case Spikes:
		return "spikes"
	case Dips:
		return "dips"
	case AllDays:
		return "all"
	}
	return fmt.Sprintf("AnomalyKind(%d)", int(k))
}

func (k AnomalyKind) keep(flag int32) bool {
	switch k {
	case SpikesAndDips:
		return flag != 0
	case Spikes:
		return flag > 0
	case Dips:
		return flag < 0
	}
	return true
}

// Anomaly is the score of one meter's day.
type Anomaly struct {
	MeterID string
	// Day is the date of the day scored (a day of the anomaly job's time
	// zone, forecast.AnomalyOptions.Location), as midnight UTC of that date.
	Day time.Time
	// Consumption is the day's energy in kWh; Expected, Lower and Upper
	// the model's median and prediction interval.
	Consumption, Expected, Lower, Upper float64
	// Flag is +1 for a spike (above Upper), -1 for a dip (below Lower), 0
	// for neither.
	Flag int32
	// Importance is the relative excess outside the interval.
	Importance float64
	Model      string
}

// Kind returns "spike", "dip" or "none".
func (a Anomaly) Kind() string {
	switch {
	case a.Flag > 0:
		return "spike"
	case a.Flag < 0:
		return "dip"
	}
	return "none"
}

// AnomalyFilter selects anomaly scores.
type AnomalyFilter struct {
	// Year is the year partition to read (required).
	Year int
	// MeterIDs selects meters; empty means all.
	MeterIDs []string
	// Model selects the model that scored; "" means any.
	Model string
	// Kind selects by flag; the zero value selects spikes and dips.
	Kind AnomalyKind
}

// Anomalies returns the scores that f selects, ordered by meter and day.
func (l *Lake) Anomalies(ctx context.Context, f AnomalyFilter) ([]Anomaly, error) {
	if f.Year < 1 || f.Year > 9999 {
		return nil, fmt.Errorf("query: year %d out of range", f.Year)
	}
	if f.Kind < SpikesAndDips || f.Kind > AllDays {
		return nil, fmt.Errorf("query: invalid %v", f.Kind)
	}
	files, err := listFiles(ctx, l.b, tables.AnomalyDir(f.Year))
	if err != nil {
		return nil, err
	}
	rows, err := readRows(ctx, l.b, files, f.MeterIDs,
		func(r *tables.AnomalyRow) string { return r.MeterID },
		func(r *tables.AnomalyRow) bool {
			return f.Kind.keep(r.Anomaly) && (f.Model == "" || r.Model == f.Model)
		})
	if err != nil {
		return nil, err
	}
	out := make([]Anomaly, len(rows))
	for i, r := range rows {
		out[i] = Anomaly{MeterID: r.MeterID, Day: r.Day.UTC(), Consumption: r.Consumption, Expected: r.Expected,
			Lower: r.Lower, Upper: r.Upper, Flag: r.Anomaly, Importance: r.Importance, Model: r.Model}
	}
	slices.SortStableFunc(out, func(a, b Anomaly) int {
		if c := cmp.Compare(a.MeterID, b.MeterID); c != 0 {
			return c
		}
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		return strings.Compare(a.Model, b.Model)
	})
	return out, nil
}
