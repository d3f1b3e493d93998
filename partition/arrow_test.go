package partition

// An independent reader: Apache Arrow's Go implementation of Parquet (a
// port of the C++ library that pyarrow, and through it much of the Python
// ecosystem, uses) reads the files back. It checks the schema that Athena,
// Glue and Spark see, the statistics and bloom filter they prune with, and
// the values.

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	apq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"
	gocmp "github.com/google/go-cmp/cmp"
	"github.com/openmda/mda/meter"
)

func TestArrowReadsFiles(t *testing.T) {
	ctx := context.Background()
	hour := hourOf("2024-03-01T10:00:00Z")
	k := Key{meter.TypeKW, hour}
	reads := testReads([]meter.Type{meter.TypeKW}, 500, hour, 1, 11)
	want := scanOrder(reads)
	for _, tc := range []struct {
		opts  *WriterOptions
		codec compress.Compression
	}{
		{nil, compress.Codecs.Zstd},
		{&WriterOptions{Compression: "snappy", RowGroupRows: 300}, compress.Codecs.Snappy},
		{&WriterOptions{Compression: "none"}, compress.Codecs.Uncompressed},
	} {
		t.Run(fmt.Sprintf("%+v", tc.opts), func(t *testing.T) {
			b := openBucket(t, "mem://")
			info, err := WriteFile(ctx, b, k, "x", reads, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			data, err := b.ReadAll(ctx, info.Path)
			if err != nil {
				t.Fatal(err)
			}
			rdr, err := file.NewParquetReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			defer rdr.Close()

			// The Parquet schema.
			type col struct {
				Name     string
				Physical apq.Type
				Logical  string
				Required bool
			}
			sch := rdr.MetaData().Schema
			var got []col
			for i := range sch.NumColumns() {
				c := sch.Column(i)
				got = append(got, col{c.Name(), c.PhysicalType(), c.LogicalType().String(), c.SchemaNode().RepetitionType() == apq.Repetitions.Required})
			}
			ts := schema.NewTimestampLogicalType(true, schema.TimeUnitMillis).String()
			str := schema.StringLogicalType{}.String()
			wantCols := []col{
				{"meter_id", apq.Types.ByteArray, str, true},
				{"reading_value", apq.Types.Double, schema.NoLogicalType{}.String(), true},
				{"reading_date_time", apq.Types.Int64, ts, true},
				{"reading_source", apq.Types.ByteArray, str, true},
				{"arrival_time", apq.Types.Int64, ts, true},
				{"quality", apq.Types.ByteArray, str, true},
			}
			if diff := gocmp.Diff(wantCols, got); diff != "" {
				t.Fatalf("schema (-want +got):\n%s", diff)
			}
			for _, i := range []int{2, 4} {
				lt := sch.Column(i).LogicalType().(schema.TimestampLogicalType)
				if !lt.IsAdjustedToUTC() || lt.TimeUnit() != schema.TimeUnitMillis {
					t.Errorf("column %d: %v", i, lt)
				}
			}
			if rdr.NumRows() != int64(len(reads)) {
				t.Fatalf("NumRows = %d", rdr.NumRows())
			}

			// Row groups: compression, dictionary encoding of meter_id,
			// statistics, and a bloom filter that Arrow's hashing agrees with.
			wantGroups := 1
			if tc.opts != nil && tc.opts.RowGroupRows > 0 {
				wantGroups = (len(reads) + tc.opts.RowGroupRows - 1) / tc.opts.RowGroupRows
			}
			if rdr.NumRowGroups() != wantGroups {
				t.Fatalf("%d row groups, want %d", rdr.NumRowGroups(), wantGroups)
			}
			bloom := rdr.GetBloomFilterReader()
			row := 0
			for g := range rdr.NumRowGroups() {
				rg := rdr.MetaData().RowGroup(g)
				n := int(rg.NumRows())
				for c := range rg.NumColumns() {
					cc, err := rg.ColumnChunk(c)
					if err != nil {
						t.Fatal(err)
					}
					if cc.Compression() != tc.codec {
						t.Errorf("column %d: compression %v", c, cc.Compression())
					}
					if ok, err := cc.StatsSet(); !ok || err != nil {
						t.Errorf("column %d: no statistics (%v)", c, err)
					}
				}
				cc, _ := rg.ColumnChunk(0)
				// meter_id is DELTA_BYTE_ARRAY (see encode.go): a one-meter query then
				// decodes one small page, not a dictionary of every meter.
				if cc.HasDictionaryPage() {
					t.Errorf("meter_id is dictionary-encoded")
				}
				stats, err := cc.Statistics()
				if err != nil {
					t.Fatal(err)
				}
				bs := stats.(*metadata.ByteArrayStatistics)
				if string(bs.Min()) != want[row].MeterID || string(bs.Max()) != want[row+n-1].MeterID {
					t.Errorf("meter_id min, max = %s, %s", bs.Min(), bs.Max())
				}
				rgb, err := bloom.RowGroup(g)
				if err != nil {
					t.Fatal(err)
				}
				bf, err := rgb.GetColumnBloomFilter(0)
				if err != nil || bf == nil {
					t.Fatalf("no bloom filter for meter_id: %v", err)
				}
				typed := metadata.TypedBloomFilter[apq.ByteArray]{BloomFilter: bf}
				for _, r := range want[row : row+n] {
					if !typed.Check(apq.ByteArray(r.MeterID)) {
						t.Fatalf("bloom filter misses %s", r.MeterID)
					}
				}
				misses := 0
				for i := range 1000 {
					if !typed.Check(apq.ByteArray(fmt.Sprintf("absent-%d", i))) {
						misses++
					}
				}
				if misses < 950 {
					t.Errorf("bloom filter says yes to %d of 1000 absent ids", 1000-misses)
				}
				row += n
			}

			// The Arrow schema and the values.
			fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
			if err != nil {
				t.Fatal(err)
			}
			as, err := fr.Schema()
			if err != nil {
				t.Fatal(err)
			}
			tsType := &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
			wantSchema := arrow.NewSchema([]arrow.Field{
				{Name: "meter_id", Type: arrow.BinaryTypes.String},
				{Name: "reading_value", Type: arrow.PrimitiveTypes.Float64},
				{Name: "reading_date_time", Type: tsType},
				{Name: "reading_source", Type: arrow.BinaryTypes.String},
				{Name: "arrival_time", Type: tsType},
				{Name: "quality", Type: arrow.BinaryTypes.String},
			}, nil)
			for i, f := range as.Fields() {
				w := wantSchema.Field(i)
				if f.Name != w.Name || !arrow.TypeEqual(f.Type, w.Type) || f.Nullable {
					t.Errorf("arrow field %d: %v, want %v not null", i, f, w)
				}
			}
			back := arrowReads(t, data, meter.TypeKW)
			if diff := gocmp.Diff(want, back); diff != "" {
				t.Fatalf("Arrow's values (-want +got):\n%s", diff)
			}
		})
	}
}
