package partition

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
	"gocloud.dev/blob"
)

// benchMeters and benchQuarters shape a realistic hourly partition: 12,000
// meters with a read every quarter-hour, 48,000 reads.
const (
	benchMeters   = 12000
	benchQuarters = 4
)

// hourReads returns one hour of kW reads of benchMeters meters (UUID ids),
// in the order a head-end export lists them: by time, then meter.
func hourReads(hour time.Time) []meter.Reading {
	rng := rand.New(rand.NewPCG(42, 42))
	ids := make([]string, benchMeters)
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xfff,
			0x8000|rng.Uint32()&0x3fff, rng.Uint64()&(1<<48-1))
	}
	reads := make([]meter.Reading, 0, benchMeters*benchQuarters)
	for q := range benchQuarters {
		t := hour.Add(time.Duration(q+1) * 15 * time.Minute)
		if q == benchQuarters-1 {
			t = t.Add(-time.Millisecond) // stay in the hour
		}
		arr := t.Add(5 * time.Minute)
		for _, id := range ids {
			reads = append(reads, meter.Reading{MeterID: id, Type: meter.TypeKW,
				Value: float64(rng.IntN(20000)) / 1000, Time: t, Source: "B", Arrival: arr, Quality: meter.QualityActual})
		}
	}
	return reads
}

// csvBytes returns the size of reads as CSV of the integrated table's
// columns (meter_id, reading_value, reading_date_time, reading_source,
// arrival_time, quality, reading_type), the yardstick of BenchmarkWriteFile's
// MB/s.
func csvBytes(reads []meter.Reading) int64 {
	var n int64
	var buf []byte
	for _, r := range reads {
		buf = buf[:0]
		buf = append(buf, r.MeterID...)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, r.Value, 'f', -1, 64)
		buf = append(buf, ',')
		buf = r.Time.AppendFormat(buf, "2006-01-02 15:04:05.000")
		buf = append(buf, ',')
		buf = append(buf, r.Source...)
		buf = append(buf, ',')
		buf = r.Arrival.AppendFormat(buf, "2006-01-02 15:04:05.000")
		buf = append(buf, ',')
		buf = append(buf, r.Quality.String()...)
		buf = append(buf, ',')
		buf = append(buf, r.Type...)
		buf = append(buf, '\n')
		n += int64(len(buf))
	}
	return n
}

// BenchmarkWriteFile writes one realistic hourly partition (48,000 reads)
// to a memory bucket: validation, sorting, encoding, compression and the
// upload. MB/s is of the reads as CSV (see csvBytes); rows/s and the file's
// bytes/row are reported too.
func BenchmarkWriteFile(b *testing.B) {
	ctx := context.Background()
	hour := hourOf("2024-03-01T10:00:00Z")
	reads := hourReads(hour)
	k := KeyOf(reads[0])
	for _, opts := range []*WriterOptions{
		{Compression: "snappy"},
		{Compression: "zstd"},
		{Compression: "none"},
		{Compression: "snappy", NoBloomFilter: true},
	} {
		b.Run(fmt.Sprintf("%s,bloom=%t", opts.Compression, !opts.NoBloomFilter), func(b *testing.B) {
			bk := openBucket(b, "mem://")
			var info FileInfo
			b.SetBytes(csvBytes(reads))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if info, err = WriteFile(ctx, bk, k, "bench", reads, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(reads))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(info.Bytes)/float64(len(reads)), "file-B/row")
		})
	}
}

