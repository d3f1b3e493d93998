package partition

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"slices"
	"sync"
	"unsafe"

	"github.com/openmda/mda/meter"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/bloom"
	"github.com/parquet-go/parquet-go/bloom/xxhash"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// This file is the lake's Parquet encoder. It writes the one schema of the
// lake straight from the writer's pointer-free columns, with parquet-go's
// format structures, Thrift codec, value encodings and bloom filter, but
// not its generic row writer: that one converted every cell to a
// parquet.Value, computed page bounds by comparing every string, and
// re-read its own pages to fill the bloom filter, and took about a third of
// an ingest's CPU time. Files are version-1 data pages of required columns
// (no definition or repetition levels), one dictionary page per column
// chunk where a dictionary pays, the page index (column and offset
// indexes) for every column, and a split-block bloom filter on meter_id,
// with the bloom filters just before the footer so that one tail read gets
// footer, indexes and filters.
//
// Encodings, chosen by measurement on hourly partitions of 12,000 meters
// (bytes per row, Zstd):
//   - meter_id: DELTA_BYTE_ARRAY. Rows are sorted by meter, so a repeated id
//     costs its prefix length only and the compressor sees a quarter of the
//     bytes that DELTA_LENGTH_BYTE_ARRAY gives it (4.96 against 4.94 bytes
//     per row after Zstd, for four times less compression work); a
//     dictionary of every meter in every file was larger (6.32).
//   - reading_value: a dictionary when values repeat (meter reads have a
//     few decimals: 1.0 to 3.3 bytes per row instead of 1.5 to 3.5 plain),
//     else PLAIN.
//   - reading_date_time: a dictionary (an hour holds a few distinct reading
//     times), else DELTA_BINARY_PACKED.
//   - reading_source, quality: a dictionary (one or two values per file).
//   - arrival_time: DELTA_BINARY_PACKED (nearly unique times; 2.85 bytes
//     per row, where PLAIN and Zstd gave 3.29).

// pageRows is the number of rows of a data page, and meterIDPageRows of a
// meter_id page. A one-meter query decodes the meter_id page that the page
// index points to, then the pages of the other columns at its rows. The
// meter_id page is most of that work (decompressing and prefix-decoding
// ids), so it is smaller: measured on a week of 12,000 meters, pages of
// 4,096 rows everywhere gave a one-meter week in 20 ms and a 475.7 MB lake;
// 2,048-row meter_id pages 11 ms and 481.7 MB; 2,048 rows everywhere 13 ms
// and 489.6 MB (small pages compress worse); 1,024-row meter_id pages 8.5 ms
// and 492.0 MB.
const pageRows = 4096

const meterIDPageRows = 2048

// maxDictValues caps a numeric column's dictionary: past it the column is
// written PLAIN (or delta) and the dictionary's hash table stays small.
const maxDictValues = 1 << 16

// columnTypes are the physical types of the lake's columns.
var columnTypes = [numColumns]format.Type{
	colMeterID: format.ByteArray,
	colValue:   format.Double,
	colTime:    format.Int64,
	colSource:  format.ByteArray,
	colArrival: format.Int64,
	colQuality: format.ByteArray,
}

// fileSchemaElements is the schema of the lake's files: required columns,
// strings as UTF-8 (STRING, and UTF8 for older readers), times as UTC
// millisecond timestamps (and TIMESTAMP_MILLIS).
var fileSchemaElements = func() []format.SchemaElement {
	str := func(name string) format.SchemaElement {
		return format.SchemaElement{
			Type: thrift.New(format.ByteArray), RepetitionType: thrift.New(format.Required), Name: name,
			ConvertedType: thrift.New(deprecated.UTF8),
			LogicalType:   format.LogicalType{Value: &format.StringType{}},
		}
	}
	ts := func(name string) format.SchemaElement {
		return format.SchemaElement{
			Type: thrift.New(format.Int64), RepetitionType: thrift.New(format.Required), Name: name,
			ConvertedType: thrift.New(deprecated.TimestampMillis),
			LogicalType:   format.LogicalType{Value: &format.TimestampType{IsAdjustedToUTC: true, Unit: format.TimeUnit{Value: &format.MilliSeconds{}}}},
		}
	}
	return []format.SchemaElement{
		{Name: "schema", NumChildren: thrift.New(int32(numColumns))},
		str(ColMeterID),
		{Type: thrift.New(format.Double), RepetitionType: thrift.New(format.Required), Name: ColReadingValue},
		ts(ColReadingDateTime),
		str(ColReadingSource),
		ts(ColArrivalTime),
		str(ColQuality),
	}
}()

