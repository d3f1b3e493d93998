package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/openmda/mda"
	"github.com/openmda/mda/grid"
	"github.com/openmda/mda/grid/topology"
)

// TestCLIGridVoltVarDefaultsToLatestHour: without --at, grid voltvar
// averages the lake's latest complete hour of voltage reads (the demo's
// day ends at midnight), as the /voltvar route does, not the hour before
// now, which a lake of history has no reads for.
func TestCLIGridVoltVarDefaultsToLatestHour(t *testing.T) {
	ctx := context.Background()
	lake := "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "lake"))
	if code, out, errs := runCLI(t, "demo", "--lake", lake, "--meters", "12", "--days", "1", "--quiet", "--catalog", "none"); code != 0 {
		t.Fatalf("demo: exit %d: %s%s", code, out, errs)
	}
	b, err := mda.OpenBucket(ctx, lake)
	if err != nil {
		t.Fatal(err)
	}
	topo, err := topology.ReadLake(ctx, b)
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	dt := topo.DistributionTransformers[0].ID
	code, out, errs := runCLI(t, "grid", "voltvar", "--lake", lake, "--transformer", dt, "--format", "json")
	if code != 0 {
		t.Fatalf("grid voltvar: exit %d: %s%s", code, out, errs)
	}
	var res grid.VoltVarResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if want := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC); !res.To.Equal(want) || res.Reads == 0 {
		t.Errorf("voltvar without --at: %+v, want the hour ending %v", res, want)
	}
}
