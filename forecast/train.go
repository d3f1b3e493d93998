package forecast

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/partition"
)

// DefaultModel is the model name Train, Run and the forecasts table use
// when none is given.
const DefaultModel = "linear"

// MeterModelOptions is the per-meter Linear configuration of Train: hourly
// energy, a one-week look-back and a one-week horizon (the guidance's 7-day
// DeepAR forecast, whose context length is also 168), hour-of-day and
// day-of-week regressors, residual quantiles from held-out weeks.
//
// It differs from DefaultMeterOptions where fitting 10,000 models matters.
// Kernel 1 drops DLinear's trend/remainder split: with per-meter weights
// the split only re-parametrises the same linear map of the look-back (it
// matters for the ridge penalty, little for the forecast) and doubling the
// features makes a fit 2.5 times slower. Five penalties instead of fourteen
// and 512 calibration windows instead of 4096 halve it again, at no cost
// in held-out MASE on the simulator's and SGSC meters.
func MeterModelOptions() *LinearOptions {
	return &LinearOptions{
		Lookback:       168,
		Horizon:        168,
		Kernel:         1,
		Season:         24,
		ScaleSeries:    true,
		Lambdas:        []float64{1e-3, 0.01, 0.1, 1, 10},
		MaxCalibration: 512,
		Exog:           &Exog{TimeOfDay: true, DayOfWeek: true},
	}
}

// TrainOptions configure Train; nil means the defaults of each field.
type TrainOptions struct {
	// Model is the model's name in the store and the forecasts table;
	// "" means DefaultModel.
	Model string
	// MeterIDs selects meters; nil means every meter with kW or kWh reads in the
	// last day of the window (a meter that stopped reporting gets no model).
	MeterIDs []string
	// MaxMeters, if positive, keeps the first MaxMeters meters by id.
	MaxMeters int
	// End is the end of the training window (rounded down to the hour);
	// zero means the end of the last complete hour of data in the lake.
	End time.Time
	// Window is the length of the training window; 0 means 56 days,
	// enough for a pooled model of many meters. A model of few meters (a
	// MeterIDs of one, or PerMeter) learns the drift of its own few weeks
	// and needs a year: on a real NEM12 household in spring, a one-meter
	// model of 56 days forecast the next week's P50 at 39.9 kWh against
	// 63.0 read, one of 365 days at 55.1.
	Window time.Duration
	// Linear is the model template; nil means MeterModelOptions(). Its
	// horizon is the longest forecast Run can make.
	Linear *LinearOptions
	// Location is the time zone of the hour-of-day and day-of-week
	// regressors (households live by local time); nil means UTC. It must
	// be an IANA zone (time.LoadLocation), which Run loads by name, or a
	// fixed offset (time.FixedZone, such as meter.NEMTime), which the
	// manifest stores by its offset.
	Location *time.Location
	// PerMeter fits one model per meter instead of one per shard of
	// meters. The default, pooled model shares its weights across the
	// shard's meters, each series scaled by its mean (DLinear's
	// individual=False): on 56 days of the simulator's households it beats
	// the weekly seasonal-naive forecast on held-out weeks (median MASE
	// 0.88 against 0.94, WQL 0.30 against 0.31), where per-meter models,
	// with ~850 training windows for 200 features each, overfit (1.03;
	// in-sample 0.88). Pooling also fits about five times faster and stores
	// a shard's weights once instead of 136 KB per meter (1.4 GB for
	// 10,000 meters). Per-meter models need a long window (a year) to pay.
	PerMeter bool
	// NoRefit stores the model fitted without the held-out last Horizon
	// hours instead of refitting on all hours: half the fitting time, one
	// horizon less training data.
	NoRefit bool
	// MetersPerShard is the number of meters per model file; 0 means 250.
	MetersPerShard int
	// MemoryBudget bounds the hourly grid kept while scanning (6 bytes per
	// meter-hour), the bulk of Train's memory: the rest does not grow with
	// the meters or the window (see Train); 0 means DefaultMemoryBudget.
	// More meters than fit are trained in several passes over the lake,
	// each reading only its meters' row groups where the files allow.
	MemoryBudget int64
	// MinHours is the fewest hours with reads a meter needs; 0 means
	// twice the look-back plus three horizons (840 hours, 5 weeks, by
	// default): enough for the hold-out, the penalty's validation and a
	// few hundred training windows.
	MinHours int
	// Weather, if set, adds temperature regressors (Exog.Temperature) from
	// the lake's weather table: the station's temperature over the
	// training window, at least 90% of its hours, else an error matching
	// ErrNoWeather. Run then needs the temperature of the forecast period
	// too (see Weather).
	Weather *Weather
	// Workers is the number of meters fitted at once; 0 means GOMAXPROCS.
	Workers int
	// Progress, if set, receives progress reports, from several goroutines
	// but never concurrently.
	Progress func(Progress)
}

