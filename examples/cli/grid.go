package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/openmda/mda"
	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/grid"
	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query"
	"github.com/openmda/mda/simulator"
)

// runGrid dispatches "mda grid SUBCOMMAND": analyses of the lake along the
// grid topology.
func runGrid(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	rollup := func(loading bool) func(context.Context, []string, io.Writer, io.Writer) error {
		return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return runGridRollup(ctx, args, stdout, stderr, loading)
		}
	}
	return dispatch(ctx, "grid", []command{
		{"outages", "detect outages, grouped by the transformer that explains them", runGridOutages},
		{"voltvar", "conservation voltage reduction estimate for a transformer", runGridVoltVar},
		{"rollup", "hourly energy and load per service/distribution transformer or substation", rollup(false)},
		{"loading", "transformer loading against capacity, with overloads", rollup(true)},
		{"simulate", "simulate readings with outages, plus the topology JSON and weather CSV", runGridSimulate},
	}, args, stdout, stderr)
}

// gridFlags are the flags every analysis takes.
type gridFlags struct {
	lake, from, to, format string
	interval               time.Duration
}

func (g *gridFlags) register(fs *flag.FlagSet, window bool) {
	fs.StringVar(&g.lake, "lake", mda.DefaultLakeURL, "lake bucket URL")
	if window {
		fs.StringVar(&g.from, "from", "", "first day YYYY-MM-DD, or an RFC 3339 instant (inclusive; required)")
		fs.StringVar(&g.to, "to", "", "last day YYYY-MM-DD (inclusive: the whole day), or an RFC 3339 instant (exclusive; required)")
		fs.DurationVar(&g.interval, "interval", 15*time.Minute, "read interval")
	}
	fs.StringVar(&g.format, "format", "table", "output format: table, csv or json")
}

// window parses --from and --to.
func (g *gridFlags) window() (from, to time.Time, err error) {
	if g.from == "" || g.to == "" {
		return from, to, errors.New("--from and --to are required")
	}
	if from, err = grid.ParseTime(g.from, false); err != nil {
		return from, to, fmt.Errorf("--from: %w", err)
	}
	if to, err = grid.ParseTime(g.to, true); err != nil {
		return from, to, fmt.Errorf("--to: %w", err)
	}
	return from, to, grid.CheckRange("--from", g.from, from, "--to", g.to, to)
}

func (g *gridFlags) check(fs *flag.FlagSet) error {
	if g.format != "table" && g.format != "csv" && g.format != "json" {
		return usageError(fs, "unknown --format %q: want table, csv or json", g.format)
	}
	return noArgs(fs)
}

func runGridOutages(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("grid outages", "--from DATE --to DATE [--lake URL] [flags]", stderr)
	var gf gridFlags
	gf.register(fs, true)
	fraction := fs.Float64("group-fraction", 0.8, "fraction of a transformer's meters that must be out for the transformer to be out")
	minDur := fs.Duration("min-duration", 0, "ignore outages shorter than this")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := gf.check(fs); err != nil {
		return err
	}
	from, to, err := gf.window()
	if err != nil {
		return err
	}
	lake, err := openLakeToRead(ctx, gf.lake)
	if err != nil {
		return err
	}
	defer lake.Close()
	topo, err := topology.ReadLake(ctx, lake)
	if errors.Is(err, topology.ErrNoTopology) {
		fmt.Fprintln(stderr, "no topology in the lake (run mda dataflow topology): reporting single meters")
		topo, err = &topology.Topology{}, nil
	}
	if err != nil {
		return err
	}
	events, err := grid.DetectOutages(ctx, lake, topo, from, to, &grid.OutageOptions{Interval: gf.interval, GroupFraction: *fraction, MinDuration: *minDur})
	if err != nil {
		return err
	}
	if gf.format == "json" {
		return printJSON(stdout, events)
	}
	rows := [][]string{{"level", "id", "start", "end", "duration", "kind", "meters", "ongoing"}}
	for _, e := range events {
		rows = append(rows, []string{string(e.Level), e.ID, e.Start.Format(time.RFC3339), e.End.Format(time.RFC3339),
			e.Duration().String(), e.Kind, strconv.Itoa(len(e.MeterIDs)), strconv.FormatBool(e.Ongoing)})
	}
	if err := printRows(stdout, rows, gf.format); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d outages from %s to %s\n", len(events), from.Format(time.RFC3339), to.Format(time.RFC3339))
	return nil
}

