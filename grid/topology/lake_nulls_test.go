package topology_test

import (
	"bytes"
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"

	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/tables"
)

// TestWriteLakeNulls: missing coordinates and capacities (NaN) are NULL in
// the lake's files, read with Apache Arrow's reader, and 0° is 0, not
// NULL; the files keep the records' columns, in order, with their types;
// ReadLake reads NULL, and NaN of files written before, as NaN.
func TestWriteLakeNulls(t *testing.T) {
	ctx := context.Background()
	nan := math.NaN()
	topo := &topology.Topology{
		DistributionTransformers: []topology.DistributionTransformer{{ID: "D1", Capacity: "40MVA"}, {ID: "D2", Capacity: "?"}},
		ServiceTransformers:      []topology.ServiceTransformer{{ID: "T1", Capacity: "0kva"}, {ID: "T2", Capacity: "lots"}},
		SmartMeters:              []topology.SmartMeter{{ID: "m0", LocationID: "L0", ServiceTransformerID: "T1"}},
		Locations: []topology.Location{{ID: "L0", Latitude: 0, Longitude: 0}, {ID: "L1", Latitude: topology.Coordinate(nan), Longitude: -122.3},
			{ID: "L2", Latitude: 47.6, Longitude: topology.Coordinate(nan)}},
	}
	topo.Normalize()
	lake, _ := blob.OpenBucket(ctx, "mem://")
	defer lake.Close()
	if err := topo.WriteLake(ctx, lake); err != nil {
		t.Fatal(err)
	}
	read := func(table string) []byte {
		t.Helper()
		data, err := lake.ReadAll(ctx, tables.TopologyDir(table)+topology.FileName(table))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	for _, tc := range []struct {
		table  string
		record any
		cols   map[string]string // nullable column: values
	}{
		{topology.TableDistributionTransformer, new(topology.DistributionTransformer), map[string]string{"capacity_kva": "40000 null"}},
		{topology.TableServiceTransformer, new(topology.ServiceTransformer), map[string]string{"capacity_kva": "0 null"}},
		{topology.TableLocation, new(topology.Location), map[string]string{"latitude": "0 null 47.6", "longitude": "0 -122.3 null"}},
	} {
		data := read(tc.table)
		// parquet-go: the file's columns are the record's, optional where
		// values may be missing.
		pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		want, got := parquet.SchemaOf(tc.record).Fields(), pf.Schema().Fields()
		if len(got) != len(want) {
			t.Fatalf("%s: %d columns, the record has %d", tc.table, len(got), len(want))
		}
		for i, f := range got {
			_, nullable := tc.cols[f.Name()]
			if f.Name() != want[i].Name() || f.Type().Kind() != want[i].Type().Kind() || f.Optional() != nullable {
				t.Errorf("%s column %d: %s %v optional %v, want %s %v optional %v", tc.table, i, f.Name(), f.Type(),
					f.Optional(), want[i].Name(), want[i].Type(), nullable)
			}
		}
		// Arrow: NULL where missing, 0 where 0.
		rdr, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := fr.ReadTable(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range tbl.Schema().Fields() {
			wantVals, nullable := tc.cols[f.Name]
			if f.Nullable != nullable {
				t.Errorf("%s.%s: nullable %v, want %v", tc.table, f.Name, f.Nullable, nullable)
			}
			if !nullable {
				continue
			}
			var vals []string
			for _, chunk := range tbl.Column(i).Data().Chunks() {
				a := chunk.(*array.Float64)
				for k := range a.Len() {
					if a.IsNull(k) {
						vals = append(vals, "null")
					} else {
						vals = append(vals, strconv.FormatFloat(a.Value(k), 'g', -1, 64))
					}
				}
			}
			if got := strings.Join(vals, " "); got != wantVals || f.Type.ID() != arrow.FLOAT64 {
				t.Errorf("%s.%s: %s %v, want %s double", tc.table, f.Name, got, f.Type, wantVals)
			}
		}
		tbl.Release()
		rdr.Close()
	}

	back, err := topology.ReadLake(ctx, lake)
	if err != nil {
		t.Fatal(err)
	}
	l := back.Locations
	if len(l) != 3 || l[0].Latitude != 0 || math.IsNaN(float64(l[0].Latitude)) || !math.IsNaN(float64(l[1].Latitude)) ||
		l[1].Longitude != -122.3 || !math.IsNaN(float64(l[2].Longitude)) {
		t.Errorf("locations read back: %+v", l)
	}
	if s := back.ServiceTransformers; len(s) != 2 || s[0].CapacityKVA != 0 || !math.IsNaN(s[1].CapacityKVA) {
		t.Errorf("service transformers read back: %+v", s)
	}

	// A location file as written when coordinates were required and NaN.
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[topology.Location](&buf)
	if _, err := w.Write(topo.Locations); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	key := tables.TopologyDir(topology.TableLocation) + topology.FileName(topology.TableLocation)
	if err := lake.WriteAll(ctx, key, buf.Bytes(), nil); err != nil {
		t.Fatal(err)
	}
	back, err = topology.ReadLake(ctx, lake)
	if err != nil {
		t.Fatal(err)
	}
	if l := back.Locations; len(l) != 3 || l[0].Latitude != 0 || !math.IsNaN(float64(l[1].Latitude)) || !math.IsNaN(float64(l[2].Longitude)) {
		t.Errorf("legacy locations read back: %+v", l)
	}
}
