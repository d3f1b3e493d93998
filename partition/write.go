package partition

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/openmda/mda/meter"
	"gocloud.dev/blob"
)

// ContentType is the media type of the files the package writes.
const ContentType = "application/vnd.apache.parquet"

// FileInfo describes a written file.
type FileInfo struct {
	// Key is the file's partition.
	Key Key
	// Path is the file's key in the bucket.
	Path string
	// Rows is the number of reads in the file.
	Rows int64
	// Bytes is the size of the file.
	Bytes int64
	// MinTime and MaxTime are the earliest and latest reading times in the
	// file (zero if it has no rows).
	MinTime, MaxTime time.Time
}

const hourMillis = int64(time.Hour / time.Millisecond)

// WriteFile sorts reads (all must have key k, else error) and writes them
// to k.Path()+name+".parquet" on b, overwriting. name must be a safe file
// stem ([A-Za-z0-9._-]+, not starting with '.' or '_', which query engines
// treat as hidden). The reads slice is not modified.
//
// Rows are ordered by meter_id, then reading_date_time, then arrival_time,
// ties keeping their order in reads, so the same reads in the same order
// give the same bytes. Times are stored in milliseconds; finer digits are
// dropped. Every read's Quality must be 0 or a code meter.ParseQuality
// accepts, and its MeterID and Source valid UTF-8.
//
// The file is uploaded as it is encoded; if anything fails, the upload is
// aborted and no object is created or replaced.
func WriteFile(ctx context.Context, b *blob.Bucket, k Key, name string, reads []meter.Reading, opts *WriterOptions) (FileInfo, error) {
	cfg, err := opts.config()
	if err != nil {
		return FileInfo{}, err
	}
	if err := k.Valid(); err != nil {
		return FileInfo{}, err
	}
	if err := validStem(name); err != nil {
		return FileInfo{}, err
	}
	return writeFile(ctx, b, k, name, reads, cfg)
}

func writeFile(ctx context.Context, b *blob.Bucket, k Key, name string, reads []meter.Reading, cfg writerConfig) (FileInfo, error) {
	path := cfg.root + k.Path() + name + ".parquet"
	var d dict
	var c columns
	if err := c.appendReads(&d, k, reads, 0); err != nil {
		return FileInfo{}, fmt.Errorf("partition: %s: %w", path, err)
	}
	return writeColumns(ctx, b, k, path, &c, &d, d.ranks(), cfg)
}

// writeColumns sorts (and, with cfg.dedup, de-duplicates) one partition's
// columns and uploads them as a Parquet file.
func writeColumns(ctx context.Context, b *blob.Bucket, k Key, path string, c *columns, d *dict, ranks []int32, cfg writerConfig) (FileInfo, error) {
	info := FileInfo{Key: k, Path: path, Rows: int64(c.len())}
	if c.len() > 0 {
		lo, hi := c.ms[0], c.ms[0]
		for _, ms := range c.ms {
			lo, hi = min(lo, ms), max(hi, ms)
		}
		info.MinTime = time.UnixMilli(lo).UTC()
		info.MaxTime = time.UnixMilli(hi).UTC()
	}
	order := c.sortOrder(ranks)
	if cfg.dedup {
		order = c.dedupOrder(d, order)
		info.Rows = int64(len(order))
	}

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bw, err := b.NewWriter(wctx, info.Path, &blob.WriterOptions{ContentType: ContentType})
	if err != nil {
		return FileInfo{}, fmt.Errorf("partition: %w", err)
	}
	// The encoder writes a file in dozens of pieces (page headers, pages,
	// indexes, footer), and fileblob makes each a write(2): 38 system calls
	// per file of a household's hourly partitions, the most of any step.
	// Buffered, a small file is one write.
	buf := fileBuffers.Get().(*bufio.Writer)
	buf.Reset(bw)
	defer func() {
		buf.Reset(nil)
		fileBuffers.Put(buf)
	}()
	cw := &countingWriter{w: buf}
	err = encodeFile(cw, c, d, order, cfg)
	if err == nil {
		err = buf.Flush()
	}
	if err != nil {
		cancel() // abort the upload
		bw.Close()
		return FileInfo{}, fmt.Errorf("partition: writing %s: %w", info.Path, err)
	}
	if err := bw.Close(); err != nil {
		return FileInfo{}, fmt.Errorf("partition: writing %s: %w", info.Path, err)
	}
	info.Bytes = cw.n
	return info, nil
}

