package forecast

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"

	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/tables"
)

// RunOptions configure Run; nil means the defaults of each field.
type RunOptions struct {
	// Model is the model name; "" means DefaultModel.
	Model string
	// Version is the model version; "" means the latest (LATEST).
	Version string
	// Start is the first forecast hour (rounded down to the hour); zero
	// means the end of the last complete hour of data.
	Start time.Time
	// Horizon is the number of hours to forecast; 0 means the model's
	// horizon (168), which is also the most it can forecast.
	Horizon int
	// History is how much history before Start is read per meter; 0 means
	// 28 days. The model needs its look-back (one week); the rest fills
	// gaps and sets each meter's scale.
	History time.Duration
	// MeterIDs restricts the forecast to these meters (of the model's).
	// Such a run replaces their rows of the run's partition and keeps the
	// other meters' (a run for all replaces the partition); see Run.
	MeterIDs []string
	// MemoryBudget bounds the history grid, as in TrainOptions.
	MemoryBudget int64
	// Temperature is hourly temperature (°C) for a model trained with
	// TrainOptions.Weather: typically a weather forecast that is not in
	// the lake's weather table. Its values come first; the table's, for
	// the model's station, fill the hours of the look-back and the
	// forecast period it lacks. Models without temperature regressors
	// ignore it.
	Temperature Series
	// Workers is the number of meters forecast at once; 0 means GOMAXPROCS.
	Workers int
	// Progress, if set, receives progress reports (never concurrently).
	Progress func(Progress)
	// Register, if set, is called with the forecasts table's partition
	// directory that the run wrote (tables.ForecastDir(model, Start)), once
	// its files are in place, to register it in a catalog (the
	// RegisterDirs method of a catalog.Registrar). If it fails, so does the
	// run; its files stay, and a rerun writes and registers them again.
	Register func(ctx context.Context, dirs ...string) error
}

// RunStats reports a Run.
type RunStats struct {
	Model, Version string    // the model version used (Version resolved from LATEST if unset)
	Start          time.Time // the first forecast hour, UTC
	Horizon        int       // the hours forecast
	// Meters counts the meters forecast, Skipped those of the model without
	// enough recent reads for a look-back window.
	Meters, Skipped int
	Rows            int64               // forecast rows written, one per meter and hour
	Files           []string            // the keys of the files written in the lake
	Bytes           int64               // bytes written
	Scan            partition.ScanStats // the history scans' statistics, added up
	Elapsed         time.Duration       // wall-clock time of the run
}

