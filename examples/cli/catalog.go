package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/openmda/mda"
	"github.com/openmda/mda/catalog"
	_ "github.com/openmda/mda/catalog/gluecat"  // glue:// catalogs
	_ "github.com/openmda/mda/catalog/localcat" // mem://, file://, s3:// catalogs
	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

// runCatalog dispatches "mda catalog SUBCOMMAND": sync creates the lake's
// tables in a catalog and registers their partitions, ddl prints Athena
// DDL for the guidance's tables.
func runCatalog(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "catalog", []command{
		{"sync", "create the lake's tables in a catalog and register their partitions (like MSCK REPAIR TABLE)", runCatalogSync},
		{"ddl", "print Athena CREATE EXTERNAL TABLE statements for the guidance's tables",
			func(_ context.Context, args []string, stdout, stderr io.Writer) error {
				return runCatalogDDL(args, stdout, stderr)
			}},
	}, args, stdout, stderr)
}

func runCatalogSync(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("catalog sync", "[--lake URL] [--catalog URL] [flags]", stderr)
	lakeURL := fs.String("lake", mda.DefaultLakeURL, "lake bucket URL")
	catURL := fs.String("catalog", "", "catalog URL: glue://[DATABASE]?region=..., or a bucket URL (mem://, file:///dir, s3://bucket)\nfor a JSON manifest catalog; default: a manifest catalog in the lake's bucket, under _catalog/")
	database := fs.String("database", "", "database of the readings, weather and topology tables; default: the catalog URL's, else "+catalog.DatabaseIntegrated)
	mlDatabase := fs.String("ml-database", catalog.DatabaseFeatureML, "database of the forecast and anomaly tables")
	location := fs.String("location", "", "the lake's root as query engines see it, e.g. s3://bucket/; default: derived from --lake")
	tableList := fs.String("table", "all", "tables to sync, comma-separated names (e.g. "+catalog.ReadingsTableName+","+catalog.WeatherTableName+"), or 'all'")
	drop := fs.Bool("drop", false, "also drop catalog partitions that are no longer in the lake")
	dryRun := fs.Bool("dry-run", false, "print what would change, change nothing")
	types := fs.String("type", "all", "readings: reading types to sync, comma-separated, or 'all'")
	from := fs.String("from", "", "readings: first day YYYY-MM-DD, or an RFC 3339 instant (inclusive)")
	to := fs.String("to", "", "readings: last day YYYY-MM-DD (inclusive), or an RFC 3339 instant (exclusive)")
	verbose := fs.Bool("v", false, "list the partitions added and dropped")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	f := &partition.Filter{}
	var err error
	if f.From, err = parseWhen(*from, false); err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	if f.To, err = parseWhen(*to, true); err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if *types != "all" {
		for _, t := range strings.Split(*types, ",") {
			t = strings.TrimSpace(t)
			if _, ok := meter.LookupType(meter.Type(t)); !ok {
				return fmt.Errorf("--type: unknown reading type %q", t)
			}
			f.Types = append(f.Types, meter.Type(t))
		}
	}
	var names []string
	if *tableList != "all" {
		for _, n := range strings.Split(*tableList, ",") {
			names = append(names, strings.TrimSpace(n))
		}
	}
	cf := catalogFlags{url: *catURL, database: *database, mlDatabase: *mlDatabase, location: *location}
	if cf.url == "none" {
		return errors.New("--catalog none: nothing to sync")
	}
	lake, err := openLakeToRead(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer lake.Close()
	reg, closeCat, err := cf.registrar(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer closeCat()
	res, err := reg.Sync(ctx, lake, &catalog.SyncOptions{Filter: f, Drop: *drop, DryRun: *dryRun, Tables: names})
	for _, ts := range res {
		printTableSync(stdout, reg, ts, *drop, *dryRun, *verbose)
	}
	return err
}

// printTableSync prints the line of one table of "mda catalog sync" and,
// with -v, its partitions added (+) and dropped (-) as lake directories.
func printTableSync(w io.Writer, reg *catalog.Registrar, ts catalog.TableSync, drop, dryRun, verbose bool) {
	t := ts.Table
	if len(t.PartitionKeys) == 0 {
		verb := "ensured"
		if dryRun {
			verb = "not partitioned"
		}
		fmt.Fprintf(w, "%s at %s: %s\n", t.QualifiedName(), t.Location, verb)
		return
	}
	if verbose {
		dir, _ := reg.Dir(t.Name)
		path := func(values []string) string {
			var b strings.Builder
			b.WriteString(dir)
			for i, k := range t.PartitionKeyNames() {
				fmt.Fprintf(&b, "%s=%s/", k, values[i])
			}
			return b.String()
		}
		for _, v := range ts.Added {
			fmt.Fprintf(w, "+ %s\n", path(v))
		}
		for _, v := range ts.Dropped {
			fmt.Fprintf(w, "- %s\n", path(v))
		}
	}
	verb := "added"
	if dryRun {
		verb = "would add"
	}
	fmt.Fprintf(w, "%s at %s: %d partitions in the lake, %d in the catalog; %s %d", t.QualifiedName(), t.Location, ts.Lake, ts.Catalog, verb, len(ts.Added))
	if drop {
		fmt.Fprintf(w, ", dropped %d", len(ts.Dropped))
	}
	fmt.Fprintln(w)
}

// lakeLocation derives the lake's root location, as engines name it, from
// its bucket URL (catalog.LakeLocation): s3://bucket?region=x&prefix=p/
// gives s3://bucket/p/, and a file URL the absolute directory.
func lakeLocation(lakeURL string) (string, error) {
	loc, err := catalog.LakeLocation(lakeURL)
	if err != nil {
		return "", fmt.Errorf("--lake: %w", err)
	}
	return loc, nil
}

func runCatalogDDL(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("catalog ddl", "[--lake-location s3://bucket/] [--projection] [flags]", stderr)
	lakeLoc := fs.String("lake-location", "s3://your-lake-bucket/", "the lake's root location")
	mlLoc := fs.String("ml-location", "", "the root of the ML results bucket; default: --lake-location")
	projection := fs.Bool("projection", false, "add Athena partition projection, so that no partitions need registering")
	years := fs.String("years", "", "with --projection: the projected years of the readings, anomalies and anomaly events tables, FIRST,LAST (default 2000,2099)")
	models := fs.String("models", "", "with --projection: the forecast model names Athena enumerates, comma-separated (default "+strings.Join(catalog.ForecastModelNames, ",")+")")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	opts := &catalog.DDLOptions{Projection: *projection}
	if *years != "" {
		var lo, hi int
		if n, err := fmt.Sscanf(*years, "%d,%d", &lo, &hi); err != nil || n != 2 || lo < 1 || hi > 9999 || lo > hi {
			return fmt.Errorf("--years: want FIRST,LAST between 1 and 9999, got %q", *years)
		}
		opts.ProjectionProperties = map[string]string{"projection.year.range": fmt.Sprintf("%d,%d", lo, hi)}
	}
	if *models != "" {
		var names []string
		for _, m := range strings.Split(*models, ",") {
			m = strings.TrimSpace(m)
			if m == "" || strings.ContainsAny(m, "/=',\\") {
				return fmt.Errorf("--models: invalid model name %q", m)
			}
			names = append(names, m)
		}
		if opts.ProjectionProperties == nil {
			opts.ProjectionProperties = map[string]string{}
		}
		opts.ProjectionProperties["projection.model_name.values"] = strings.Join(names, ",")
	}
	locSet := false
	fs.Visit(func(f *flag.Flag) { locSet = locSet || f.Name == "lake-location" })
	if !locSet {
		fmt.Fprintf(stderr, "mda catalog ddl: note: LOCATION %s is a placeholder; --lake-location sets the lake's root (e.g. s3://bucket/)\n", *lakeLoc)
	}
	loc := *lakeLoc
	if !strings.HasSuffix(loc, "/") {
		loc += "/"
	}
	script, err := catalog.AthenaScript(catalog.Tables(loc, *mlLoc), opts)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, script)
	return err
}

// catalogFlags are the flags with which ingest, integrate, demo and the
// dataflows register what they write in a catalog.
type catalogFlags struct {
	url, database, mlDatabase, location string
}

func (c *catalogFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.url, "catalog", "", "catalog to register new partitions in: glue://[DATABASE]?region=..., a bucket URL for a\nJSON manifest catalog, or 'none'; default: a manifest catalog in the lake's bucket")
	fs.StringVar(&c.database, "database", "", "database of the readings, weather and topology tables; default: the catalog URL's, else "+catalog.DatabaseIntegrated)
	fs.StringVar(&c.location, "location", "", "the lake's root as query engines see it, e.g. s3://bucket/; default: derived from --lake")
}