// fileBuffers holds the buffers between the encoder and a blob writer.
var fileBuffers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 64<<10) }}

// dict interns the strings of buffered reads (meter ids and sources), so
// that the columns hold small integers instead of string headers.
type dict struct {
	strs   []string
	index  map[string]int32
	recent [2]recentID // the last strings looked up (a meter id, a source)
	next   int
}

type recentID struct {
	s  string
	i  int32
	ok bool
}

// id returns the index of s, checking a new string is valid UTF-8.
func (d *dict) id(s string, what string) (int32, error) {
	// Decoders intern their strings and a line's reads share its meter id:
	// the same string header comes again and again, so compare pointers
	// before hashing.
	for j := range d.recent {
		if r := &d.recent[j]; len(r.s) == len(s) && unsafe.StringData(r.s) == unsafe.StringData(s) && r.ok {
			return r.i, nil
		}
	}
	i, err := d.lookup(s, what)
	if err == nil {
		d.recent[d.next] = recentID{s: s, i: i, ok: true}
		d.next = (d.next + 1) % len(d.recent)
	}
	return i, err
}

func (d *dict) lookup(s string, what string) (int32, error) {
	if i, ok := d.index[s]; ok {
		return i, nil
	}
	if !utf8.ValidString(s) {
		return 0, fmt.Errorf("%s is not valid UTF-8", what)
	}
	if d.index == nil {
		d.index = make(map[string]int32)
	}
	i := int32(len(d.strs))
	d.strs = append(d.strs, s)
	d.index[s] = i
	return i, nil
}

// ranks returns, for every interned string, its rank in sorted order.
func (d *dict) ranks() []int32 {
	byStr := make([]int32, len(d.strs))
	for i := range byStr {
		byStr[i] = int32(i)
	}
	slices.SortFunc(byStr, func(a, b int32) int { return strings.Compare(d.strs[a], d.strs[b]) })
	rank := make([]int32, len(d.strs))
	for r, i := range byStr {
		rank[i] = int32(r)
	}
	return rank
}

// columns holds the reads of one partition without pointers: millions of
// buffered reads cost the garbage collector nothing to scan and nothing to
// copy through write barriers, which with []meter.Reading buffers took about
// a third of an ingest's CPU time. A read takes 33 bytes instead of 112.
type columns struct {
	meter   []int32 // index in the dict
	value   []float64
	ms      []int64 // reading time, ms since the epoch
	arr     []int64 // arrival time, ms since the epoch
	source  []int32 // index in the dict
	quality []meter.Quality
}

func (c *columns) len() int { return len(c.ms) }

// reserve makes room for n rows.
func (c *columns) reserve(n int) {
	if n <= 0 {
		return
	}
	c.meter = slices.Grow(c.meter, n)
	c.value = slices.Grow(c.value, n)
	c.ms = slices.Grow(c.ms, n)
	c.arr = slices.Grow(c.arr, n)
	c.source = slices.Grow(c.source, n)
	c.quality = slices.Grow(c.quality, n)
}

// partitionRowsHint is the row count of the largest partition the last
// Writer closed, capped: a new Writer's partitions start with that much
// room. Growing them from nothing by doubling cost a tenth of an ingest's
// CPU time in copying and clearing, and left as much slack at the end.
var partitionRowsHint atomic.Int64

// maxRowsHint caps partitionRowsHint (64 Ki rows are 2 MiB of columns),
// and only a Writer's first maxHintedParts partitions get the room, so a
// Writer of many small partitions (a household's years, hour by hour)
// reserves at most 32 MiB it may not use.
const (
	maxRowsHint    = 1 << 16
	maxHintedParts = 16
)

