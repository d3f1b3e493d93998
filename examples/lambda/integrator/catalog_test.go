package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/examples/lambda/internal/lambdatest"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/simulator"
)

// TestIntegratorCatalog: with MDA_CATALOG_URL set (here a manifest
// catalog in a directory, as the template sets a Glue one), the
// integrator creates the database and the readings table on its first
// run, even with nothing to integrate, and registers every partition it
// compacts, at the lake's S3 location.
func TestIntegratorCatalog(t *testing.T) {
	ctx := context.Background()
	env := lambdatest.New(t)
	catURL := "file://" + filepath.ToSlash(t.TempDir())
	env.Vars["MDA_CATALOG_URL"] = catURL
	env.Vars["LOCK_WAIT"] = "200ms"
	h, err := handler.NewIntegrator(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "debug"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.OpenCatalog(ctx, catURL)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	event := lambdatest.Testdata(t, "scheduled-event.json")
	invoke := func() handler.IntegratorResult {
		t.Helper()
		out, err := lambdatest.Invoke(ctx, h.Handle, event)
		if err != nil {
			t.Fatal(err)
		}
		var res handler.IntegratorResult
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("response %s: %v", out, err)
		}
		return res
	}

	// Nothing staged: the table is created, empty.
	if res := invoke(); res.Partitions != 0 || res.Registered != 0 {
		t.Errorf("empty run: %+v", res)
	}
	tbl, err := cat.GetTable(ctx, catalog.DatabaseIntegrated, catalog.ReadingsTableName)
	if err != nil {
		t.Fatalf("the first run did not create the readings table: %v", err)
	}
	if want := "s3://" + lambdatest.LakeBucket + "/readings/"; tbl.Location != want {
		t.Errorf("table location %q, want %q", tbl.Location, want)
	}

	csv, _ := lambdatest.CSV(t, simulator.Options{Meters: 3, Days: 1, Seed: 9})
	env.Stage(t, "data/landing/hes-2024-03-01.csv", csv, &ranges.SplitOptions{Ranges: 3})
	res := invoke()
	if res.Partitions != 6*25 || res.Registered != res.Partitions { // a day's reads end 00:15 to 24:00: 25 hours
		t.Errorf("run: %+v; want %d partitions, all registered", res, 6*25)
	}
	ps, err := cat.ListPartitions(ctx, catalog.DatabaseIntegrated, catalog.ReadingsTableName, nil)
	if err != nil {
		t.Fatal(err)
	}
	lake, err := partition.Partitions(ctx, env.Lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != len(lake) || len(ps) != 6*25 {
		t.Fatalf("%d partitions registered, %d in the lake, want %d", len(ps), len(lake), 6*25)
	}
	for i, k := range lake {
		if want := tbl.Location + strings.TrimPrefix(k.Path(), partition.Prefix); ps[i].Location != want {
			t.Errorf("partition %d at %q, want %q", i, ps[i].Location, want)
		}
	}
	if res := invoke(); res.Registered != 0 {
		t.Errorf("a run with nothing new registered %d partitions", res.Registered)
	}
}

func TestIntegratorCatalogConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"unknown scheme", map[string]string{"LAKE_URL": "mem://", "MDA_CATALOG_URL": "nope://x"}, "MDA_CATALOG_URL"},
		{"bad location", map[string]string{"LAKE_URL": "mem://", "MDA_CATALOG_URL": "mem://", "MDA_CATALOG_LOCATION": "bucket"}, "MDA_CATALOG_LOCATION"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := handler.NewIntegrator(context.Background(), lambdaenv.New(lambdaenv.Map(tc.vars)), lambdaenv.Logger(t.Output(), ""))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// "none", as unset, registers nothing.
	h, err := handler.NewIntegrator(context.Background(), lambdaenv.New(lambdaenv.Map(map[string]string{"LAKE_URL": "mem://", "MDA_CATALOG_URL": "none"})),
		lambdaenv.Logger(t.Output(), ""))
	if err != nil || h.Registrar != nil {
		t.Errorf("MDA_CATALOG_URL=none: %v, registrar %v", err, h.Registrar)
	}
}
