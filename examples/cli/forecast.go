package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/openmda/mda/forecast"
)

// runForecast dispatches "mda forecast SUBCOMMAND". Only backtest exists so
// far: it reproduces published benchmark protocols so that a change to the
// models is measured, not guessed.
func runForecast(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, "Usage: mda forecast backtest --protocol ett|last-window --csv PATH [flags]")
		fmt.Fprintln(stderr, "\nSubcommands:\n  backtest   score the linear model against seasonal-naive on a benchmark protocol")
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "backtest":
		return runForecastBacktest(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "mda forecast: unknown subcommand %q\n", args[0])
	return errUsage
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
	if *path == "" || fs.NArg() > 0 || (*protocol != "ett" && *protocol != "last-window") {
		fs.Usage()
		return errUsage
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