// appendReads checks that reads belong to k and can be stored, and appends
// them. base is the index of reads[0] in the caller's input, for errors.
func (c *columns) appendReads(d *dict, k Key, reads []meter.Reading, base int) error {
	hour := k.Hour.UnixMilli()
	for i := range reads {
		r := &reads[i]
		ms := r.Time.UnixMilli()
		if r.Type != k.Type || ms < hour || ms >= hour+hourMillis {
			return fmt.Errorf("read %d (%v) is not in partition %s", base+i, r, k.Path())
		}
		if err := c.append(d, r, ms); err != nil {
			return fmt.Errorf("read %d (%v): %w", base+i, r, err)
		}
	}
	return nil
}

// append adds one read whose reading time is ms.
func (c *columns) append(d *dict, r *meter.Reading, ms int64) error {
	m, src, err := d.check(r.MeterID, r.Source, r.Quality)
	if err != nil {
		return err
	}
	c.appendRow(m, r.Value, ms, r.Arrival.UnixMilli(), src, r.Quality)
	return nil
}

// check validates a read's strings and quality and returns the strings'
// indexes.
func (d *dict) check(meterID, source string, q meter.Quality) (m, src int32, err error) {
	switch q {
	case 0, meter.QualityActual, meter.QualityEstimated, meter.QualitySubstituted, meter.QualityFinal, meter.QualityNull:
	default:
		return 0, 0, fmt.Errorf("invalid quality %q", byte(q))
	}
	if m, err = d.id(meterID, "meter id"); err != nil {
		return 0, 0, err
	}
	if src, err = d.id(source, "source"); err != nil {
		return 0, 0, err
	}
	return m, src, nil
}

func (c *columns) appendRow(m int32, value float64, ms, arr int64, src int32, q meter.Quality) {
	c.meter = append(c.meter, m)
	c.value = append(c.value, value)
	c.ms = append(c.ms, ms)
	c.arr = append(c.arr, arr)
	c.source = append(c.source, src)
	c.quality = append(c.quality, q)
}

// sortOrder returns the row indexes in file order: by meter id, then time,
// then arrival, ties in input order; nil if the rows are in that order
// already. It counting-sorts the rows on the rank of their meter and then
// sorts each meter's few rows by time, moving 4-byte indexes.
func (c *columns) sortOrder(rank []int32) []int32 {
	n := c.len()
	sorted := true
	for i := 1; i < n && sorted; i++ {
		a, b := rank[c.meter[i-1]], rank[c.meter[i]]
		if a > b || a == b && (c.ms[i-1] > c.ms[i] || c.ms[i-1] == c.ms[i] && c.arr[i-1] > c.arr[i]) {
			sorted = false
		}
	}
	if sorted {
		return nil
	}
	// Counting sort by meter rank: start[r] is where rank r's rows go.
	start := make([]int32, len(rank)+1)
	for _, m := range c.meter {
		start[rank[m]+1]++
	}
	for r := 1; r < len(start); r++ {
		start[r] += start[r-1]
	}
	order := make([]int32, n)
	next := slices.Clone(start[:len(rank)])
	for i, m := range c.meter {
		r := rank[m]
		order[next[r]] = int32(i)
		next[r]++
	}
	less := func(a, b int32) bool {
		return c.ms[a] < c.ms[b] || c.ms[a] == c.ms[b] && (c.arr[a] < c.arr[b] || c.arr[a] == c.arr[b] && a < b)
	}
	for r := range rank {
		g := order[start[r]:start[r+1]]
		if len(g) > 12 {
			slices.SortFunc(g, func(a, b int32) int {
				if less(a, b) {
					return -1
				}
				if less(b, a) {
					return 1
				}
				return 0
			})
			continue
		}
		for i := 1; i < len(g); i++ { // insertion sort
			for j := i; j > 0 && less(g[j], g[j-1]); j-- {
				g[j], g[j-1] = g[j-1], g[j]
			}
		}
	}
	return order
}

