package forecast_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/forecast"
	"github.com/openmda/mda/internal/sortedmem"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/tables"
)

// memBucket is a new memory bucket, closed when t ends: a sortedmem one,
// memblob's (mem://) but for its listings, which do not sort every key of
// the bucket (a lake of weeks of hourly partitions and the ingest's
// staging files spent most of its time sorting keys on mem://).
func memBucket(t testing.TB) *blob.Bucket {
	t.Helper()
	b := sortedmem.Open()
	t.Cleanup(func() { b.Close() })
	return b
}

// simLake simulates meters with 15-minute kW reads over days and ingests
// them, as the mda command does. Lakes are cached per size: simulating and
// ingesting is most of a test's time.
func simLake(t testing.TB, meters, days int) *blob.Bucket {
	t.Helper()
	ctx := context.Background()
	lake := memBucket(t)
	g, err := simulator.New(&simulator.Options{Meters: meters, Days: days, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := g.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if err := lake.WriteAll(ctx, "inbound/sim.csv", buf.Bytes(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := mda.Ingest(ctx, lake, lake, "inbound/sim.csv", nil); err != nil {
		t.Fatal(err)
	}
	return lake
}

// writeTruth writes the kW reads of a simulation to the lake, one file per
// hour partition.
func writeTruth(ctx context.Context, lake *blob.Bucket, opts *simulator.Options) error {
	g, err := simulator.New(opts)
	if err != nil {
		return err
	}
	_, err = g.WriteTruthLake(ctx, lake, "truth", nil, meter.TypeKW)
	return err
}

var (
	sharedOnce sync.Once
	sharedLake *blob.Bucket
	sharedErr  error
)

// sharedSimLake is one 20-meter, 56-day lake for the tests that only read
// it (and write model versions and forecasts, which they check by name).
// It holds the simulator's truth reads, written with partition.WriteFile:
// the lake a correct ingest builds (ingest has its own tests, and
// TestIngestedLake runs this package on one), in a second instead of a
// minute of CSV parsing, staging and integration.
func sharedSimLake(t testing.TB) *blob.Bucket {
	sharedOnce.Do(func() {
		b := sortedmem.Open()
		sharedErr = writeTruth(context.Background(), b, &simulator.Options{Meters: 20, Days: 56, Seed: 1})
		sharedLake = b
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedLake
}

// readTable reads every Parquet file under dir.
func readTable[T any](t testing.TB, b *blob.Bucket, dir string) (rows []T, files map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	files = map[string][]byte{}
	it := b.List(&blob.ListOptions{Prefix: dir})
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			break
		}
		data, err := b.ReadAll(ctx, obj.Key)
		if err != nil {
			t.Fatal(err)
		}
		files[obj.Key] = data
		rs, err := parquet.Read[T](bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%s: %v", obj.Key, err)
		}
		rows = append(rows, rs...)
	}
	return rows, files
}

// dailyKWh is each meter's mean daily energy over [from, to), computed the
// reference way (mda.HourlyEnergy on the raw reads).
func dailyKWh(t testing.TB, lake *blob.Bucket, from, to time.Time) map[string]float64 {
	t.Helper()
	reads, _, err := partition.ReadAll(context.Background(), lake, &partition.Filter{Types: []meter.Type{meter.TypeKW},
		From: from.Add(time.Millisecond), To: to.Add(time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	days := to.Sub(from).Hours() / 24
	out := map[string]float64{}
	for _, e := range mda.HourlyEnergy(reads, 15*time.Minute) {
		out[e.MeterID] += e.KWh / days
	}
	return out
}

func TestTrainRunEndToEnd(t *testing.T) {
	ctx := context.Background()
	lake := sharedSimLake(t)
	var stages []string
	tst, err := forecast.Train(ctx, lake, &forecast.TrainOptions{Model: "e2e", Progress: func(p forecast.Progress) {
		if len(stages) == 0 || stages[len(stages)-1] != p.Stage {
			stages = append(stages, p.Stage)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	man := tst.Manifest
	t.Logf("train: %d meters, %d skipped, %d shards, %d bytes, %v; holdout %+v; in-sample %+v; seasonal-naive %+v",
		man.Meters, man.Skipped, len(man.Shards), tst.Bytes, tst.Elapsed, man.Holdout, man.InSample, man.SeasonalNaive)
	if man.Meters != 20 || man.Skipped != 0 {
		t.Fatalf("trained %d meters, skipped %d, want 20 and 0", man.Meters, man.Skipped)
	}
	if !slices.Contains(stages, "scan") || !slices.Contains(stages, "fit") {
		t.Errorf("progress stages %v, want scan and fit", stages)
	}
	wantEnd := time.Date(2024, 4, 26, 0, 0, 0, 0, time.UTC) // the last read ends the 23:00 hour
	if !man.To.Equal(wantEnd) || !man.From.Equal(wantEnd.Add(-56*24*time.Hour)) {
		t.Errorf("window %v to %v, want 56 days to %v", man.From, man.To, wantEnd)
	}
	if !strings.HasPrefix(man.Version, "20240426T00Z-") {
		t.Errorf("version %q", man.Version)
	}
	// The model must beat the weekly seasonal-naive forecast on held-out
	// hours, and its intervals must be roughly calibrated.
	if !(man.Holdout.MedianMASE < man.SeasonalNaive.MedianMASE) {
		t.Errorf("holdout median MASE %v not below seasonal-naive %v", man.Holdout.MedianMASE, man.SeasonalNaive.MedianMASE)
	}
	if c := man.Holdout.Coverage; c[0] > 0.3 || c[2] < 0.7 {
		t.Errorf("holdout coverage P10/P50/P90 %v", c)
	}

	// The store: LATEST, the manifest and every shard load back.
	got, err := forecast.ReadManifest(ctx, lake, "e2e", "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != man.Version || got.Meters != 20 || len(got.Shards) != len(man.Shards) {
		t.Fatalf("manifest read back: %+v", got)
	}
	loaded := 0
	for i := range got.Shards {
		ms, err := forecast.LoadShard(ctx, lake, got, i)
		if err != nil {
			t.Fatal(err)
		}
		loaded += len(ms)
	}
	if loaded != 20 {
		t.Errorf("loaded %d models", loaded)
	}

	// Train again: same data and options, same version and files.
	again, err := forecast.Train(ctx, lake, &forecast.TrainOptions{Model: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Manifest.Version != man.Version {
		t.Errorf("retrain gave version %s, first %s", again.Manifest.Version, man.Version)
	}

	rst, err := forecast.Run(ctx, lake, &forecast.RunOptions{Model: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run: %+v", rst)
	const H = 168
	if rst.Meters != 20 || rst.Rows != 20*H || !rst.Start.Equal(wantEnd) {
		t.Fatalf("run: %d meters, %d rows from %v; want 20, %d, %v", rst.Meters, rst.Rows, rst.Start, 20*H, wantEnd)
	}
	dir := tables.ForecastDir("e2e", rst.Start)
	rows, files := readTable[tables.ForecastRow](t, lake, dir)
	if len(rows) != 20*H {
		t.Fatalf("read back %d rows", len(rows))
	}
	typical := dailyKWh(t, lake, wantEnd.Add(-7*24*time.Hour), wantEnd)
	perMeter := map[string][]tables.ForecastRow{}
	for _, r := range rows {
		if !(0 <= r.P10 && r.P10 <= r.P50 && r.P50 <= r.P90) || math.IsInf(r.P90, 0) {
			t.Fatalf("bad quantiles %+v", r)
		}
		if r.ModelVersion != man.Version {
			t.Fatalf("row version %q", r.ModelVersion)
		}
		perMeter[r.MeterID] = append(perMeter[r.MeterID], r)
	}
	for id, rs := range perMeter {
		sort.Slice(rs, func(i, j int) bool { return rs[i].ForecastTime.Before(rs[j].ForecastTime) })
		if len(rs) != H || !rs[0].ForecastTime.Equal(wantEnd.Add(time.Hour)) || !rs[H-1].ForecastTime.Equal(wantEnd.Add(H*time.Hour)) {
			t.Fatalf("meter %s: %d rows from %v to %v", id, len(rs), rs[0].ForecastTime, rs[len(rs)-1].ForecastTime)
		}
		// kWh per hour: a week of P50 is within a factor of two of the
		// meter's last week, which summed kW samples (4x) would not be.
		var week float64
		for _, r := range rs {
			week += r.P50
		}
		if ratio := week / 7 / typical[id]; !(ratio > 0.5 && ratio < 2) {
			t.Errorf("meter %s: forecast %.2f kWh/day, last week %.2f kWh/day", id, week/7, typical[id])
		}
	}

	// Run again: same files, same bytes.
	if _, err := forecast.Run(ctx, lake, &forecast.RunOptions{Model: "e2e"}); err != nil {
		t.Fatal(err)
	}
	_, files2 := readTable[tables.ForecastRow](t, lake, dir)
	if len(files2) != len(files) {
		t.Fatalf("second run: %d files, first %d", len(files2), len(files))
	}
	for k, v := range files {
		if !bytes.Equal(v, files2[k]) {
			t.Errorf("%s changed on the second run", k)
		}
	}
}

func TestTrainRunOptions(t *testing.T) {
	ctx := context.Background()
	sydney, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	// A zone with daylight saving time under a name no database knows:
	// Run could not rebuild it, so Train refuses it.
	tzdata, err := os.ReadFile("/usr/share/zoneinfo/Australia/Sydney")
	if err != nil {
		t.Skipf("no zoneinfo file: %v", err)
	}
	unnamedSydney, err := time.LoadLocationFromTZData("Sydney (copy)", tzdata)
	if err != nil {
		t.Fatal(err)
	}
	lake := sharedSimLake(t)
	ids, err := meterIDsOf(lake)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                   string
		train                  forecast.TrainOptions
		run                    forecast.RunOptions
		wantMeters, wantPasses int
		wantKind               string
		wantRows               int64
		trainErr, runErr       error
	}{
		{name: "max-meters", train: forecast.TrainOptions{MaxMeters: 3}, wantMeters: 3, wantPasses: 1, wantKind: "linear-pooled", wantRows: 3 * 168},
		{name: "subset-horizon", train: forecast.TrainOptions{MeterIDs: ids[5:7]}, run: forecast.RunOptions{Horizon: 24},
			wantMeters: 2, wantPasses: 1, wantKind: "linear-pooled", wantRows: 2 * 24},
		{name: "per-meter", train: forecast.TrainOptions{MaxMeters: 6, PerMeter: true, MetersPerShard: 3},
			wantMeters: 6, wantPasses: 1, wantKind: "linear-per-meter", wantRows: 6 * 168},
		{name: "passes", train: forecast.TrainOptions{MaxMeters: 4, MetersPerShard: 1, MemoryBudget: 1, NoRefit: true},
			run: forecast.RunOptions{MemoryBudget: 1, MeterIDs: ids[1:2]}, wantMeters: 4, wantPasses: 4, wantKind: "linear-pooled", wantRows: 168},
		{name: "location-per-meter", train: forecast.TrainOptions{MaxMeters: 2, PerMeter: true, Location: sydney},
			wantMeters: 2, wantPasses: 1, wantKind: "linear-per-meter", wantRows: 2 * 168},
		{name: "horizon-too-long", train: forecast.TrainOptions{MaxMeters: 1}, run: forecast.RunOptions{Horizon: 169},
			wantMeters: 1, wantPasses: 1, wantKind: "linear-pooled", runErr: forecast.ErrHorizon},
		{name: "window-too-short", train: forecast.TrainOptions{Window: 7 * 24 * time.Hour}, trainErr: forecast.ErrHistory},
		{name: "fixed-zone", train: forecast.TrainOptions{MaxMeters: 1, Location: meter.NEMTime},
			wantMeters: 1, wantPasses: 1, wantKind: "linear-pooled", wantRows: 168},
		{name: "unnamed-zone-with-dst", train: forecast.TrainOptions{MaxMeters: 1, Location: unnamedSydney}, trainErr: errAny},
		{name: "history-too-short", train: forecast.TrainOptions{MaxMeters: 2, MinHours: 5000}, trainErr: forecast.ErrHistory},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			model := "opt" + string(rune('a'+i))
			tc.train.Model = model
			tst, err := forecast.Train(ctx, lake, &tc.train)
			if tc.trainErr != nil {
				if err == nil || tc.trainErr != errAny && !errors.Is(err, tc.trainErr) {
					t.Fatalf("Train error %v, want %v", err, tc.trainErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := tst.Manifest
			if m.Meters != tc.wantMeters || tst.Passes != tc.wantPasses || m.Kind != tc.wantKind {
				t.Fatalf("trained %d meters in %d passes, kind %s; want %d, %d, %s", m.Meters, tst.Passes, m.Kind,
					tc.wantMeters, tc.wantPasses, tc.wantKind)
			}
			if z := tc.train.Location; z == meter.NEMTime && (m.LocationOffset == nil || *m.LocationOffset != 10*3600 || m.Location != z.String()) {
				t.Errorf("fixed zone stored as %q offset %v", m.Location, m.LocationOffset)
			}
			tc.run.Model = model
			rst, err := forecast.Run(ctx, lake, &tc.run)
			if tc.runErr != nil {
				if !errors.Is(err, tc.runErr) {
					t.Fatalf("Run error %v, want %v", err, tc.runErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := readTable[tables.ForecastRow](t, lake, tables.ForecastDir(model, rst.Start))
			if rst.Rows != tc.wantRows || int64(len(rows)) != tc.wantRows {
				t.Errorf("run wrote %d rows (%d read back), want %d", rst.Rows, len(rows), tc.wantRows)
			}
		})
	}
	t.Run("unknown-model", func(t *testing.T) {
		if _, err := forecast.Run(ctx, lake, &forecast.RunOptions{Model: "nope"}); !errors.Is(err, forecast.ErrNoModel) {
			t.Errorf("error %v, want ErrNoModel", err)
		}
	})
	t.Run("bad-name", func(t *testing.T) {
		if _, err := forecast.Train(ctx, lake, &forecast.TrainOptions{Model: "../x"}); err == nil {
			t.Error("no error for model name ../x")
		}
	})
	t.Run("empty-lake", func(t *testing.T) {
		if _, err := forecast.Train(ctx, memBucket(t), nil); !errors.Is(err, forecast.ErrNoData) {
			t.Errorf("error %v, want ErrNoData", err)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := forecast.Train(cctx, lake, &forecast.TrainOptions{Model: "canceled"}); !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
	})
}

// TestIngestedLake trains and forecasts on a lake built by mda.Ingest from
// the simulator's CSV, the way the mda command builds it.
func TestIngestedLake(t *testing.T) {
	if testing.Short() {
		t.Skip("ingest takes tens of seconds")
	}
	ctx := context.Background()
	lake := simLake(t, 3, 40)
	if _, err := forecast.Train(ctx, lake, &forecast.TrainOptions{Window: 40 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	st, err := forecast.Run(ctx, lake, &forecast.RunOptions{Horizon: 48})
	if err != nil {
		t.Fatal(err)
	}
	if st.Meters != 3 || st.Rows != 3*48 {
		t.Errorf("run: %+v", st)
	}
}

// errAny marks a case that must fail, whatever the error.
var errAny = errors.New("any error")

func meterIDsOf(lake *blob.Bucket) ([]string, error) {
	reads, _, err := partition.ReadAll(context.Background(), lake, &partition.Filter{Types: []meter.Type{meter.TypeKW},
		From: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 2, 1, 0, 0, 0, time.UTC)})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range reads {
		ids = append(ids, r.MeterID)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// anomalyLake writes hourly kW reads (so kW = kWh per hour) of meters
// m0..m5 from start for days, with a daily shape, weekends 30% higher and
// day-to-day noise of 5%, through edit, which may change a meter-day's
// hourly values.
func anomalyLake(t testing.TB, start time.Time, days int, edit func(id string, day time.Time, kw float64) (float64, bool)) *blob.Bucket {
	t.Helper()
	ctx := context.Background()
	lake := memBucket(t)
	ids := []string{"m0", "m1", "m2", "m3", "m4", "m5"}
	rng := rand.New(rand.NewPCG(3, 4))
	level := map[string]float64{}
	for i, id := range ids {
		level[id] = 0.3 + 0.2*float64(i)
	}
	dayNoise := map[string]float64{}
	var reads []meter.Reading
	for h := 1; h <= days*24; h++ {
		ts := start.Add(time.Duration(h) * time.Hour)
		hourStart := ts.Add(-time.Hour)
		day := hourStart.Truncate(24 * time.Hour)
		for _, id := range ids {
			if hourStart.Hour() == 0 {
				dayNoise[id] = 1 + 0.05*rng.NormFloat64()
			}
			kw := level[id] * (1 + 0.8*math.Sin(math.Pi*float64(hourStart.Hour())/24)) * dayNoise[id]
			if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
				kw *= 1.3
			}
			kw, ok := edit(id, day, kw)
			if !ok {
				continue
			}
			reads = append(reads, meter.Reading{MeterID: id, Type: meter.TypeKW, Time: ts, Value: kw, Quality: meter.QualityActual})
		}
		if len(reads) > 0 { // one partition per hour of reads
			if _, err := partition.WriteFile(ctx, lake, partition.KeyOf(reads[0]), "test", reads, nil); err != nil {
				t.Fatal(err)
			}
			reads = reads[:0]
		}
	}
	return lake
}

func TestDetectAnomalies(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2023, 11, 25, 0, 0, 0, 0, time.UTC)
	spike := time.Date(2024, 2, 14, 0, 0, 0, 0, time.UTC)
	dip := time.Date(2024, 2, 26, 0, 0, 0, 0, time.UTC)
	outage := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	gap := time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC)
	lake := anomalyLake(t, start, 100, func(id string, day time.Time, kw float64) (float64, bool) {
		switch {
		case id == "m1" && day.Equal(spike):
			return 3 * kw, true
		case id == "m2" && day.Equal(dip):
			return 0.3 * kw, true
		case id == "m3" && day.Equal(outage):
			return 0, true
		case id == "m4" && day.Equal(gap):
			return kw, false // no reads: not scored, not a dip
		}
		return kw, true
	})
	var last forecast.Progress
	st, err := forecast.DetectAnomalies(ctx, lake, &forecast.AnomalyOptions{MetersPerFile: 2, Progress: func(p forecast.Progress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", st)
	end := start.Add(100 * 24 * time.Hour) // last read at midnight: every day complete
	if st.Year != 2024 || !st.To.Equal(end) || st.Meters != 6 || len(st.Files) != 3 {
		t.Fatalf("stats %+v", st)
	}
	if last.Stage != "score" || last.Done != 6 {
		t.Errorf("last progress %+v", last)
	}
	rows, files := readTable[tables.AnomalyRow](t, lake, tables.AnomalyDir(2024))
	days := int(end.Sub(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	if want := 6*days - 1; len(rows) != want || st.Days != int64(want) {
		t.Fatalf("%d rows (stats %d), want %d: 6 meters × %d days, less the day without reads", len(rows), st.Days, want, days)
	}
	var false_ int
	for _, r := range rows {
		if !(r.Lower <= r.Expected && r.Expected <= r.Upper) || r.Lower < 0 {
			t.Fatalf("bad interval %+v", r)
		}
		switch {
		case r.MeterID == "m1" && r.Day.Equal(spike):
			if r.Anomaly != 1 || !(r.Importance > 0.3 && r.Importance < 1) {
				t.Errorf("spike: %+v", r)
			}
			if want := (r.Consumption - r.Upper) / r.Consumption; math.Abs(r.Importance-want) > 1e-12 {
				t.Errorf("spike importance %v, want %v", r.Importance, want)
			}
		case r.MeterID == "m2" && r.Day.Equal(dip):
			if r.Anomaly != -1 || !(r.Importance > 0.5) {
				t.Errorf("dip: %+v", r)
			}
		case r.MeterID == "m3" && r.Day.Equal(outage):
			if r.Anomaly != -1 || r.Importance != 0 || r.Consumption != 0 {
				t.Errorf("zero day: %+v (want a dip of importance 0)", r)
			}
		case r.MeterID == "m4" && r.Day.Equal(gap):
			t.Errorf("day without reads scored: %+v", r)
		default:
			if r.Anomaly != 0 {
				false_++
			}
		}
	}
	// A 98% interval: about 2% of normal days outside it, a little more
	// with σ estimated from eight weeks.
	rate := float64(false_) / float64(len(rows))
	t.Logf("%d of %d normal days flagged (%.1f%%)", false_, len(rows), 100*rate)
	if rate > 0.06 {
		t.Errorf("%d of %d normal days flagged (%.1f%%)", false_, len(rows), 100*rate)
	}

	// Idempotent: the same files again; a run for some meters replaces
	// theirs and keeps the others'.
	if _, err := forecast.DetectAnomalies(ctx, lake, &forecast.AnomalyOptions{MetersPerFile: 2}); err != nil {
		t.Fatal(err)
	}
	_, files2 := readTable[tables.AnomalyRow](t, lake, tables.AnomalyDir(2024))
	if len(files2) != len(files) {
		t.Fatalf("rerun: %d files, first %d", len(files2), len(files))
	}
	for k, v := range files {
		if !bytes.Equal(v, files2[k]) {
			t.Errorf("%s changed on the rerun", k)
		}
	}
	st3, err := forecast.DetectAnomalies(ctx, lake, &forecast.AnomalyOptions{Year: 2024, MeterIDs: []string{"m1", "m2"}, MetersPerFile: 2})
	if err != nil {
		t.Fatal(err)
	}
	rows3, files3 := readTable[tables.AnomalyRow](t, lake, tables.AnomalyDir(2024))
	if st3.Meters != 2 || st3.Days != int64(2*days) {
		t.Errorf("subset rerun: %d meters, %d days", st3.Meters, st3.Days)
	}
	// The same rows as the full run's (the same data, the same detector),
	// in other files: m1 and m2 left the full run's files for the
	// subset's own.
	if diff := cmp.Diff(sortedAnomalyRows(rows), sortedAnomalyRows(rows3)); diff != "" {
		t.Errorf("rows after the subset rerun (-full +subset):\n%s", diff)
	}
	if len(files3) != len(files)+1 {
		t.Errorf("subset rerun: %d files, want the full run's %d and its own", len(files3), len(files))
	}
	// Again: the same files, its own overwritten.
	if _, err := forecast.DetectAnomalies(ctx, lake, &forecast.AnomalyOptions{Year: 2024, MeterIDs: []string{"m2", "m1"}, MetersPerFile: 2}); err != nil {
		t.Fatal(err)
	}
	rows4, files4 := readTable[tables.AnomalyRow](t, lake, tables.AnomalyDir(2024))
	if diff := cmp.Diff(sortedAnomalyRows(rows), sortedAnomalyRows(rows4)); diff != "" || len(files4) != len(files3) {
		t.Errorf("second subset rerun: %d files (want %d), rows (-full +now):\n%s", len(files4), len(files3), diff)
	}
}

func sortedAnomalyRows(rows []tables.AnomalyRow) []tables.AnomalyRow {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b tables.AnomalyRow) int {
		if c := strings.Compare(a.MeterID, b.MeterID); c != 0 {
			return c
		}
		return a.Day.Compare(b.Day)
	})
	return rows
}

// BenchmarkTrainRun trains and forecasts the 20 meters × 56 days of the
// shared lake (pooled and per-meter), the whole batch path: scan, fit,
// store, load, forecast, write.
func BenchmarkTrainRun(b *testing.B) {
	ctx := context.Background()
	lake := sharedSimLake(b)
	for _, perMeter := range []bool{false, true} {
		name := "pooled"
		if perMeter {
			name = "per-meter"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := forecast.Train(ctx, lake, &forecast.TrainOptions{Model: "bench-" + name, PerMeter: perMeter}); err != nil {
					b.Fatal(err)
				}
				if _, err := forecast.Run(ctx, lake, &forecast.RunOptions{Model: "bench-" + name}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestTrainPooledStoresItsScaling: a pooled model is fitted on scaled
// series whatever TrainOptions.Linear says; the manifest, and so the
// models Run loads, scale too.
func TestTrainPooledStoresItsScaling(t *testing.T) {
	ctx := context.Background()
	lake := sharedSimLake(t)
	opts := *forecast.MeterModelOptions()
	opts.ScaleSeries = false
	st, err := forecast.Train(ctx, lake, &forecast.TrainOptions{Model: "noscale", Linear: &opts})
	if err != nil {
		t.Fatal(err)
	}
	man, err := forecast.ReadManifest(ctx, lake, "noscale", st.Manifest.Version)
	if err != nil {
		t.Fatal(err)
	}
	if !man.Linear.ScaleSeries {
		t.Fatalf("the manifest of a pooled model says ScaleSeries false")
	}
	ms, err := forecast.LoadShard(ctx, lake, man, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || !ms[0].Model.Options().ScaleSeries {
		t.Errorf("loaded %d models; the first does not scale its series", len(ms))
	}
}

// TestRunSubsetKeepsOtherMeters: a forecast run for some meters replaces
// their rows of the partition and keeps the other meters' (a consumer's
// audit found a one-meter rerun left 168 of 3,360 rows).
func TestRunSubsetKeepsOtherMeters(t *testing.T) {
	ctx := context.Background()
	lake := sharedSimLake(t)
	if _, err := forecast.Train(ctx, lake, &forecast.TrainOptions{Model: "subset", MaxMeters: 4, MetersPerShard: 2}); err != nil {
		t.Fatal(err)
	}
	all, err := forecast.Run(ctx, lake, &forecast.RunOptions{Model: "subset"})
	if err != nil {
		t.Fatal(err)
	}
	dir := tables.ForecastDir("subset", all.Start)
	full, files := readTable[tables.ForecastRow](t, lake, dir)
	if len(full) != 4*168 || len(files) != 2 {
		t.Fatalf("full run: %d rows in %d files, want %d in 2", len(full), len(files), 4*168)
	}
	sorted := func(rows []tables.ForecastRow) []tables.ForecastRow {
		rows = slices.Clone(rows)
		slices.SortFunc(rows, func(a, b tables.ForecastRow) int {
			if c := strings.Compare(a.MeterID, b.MeterID); c != 0 {
				return c
			}
			return a.ForecastTime.Compare(b.ForecastTime)
		})
		return rows
	}
	one := full[0].MeterID
	for range 2 { // a second run of the same meters overwrites its own file
		st, err := forecast.Run(ctx, lake, &forecast.RunOptions{Model: "subset", Start: all.Start, MeterIDs: []string{one}})
		if err != nil {
			t.Fatal(err)
		}
		if st.Rows != 168 {
			t.Errorf("subset run wrote %d rows, want 168", st.Rows)
		}
		rows, files2 := readTable[tables.ForecastRow](t, lake, dir)
		if diff := cmp.Diff(sorted(full), sorted(rows)); diff != "" {
			t.Errorf("rows after the subset run (-full +now):\n%s", diff)
		}
		if len(files2) != 3 {
			t.Errorf("%d files, want the full run's 2 and the subset's own", len(files2))
		}
	}
	// A full run again replaces the partition: its two files only.
	if _, err := forecast.Run(ctx, lake, &forecast.RunOptions{Model: "subset", Start: all.Start}); err != nil {
		t.Fatal(err)
	}
	rows, files3 := readTable[tables.ForecastRow](t, lake, dir)
	if diff := cmp.Diff(sorted(full), sorted(rows)); diff != "" || len(files3) != 2 {
		t.Errorf("full rerun: %d files, rows (-first +now):\n%s", len(files3), diff)
	}
}
