package topology_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"

	"github.com/openmda/mda/grid/topology"
)

func TestParseCapacity(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"40MVA", 40000, true},
		{"100kva", 100, true},
		{"500 kVA", 500, true},
		{"1.5MVA", 1500, true},
		{"750VA", 0.75, true},
		{"25", 25, true},
		{"", 0, false},
		{"kva", 0, false},
		{"-5kva", 0, false},
		{"40MW", 0, false},
	}
	for _, tc := range tests {
		got, err := topology.ParseCapacity(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) || (!tc.ok && !math.IsNaN(got)) {
			t.Errorf("ParseCapacity(%q) = %v, %v", tc.in, got, err)
		}
	}
	for _, kva := range []float64{100, 40000, 1500, 0.75} {
		if got, _ := topology.ParseCapacity(topology.FormatCapacity(kva)); got != kva {
			t.Errorf("FormatCapacity(%v) = %q parses as %v", kva, topology.FormatCapacity(kva), got)
		}
	}
}

func TestCoordinateJSON(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{`"47.6101"`, 47.6101, true}, // the guidance's meters
		{`47.6101`, 47.6101, true},   // the guidance's substations
		{`" -122.3 "`, -122.3, true},
		{`""`, math.NaN(), true},
		{`null`, math.NaN(), true},
		{`"north"`, 0, false},
		{`true`, 0, false},
	}
	for _, tc := range tests {
		var c topology.Coordinate
		err := json.Unmarshal([]byte(tc.in), &c)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.in, err)
			continue
		}
		if tc.ok && !(float64(c) == tc.want || math.IsNaN(tc.want) && math.IsNaN(float64(c))) {
			t.Errorf("%s: %v, want %v", tc.in, c, tc.want)
		}
	}
	b, _ := json.Marshal([]topology.Coordinate{47.5, topology.Coordinate(math.NaN())})
	if string(b) != "[47.5,null]" {
		t.Errorf("marshal: %s", b)
	}
}

// guidanceFS is a miniature of the guidance's files, with its bugs: string
// coordinates, a distribution transformer whose id is a substation's, an
// empty voltageControlZoneId, plus broken references.
func guidanceFS() fstest.MapFS {
	return fstest.MapFS{
		"power_grid.json": {Data: []byte(`[{"id":"g","name":"Seattle Main Grid","status":"active","validFrom":"2022-01-01"}]`)},
		"substation.json": {Data: []byte(`[{"id":"S1","name":"Evergreen","status":"active","gridId":"g","locationId":"L-S1"},
			{"id":"S2","name":"Ballard","status":"active","gridId":"g","locationId":"L-S2"}]`)},
		// staged layout: <name>/<name>.json
		"distribution_transformer/distribution_transformer.json": {Data: []byte(`[
			{"id":"S1","substationId":"S1","status":"active","capacity":"40MVA","locationId":"L-S1","voltageControlZoneId":""},
			{"id":"D2","substationId":"S9","status":"active","capacity":"40MVA","locationId":"","voltageControlZoneId":""}]`)},
		"service_transformer.json": {Data: []byte(`[{"id":"T1","distributionTransformerId":"S1","locationId":"","capacity":"100kva"},
			{"id":"T2","distributionTransformerId":"D2","locationId":"","capacity":"lots"}]`)},
		"smart_meter.json": {Data: []byte(`[{"id":"m0","locationId":"L0","serviceTransformerId":"T1"},
			{"id":"m1","locationId":"L1","serviceTransformerId":"T1"},{"id":"m2","locationId":"L2","serviceTransformerId":"T9"}]`)},
		"location.json": {Data: []byte(`[
			{"id":"L0","latitude":"47.61","longitude":"-122.33","address":"1 Pike St","locationType":"meter_servie_location"},
			{"id":"L1","latitude":"47.62","longitude":"-122.34","address":"2 Pike St","locationType":"meter_servie_location"},
			{"id":"L-S1","latitude":47.6,"longitude":-122.3,"address":"","locationType":"substation"},
			{"id":"L-S2","latitude":47.7,"longitude":-122.4,"address":"","locationType":"substation"}]`)},
		"voltage_control_zone.json": {Data: []byte(`[{"id":"z1","name":"LTC_SpaceNeedle_1"},{"id":"z2","name":"Reg_SpaceNeedle_1"}]`)},
	}
}

