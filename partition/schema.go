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

// Defaults of WriterOptions.
const (
	DefaultRowGroupRows = 1 << 20
	DefaultCompression  = "zstd"
	// bloomBitsPerValue sizes the meter_id bloom filter: 10 bits per
	// distinct meter gives a false positive rate under 1%.
	bloomBitsPerValue = 10
)

// WriterOptions configures how files are written. Nil means the defaults.
type WriterOptions struct {
	// Compression is the codec of every column: "zstd" (the default, at
	// its fastest level: files a third smaller than Snappy's for little
	// more CPU), "snappy" or "none".
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
	c := writerConfig{codec: zstdFastest, rowGroupRows: DefaultRowGroupRows, bloom: true, concurrency: 8}
	if o == nil {
		return c, nil
	}
	switch o.Compression {
	case "", "zstd":
		c.codec = zstdFastest
	case "snappy":
		c.codec = fastSnappy{}
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
