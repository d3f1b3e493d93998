package partition

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/openmda/mda/meter"
	"github.com/parquet-go/parquet-go"
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
	info := FileInfo{Key: k, Path: cfg.root + k.Path() + name + ".parquet", Rows: int64(len(reads))}
	minMs, maxMs, err := checkReads(k, reads)
	if err != nil {
		return FileInfo{}, fmt.Errorf("partition: %s: %w", info.Path, err)
	}
	if len(reads) > 0 {
		info.MinTime = time.UnixMilli(minMs).UTC()
		info.MaxTime = time.UnixMilli(maxMs).UTC()
	}
	order := sortOrder(reads)
	if cfg.dedup {
		order = dedupOrder(reads, order)
		info.Rows = int64(len(order))
	}

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bw, err := b.NewWriter(wctx, info.Path, &blob.WriterOptions{ContentType: ContentType})
	if err != nil {
		return FileInfo{}, fmt.Errorf("partition: %w", err)
	}
	cw := &countingWriter{w: bw}
	if err := encode(cw, reads, order, cfg); err != nil {
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

// checkReads checks that every read belongs to k and can be stored, and
// returns the range of their times in milliseconds.
func checkReads(k Key, reads []meter.Reading) (minMs, maxMs int64, err error) {
	hour := k.Hour.UnixMilli()
	minMs, maxMs = hour+hourMillis, hour-1
	for i := range reads {
		r := &reads[i]
		ms := r.Time.UnixMilli()
		if r.Type != k.Type || ms < hour || ms >= hour+hourMillis {
			return 0, 0, fmt.Errorf("read %d (%v) is not in partition %s", i, r, k.Path())
		}
		if err := checkRead(r); err != nil {
			return 0, 0, fmt.Errorf("read %d (%v): %w", i, r, err)
		}
		minMs = min(minMs, ms)
		maxMs = max(maxMs, ms)
	}
	return minMs, maxMs, nil
}

// checkRead checks the fields of r that the file format constrains.
func checkRead(r *meter.Reading) error {
	switch r.Quality {
	case 0, meter.QualityActual, meter.QualityEstimated, meter.QualitySubstituted, meter.QualityFinal, meter.QualityNull:
	default:
		return fmt.Errorf("invalid quality %q", byte(r.Quality))
	}
	if !utf8.ValidString(r.MeterID) {
		return errors.New("meter id is not valid UTF-8")
	}
	if !utf8.ValidString(r.Source) {
		return errors.New("source is not valid UTF-8")
	}
	return nil
}

// sortOrder returns the indexes of reads in file order: by meter, then
// time, then arrival (meter.Compare within one partition, at millisecond
// precision), ties in input order. It returns nil if reads are already in
// that order.
//
// It sorts the distinct meter ids only, places the reads by a counting sort
// on the rank of their meter (stable), and then sorts each meter's few reads
// by time. An hourly partition has many reads of each meter, so this does a
// fraction of the string comparisons of a comparison sort of the reads, and
// it moves 4-byte indexes, not Readings; the caller's slice is not touched.
func sortOrder(reads []meter.Reading) []int32 {
	n := len(reads)
	ms := make([]int64, n)
	arr := make([]int64, n)
	sorted := true
	for i := range reads {
		ms[i], arr[i] = reads[i].Time.UnixMilli(), reads[i].Arrival.UnixMilli()
		if sorted && i > 0 {
			a, b := &reads[i-1], &reads[i]
			if c := strings.Compare(a.MeterID, b.MeterID); c > 0 || c == 0 && (ms[i-1] > ms[i] || ms[i-1] == ms[i] && arr[i-1] > arr[i]) {
				sorted = false
			}
		}
	}
	if sorted {
		return nil
	}
	// Rank the distinct meter ids.
	rank := make([]int32, n)
	ranks := make(map[string]int32)
	var ids []string
	last := ""
	lastRank := int32(-1)
	for i := range reads {
		id := reads[i].MeterID
		if lastRank < 0 || id != last {
			r, ok := ranks[id]
			if !ok {
				r = int32(len(ids))
				ranks[id] = r
				ids = append(ids, id)
			}
			last, lastRank = id, r
		}
		rank[i] = lastRank
	}
	byID := make([]int32, len(ids))
	for i := range byID {
		byID[i] = int32(i)
	}
	slices.SortFunc(byID, func(a, b int32) int { return strings.Compare(ids[a], ids[b]) })
	pos := make([]int32, len(ids)) // rank -> position in id order
	for p, r := range byID {
		pos[r] = int32(p)
	}
	// Counting sort by id position: start[p] is where meter p's reads go.
	start := make([]int32, len(ids)+1)
	for i := range rank {
		start[pos[rank[i]]+1]++
	}
	for p := 1; p < len(start); p++ {
		start[p] += start[p-1]
	}
	order := make([]int32, n)
	next := slices.Clone(start[:len(ids)])
	for i := range rank {
		p := pos[rank[i]]
		order[next[p]] = int32(i)
		next[p]++
	}
	// Sort each meter's reads by time and arrival; the counting sort kept
	// them in input order, which breaks the remaining ties.
	less := func(a, b int32) bool {
		return ms[a] < ms[b] || ms[a] == ms[b] && (arr[a] < arr[b] || arr[a] == arr[b] && a < b)
	}
	for p := range ids {
		g := order[start[p]:start[p+1]]
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

// batchRows is how many rows encode hands to the column writers at a time.
const batchRows = 4096

// encode writes reads, in the given order (nil: as they are), as a Parquet
// file to w.
func encode(w io.Writer, reads []meter.Reading, order []int32, cfg writerConfig) error {
	if len(reads) > 1<<31-1 {
		return errors.New("too many reads for one file")
	}
	pw := parquet.NewWriter(w, cfg.parquetOptions()...)
	var values [numColumns][]parquet.Value
	for c := range values {
		values[c] = make([]parquet.Value, batchRows)
	}
	inGroup := 0
	total := len(reads)
	if order != nil {
		total = len(order) // de-duplication may have dropped rows
	}
	for start := 0; start < total; {
		end := min(start+batchRows, total, start+cfg.rowGroupRows-inGroup)
		mid, val, tim, src, arr, qua := values[colMeterID], values[colValue], values[colTime],
			values[colSource], values[colArrival], values[colQuality]
		for j := range end - start {
			i := start + j
			if order != nil {
				i = int(order[i])
			}
			r := &reads[i]
			mid[j] = parquet.ByteArrayValue(stringBytes(r.MeterID))
			val[j] = parquet.DoubleValue(r.Value)
			tim[j] = parquet.Int64Value(r.Time.UnixMilli())
			src[j] = parquet.ByteArrayValue(stringBytes(r.Source))
			arr[j] = parquet.Int64Value(r.Arrival.UnixMilli())
			qua[j] = parquet.ByteArrayValue(stringBytes(qualityString(r.Quality)))
		}
		cols := pw.ColumnWriters()
		for c := range cols {
			if _, err := cols[c].WriteRowValues(values[c][:end-start]); err != nil {
				return err
			}
		}
		inGroup += end - start
		start = end
		if inGroup == cfg.rowGroupRows {
			if err := pw.Flush(); err != nil {
				return err
			}
			inGroup = 0
		}
	}
	// The values alias the reads' strings; drop them before the buffers
	// could outlive this call.
	for c := range values {
		clear(values[c])
	}
	return pw.Close()
}

// stringBytes returns the bytes of s without copying. parquet-go copies
// the values it is given, and never writes to them.
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

	mu     sync.Mutex
	parts  map[Key]*[]meter.Reading
	last   Key
	lastP  *[]meter.Reading
	closed bool
}

var _ meter.Writer = (*Writer)(nil)

// NewWriter returns a Writer of files named name+".parquet" on b. An
// invalid name or option is reported by Write and Close.
func NewWriter(b *blob.Bucket, name string, opts *WriterOptions) *Writer {
	w := &Writer{b: b, name: name, parts: make(map[Key]*[]meter.Reading)}
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
		k := KeyOf(*r)
		p := w.lastP
		if p == nil || k != w.last {
			p = w.parts[k]
			if p == nil {
				if err := k.Valid(); err != nil {
					return i, fmt.Errorf("partition: read %d (%v): %w", i, r, err)
				}
				p = new([]meter.Reading)
				w.parts[k] = p
			}
			w.last, w.lastP = k, p
		}
		if err := checkRead(r); err != nil {
			return i, fmt.Errorf("partition: read %d (%v): %w", i, r, err)
		}
		*p = append(*p, *r)
	}
	return len(reads), nil
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
	w.parts, w.lastP = nil, nil
	w.mu.Unlock()

	keys := make([]Key, 0, len(parts))
	for k := range parts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, Key.Compare)
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
			infos[i], errs[i] = writeFile(ctx, w.b, k, w.name, *parts[k], w.cfg)
			*parts[k] = nil // free the reads as soon as they are written
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

// dedupOrder keeps, of each run of reads with one (meter, time) in sorted
// order, the one that Dedup would keep, and returns the surviving indexes.
func dedupOrder(reads []meter.Reading, order []int32) []int32 {
	if order == nil {
		order = make([]int32, len(reads))
		for i := range order {
			order[i] = int32(i)
		}
	}
	out := order[:0]
	for i := 0; i < len(order); {
		best := order[i]
		j := i + 1
		for ; j < len(order); j++ {
			a, b := &reads[best], &reads[order[j]]
			if a.MeterID != b.MeterID || !a.Time.Equal(b.Time) {
				break
			}
			if preference(*b, *a) > 0 {
				best = order[j]
			}
		}
		out = append(out, best)
		i = j
	}
	return out
}