func runGridVoltVar(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("grid voltvar", "--transformer ID [--at TIME] [--lake URL] [flags]", stderr)
	var gf gridFlags
	gf.register(fs, false)
	id := fs.String("transformer", "", "distribution (or service) transformer id (required)")
	atFlag := fs.String("at", "", "end of the averaging window, RFC 3339 (default: where the lake's latest hour of voltage reads starts,\n"+
		"the latest hour whose reads are all in, as the /voltvar route does)")
	window := fs.Duration("window", grid.DefaultVoltVarWindow, "averaging window")
	setPoint := fs.Float64("set-point", grid.DefaultSetPointV, "voltage set point, V")
	cvr := fs.Float64("cvr-factor", grid.DefaultCVRFactor, "CVR factor")
	price := fs.Float64("purchase-price", grid.DefaultEnergyPurchasePrice, "energy purchase price per kWh")
	rate := fs.Float64("rate", grid.DefaultElectricityRate, "electricity rate, cents per kWh")
	customers := fs.Int("customers", grid.DefaultCustomers, "number of customers")
	carbon := fs.Float64("carbon", grid.DefaultCarbonLbsPerMWh, "carbon avoided per MWh, lbs")
	mw := fs.Float64("mw-level", grid.DefaultMWLevel, "load level, MW")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := gf.check(fs); err != nil {
		return err
	}
	if *id == "" {
		return usageError(fs, "--transformer is required")
	}
	var at time.Time
	if *atFlag != "" {
		var err error
		if at, err = grid.ParseTime(*atFlag, false); err != nil {
			return fmt.Errorf("--at: %w", err)
		}
	}
	lake, err := openLakeToRead(ctx, gf.lake)
	if err != nil {
		return err
	}
	defer lake.Close()
	if at.IsZero() {
		latest, ok, err := query.LatestHour(ctx, lake, meter.TypeVoltage)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("the lake has no voltage reads")
		}
		at = latest
	}
	topo, err := topology.ReadLake(ctx, lake)
	if err != nil {
		return err
	}
	level := topology.LevelDistributionTransformer
	if !topo.Has(level, *id) && topo.Has(topology.LevelServiceTransformer, *id) {
		level = topology.LevelServiceTransformer
	}
	res, err := grid.VoltVar(ctx, lake, topo, level, *id, at, &grid.VoltVarOptions{Window: *window, SetPointV: *setPoint,
		CVRFactor: *cvr, EnergyPurchasePrice: *price, ElectricityRate: *rate, Customers: *customers, CarbonLbsPerMWh: *carbon, MWLevel: *mw})
	if err != nil {
		return err
	}
	if gf.format == "json" {
		return printJSON(stdout, res)
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	return printRows(stdout, [][]string{
		{"field", "value"},
		{"transformer", string(res.Level) + " " + res.TransformerID},
		{"window", res.From.Format(time.RFC3339) + " < t <= " + res.To.Format(time.RFC3339)},
		{"meters", strconv.Itoa(res.Meters)}, {"reads", strconv.Itoa(res.Reads)},
		{"mean_voltage", f(res.MeanVoltage)}, {"pct_voltage_reduction", f(res.PctVoltageReduction)},
		{"pct_energy_savings", f(res.PctEnergySavings)}, {"actual_energy_savings", f(res.ActualEnergySavings)},
		{"cost_avoided", f(res.CostAvoided)}, {"cust_dollar_savings", f(res.CustDollarSavings)},
		{"carbon_reduction_lbs", f(res.CarbonReductionLbs)},
	}, gf.format)
}

