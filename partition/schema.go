package partition

import (
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
)

// Column names of the Parquet files, in file order. They are the
// non-partition columns of the guidance's meter_readings_integrated_parquet
// table; reading_type, year, month, day and hour come from the path.
const (
	ColMeterID         = "meter_id"
	ColReadingValue    = "reading_value"
	ColReadingDateTime = "reading_date_time"
	ColReadingSource   = "reading_source"
	ColArrivalTime     = "arrival_time"
	ColQuality         = "quality"
)

// Column indexes in the files this package writes.
const (
	colMeterID = iota
	colValue
	colTime
	colSource
	colArrival
	colQuality
	numColumns
)

// fileRow is the Parquet schema, as a Go struct so that parquet-go keeps
// the field order (a parquet.Group sorts its fields by name). Every column
// is required (readers see them as nullable columns that hold no nulls).
// reading_date_time is dictionary-encoded: an hourly partition holds a few
// distinct reading times. Sources and qualities are plain: one repeated
// value compresses to almost nothing, and hashing it row by row into a
// dictionary cost 6% of an ingest's CPU for 0.5% of size. arrival_time is delta
// encoded: arrivals are nearly unique, and a dictionary of them cost its
// hash table's growth in every file for nothing. meter_id is plain: every
// file holds every meter, so its dictionary was as large as the plain,
// Snappy-compressed column (16.3 against 16.5 bytes per row, measured), cost
// a tenth of the write time to build, and made a one-meter query decode the
// whole dictionary of each file (2.2x slower than decoding the one page the
// page index points to).
type fileRow struct {
	MeterID         string  `parquet:"meter_id"`
	ReadingValue    float64 `parquet:"reading_value"`
	ReadingDateTime int64   `parquet:"reading_date_time,timestamp(millisecond),dict"`
	ReadingSource   string  `parquet:"reading_source"`
	ArrivalTime     int64   `parquet:"arrival_time,timestamp(millisecond),delta"`
	Quality         string  `parquet:"quality"`
}

// fileSchema is the Parquet schema of the lake's files.
var fileSchema = parquet.SchemaOf(new(fileRow))

// createdBy is the created_by of the files: fixed, so that the bytes of a
// file depend on nothing but its reads and options.
var createdBy = parquet.CreatedBy("github.com/openmda/mda/partition", "1", "parquet-go v0.32.0")

// Defaults of WriterOptions.
const (
	DefaultRowGroupRows = 1 << 20
	DefaultCompression  = "snappy"
	// bloomBitsPerValue sizes the meter_id bloom filter: 10 bits per
	// distinct meter gives a false positive rate under 1%.
	bloomBitsPerValue = 10
)

// WriterOptions configures how files are written. Nil means the defaults.
type WriterOptions struct {
	// Compression is the codec of every column: "snappy" (the default),
	// "zstd" or "none".
	Compression string
	// RowGroupRows caps the rows of a row group; default DefaultRowGroupRows.
	// Smaller row groups bound the writer's and readers' memory and give
	// the meter_id and reading_date_time statistics more to prune.
	RowGroupRows int
	// NoBloomFilter omits the meter_id bloom filter.
	NoBloomFilter bool
	// Concurrency bounds how many files Writer.Close writes at once;
	// default 8. WriteFile ignores it.
	Concurrency int
	// Dedup keeps one read per (meter_id, reading_date_time) in each file,
	// the one Compact would keep. Files written with Dedup and the
	// options Compact uses can be copied into a partition as they are
	// (Source.Verbatim).
	Dedup bool
	// Root is prepended to every file's path, e.g. "staging/" to write
	// the lake's layout under a staging area. It must be empty or end in
	// '/'. FileInfo.Path includes it.
	Root string
}

// writerConfig is WriterOptions resolved to parquet-go options.
type writerConfig struct {
	codec        compress.Codec
	rowGroupRows int
	bloom        bool
	concurrency  int
	root         string
	dedup        bool
}

func (o *WriterOptions) config() (writerConfig, error) {
	c := writerConfig{codec: fastSnappy{}, rowGroupRows: DefaultRowGroupRows, bloom: true, concurrency: 8}
	if o == nil {
		return c, nil
	}
	switch o.Compression {
	case "", "snappy":
		c.codec = fastSnappy{}
	case "zstd":
		c.codec = zstdFastest
	case "none":
		c.codec = &parquet.Uncompressed
	default:
		return c, fmt.Errorf("partition: unknown compression %q (want snappy, zstd or none)", o.Compression)
	}
	switch {
	case o.RowGroupRows < 0:
		return c, fmt.Errorf("partition: negative RowGroupRows %d", o.RowGroupRows)
	case o.RowGroupRows > 0:
		c.rowGroupRows = o.RowGroupRows
	}
	c.bloom = !o.NoBloomFilter
	if o.Root != "" && (!strings.HasSuffix(o.Root, "/") || strings.HasPrefix(o.Root, "/") || strings.Contains(o.Root, "..")) {
		return c, fmt.Errorf("partition: Root %q must be a relative directory ending in '/'", o.Root)
	}
	c.root = o.Root
	c.dedup = o.Dedup
	switch {
	case o.Concurrency < 0:
		return c, fmt.Errorf("partition: negative Concurrency %d", o.Concurrency)
	case o.Concurrency > 0:
		c.concurrency = o.Concurrency
	}
	return c, nil
}

// parquetOptions returns the parquet-go writer options of c.
func (c writerConfig) parquetOptions() []parquet.WriterOption {
	opts := []parquet.WriterOption{
		fileSchema,
		createdBy,
		parquet.Compression(c.codec),
		// Version 1 data pages: what Spark writes and every engine reads.
		parquet.DataPageVersion(1),
		parquet.PageBufferSize(64 << 10),
		parquet.WriteBufferSize(256 << 10),
		// Bounds of these columns prune nothing that matters; computing
		// them cost a tenth of the encoding time.
		parquet.SkipPageBounds(ColReadingSource),
		parquet.SkipPageBounds(ColQuality),
		parquet.SkipPageBounds(ColArrivalTime),
	}
	if c.bloom {
		opts = append(opts,
			parquet.BloomFilters(parquet.SplitBlockFilter(bloomBitsPerValue, ColMeterID)),
			// Deferred bloom filters are written together before the
			// footer, so that a reader gets them with the footer in one
			// request.
			parquet.DeferBloomFiltersWithBuffers(bloomBuffers),
		)
	}
	return opts
}

// bloomBuffers holds the deferred bloom filters while a file is written.
var bloomBuffers = parquet.NewBufferPool()
