package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/hes"
	_ "github.com/openmda/mda/hes/dropsource" // drop+<bucket URL> sources
	_ "github.com/openmda/mda/hes/httpsource" // hes+http(s):// sources
	_ "github.com/openmda/mda/hes/sftpsource" // sftp:// sources
	"github.com/openmda/mda/simulator"
)

// runServeHES serves the simulated head-end system API (simulator.HES).
func runServeHES(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve-hes", "[flags]", stderr)
	// The defaults are demo's and simulate's: the head-end serves the
	// very reads of the demo lake.
	meters := fs.Int("meters", defaultSimMeters, "number of meters")
	days := fs.Int("days", defaultSimDays, "days of data")
	seed := fs.Int64("seed", defaultSimSeed, "data set seed (the same as demo's and simulate's gives the same data)")
	addr := fs.String("addr", "127.0.0.1:8081", "listen address")
	apiKey := fs.String("api-key", "", "require this API key (x-api-key header or Bearer token)")
	lateFraction := fs.Float64("late-fraction", 0, "fraction of reads that arrive late")
	lateOffset := fs.Duration("late-offset", simulator.DefaultLateOffset, "how late late reads arrive")
	dupFraction := fs.Float64("duplicate-fraction", 0, "fraction of reads delivered twice")
	replay := fs.Float64("replay", 0, "replay speed: the head-end's clock starts at the data's start and runs this many times faster than real time (0: all data available at once)")
	failEvery := fs.Int("fail-every", 0, "answer every Nth request with 500 (fault injection)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *meters < 1 || *days < 1 {
		return fmt.Errorf("--meters and --days must be at least 1, got %d and %d", *meters, *days)
	}
	g, err := simulator.New(&simulator.Options{Meters: *meters, Days: *days, Seed: *seed,
		LateFraction: *lateFraction, LateOffset: *lateOffset, DuplicateFraction: *dupFraction})
	if err != nil {
		return err
	}
	opts := &simulator.HESOptions{APIKey: *apiKey, FailEvery: *failEvery}
	start := g.Options().Start
	if *replay > 0 {
		t0 := time.Now()
		speed := *replay
		opts.Now = func() time.Time { return start.Add(time.Duration(float64(time.Since(t0)) * speed)) }
	}
	h := simulator.NewHES(g, opts)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "HES simulator: %d meters, %d days from %s, %d lines, on http://%s\n",
		*meters, *days, start.Format(time.RFC3339), h.Lines(), ln.Addr())
	// end= stops the windows after the simulated data's last arrival (the
	// late lines' included, and an hour for delays and duplicates), where
	// a real head-end keeps going: without it a fetch walks every empty
	// window up to the present. Whole days, for the day windows.
	span := time.Duration(*days)*24*time.Hour + time.Hour
	if *lateFraction > 0 {
		span += max(*lateOffset, 0)
	}
	end := start.Add((span + 24*time.Hour - 1).Truncate(24 * time.Hour))
	fmt.Fprintf(stdout, "  fetch with: mda fetch --source 'hes+http://%s/?start=%s&end=%s&window=24h' --lake %s\n", ln.Addr(),
		start.Format(time.RFC3339), end.Format(time.RFC3339), mda.DefaultLakeURL)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

// runFetch fetches a source's new data into the inbound bucket and ingests
// it into the lake, advancing the source only after each ingest.
func runFetch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fetch", "--source URL [flags]", stderr)
	srcURL := fs.String("source", "", "source URL: hes+http://host:port/?api_key_env=VAR&start=..., drop+file:///dir, drop+s3://bucket/prefix, sftp://user@host/dir?key=FILE")
	inboundURL := fs.String("inbound", "", "inbound bucket URL (default: the lake)")
	lakeURL := fs.String("lake", mda.DefaultLakeURL, "lake bucket URL")
	follow := fs.Duration("follow", 0, "keep fetching, pausing this long when caught up (0: fetch once)")
	noIngest := fs.Bool("no-ingest", false, "only land the objects under "+hes.LandingPrefix)
	backfill := fs.Bool("backfill", false, "the source's data is history (e.g. a start= in the past): check no read for lateness, send no late event, leave the watermark")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *srcURL == "" {
		return usageError(fs, "--source is required")
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	lake, inbound, closeBuckets, err := openLakeAndInbound(ctx, *lakeURL, *inboundURL)
	if err != nil {
		return err
	}
	defer closeBuckets()
	src, err := hes.OpenSource(ctx, *srcURL)
	if err != nil {
		return err
	}
	defer src.Close()
	var process hes.ProcessFunc
	if !*noIngest {
		process = func(ctx context.Context, in *blob.Bucket, key string) error {
			st, err := mda.Ingest(ctx, lake, in, key, &mda.IngestOptions{Inbound: in, Backfill: *backfill})
			switch {
			case err != nil:
			case st.AlreadyIngested != nil:
				// A HES that sends a window again: the lake has it.
				fmt.Fprintf(stdout, "already ingested %s (source %s); nothing to do\n", key, st.SourceID)
			case st.Backfill:
				fmt.Fprintf(stdout, "ingested %s: %d lines, %d reads staged (backfill: late detection off), %d quarantined\n", key, st.Lines, st.Staged, st.Quarantined)
			default:
				fmt.Fprintf(stdout, "ingested %s: %d lines, %d reads staged (%d late, %d late events), %d quarantined\n", key, st.Lines, st.Staged, st.Late, st.LateEvents, st.Quarantined)
			}
			return err
		}
	}
	report := func(r hes.Result, err error) {
		for _, k := range r.Landed {
			if *noIngest {
				fmt.Fprintf(stdout, "landed %s\n", k)
			}
		}
		for _, k := range r.Quarantined {
			fmt.Fprintf(stdout, "quarantined %s\n", k)
		}
		if err != nil {
			fmt.Fprintf(stderr, "mda fetch: %v\n", err)
		}
	}
	if *follow > 0 {
		err := hes.Run(ctx, src, inbound, process, &hes.RunOptions{Interval: *follow, OnPull: report})
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
	total, empty, pulls := 0, 0, 0
	for {
		r, err := hes.Pull(ctx, src, inbound, process, nil)
		report(r, nil)
		total += len(r.Landed)
		empty += r.Empty
		pulls++
		if err != nil {
			return err
		}
		if !r.More {
			break
		}
		// A source far behind (a start= long ago, a HES with gaps) takes
		// many pulls of mostly empty windows: say where it is.
		fmt.Fprintf(stderr, "fetch: %d objects with data and %d empty so far (%d pulls), more waiting\n", total, empty, pulls)
	}
	fmt.Fprintf(stdout, "fetched %d objects from %s (%d empty windows acknowledged)\n", total, src.Name(), empty)
	return nil
}

// openLakeAndInbound opens the lake and the inbound bucket (the lake
// itself when inboundURL is empty); closeBuckets closes what was opened.
func openLakeAndInbound(ctx context.Context, lakeURL, inboundURL string) (lake, inbound *blob.Bucket, closeBuckets func(), err error) {
	if lake, err = mda.OpenBucket(ctx, lakeURL); err != nil {
		return nil, nil, nil, err
	}
	if inboundURL == "" {
		return lake, lake, func() { lake.Close() }, nil
	}
	if inbound, err = mda.OpenBucket(ctx, inboundURL); err != nil {
		lake.Close()
		return nil, nil, nil, err
	}
	return lake, inbound, func() { inbound.Close(); lake.Close() }, nil
}
