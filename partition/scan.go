package partition

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/openmda/mda/internal/blobio"
	"github.com/openmda/mda/meter"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"gocloud.dev/blob"
)

// Filter selects reads. The zero Filter (or nil) selects every read.
type Filter struct {
	// Types selects reading types; empty means all.
	Types []meter.Type
	// From and To bound the reading time, half-open: From <= Time < To.
	// A zero From or To leaves that side unbounded.
	From, To time.Time
	// MeterIDs selects meters; empty means all.
	MeterIDs []string
	// ValuesOnly decodes only meter_id, reading_value and
	// reading_date_time: the reads' Source, Arrival and Quality are left
	// zero. Aggregates need no more, and skip half the columns.
	ValuesOnly bool
	// Keys, if not nil, is the list of partitions to consider instead of
	// listing the bucket: e.g. from a catalog (catalog.ReadingsPartitions),
	// which answers faster than a listing of a large lake. Keys that do
	// not match Types, From and To are still pruned.
	Keys []Key
}

// ScanStats reports what a Scan read and what it skipped.
type ScanStats struct {
	// Partitions is the number of partitions scanned.
	Partitions int64
	// PartitionsPruned counts the directories (of any level: reading_type,
	// year, month, day or hour) that listing skipped because the filter
	// excludes them; a pruned year counts once however many hours it holds.
	PartitionsPruned int64
	// Files is the number of files opened (their footers read).
	Files int64
	// RowGroups is the number of row groups in the files opened, and
	// RowGroupsPruned how many of them were skipped, by statistics or the
	// bloom filter, without reading their data.
	RowGroups, RowGroupsPruned int64
	// Rows is the number of rows decoded, Reads the number of reads that
	// matched the filter and were passed to fn.
	Rows, Reads int64
	// BytesRead is the number of bytes downloaded from files, and Requests
	// the number of ranged reads that took (listings not included).
	BytesRead int64
	Requests  int64
}

// plan is a Filter prepared for pruning.
type plan struct {
	types        []meter.Type // sorted, distinct; nil = all
	from, to     time.Time
	hasFrom      bool
	hasTo        bool
	fromMs, toMs int64 // [fromMs, toMs); math.MinInt64/MaxInt64 if unbounded
	ids          map[string]struct{}
	sortedIDs    []string
	keys         []Key // given partitions, nil = list the bucket
	haveKeys     bool
	valuesOnly   bool
}

func newPlan(f *Filter) (*plan, error) {
	p := &plan{fromMs: math.MinInt64, toMs: math.MaxInt64}
	if f == nil {
		return p, nil
	}
	for _, t := range f.Types {
		if !meter.ValidTypeName(string(t)) {
			return nil, fmt.Errorf("partition: filter: invalid reading type %q", t)
		}
	}
	if len(f.Types) > 0 {
		p.types = slices.Compact(slices.Sorted(slices.Values(f.Types)))
	}
	if !f.From.IsZero() {
		p.from, p.hasFrom = f.From, true
		// Times are stored in milliseconds: round From up.
		p.fromMs = f.From.UnixMilli()
		if f.From.Nanosecond()%1e6 != 0 {
			p.fromMs++
		}
	}
	if !f.To.IsZero() {
		p.to, p.hasTo = f.To, true
		// A read at ms matches if ms < To, i.e. ms < ceil(To in ms).
		p.toMs = f.To.UnixMilli()
		if f.To.Nanosecond()%1e6 != 0 {
			p.toMs++
		}
	}
	p.valuesOnly = f.ValuesOnly
	if f.Keys != nil {
		p.keys, p.haveKeys = slices.SortedFunc(slices.Values(f.Keys), Key.Compare), true
		p.keys = slices.CompactFunc(p.keys, func(a, b Key) bool { return a == b })
	}
	if len(f.MeterIDs) > 0 {
		p.ids = make(map[string]struct{}, len(f.MeterIDs))
		for _, id := range f.MeterIDs {
			p.ids[id] = struct{}{}
		}
		p.sortedIDs = slices.Compact(slices.Sorted(slices.Values(f.MeterIDs)))
	}
	return p, nil
}

// overlaps reports whether [start, end) meets the filter's time range.
func (p *plan) overlaps(start, end time.Time) bool {
	return (!p.hasTo || start.Before(p.to)) && (!p.hasFrom || end.After(p.from))
}

