package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing/fstest"
	"time"

	"github.com/klauspost/compress/gzip"
	"gocloud.dev/blob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/simulator"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "[flags]", stderr)
	lakeURL := fs.String("lake", mda.DefaultLakeURL, "lake bucket URL (file://, mem://, s3://...)")
	workers := fs.Int("workers", 0, "parallel range workers (default: number of CPUs)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	var sf simFlags
	sf.register(fs, defaultSimMeters, defaultSimDays)
	var cf catalogFlags
	cf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	var pw io.Writer = stderr
	if *quiet {
		pw = nil
	}
	g, err := sf.generator()
	if err != nil {
		return err
	}
	lake, err := mda.OpenBucket(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer lake.Close()
	// Every table goes to the catalog, by default a manifest catalog in
	// the lake's bucket under _catalog/, as with mda ingest.
	reg, closeCat, err := cf.registrar(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer closeCat()

	// 1. Simulate into the lake's landing area, gzip-compressed like the
	// guidance's HES export.
	o := g.Options()
	key := fmt.Sprintf("inbound/landing/demo-%d-m%d-d%d-seed%d.csv.gz", o.Start.Year(), o.Meters, o.Days, o.Seed)
	if len(o.Faults) > 0 {
		key = strings.TrimSuffix(key, ".csv.gz") + fmt.Sprintf("-faults%d.csv.gz", len(o.Faults))
	}
	fmt.Fprintf(stdout, "1. simulating %d meters x %d days at %s -> %s\n", o.Meters, o.Days, o.Interval, key)
	t0 := time.Now()
	sim, err := simulate(ctx, lake, key, g, pw)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "   %d lines, %d reads, %.1f MB of CSV in %s\n", sim.Lines, sim.Reads, float64(sim.Bytes)/1e6, time.Since(t0).Round(time.Millisecond))
	printFaults(stdout, g)

	// 2. Ingest: decompress, split, scan ranges in parallel, write Parquet.
	fmt.Fprintf(stdout, "2. ingesting into %s\n", *lakeURL)
	iopts := &mda.IngestOptions{Workers: *workers}
	var runOpts *dataflow.RunOptions
	if reg != nil {
		iopts.Register = reg.RegisterReadings
		runOpts = &dataflow.RunOptions{Register: reg.RegisterDataflow}
	}
	st, err := ingestObject(ctx, lake, lake, key, iopts, pw)
	if err != nil {
		return err
	}
	printIngestStats(stdout, st)

	// 3. Weather and topology, from the same generator: the weather that
	// drove the simulated load, and the grid the meters hang off.
	if err := loadContext(ctx, lake, g, runOpts, stdout); err != nil {
		return err
	}

	// 4. Query one meter's first day back and show its hourly energy.
	id := simulator.MeterID(o.FirstMeter)
	day := o.Start
	f := &partition.Filter{Types: []meter.Type{meter.TypeKW}, MeterIDs: []string{id}, From: day, To: day.Add(24*time.Hour + o.Interval)}
	t1 := time.Now()
	reads, qs, err := partition.ReadAll(ctx, lake, f)
	if err != nil {
		return err
	}
	energy := mda.HourlyEnergy(reads, o.Interval)
	// Each hourly file holds one row group of every meter, so it is the
	// meter_id statistics of pages, not of row groups, that keep the query
	// small: say how much was decoded and downloaded.
	fmt.Fprintf(stdout, "4. meter %s, %s: hourly consumption (queried %d reads in %s: %d files, %d rows decoded, %s read)\n",
		id, day.Format("2006-01-02"), len(reads), time.Since(t1).Round(time.Microsecond), qs.Files, qs.Rows, mb(qs.BytesRead))
	var totalKWh, peak float64
	for _, e := range energy {
		if !e.Start.Before(day) && e.Start.Before(day.Add(24*time.Hour)) {
			totalKWh += e.KWh
			peak = max(peak, e.KWh)
		}
	}
	for _, e := range energy {
		if e.Start.Before(day) || !e.Start.Before(day.Add(24*time.Hour)) {
			continue
		}
		bar := 0
		if peak > 0 {
			bar = int(40 * e.KWh / peak)
		}
		fmt.Fprintf(stdout, "   %s  %7.3f kWh  %s\n", e.Start.Format("15:04"), e.KWh, strings.Repeat("#", bar))
	}
	fmt.Fprintf(stdout, "   total %.2f kWh\n", totalKWh)
	fmt.Fprintf(stdout, "\nNext:\n")
	fmt.Fprintf(stdout, "  go run ./examples/cli serve --lake %s\n", *lakeURL)
	fmt.Fprintf(stdout, "  then open http://127.0.0.1:8080/ui/?meter=%s\n", id)
	fmt.Fprintf(stdout, "  go run ./examples/cli query --lake %s --meter %s --type kw,vltg --from %s --to %s\n",
		*lakeURL, id, day.Format("2006-01-02"), day.Format("2006-01-02"))
	return nil
}

// simulate writes the generator's gzip CSV to key in b.
func simulate(ctx context.Context, b *blob.Bucket, key string, g *simulator.Generator, progress io.Writer) (simulator.Stats, error) {
	w, err := b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/gzip"})
	if err != nil {
		return simulator.Stats{}, err
	}
	p := newProgress(progress)
	gz, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return simulator.Stats{}, err
	}
	st, err := g.WriteCSV(&countingWriter{w: gz, report: func(n int64) { p.printf(false, "simulating  %s of CSV", mb(n)) }})
	p.done()
	if err == nil {
		err = gz.Close()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return st, err
}

// loadContext loads the generator's weather and topology through their
// dataflows, registering their tables with runOpts (nil: not at all).
func loadContext(ctx context.Context, lake *blob.Bucket, g *simulator.Generator, runOpts *dataflow.RunOptions, stdout io.Writer) error {
	fsys := fstest.MapFS{}
	var buf bytes.Buffer
	n, err := g.WriteWeatherCSV(&buf, nil)
	if err != nil {
		return err
	}
	fsys["weather/hourly.csv"] = &fstest.MapFile{Data: bytes.Clone(buf.Bytes())}
	topo, err := g.Topology(nil)
	if err != nil {
		return err
	}
	for _, table := range topology.TableNames {
		buf.Reset()
		if err := topo.EncodeJSON(&buf, table); err != nil {
			return err
		}
		fsys["topology/"+table+".json"] = &fstest.MapFile{Data: bytes.Clone(buf.Bytes())}
	}
	wf := dataflow.NewWeatherFlow(&dataflow.WeatherOptions{Files: []string{"weather/hourly.csv"}})
	if err := dataflow.Run(ctx, wf, fsys, lake, runOpts); err != nil {
		return fmt.Errorf("weather: %w", err)
	}
	tf := dataflow.NewTopologyFlow(&dataflow.TopologyOptions{Dir: "topology"})
	if err := dataflow.Run(ctx, tf, fsys, lake, runOpts); err != nil {
		return fmt.Errorf("topology: %w", err)
	}
	rep := tf.Report()
	fmt.Fprintf(stdout, "3. loaded %d hours of weather and a topology of %d meters, %d service transformers, %d distribution transformers, %d substations (%d issues, %d meters without topology)\n",
		n, rep.Counts[topology.TableSmartMeter], rep.Counts[topology.TableServiceTransformer],
		rep.Counts[topology.TableDistributionTransformer], rep.Counts[topology.TableSubstation], len(rep.Issues), len(rep.MetersWithoutTopology))
	return nil
}
