package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/examples/lambda/internal/lambdatest"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/simulator"
)

// TestLateCatalog: with MDA_CATALOG_URL set (here a manifest catalog in a
// directory, as the integrator's test does), the late-read function
// registers exactly the partitions it re-integrates, at the lake's S3
// location, creating the readings table; the events it cannot handle
// register nothing.
func TestLateCatalog(t *testing.T) {
	ctx := context.Background()
	env := lambdatest.New(t)
	csv, _ := lambdatest.CSV(t, simulator.Options{Meters: meters, Days: 1, Seed: 5})
	env.Stage(t, "data/landing/hes-2024-03-02.csv", csv, nil)
	catURL := "file://" + filepath.ToSlash(t.TempDir())
	env.Vars["MDA_CATALOG_URL"] = catURL
	env.Vars["LOCK_WAIT"] = "200ms"
	h, err := handler.NewLate(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "debug"))
	if err != nil {
		t.Fatal(err)
	}
	if h.Registrar == nil {
		t.Fatal("MDA_CATALOG_URL set, no Registrar")
	}
	out, err := lambdatest.Invoke(ctx, h.Handle, lambdatest.Testdata(t, "sqs-late-events.json"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{noPar, badPa}, lambdatest.Failures(t, out)); diff != "" {
		t.Errorf("failed messages (-want +got):\n%s", diff)
	}
	cat, err := catalog.OpenCatalog(ctx, catURL)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	ps, err := cat.ListPartitions(ctx, catalog.DatabaseIntegrated, catalog.ReadingsTableName, nil)
	if err != nil {
		t.Fatalf("the readings table: %v", err)
	}
	var want []catalog.Partition
	for _, p := range []string{part0, part1} {
		k, err := partition.ParseKey(p)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, catalog.Partition{Values: catalog.ReadingsValues(k), Location: "s3://" + lambdatest.LakeBucket + "/" + p})
	}
	if diff := cmp.Diff(want, ps); diff != "" {
		t.Errorf("registered partitions (-want +got):\n%s", diff)
	}
}

func TestLateCatalogConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"unknown scheme", map[string]string{"LAKE_URL": "mem://", "MDA_CATALOG_URL": "nope://x"}, "MDA_CATALOG_URL"},
		{"bad location", map[string]string{"LAKE_URL": "mem://", "MDA_CATALOG_URL": "mem://", "MDA_CATALOG_LOCATION": "bucket"}, "MDA_CATALOG_LOCATION"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := handler.NewLate(context.Background(), lambdaenv.New(lambdaenv.Map(tc.vars)), lambdaenv.Logger(t.Output(), ""))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// "none", as unset, registers nothing.
	for _, vars := range []map[string]string{{"LAKE_URL": "mem://", "MDA_CATALOG_URL": "none"}, {"LAKE_URL": "mem://"}} {
		h, err := handler.NewLate(context.Background(), lambdaenv.New(lambdaenv.Map(vars)), lambdaenv.Logger(t.Output(), ""))
		if err != nil || h.Registrar != nil {
			t.Errorf("%v: %v, registrar %v", vars, err, h.Registrar)
		}
	}
}