// Partitions lists partition keys under Prefix matching the filter's types
// and time, pruning by listing directories level by level (reading_type=
// then year= month= day= hour=) so that a one-day query does not list the
// whole lake: only the directories that can hold matching reads are listed.
// If the filter names types, their directories are not even looked up in a
// listing. Entries that are not valid partition directories are ignored.
// The keys are in key order (type, then hour).
func Partitions(ctx context.Context, b *blob.Bucket, f *Filter) ([]Key, error) {
	p, err := newPlan(f)
	if err != nil {
		return nil, err
	}
	var st ScanStats
	return p.partitions(ctx, b, &st)
}

func (p *plan) partitions(ctx context.Context, b *blob.Bucket, st *ScanStats) ([]Key, error) {
	if p.haveKeys {
		var out []Key
		for _, k := range p.keys {
			if (p.types == nil || slices.Contains(p.types, k.Type)) && p.overlaps(k.Hour, k.Hour.Add(time.Hour)) {
				out = append(out, k)
			} else {
				st.PartitionsPruned++
			}
		}
		return out, nil
	}
	types := p.types
	if types == nil {
		names, err := ListDirs(ctx, b, Prefix)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if t, ok := strings.CutPrefix(n, "reading_type="); ok && meter.ValidTypeName(t) {
				types = append(types, meter.Type(t))
			}
		}
		slices.Sort(types)
	}
	var keys []Key
	for _, t := range types {
		typePrefix := Prefix + "reading_type=" + string(t) + "/"
		years, err := p.level(ctx, b, typePrefix, "year=", 4, 1, 9999, st, func(y int) (time.Time, time.Time) {
			return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
		})
		if err != nil {
			return nil, err
		}
		for _, y := range years {
			yPrefix := typePrefix + fmt.Sprintf("year=%04d/", y)
			months, err := p.level(ctx, b, yPrefix, "month=", 2, 1, 12, st, func(m int) (time.Time, time.Time) {
				return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC), time.Date(y, time.Month(m)+1, 1, 0, 0, 0, 0, time.UTC)
			})
			if err != nil {
				return nil, err
			}
			for _, m := range months {
				mPrefix := yPrefix + fmt.Sprintf("month=%02d/", m)
				days, err := p.level(ctx, b, mPrefix, "day=", 2, 1, daysIn(y, m), st, func(d int) (time.Time, time.Time) {
					return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), time.Date(y, time.Month(m), d+1, 0, 0, 0, 0, time.UTC)
				})
				if err != nil {
					return nil, err
				}
				for _, d := range days {
					dPrefix := mPrefix + fmt.Sprintf("day=%02d/", d)
					hours, err := p.level(ctx, b, dPrefix, "hour=", 2, 0, 23, st, func(h int) (time.Time, time.Time) {
						start := time.Date(y, time.Month(m), d, h, 0, 0, 0, time.UTC)
						return start, start.Add(time.Hour)
					})
					if err != nil {
						return nil, err
					}
					for _, h := range hours {
						keys = append(keys, Key{Type: t, Hour: time.Date(y, time.Month(m), d, h, 0, 0, 0, time.UTC)})
					}
				}
			}
		}
	}
	return keys, nil
}

// level lists the subdirectories of prefix named name+digits, and returns
// the values (in [lo, hi]) whose time span meets the filter, sorted.
func (p *plan) level(ctx context.Context, b *blob.Bucket, prefix, name string, digits, lo, hi int, st *ScanStats,
	span func(int) (time.Time, time.Time)) ([]int, error) {
	dirs, err := ListDirs(ctx, b, prefix)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, dir := range dirs {
		s, ok := strings.CutPrefix(dir, name)
		if !ok {
			continue
		}
		v, ok := parseDigits(s, digits)
		if !ok || v < lo || v > hi {
			continue
		}
		if !p.overlaps(span(v)) {
			st.PartitionsPruned++
			continue
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// ListDirs returns the names (without slashes) of the subdirectories of
// prefix, e.g. ["year=2024"] for "readings/reading_type=kw/". The lake's
// other tables are walked with it too.
func ListDirs(ctx context.Context, b *blob.Bucket, prefix string) ([]string, error) {
	it := b.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
	var out []string
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("partition: listing %s: %w", prefix, err)
		}
		if obj.IsDir {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(obj.Key, prefix), "/"))
		}
	}
}

// fileEntry is a data file of a partition.
type fileEntry struct {
	path string
	size int64
}

