package catalog_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/tables"
)

// hiveType names the Hive type of a Parquet leaf as the writers of package
// tables produce them.
func hiveType(t *testing.T, n parquet.Node) string {
	t.Helper()
	typ := n.Type()
	switch {
	case typ.LogicalType() != nil && isTimestamp(typ.LogicalType().Value):
		return "timestamp"
	case typ.Kind() == parquet.ByteArray:
		return "string"
	case typ.Kind() == parquet.Double:
		return "double"
	case typ.Kind() == parquet.Int32:
		return "int"
	case typ.Kind() == parquet.Int64:
		return "bigint"
	}
	t.Fatalf("no Hive type for %v", typ)
	return ""
}

func isTimestamp(v format.LogicalTypeValue) bool {
	_, ok := v.(*format.TimestampType)
	return ok
}

// TestTablesMatchTheirWriters: the catalog's columns are the columns the
// jobs write, in order, with matching types.
func TestTablesMatchTheirWriters(t *testing.T) {
	topo := map[string]*catalog.Table{}
	for _, tb := range catalog.TopologyTables("s3://lake/") {
		topo[tb.Name] = tb
	}
	tests := []struct {
		table  *catalog.Table
		schema *parquet.Schema
	}{
		{catalog.ForecastResultsTable("s3://lake/"), parquet.SchemaOf(new(tables.ForecastRow))},
		{catalog.AnomalyResultsTable("s3://lake/"), parquet.SchemaOf(new(tables.AnomalyRow))},
		{catalog.AnomalyEventsTable("s3://lake/"), parquet.SchemaOf(new(tables.AnomalyEventRow))},
		{catalog.WeatherTable("s3://lake/"), parquet.SchemaOf(new(tables.WeatherRow))},
		{topo[catalog.TopologyTablePrefix+"service_transformer"], parquet.SchemaOf(new(topology.ServiceTransformer))},
		{topo[catalog.TopologyTablePrefix+"smart_meter"], parquet.SchemaOf(new(topology.SmartMeter))},
	}
	for _, tt := range tests {
		t.Run(tt.table.Name, func(t *testing.T) {
			var want, got []catalog.Column
			for _, f := range tt.schema.Fields() {
				want = append(want, catalog.Column{Name: f.Name(), Type: hiveType(t, f)})
			}
			for _, c := range tt.table.Columns {
				got = append(got, catalog.Column{Name: c.Name, Type: c.Type})
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("catalog columns differ from the writer's schema (-writer +catalog):\n%s", diff)
			}
		})
	}
}
