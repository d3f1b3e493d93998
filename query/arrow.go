package query

import (
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/openmda/mda/meter"
)

// Arrow types of the records' columns. Times are UTC timestamps in
// milliseconds, the lake's precision.
var (
	tsType  = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
	strType = arrow.BinaryTypes.String
	f64Type = arrow.PrimitiveTypes.Float64
	i64Type = arrow.PrimitiveTypes.Int64
	i32Type = arrow.PrimitiveTypes.Int32
)

func field(name string, t arrow.DataType, unit string) arrow.Field {
	f := arrow.Field{Name: name, Type: t}
	if unit != "" {
		f.Metadata = arrow.NewMetadata([]string{"unit"}, []string{unit})
	}
	return f
}

// Schemas of the records, one per result type.
var (
	ReadingSchema = arrow.NewSchema([]arrow.Field{
		field("meter_id", strType, ""), field("reading_type", strType, ""), field("reading_date_time", tsType, ""),
		field("reading_value", f64Type, ""), field("reading_source", strType, ""), field("arrival_time", tsType, ""),
		field("quality", strType, ""),
	}, nil)
	EnergySchema = arrow.NewSchema([]arrow.Field{
		field("meter_id", strType, ""), field("start", tsType, ""), field("end", tsType, ""),
		field("kwh", f64Type, "kWh"), field("reads", i64Type, ""), field("interval_seconds", i64Type, "s"),
	}, nil)
	// EnergyEstimatedSchema is EnergySchema with the estimated reads
	// (Filter.Estimate).
	EnergyEstimatedSchema = arrow.NewSchema(append(EnergySchema.Fields(), field("estimated_reads", i64Type, "")), nil)
	VoltageSchema         = arrow.NewSchema([]arrow.Field{
		field("meter_id", strType, ""), field("start", tsType, ""), field("end", tsType, ""),
		field("min", f64Type, "V"), field("avg", f64Type, "V"), field("max", f64Type, "V"), field("reads", i64Type, ""),
	}, nil)
	ForecastSchema = arrow.NewSchema([]arrow.Field{
		field("meter_id", strType, ""), field("model_name", strType, ""), field("forecast_start", tsType, ""),
		field("forecast_time", tsType, ""), field("p10", f64Type, "kWh"), field("p50", f64Type, "kWh"),
		field("p90", f64Type, "kWh"), field("model_version", strType, ""),
	}, nil)
	AnomalySchema = arrow.NewSchema([]arrow.Field{
		field("meter_id", strType, ""), field("day", tsType, ""), field("kind", strType, ""),
		field("consumption", f64Type, "kWh"), field("expected", f64Type, "kWh"), field("lower", f64Type, "kWh"),
		field("upper", f64Type, "kWh"), field("anomaly", i32Type, ""), field("importance", f64Type, ""),
		field("model", strType, ""),
	}, nil)
)

// newRecord builds a record of schema with n rows, calling fill with the
// builder; mem nil means memory.DefaultAllocator.
func newRecord(mem memory.Allocator, schema *arrow.Schema, n int, fill func(b *array.RecordBuilder)) arrow.RecordBatch {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Reserve(n)
	fill(b)
	return b.NewRecordBatch()
}

func ms(b array.Builder) *array.TimestampBuilder { return b.(*array.TimestampBuilder) }
func str(b array.Builder) *array.StringBuilder   { return b.(*array.StringBuilder) }
func f64(b array.Builder) *array.Float64Builder  { return b.(*array.Float64Builder) }
func i64(b array.Builder) *array.Int64Builder    { return b.(*array.Int64Builder) }

// nullable is field for a column that holds null for a missing value.
func nullable(name string, t arrow.DataType, unit string) arrow.Field {
	f := field(name, t, unit)
	f.Nullable = true
	return f
}

// appendOrNull appends v, or null for NaN.
func appendOrNull(b array.Builder, v float64) {
	if math.IsNaN(v) {
		f64(b).AppendNull()
		return
	}
	f64(b).Append(v)
}

// ReadingRecord returns reads as a record of ReadingSchema. The caller
// must Release it.
func ReadingRecord(mem memory.Allocator, rows []meter.Reading) arrow.RecordBatch {
	return newRecord(mem, ReadingSchema, len(rows), func(b *array.RecordBuilder) {
		f := b.Fields()
		for _, r := range rows {
			str(f[0]).Append(r.MeterID)
			str(f[1]).Append(string(r.Type))
			ms(f[2]).Append(arrow.Timestamp(r.Time.UnixMilli()))
			f64(f[3]).Append(r.Value)
			str(f[4]).Append(r.Source)
			ms(f[5]).Append(arrow.Timestamp(r.Arrival.UnixMilli()))
			str(f[6]).Append(r.Quality.String())
		}
	})
}

// EnergyRecord returns energy rows as a record of EnergySchema. The caller
// must Release it.
func EnergyRecord(mem memory.Allocator, rows []Energy) arrow.RecordBatch {
	return energyRecord(mem, rows, EnergySchema)
}

