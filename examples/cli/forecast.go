package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/examples/server/web"
	"github.com/openmda/mda/forecast"
)

// runForecast dispatches "mda forecast SUBCOMMAND": backtest reproduces
// published benchmark protocols so that a change to the models is
// measured, not guessed; train, run and anomalies are the batch jobs that
// replace the guidance's DeepAR and Prophet pipeline on the lake.
func runForecast(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "forecast", []command{
		{"backtest", "score the linear model against seasonal-naive on a benchmark protocol", runForecastBacktest},
		{"train", "fit hourly forecasters on the lake's kW or kWh reads and store a model version", runForecastTrain},
		{"run", "forecast the next hours of every meter into the forecasts table", runForecastRun},
		{"anomalies", "score a year of energy per meter into the anomalies and anomaly events tables", runForecastAnomalies},
	}, args, stdout, stderr)
}

func runForecastTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("forecast train", "--lake URL [flags]", stderr)
	lakeURL := fs.String("lake", mda.DefaultLakeURL, "lake bucket URL (file://, mem://, s3://...)")
	model := fs.String("model", forecast.DefaultModel, "model name in the store and the forecasts table")
	meters := fs.Int("meters", 0, "train the first N meters by id only (0: all that reported in the window's last day)")
	window := fs.String("window", "56d", "training window before --end, e.g. 56d or 1344h")
	end := fs.String("end", "", "end of the training window, e.g. 2024-04-01 or 2024-04-01T12 (default: end of data)")
	perMeter := fs.Bool("per-meter", false, "one model per meter instead of one per shard of meters")
	workers := fs.Int("workers", 0, "models fitted at once (default: number of CPUs)")
	memMB := fs.Int("memory", 0, "memory budget of the hourly grid in MB (default 512)")
	weather := fs.Bool("weather", false, "temperature regressors from the lake's weather table (forecast run then needs the weather forecast there)")
	station := fs.String("station", "", "weather station of --weather, which it implies (default: the one of a load without a station column)")
	tz := fs.String("tz", "", "time zone of the hour-of-day and weekday regressors, e.g. Australia/Sydney (default: MDA_TZ, else UTC)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	loc, err := web.Location(*tz)
	if err != nil {
		return err
	}
	w, err := parseDays(*window)
	if err != nil {
		return fmt.Errorf("--window: %w", err)
	}
	opts := &forecast.TrainOptions{Model: *model, MaxMeters: *meters, Window: w, PerMeter: *perMeter,
		Workers: *workers, MemoryBudget: int64(*memMB) << 20, Location: loc}
	if *weather || *station != "" {
		opts.Weather = &forecast.Weather{Station: *station}
	}
	if *end != "" {
		if opts.End, err = parseHour(*end); err != nil {
			return fmt.Errorf("--end: %w", err)
		}
	}
	lake, err := openLakeToRead(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer lake.Close()
	pl, mem := jobProgress(stderr, *quiet)
	opts.Progress = pl
	st, err := forecast.Train(ctx, lake, opts)
	peak := mem()
	if err != nil {
		return err
	}
	m := st.Manifest
	fmt.Fprintf(stdout, "trained %s version %s (%s): %d meters, %d skipped, window %s to %s\n", m.Model, m.Version, m.Kind,
		m.Meters, m.Skipped, m.From.Format(time.DateTime), m.To.Format(time.DateTime))
	if m.Weather != nil {
		fmt.Fprintf(stdout, "temperature regressors from weather station %q (held-out scores use the observed temperature)\n", m.Weather.Station)
	}
	fmt.Fprintf(stdout, "holdout (last %dh): median MASE %s (seasonal-naive %s), WQL %s (seasonal-naive %s); in-sample median MASE %s\n",
		m.Linear.Horizon, f3(m.Holdout.MedianMASE), f3(m.SeasonalNaive.MedianMASE), f3(m.Holdout.WQL), f3(m.SeasonalNaive.WQL), f3(m.InSample.MedianMASE))
	fmt.Fprintf(stdout, "%d shards, %s stored in %s; %d reads scanned in %d passes; %v, peak memory %s\n", len(m.Shards), mb(st.Bytes),
		forecast.ModelDir(m.Model, m.Version), st.Scan.Reads, st.Passes, st.Elapsed.Round(time.Millisecond), peak)
	if w := holdoutWarning(m); w != "" {
		fmt.Fprintln(stderr, w)
	}
	return nil
}

// holdoutWarning returns a warning if the model forecast its held-out
// hours worse than the seasonal-naive baseline (a higher median MASE), or
// "". The model is stored all the same: it is the operator's call.
func holdoutWarning(m forecast.Manifest) string {
	model, naive := float64(m.Holdout.MedianMASE), float64(m.SeasonalNaive.MedianMASE)
	if model != model || naive != naive || model <= naive {
		return ""
	}
	return fmt.Sprintf("mda forecast train: warning: %s version %s forecast the held-out %dh worse than seasonal-naive "+
		"(median MASE %s > %s): it is stored and forecast run will use it; more history or another --window may do better",
		m.Model, m.Version, m.Linear.Horizon, f3(model), f3(naive))
}

func runForecastRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("forecast run", "--lake URL [flags]", stderr)
	lakeURL := fs.String("lake", mda.DefaultLakeURL, "lake bucket URL (file://, mem://, s3://...)")
	model := fs.String("model", forecast.DefaultModel, "model name")
	version := fs.String("version", "", "model version (default: the latest)")
	horizon := fs.Int("horizon", 168, "hours to forecast (at most the model's horizon)")
	start := fs.String("start", "", "first forecast hour, e.g. 2024-04-01T00 (default: end of data)")
	workers := fs.Int("workers", 0, "meters forecast at once (default: number of CPUs)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	var cf catalogFlags
	cf.registerML(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *horizon < 1 {
		return usageError(fs, "--horizon must be at least 1, got %d", *horizon)
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	opts := &forecast.RunOptions{Model: *model, Version: *version, Horizon: *horizon, Workers: *workers}
	if *start != "" {
		t, err := parseHour(*start)
		if err != nil {
			return fmt.Errorf("--start: %w", err)
		}
		opts.Start = t
	}
	lake, err := openLakeToRead(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer lake.Close()
	reg, closeCat, err := cf.registrar(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer closeCat()
	if reg != nil {
		opts.Register = reg.RegisterDirs
	}
	pl, mem := jobProgress(stderr, *quiet)
	opts.Progress = pl
	st, err := forecast.Run(ctx, lake, opts)
	peak := mem()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "forecast %s version %s: %d meters (%d skipped) × %d hours from %s\n", st.Model, st.Version,
		st.Meters, st.Skipped, st.Horizon, st.Start.Format(time.DateTime))
	dir := ""
	if len(st.Files) > 0 {
		dir = st.Files[0][:strings.LastIndex(st.Files[0], "/")+1]
	}
	fmt.Fprintf(stdout, "%d rows in %d files (%s) under %s; %v, peak memory %s\n", st.Rows, len(st.Files), mb(st.Bytes), dir,
		st.Elapsed.Round(time.Millisecond), peak)
	return nil
}

func runForecastAnomalies(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("forecast anomalies", "--lake URL [flags]", stderr)
	lakeURL := fs.String("lake", mda.DefaultLakeURL, "lake bucket URL (file://, mem://, s3://...)")
	year := fs.Int("year", 0, "year to score (default: the year of the last complete day of data)")
	weeks := fs.Int("weeks", 8, "weeks of history behind each day's expected value")
	memMB := fs.Int("memory", 0, "memory budget of the hourly grid in MB (default 512)")
	interval := fs.Float64("interval", 0.98, "probability of the normal range")
	workers := fs.Int("workers", 0, "meters scored at once (default: number of CPUs)")
	weather := fs.Bool("weather", false, "expected values follow the temperature of the lake's weather table (a cold day that heating explains is no spike)")
	station := fs.String("station", "", "weather station of --weather, which it implies (default: the one of a load without a station column)")
	tz := fs.String("tz", "", "time zone of the days scored, e.g. Australia/Sydney (default: MDA_TZ, else UTC)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	var cf catalogFlags
	cf.registerML(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *interval <= 0 || *interval >= 1 {
		return usageError(fs, "--interval must be a probability between 0 and 1 (exclusive), got %g", *interval)
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	loc, err := web.Location(*tz)
	if err != nil {
		return err
	}
	lake, err := openLakeToRead(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer lake.Close()
	reg, closeCat, err := cf.registrar(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer closeCat()
	pl, mem := jobProgress(stderr, *quiet)
	aopts := &forecast.AnomalyOptions{Year: *year, Weeks: *weeks, Interval: *interval, Location: loc,
		MemoryBudget: int64(*memMB) << 20, Workers: *workers, Progress: pl}
	if *weather || *station != "" {
		aopts.Weather = &forecast.Weather{Station: *station}
	}
	st, err := forecast.DetectAnomalies(ctx, lake, aopts)
	peak := mem()
	if err != nil {
		return err
	}
	if reg != nil {
		if err := reg.RegisterDirs(ctx, st.Dirs()...); err != nil {
			return fmt.Errorf("registering the anomalies of %d: %w (the files are written; a rerun registers them)", st.Year, err)
		}
	}
	var events []string
	var nev int64
	for _, k := range forecast.AnomalyKinds {
		events = append(events, fmt.Sprintf("%d %s", st.Events[k], k))
		nev += st.Events[k]
	}
	if st.Meters == 0 {
		err := noAnomalyScores(st, *weeks, dataSpan(ctx, lake))
		if nev == 0 {
			return err
		}
		// Runs of stuck or zero reads need no history: they were found
		// and written, though no day could be scored.
		fmt.Fprintf(stderr, "warning: %v\n", err)
	} else {
		fmt.Fprintf(stdout, "anomalies %d (%s to %s, model %s): %d meters, %d meter-days scored, %d spikes, %d dips\n", st.Year,
			st.From.Format(time.DateOnly), st.To.AddDate(0, 0, -1).Format(time.DateOnly), st.Model, st.Meters, st.Days, st.Spikes, st.Dips)
	}
	fmt.Fprintf(stdout, "events: %s (%d in %d files)\n", strings.Join(events, ", "), nev, len(st.EventFiles))
	fmt.Fprintf(stdout, "%d rows in %d files (%s); %d reads scanned in %d passes; %v, peak memory %s\n", st.Days, len(st.Files), mb(st.Bytes),
		st.Scan.Reads, st.Passes, st.Elapsed.Round(time.Millisecond), peak)
	return nil
}

// noAnomalyScores is the error of a forecast anomalies run that scored no
// meter-day: the detector needs forecast.DefaultMinHistoryDays days of
// history before a day. The window it scanned runs from weeks weeks
// before the year to the last day it could score; span, if known, is the
// lake's first and last kW or kWh reading time (forecast.DataStart and
// DataEnd), which says how much history there is.
func noAnomalyScores(st forecast.AnomalyStats, weeks int, span *[2]time.Time) error {
	if weeks <= 0 {
		weeks = 8 // forecast.AnomalyOptions' default
	}
	if st.Scan.Partitions == 0 {
		from, to := st.From.AddDate(0, 0, -7*weeks).Format(time.DateOnly), st.To.AddDate(0, 0, -1).Format(time.DateOnly)
		return fmt.Errorf("%w: no kW or kWh reads from %s to %s to score %d on", forecast.ErrNoData, from, to, st.Year)
	}
	held := ""
	if span != nil {
		held = fmt.Sprintf(", and the lake's kW and kWh reads run from %s to %s (%.1f days)", span[0].Format("2006-01-02 15:04"),
			span[1].Format("2006-01-02 15:04"), span[1].Sub(span[0]).Hours()/24)
	}
	return fmt.Errorf("%w: no meter-day of %d scored: the detector needs %d days of history before a day it scores%s",
		forecast.ErrHistory, st.Year, forecast.DefaultMinHistoryDays, held)
}

// dataSpan returns the lake's first and last kW or kWh reading time, or
// nil if they cannot be found.
func dataSpan(ctx context.Context, lake *blob.Bucket) *[2]time.Time {
	first, err := forecast.DataStart(ctx, lake)
	if err != nil {
		return nil
	}
	last, err := forecast.DataEnd(ctx, lake)
	if err != nil {
		return nil
	}
	return &[2]time.Time{first, last}
}

// registerML adds to fs the catalog flags of the forecast and anomaly
// jobs: those of mda ingest (catalogFlags.register) and --ml-database,
// the database of the ML result tables.
func (c *catalogFlags) registerML(fs *flag.FlagSet) {
	c.register(fs)
	fs.StringVar(&c.mlDatabase, "ml-database", catalog.DatabaseFeatureML, "database of the forecast and anomaly tables")
}

// jobProgress returns a progress callback that draws a line on stderr
// (none if quiet) and a function that stops the memory sampler and
// returns the peak memory as text.
func jobProgress(stderr io.Writer, quiet bool) (func(forecast.Progress), func() string) {
	var w io.Writer = stderr
	if quiet {
		w = nil
	}
	p := newProgress(w)
	stop := sampleMemory()
	report := func(pr forecast.Progress) {
		if pr.Total > 0 {
			p.printf(pr.Done == pr.Total, "%-9s %d of %d  %s", pr.Stage, pr.Done, pr.Total, time.Since(p.start).Round(100*time.Millisecond))
		} else {
			p.printf(false, "%-9s %s", pr.Stage, time.Since(p.start).Round(100*time.Millisecond))
		}
	}
	return report, func() string {
		heap, total := stop()
		p.done()
		return fmt.Sprintf("%s heap, %s from the OS", mb(int64(heap)), mb(int64(total)))
	}
}

// sampleMemory samples the Go heap (live and unswept objects) and all the
// memory the runtime mapped, every 50 ms from runtime/metrics (which does
// not stop the world, unlike ReadMemStats), until stop returns their peaks.
// Peak RSS from getrusage would be simpler but is not portable.
func sampleMemory() (stop func() (heap, total uint64)) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
	var peakHeap, peakTotal uint64
	read := func() {
		metrics.Read(samples)
		if samples[0].Value.Kind() == metrics.KindUint64 {
			peakHeap = max(peakHeap, samples[0].Value.Uint64())
		}
		if samples[1].Value.Kind() == metrics.KindUint64 {
			peakTotal = max(peakTotal, samples[1].Value.Uint64())
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() (uint64, uint64) {
		close(done)
		wg.Wait()
		read()
		return peakHeap, peakTotal
	}
}

// parseDays parses a duration that may be given in days: "56d", "1.5d",
// or anything time.ParseDuration takes ("1344h").
func parseDays(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(d, 64)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q is not a positive number of days", s)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration (e.g. 56d, 1344h)", s)
	}
	return v, nil
}

// parseHour parses a UTC time given to the hour or finer.
func parseHour(s string) (time.Time, error) {
	for _, l := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02T15", time.DateOnly} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time like 2024-04-01, 2024-04-01T13 or RFC 3339", s)
}

// f3 formats a score, "n/a" when it could not be computed.
func f3[T ~float64](v T) string {
	if f := float64(v); f != f {
		return "n/a"
	}
	return strconv.FormatFloat(float64(v), 'f', 3, 64)
}

func runForecastBacktest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("forecast backtest", "--protocol ett|last-window --csv PATH [flags]", stderr)
	protocol := fs.String("protocol", "", "ett (ETTh1 long-horizon, DLinear protocol) or last-window (meter_id,time,value CSV)")
	path := fs.String("csv", "", "input CSV, plain or gzip (required)")
	horizon := fs.String("horizon", "", "intervals to forecast; for ett also 'all' (96,192,336,720); default: all for ett, season for last-window")
	lookback := fs.Int("lookback", 0, "look-back window; default 336 for ett, 7 seasons for last-window")
	season := fs.Int("season", 0, "season in intervals; default 24 for ett, 48 for last-window")
	origins := fs.Int("origins", 7, "last-window: number of rolling origins, one stride apart (1 = last window only)")
	stride := fs.Int("stride", 0, "last-window: intervals between origins; default season")
	individual := fs.Bool("individual", false, "ett: one model per channel instead of shared weights")
	lambda := fs.Float64("lambda", 0, "ridge penalty per window; 0 tunes it on held-out data")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *protocol == "":
		return usageError(fs, "--protocol is required")
	case *protocol != "ett" && *protocol != "last-window":
		return usageError(fs, "unknown --protocol %q: want ett or last-window", *protocol)
	case *path == "":
		return usageError(fs, "--csv is required")
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	r, closer, err := forecast.OpenFile(*path)
	if err != nil {
		return err
	}
	defer closer.Close()

	switch *protocol {
	case "ett":
		opts := &forecast.ETTOptions{Lookback: *lookback, Season: *season, Individual: *individual,
			Linear: &forecast.LinearOptions{Lambda: *lambda}}
		if *horizon != "" && *horizon != "all" {
			hs, err := parseHorizons(*horizon)
			if err != nil {
				return err
			}
			opts.Horizons = hs
		}
		_, channels, err := forecast.ReadWide(ctx, r)
		if err != nil {
			return fmt.Errorf("reading %s: %w", *path, err)
		}
		res, err := forecast.BacktestETT(ctx, channels, opts)
		if err != nil {
			return err
		}
		return forecast.WriteETT(stdout, res)
	default:
		s := *season
		if s <= 0 {
			s = 48
		}
		lo := forecast.DefaultMeterOptions(s)
		lo.Lambda = *lambda
		if *lookback > 0 {
			lo.Lookback = *lookback
		}
		opts := &forecast.LastWindowOptions{Season: s, Origins: *origins, Stride: *stride, Linear: lo}
		if *horizon != "" {
			h, err := strconv.Atoi(*horizon)
			if err != nil || h < 1 {
				return fmt.Errorf("--horizon: %q is not a positive integer", *horizon)
			}
			opts.Horizon = h
		}
		meters, err := forecast.ReadLong(ctx, r)
		if err != nil {
			return fmt.Errorf("reading %s: %w", *path, err)
		}
		res, err := forecast.BacktestLastWindow(ctx, meters, opts)
		if err != nil {
			return err
		}
		return forecast.WriteLastWindow(stdout, res)
	}
}

// parseHorizons parses "96" or "96,192".
func parseHorizons(s string) ([]int, error) {
	var hs []int
	for _, f := range strings.Split(s, ",") {
		h, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || h < 1 {
			return nil, fmt.Errorf("--horizon: %q is not a positive integer or 'all'", f)
		}
		hs = append(hs, h)
	}
	return hs, nil
}