// dedupOrder keeps, of each run of rows with one (meter, time) in sorted
// order, the one Dedup would keep, and returns the surviving indexes.
func (c *columns) dedupOrder(d *dict, order []int32) []int32 {
	if order == nil {
		order = make([]int32, c.len())
		for i := range order {
			order[i] = int32(i)
		}
	}
	out := order[:0]
	for i := 0; i < len(order); {
		best := order[i]
		j := i + 1
		for ; j < len(order); j++ {
			x := order[j]
			if c.meter[x] != c.meter[best] || c.ms[x] != c.ms[best] {
				break
			}
			if c.prefer(d, x, best) {
				best = x
			}
		}
		out = append(out, best)
		i = j
	}
	return out
}

// prefer reports whether row a wins over row b of the same key, by the
// rule of preference: later arrival, then larger value, source, quality.
func (c *columns) prefer(d *dict, a, b int32) bool {
	if c.arr[a] != c.arr[b] {
		return c.arr[a] > c.arr[b]
	}
	if c.value[a] != c.value[b] {
		return c.value[a] > c.value[b]
	}
	if sa, sb := d.strs[c.source[a]], d.strs[c.source[b]]; sa != sb {
		return sa > sb
	}
	return c.quality[a] > c.quality[b]
}

// stringBytes returns the bytes of s without copying. The encoder never
// writes to them.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// qualityStrings holds the quality column's value of every Quality.
var qualityStrings = func() (s [256]string) {
	for q := range s {
		s[q] = meter.Quality(q).String()
	}
	return s
}()

func qualityString(q meter.Quality) string { return qualityStrings[q] }

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Writer routes reads of any partitions into per-partition buffers; Close
// sorts and writes one file per partition, all named name+".parquet", in
// parallel, and returns them sorted by path. It implements meter.Writer.
//
// A Writer holds every read in memory until Close: give it a bounded batch
// (an input file, an hour of a stream). Its methods are safe for
// concurrent use.
type Writer struct {
	b      *blob.Bucket
	name   string
	cfg    writerConfig
	cfgErr error

	mu    sync.Mutex
	dict  dict
	parts map[Key]*columns
	// recent caches the partitions of the last reads, one per type: a
	// head-end line gives one read of each of six types, so a single
	// "last partition" missed on every read and each read paid KeyOf and
	// a map lookup (a tenth of an ingest's CPU time).
	recent     [8]recentPart
	nextRecent int
	closed     bool
}

// recentPart is a cached partition: reads of type typ from hour (ms) to
// the next hour.
type recentPart struct {
	typ  meter.Type
	hour int64
	p    *columns
}

var _ meter.Writer = (*Writer)(nil)

// NewWriter returns a Writer of files named name+".parquet" on b. An
// invalid name or option is reported by Write and Close.
func NewWriter(b *blob.Bucket, name string, opts *WriterOptions) *Writer {
	w := &Writer{b: b, name: name, parts: make(map[Key]*columns)}
	w.cfg, w.cfgErr = opts.config()
	if w.cfgErr == nil {
		w.cfgErr = validStem(name)
	}
	return w
}

// ErrClosed is returned by Writer.Write after Close.
var ErrClosed = errors.New("partition: writer closed")

// Write buffers reads in their partitions. It returns the number of reads
// buffered: all of them, or those before the first read that cannot be
// stored (invalid type name, year outside 1 to 9999, invalid quality, or
// strings that are not UTF-8), with an error saying why. Write does not
// keep reads.
func (w *Writer) Write(reads []meter.Reading) (int, error) {
	if w.cfgErr != nil {
		return 0, w.cfgErr
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, ErrClosed
	}
	for i := range reads {
		r := &reads[i]
		ms := r.Time.UnixMilli()
		p, err := w.partitionOf(r.Type, ms)
		if err == nil {
			err = p.append(&w.dict, r, ms)
		}
		if err != nil {
			return i, fmt.Errorf("partition: read %d (%v): %w", i, r, err)
		}
	}
	return len(reads), nil
}