// TrainStats reports a Train.
type TrainStats struct {
	// Manifest is the manifest of the version written, which LATEST now
	// names.
	Manifest Manifest
	// Passes is the number of scans of the lake the memory budget needed.
	Passes int
	// Scan adds up the scans' statistics.
	Scan    partition.ScanStats
	Bytes   int64         // bytes written to the model store
	Elapsed time.Duration // wall-clock time of the training
}

// Train fits forecasters (per shard of meters, or per meter) on hourly energy from the lake's kW
// or kWh reads and stores it as a new version of the model (see Manifest).
//
// Memory is the hourly grid (6 bytes per meter-hour, cut into passes by
// MemoryBudget), kept outside the Go heap where the platform allows (so
// that the collector, which lets the heap grow to twice what is live, does
// not double it), plus what does not grow with the meters or the window:
// per worker one meter's hours as float64, the fit's moment matrices and
// one shard of fitted models; fitted shards are written as soon as their
// last meter is done. Measured at 10,000 meters × 365 days on two cores:
// the 526 MB grid and a peak heap of 50 to 60 MB. Each
// meter's last Horizon hours are held out and forecast to score the model
// (Manifest.Holdout), then the model is refitted on all hours unless
// NoRefit. Meters with fewer than MinHours hours of reads are skipped and
// counted in Manifest.Skipped.
func Train(ctx context.Context, lake *blob.Bucket, opts *TrainOptions) (TrainStats, error) {
	t0 := time.Now()
	var o TrainOptions
	if opts != nil {
		o = *opts
	}
	var st TrainStats
	if o.Model == "" {
		o.Model = DefaultModel
	}
	if err := validName(o.Model); err != nil {
		return st, err
	}
	if o.Window <= 0 {
		o.Window = 56 * 24 * time.Hour
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	// Run rebuilds the zone from its name, or, for a zone made by
	// time.FixedZone (which no zone database names), from its offset.
	var locOffset *int
	if _, err := time.LoadLocation(o.Location.String()); err != nil {
		off, fixed := fixedOffset(o.Location)
		if !fixed {
			return st, fmt.Errorf("forecast: Train: Location %q is neither an IANA time zone nor a fixed offset: %w", o.Location, err)
		}
		locOffset = &off
	}
	if o.MetersPerShard <= 0 {
		o.MetersPerShard = 250
	}
	tmpl := MeterModelOptions()
	if o.Linear != nil {
		c := *o.Linear
		tmpl = &c
	}
	if tmpl.Exog != nil && tmpl.Exog.Temperature.Len() > 0 {
		// Run could not know where to find the forecast period's.
		return st, errors.New("forecast: Train: a model's temperatures come from the weather table: set TrainOptions.Weather, not Linear.Exog.Temperature")
	}
	lin := NewLinear(tmpl).opt // defaults filled in, as stored
	if !o.PerMeter {
		// A pooled fit scales every series (fitPooled): the manifest
		// must say so, or Run would forecast with weights fitted to
		// scaled series on unscaled ones.
		lin.ScaleSeries = true
	}
	if lin.Season <= 0 {
		lin.Season = 24
	}
	L, H := lin.Lookback, lin.Horizon
	if o.MinHours <= 0 {
		o.MinHours = 2*L + 3*H
	}
	progress := serialProgress(o.Progress)

	end := o.End.UTC().Truncate(time.Hour)
	if o.End.IsZero() {
		e, err := DataEnd(ctx, lake)
		if err != nil {
			return st, err
		}
		end = completeHoursEnd(e)
	}
	o.Window = o.Window.Truncate(time.Hour)
	from := end.Add(-o.Window)
	n := int(o.Window / time.Hour)
	if n < L+H {
		return st, fmt.Errorf("%w: window of %d hours, model needs more than %d", ErrHistory, n, L+H)
	}

	stored := lin
	if o.Weather != nil {
		progress(Progress{Stage: "weather"})
		temp, err := ReadTemperature(ctx, lake, o.Weather.Station, from, end)
		if err != nil {
			return st, err
		}
		// The window may begin before the lake does: only the hours
		// that can hold reads need a temperature.
		first, err := dataStart(ctx, lake)
		if err != nil {
			return st, err
		}
		if err := checkTemperature(temp, o.Weather.Station, maxTime(from, first), end, "the training window"); err != nil {
			return st, err
		}
		lin = withTemperature(lin, temp, o.Weather)
		stored = storedOptions(lin)
	}

	var all []string
	if len(o.MeterIDs) == 0 {
		progress(Progress{Stage: "discover"})
		var err error
		if all, err = meterIDs(ctx, lake, end.Add(-24*time.Hour), end); err != nil {
			return st, err
		}
	}
	ids := selectIDs(all, o.MeterIDs, o.MaxMeters)
	if len(ids) == 0 {
		return st, fmt.Errorf("%w: no meter reported in the day before %v", ErrNoData, end)
	}

	kind := "linear-pooled"
	if o.PerMeter {
		kind = "linear-per-meter"
	}
	man := Manifest{Format: storeFormat, Model: o.Model, Kind: kind, From: from, To: end,
		Location: o.Location.String(), LocationOffset: locOffset, Linear: stored, Weather: o.Weather}
	man.Version = end.Format("20060102T15Z") + "-" + versionHash(man, ids, o.NoRefit)
	dir := ModelDir(o.Model, man.Version)

	var hold, ins, naive scoreSet
	var mu sync.Mutex // guards the score sets, man and st.Bytes
	groups := passes(ids, n, o.MetersPerShard, o.MemoryBudget)
	st.Passes = len(groups)
	var fitted atomic.Int64
	// The passes read every file of the window once each, in time order: the
	// metadata of the files would only fill the shared file cache (64 MiB of
	// heap, kept after the job) and push out the files that meter queries
	// keep using, and would never be hit again.
	noCache := partition.NewFileCache(0)
	for _, group := range groups {
		// One grid at a time, returned to the OS before the next pass.
		g := newMappedGrid(group, from, time.Hour, n)
		sst, err := g.scan(ctx, lake, len(groups) > 1, noCache, progress)
		st.Scan.Add(sst)
		if err != nil {
			g.free()
			return st, err
		}
		tr := &trainer{o: &o, lin: lin, g: g, loc: o.Location, progress: progress, done: &fitted, total: int64(len(ids))}
		err = tr.fitShards(ctx, o.MetersPerShard, func(sh []fitResult) error {
			// Called once per shard, in any order.
			var sb shardBlob
			sb.Format, sb.Step = storeFormat, time.Hour
			for i := range sh {
				r := &sh[i]
				if r.skip {
					continue
				}
				mb := meterBlob{ID: r.id, Score: r.score}
				if r.model != nil {
					mb.Model = encodeLinear(r.model)
				}
				sb.Meters = append(sb.Meters, mb)
			}
			for i := range sh {
				if !o.PerMeter && !sh[i].skip {
					sb.Shared = encodeLinear(sh[i].shared)
					break
				}
			}
			mu.Lock()
			for i := range sh {
				r := &sh[i]
				if r.skip {
					man.Skipped++
					continue
				}
				man.Meters++
				hold.add(&r.hold)
				ins.add(&r.ins)
				naive.add(&r.naive)
			}
			mu.Unlock()
			if len(sb.Meters) == 0 {
				return nil
			}
			var buf bytes.Buffer
			if err := gob.NewEncoder(&buf).Encode(&sb); err != nil {
				return fmt.Errorf("forecast: encoding shard: %w", err)
			}
			name := fmt.Sprintf("shard-%05d.gob", shardIndex(ids, sb.Meters[0].ID, o.MetersPerShard))
			if err := lake.WriteAll(ctx, dir+name, buf.Bytes(), &blob.WriterOptions{ContentType: "application/octet-stream"}); err != nil {
				return fmt.Errorf("forecast: writing %s: %w", dir+name, err)
			}
			mu.Lock()
			st.Bytes += int64(buf.Len())
			info := Shard{Path: name, Meters: len(sb.Meters)}
			for _, m := range sb.Meters {
				info.IDs = append(info.IDs, m.ID)
			}
			man.Shards = append(man.Shards, info)
			mu.Unlock()
			return nil
		})
		g.free() // fitShards has returned: no worker reads it any more
		if err != nil {
			return st, err
		}
	}
	if man.Meters == 0 {
		return st, fmt.Errorf("%w: none of %d meters has %d hours of reads in %v to %v", ErrHistory, len(ids), o.MinHours, from, end)
	}
	sortShards(man.Shards)
	man.Holdout, man.InSample, man.SeasonalNaive = hold.scores(), ins.scores(), naive.scores()
	mj, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return st, fmt.Errorf("forecast: encoding manifest: %w", err)
	}
	if err := lake.WriteAll(ctx, dir+"manifest.json", mj, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return st, fmt.Errorf("forecast: writing manifest: %w", err)
	}
	if err := lake.WriteAll(ctx, latestKey(o.Model), []byte(man.Version+"\n"), &blob.WriterOptions{ContentType: "text/plain"}); err != nil {
		return st, fmt.Errorf("forecast: writing %s: %w", latestKey(o.Model), err)
	}
	st.Bytes += int64(len(mj))
	st.Manifest = man
	st.Elapsed = time.Since(t0)
	progress(Progress{Stage: "done", Done: int64(man.Meters), Total: int64(len(ids))})
	return st, nil
}

