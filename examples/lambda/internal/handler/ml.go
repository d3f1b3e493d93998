package handler

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/forecast"
)

// ML runs the batch forecasting jobs of package forecast on a schedule
// (template.yaml: train weekly, forecast and score anomalies daily), each
// invocation one job over the whole lake. It replaces the guidance's
// SageMaker training, its always-on inference endpoint and its Glue
// anomaly job, and nothing runs between the jobs. A year of 10,000 meters
// trained in 62-68 s on two cores in 600 MB from a local lake (DESIGN.md,
// `mda bench forecast`): well inside one invocation's 15 minutes, though
// S3's transfer time, not measured here, comes on top.
type ML struct {
	Lake *blob.Bucket
	// Train, Run and Anomalies are the jobs' options; each invocation
	// copies them and sets its progress logging and registration.
	Train     forecast.TrainOptions
	Run       forecast.RunOptions
	Anomalies forecast.AnomalyOptions
	// Registrar, if set, registers the forecasts and anomalies partitions
	// that the jobs write (Glue, for Athena). Nil registers nothing.
	Registrar *catalog.Registrar
	Logger    *slog.Logger
}

// The jobs an MLEvent names.
const (
	JobTrain     = "train"
	JobForecast  = "forecast"
	JobAnomalies = "anomalies"
)

// MLEvent is the function's input, the schedule's constant payload
// (template.yaml's Input) or a manual invocation's.
type MLEvent struct {
	// Job is "train", "forecast" or "anomalies".
	Job string `json:"job"`
	// Year is the anomalies' year; 0 means the year of the last complete
	// day of data.
	Year int `json:"year,omitempty"`
	// Start is the first forecast hour (RFC 3339); "" means the end of the
	// data.
	Start string `json:"start,omitempty"`
}

// MLResult is the function's response, and the fields of its log line.
type MLResult struct {
	Job     string `json:"job"`
	Model   string `json:"model,omitempty"`
	Version string `json:"version,omitempty"`
	// Meters counts the meters trained, forecast or scored, Skipped those
	// without enough history.
	Meters  int   `json:"meters"`
	Skipped int   `json:"skipped"`
	Rows    int64 `json:"rows"`
	Files   int   `json:"files"`
	Bytes   int64 `json:"bytes"`
	Reads   int64 `json:"reads"`
	Passes  int   `json:"passes,omitempty"`
	// HoldoutMASE and NaiveMASE are a training's held-out median MASE and
	// the seasonal-naive forecast's.
	HoldoutMASE float64 `json:"holdout_median_mase,omitempty"`
	NaiveMASE   float64 `json:"seasonal_naive_median_mase,omitempty"`
	// Registered lists the table directories registered in the catalog.
	Registered []string `json:"registered,omitempty"`
	// Note says why a job did nothing, such as a forecast before the
	// first training.
	Note      string `json:"note,omitempty"`
	ElapsedMS int64  `json:"elapsed_ms"`
}

// deadlineReserve is the time a job leaves itself before the function's
// deadline, to log its failure and return instead of being killed.
const deadlineReserve = 30 * time.Second

// NewML wires an ML from the environment:
//
//	LAKE_URL        the lake bucket (required)
//	MODEL           the model name (default linear)
//	TRAIN_WINDOW    the training window (default 1344h, 8 weeks)
//	HORIZON         hours forecast (default 168, the model's horizon)
//	WEATHER_STATION temperature regressors from the lake's weather table,
//	                for this station ("-" for the station of a load
//	                without one); unset means none. Forecasts then need
//	                the weather forecast in the weather table, and the
//	                anomaly scores follow the observed temperature, which
//	                they need for 90% of the hours from 8 weeks before
//	                the scored year (or the lake's first reading) on.
//	MEMORY_BUDGET   the hourly grid's budget, e.g. 512MiB (default)
//	MDA_TZ          the time zone of the households' days, e.g.
//	                Australia/Sydney: the anomaly job scores its days and
//	                training's hour-of-day and weekday regressors follow
//	                its clock; default UTC
//	MDA_CATALOG_URL, MDA_CATALOG_LOCATION  as for the integrator; the
//	                tables go to the catalog's ML database
//	                (mda_database_feature_ml)
func NewML(ctx context.Context, env *lambdaenv.Env, logger *slog.Logger) (*ML, error) {
	lakeURL := env.Required("LAKE_URL", "the lake bucket, s3://<bucket>?region=<region>")
	model := env.Get("MODEL")
	window := env.Duration("TRAIN_WINDOW", 56*24*time.Hour)
	horizon := env.Int("HORIZON", 0)
	budget := env.Bytes("MEMORY_BUDGET", forecast.DefaultMemoryBudget)
	var weather *forecast.Weather
	if st := env.Get("WEATHER_STATION"); st != "" {
		if st == "-" {
			st = ""
		}
		weather = &forecast.Weather{Station: st}
	}
	loc := time.UTC
	if tz := env.Get("MDA_TZ"); tz != "" {
		var err error
		if loc, err = time.LoadLocation(tz); err != nil {
			env.Fail(fmt.Errorf("MDA_TZ=%q: %w", tz, err))
		}
	}
	catURL, catLoc := catalogEnv(env, lakeURL)
	if err := env.Err(); err != nil {
		return nil, err
	}
	lake, reg, err := openLakeAndRegistrar(ctx, lakeURL, catURL, catLoc)
	if err != nil {
		return nil, err
	}
	return &ML{Lake: lake, Registrar: reg, Logger: logger,
		Train:     forecast.TrainOptions{Model: model, Window: window, MemoryBudget: budget, Weather: weather, Location: loc},
		Run:       forecast.RunOptions{Model: model, Horizon: horizon, MemoryBudget: budget},
		Anomalies: forecast.AnomalyOptions{MemoryBudget: budget, Weather: weather, Location: loc}}, nil
}

