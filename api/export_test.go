package api_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/openmda/mda"
	"github.com/openmda/mda/api"
	"github.com/openmda/mda/meter"
)

// TestConsumptionExport: direction=export sums a meter's kwh_export reads
// (the NEM12 sample's B1 channel, a rooftop solar export), which the
// default, imported energy, leaves out; estimates are refused for it.
func TestConsumptionExport(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join("..", "meter", "testdata", "nem12-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := mda.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	lake, err := mda.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	defer lake.Close()
	if err := in.WriteAll(ctx, "nem12.csv", data, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := mda.Ingest(ctx, lake, in, "nem12.csv", nil); err != nil {
		t.Fatal(err)
	}
	reads, err := meter.ReadAll(meter.NewNEM12Reader(bytes.NewReader(data), nil))
	if err != nil {
		t.Fatal(err)
	}
	var want float64
	for _, r := range reads {
		if r.MeterID == "NMI0000001-B1" && r.Type == meter.TypeKWhExport {
			want += r.Value
		}
	}
	if want == 0 {
		t.Fatal("the sample has no export")
	}
	h := api.New(lake, nil)
	const rng = "?reading_date_from=20240301&reading_date_to=20240310&period=month"
	got := decode[api.Consumption](t, get(h, "/consumption/NMI0000001-B1"+rng+"&direction=export"))
	var sum float64
	for _, e := range got.Data {
		sum += float64(e.KWh)
	}
	if got.Direction != "export" || math.Abs(sum-want) > 1e-9 {
		t.Errorf("export: direction %q, %v kWh; want export, %v kWh", got.Direction, sum, want)
	}
	// Imported energy of the export channel: none.
	if w := get(h, "/consumption/NMI0000001-B1"+rng); w.Code == 200 {
		if imp := decode[api.Consumption](t, w); len(imp.Data) != 0 || imp.Direction != "" {
			t.Errorf("import of the export channel: %+v", imp)
		}
	}
	for _, q := range []string{"&direction=export&estimate=true", "&direction=sideways"} {
		if w := get(h, "/consumption/NMI0000001-B1"+rng+q); w.Code != 400 {
			t.Errorf("%s: status %d, want 400", q, w.Code)
		}
	}
}