// versionHash identifies a training run by everything that determines its
// result: window, options and meters.
func versionHash(m Manifest, ids []string, noRefit bool) string {
	h := sha256.New()
	opt, _ := json.Marshal(m.Linear)
	fmt.Fprintf(h, "%d\n%s\n%s\n%s\n%s\n%s\n%s\n%v\n", storeFormat, m.Model, m.Kind, m.From.Format(time.RFC3339), m.To.Format(time.RFC3339), m.Location, opt, noRefit)
	if m.Weather != nil { // the balance point is in m.Linear's regressors
		fmt.Fprintf(h, "weather station %q\n", m.Weather.Station)
	}
	if m.LocationOffset != nil {
		fmt.Fprintf(h, "location offset %d\n", *m.LocationOffset)
	}
	for _, id := range ids {
		fmt.Fprintf(h, "%s\n", id)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// shardIndex is the shard of id among sorted ids cut into chunks of per.
func shardIndex(ids []string, id string, per int) int {
	lo, hi := 0, len(ids)
	for lo < hi {
		m := (lo + hi) / 2
		if ids[m] < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo / per
}

func sortShards(s []Shard) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].Path < s[j-1].Path; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// serialProgress wraps fn so that reports from several goroutines never
// overlap; nil becomes a no-op.
func serialProgress(fn func(Progress)) func(Progress) {
	if fn == nil {
		return func(Progress) {}
	}
	var mu sync.Mutex
	return func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		fn(p)
	}
}

// validName checks a model name: it becomes a path segment of the store
// and a partition value of the forecasts table.
func validName(s string) error {
	if s == "" || len(s) > 100 {
		return fmt.Errorf("forecast: model name %q: want 1 to 100 characters", s)
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') || s == "." || s == ".." {
			return fmt.Errorf("forecast: model name %q: want [A-Za-z0-9._-]", s)
		}
	}
	return nil
}