// EnergyEstimatedRecord returns energy rows as a record of
// EnergyEstimatedSchema. The caller must Release it.
func EnergyEstimatedRecord(mem memory.Allocator, rows []Energy) arrow.RecordBatch {
	return energyRecord(mem, rows, EnergyEstimatedSchema)
}

func energyRecord(mem memory.Allocator, rows []Energy, schema *arrow.Schema) arrow.RecordBatch {
	return newRecord(mem, schema, len(rows), func(b *array.RecordBuilder) {
		f := b.Fields()
		for _, r := range rows {
			str(f[0]).Append(r.MeterID)
			ms(f[1]).Append(arrow.Timestamp(r.Start.UnixMilli()))
			ms(f[2]).Append(arrow.Timestamp(r.End.UnixMilli()))
			f64(f[3]).Append(r.KWh)
			i64(f[4]).Append(int64(r.Reads))
			i64(f[5]).Append(int64(r.Interval.Seconds()))
			if len(f) > 6 {
				i64(f[6]).Append(int64(r.Estimated))
			}
		}
	})
}

// VoltageRecord returns voltage rows as a record of VoltageSchema. The
// caller must Release it.
func VoltageRecord(mem memory.Allocator, rows []Voltage) arrow.RecordBatch {
	return newRecord(mem, VoltageSchema, len(rows), func(b *array.RecordBuilder) {
		f := b.Fields()
		for _, r := range rows {
			str(f[0]).Append(r.MeterID)
			ms(f[1]).Append(arrow.Timestamp(r.Start.UnixMilli()))
			ms(f[2]).Append(arrow.Timestamp(r.End.UnixMilli()))
			f64(f[3]).Append(r.Min)
			f64(f[4]).Append(r.Avg)
			f64(f[5]).Append(r.Max)
			i64(f[6]).Append(int64(r.Reads))
		}
	})
}

// ForecastRecord returns forecast steps as a record of ForecastSchema. The
// caller must Release it.
func ForecastRecord(mem memory.Allocator, rows []Forecast) arrow.RecordBatch {
	return newRecord(mem, ForecastSchema, len(rows), func(b *array.RecordBuilder) {
		f := b.Fields()
		for _, r := range rows {
			str(f[0]).Append(r.MeterID)
			str(f[1]).Append(r.Model)
			ms(f[2]).Append(arrow.Timestamp(r.Start.UnixMilli()))
			ms(f[3]).Append(arrow.Timestamp(r.Time.UnixMilli()))
			f64(f[4]).Append(r.P10)
			f64(f[5]).Append(r.P50)
			f64(f[6]).Append(r.P90)
			str(f[7]).Append(r.ModelVersion)
		}
	})
}

// AnomalyRecord returns anomaly scores as a record of AnomalySchema. The
// caller must Release it.
func AnomalyRecord(mem memory.Allocator, rows []Anomaly) arrow.RecordBatch {
	return newRecord(mem, AnomalySchema, len(rows), func(b *array.RecordBuilder) {
		f := b.Fields()
		for _, r := range rows {
			str(f[0]).Append(r.MeterID)
			ms(f[1]).Append(arrow.Timestamp(r.Day.UnixMilli()))
			str(f[2]).Append(r.Kind())
			f64(f[3]).Append(r.Consumption)
			f64(f[4]).Append(r.Expected)
			f64(f[5]).Append(r.Lower)
			f64(f[6]).Append(r.Upper)
			f[7].(*array.Int32Builder).Append(r.Flag)
			f64(f[8]).Append(r.Importance)
			str(f[9]).Append(r.Model)
		}
	})
}

// IPCContentType is the media type of an Arrow IPC stream.
const IPCContentType = "application/vnd.apache.arrow.stream"

// WriteIPCStream writes rec to w as an Arrow IPC stream: the schema, the
// record batch and the end-of-stream marker.
func WriteIPCStream(w io.Writer, rec arrow.RecordBatch) error {
	iw := ipc.NewWriter(w, ipc.WithSchema(rec.Schema()))
	if err := iw.Write(rec); err != nil {
		iw.Close()
		return fmt.Errorf("query: writing Arrow IPC stream: %w", err)
	}
	if err := iw.Close(); err != nil {
		return fmt.Errorf("query: writing Arrow IPC stream: %w", err)
	}
	return nil
}

// MeterSchema is the schema of a list of meters.
var MeterSchema = arrow.NewSchema([]arrow.Field{field("meter_id", strType, "")}, nil)

// MeterRecord returns meter ids as a record of MeterSchema. The caller must
// Release it.
func MeterRecord(mem memory.Allocator, ids []string) arrow.RecordBatch {
	return newRecord(mem, MeterSchema, len(ids), func(b *array.RecordBuilder) {
		str(b.Field(0)).AppendValues(ids, nil)
	})
}
