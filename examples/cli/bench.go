package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/openmda/mda"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/simulator"
)

// runBench dispatches "mda bench SUBCOMMAND".
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "bench", []command{
		{"ingest", "simulate a HES CSV file (or take --file) and ingest it into a fresh lake", runBenchIngest},
		{"query", "time a one-meter-week query of kW reads on a lake", runBenchQuery},
		{"forecast", "build a lake of hourly reads, then time forecast train and forecast run on it", runBenchForecast},
	}, args, stdout, stderr)
}

func runBenchIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench ingest", "[--meters 12000 --days 7] [--file F] [flags]", stderr)
	meters := fs.Int("meters", 12000, "meters to simulate")
	days := fs.Int("days", 7, "days to simulate")
	file := fs.String("file", "", "ingest this file instead of simulating one (plain, gzip or zstd)")
	dir := fs.String("dir", "", "work directory for the file and the lake (default: a temporary directory, removed after)")
	workers := fs.Int("workers", 0, "parallel range workers (default: number of CPUs)")
	compression := fs.String("compression", partition.DefaultCompression, "Parquet compression: zstd, snappy or none")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the ingest to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	work := *dir
	if work != "" {
		if err := os.MkdirAll(work, 0o755); err != nil {
			return err
		}
	} else {
		d, err := os.MkdirTemp("", "mda-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		work = d
	}
	in := *file
	if in == "" {
		in = filepath.Join(work, fmt.Sprintf("hes-%dm-%dd.csv", *meters, *days))
		if _, err := os.Stat(in); err != nil {
			g, err := simulator.New(&simulator.Options{Meters: *meters, Days: *days, Seed: 1})
			if err != nil {
				return err
			}
			t0 := time.Now()
			st, err := simulator.WriteFile(in, g)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "generated %s: %d lines, %.1f MB in %s\n", in, st.Lines, float64(st.Bytes)/1e6, time.Since(t0).Round(time.Millisecond))
		}
	}
	lakeDir := filepath.Join(work, "lake")
	if err := os.RemoveAll(lakeDir); err != nil {
		return err
	}
	lake, err := mda.OpenBucket(ctx, "file://"+lakeDir)
	if err != nil {
		return err
	}
	defer lake.Close()
	var pw io.Writer = stderr
	if *quiet {
		pw = nil
	}
	runtime.GC()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	before := rusage()
	st, err := ingestFile(ctx, lake, in, &mda.IngestOptions{Workers: *workers, Writer: &partition.WriterOptions{Compression: *compression}}, pw)
	if err != nil {
		return err
	}
	after := rusage()
	cpu := after.cpu - before.cpu
	fmt.Fprintf(stdout, "bench ingest: %s\n", in)
	fmt.Fprintf(stdout, "  input              %12.1f MB, %d lines, %d ranges\n", float64(st.Bytes)/1e6, st.Lines, st.Ranges)
	fmt.Fprintf(stdout, "  reads              %12d staged, %d in the lake\n", st.Staged, st.Reads)
	fmt.Fprintf(stdout, "  wall time          %12s (integration %s)\n", st.Elapsed.Round(time.Millisecond), st.Integrate.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(stdout, "  CPU time           %12s (%.2f cores)\n", cpu.Round(time.Millisecond), cpu.Seconds()/st.Elapsed.Seconds())
	fmt.Fprintf(stdout, "  peak memory        %16s (max RSS of the process)\n", rssMiB(after.maxRSS))
	fmt.Fprintf(stdout, "  throughput         %12.0f reads/s, %.1f MB/s\n", float64(st.Staged)/st.Elapsed.Seconds(), float64(st.Bytes)/1e6/st.Elapsed.Seconds())
	fmt.Fprintf(stdout, "  output             %12.1f MB in %d files, %d partitions\n", float64(st.OutputBytes)/1e6, st.Files, st.Partitions)
	return nil
}

func runBenchQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench query", "--lake URL [flags]", stderr)
	lakeURL := fs.String("lake", mda.DefaultLakeURL, "lake bucket URL")
	meterID := fs.String("meter", simulator.MeterID(1), "meter of the one-meter-week query")
	from := fs.String("from", "2024-03-01", "first day of the week")
	runs := fs.Int("runs", 5, "repetitions; the first (cold file cache), the best and the median are printed")
	cache := fs.Bool("cache", true, "keep the files' metadata between runs (partition.FileCache); false: every run cold")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the queries to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *runs < 1 {
		return fmt.Errorf("--runs must be at least 1")
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
		defer pprof.StopCPUProfile()
	}
	start, err := time.Parse("2006-01-02", *from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	lake, err := openLakeToRead(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer lake.Close()
	// A cache of its own, so that the first run is cold.
	fc := partition.NewFileCache(partition.DefaultFileCacheBytes)
	if !*cache {
		fc = partition.NewFileCache(0)
	}
	week := &partition.Filter{Types: []meter.Type{meter.TypeKW}, MeterIDs: []string{*meterID}, From: start, To: start.AddDate(0, 0, 7),
		ValuesOnly: true, Cache: fc}
	times := make([]time.Duration, 0, *runs)
	var n int
	for range *runs {
		t0 := time.Now()
		reads, _, err := partition.ReadAll(ctx, lake, week)
		if err != nil {
			return err
		}
		times = append(times, time.Since(t0))
		n = len(reads)
	}
	best, med := summarize(times)
	fmt.Fprintf(stdout, "one meter, one week of kw: %d reads; first %s, best %s, median %s\n", n, times[0].Round(time.Microsecond), best, med)

	// dailyKWh sums the lake's kW reads into kWh per meter and UTC day and
	// returns the number of meter-days. Reads are 15-minute means, and a
	// read at t covers the interval before t. The scan hands over each
	// file's reads meter by meter and in time order, so a meter's cells are
	// looked up once per run of its reads, and the day is most often its
	// last cell's.
	dailyKWh := func() (int, error) {
		type cell struct {
			day int64 // Unix day
			kwh float64
		}
		daily := make(map[string]*[]cell)
		var last string
		var cells *[]cell
		// Every file lists the same meters in the same sorted order, so
		// the meter after last is most often the one that followed it in
		// the file before: try that before hashing (the map was a third of
		// this consumer's time).
		type step struct {
			id    string
			cells *[]cell
		}
		var seq, prevSeq []step
		pos := 0
		_, err := partition.Scan(ctx, lake, &partition.Filter{Types: []meter.Type{meter.TypeKW}, ValuesOnly: true, Cache: fc}, func(rs []meter.Reading) error {
			for i := range rs {
				r := &rs[i]
				if cells == nil || r.MeterID != last {
					if r.MeterID < last { // the next file
						seq, prevSeq, pos = prevSeq[:0], seq, 0
					}
					last = r.MeterID
					if pos < len(prevSeq) && prevSeq[pos].id == last {
						cells = prevSeq[pos].cells
						pos++
					} else if cells = daily[last]; cells == nil {
						cells = new([]cell)
						daily[last] = cells
					}
					seq = append(seq, step{last, cells})
				}
				ms := r.Time.UnixMilli() - 1
				day := ms / 86_400_000
				if ms < 0 && ms%86_400_000 != 0 {
					day--
				}
				c := *cells
				j := len(c) - 1
				for j >= 0 && c[j].day != day {
					j--
				}
				if j < 0 {
					*cells = append(c, cell{day, r.Value * 0.25})
				} else {
					c[j].kwh += r.Value * 0.25
				}
			}
			return nil
		})
		n := 0
		for _, c := range daily {
			n += len(*c)
		}
		return n, err
	}

	// kWh per meter per day over the whole lake.
	times = times[:0]
	var cells int
	for range *runs {
		t0 := time.Now()
		c, err := dailyKWh()
		if err != nil {
			return err
		}
		times = append(times, time.Since(t0))
		cells = c
	}
	best, med = summarize(times)
	fmt.Fprintf(stdout, "kWh per meter per day, whole lake: %d meter-days; first %s, best %s, median %s\n", cells, times[0].Round(time.Microsecond), best, med)
	return nil
}

func summarize(ts []time.Duration) (best, median time.Duration) {
	s := append([]time.Duration(nil), ts...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[0].Round(time.Microsecond), s[len(s)/2].Round(time.Microsecond)
}

// procUsage is the process's CPU time and peak resident memory, where the
// platform reports them (rusage_unix.go; zero elsewhere).
type procUsage struct {
	cpu    time.Duration
	maxRSS int64 // bytes
}

// rssMiB formats a peak resident memory in MiB, "n/a" where unknown.
func rssMiB(b int64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}