// fitResult is one meter's outcome.
type fitResult struct {
	id               string
	skip             bool
	model, shared    *Linear
	score            MeterScore
	hold, ins, naive Accumulator
}

// trainer fits the meters of one grid.
type trainer struct {
	o   *TrainOptions
	lin LinearOptions
	g   *grid
	loc *time.Location
	// progress gets a "fit" report per meter; done counts meters over all
	// passes, of total.
	progress func(Progress)
	done     *atomic.Int64
	total    int64
}

func (t *trainer) fitted(n int) {
	t.progress(Progress{Stage: "fit", Done: t.done.Add(int64(n)), Total: t.total})
}

// series returns row's hourly energy as a Series in the regressors' zone,
// its values in *buf: each worker reuses one buffer for all its meters
// (valid until the next call), so fitting makes no garbage of hours.
func (t *trainer) series(row int, buf *[]float64) Series {
	*buf = t.g.energy(row, *buf)
	return Series{Start: t.g.start.In(t.loc), Step: t.g.step, Values: *buf}
}

// fitShards fits the grid's meters with a pool of workers and calls write
// with each chunk of per meters (a shard) as soon as it is complete.
func (t *trainer) fitShards(ctx context.Context, per int, write func([]fitResult) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ids := t.g.ids
	nShards := (len(ids) + per - 1) / per
	results := make([]fitResult, len(ids))
	left := make([]atomic.Int32, nShards)
	for s := range left {
		left[s].Store(int32(min(per, len(ids)-s*per)))
	}
	ready := make(chan int, nShards)
	if !t.o.PerMeter {
		// A pooled shard is one fit over its meters: the unit of work is
		// the shard.
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range min(workers(t.o.Workers), nShards) {
			wg.Go(func() {
				var buf []float64
				for s := range jobs {
					lo, hi := s*per, min((s+1)*per, len(ids))
					if err := t.fitPooled(ctx, results[lo:hi], lo, &buf); err != nil {
						cancel(err)
						continue
					}
					t.fitted(hi - lo)
					ready <- s
				}
			})
		}
		go func() {
			defer close(jobs)
			for s := range nShards {
				select {
				case jobs <- s:
				case <-ctx.Done():
					return
				}
			}
		}()
		go func() { wg.Wait(); close(ready) }()
	} else {
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range workers(t.o.Workers) {
			wg.Go(func() {
				var buf []float64
				for i := range jobs {
					results[i] = t.fitMeter(ctx, i, &buf)
					t.fitted(1)
					if left[i/per].Add(-1) == 0 {
						ready <- i / per
					}
				}
			})
		}
		go func() {
			defer close(jobs)
			for i := range ids {
				select {
				case jobs <- i:
				case <-ctx.Done():
					return
				}
			}
		}()
		go func() { wg.Wait(); close(ready) }()
	}
	for s := range ready {
		if context.Cause(ctx) != nil {
			continue // drain
		}
		lo, hi := s*per, min((s+1)*per, len(ids))
		if err := write(results[lo:hi]); err != nil {
			cancel(err)
			continue
		}
		clear(results[lo:hi]) // release the fitted models
	}
	return context.Cause(ctx)
}