// listFiles returns the Parquet files of a partition directory, by name,
// leaving out hidden files (names starting with '.' or '_', as Hive does).
func listFiles(ctx context.Context, b *blob.Bucket, dir string) ([]fileEntry, error) {
	it := b.List(&blob.ListOptions{Prefix: dir, Delimiter: "/"})
	var out []fileEntry
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("partition: listing %s: %w", dir, err)
		}
		name := strings.TrimPrefix(obj.Key, dir)
		if obj.IsDir || name == "" || name[0] == '.' || name[0] == '_' || !strings.HasSuffix(name, ".parquet") {
			continue
		}
		out = append(out, fileEntry{path: obj.Key, size: obj.Size})
	}
	slices.SortFunc(out, func(a, b fileEntry) int { return cmp.Compare(a.path, b.path) })
	return out, nil
}

// scanBatch is the largest batch Scan passes to fn.
const scanBatch = 4096

// Scan calls fn with batches of matching reads (fn must not keep the
// slice; the reads' strings may be kept), partition by partition in key
// order, files in name order, rows in file order. A batch holds reads of one
// partition. Scan prunes partitions by type and time (see Partitions), row
// groups by the min/max statistics of meter_id and reading_date_time and by
// the meter_id bloom filter, and filters rows exactly. Row groups it prunes
// are never downloaded: it reads each file's tail (footer and bloom
// filters) in one request and each row group it keeps in one more.
//
// Scan reads files written by other engines too, if they have the columns
// meter_id, reading_value and reading_date_time (quality, reading_source
// and arrival_time may be missing), strings as byte arrays, timestamps in
// milli-, micro- or nanoseconds; nulls become zero values.
//
// If fn returns an error, Scan stops and returns it.
func Scan(ctx context.Context, b *blob.Bucket, f *Filter, fn func([]meter.Reading) error) (ScanStats, error) {
	var st ScanStats
	p, err := newPlan(f)
	if err != nil {
		return st, err
	}
	keys, err := p.partitions(ctx, b, &st)
	if err != nil {
		return st, err
	}
	if p.ids == nil {
		// A scan of every meter streams: its reads go to fn batch by
		// batch, never held a partition at a time.
		s := newScanner(p, fn, &st)
		defer s.release()
		for _, k := range keys {
			files, err := listFiles(ctx, b, k.Path())
			if err != nil {
				return st, err
			}
			st.Partitions++
			for _, fe := range files {
				if err := s.scanFile(ctx, b, k, fe); err != nil {
					return st, err
				}
			}
			if err := s.flush(); err != nil {
				return st, err
			}
		}
		return st, nil
	}
	// A meter query spends its time on round trips and footers, not on
	// reads: partitions are listed and decoded by a few goroutines at once
	// and their (few) reads handed to fn in key order. At most scanAhead
	// partitions' reads are held at a time.
	type result struct {
		reads []meter.Reading
		st    ScanStats
		err   error
		done  chan struct{}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]*result, len(keys))
	for i := range results {
		results[i] = &result{done: make(chan struct{})}
	}
	sem := make(chan struct{}, scanAhead)
	go func() {
		for i, k := range keys {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				for _, r := range results[i:] {
					r.err = ctx.Err()
					close(r.done)
				}
				return
			}
			go func() {
				r := results[i]
				defer close(r.done)
				r.st.Partitions = 1
				files, err := listFiles(ctx, b, k.Path())
				if err != nil {
					r.err = err
					return
				}
				s := newScanner(p, func(reads []meter.Reading) error {
					r.reads = append(r.reads, reads...)
					return nil
				}, &r.st)
				defer s.release()
				for _, fe := range files {
					if err := s.scanFile(ctx, b, k, fe); err != nil {
						r.err = err
						return
					}
				}
				r.err = s.flush()
			}()
		}
	}()
	for _, r := range results {
		<-r.done
		if r.err != nil {
			return st, r.err
		}
		st.add(r.st)
		for len(r.reads) > 0 {
			n := min(len(r.reads), scanBatch)
			if err := fn(r.reads[:n]); err != nil {
				return st, err
			}
			r.reads = r.reads[n:]
		}
		r.reads = nil
		<-sem
	}
	return st, nil
}

// scanAhead bounds the partitions Scan works on at once.
const scanAhead = 8