// Handle runs the job the event names. Each job is idempotent: a rerun
// of a training over the same window gives the same model version, and a
// rerun of a forecast or an anomaly scoring replaces what it wrote. So a
// failed run is simply run again (Lambda's retries of the scheduler's
// asynchronous invocation, or by hand). A forecast before the first
// training has no model to run: it is logged and skipped, not an error.
// The job stops deadlineReserve before the function's deadline, so that a
// job too long for one invocation still logs its failure. Progress goes to
// the log at every stage and every tenth of a stage, so that a long run
// shows where it is.
func (m *ML) Handle(ctx context.Context, raw json.RawMessage) (MLResult, error) {
	var ev MLEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		m.Logger.Error("job failed", "event", string(raw), "err", err)
		return MLResult{}, fmt.Errorf("ml: event %s: %w", raw, err)
	}
	if d, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-deadlineReserve))
		defer cancel()
	}
	res := MLResult{Job: ev.Job}
	t0 := time.Now()
	progress := m.progress(ev.Job)
	var err error
	switch ev.Job {
	case JobTrain:
		o := m.Train
		o.Progress = progress
		var st forecast.TrainStats
		if st, err = forecast.Train(ctx, m.Lake, &o); err == nil {
			man := st.Manifest
			res.Model, res.Version, res.Meters, res.Skipped = man.Model, man.Version, man.Meters, man.Skipped
			res.Files, res.Bytes, res.Reads, res.Passes = len(man.Shards), st.Bytes, st.Scan.Reads, st.Passes
			res.HoldoutMASE, res.NaiveMASE = float64(man.Holdout.MedianMASE), float64(man.SeasonalNaive.MedianMASE)
		}
	case JobForecast:
		o := m.Run
		o.Progress = progress
		if ev.Start != "" {
			if o.Start, err = time.Parse(time.RFC3339, ev.Start); err != nil {
				err = fmt.Errorf("ml: start %q: %w", ev.Start, err)
				break
			}
		}
		if m.Registrar != nil {
			o.Register = func(ctx context.Context, dirs ...string) error {
				if err := m.Registrar.RegisterDirs(ctx, dirs...); err != nil {
					return err
				}
				res.Registered = append(res.Registered, dirs...)
				return nil
			}
		}
		var st forecast.RunStats
		st, err = forecast.Run(ctx, m.Lake, &o)
		switch {
		case errors.Is(err, forecast.ErrNoModel):
			res.Note, err = fmt.Sprintf("no model %q to forecast with yet: the train job has not run", cmp.Or(o.Model, forecast.DefaultModel)), nil
		case err == nil:
			res.Model, res.Version, res.Meters, res.Skipped = st.Model, st.Version, st.Meters, st.Skipped
			res.Rows, res.Files, res.Bytes, res.Reads = st.Rows, len(st.Files), st.Bytes, st.Scan.Reads
		}
	case JobAnomalies:
		o := m.Anomalies
		o.Year, o.Progress = ev.Year, progress
		var st forecast.AnomalyStats
		if st, err = forecast.DetectAnomalies(ctx, m.Lake, &o); err == nil {
			res.Model, res.Meters, res.Rows = st.Model, st.Meters, st.Days
			res.Files, res.Bytes, res.Reads, res.Passes = len(st.Files)+len(st.EventFiles), st.Bytes, st.Scan.Reads, st.Passes
			if m.Registrar != nil {
				if rerr := m.Registrar.RegisterDirs(ctx, st.Dirs()...); rerr != nil {
					err = fmt.Errorf("registering the anomalies of %d (written; a rerun registers them): %w", st.Year, rerr)
				} else {
					res.Registered = st.Dirs()
				}
			}
		}
	default:
		err = fmt.Errorf("ml: job %q: want %q, %q or %q", ev.Job, JobTrain, JobForecast, JobAnomalies)
	}
	res.ElapsedMS = time.Since(t0).Milliseconds()
	attrs := []any{"job", res.Job, "model", res.Model, "version", res.Version, "meters", res.Meters, "skipped", res.Skipped,
		"rows", res.Rows, "files", res.Files, "bytes", res.Bytes, "reads", res.Reads, "passes", res.Passes,
		"registered", res.Registered, "note", res.Note, "elapsed_ms", res.ElapsedMS}
	if res.Job == JobTrain {
		attrs = append(attrs, "holdout_median_mase", res.HoldoutMASE, "seasonal_naive_median_mase", res.NaiveMASE)
	}
	if err != nil {
		m.Logger.Error("job failed", append(attrs, "err", err)...)
		return res, err
	}
	m.Logger.Info("job done", attrs...)
	return res, nil
}

// progress returns a progress callback that logs each stage's start and
// every tenth of it.
func (m *ML) progress(job string) func(forecast.Progress) {
	stage, tenth := "", int64(-1)
	return func(p forecast.Progress) {
		t := int64(-1)
		if p.Total > 0 {
			t = 10 * p.Done / p.Total
		}
		if p.Stage == stage && t == tenth {
			return
		}
		stage, tenth = p.Stage, t
		m.Logger.Info("progress", "job", job, "stage", p.Stage, "done", p.Done, "total", p.Total)
	}
}
