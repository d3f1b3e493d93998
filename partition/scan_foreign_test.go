package partition

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	apq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/openmda/mda/meter"
	"github.com/parquet-go/parquet-go"
)

// foreignRow is a file of another writer: meter_id dictionary-encoded,
// reading_value and reading_source nullable, times in microseconds, no
// arrival_time.
type foreignRow struct {
	MeterID string   `parquet:"meter_id,dict"`
	Value   *float64 `parquet:"reading_value,optional"`
	Time    int64    `parquet:"reading_date_time,timestamp(microsecond)"`
	Source  *string  `parquet:"reading_source,optional"`
	Quality string   `parquet:"quality"`
}

// foreignReads returns rows of meters for an hour and the reads Scan makes
// of them.
func foreignReads(hour time.Time, meters int, sorted bool, seed uint64) ([]foreignRow, []meter.Reading) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var rows []foreignRow
	for m := range meters {
		id := fmt.Sprintf("m%05d", m*7919%100000)
		for q := range 4 {
			t := hour.Add(time.Duration(q)*15*time.Minute + time.Duration(rng.IntN(1e6))*time.Microsecond)
			r := foreignRow{MeterID: id, Time: t.UnixMicro(), Quality: "A"}
			if rng.IntN(5) > 0 {
				v := float64(rng.IntN(10000)) / 100
				r.Value = &v
			}
			if rng.IntN(2) == 0 {
				s := "B"
				r.Source = &s
			}
			rows = append(rows, r)
		}
	}
	if sorted {
		slices.SortFunc(rows, func(a, b foreignRow) int {
			if a.MeterID != b.MeterID {
				return cmpString(a.MeterID, b.MeterID)
			}
			return int(a.Time - b.Time)
		})
	} else {
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	}
	reads := make([]meter.Reading, len(rows))
	for i, r := range rows {
		reads[i] = meter.Reading{MeterID: r.MeterID, Type: meter.TypeKW, Time: time.UnixMilli(r.Time / 1000).UTC(), Quality: meter.QualityActual}
		if r.Value != nil {
			reads[i].Value = *r.Value
		}
		if r.Source != nil {
			reads[i].Source = *r.Source
		}
	}
	return rows, reads
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// writeForeignArrow writes rows with Apache Arrow's Parquet writer, which
// writes no page index and no bloom filter by default.
func writeForeignArrow(t *testing.T, rows []foreignRow) []byte {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "meter_id", Type: arrow.BinaryTypes.String},
		{Name: "reading_value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "reading_date_time", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "reading_source", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "quality", Type: arrow.BinaryTypes.String},
	}, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer bld.Release()
	for _, r := range rows {
		bld.Field(0).(*array.StringBuilder).Append(r.MeterID)
		if r.Value != nil {
			bld.Field(1).(*array.Float64Builder).Append(*r.Value)
		} else {
			bld.Field(1).AppendNull()
		}
		bld.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(r.Time))
		if r.Source != nil {
			bld.Field(3).(*array.StringBuilder).Append(*r.Source)
		} else {
			bld.Field(3).AppendNull()
		}
		bld.Field(4).(*array.StringBuilder).Append(r.Quality)
	}
	rec := bld.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	props := apq.NewWriterProperties(apq.WithMaxRowGroupLength(250), apq.WithDataPageSize(1024))
	w, err := pqarrow.NewFileWriter(schema, &buf, props, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestScanForeignFiles scans files that this package's writer would not
// write: dictionary-encoded meter ids, nulls, microseconds, small pages,
// rows in no order, and no page index. Meter queries read them through
// the page-selective path and the cache, scans of all through the other.
func TestScanForeignFiles(t *testing.T) {
	ctx := context.Background()
	start := hourOf("2024-03-01T00:00:00Z")
	for _, bc := range buckets {
		t.Run(bc.name, func(t *testing.T) {
			b := bc.open(t)
			var all []meter.Reading
			var ids []string
			for h, kind := range []string{"parquet-go sorted", "parquet-go unsorted", "arrow sorted", "arrow unsorted"} {
				hour := start.Add(time.Duration(h) * time.Hour)
				rows, reads := foreignReads(hour, 800, h%2 == 0, uint64(h))
				var data []byte
				if h < 2 {
					var buf bytes.Buffer
					w := parquet.NewGenericWriter[foreignRow](&buf, parquet.PageBufferSize(512), parquet.MaxRowsPerRowGroup(400),
						parquet.BloomFilters(parquet.SplitBlockFilter(10, "meter_id")))
					if _, err := w.Write(rows); err != nil {
						t.Fatal(err)
					}
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
					data = buf.Bytes()
				} else {
					data = writeForeignArrow(t, rows)
				}
				if err := b.WriteAll(ctx, Key{meter.TypeKW, hour}.Path()+"x.parquet", data, nil); err != nil {
					t.Fatal(err)
				}
				all = append(all, reads...)
				for _, r := range reads[:40] {
					ids = append(ids, r.MeterID)
				}
				t.Logf("%s: %d bytes", kind, len(data))
			}
			// Rows come in file order; compare sorted.
			sorted := func(rs []meter.Reading) []meter.Reading {
				rs = slices.Clone(rs)
				slices.SortStableFunc(rs, meter.Compare)
				return rs
			}
			cache := NewFileCache(1 << 20)
			filters := []Filter{{}, {ValuesOnly: true}, {From: start.Add(30 * time.Minute), To: start.Add(150 * time.Minute)}}
			for i := 0; i < len(ids); i += 23 {
				filters = append(filters, Filter{MeterIDs: ids[i : i+1]}, Filter{MeterIDs: ids[i : i+1], ValuesOnly: true},
					Filter{MeterIDs: []string{ids[i], ids[(i+50)%len(ids)], "absent"}, From: start.Add(time.Hour)})
			}
			for _, f := range filters {
				for _, c := range []*FileCache{cache, NewFileCache(0)} {
					f.Cache = c
					got, st, err := ReadAll(ctx, b, &f)
					if err != nil {
						t.Fatalf("%+v: %v", f, err)
					}
					want := bruteForce(all, &f)
					if f.ValuesOnly {
						for i := range want {
							want[i].Source, want[i].Arrival, want[i].Quality = "", time.Time{}, 0
						}
					}
					if w, g := sorted(want), sorted(got); !slices.Equal(w, g) {
						t.Fatalf("%+v (-want +got):\n%s", f, gocmp.Diff(w, g, cmpopts.EquateEmpty()))
					}
					if st.Reads != int64(len(want)) {
						t.Fatalf("%+v: stats %+v", f, st)
					}
				}
			}
			t.Logf("%+v", cache.Stats())
		})
	}
}