func (s *ScanStats) add(o ScanStats) {
	s.Partitions += o.Partitions
	s.PartitionsPruned += o.PartitionsPruned
	s.Files += o.Files
	s.RowGroups += o.RowGroups
	s.RowGroupsPruned += o.RowGroupsPruned
	s.Rows += o.Rows
	s.Reads += o.Reads
	s.BytesRead += o.BytesRead
	s.Requests += o.Requests
}

// ReadAll returns every read that matches f, in Scan order.
func ReadAll(ctx context.Context, b *blob.Bucket, f *Filter) ([]meter.Reading, ScanStats, error) {
	var out []meter.Reading
	st, err := Scan(ctx, b, f, func(reads []meter.Reading) error {
		out = append(out, reads...)
		return nil
	})
	return out, st, err
}

// scanner holds the buffers of a Scan.
type scanner struct {
	p      *plan
	fn     func([]meter.Reading) error
	st     *ScanStats
	out    []meter.Reading
	values [numColumns][]parquet.Value
	intern map[string]string
	last   [2]string // the last strings interned: rows come sorted by meter
}

// valueBuffers recycles the column buffers of scanners: Scan makes one
// scanner per partition, and 590 KB of buffers each would be most of a
// one-meter query's allocations.
var valueBuffers = sync.Pool{New: func() any {
	v := new([numColumns][]parquet.Value)
	for c := range v {
		v[c] = make([]parquet.Value, scanBatch)
	}
	return v
}}

func newScanner(p *plan, fn func([]meter.Reading) error, st *ScanStats) *scanner {
	s := &scanner{p: p, fn: fn, st: st, out: make([]meter.Reading, 0, scanBatch), intern: make(map[string]string)}
	s.values = *valueBuffers.Get().(*[numColumns][]parquet.Value)
	return s
}

// release returns the scanner's buffers; the scanner is not used after.
func (s *scanner) release() {
	for c := range s.values {
		clear(s.values[c]) // drop references into released pages
	}
	v := s.values
	valueBuffers.Put(&v)
	s.values = [numColumns][]parquet.Value{}
}

// flush passes the buffered reads to fn.
func (s *scanner) flush() error {
	if len(s.out) == 0 {
		return nil
	}
	s.st.Reads += int64(len(s.out))
	err := s.fn(s.out)
	clear(s.out) // do not keep the strings alive
	s.out = s.out[:0]
	return err
}

// str returns b as a string, one string per distinct value.
func (s *scanner) str(b []byte) string {
	// Files are sorted by meter, so a meter id repeats row after row:
	// comparing bytes with the last ids is cheaper than hashing them.
	for _, l := range s.last {
		if string(b) == l {
			return l
		}
	}
	v := s.lookup(b)
	s.last[1], s.last[0] = s.last[0], v
	return v
}

func (s *scanner) lookup(b []byte) string {
	if v, ok := s.intern[string(b)]; ok {
		return v
	}
	if len(s.intern) >= 1<<20 {
		clear(s.intern)
	}
	v := string(b)
	s.intern[v] = v
	return v
}

// fileLayout locates the columns of a file.
type fileLayout struct {
	col  [numColumns]int   // leaf column index, -1 if absent
	unit [numColumns]int64 // for timestamps: units per millisecond
}

var columnNames = [numColumns]string{ColMeterID, ColReadingValue, ColReadingDateTime, ColReadingSource, ColArrivalTime, ColQuality}

func layoutOf(pf *parquet.File) (fileLayout, error) {
	var l fileLayout
	root := pf.Root()
	for c, name := range columnNames {
		l.col[c] = -1
		col := root.Column(name)
		if col == nil {
			if c == colMeterID || c == colValue || c == colTime {
				return l, fmt.Errorf("no column %s", name)
			}
			continue
		}
		if !col.Leaf() || col.Repeated() {
			return l, fmt.Errorf("column %s is not a plain column", name)
		}
		kind := col.Type().Kind()
		switch c {
		case colMeterID, colSource, colQuality:
			if kind != parquet.ByteArray {
				return l, fmt.Errorf("column %s is %v, want a string", name, col.Type())
			}
		case colValue:
			if kind != parquet.Double {
				return l, fmt.Errorf("column %s is %v, want double", name, col.Type())
			}
		case colTime, colArrival:
			unit, ok := timestampUnit(col.Type())
			if !ok {
				return l, fmt.Errorf("column %s is %v, want an INT64 timestamp", name, col.Type())
			}
			l.unit[c] = unit
		}
		l.col[c] = col.Index()
	}
	return l, nil
}

