package tables_test

import (
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/openmda/mda/tables"
)

// TestAnomalyEventRowSchema: the events table's columns, in order, with
// types Athena and Glue read (string, timestamp in ms, int, double), so
// that a catalog table can declare them.
func TestAnomalyEventRowSchema(t *testing.T) {
	want := []string{
		"meter_id string", "kind string", "start_time timestamp", "end_time timestamp", "resolution_seconds int",
		"consumption double", "yhat double", "yhat_lower double", "yhat_upper double", "importance double", "model string",
	}
	var got []string
	for _, f := range parquet.SchemaOf(new(tables.AnomalyEventRow)).Fields() {
		typ := f.Type()
		var hive string
		var ts *format.TimestampType
		if lt := typ.LogicalType(); lt != nil {
			ts, _ = lt.Value.(*format.TimestampType)
		}
		switch {
		case ts != nil:
			if _, ms := ts.Unit.Value.(*format.MilliSeconds); !ms || !ts.IsAdjustedToUTC {
				t.Errorf("%s: %v, want milliseconds in UTC", f.Name(), ts)
			}
			hive = "timestamp"
		case typ.Kind() == parquet.ByteArray:
			hive = "string"
		case typ.Kind() == parquet.Double:
			hive = "double"
		case typ.Kind() == parquet.Int32:
			hive = "int"
		default:
			hive = typ.String()
		}
		if !f.Required() {
			t.Errorf("%s is optional", f.Name())
		}
		got = append(got, f.Name()+" "+hive)
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("columns\n%s\nwant\n%s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}