// Run forecasts the Horizon hours from Start of every meter of a trained
// model from its recent hourly energy, and writes them to the forecasts
// table (tables.ForecastRow, kWh per hour) under
// tables.ForecastDir(model, Start): one file per model shard, named by the
// shard, and any other file in that directory is removed. Running it again
// for the same Start therefore replaces the forecast instead of adding to
// it, and gives the same bytes for the same data and model. A run
// restricted to MeterIDs replaces only those meters' rows: it removes them
// from the directory's files first (rewriting each file that holds some),
// then writes theirs to files of its own, and keeps the other meters'.
//
// Quantiles below zero are clipped to zero: consumption is not
// negative, and a linear model's P10 can dip below zero at night.
func Run(ctx context.Context, lake *blob.Bucket, opts *RunOptions) (RunStats, error) {
	t0 := time.Now()
	var o RunOptions
	if opts != nil {
		o = *opts
	}
	var st RunStats
	progress := serialProgress(o.Progress)
	man, err := ReadManifest(ctx, lake, o.Model, o.Version)
	if err != nil {
		return st, err
	}
	st.Model, st.Version = man.Model, man.Version
	loc, err := man.location()
	if err != nil {
		return st, err
	}
	L, maxH := man.Linear.Lookback, man.Linear.Horizon
	H := o.Horizon
	if H <= 0 {
		H = maxH
	}
	if H > maxH {
		return st, fmt.Errorf("%w: %d hours, model %s/%s forecasts at most %d", ErrHorizon, H, man.Model, man.Version, maxH)
	}
	st.Horizon = H
	start := o.Start.UTC().Truncate(time.Hour)
	if o.Start.IsZero() {
		e, err := DataEnd(ctx, lake)
		if err != nil {
			return st, err
		}
		start = completeHoursEnd(e)
	}
	st.Start = start
	if o.History <= 0 {
		o.History = 28 * 24 * time.Hour
	}
	n := max(int(o.History/time.Hour), L)
	from := start.Add(-time.Duration(n) * time.Hour)
	if man.Weather != nil {
		lb, end := start.Add(-time.Duration(L)*time.Hour), start.Add(time.Duration(H)*time.Hour)
		if o.Temperature.Len() > 0 && o.Temperature.Step <= 0 {
			return st, errors.New("forecast: RunOptions.Temperature has no step")
		}
		// The weather table's observations and forecast, where the
		// temperatures passed in have none (typically the look-back).
		progress(Progress{Stage: "weather"})
		table, err := ReadTemperature(ctx, lake, man.Weather.Station, lb, end)
		if err != nil && !(errors.Is(err, ErrNoWeather) && o.Temperature.Len() > 0) {
			return st, err
		}
		temp := mergeTemperature(o.Temperature, table, lb, end)
		if err := checkTemperature(temp, man.Weather.Station, start, end, "the forecast period (a weather forecast)"); err != nil {
			return st, err
		}
		if err := checkTemperature(temp, man.Weather.Station, lb, start, "the look-back"); err != nil {
			return st, err
		}
		man.Linear = withTemperature(man.Linear, temp, nil)
	}

	// The model's meters, by shard, restricted to MeterIDs.
	var want map[string]bool
	if len(o.MeterIDs) > 0 {
		want = map[string]bool{}
		for _, id := range o.MeterIDs {
			want[id] = true
		}
	}
	var shards []int
	for i, sh := range man.Shards {
		if want == nil || slices.ContainsFunc(sh.IDs, func(id string) bool { return want[id] }) {
			shards = append(shards, i)
		}
	}
	dir := tables.ForecastDir(man.Model, start)
	written := map[string]bool{}
	var total int64
	for _, i := range shards {
		for _, id := range man.Shards[i].IDs {
			if want == nil || want[id] {
				total++
			}
		}
	}
	var done int64
	budget := o.MemoryBudget
	if budget <= 0 {
		budget = DefaultMemoryBudget
	}
	if want != nil {
		// Replace only the selected meters' rows (see dropMeters).
		if err := dropMeters(ctx, lake, dir, want, func(r *tables.ForecastRow) string { return r.MeterID }); err != nil {
			return st, err
		}
	}
	// Shards are grouped into passes over the lake by the memory budget of
	// the history grid; each pass reads its meters' history, and then one
	// shard of models at a time is loaded, forecast, written and dropped.
	for len(shards) > 0 {
		var group []int
		var ids []string
		for len(shards) > 0 {
			sh := man.Shards[shards[0]]
			if len(group) > 0 && int64(len(ids)+len(sh.IDs))*int64(n)*gridCellBytes > budget {
				break
			}
			group = append(group, shards[0])
			shards = shards[1:]
			for _, id := range sh.IDs {
				if want == nil || want[id] {
					ids = append(ids, id)
				}
			}
		}
		slices.Sort(ids)
		g, sst, err := scanGrid(ctx, lake, ids, from, time.Hour, n, len(group) < len(man.Shards) || want != nil, progress)
		st.Scan.Add(sst)
		if err != nil {
			return st, err
		}
		// The grid is outside the heap: free it however the group ends.
		err = func() error {
			defer g.free()
			for _, i := range group {
				models, err := LoadShard(ctx, lake, man, i)
				if err != nil {
					return err
				}
				if want != nil {
					models = slices.DeleteFunc(models, func(m MeterModel) bool { return !want[m.MeterID] })
				}
				rows, skipped, err := forecastShard(ctx, g, models, loc, H, man.Version, o.Workers)
				if err != nil {
					return err
				}
				st.Meters += len(models) - skipped
				st.Skipped += skipped
				name := fmt.Sprintf("part-%05d.parquet", i)
				if want != nil {
					name = subsetName(o.MeterIDs, i)
				}
				nb, err := writeParquet(ctx, lake, dir+name, rows)
				if err != nil {
					return err
				}
				written[name] = true
				st.Files = append(st.Files, dir+name)
				st.Rows += int64(len(rows))
				st.Bytes += nb
				done += int64(len(models))
				progress(Progress{Stage: "forecast", Done: done, Total: total})
			}
			return nil
		}()
		if err != nil {
			return st, err
		}
	}
	if want == nil {
		if err := removeOthers(ctx, lake, dir, written); err != nil {
			return st, err
		}
	}
	if o.Register != nil && len(st.Files) > 0 {
		if err := o.Register(ctx, dir); err != nil {
			return st, fmt.Errorf("forecast: registering %s: %w", dir, err)
		}
	}
	st.Elapsed = time.Since(t0)
	return st, nil
}

