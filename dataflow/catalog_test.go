package dataflow_test

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"

	"github.com/openmda/mda/catalog"
	_ "github.com/openmda/mda/catalog/localcat"
	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/simulator"
)

// TestRegisterInCatalog runs the weather and topology flows with the
// catalog's RegisterFunc: their tables are created in the catalog and the
// weather days registered, as the flows' Written says.
func TestRegisterInCatalog(t *testing.T) {
	ctx := context.Background()
	lake, _ := blob.OpenBucket(ctx, "mem://")
	defer lake.Close()
	cat, err := catalog.OpenCatalog(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	register, err := catalog.DataflowRegister(cat, "s3://lake/", nil)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := simulator.New(&simulator.Options{Meters: 3, Days: 2, Seed: 1})
	d1 := simulator.DefaultStart
	src := fstest.MapFS{"w.csv": {Data: weatherCSV(t, g, d1, d1.Add(48*time.Hour))}}
	if err := dataflow.Run(ctx, dataflow.NewWeatherFlow(&dataflow.WeatherOptions{Station: "sim"}), src, lake,
		&dataflow.RunOptions{Register: register}); err != nil {
		t.Fatal(err)
	}
	topo, err := g.Topology(nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := topo.WriteJSONDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := dataflow.Run(ctx, dataflow.NewTopologyFlow(&dataflow.TopologyOptions{SkipReadsCheck: true}), osDirFS(dir), lake,
		&dataflow.RunOptions{Register: register}); err != nil {
		t.Fatal(err)
	}

	ps, err := cat.ListPartitions(ctx, catalog.DatabaseIntegrated, catalog.WeatherTableName, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []catalog.Partition{
		{Values: []string{"2024-03-01"}, Location: "s3://lake/weather/date=2024-03-01/"},
		{Values: []string{"2024-03-02"}, Location: "s3://lake/weather/date=2024-03-02/"},
	}
	if diff := cmp.Diff(want, ps); diff != "" {
		t.Errorf("weather partitions (-want +got):\n%s", diff)
	}
	for _, name := range topology.TableNames {
		tb, err := cat.GetTable(ctx, catalog.DatabaseIntegrated, catalog.TopologyTablePrefix+name)
		if err != nil {
			t.Errorf("topology table %s: %v", name, err)
			continue
		}
		if want := "s3://lake/topology/" + name + "/"; tb.Location != want {
			t.Errorf("%s at %q, want %q", name, tb.Location, want)
		}
	}
}