// encoder writes one file. Its buffers are reused through encoderPool.
type encoder struct {
	w     io.Writer
	off   int64
	codec compress.Codec
	cfg   writerConfig
	c     *columns
	d     *dict
	order []int32
	strs  [][]byte // the dict's strings as bytes

	// Scratch buffers.
	comp, enc, tmp []byte
	vals           []byte
	offsets        []uint32
	i32            []int32
	i64            []int64
	keys           []uint64
	hashes         []uint64
	table          dictTable
	small          map[int32]int32

	groups  []format.RowGroup
	colIdx  []format.ColumnIndex // per group and column
	offIdx  []format.OffsetIndex // per group and column
	blooms  [][]byte             // per group: the meter_id filter's bitset
	thriftW thrift.CompactProtocol
}

var encoderPool = sync.Pool{New: func() any { return new(encoder) }}

// encodeFile writes the rows of c in the given order (nil: as they are) as
// a Parquet file to w.
func encodeFile(w io.Writer, c *columns, d *dict, order []int32, cfg writerConfig) error {
	e := encoderPool.Get().(*encoder)
	defer func() {
		e.w, e.c, e.d, e.order = nil, nil, nil, nil
		clear(e.strs)
		e.strs = e.strs[:0]
		e.groups, e.colIdx, e.offIdx, e.blooms = nil, nil, nil, nil
		encoderPool.Put(e)
	}()
	e.w, e.off, e.codec, e.cfg, e.c, e.d, e.order = w, 0, cfg.codec, cfg, c, d, order
	for _, s := range d.strs {
		e.strs = append(e.strs, stringBytes(s))
	}
	return e.encode()
}

// rows is the number of rows of the file.
func (e *encoder) rows() int {
	if e.order != nil {
		return len(e.order)
	}
	return e.c.len()
}

// row returns the column index of the file's row r.
func (e *encoder) row(r int) int32 {
	if e.order != nil {
		return e.order[r]
	}
	return int32(r)
}

func (e *encoder) write(p []byte) error {
	n, err := e.w.Write(p)
	e.off += int64(n)
	return err
}