// fitMeter fits and scores meter row. Errors that are properties of the
// meter's data (too short, all gaps) skip the meter rather than fail the
// run: one broken meter must not cost 9,999 forecasts.
func (t *trainer) fitMeter(ctx context.Context, row int, buf *[]float64) fitResult {
	r := fitResult{id: t.g.ids[row]}
	if ctx.Err() != nil {
		r.skip = true
		return r
	}
	s := t.series(row, buf)
	if s.Len()-s.Missing() < t.o.MinHours {
		r.skip = true
		return r
	}
	H := t.lin.Horizon
	n := s.Len()
	hist, test := s.Slice(0, n-H), s.Values[n-H:]
	m := NewLinear(&t.lin)
	if err := m.Fit(ctx, []Series{hist}); err != nil {
		r.skip = true
		return r
	}
	scale := SeasonalScale(hist.Values, 24)
	if f, err := m.Predict(hist, H); err == nil {
		r.hold.Add(test, f.P50, f, scale)
	}
	if f, err := (SeasonalNaive{Season: 168}).Predict(hist, H); err == nil {
		r.naive.Add(test, f.Point, f, scale)
	}
	if !t.o.NoRefit {
		full := NewLinear(&t.lin)
		if err := full.Fit(ctx, []Series{s}); err == nil {
			m = full
		}
	}
	if f, err := m.Predict(hist, H); err == nil {
		r.ins.Add(test, f.P50, f, scale)
	}
	r.model = m
	r.score = MeterScore{HoldoutMASE: r.hold.Metrics().MASE, InSampleMASE: r.ins.Metrics().MASE,
		SeasonalNaiveMASE: r.naive.Metrics().MASE}
	return r
}