// timestampUnit returns the number of units of an INT64 timestamp type per
// millisecond.
func timestampUnit(t parquet.Type) (int64, bool) {
	if t.Kind() != parquet.Int64 {
		return 0, false
	}
	lt := t.LogicalType()
	if lt == nil {
		return 0, false
	}
	ts, ok := lt.Value.(*format.TimestampType)
	if !ok {
		return 0, false
	}
	switch ts.Unit.Value.(type) {
	case *format.MilliSeconds:
		return 1, true
	case *format.MicroSeconds:
		return 1e3, true
	case *format.NanoSeconds:
		return 1e6, true
	}
	return 0, false
}

// toMillis converts a timestamp of the given unit to milliseconds, rounding
// down.
func toMillis(v, unit int64) int64 {
	if unit == 1 {
		return v
	}
	q := v / unit
	if v%unit < 0 {
		q--
	}
	return q
}

// zeroTimeMs is the Unix millisecond of the zero time.Time, which stands
// for a null timestamp.
var zeroTimeMs = time.Time{}.UnixMilli()

func (s *scanner) scanFile(ctx context.Context, b *blob.Bucket, k Key, fe fileEntry) (err error) {
	ra, err := blobio.NewReaderAt(ctx, b, fe.path, &blobio.Options{Size: fe.size})
	if err != nil {
		return fmt.Errorf("partition: %w", err)
	}
	defer func() {
		s.st.BytesRead += ra.BytesRead()
		s.st.Requests += ra.Requests()
	}()
	pf, err := parquet.OpenFile(ra, fe.size,
		parquet.SkipMagicBytes(true),
		// The page index lets a meter query decode a few pages of a row
		// group; a scan of everything has no use for it.
		parquet.SkipPageIndex(s.p.ids == nil),
		parquet.SkipBloomFilters(s.p.ids == nil),
		parquet.ReadBufferSize(32<<10),
	)
	if err != nil {
		return fmt.Errorf("partition: opening %s: %w", fe.path, err)
	}
	s.st.Files++
	layout, err := layoutOf(pf)
	if err != nil {
		return fmt.Errorf("partition: %s: %w", fe.path, err)
	}
	meta := pf.Metadata()
	for g, rg := range pf.RowGroups() {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.st.RowGroups++
		keep, err := s.keepRowGroup(rg, &layout)
		if err != nil {
			return fmt.Errorf("partition: %s: row group %d: %w", fe.path, g, err)
		}
		if !keep {
			s.st.RowGroupsPruned++
			continue
		}
		// One request for the row group: on an object store that beats a
		// request per page even when the page index skips most of them.
		if err := ra.Prefetch(rowGroupRange(&meta.RowGroups[g], &layout)); err != nil {
			return fmt.Errorf("partition: %w", err)
		}
		if err := s.readRowGroup(k, rg, &layout); err != nil {
			return fmt.Errorf("partition: %s: row group %d: %w", fe.path, g, err)
		}
		ra.Release()
	}
	return nil
}

// keepRowGroup reports whether a row group may hold matching reads.
func (s *scanner) keepRowGroup(rg parquet.RowGroup, l *fileLayout) (bool, error) {
	if rg.NumRows() == 0 {
		return false, nil
	}
	chunks := rg.ColumnChunks()
	if s.p.hasFrom || s.p.hasTo {
		if c, ok := chunks[l.col[colTime]].(*parquet.FileColumnChunk); ok {
			if lo, hi, ok := c.Bounds(); ok && !lo.IsNull() && !hi.IsNull() {
				unit := l.unit[colTime]
				if toMillis(hi.Int64(), unit) < s.p.fromMs || toMillis(lo.Int64(), unit) >= s.p.toMs {
					return false, nil
				}
			}
		}
	}
	if s.p.ids != nil {
		return MayHoldMeters(chunks[l.col[colMeterID]], s.p.sortedIDs)
	}
	return true, nil
}