func (e *encoder) encode() error {
	n := e.rows()
	if n > math.MaxInt32 {
		return errors.New("too many reads for one file")
	}
	if err := e.write([]byte("PAR1")); err != nil {
		return err
	}
	for lo := 0; lo < n || lo == 0; lo += e.cfg.rowGroupRows {
		hi := min(lo+e.cfg.rowGroupRows, n)
		if err := e.rowGroup(lo, hi); err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	// The page index: every column index, then every offset index.
	for g := range e.groups {
		for col := range numColumns {
			cc := &e.groups[g].Columns[col]
			off := e.off
			if err := e.writeThrift(&e.colIdx[g*numColumns+col]); err != nil {
				return err
			}
			cc.ColumnIndexOffset, cc.ColumnIndexLength = off, int32(e.off-off)
		}
	}
	for g := range e.groups {
		for col := range numColumns {
			cc := &e.groups[g].Columns[col]
			off := e.off
			if err := e.writeThrift(&e.offIdx[g*numColumns+col]); err != nil {
				return err
			}
			cc.OffsetIndexOffset, cc.OffsetIndexLength = off, int32(e.off-off)
		}
	}
	if e.cfg.bloom {
		for g, bits := range e.blooms {
			md := &e.groups[g].Columns[colMeterID].MetaData
			off := e.off
			h := format.BloomFilterHeader{
				NumBytes:    int32(len(bits)),
				Algorithm:   format.BloomFilterAlgorithm{Value: &format.SplitBlockAlgorithm{}},
				Hash:        format.BloomFilterHash{Value: &format.XxHash{}},
				Compression: format.BloomFilterCompression{Value: &format.BloomFilterUncompressed{}},
			}
			if err := e.writeThrift(&h); err != nil {
				return err
			}
			if err := e.write(bits); err != nil {
				return err
			}
			md.BloomFilterOffset, md.BloomFilterLength = off, int32(e.off-off)
		}
	}
	orders := make([]format.ColumnOrder, numColumns)
	for i := range orders {
		orders[i].Value = &format.TypeDefinedOrder{}
	}
	meta := format.FileMetaData{
		Version:      2,
		Schema:       fileSchemaElements,
		NumRows:      int64(n),
		RowGroups:    e.groups,
		CreatedBy:    createdByString,
		ColumnOrders: orders,
	}
	start := e.off
	if err := e.writeThrift(&meta); err != nil {
		return err
	}
	var tail [8]byte
	binary.LittleEndian.PutUint32(tail[:4], uint32(e.off-start))
	copy(tail[4:], "PAR1")
	return e.write(tail[:])
}

// FormatVersion names the layout of the files this package writes
// (encodings, page size, metadata); it changes when they do. Caches of
// written lakes, such as benchmarks', key on it.
const FormatVersion = "3"

// createdByString is the created_by of the files: fixed, so that the bytes
// of a file depend on nothing but its reads and options.
const createdByString = createdByPrefix + " version " + FormatVersion

// createdByPrefix names this package's writer in created_by.
const createdByPrefix = "github.com/openmda/mda/partition"

func (e *encoder) writeThrift(v any) error {
	b, err := thrift.Marshal(&e.thriftW, v)
	if err != nil {
		return err
	}
	return e.write(b)
}

// rowGroup writes rows [lo, hi) as a row group.
func (e *encoder) rowGroup(lo, hi int) error {
	g := format.RowGroup{NumRows: int64(hi - lo), Ordinal: int16(len(e.groups)), FileOffset: e.off,
		SortingColumns: []format.SortingColumn{{ColumnIdx: colMeterID}, {ColumnIdx: colTime}}}
	g.Columns = make([]format.ColumnChunk, numColumns)
	e.colIdx = slices.Grow(e.colIdx, numColumns)[:len(e.colIdx)+numColumns]
	e.offIdx = slices.Grow(e.offIdx, numColumns)[:len(e.offIdx)+numColumns]
	base := len(e.groups) * numColumns
	for col := range numColumns {
		ch := &chunk{e: e, cc: &g.Columns[col], ci: &e.colIdx[base+col], oi: &e.offIdx[base+col], col: col, lo: lo, hi: hi,
			ascending: true, descending: true}
		*ch.ci = format.ColumnIndex{}
		*ch.oi = format.OffsetIndex{}
		ch.cc.FileOffset = e.off
		ch.cc.MetaData = format.ColumnMetaData{Type: columnTypes[col], PathInSchema: []string{columnNames[col]},
			Codec: e.codec.CompressionCodec(), NumValues: int64(hi - lo)}
		var err error
		switch col {
		case colMeterID:
			err = ch.meterIDs()
		case colValue:
			err = ch.values()
		case colTime:
			err = ch.times(e.c.ms, true)
		case colArrival:
			err = ch.times(e.c.arr, false)
		case colSource:
			err = ch.smallStrings(func(i int32) int32 { return e.c.source[i] }, func(v int32) []byte { return e.strs[v] },
				func() (int32, bool) { v, ok := allEqual(e.c.source); return v, ok })
		case colQuality:
			err = ch.smallStrings(func(i int32) int32 { return int32(e.c.quality[i]) }, func(v int32) []byte {
				return stringBytes(qualityString(meter.Quality(v)))
			}, func() (int32, bool) { v, ok := allEqual(e.c.quality); return int32(v), ok })
		}
		if err != nil {
			return err
		}
		ch.finish()
		g.TotalByteSize += ch.cc.MetaData.TotalUncompressedSize
		g.TotalCompressedSize += ch.cc.MetaData.TotalCompressedSize
	}
	e.groups = append(e.groups, g)
	return nil
}

// chunk writes one column chunk.
type chunk struct {
	e      *encoder
	cc     *format.ColumnChunk
	ci     *format.ColumnIndex
	oi     *format.OffsetIndex
	col    int
	lo, hi int // the row group's rows, in file order
	done   int // rows written in data pages

	encodings             []format.Encoding
	ascending, descending bool   // of the pages' bounds
	min, max              []byte // of the chunk, if hasStats
	hasStats              bool
}

// page compresses and writes one page: a dictionary page of dictValues
// values if dictValues is positive, else a data page of n values whose
// bounds are lo and hi.
func (ch *chunk) page(body []byte, dictValues int, enc format.Encoding, n int, lo, hi []byte) error {
	e := ch.e
	comp := body
	if e.codec.CompressionCodec() != format.Uncompressed {
		var err error
		e.comp, err = e.codec.Encode(e.comp[:0], body)
		if err != nil {
			return err
		}
		comp = e.comp
	}
	h := format.PageHeader{UncompressedPageSize: int32(len(body)), CompressedPageSize: int32(len(comp))}
	if dictValues > 0 {
		h.Type = format.DictionaryPage
		h.DictionaryPageHeader = thrift.New(format.DictionaryPageHeader{NumValues: int32(dictValues), Encoding: format.Plain})
		enc = format.Plain
	} else {
		h.Type = format.DataPage
		h.DataPageHeader = thrift.New(format.DataPageHeader{NumValues: int32(n), Encoding: enc,
			DefinitionLevelEncoding: format.RLE, RepetitionLevelEncoding: format.RLE})
	}
	hdr, err := thrift.Marshal(&e.thriftW, &h)
	if err != nil {
		return err
	}
	if !slices.Contains(ch.encodings, enc) {
		ch.encodings = append(ch.encodings, enc)
	}
	md := &ch.cc.MetaData
	if dictValues > 0 {
		md.DictionaryPageOffset = e.off
	} else {
		if len(ch.oi.PageLocations) == 0 {
			md.DataPageOffset = e.off
		}
		ch.oi.PageLocations = append(ch.oi.PageLocations, format.PageLocation{Offset: e.off,
			CompressedPageSize: int32(len(hdr) + len(comp)), FirstRowIndex: int64(ch.done)})
		ch.done += n
		ch.bound(lo, hi)
	}
	md.TotalUncompressedSize += int64(len(hdr) + len(body))
	md.TotalCompressedSize += int64(len(hdr) + len(comp))
	if err := e.write(hdr); err != nil {
		return err
	}
	return e.write(comp)
}

// compare orders two plain-encoded values of the chunk's column.
func (ch *chunk) compare(a, b []byte) int {
	switch columnTypes[ch.col] {
	case format.Double:
		x, y := math.Float64frombits(binary.LittleEndian.Uint64(a)), math.Float64frombits(binary.LittleEndian.Uint64(b))
		return compareFloats(x, y)
	case format.Int64:
		x, y := int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b))
		return cmpInt(x, y)
	}
	return bytes.Compare(a, b)
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// compareFloats orders floats with -0 before +0 (the bounds rule).
func compareFloats(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	case x == 0 && y == 0:
		return cmpInt(int64(^math.Float64bits(x)>>63), int64(^math.Float64bits(y)>>63))
	}
	return 0
}

