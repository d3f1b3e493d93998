package main

import (
	"context"
	"fmt"
	"io"

	"github.com/openmda/mda/forecast"
)

// runAnomaly dispatches "mda anomaly SUBCOMMAND". The lake job that writes
// the anomalies tables is "mda forecast anomalies".
func runAnomaly(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "anomaly", []command{
		{"eval", "inject known anomalies into real series and score the detector by kind", runAnomalyEval},
	}, args, stdout, stderr)
}

func runAnomalyEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("anomaly eval", "--csv PATH [flags]", stderr)
	path := fs.String("csv", "", "long CSV of meter_id,time,value (kWh per interval), plain or gzip (required)")
	seed := fs.Uint64("seed", 1, "seed of the injections: the same seed injects the same anomalies at the same places")
	perKind := fs.Int("per-kind", 10, "anomalies of each kind injected per meter (drops: one per copy of the meter)")
	workers := fs.Int("workers", 0, "series scored at once (default: number of CPUs)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *path == "":
		return usageError(fs, "--csv is required")
	case *perKind < 1:
		return usageError(fs, "--per-kind must be at least 1, got %d", *perKind)
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	r, closer, err := forecast.OpenFile(*path)
	if err != nil {
		return err
	}
	defer closer.Close()
	meters, err := forecast.ReadLong(ctx, r)
	if err != nil {
		return fmt.Errorf("reading %s: %w", *path, err)
	}
	res, err := forecast.EvalAnomalies(ctx, meters, &forecast.EvalOptions{Seed: *seed, PerKind: *perKind, Workers: *workers})
	if err != nil {
		return err
	}
	return forecast.WriteAnomalyEval(stdout, res)
}
