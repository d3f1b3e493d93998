package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing/fstest"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/forecast"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/simulator"
)

// runBenchForecast measures the batch forecast jobs at fleet scale: it
// builds (once, kept in --dir) a lake of hourly kW reads of simulated
// households, then trains one model version on the whole window and
// forecasts every meter's next week from the lake, as `mda forecast train`
// and `mda forecast run` do, and prints wall and CPU time and peak memory
// of each job.
func runBenchForecast(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench forecast", "[--meters 10000 --days 365] [--dir DIR] [flags]", stderr)
	meters := fs.Int("meters", 10000, "meters to simulate")
	days := fs.Int("days", 365, "days of hourly kW reads, at least 42; the training window")
	dir := fs.String("dir", "", "work directory for the lake, kept for the next run (default: a temporary directory, removed after)")
	horizon := fs.Int("horizon", 168, "hours to forecast")
	perMeter := fs.Bool("per-meter", false, "one model per meter instead of one per shard of meters")
	memMB := fs.Int("memory", 0, "memory budget of the hourly grid in MB (default 512)")
	weather := fs.Bool("weather", false, "load the simulation's weather (the very temperature that drives its households) into the weather table, through the forecast period as a perfect weather forecast, and train with temperature regressors")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	memprofile := fs.String("memprofile", "", "write heap profiles of the training: FILE.scan half way through the first scan, FILE when half the meters are fitted (both in use at the last GC), FILE.end after training (allocations)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the training to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *meters < 1:
		return usageError(fs, "--meters must be at least 1, got %d", *meters)
	case *days < 42:
		return usageError(fs, "--days must be at least 42, got %d", *days)
	case *horizon < 1:
		return usageError(fs, "--horizon must be at least 1, got %d", *horizon)
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	work := *dir
	if work == "" {
		d, err := os.MkdirTemp("", "mda-bench-forecast-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		work = d
	}
	lakeDir := filepath.Join(work, fmt.Sprintf("lake-forecast-%dm-%dd-v%s", *meters, *days, partition.FormatVersion))
	lake, err := mda.OpenBucket(ctx, "file://"+lakeDir)
	if err != nil {
		return err
	}
	defer lake.Close()
	done := filepath.Join(lakeDir, "_bench_complete")
	if _, err := os.Stat(done); err != nil {
		t0 := time.Now()
		n, err := writeHourlyKWLake(ctx, lake, *meters, *days, stderr, *quiet)
		if err != nil {
			return fmt.Errorf("building the lake: %w", err)
		}
		if err := os.WriteFile(done, nil, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "built %s: %d kW reads (%d meters × %d days hourly) in %s\n", lakeDir, n, *meters, *days, time.Since(t0).Round(time.Millisecond))
	}
	var weatherOpt *forecast.Weather
	if *weather {
		n, err := writeSimulatedWeather(ctx, lake, *days, *horizon)
		if err != nil {
			return fmt.Errorf("loading the weather: %w", err)
		}
		fmt.Fprintf(stdout, "weather: %d hours in the weather table (the forecast period's included)\n", n)
		weatherOpt = &forecast.Weather{}
	}

	runtime.GC()
	pl, peak := jobProgress(stderr, *quiet)
	var profErr error
	if *memprofile != "" {
		report, written := pl, map[string]bool{}
		pl = func(p forecast.Progress) {
			report(p)
			if (p.Stage == "scan" || p.Stage == "fit") && !written[p.Stage] && 2*p.Done >= p.Total && p.Total > 0 {
				written[p.Stage] = true
				path := *memprofile
				if p.Stage == "scan" {
					path += ".scan"
				}
				profErr = cmp.Or(profErr, writeHeapProfile(path))
			}
		}
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	before := rusage()
	tst, err := forecast.Train(ctx, lake, &forecast.TrainOptions{Window: time.Duration(*days) * 24 * time.Hour,
		PerMeter: *perMeter, MemoryBudget: int64(*memMB) << 20, Weather: weatherOpt, Progress: pl})
	trainPeak := peak()
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	if *memprofile != "" {
		if err := cmp.Or(profErr, writeHeapProfile(*memprofile+".end")); err != nil {
			return err
		}
	}
	mid := rusage()
	pl, peak = jobProgress(stderr, *quiet)
	rst, err := forecast.Run(ctx, lake, &forecast.RunOptions{Version: tst.Manifest.Version, Horizon: *horizon,
		MemoryBudget: int64(*memMB) << 20, Progress: pl})
	runPeak := peak()
	if err != nil {
		return err
	}
	after := rusage()
	m := tst.Manifest
	fmt.Fprintf(stdout, "bench forecast: %s\n", lakeDir)
	fmt.Fprintf(stdout, "  train              %12s wall, %s CPU; %d meters (%d skipped), %d reads in %d passes; %s\n",
		tst.Elapsed.Round(time.Millisecond), (mid.cpu - before.cpu).Round(time.Millisecond), m.Meters, m.Skipped, tst.Scan.Reads, tst.Passes, trainPeak)
	// The hourly grid of a pass (6 bytes per meter-hour, whole shards of
	// 250 meters within the budget) is outside the Go heap on Linux, macOS
	// and FreeBSD: the heap and the memory from the OS above leave it out.
	budget := cmp.Or(int64(*memMB)<<20, forecast.DefaultMemoryBudget)
	hours := int64(*days) * 24
	grid := min(max(budget/(hours*6)/250, 1)*250, int64(m.Meters+m.Skipped)) * hours * 6
	fmt.Fprintf(stdout, "                     + %s hourly grid of the largest pass, outside the Go heap\n", mb(grid))
	fmt.Fprintf(stdout, "  holdout            median MASE %s (seasonal-naive %s), WQL %s (seasonal-naive %s)\n",
		f3(m.Holdout.MedianMASE), f3(m.SeasonalNaive.MedianMASE), f3(m.Holdout.WQL), f3(m.SeasonalNaive.WQL))
	fmt.Fprintf(stdout, "  run                %12s wall, %s CPU; %d meters × %d h = %d rows in %d files\n",
		rst.Elapsed.Round(time.Millisecond), (after.cpu - mid.cpu).Round(time.Millisecond), rst.Meters, rst.Horizon, rst.Rows, len(rst.Files))
	fmt.Fprintf(stdout, "                     %s\n", runPeak)
	fmt.Fprintf(stdout, "  peak memory        %16s (max RSS of the process, both jobs)\n", rssMiB(after.maxRSS))
	return nil
}

// writeSimulatedWeather loads the hourly weather of writeHourlyKWLake's
// simulation over its days and the horizon after them (what a weather
// forecast would give, here exact) into the lake's weather table, with
// the station "" of a Meteostat export, and returns the hours loaded.
func writeSimulatedWeather(ctx context.Context, lake *blob.Bucket, days, horizon int) (int, error) {
	g, err := simulator.New(&simulator.Options{Meters: 1, Days: days, Interval: time.Hour, Seed: 1})
	if err != nil {
		return 0, err
	}
	o := g.Options()
	var buf bytes.Buffer
	n, err := g.WriteWeatherCSV(&buf, &simulator.WeatherOptions{From: o.Start,
		To: o.Start.Add(time.Duration(days)*24*time.Hour + time.Duration(horizon)*time.Hour)})
	if err != nil {
		return 0, err
	}
	fsys := fstest.MapFS{"weather.csv": &fstest.MapFile{Data: buf.Bytes()}}
	if err := dataflow.Run(ctx, dataflow.NewWeatherFlow(nil), fsys, lake, nil); err != nil {
		return 0, err
	}
	return n, nil
}

// writeHeapProfile writes the heap profile (in use at the last GC, and
// allocations so far) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeHourlyKWLake writes the kW reads of a simulated fleet at one read an
// hour straight into the lake's hourly partitions (no CSV in between: a
// year of 10,000 meters would be a 13 GB file). The generator runs hour
// by hour, every meter in order, so each partition is complete when the
// next begins; two writers encode while the generator goes on.
func writeHourlyKWLake(ctx context.Context, lake *blob.Bucket, meters, days int, stderr io.Writer, quiet bool) (int64, error) {
	g, err := simulator.New(&simulator.Options{Meters: meters, Days: days, Interval: time.Hour, Seed: 1})
	if err != nil {
		return 0, err
	}
	type job struct {
		key   partition.Key
		reads []meter.Reading
	}
	jobs := make(chan job, 2)
	free := make(chan []meter.Reading, 4)
	for range 4 {
		free <- make([]meter.Reading, 0, meters)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var werr error
	failed := func() error { mu.Lock(); defer mu.Unlock(); return werr }
	for range 2 {
		wg.Go(func() {
			for j := range jobs {
				if _, err := partition.WriteFile(ctx, lake, j.key, "data", j.reads, nil); err != nil {
					mu.Lock()
					werr = cmp.Or(werr, err)
					mu.Unlock()
				}
				free <- j.reads[:0]
			}
		})
	}
	var n int64
	var cur []meter.Reading
	var key partition.Key
	hours := 0
	send := func() {
		jobs <- job{key, cur}
		cur = nil
		hours++
		if !quiet && hours%24 == 0 {
			fmt.Fprintf(stderr, "\rbuilding the lake: day %d of %d", hours/24, days)
		}
	}
	err = g.TruthReads(func(r meter.Reading) error {
		if r.Type != meter.TypeKW {
			return nil
		}
		if k := partition.KeyOf(r); cur == nil || k != key {
			if cur != nil {
				send()
			}
			if err := failed(); err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			key, cur = k, <-free
		}
		cur = append(cur, r)
		n++
		return nil
	})
	if err == nil && cur != nil {
		send()
	}
	close(jobs)
	wg.Wait()
	if !quiet {
		fmt.Fprintf(stderr, "\rbuilding the lake: %d hours written\n", hours)
	}
	return n, cmp.Or(err, failed())
}