// fitPooled fits one model on the meters of a shard (rows from lo). The
// meters' series are materialised from the grid one at a time, as the fit
// and the scoring read them, so a worker holds one meter's hours as
// float64, not the shard's.
func (t *trainer) fitPooled(ctx context.Context, res []fitResult, lo int, buf *[]float64) error {
	H := t.lin.Horizon
	lin := t.lin
	lin.ScaleSeries = true
	var rows []int // grid rows of the meters fitted
	for i := range res {
		res[i] = fitResult{id: t.g.ids[lo+i], skip: true}
		s := t.series(lo+i, buf)
		if s.Len()-s.Missing() < t.o.MinHours {
			continue
		}
		rows = append(rows, lo+i)
	}
	if len(rows) == 0 {
		return nil
	}
	full := &gridSet{t: t, rows: rows, buf: buf}
	hist := &gridSet{t: t, rows: rows, trim: H, buf: buf}
	m := NewLinear(&lin)
	if err := m.fitSet(ctx, hist); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return nil // every meter of the shard is skipped
	}
	score := func(m *Linear, acc func(*fitResult) *Accumulator) {
		for _, row := range rows {
			s := t.series(row, buf)
			h := s.Slice(0, s.Len()-H)
			if f, err := m.Predict(h, H); err == nil {
				acc(&res[row-lo]).Add(s.Values[h.Len():], f.P50, f, SeasonalScale(h.Values, 24))
			}
		}
	}
	score(m, func(r *fitResult) *Accumulator { return &r.hold })
	if !t.o.NoRefit {
		f := NewLinear(&lin)
		if err := f.fitSet(ctx, full); err == nil {
			m = f
		}
	}
	score(m, func(r *fitResult) *Accumulator { return &r.ins })
	for _, row := range rows {
		r := &res[row-lo]
		s := t.series(row, buf)
		h := s.Slice(0, s.Len()-H)
		if f, err := (SeasonalNaive{Season: 168}).Predict(h, H); err == nil {
			r.naive.Add(s.Values[h.Len():], f.Point, f, SeasonalScale(h.Values, 24))
		}
		r.skip, r.shared = false, m
		r.score = MeterScore{HoldoutMASE: r.hold.Metrics().MASE, InSampleMASE: r.ins.Metrics().MASE,
			SeasonalNaiveMASE: r.naive.Metrics().MASE}
	}
	return nil
}

// gridSet is the series of some grid rows for a fit, without their last
// trim hours, materialised one at a time into buf.
type gridSet struct {
	t    *trainer
	rows []int
	trim int
	buf  *[]float64
}

func (s *gridSet) count() int             { return len(s.rows) }
func (s *gridSet) length(int) int         { return s.t.g.n - s.trim }
func (s *gridSet) step(int) time.Duration { return s.t.g.step }
func (s *gridSet) at(i int) Series {
	x := s.t.series(s.rows[i], s.buf)
	return x.Slice(0, x.Len()-s.trim)
}

// fixedOffset reports the offset of a zone that has one offset at all
// times (time.FixedZone), sampled every month from 1970 to 2100: a zone
// with daylight saving time or a changed offset differs somewhere.
func fixedOffset(loc *time.Location) (int, bool) {
	_, off := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).In(loc).Zone()
	for t := time.Date(1970, 2, 1, 0, 0, 0, 0, time.UTC); t.Year() <= 2100; t = t.AddDate(0, 1, 0) {
		if _, o := t.In(loc).Zone(); o != off {
			return 0, false
		}
	}
	return off, true
}