// BenchmarkSort measures putting an hourly partition in file order (the
// permutation WriteFile encodes in), from the head-end's time-major order
// and from already-sorted input.
func BenchmarkSort(b *testing.B) {
	reads := hourReads(hourOf("2024-03-01T10:00:00Z"))
	sorted := scanOrder(reads)
	for _, in := range []struct {
		name  string
		reads []meter.Reading
	}{{"time-major", reads}, {"sorted", sorted}} {
		b.Run(in.name, func(b *testing.B) {
			var d dict
			var c columns
			k := KeyOf(in.reads[0])
			if err := c.appendReads(&d, k, in.reads, 0); err != nil {
				b.Fatal(err)
			}
			ranks := d.ranks()
			b.ReportAllocs()
			for b.Loop() {
				c.sortOrder(ranks)
			}
			b.ReportMetric(float64(len(in.reads))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
	b.Run("slices.SortStableFunc(meter.Compare)", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]meter.Reading, len(reads))
		for b.Loop() {
			copy(buf, reads)
			slices.SortStableFunc(buf, meter.Compare)
		}
		b.ReportMetric(float64(len(reads))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkEncode measures the Parquet encoder alone on a sorted hourly
// partition of 48,000 reads: page encoding, statistics, page index, bloom
// filter and compression, into io.Discard.
func BenchmarkEncode(b *testing.B) {
	reads := scanOrder(hourReads(hourOf("2024-03-01T10:00:00Z")))
	var d dict
	var c columns
	if err := c.appendReads(&d, KeyOf(reads[0]), reads, 0); err != nil {
		b.Fatal(err)
	}
	for _, codec := range []string{"zstd", "snappy", "none"} {
		b.Run(codec, func(b *testing.B) {
			cfg, err := (&WriterOptions{Compression: codec}).config()
			if err != nil {
				b.Fatal(err)
			}
			var out countingWriter
			out.w = io.Discard
			b.SetBytes(csvBytes(reads))
			b.ReportAllocs()
			for b.Loop() {
				out.n = 0
				if err := encodeFile(&out, &c, &d, nil, cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(reads))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(out.n)/float64(len(reads)), "file-B/row")
		})
	}
}

// BenchmarkWriterWriteRecord measures buffering: an hour of six-type
// records (288,000 reads) into a Writer's columns, as the ingest does.
func BenchmarkWriterWriteRecord(b *testing.B) {
	reads := hourReads(hourOf("2024-03-01T10:00:00Z"))
	types := meter.HESTypes[:]
	values := []float64{9, 2.5, 0.95, 0.6, 0.57, 229.1}
	bk := openBucket(b, "mem://")
	b.ReportAllocs()
	for b.Loop() {
		w := NewWriter(bk, "x", nil)
		for i := range reads {
			r := &reads[i]
			if err := w.WriteRecord(r.MeterID, r.Time.UnixMilli(), r.Arrival.UnixMilli(), types, values, r.Source, r.Quality); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(reads)*len(types))*float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}

// benchLake writes hours of realistic partitions to a memory bucket.
func benchLake(b *testing.B, hours int, opts *WriterOptions) (*blob.Bucket, []meter.Reading) {
	ctx := context.Background()
	bk := openBucket(b, "mem://")
	start := hourOf("2024-03-01T00:00:00Z")
	var first []meter.Reading
	for h := range hours {
		reads := hourReads(start.Add(time.Duration(h) * time.Hour))
		if h == 0 {
			first = reads
		}
		if _, err := WriteFile(ctx, bk, KeyOf(reads[0]), "bench", reads, opts); err != nil {
			b.Fatal(err)
		}
	}
	return bk, first
}

// BenchmarkScanOneMeter reads one meter's day (24 hourly partitions of
// 48,000 reads each) out of a memory bucket: listing, footers, pruning
// by statistics and bloom filter, and decoding what is left.
func BenchmarkScanOneMeter(b *testing.B) {
	ctx := context.Background()
	for _, opts := range []*WriterOptions{nil, {RowGroupRows: 8192}} {
		name := "rowgroup=1M"
		if opts != nil {
			name = fmt.Sprintf("rowgroup=%d", opts.RowGroupRows)
		}
		b.Run(name, func(b *testing.B) {
			bk, reads := benchLake(b, 24, opts)
			f := &Filter{MeterIDs: []string{reads[777].MeterID}}
			var st ScanStats
			b.ReportAllocs()
			for b.Loop() {
				var err error
				var n int
				if st, err = Scan(ctx, bk, f, func(r []meter.Reading) error { n += len(r); return nil }); err != nil {
					b.Fatal(err)
				}
				if n != 24*benchQuarters {
					b.Fatalf("%d reads", n)
				}
			}
			b.ReportMetric(float64(st.BytesRead), "bytes-read/op")
			b.ReportMetric(float64(st.Requests), "requests/op")
			b.ReportMetric(float64(st.Rows), "rows-decoded/op")
		})
	}
}

// BenchmarkScanAll decodes every read of an hourly partition: the decoding
// throughput when nothing can be pruned.
func BenchmarkScanAll(b *testing.B) {
	ctx := context.Background()
	bk, reads := benchLake(b, 1, nil)
	b.SetBytes(csvBytes(reads))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Scan(ctx, bk, nil, func([]meter.Reading) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(reads))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