// forecastShard forecasts the meters of one shard in parallel and returns
// their rows, by meter and time, and the number of meters skipped.
func forecastShard(ctx context.Context, g *grid, models []MeterModel, loc *time.Location, H int, version string, nw int) ([]tables.ForecastRow, int, error) {
	per := make([][]tables.ForecastRow, len(models))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(workers(nw), max(len(models), 1)) {
		wg.Go(func() {
			var buf []float64
			for k := range jobs {
				m := models[k]
				row, ok := g.index[m.MeterID]
				if !ok {
					continue
				}
				buf = g.energy(int(row), buf)
				hist := Series{Start: g.start.In(loc), Step: g.step, Values: buf}
				if lb := m.Model.opt.Lookback; hist.Len() < lb || allNaN(hist.Values[hist.Len()-lb:]) {
					continue
				}
				f, err := m.Model.Predict(hist, H)
				if err != nil {
					continue
				}
				rows := make([]tables.ForecastRow, H)
				for h := range rows {
					p10, p50, p90 := clip0(f.P10[h]), clip0(f.P50[h]), clip0(f.P90[h])
					rows[h] = tables.ForecastRow{MeterID: m.MeterID, ForecastTime: f.Start.Add(time.Duration(h+1) * f.Step).UTC(),
						P10: p10, P50: max(p50, p10), P90: max(p90, p50, p10), ModelVersion: version}
				}
				per[k] = rows
			}
		})
	}
	for k := range models {
		if ctx.Err() != nil {
			break
		}
		jobs <- k
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	var out []tables.ForecastRow
	skipped := 0
	for _, r := range per {
		if r == nil {
			skipped++
		}
		out = append(out, r...)
	}
	return out, skipped, nil
}

// clip0 clips negative (and NaN) energy to zero.
func clip0(v float64) float64 {
	if !(v > 0) {
		return 0
	}
	return v
}

// parquetCreatedBy is fixed so that a file's bytes depend on its rows only.
var parquetCreatedBy = parquet.CreatedBy("github.com/openmda/mda/forecast", "1", "parquet-go v0.32.0")

// writeParquet writes rows to key as one Parquet file with a generic
// writer, overwriting; a failed write is aborted and leaves no object.
func writeParquet[T any](ctx context.Context, b *blob.Bucket, key string, rows []T) (int64, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bw, err := b.NewWriter(wctx, key, &blob.WriterOptions{ContentType: partition.ContentType})
	if err != nil {
		return 0, fmt.Errorf("forecast: writing %s: %w", key, err)
	}
	cw := &countWriter{w: bw}
	pw := parquet.NewGenericWriter[T](cw, parquet.Compression(&parquet.Snappy), parquetCreatedBy,
		parquet.MaxRowsPerRowGroup(1<<20))
	for len(rows) > 0 && err == nil {
		k := min(len(rows), 1<<16)
		_, err = pw.Write(rows[:k])
		rows = rows[k:]
	}
	if err == nil {
		err = pw.Close()
	}
	if err != nil {
		cancel()
		bw.Close()
		return 0, fmt.Errorf("forecast: writing %s: %w", key, err)
	}
	if err := bw.Close(); err != nil {
		return 0, fmt.Errorf("forecast: writing %s: %w", key, err)
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// removeOthers deletes the Parquet files of dir not in keep: what a
// previous run of the same partition wrote and this one did not.
func removeOthers(ctx context.Context, b *blob.Bucket, dir string, keep map[string]bool) error {
	it := b.List(&blob.ListOptions{Prefix: dir, Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("forecast: listing %s: %w", dir, err)
		}
		name := strings.TrimPrefix(obj.Key, dir)
		if obj.IsDir || keep[name] || !strings.HasSuffix(name, ".parquet") {
			continue
		}
		if err := b.Delete(ctx, obj.Key); err != nil {
			return fmt.Errorf("forecast: removing stale %s: %w", obj.Key, err)
		}
	}
}