// bound records a data page's bounds in the column index and the chunk's
// statistics. A page of NaNs only has NaN bounds (as the format asks): it
// makes the column index unordered and is left out of the statistics.
func (ch *chunk) bound(lo, hi []byte) {
	ci := ch.ci
	ci.NullPages = append(ci.NullPages, false)
	ci.NullCounts = append(ci.NullCounts, 0)
	nan := columnTypes[ch.col] == format.Double && math.IsNaN(math.Float64frombits(binary.LittleEndian.Uint64(lo)))
	if k := len(ci.MinValues); k > 0 {
		pmin, pmax := ci.MinValues[k-1], ci.MaxValues[k-1]
		if nan || ch.compare(lo, pmin) < 0 || ch.compare(hi, pmax) < 0 {
			ch.ascending = false
		}
		if nan || ch.compare(lo, pmin) > 0 || ch.compare(hi, pmax) > 0 {
			ch.descending = false
		}
	} else if nan {
		ch.ascending, ch.descending = false, false
	}
	ci.MinValues = append(ci.MinValues, lo)
	ci.MaxValues = append(ci.MaxValues, hi)
	if nan {
		return
	}
	if !ch.hasStats || ch.compare(lo, ch.min) < 0 {
		ch.min = lo
	}
	if !ch.hasStats || ch.compare(hi, ch.max) > 0 {
		ch.max = hi
	}
	ch.hasStats = true
}