// MayHoldMeters reports whether a meter_id column chunk may hold one of the
// sorted ids: by its min/max statistics, then its bloom filter. A false
// answer is certain; skip the row group.
func MayHoldMeters(cc parquet.ColumnChunk, sortedIDs []string) (bool, error) {
	c, ok := cc.(*parquet.FileColumnChunk)
	if !ok {
		return true, nil
	}
	ids := sortedIDs
	if lo, hi, ok := c.Bounds(); ok && !lo.IsNull() && !hi.IsNull() {
		// The ids within [lo, hi].
		i, _ := slices.BinarySearch(ids, string(lo.ByteArray()))
		j, found := slices.BinarySearch(ids, string(hi.ByteArray()))
		if found {
			j++
		}
		ids = ids[i:j]
	}
	if len(ids) == 0 {
		return false, nil
	}
	bf := c.BloomFilter()
	if bf == nil {
		return true, nil
	}
	for _, id := range ids {
		ok, err := bf.Check(parquet.ByteArrayValue(stringBytes(id)))
		if err != nil {
			return false, fmt.Errorf("checking bloom filter: %w", err)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// rowGroupRange returns the byte range of the columns of a row group that
// Scan reads.
func rowGroupRange(rg *format.RowGroup, l *fileLayout) (off, n int64) {
	start, end := int64(math.MaxInt64), int64(0)
	for _, c := range l.col {
		if c < 0 || c >= len(rg.Columns) {
			continue
		}
		md := &rg.Columns[c].MetaData
		s := md.DataPageOffset
		if d := md.DictionaryPageOffset; d > 0 && d < s {
			s = d
		}
		start = min(start, s)
		end = max(end, s+md.TotalCompressedSize)
	}
	if end <= start {
		return 0, 0
	}
	return start, end - start
}

// columnCursor reads the values of a column chunk across its pages.
type columnCursor struct {
	pages   parquet.Pages
	page    parquet.Page
	values  parquet.ValueReader
	retired []parquet.Page // pages whose values may still be referenced
}

// read fills buf, crossing pages, and returns how many values it read.
func (c *columnCursor) read(buf []parquet.Value) (int, error) {
	n := 0
	for n < len(buf) {
		if c.values == nil {
			p, err := c.pages.ReadPage()
			if err != nil {
				if err == io.EOF {
					return n, nil
				}
				return n, err
			}
			c.page, c.values = p, p.Values()
		}
		m, err := c.values.ReadValues(buf[n:])
		n += m
		if err == io.EOF {
			c.retired = append(c.retired, c.page)
			c.page, c.values = nil, nil
			continue
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// release releases the pages read to the end.
func (c *columnCursor) release() {
	for _, p := range c.retired {
		parquet.Release(p)
	}
	clear(c.retired)
	c.retired = c.retired[:0]
}

func (c *columnCursor) close() {
	c.release()
	if c.page != nil {
		parquet.Release(c.page)
	}
	c.pages.Close()
}

// seek positions the cursor at a row of its column chunk.
func (c *columnCursor) seek(row int64) error {
	if c.page != nil {
		c.retired = append(c.retired, c.page)
		c.page, c.values = nil, nil
	}
	return c.pages.SeekToRow(row)
}

// rowSpan is a half-open range of rows of a row group.
type rowSpan struct{ start, end int64 }

// meterSpans returns the rows of a row group that may hold the filter's
// meters, from the page index of meter_id: rows are sorted by meter, so a
// page's min and max bound its meters, and the pages that cannot hold a
// wanted meter are never decoded. Without a page index, the whole row group.
func (s *scanner) meterSpans(rg parquet.RowGroup, l *fileLayout) []rowSpan {
	all := []rowSpan{{0, rg.NumRows()}}
	c, ok := rg.ColumnChunks()[l.col[colMeterID]].(*parquet.FileColumnChunk)
	if !ok {
		return all
	}
	ci, err := c.ColumnIndex()
	if err != nil {
		return all
	}
	oi, err := c.OffsetIndex()
	if err != nil || oi.NumPages() != ci.NumPages() {
		return all
	}
	var spans []rowSpan
	for i := range ci.NumPages() {
		if ci.NullPage(i) {
			continue
		}
		lo, hi := ci.MinValue(i), ci.MaxValue(i)
		if lo.IsNull() || hi.IsNull() {
			return all
		}
		j, _ := slices.BinarySearch(s.p.sortedIDs, string(lo.ByteArray()))
		if j == len(s.p.sortedIDs) || s.p.sortedIDs[j] > string(hi.ByteArray()) {
			continue // no wanted meter in [lo, hi]
		}
		start, end := oi.FirstRowIndex(i), rg.NumRows()
		if i+1 < oi.NumPages() {
			end = oi.FirstRowIndex(i + 1)
		}
		if n := len(spans); n > 0 && spans[n-1].end == start {
			spans[n-1].end = end
		} else {
			spans = append(spans, rowSpan{start, end})
		}
	}
	return spans
}

// readRowGroup decodes a row group and appends its matching reads.
func (s *scanner) readRowGroup(k Key, rg parquet.RowGroup, l *fileLayout) error {
	chunks := rg.ColumnChunks()
	var cursors [numColumns]*columnCursor
	for c := range cursors {
		if s.p.valuesOnly && (c == colSource || c == colArrival || c == colQuality) {
			continue // read as nulls: zero values
		}
		if l.col[c] >= 0 {
			cursors[c] = &columnCursor{pages: chunks[l.col[c]].Pages()}
			defer cursors[c].close()
		}
	}
	spans := []rowSpan{{0, rg.NumRows()}}
	if s.p.ids != nil {
		spans = s.meterSpans(rg, l)
	}
	var nulls [scanBatch]parquet.Value
	for si, sp := range spans {
		if si > 0 || sp.start > 0 {
			for c := range cursors {
				if cursors[c] != nil {
					if err := cursors[c].seek(sp.start); err != nil {
						return fmt.Errorf("seeking column %s to row %d: %w", columnNames[c], sp.start, err)
					}
				}
			}
		}
		for done := sp.start; done < sp.end; {
			n := int(min(int64(scanBatch), sp.end-done))
			var vals [numColumns][]parquet.Value
			for c := range cursors {
				if cursors[c] == nil {
					vals[c] = nulls[:n]
					continue
				}
				vals[c] = s.values[c][:n]
				m, err := cursors[c].read(vals[c])
				if err != nil {
					return fmt.Errorf("reading column %s: %w", columnNames[c], err)
				}
				if m != n {
					return fmt.Errorf("column %s has %d values, want %d", columnNames[c], done+int64(m), sp.end)
				}
			}
			if err := s.appendReads(k, vals, l, n); err != nil {
				return err
			}
			for _, c := range cursors {
				if c != nil {
					c.release()
				}
			}
			done += int64(n)
			s.st.Rows += int64(n)
		}
	}
	return nil
}

// appendReads turns n rows of column values into reads, keeping those that
// match the filter.
func (s *scanner) appendReads(k Key, vals [numColumns][]parquet.Value, l *fileLayout, n int) error {
	mid, val, tim, src, arr, qua := vals[colMeterID][:n], vals[colValue][:n], vals[colTime][:n],
		vals[colSource][:n], vals[colArrival][:n], vals[colQuality][:n]
	for j := range n {
		ms := zeroTimeMs
		if !tim[j].IsNull() {
			ms = toMillis(tim[j].Int64(), l.unit[colTime])
		}
		if ms < s.p.fromMs || ms >= s.p.toMs {
			continue
		}
		id := mid[j].ByteArray()
		if s.p.ids != nil {
			if _, ok := s.p.ids[string(id)]; !ok {
				continue
			}
		}
		arrMs := zeroTimeMs
		if !arr[j].IsNull() {
			arrMs = toMillis(arr[j].Int64(), l.unit[colArrival])
		}
		q, err := parseQuality(qua[j].ByteArray())
		if err != nil {
			return err
		}
		var v float64
		if !val[j].IsNull() {
			v = val[j].Double()
		}
		if len(s.out) == cap(s.out) {
			if err := s.flush(); err != nil {
				return err
			}
		}
		s.out = append(s.out, meter.Reading{
			MeterID: s.str(id),
			Type:    k.Type,
			Value:   v,
			Time:    time.UnixMilli(ms).UTC(),
			Source:  s.str(src[j].ByteArray()),
			Arrival: time.UnixMilli(arrMs).UTC(),
			Quality: q,
		})
	}
	return nil
}

// parseQuality parses the quality column: "" is 0, else a code that
// meter.ParseQuality accepts.
func parseQuality(b []byte) (meter.Quality, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if len(b) == 1 {
		switch q := meter.Quality(b[0]); q {
		case meter.QualityActual, meter.QualityEstimated, meter.QualitySubstituted, meter.QualityFinal, meter.QualityNull:
			return q, nil
		}
	}
	return meter.ParseQuality(string(b))
}

// daysIn returns the number of days in a month.
func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