func TestReadJSONAndCheck(t *testing.T) {
	topo, err := topology.ReadJSON(guidanceFS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	if got := float64(topo.Locations[0].Latitude); got != 47.61 {
		t.Errorf("latitude %v", got)
	}
	if c, ok := topo.CapacityKVA(topology.LevelDistributionTransformer, "S1"); !ok || c != 40000 {
		t.Errorf("DT capacity %v %v", c, ok)
	}
	want := []topology.Issue{
		{Kind: topology.IssueBadCapacity, Table: "service_transformer", ID: "T2", Ref: "lots"},
		{Kind: topology.IssueDuplicateID, Table: "distribution_transformer", ID: "S1", RefTable: "substation", Ref: "S1"},
		{Kind: topology.IssueMissingLocation, Table: "smart_meter", ID: "m2", RefTable: "location", Ref: "L2"},
		{Kind: topology.IssueMissingParent, Table: "distribution_transformer", ID: "D2", RefTable: "substation", Ref: "S9"},
		{Kind: topology.IssueMissingParent, Table: "smart_meter", ID: "m2", RefTable: "service_transformer", Ref: "T9"},
	}
	if diff := cmp.Diff(want, topo.Check()); diff != "" {
		t.Errorf("issues (-want +got):\n%s", diff)
	}
	// Ids are scoped by table: the colliding DT and substation both resolve.
	p, _ := topo.Path("m0")
	if diff := cmp.Diff(topology.Path{Meter: "m0", ServiceTransformer: "T1", DistributionTransformer: "S1", Substation: "S1"}, p); diff != "" {
		t.Errorf("path (-want +got):\n%s", diff)
	}
	if got := topo.MetersUnder(topology.LevelSubstation, "S1"); !cmp.Equal(got, []string{"m0", "m1"}) {
		t.Errorf("meters under S1: %v", got)
	}
	if _, err := topology.ReadJSON(fstest.MapFS{}, "."); !errors.Is(err, topology.ErrNoTopology) {
		t.Errorf("empty source: %v", err)
	}
	bad := guidanceFS()
	bad["smart_meter.json"] = &fstest.MapFile{Data: []byte(`{"id":"m0"}`)}
	if _, err := topology.ReadJSON(bad, "."); err == nil {
		t.Error("an object instead of an array was accepted")
	}
}

func TestRoundTrips(t *testing.T) {
	ctx := context.Background()
	topo, err := topology.ReadJSON(guidanceFS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	opts := cmp.Options{cmpopts.IgnoreUnexported(topology.Topology{}), cmpopts.EquateNaNs()}

	// Parquet, through a lake, twice (the second write replaces the first).
	lake, _ := blob.OpenBucket(ctx, "mem://")
	defer lake.Close()
	if _, err := topology.ReadLake(ctx, lake); !errors.Is(err, topology.ErrNoTopology) {
		t.Errorf("empty lake: %v", err)
	}
	lake.WriteAll(ctx, "topology/smart_meter/stale.parquet", []byte("junk"), nil)
	for range 2 {
		if err := topo.WriteLake(ctx, lake); err != nil {
			t.Fatal(err)
		}
	}
	back, err := topology.ReadLake(ctx, lake)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(topo, back, opts); diff != "" {
		t.Errorf("Parquet round trip (-want +got):\n%s", diff)
	}

	// JSON, through a directory.
	dir := t.TempDir()
	if err := topo.WriteJSONDir(dir); err != nil {
		t.Fatal(err)
	}
	back, err = topology.ReadJSON(os.DirFS(dir), ".")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(topo, back, opts); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	var buf bytes.Buffer
	topo.EncodeJSON(&buf, topology.TableServiceTransformer)
	if want := `{"id":"T1","distributionTransformerId":"S1","locationId":"","capacity":"100kva"}`; !bytes.Contains(buf.Bytes(), []byte(want)) {
		t.Errorf("JSON keys: %s", buf.Bytes())
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]topology.Level{"service": topology.LevelServiceTransformer, "DT": topology.LevelDistributionTransformer,
		"substation": topology.LevelSubstation, "meter": topology.LevelMeter} {
		if got, err := topology.ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := topology.ParseLevel("feeder"); err == nil {
		t.Error("feeder accepted")
	}
}