// finish completes the chunk's metadata.
func (ch *chunk) finish() {
	switch {
	case len(ch.ci.MinValues) < 2:
		ch.ci.BoundaryOrder = format.Unordered
	case ch.ascending:
		ch.ci.BoundaryOrder = format.Ascending
	case ch.descending:
		ch.ci.BoundaryOrder = format.Descending
	default:
		ch.ci.BoundaryOrder = format.Unordered
	}
	md := &ch.cc.MetaData
	md.Encoding = ch.encodings
	if !ch.hasStats {
		return
	}
	// Non-nil, or an empty string would be taken for no bound.
	md.Statistics = format.Statistics{MinValue: nonNil(ch.min), MaxValue: nonNil(ch.max)}
	if columnTypes[ch.col] != format.ByteArray {
		// The deprecated fields, for readers that know no others: for
		// signed numbers they mean the same.
		md.Statistics.Min, md.Statistics.Max = ch.min, ch.max
	}
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// meterIDs writes the meter_id chunk, DELTA_BYTE_ARRAY, and its bloom
// filter. Rows are sorted by meter, so the encoding is computed on meter
// numbers: a repeated id is a full prefix and an empty suffix, without
// looking at its bytes (parquet-go's encoder compared every value with the
// one before and copied every id, for a third of the encoding time).
func (ch *chunk) meterIDs() error {
	e := ch.e
	e.hashes = e.hashes[:0]
	for p := ch.lo; p < ch.hi; p += meterIDPageRows {
		q := min(p+meterIDPageRows, ch.hi)
		prefixes, suffixes := e.i32[:0], e.i64[:0] // suffix lengths fit in int32; i64 is a free buffer
		e.vals = e.vals[:0]
		var lo, hi, prevID []byte
		prev, first := int32(-1), true
		for r := p; r < q; r++ {
			m := e.c.meter[e.row(r)]
			if m == prev {
				prefixes = append(prefixes, int32(len(prevID)))
				suffixes = append(suffixes, 0)
				continue
			}
			s := e.strs[m]
			k := commonPrefix(prevID, s)
			prefixes = append(prefixes, int32(k))
			suffixes = append(suffixes, int64(len(s)-k))
			e.vals = append(e.vals, s[k:]...)
			prev, prevID = m, s
			if first || bytes.Compare(s, lo) < 0 {
				lo = s
			}
			if first || bytes.Compare(s, hi) > 0 {
				hi = s
			}
			first = false
			e.hashes = append(e.hashes, xxhash.Sum64(s))
		}
		e.i32, e.i64 = prefixes, suffixes
		var err error
		if e.tmp, err = parquet.DeltaBinaryPacked.EncodeInt32(e.tmp[:0], prefixes); err != nil {
			return err
		}
		e.enc = append(e.enc[:0], e.tmp...)
		if e.tmp, err = parquet.DeltaBinaryPacked.EncodeInt64(e.tmp[:0], suffixes); err != nil {
			return err
		}
		e.enc = append(e.enc, e.tmp...)
		e.enc = append(e.enc, e.vals...)
		if err := ch.page(e.enc, 0, format.DeltaByteArray, q-p, nonNil(lo), nonNil(hi)); err != nil {
			return err
		}
	}
	if e.cfg.bloom {
		bits := make([]byte, bloom.NumSplitBlocksOf(int64(len(e.hashes)), bloomBitsPerValue)*bloom.BlockSize)
		bloom.MakeSplitBlockFilter(bits).InsertBulk(e.hashes)
		e.blooms = append(e.blooms, bits)
	}
	return nil
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// values writes the reading_value chunk: a dictionary when values repeat,
// else PLAIN.
func (ch *chunk) values() error {
	e := ch.e
	keys := gather64(ch, e.c.value)
	useDict, err := ch.dictionary(keys)
	if err != nil {
		return err
	}
	for p := 0; p < len(keys); p += pageRows {
		page := keys[p:min(p+pageRows, len(keys))]
		lo, hi := math.Inf(1), math.Inf(-1)
		nan := 0
		for _, k := range page {
			v := math.Float64frombits(k)
			switch {
			case math.IsNaN(v):
				nan++
				continue
			case compareFloats(v, lo) < 0:
				lo = v
			}
			if compareFloats(v, hi) > 0 {
				hi = v
			}
		}
		if nan == len(page) {
			lo, hi = math.NaN(), math.NaN()
		}
		if lo == 0 {
			lo = math.Copysign(0, -1) // bounds rule: a zero minimum is -0
		}
		if hi == 0 {
			hi = 0 // and a zero maximum +0
		}
		var body []byte
		enc := format.Plain
		if useDict {
			var err error
			if e.enc, err = parquet.RLEDictionary.EncodeInt32(e.enc[:0], e.i32[p:p+len(page)]); err != nil {
				return err
			}
			body, enc = e.enc, format.RLEDictionary
		} else {
			e.enc = e.enc[:0]
			for _, k := range page {
				e.enc = binary.LittleEndian.AppendUint64(e.enc, k)
			}
			body = e.enc
		}
		if err := ch.page(body, 0, enc, len(page), float64Bytes(lo), float64Bytes(hi)); err != nil {
			return err
		}
	}
	return nil
}

// times writes a timestamp chunk: with a dictionary when tryDict and the
// times repeat, else DELTA_BINARY_PACKED.
func (ch *chunk) times(col []int64, tryDict bool) error {
	e := ch.e
	keys := gather64(ch, col)
	useDict := false
	if tryDict {
		var err error
		if useDict, err = ch.dictionary(keys); err != nil {
			return err
		}
	}
	for p := 0; p < len(keys); p += pageRows {
		page := keys[p:min(p+pageRows, len(keys))]
		lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
		for _, k := range page {
			v := int64(k)
			lo, hi = min(lo, v), max(hi, v)
		}
		var err error
		enc := format.DeltaBinaryPacked
		if useDict {
			e.enc, err = parquet.RLEDictionary.EncodeInt32(e.enc[:0], e.i32[p:p+len(page)])
			enc = format.RLEDictionary
		} else {
			e.enc, err = parquet.DeltaBinaryPacked.EncodeInt64(e.enc[:0], unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(page))), len(page)))
		}
		if err != nil {
			return err
		}
		if err := ch.page(e.enc, 0, enc, len(page), int64Bytes(lo), int64Bytes(hi)); err != nil {
			return err
		}
	}
	return nil
}

