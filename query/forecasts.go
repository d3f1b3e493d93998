package query

import (
	"cmp"
	"context"
	"fmt"
	"github.com/openmda/mda/partition"
	"slices"
	"strings"
	"time"

	"github.com/openmda/mda/tables"
)

// ForecastRun identifies one model's forecasts made at one time: a
// directory of the forecasts table.
type ForecastRun struct {
	Model string
	Start time.Time
}

// ForecastRuns lists the runs of the forecasts table, of one model or of
// every model if model is "", ordered by start and then model.
func (l *Lake) ForecastRuns(ctx context.Context, model string) ([]ForecastRun, error) {
	models := []string{model}
	if model == "" {
		dirs, err := partition.ListDirs(ctx, l.b, tables.ForecastsPrefix)
		if err != nil {
			return nil, err
		}
		models = models[:0]
		for _, d := range dirs {
			if m, ok := strings.CutPrefix(d, "model_name="); ok && m != "" {
				models = append(models, m)
			}
		}
	}
	var runs []ForecastRun
	for _, m := range models {
		dirs, err := partition.ListDirs(ctx, l.b, tables.ForecastsPrefix+"model_name="+m+"/")
		if err != nil {
			return nil, err
		}
		for _, d := range dirs {
			s, ok := strings.CutPrefix(d, "forecast_start=")
			if !ok {
				continue
			}
			t, err := time.Parse(tables.ForecastStartLayout, s)
			if err != nil {
				continue
			}
			runs = append(runs, ForecastRun{Model: m, Start: t})
		}
	}
	slices.SortFunc(runs, func(a, b ForecastRun) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.Model, b.Model)
	})
	return runs, nil
}

// LatestRun returns the latest run (of model, or any model if "") that
// started at or before t (any time if t is zero), and false if there is
// none. Among runs with the same start, the model that sorts first wins.
func (l *Lake) LatestRun(ctx context.Context, model string, t time.Time) (ForecastRun, bool, error) {
	runs, err := l.ForecastRuns(ctx, model)
	if err != nil {
		return ForecastRun{}, false, err
	}
	for i := len(runs) - 1; i >= 0; i-- {
		if t.IsZero() || !runs[i].Start.After(t) {
			// Prefer the first model among those of this start.
			j := i
			for j > 0 && runs[j-1].Start.Equal(runs[i].Start) {
				j--
			}
			return runs[j], true, nil
		}
	}
	return ForecastRun{}, false, nil
}

// Forecast is one step of a meter's forecast.
type Forecast struct {
	MeterID string
	Model   string
	// Start is when the forecast was made (the run's forecast_start).
	Start time.Time
	// Time is the end of the step the values cover (an hour, for hourly
	// forecasts).
	Time time.Time
	// P10, P50 and P90 are the 10%, 50% (median) and 90% quantiles of the
	// step's energy, in kWh.
	P10, P50, P90 float64
	// ModelVersion identifies the fitted model.
	ModelVersion string
}

// ForecastFilter selects forecast steps of one run.
type ForecastFilter struct {
	Run ForecastRun
	// MeterIDs selects meters; empty means all.
	MeterIDs []string
	// From and To bound the steps' end times, half-open; zero means
	// unbounded.
	From, To time.Time
}

// Forecasts returns the steps of a forecast run that f selects, ordered by
// meter and time. A run that does not exist has no steps.
func (l *Lake) Forecasts(ctx context.Context, f ForecastFilter) ([]Forecast, error) {
	if f.Run.Model == "" || strings.Contains(f.Run.Model, "/") {
		return nil, fmt.Errorf("query: invalid forecast model %q", f.Run.Model)
	}
	files, err := listFiles(ctx, l.b, tables.ForecastDir(f.Run.Model, f.Run.Start))
	if err != nil {
		return nil, err
	}
	rows, err := readRows(ctx, l.b, files, f.MeterIDs,
		func(r *tables.ForecastRow) string { return r.MeterID },
		func(r *tables.ForecastRow) bool {
			return (f.From.IsZero() || !r.ForecastTime.Before(f.From)) && (f.To.IsZero() || r.ForecastTime.Before(f.To))
		})
	if err != nil {
		return nil, err
	}
	out := make([]Forecast, len(rows))
	for i, r := range rows {
		out[i] = Forecast{MeterID: r.MeterID, Model: f.Run.Model, Start: f.Run.Start.UTC(), Time: r.ForecastTime.UTC(),
			P10: r.P10, P50: r.P50, P90: r.P90, ModelVersion: r.ModelVersion}
	}
	slices.SortStableFunc(out, func(a, b Forecast) int {
		if c := cmp.Compare(a.MeterID, b.MeterID); c != 0 {
			return c
		}
		return a.Time.Compare(b.Time)
	})
	return out, nil
}