// partitionOf returns the buffer of the partition of reads of type typ at
// ms (Unix milliseconds), creating it.
func (w *Writer) partitionOf(typ meter.Type, ms int64) (*columns, error) {
	for j := range w.recent {
		if c := &w.recent[j]; c.p != nil && ms >= c.hour && ms < c.hour+hourMillis && c.typ == typ {
			return c.p, nil
		}
	}
	k := Key{Type: typ, Hour: time.UnixMilli(ms).UTC().Truncate(time.Hour)}
	p := w.parts[k]
	if p == nil {
		if err := k.Valid(); err != nil {
			return nil, err
		}
		p = new(columns)
		if len(w.parts) < maxHintedParts {
			p.reserve(int(partitionRowsHint.Load()))
		}
		w.parts[k] = p
	}
	w.recent[w.nextRecent] = recentPart{typ: k.Type, hour: k.Hour.UnixMilli(), p: p}
	w.nextRecent = (w.nextRecent + 1) % len(w.recent)
	return p, nil
}

// WriteRecord buffers the reads of one meter at one time: for each i, a
// read of types[i] with values[i] (the shape of a head-end line, see
// meter.HESRecord), without a meter.Reading per read. ms and arrivalMs are
// Unix milliseconds. The reads are checked as Write checks them, and are
// buffered all or none.
func (w *Writer) WriteRecord(meterID string, ms, arrivalMs int64, types []meter.Type, values []float64, source string, q meter.Quality) error {
	if w.cfgErr != nil {
		return w.cfgErr
	}
	if len(types) != len(values) {
		return fmt.Errorf("partition: WriteRecord: %d types and %d values", len(types), len(values))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	var parts [8]*columns
	ps := parts[:0]
	for _, typ := range types {
		p, err := w.partitionOf(typ, ms)
		if err != nil {
			return fmt.Errorf("partition: record of %q at %d: %w", meterID, ms, err)
		}
		ps = append(ps, p)
	}
	m, src, err := w.dict.check(meterID, source, q)
	if err != nil {
		return fmt.Errorf("partition: record of %q at %d: %w", meterID, ms, err)
	}
	for i, p := range ps {
		p.appendRow(m, values[i], ms, arrivalMs, src, q)
	}
	return nil
}

// Close writes the buffered partitions, one file each, with at most
// WriterOptions.Concurrency files in flight, and returns the files written,
// sorted by path. If some files fail, it returns the others and the errors
// joined. Close releases the buffers; later Writes fail with ErrClosed and
// later Closes return nothing.
func (w *Writer) Close(ctx context.Context) ([]FileInfo, error) {
	if w.cfgErr != nil {
		return nil, w.cfgErr
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil, nil
	}
	w.closed = true
	parts := w.parts
	w.parts, w.recent = nil, [len(w.recent)]recentPart{}
	w.mu.Unlock()

	keys := make([]Key, 0, len(parts))
	largest := 0
	for k, p := range parts {
		keys = append(keys, k)
		largest = max(largest, p.len())
	}
	partitionRowsHint.Store(int64(min(largest, maxRowsHint)))
	slices.SortFunc(keys, Key.Compare)
	ranks := w.dict.ranks() // shared by every partition
	infos := make([]FileInfo, len(keys))
	errs := make([]error, len(keys))
	sem := make(chan struct{}, w.cfg.concurrency)
	var wg sync.WaitGroup
	for i, k := range keys {
		if err := ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			path := w.cfg.root + k.Path() + w.name + ".parquet"
			infos[i], errs[i] = writeColumns(ctx, w.b, k, path, parts[k], &w.dict, ranks, w.cfg)
			*parts[k] = columns{} // free the rows as soon as they are written
		})
	}
	wg.Wait()
	out := make([]FileInfo, 0, len(keys))
	for i := range keys {
		if errs[i] == nil {
			out = append(out, infos[i])
		}
	}
	return out, errors.Join(errs...)
}