// dictionary builds the chunk's dictionary of 64-bit values, leaving the
// rows' indexes in e.i32, and writes its page. It reports false, writing
// nothing, when the values repeat too little for a dictionary to pay:
// more distinct values than half the rows or than maxDictValues.
func (ch *chunk) dictionary(keys []uint64) (bool, error) {
	e := ch.e
	n := len(keys)
	limit := min(maxDictValues, n/2)
	if limit == 0 {
		return false, nil
	}
	t := &e.table
	t.reset(limit)
	e.i32 = slices.Grow(e.i32[:0], n)[:n]
	for r, v := range keys {
		i, ok := t.index(v, limit)
		if !ok {
			return false, nil
		}
		e.i32[r] = i
	}
	e.enc = e.enc[:0]
	for _, v := range t.vals {
		e.enc = binary.LittleEndian.AppendUint64(e.enc, v)
	}
	return true, ch.page(e.enc, len(t.vals), 0, 0, nil, nil)
}

// gather64 returns the chunk's values of an 8-byte column in file order,
// in a reused buffer: the encoders then read them in sequence instead of
// through the row order.
func gather64[T int64 | float64](ch *chunk, col []T) []uint64 {
	e := ch.e
	n := ch.hi - ch.lo
	e.keys = slices.Grow(e.keys[:0], n)[:n]
	keys := e.keys
	if e.order == nil {
		for i, v := range col[ch.lo:ch.hi] {
			keys[i] = bits64(v)
		}
		return keys
	}
	for i, r := range e.order[ch.lo:ch.hi] {
		keys[i] = bits64(col[r])
	}
	return keys
}

func bits64[T int64 | float64](v T) uint64 {
	switch x := any(v).(type) {
	case float64:
		return math.Float64bits(x)
	case int64:
		return uint64(x)
	}
	panic("unreachable")
}

