package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/openmda/mda/simulator"
)

// The generator's defaults on the command line, shared by simulate, demo
// and serve-hes so that they give the same data unless told otherwise.
// The start (2024-03-01) and interval (15m) are the simulator's defaults.
const (
	defaultSimMeters = 1000
	defaultSimDays   = 7
	defaultSimSeed   = 1
)

// simFlags are the generator's flags, shared by simulate, demo and grid
// simulate.
type simFlags struct {
	meters, days, firstMeter int
	interval                 time.Duration
	start                    string
	seed                     int64
	late, duplicate, bad     float64
	lateOffset               time.Duration
	faults                   int
}

func (s *simFlags) register(fs interface {
	IntVar(*int, string, int, string)
	Int64Var(*int64, string, int64, string)
	Float64Var(*float64, string, float64, string)
	DurationVar(*time.Duration, string, time.Duration, string)
	StringVar(*string, string, string, string)
}, meters, days int) {
	fs.IntVar(&s.meters, "meters", meters, "number of meters")
	fs.IntVar(&s.firstMeter, "first-meter", 1, "index of the first meter (ids are uuid3(NAMESPACE_OID, str(i)) as in the guidance)")
	fs.IntVar(&s.days, "days", days, "number of days")
	fs.DurationVar(&s.interval, "interval", 15*time.Minute, "read interval")
	fs.StringVar(&s.start, "start", "2024-03-01", "first day (YYYY-MM-DD, UTC)")
	fs.Int64Var(&s.seed, "seed", defaultSimSeed, "random seed; the same seed gives the same file")
	fs.Float64Var(&s.late, "late-fraction", 0, "fraction of lines that arrive late")
	fs.DurationVar(&s.lateOffset, "late-offset", 24*time.Hour, "how late a late line arrives")
	fs.Float64Var(&s.duplicate, "duplicate-fraction", 0, "fraction of lines delivered twice")
	fs.Float64Var(&s.bad, "bad-fraction", 0, "fraction of extra garbage lines")
	fs.IntVar(&s.faults, "faults", 0, "meter faults to inject on distinct meters, in turn stuck, zero, a doubled day, halved from then on (listed; for anomaly detection)")
}

func (s *simFlags) generator() (*simulator.Generator, error) {
	// The simulator takes zero for its default; on the command line a
	// zero is a mistake, not a request for 1,000 meters or 7 days.
	if s.meters < 1 {
		return nil, fmt.Errorf("--meters must be at least 1, got %d", s.meters)
	}
	if s.days < 1 {
		return nil, fmt.Errorf("--days must be at least 1, got %d", s.days)
	}
	start, err := time.Parse("2006-01-02", s.start)
	if err != nil {
		return nil, fmt.Errorf("--start: want a day YYYY-MM-DD (UTC), e.g. 2024-03-01, got %q", s.start)
	}
	o := &simulator.Options{
		Meters: s.meters, FirstMeter: s.firstMeter, Start: start, Days: s.days, Interval: s.interval, Seed: s.seed,
		LateFraction: s.late, LateOffset: s.lateOffset, DuplicateFraction: s.duplicate, BadFraction: s.bad,
	}
	if s.faults != 0 {
		if o.Faults, err = simulator.SampleFaults(o, s.faults); err != nil {
			return nil, fmt.Errorf("--faults: %w", err)
		}
	}
	return simulator.New(o)
}

// printFaults lists the generator's injected faults.
func printFaults(w io.Writer, g *simulator.Generator) {
	for _, f := range g.Options().Faults {
		what := f.Kind.String()
		if f.Kind == simulator.FaultScale {
			what = fmt.Sprintf("x%g", f.Factor)
		}
		fmt.Fprintf(w, "   fault: meter %s %s from %s to %s\n", f.MeterID, what, f.Start.Format(time.RFC3339), f.End.Format(time.RFC3339))
	}
}

func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("simulate", "[flags] --out FILE.csv.gz", stderr)
	var sf simFlags
	sf.register(fs, defaultSimMeters, defaultSimDays)
	out := fs.String("out", "meter-readings.csv.gz", "output file; .gz and .zst compress")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	g, err := sf.generator()
	if err != nil {
		return err
	}
	t0 := time.Now()
	st, err := simulator.WriteFile(*out, g)
	if err != nil {
		return err
	}
	el := time.Since(t0)
	fmt.Fprintf(stdout, "wrote %s: %d lines (%d reads, %d late, %d duplicate, %d bad), %.1f MB uncompressed, %s to %s, in %s (%.0f lines/s)\n",
		*out, st.Lines, st.Reads, st.LateLines, st.DuplicateLines, st.BadLines, float64(st.Bytes)/1e6,
		st.First.Format(time.RFC3339), st.Last.Format(time.RFC3339), el.Round(time.Millisecond), float64(st.Lines)/el.Seconds())
	printFaults(stdout, g)
	return nil
}
