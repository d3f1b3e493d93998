package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
)

// command is one subcommand.
type command struct {
	name, usage string
	run         func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"demo", "simulate, ingest and show one meter's hourly consumption", runDemo},
		{"simulate", "generate meter data in the guidance's HES CSV format", runSimulate},
		{"ingest", "ingest meter files into the lake: HES CSV, NEM12, D0010/D0275, ESPI, LCL, wide or mapped CSV, JSON lines, Quickstart", runIngest},
		{"integrate", "merge staged reads into the lake's partitions", runIntegrate},
		{"serve-hes", "serve the simulated head-end system API", runServeHES},
		{"fetch", "fetch a HES source (API, drop folder, SFTP) into the inbound bucket and ingest it", runFetch},
		{"stream", "land a stream of JSON read records (NATS, SQS, ...) in the inbound bucket and ingest it", runStream},
		{"query", "print one meter's reads from the lake", runQuery},
		{"forecast", "forecasts and anomalies: backtest, train, run, anomalies", runForecast},
		{"anomaly", "anomaly detection: eval (precision, recall and F1 on injected anomalies)", runAnomaly},
		{"catalog", "register the lake in a catalog; print Athena DDL", runCatalog},
		{"bench", "measure ingest and queries: wall and CPU time, peak memory, throughput", runBench},
		{"serve", "serve the HTTP API and the meter page", runServe},
		{"grid", "grid analytics: outages, volt-var, roll-ups, transformer loading", runGrid},
		{"dataflow", "load weather and topology into the lake", runDataflow},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks an error that the usage text already explains.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			}
			fmt.Fprintf(stderr, "mda %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "mda: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "mda: smart-meter data analytics on a local or cloud data lake")
	fmt.Fprintln(w, "\nUsage: mda COMMAND [flags]\n\nCommands:")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun 'mda COMMAND -h' for a command's flags.")
}

// dispatch runs the subcommand of "mda name" that args[0] names, or prints
// the subcommands: the one shape of every command with subcommands.
func dispatch(ctx context.Context, name string, subs []command, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(stderr, "Usage: mda %s SUBCOMMAND [flags]\n\nSubcommands:\n", name)
		for _, c := range subs {
			fmt.Fprintf(stderr, "  %-10s %s\n", c.name, c.usage)
		}
		fmt.Fprintf(stderr, "\nRun 'mda %s SUBCOMMAND -h' for its flags.\n", name)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	for _, c := range subs {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "mda %s: unknown subcommand %q\n", name, args[0])
	return errUsage
}

// newFlags returns a flag set whose errors and help go to stderr.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mda "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: mda %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// usageError prints why the command line is wrong ("mda query: --meter
// is required"), then the flags, and returns errUsage (exit status 2).
func usageError(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "%s: %s\n\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return errUsage
}

// noArgs is usageError for a command that takes no arguments after its
// flags, or nil.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usageError(fs, "unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// parse parses flags, mapping a parse error to errUsage (already printed).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}