// registrar opens the catalog and returns a Registrar of the lake's
// tables in it, or nil for 'none', and the function that closes the
// catalog. The default catalog is a manifest catalog in the lake's bucket,
// under _catalog/.
func (c *catalogFlags) registrar(ctx context.Context, lakeURL string) (*catalog.Registrar, func() error, error) {
	if c.url == "none" {
		return nil, func() error { return nil }, nil
	}
	u := c.url
	if u == "" {
		u = lakeURL
	}
	loc := c.location
	if loc == "" {
		var err error
		if loc, err = lakeLocation(lakeURL); err != nil {
			return nil, nil, err
		}
	}
	cat, err := catalog.OpenCatalog(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	reg, err := catalog.NewRegistrar(cat, loc, &catalog.RegistrarOptions{Database: c.database, MLDatabase: c.mlDatabase})
	if err != nil {
		cat.Close()
		return nil, nil, err
	}
	return reg, cat.Close, nil
}

// open returns the function that registers readings partitions, or nil
// for 'none'.
func (c *catalogFlags) open(ctx context.Context, lakeURL string) (func(context.Context, []partition.Key) error, func() error, error) {
	reg, closeCat, err := c.registrar(ctx, lakeURL)
	if err != nil || reg == nil {
		return nil, closeCat, err
	}
	return reg.RegisterReadings, closeCat, nil
}

// dataflow returns the RunOptions that register a dataflow's tables, or
// nil for 'none'.
func (c *catalogFlags) dataflow(ctx context.Context, lakeURL string) (*dataflow.RunOptions, func() error, error) {
	reg, closeCat, err := c.registrar(ctx, lakeURL)
	if err != nil || reg == nil {
		return nil, closeCat, err
	}
	return &dataflow.RunOptions{Register: reg.RegisterDataflow}, closeCat, nil
}