func runGridRollup(ctx context.Context, args []string, stdout, stderr io.Writer, loading bool) error {
	name, synopsis := "grid rollup", "--level service|distribution|substation --from DATE --to DATE [--lake URL] [flags]"
	if loading {
		name, synopsis = "grid loading", "--level service|distribution --from DATE --to DATE [--threshold 1.0] [--lake URL] [flags]"
	}
	fs := newFlags(name, synopsis, stderr)
	var gf gridFlags
	gf.register(fs, true)
	levelFlag := fs.String("level", "service", "service, distribution or substation (meter for per-meter figures)")
	var threshold *float64
	var overloaded *bool
	if loading {
		threshold = fs.Float64("threshold", 1.0, "utilization (peak kVA / capacity) above which a transformer is overloaded")
		overloaded = fs.Bool("overloaded", false, "print only overloaded hours")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := gf.check(fs); err != nil {
		return err
	}
	level, err := topology.ParseLevel(*levelFlag)
	if err != nil {
		return fmt.Errorf("--level: %w", err)
	}
	from, to, err := gf.window()
	if err != nil {
		return err
	}
	lake, err := openLakeToRead(ctx, gf.lake)
	if err != nil {
		return err
	}
	defer lake.Close()
	topo, err := topology.ReadLake(ctx, lake)
	if err != nil && !(errors.Is(err, topology.ErrNoTopology) && level == topology.LevelMeter) {
		return err
	}
	f := func(x float64, prec int) string {
		if math.IsNaN(x) {
			return ""
		}
		return strconv.FormatFloat(x, 'f', prec, 64)
	}
	if loading {
		rows, err := grid.TransformerLoading(ctx, lake, topo, level, from, to,
			&grid.LoadingOptions{Interval: gf.interval, Threshold: *threshold, OnlyOverloaded: *overloaded})
		if err != nil {
			return err
		}
		if gf.format == "json" {
			for i := range rows {
				if math.IsNaN(rows[i].CapacityKVA) {
					rows[i].CapacityKVA = 0 // JSON has no NaN
				}
			}
			return printJSON(stdout, rows)
		}
		out := [][]string{{"level", "id", "hour", "capacity_kva", "avg_kva", "peak_kva", "utilization", "overloaded", "meters"}}
		n := 0
		for _, r := range rows {
			out = append(out, []string{string(r.Level), r.ID, r.Hour.Format(time.RFC3339), f(r.CapacityKVA, 0), f(r.AvgKVA, 3),
				f(r.PeakKVA, 3), f(r.Utilization, 3), strconv.FormatBool(r.Overloaded), strconv.Itoa(r.Meters)})
			if r.Overloaded {
				n++
			}
		}
		if err := printRows(stdout, out, gf.format); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%d rows, %d overloaded\n", len(rows), n)
		return nil
	}
	loads, err := grid.Rollup(ctx, lake, topo, level, from, to, &grid.RollupOptions{Interval: gf.interval})
	if err != nil {
		return err
	}
	if gf.format == "json" {
		return printJSON(stdout, loads)
	}
	out := [][]string{{"level", "id", "hour", "kwh", "avg_kw", "max_kw", "meters", "reads"}}
	for _, l := range loads {
		out = append(out, []string{string(l.Level), l.ID, l.Hour.Format(time.RFC3339), f(l.KWh, 4), f(l.AvgKW, 4), f(l.MaxKW, 3),
			strconv.Itoa(l.Meters), strconv.Itoa(l.Reads)})
	}
	return printRows(stdout, out, gf.format)
}

// outageFlag collects --outage values: LEVEL:INDEX@START/DURATION[,zero],
// e.g. service:3@2024-03-01T10:00:00Z/2h: the 4th service transformer.
type outageFlag []string

func (o *outageFlag) String() string     { return strings.Join(*o, " ") }
func (o *outageFlag) Set(s string) error { *o = append(*o, s); return nil }

func parseOutage(s string, topo *topology.Topology) (simulator.Outage, error) {
	var o simulator.Outage
	spec, mode, _ := strings.Cut(s, ",")
	switch mode {
	case "", "silent":
		o.Mode = simulator.OutageSilent
	case "zero":
		o.Mode = simulator.OutageZeroVoltage
	default:
		return o, fmt.Errorf("mode %q: want silent or zero", mode)
	}
	node, when, ok := strings.Cut(spec, "@")
	if !ok {
		return o, errors.New("want LEVEL:INDEX@START/DURATION[,zero]")
	}
	lv, idx, ok := strings.Cut(node, ":")
	level, err := topology.ParseLevel(lv)
	if !ok || err != nil {
		return o, fmt.Errorf("node %q: want service|distribution|substation|meter:INDEX", node)
	}
	k, err := strconv.Atoi(idx)
	ids := topo.IDs(level)
	if err != nil || k < 0 || k >= len(ids) {
		return o, fmt.Errorf("index %q: want 0..%d", idx, len(ids)-1)
	}
	start, dur, ok := strings.Cut(when, "/")
	if !ok {
		return o, errors.New("want START/DURATION")
	}
	if o.Start, err = grid.ParseTime(start, false); err != nil {
		return o, err
	}
	d, err := time.ParseDuration(dur)
	if err != nil || d <= 0 {
		return o, fmt.Errorf("duration %q", dur)
	}
	o.ID, o.Level, o.End = ids[k], level, o.Start.Add(d)
	return o, nil
}

func runGridSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("grid simulate", "--out DIR [--outage LEVEL:INDEX@START/DURATION[,zero]]... [flags]", stderr)
	var sf simFlags
	sf.register(fs, 120, 2)
	out := fs.String("out", "mda-grid", "output directory: readings.csv.gz, weather.csv, topology/*.json")
	perST := fs.Int("meters-per-st", simulator.DefaultMetersPerServiceTransformer, "meters per service transformer")
	stPerDT := fs.Int("st-per-dt", 10, "service transformers per distribution transformer")
	stKVA := fs.Float64("st-kva", simulator.DefaultServiceTransformerKVA, "service transformer rating, kVA")
	lat := fs.Float64("lat", simulator.DefaultTopologyLatitude, "latitude of the area's centre")
	lon := fs.Float64("lon", simulator.DefaultTopologyLongitude, "longitude of the area's centre")
	var outages outageFlag
	fs.Var(&outages, "outage", "inject an outage, e.g. service:3@2024-03-01T10:00:00Z/2h or distribution:0@2024-03-02T01:00:00Z/45m,zero (repeatable)")
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
	topo, err := g.Topology(&simulator.TopologyOptions{MetersPerServiceTransformer: *perST, ServiceTransformersPerDistribution: *stPerDT,
		ServiceTransformerKVA: *stKVA, Latitude: *lat, Longitude: *lon})
	if err != nil {
		return err
	}
	var injected []simulator.Outage
	for _, s := range outages {
		o, err := parseOutage(s, topo)
		if err != nil {
			return fmt.Errorf("--outage %s: %w", s, err)
		}
		injected = append(injected, o)
	}
	og, err := simulator.WithOutages(g, topo, injected)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if err := topo.WriteJSONDir(filepath.Join(*out, "topology")); err != nil {
		return err
	}
	wf, err := os.Create(filepath.Join(*out, "weather.csv"))
	if err != nil {
		return err
	}
	nw, err := g.WriteWeatherCSV(wf, nil)
	if cerr := wf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	path := filepath.Join(*out, "readings.csv.gz")
	st, err := writeGz(path, og)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d lines; %s: %d hourly observations; %s: %d meters, %d service transformers, %d distribution transformers, %d substations\n",
		path, st.Lines, filepath.Join(*out, "weather.csv"), nw, filepath.Join(*out, "topology"), len(topo.SmartMeters),
		len(topo.ServiceTransformers), len(topo.DistributionTransformers), len(topo.Substations))
	for _, o := range injected {
		fmt.Fprintf(stdout, "outage: %s %s from %s to %s (%s)\n", o.Level, o.ID, o.Start.Format(time.RFC3339), o.End.Format(time.RFC3339), o.Mode)
	}
	printFaults(stdout, g)
	return nil
}

