package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/openmda/mda"
	"github.com/openmda/mda/catalog"
	_ "github.com/openmda/mda/catalog/gluecat"  // glue:// catalogs
	_ "github.com/openmda/mda/catalog/localcat" // mem://, file://, s3:// catalogs
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

// runCatalog dispatches "mda catalog SUBCOMMAND": sync registers the lake's
// partitions in a catalog, ddl prints Athena DDL for the guidance's tables.
func runCatalog(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "catalog", []command{
		{"sync", "register the lake's readings partitions in a catalog (like MSCK REPAIR TABLE)", runCatalogSync},
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
	database := fs.String("database", "", "database of the readings table; default: the catalog URL's, else "+catalog.DatabaseIntegrated)
	location := fs.String("location", "", "the lake's root as query engines see it, e.g. s3://bucket/; default: derived from --lake")
	drop := fs.Bool("drop", false, "also drop catalog partitions that are no longer in the lake")
	dryRun := fs.Bool("dry-run", false, "print what would change, change nothing")
	types := fs.String("type", "all", "reading types to sync, comma-separated, or 'all'")
	from := fs.String("from", "", "first day YYYY-MM-DD, or an RFC 3339 instant (inclusive)")
	to := fs.String("to", "", "last day YYYY-MM-DD (inclusive), or an RFC 3339 instant (exclusive)")
	verbose := fs.Bool("v", false, "list the partitions added and dropped")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
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
	loc := *location
	if loc == "" {
		if loc, err = lakeLocation(*lakeURL); err != nil {
			return err
		}
	} else if !strings.HasSuffix(loc, "/") {
		loc += "/"
	}
	if *catURL == "" {
		*catURL = *lakeURL
	}
	lake, err := mda.OpenBucket(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer lake.Close()
	cat, err := catalog.OpenCatalog(ctx, *catURL)
	if err != nil {
		return err
	}
	defer cat.Close()
	db := *database
	if db == "" {
		db = cat.DefaultDatabase()
	}
	st, err := catalog.SyncReadings(ctx, cat, lake, db, loc, &catalog.SyncOptions{Filter: f, Drop: *drop, DryRun: *dryRun})
	if err != nil {
		return err
	}
	if *verbose {
		for _, k := range st.Added {
			fmt.Fprintf(stdout, "+ %s\n", k.Path())
		}
		for _, k := range st.Dropped {
			fmt.Fprintf(stdout, "- %s\n", k.Path())
		}
	}
	verb := "added"
	if *dryRun {
		verb = "would add"
	}
	fmt.Fprintf(stdout, "%s.%s at %s: %d partitions in the lake, %d in the catalog; %s %d",
		db, catalog.ReadingsTableName, loc, st.Lake, st.Catalog, verb, len(st.Added))
	if *drop {
		fmt.Fprintf(stdout, ", dropped %d", len(st.Dropped))
	}
	fmt.Fprintln(stdout)
	return nil
}

// lakeLocation derives the lake's root location, as engines name it, from
// its bucket URL: s3://bucket?region=x&prefix=p/ gives s3://bucket/p/, and
// a file URL the absolute directory.
func lakeLocation(lakeURL string) (string, error) {
	u, err := url.Parse(lakeURL)
	if err != nil {
		return "", fmt.Errorf("--lake: %w", err)
	}
	var loc string
	switch u.Scheme {
	case "":
		return "", fmt.Errorf("--lake %q has no scheme", lakeURL)
	case "file":
		p := u.Path
		if u.Host == "." {
			p = strings.TrimPrefix(p, "/")
		}
		abs, err := filepath.Abs(filepath.FromSlash(p))
		if err != nil {
			return "", err
		}
		loc = "file://" + filepath.ToSlash(abs)
		if !strings.HasPrefix(loc, "file:///") { // Windows: file:///C:/...
			loc = "file:///" + strings.TrimPrefix(loc, "file://")
		}
	default:
		loc = u.Scheme + "://" + u.Host + u.Path
	}
	if !strings.HasSuffix(loc, "/") {
		loc += "/"
	}
	if p := u.Query().Get("prefix"); p != "" {
		loc += strings.TrimPrefix(p, "/")
		if !strings.HasSuffix(loc, "/") {
			loc += "/"
		}
	}
	return loc, nil
}

func runCatalogDDL(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("catalog ddl", "[--lake-location s3://bucket/] [--projection] [flags]", stderr)
	lakeLoc := fs.String("lake-location", "s3://your-lake-bucket/", "the lake's root location")
	mlLoc := fs.String("ml-location", "", "the root of the ML results bucket; default: --lake-location")
	projection := fs.Bool("projection", false, "add Athena partition projection, so that no partitions need registering")
	years := fs.String("years", "", "with --projection: the projected years of the readings table, FIRST,LAST (default 2000,2099)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	opts := &catalog.DDLOptions{Projection: *projection}
	if *years != "" {
		var lo, hi int
		if n, err := fmt.Sscanf(*years, "%d,%d", &lo, &hi); err != nil || n != 2 || lo < 1 || hi > 9999 || lo > hi {
			return fmt.Errorf("--years: want FIRST,LAST between 1 and 9999, got %q", *years)
		}
		opts.ProjectionProperties = map[string]string{"projection.year.range": fmt.Sprintf("%d,%d", lo, hi)}
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

// catalogFlags are the flags with which ingest and integrate register the
// partitions they write.
type catalogFlags struct {
	url, database, location string
}

func (c *catalogFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.url, "catalog", "", "catalog to register new partitions in: glue://[DATABASE]?region=..., a bucket URL for a\nJSON manifest catalog, or 'none'; default: a manifest catalog in the lake's bucket")
	fs.StringVar(&c.database, "database", "", "database of the readings table; default: the catalog URL's, else "+catalog.DatabaseIntegrated)
	fs.StringVar(&c.location, "location", "", "the lake's root as query engines see it, e.g. s3://bucket/; default: derived from --lake")
}

// open returns the function that registers partitions, or nil for 'none'.
func (c *catalogFlags) open(ctx context.Context, lakeURL string) (func(context.Context, []partition.Key) error, func() error, error) {
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
	} else if !strings.HasSuffix(loc, "/") {
		loc += "/"
	}
	cat, err := catalog.OpenCatalog(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	db := c.database
	if db == "" {
		db = cat.DefaultDatabase()
	}
	reg := func(ctx context.Context, keys []partition.Key) error {
		return catalog.RegisterReadings(ctx, cat, db, loc, keys)
	}
	return reg, cat.Close, nil
}
