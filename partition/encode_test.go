package partition

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/openmda/mda/meter"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// TestEncoderEdges writes files that take every branch of the encoder
// (dictionary and fallback encodings, many pages and row groups, NaN, zeros
// and infinities, every quality, an empty file) and reads them back with
// parquet-go and with Apache Arrow, and checks every page against its
// column-index bounds.
func TestEncoderEdges(t *testing.T) {
	ctx := context.Background()
	hour := hourOf("2024-03-01T10:00:00Z")
	k := Key{meter.TypeKW, hour}
	mk := func(n int, f func(i int, r *meter.Reading)) []meter.Reading {
		out := make([]meter.Reading, n)
		for i := range out {
			out[i] = meter.Reading{MeterID: fmt.Sprintf("m-%05d", i%97), Type: meter.TypeKW, Value: 1.5,
				Time: hour.Add(time.Duration(i%4+1)*15*time.Minute - time.Millisecond), Source: "B",
				Arrival: hour.Add(2 * time.Hour), Quality: meter.QualityActual}
			f(i, &out[i])
		}
		return out
	}
	quals := []meter.Quality{0, meter.QualityActual, meter.QualityEstimated, meter.QualitySubstituted, meter.QualityFinal, meter.QualityNull}
	cases := []struct {
		name  string
		reads []meter.Reading
		opts  *WriterOptions
	}{
		{"empty", nil, nil},
		{"one read", mk(1, func(int, *meter.Reading) {}), nil},
		{"repeated values use dictionaries", mk(10000, func(i int, r *meter.Reading) { r.Value = float64(i % 7) }), nil},
		{"distinct values fall back to plain", mk(10000, func(i int, r *meter.Reading) {
			r.Value = float64(i) * 1.25
			r.Time = hour.Add(time.Duration(i) * 300 * time.Millisecond) // distinct times: delta
		}), &WriterOptions{Compression: "zstd"}},
		{"special floats", mk(300, func(i int, r *meter.Reading) {
			r.Value = []float64{math.NaN(), math.Copysign(0, -1), 0, math.Inf(1), math.Inf(-1), -2.5, math.MaxFloat64, math.SmallestNonzeroFloat64}[i%8]
		}), nil},
		{"all NaN", mk(50, func(i int, r *meter.Reading) { r.Value = math.NaN() }), &WriterOptions{Compression: "none"}},
		{"sources, qualities and row groups", mk(20000, func(i int, r *meter.Reading) {
			r.Source = []string{"B", "HES", "", "é"}[i%4]
			r.Quality = quals[i%len(quals)]
			r.Arrival = hour.Add(time.Duration(i*7919%100000) * time.Second)
			r.MeterID = fmt.Sprintf("%08x-meter", i*2654435761%(1<<32)) // no shared prefix
		}), &WriterOptions{RowGroupRows: 6000, Compression: "zstd"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := openBucket(t, "mem://")
			info, err := WriteFile(ctx, b, k, "x", tc.reads, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			want := scanOrder(tc.reads)
			got, err := ReadFile(ctx, b, info.Path)
			if err != nil {
				t.Fatal(err)
			}
			opts := []gocmp.Option{cmpopts.EquateEmpty(), gocmp.Comparer(func(a, b float64) bool {
				return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
			})}
			if diff := gocmp.Diff(want, got, opts...); diff != "" {
				t.Fatalf("parquet-go reads (-want +got):\n%s", diff)
			}
			data, err := b.ReadAll(ctx, info.Path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(want, arrowReads(t, data, meter.TypeKW), opts...); diff != "" {
				t.Fatalf("Arrow reads (-want +got):\n%s", diff)
			}
			checkPageBounds(t, data)
		})
	}
}

// arrowReads decodes a file with Apache Arrow.
func arrowReads(t *testing.T, data []byte, typ meter.Type) []meter.Reading {
	t.Helper()
	rdr, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	var back []meter.Reading
	tr := array.NewTableReader(tbl, 1000)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		ids := rec.Column(0).(*array.String)
		vals := rec.Column(1).(*array.Float64)
		times := rec.Column(2).(*array.Timestamp)
		srcs := rec.Column(3).(*array.String)
		arrs := rec.Column(4).(*array.Timestamp)
		qs := rec.Column(5).(*array.String)
		for i := range int(rec.NumRows()) {
			q, err := parseQuality([]byte(qs.Value(i)))
			if err != nil {
				t.Fatal(err)
			}
			back = append(back, meter.Reading{
				MeterID: ids.Value(i), Type: typ, Value: vals.Value(i),
				Time: time.UnixMilli(int64(times.Value(i))).UTC(), Source: srcs.Value(i),
				Arrival: time.UnixMilli(int64(arrs.Value(i))).UTC(), Quality: q,
			})
		}
	}
	return back
}

// checkPageBounds reads every page of every column chunk with parquet-go
// and checks its values against the column index, its first row against
// the offset index, and the chunk's statistics against all of them.
func checkPageBounds(t *testing.T, data []byte) {
	t.Helper()
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for g, rg := range pf.RowGroups() {
		for c, cc := range rg.ColumnChunks() {
			ci, err := cc.ColumnIndex()
			if err != nil {
				t.Fatalf("group %d column %d: column index: %v", g, c, err)
			}
			oi, err := cc.OffsetIndex()
			if err != nil {
				t.Fatalf("group %d column %d: offset index: %v", g, c, err)
			}
			typ := cc.Type()
			clo, chi, hasStats := cc.(*parquet.FileColumnChunk).Bounds()
			pages := cc.Pages()
			row := int64(0)
			for p := 0; ; p++ {
				pg, err := pages.ReadPage()
				if err != nil {
					if p != ci.NumPages() || p != oi.NumPages() {
						t.Fatalf("group %d column %d: %d pages read (%v), index has %d and %d", g, c, p, err, ci.NumPages(), oi.NumPages())
					}
					break
				}
				if oi.FirstRowIndex(p) != row {
					t.Errorf("group %d column %d page %d: first row %d, offset index says %d", g, c, p, row, oi.FirstRowIndex(p))
				}
				vals := make([]parquet.Value, pg.NumValues())
				n, _ := pg.Values().ReadValues(vals)
				lo, hi := ci.MinValue(p), ci.MaxValue(p)
				nan := typ.Kind() == parquet.Double && math.IsNaN(lo.Double())
				if !nan && (!hasStats || typ.Compare(lo, clo) < 0 || typ.Compare(hi, chi) > 0) {
					t.Errorf("group %d column %d page %d: bounds [%v, %v] outside the chunk's statistics [%v, %v] (%t)", g, c, p, lo, hi, clo, chi, hasStats)
				}
				for _, v := range vals[:n] {
					if typ.Kind() == parquet.Double && math.IsNaN(v.Double()) {
						continue
					}
					if typ.Compare(v, lo) < 0 || typ.Compare(v, hi) > 0 {
						t.Fatalf("group %d column %d page %d: value %v outside [%v, %v]", g, c, p, v, lo, hi)
					}
				}
				row += pg.NumRows()
				parquet.Release(pg)
			}
			pages.Close()
			if row != rg.NumRows() {
				t.Errorf("group %d column %d: %d rows in pages, %d in the group", g, c, row, rg.NumRows())
			}
		}
	}
	md := pf.Metadata()
	if md.NumRows > 0 {
		for _, rg := range md.RowGroups {
			if len(rg.SortingColumns) != 2 || rg.Columns[colMeterID].MetaData.Encoding[0] != format.DeltaByteArray {
				t.Errorf("row group metadata: sorting %v, meter_id encodings %v", rg.SortingColumns, rg.Columns[colMeterID].MetaData.Encoding)
			}
		}
	}
}