// writeGz writes og's CSV to path, gzip-compressed; on error the file is
// removed.
func writeGz(path string, og *simulator.OutageGenerator) (simulator.Stats, error) {
	f, err := os.Create(path)
	if err != nil {
		return simulator.Stats{}, err
	}
	zw := gzip.NewWriter(f)
	st, err := og.WriteCSV(zw)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return st, err
}

// runDataflow dispatches "mda dataflow weather|topology": loading reference
// data into the lake and registering its tables in the catalog (by default,
// as for ingest, a manifest catalog in the lake's bucket).
func runDataflow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "dataflow", []command{
		{"weather", "load Meteostat hourly CSV into weather/date=YYYY-MM-DD/ (merging with what is there)", runDataflowWeather},
		{"topology", "load the guidance's topology JSON into topology/<table>/ and report its problems", runDataflowTopology},
	}, args, stdout, stderr)
}

func runDataflowWeather(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dataflow weather", "--src FILE.csv|DIR [--lake URL] [--station ID] [--catalog URL]", stderr)
	lakeURL := fs.String("lake", mda.DefaultLakeURL, "lake bucket URL")
	src := fs.String("src", "", "Meteostat hourly CSV file, or a directory of them (required)")
	station := fs.String("station", "", "station id of files without a station column")
	var cf catalogFlags
	cf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *src == "" {
		return usageError(fs, "--src is required")
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	fi, err := os.Stat(*src)
	if err != nil {
		return err
	}
	opts := &dataflow.WeatherOptions{Station: *station}
	root := *src
	if !fi.IsDir() {
		root = filepath.Dir(*src)
		opts.Files = []string{filepath.Base(*src)}
	}
	lake, err := mda.OpenBucket(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer lake.Close()
	runOpts, closeCat, err := cf.dataflow(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer closeCat()
	flow := dataflow.NewWeatherFlow(opts)
	if err := dataflow.Run(ctx, flow, os.DirFS(root), lake, runOpts); err != nil {
		return err
	}
	st := flow.Stats()
	fmt.Fprintf(stdout, "%d files, %d rows (%d duplicates in the load); %d days written, %d rows replaced, %d kept, %d rows in the day files\n",
		st.Files, st.Rows, st.Duplicates, st.Days, st.Replaced, st.Kept, st.Written)
	return nil
}

func runDataflowTopology(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dataflow topology", "--src DIR [--lake URL] [--catalog URL] [flags]", stderr)
	lakeURL := fs.String("lake", mda.DefaultLakeURL, "lake bucket URL")
	src := fs.String("src", "", "directory of the guidance's topology JSON files (required)")
	strict := fs.Bool("strict", false, "refuse a topology with consistency issues")
	skip := fs.Bool("skip-reads-check", false, "do not compare the topology's meters with the lake's kw reads")
	format := fs.String("format", "table", "report format: table or json")
	verbose := fs.Bool("v", false, "list every issue and unmatched meter")
	var cf catalogFlags
	cf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *src == "":
		return usageError(fs, "--src is required")
	case *format != "table" && *format != "json":
		return usageError(fs, "unknown --format %q: want table or json", *format)
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	lake, err := mda.OpenBucket(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer lake.Close()
	runOpts, closeCat, err := cf.dataflow(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer closeCat()
	flow := dataflow.NewTopologyFlow(&dataflow.TopologyOptions{Strict: *strict, SkipReadsCheck: *skip})
	err = dataflow.Run(ctx, flow, os.DirFS(*src), lake, runOpts)
	rep := flow.Report()
	if *format == "json" {
		if perr := printJSON(stdout, rep); err == nil {
			err = perr
		}
		return err
	}
	for _, name := range topology.TableNames {
		fmt.Fprintf(stdout, "%-26s %7d rows\n", name, rep.Counts[name])
	}
	fmt.Fprintf(stdout, "%d consistency issues\n", len(rep.Issues))
	for i, is := range rep.Issues {
		if i == 10 && !*verbose {
			fmt.Fprintf(stdout, "  ... (-v lists all)\n")
			break
		}
		fmt.Fprintf(stdout, "  %s\n", is)
	}
	if rep.ReadsChecked {
		fmt.Fprintf(stdout, "%d meters with kw reads; %d without topology, %d topology meters without reads\n",
			rep.LakeMeters, len(rep.MetersWithoutTopology), len(rep.MetersWithoutReads))
		if *verbose {
			for _, id := range rep.MetersWithoutTopology {
				fmt.Fprintf(stdout, "  no topology: %s\n", id)
			}
			for _, id := range rep.MetersWithoutReads {
				fmt.Fprintf(stdout, "  no reads:    %s\n", id)
			}
		}
	}
	return err
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printRows prints a header and rows as CSV or as an aligned table.
func printRows(w io.Writer, rows [][]string, format string) error {
	if format == "csv" {
		cw := csv.NewWriter(w)
		cw.WriteAll(rows)
		return cw.Error()
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-len(c)))
			}
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}