// smallStrings writes a string column of few distinct values (sources,
// qualities) with a dictionary. get returns a row's value code, str the
// string of a code.
func (ch *chunk) smallStrings(get func(i int32) int32, str func(code int32) []byte, uniform func() (int32, bool)) error {
	e := ch.e
	n := ch.hi - ch.lo
	if code, ok := uniform(); ok {
		// One value in the whole file (one source, one quality: the rule):
		// every row is index 0, whatever the row order.
		s := str(code)
		e.enc = binary.LittleEndian.AppendUint32(e.enc[:0], uint32(len(s)))
		e.enc = append(e.enc, s...)
		if err := ch.page(e.enc, 1, 0, 0, nil, nil); err != nil {
			return err
		}
		e.i32 = slices.Grow(e.i32[:0], pageRows)[:pageRows]
		clear(e.i32)
		for p := ch.lo; p < ch.hi; p += pageRows {
			q := min(p+pageRows, ch.hi)
			var err error
			if e.enc, err = parquet.RLEDictionary.EncodeInt32(e.enc[:0], e.i32[:q-p]); err != nil {
				return err
			}
			if err := ch.page(e.enc, 0, format.RLEDictionary, q-p, nonNil(s), nonNil(s)); err != nil {
				return err
			}
		}
		return nil
	}
	if e.small == nil {
		e.small = make(map[int32]int32)
	}
	clear(e.small)
	e.i32 = slices.Grow(e.i32[:0], n)[:n]
	e.enc = e.enc[:0]
	var codes []int32 // dictionary index to code
	prevCode, prevIdx := int32(-1), int32(-1)
	for r := ch.lo; r < ch.hi; r++ {
		code := get(e.row(r))
		if code != prevCode {
			i, ok := e.small[code]
			if !ok {
				i = int32(len(codes))
				e.small[code] = i
				codes = append(codes, code)
				s := str(code)
				e.enc = binary.LittleEndian.AppendUint32(e.enc, uint32(len(s)))
				e.enc = append(e.enc, s...)
			}
			prevCode, prevIdx = code, i
		}
		e.i32[r-ch.lo] = prevIdx
	}
	if len(codes) > 0 {
		if err := ch.page(e.enc, len(codes), 0, 0, nil, nil); err != nil {
			return err
		}
	}
	for p := ch.lo; p < ch.hi; p += pageRows {
		q := min(p+pageRows, ch.hi)
		idx := e.i32[p-ch.lo : q-ch.lo]
		var lo, hi []byte
		prev := int32(-1)
		for _, i := range idx {
			if i == prev {
				continue
			}
			s := str(codes[i])
			if prev < 0 || bytes.Compare(s, lo) < 0 {
				lo = s
			}
			if prev < 0 || bytes.Compare(s, hi) > 0 {
				hi = s
			}
			prev = i
		}
		var err error
		if e.enc, err = parquet.RLEDictionary.EncodeInt32(e.enc[:0], idx); err != nil {
			return err
		}
		if err := ch.page(e.enc, 0, format.RLEDictionary, q-p, nonNil(lo), nonNil(hi)); err != nil {
			return err
		}
	}
	return nil
}

// allEqual returns the one value of s, if all its values are equal and
// there is at least one.
func allEqual[T comparable](s []T) (T, bool) {
	var zero T
	if len(s) == 0 {
		return zero, false
	}
	for _, v := range s[1:] {
		if v != s[0] {
			return zero, false
		}
	}
	return s[0], true
}

func float64Bytes(v float64) []byte {
	return binary.LittleEndian.AppendUint64(make([]byte, 0, 8), math.Float64bits(v))
}

func int64Bytes(v int64) []byte {
	return binary.LittleEndian.AppendUint64(make([]byte, 0, 8), uint64(v))
}

// dictTable maps 64-bit values to dictionary indexes, in order of first
// appearance: open addressing, linear probing, no deletes.
type dictTable struct {
	slots []dictSlot
	vals  []uint64
	shift uint
}

type dictSlot struct {
	key uint64
	idx int32 // index + 1; 0 is empty
}

// reset empties the table, sized for up to limit values.
func (t *dictTable) reset(limit int) {
	size := 16
	for size < 2*limit {
		size *= 2
	}
	if cap(t.slots) >= size {
		t.slots = t.slots[:size]
		clear(t.slots)
	} else {
		t.slots = make([]dictSlot, size)
	}
	t.shift = uint(64 - bitsLen(size-1))
	t.vals = t.vals[:0]
}

func bitsLen(x int) int {
	n := 0
	for ; x > 0; x >>= 1 {
		n++
	}
	return n
}

// index returns v's index, adding it; false if that would exceed limit.
func (t *dictTable) index(v uint64, limit int) (int32, bool) {
	if len(t.vals) <= 8 {
		// A few distinct values (an hour's reading times): comparing
		// beats hashing.
		for i, x := range t.vals {
			if x == v {
				return int32(i), true
			}
		}
	}
	mask := uint64(len(t.slots) - 1)
	for h := (v * 0x9E3779B97F4A7C15) >> t.shift; ; h = (h + 1) & mask {
		s := &t.slots[h]
		if s.idx == 0 {
			if len(t.vals) == limit {
				return 0, false
			}
			t.vals = append(t.vals, v)
			s.key, s.idx = v, int32(len(t.vals))
			return s.idx - 1, true
		}
		if s.key == v {
			return s.idx - 1, true
		}
	}
}
