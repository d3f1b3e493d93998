package partition

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/openmda/mda/meter"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
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
	// Cache keeps the metadata of the files a meter query opens, for the
	// next queries; nil means DefaultFileCache. See FileCache, and
	// NewFileCache(0) for none.
	Cache *FileCache
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
	// CachedFiles is the number of files opened from the FileCache, with
	// no request for their metadata.
	CachedFiles int64
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
	cache        *FileCache
	local        bool // the bucket is of local files
}

func newPlan(f *Filter) (*plan, error) {
	p := &plan{fromMs: math.MinInt64, toMs: math.MaxInt64, cache: DefaultFileCache}
	if f == nil {
		return p, nil
	}
	if f.Cache != nil {
		p.cache = f.Cache
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
	keys, _, err := p.partitions(ctx, b, &st)
	return keys, err
}

// partitions returns the partitions to scan and, if it listed them, their
// files (else nil: Filter.Keys gave them). The hours of a day and their
// files come from one listing of the day's directory (no delimiter): one
// request on an object store, where listing the hours and then each hour
// would be 25, and on a file:// bucket no more work than listing its hours
// alone, which walks the day's tree anyway.
func (p *plan) partitions(ctx context.Context, b *blob.Bucket, st *ScanStats) ([]Key, [][]fileEntry, error) {
	if p.haveKeys {
		var out []Key
		for _, k := range p.keys {
			if (p.types == nil || slices.Contains(p.types, k.Type)) && p.overlaps(k.Hour, k.Hour.Add(time.Hour)) {
				out = append(out, k)
			} else {
				st.PartitionsPruned++
			}
		}
		return out, nil, nil
	}
	types := p.types
	if types == nil {
		names, err := ListDirs(ctx, b, Prefix)
		if err != nil {
			return nil, nil, err
		}
		for _, n := range names {
			if t, ok := strings.CutPrefix(n, "reading_type="); ok && meter.ValidTypeName(t) {
				types = append(types, meter.Type(t))
			}
		}
		slices.Sort(types)
	}
	var keys []Key
	var files [][]fileEntry
	for _, t := range types {
		typePrefix := Prefix + "reading_type=" + string(t) + "/"
		years, err := p.level(ctx, b, typePrefix, "year=", 4, 1, 9999, st, func(y int) (time.Time, time.Time) {
			return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
		})
		if err != nil {
			return nil, nil, err
		}
		for _, y := range years {
			yPrefix := typePrefix + fmt.Sprintf("year=%04d/", y)
			months, err := p.level(ctx, b, yPrefix, "month=", 2, 1, 12, st, func(m int) (time.Time, time.Time) {
				return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC), time.Date(y, time.Month(m)+1, 1, 0, 0, 0, 0, time.UTC)
			})
			if err != nil {
				return nil, nil, err
			}
			for _, m := range months {
				mPrefix := yPrefix + fmt.Sprintf("month=%02d/", m)
				days, err := p.level(ctx, b, mPrefix, "day=", 2, 1, daysIn(y, m), st, func(d int) (time.Time, time.Time) {
					return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), time.Date(y, time.Month(m), d+1, 0, 0, 0, 0, time.UTC)
				})
				if err != nil {
					return nil, nil, err
				}
				for _, d := range days {
					dPrefix := mPrefix + fmt.Sprintf("day=%02d/", d)
					hours, hourFiles, err := p.hours(ctx, b, dPrefix, st, time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC))
					if err != nil {
						return nil, nil, err
					}
					for i, h := range hours {
						keys = append(keys, Key{Type: t, Hour: h})
						files = append(files, hourFiles[i])
					}
				}
			}
		}
	}
	return keys, files, nil
}

// hours lists a day directory (no delimiter) and returns its hours that
// meet the filter and the Parquet files of each (see listFiles).
func (p *plan) hours(ctx context.Context, b *blob.Bucket, dayPrefix string, st *ScanStats, day time.Time) ([]time.Time, [][]fileEntry, error) {
	var seen [24]bool
	var files [24][]fileEntry
	it := b.List(&blob.ListOptions{Prefix: dayPrefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("partition: listing %s: %w", dayPrefix, err)
		}
		dir, name, ok := strings.Cut(strings.TrimPrefix(obj.Key, dayPrefix), "/")
		if !ok {
			continue // a file of the day directory itself
		}
		s, ok := strings.CutPrefix(dir, "hour=")
		if !ok {
			continue
		}
		h, ok := parseDigits(s, 2)
		if !ok || h > 23 {
			continue
		}
		seen[h] = true
		if obj.IsDir || !dataFileName(name) {
			continue
		}
		fe := fileEntry{path: obj.Key, size: obj.Size, mod: obj.ModTime}
		fe.id, fe.cacheable = fileIDOf(b, obj)
		files[h] = append(files[h], fe)
	}
	var hours []time.Time
	var out [][]fileEntry
	for h := range 24 {
		if !seen[h] {
			continue
		}
		start := day.Add(time.Duration(h) * time.Hour)
		if !p.overlaps(start, start.Add(time.Hour)) {
			st.PartitionsPruned++
			continue
		}
		slices.SortFunc(files[h], func(a, b fileEntry) int { return cmp.Compare(a.path, b.path) })
		hours = append(hours, start)
		out = append(out, files[h])
	}
	return hours, out, nil
}

// dataFileName reports whether a name in a partition directory is a data
// file's: Parquet, and not hidden (names starting with '.' or '_', as Hive
// has them).
func dataFileName(name string) bool {
	return name != "" && name[0] != '.' && name[0] != '_' && !strings.Contains(name, "/") && strings.HasSuffix(name, ".parquet")
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
	mod  time.Time // as listed; zero if the store gave none
	// id identifies the file's version for the FileCache, if cacheable.
	id        fileID
	cacheable bool
}

// reidentify makes fe the version of its file that fi describes, if the
// listing saw another (the file was replaced since).
func (fe *fileEntry) reidentify(fi os.FileInfo) {
	ino, ctime := statIdentity(fi)
	mod := fi.ModTime().UnixNano()
	if fi.Size() == fe.size && fe.cacheable && mod == fe.id.mod && ino == fe.id.ino && ctime == fe.id.ctime {
		return
	}
	fe.size = fi.Size()
	fe.id = fileID{bucket: fe.id.bucket, path: fe.path, size: fe.size, mod: mod, ino: ino, ctime: ctime}
	fe.cacheable = fe.id.bucket.Value() != nil && !fi.ModTime().IsZero()
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
		if obj.IsDir || !dataFileName(name) {
			continue
		}
		fe := fileEntry{path: obj.Key, size: obj.Size, mod: obj.ModTime}
		fe.id, fe.cacheable = fileIDOf(b, obj)
		out = append(out, fe)
	}
	slices.SortFunc(out, func(a, b fileEntry) int { return cmp.Compare(a.path, b.path) })
	return out, nil
}

// scanBatch is the largest batch Scan passes to fn.
const scanBatch = 4096

// Scan calls fn with batches of matching reads (fn must not keep the
// slice; the reads' strings may be kept), partition by partition in key
// order, rows in file order; the files of a partition that has several
// are merged as Compact merges them (one read per meter, type and time,
// by meter and time), so that a partition caught in the middle of a
// compaction (its new file beside the old ones) gives each read once. A
// batch holds reads of one partition. A file that changes while it is
// read (a partition compacted meanwhile: its size or modification time
// differs from the listing's, or it is gone) is never decoded at the
// offsets of the version listed: the partition is listed and read again,
// from the read after the last one passed on (files are sorted), up to 5
// times; a partition that cannot be resumed so (a file another engine
// wrote, whose order across row groups is not known) gives an error
// wrapping ErrChanged. Scan prunes partitions by type and time (see Partitions), row
// groups by the min/max statistics of meter_id and reading_date_time and by
// the meter_id bloom filter, and filters rows exactly. Row groups it prunes
// are never downloaded. A scan of every meter reads each file's tail
// (footer) in one request and the columns of each row group it keeps in
// one more. A meter query reads a file's tail, page index and bloom
// filters in one request the first time (then keeps them in the
// Filter.Cache, see FileCache), and then only the pages that the page
// index of meter_id says may hold its meters, and the pages of the other
// columns at the same rows: one request per run of nearby pages, made
// concurrently. Partitions are scanned a few at a time, fn is called from
// the calling goroutine.
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
	keys, files, err := p.partitions(ctx, b, &st)
	if err != nil {
		return st, err
	}
	p.local = isLocal(b)
	// A scan of every meter spends its time decoding, a meter query on
	// round trips and footers: either way a few goroutines work on the
	// next partitions while fn takes the reads of the first.
	workers := scanAhead
	if p.ids == nil {
		workers = scanAllAhead
	}
	return st, scanKeys(ctx, b, p, keys, files, workers, fn, &st)
}

// scanAhead bounds the partitions a meter query works on at once.
const scanAhead = 8

// Add adds o's counts to s: the statistics of several scans.
func (s *ScanStats) Add(o ScanStats) {
	s.Partitions += o.Partitions
	s.PartitionsPruned += o.PartitionsPruned
	s.Files += o.Files
	s.RowGroups += o.RowGroups
	s.RowGroupsPruned += o.RowGroupsPruned
	s.Rows += o.Rows
	s.Reads += o.Reads
	s.BytesRead += o.BytesRead
	s.Requests += o.Requests
	s.CachedFiles += o.CachedFiles
}

// scanKeys scans partitions and streams their reads to fn, batch by batch,
// in key order. Partitions are decoded by up to workers goroutines, each
// with its own scanner and buffers, ahead of fn; at most workers partitions
// are in work (the one fn is taking included) and each holds at most
// scanQueue batches that fn has not taken, so memory stays bounded whatever
// the lake's size and however many reads match.
func scanKeys(ctx context.Context, b *blob.Bucket, p *plan, keys []Key, files [][]fileEntry, workers int, fn func([]meter.Reading) error, st *ScanStats) error {
	filesOf := func(i int) []fileEntry {
		if files == nil {
			return nil
		}
		return files[i]
	}
	if len(keys) == 0 {
		return nil
	}
	workers = min(workers, len(keys))
	if workers == 1 {
		// One partition: no goroutines.
		s := newScanner(p, fn, st)
		defer s.release()
		return s.scanPartition(ctx, b, keys[0], files != nil, filesOf(0))
	}
	type result struct {
		batches chan []meter.Reading
		st      ScanStats
		err     error // set before batches is closed
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]*result, len(keys))
	for i := range results {
		results[i] = &result{batches: make(chan []meter.Reading, scanQueue)}
	}
	work := make(chan int)
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // before wg.Wait: stop the workers first
	for range workers {
		wg.Go(func() {
			var r *result
			s := newScanner(p, func(reads []meter.Reading) error {
				select {
				case r.batches <- reads:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}, nil)
			s.handoff = true
			defer s.release()
			for i := range work {
				r = results[i]
				s.st = &r.st
				r.err = s.scanPartition(ctx, b, keys[i], files != nil, filesOf(i))
				close(r.batches)
			}
		})
	}
	go func() {
		defer close(work)
		for i := range keys {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case work <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for _, r := range results {
		for done := false; !done; {
			select {
			case batch, ok := <-r.batches:
				if !ok {
					done = true
					break
				}
				if err := fn(batch); err != nil {
					return err
				}
				putBatch(batch)
			case <-ctx.Done():
				// The caller's context: partitions left may never start.
				return ctx.Err()
			}
		}
		if r.err != nil {
			return r.err
		}
		st.Add(r.st)
		<-sem
	}
	return nil
}

// scanAllAhead bounds the partitions a scan of every meter decodes at once
// (one of them being handed to fn), and scanQueue the batches each holds
// for fn.
const (
	scanAllAhead = 3
	scanQueue    = 2
)

// batches recycles the batches of reads that scanAll hands to fn.
var batches sync.Pool

func getBatch() []meter.Reading {
	if b, ok := batches.Get().(*[]meter.Reading); ok {
		return (*b)[:0]
	}
	return make([]meter.Reading, 0, scanBatch)
}

func putBatch(b []meter.Reading) {
	clear(b) // do not keep the strings alive
	b = b[:0]
	batches.Put(&b)
}

// ErrChanged reports a file of the lake that changed (was rewritten or
// deleted: a partition compacted) while a scan read it. Scan handles it by
// reading the partition again; it reaches the caller only when it cannot
// (see Scan).
var ErrChanged = errors.New("file changed during the scan")

// maxRescans bounds how often Scan reads a partition again that changed
// under it.
const maxRescans = 5

// scanPartition scans a partition's files (listed, unless the caller did),
// and passes the reads left to fn. A partition that changes during the
// scan (ErrChanged) is listed and read again: whole if it has several
// files (their reads are merged before any is passed on), or, for one
// file, from the read after the last one passed on (files are sorted by
// meter and time), so that no read is passed twice.
func (s *scanner) scanPartition(ctx context.Context, b *blob.Bucket, k Key, listed bool, files []fileEntry) error {
	if !listed {
		var err error
		if files, err = listFiles(ctx, b, k.Path()); err != nil {
			return err
		}
	}
	s.st.Partitions++
	s.mark = partitionMark{sorted: true}
	for attempt := 0; ; attempt++ {
		err := s.scanFiles(ctx, b, k, files)
		if err == nil || !errors.Is(err, ErrChanged) || attempt == maxRescans || !s.mark.sorted {
			return err
		}
		clear(s.out) // the reads of the failed pass not yet passed on
		s.out = s.out[:0]
		if s.mark.passed > 0 {
			s.mark.skip, s.mark.skipTo = true, s.mark.last
		}
		if files, err = listFiles(ctx, b, k.Path()); err != nil {
			return err
		}
	}
}

// scanFiles reads a partition's files once (see scanPartition).
func (s *scanner) scanFiles(ctx context.Context, b *blob.Bucket, k Key, files []fileEntry) error {
	if len(files) <= 1 {
		for _, fe := range files {
			if err := s.scanFile(ctx, b, k, fe); err != nil {
				return err
			}
		}
		return s.flush()
	}
	// Several files: a partition written in batches, or one that Compact
	// is replacing (its new file beside the old ones). Their reads are
	// merged as Compact merges them, so that a read in two of them is
	// passed on once: each file's reads are sorted already, so the merge
	// of the runs takes a heap of one cursor per file.
	s.collected, s.fileRuns = s.collected[:0], s.fileRuns[:0]
	s.collecting = true
	err := func() error {
		defer func() { s.collecting = false }()
		for _, fe := range files {
			if err := s.scanFile(ctx, b, k, fe); err != nil {
				return err
			}
		}
		s.flushCollect()
		return nil
	}()
	if err != nil {
		clear(s.collected)
		return err
	}
	merged := mergeRuns(slices.Grow(s.merged[:0], len(s.collected)), s.collected, s.fileRuns)
	if s.p.valuesOnly { // as a scan of one file gives them
		for i := range merged {
			merged[i].Source, merged[i].Arrival, merged[i].Quality = "", time.Time{}, 0
		}
	}
	rest := merged
	for len(rest) > 0 {
		n := copy(s.out[len(s.out):cap(s.out)], rest)
		s.out = s.out[:len(s.out)+n]
		rest = rest[n:]
		if err := s.flush(); err != nil {
			return err
		}
	}
	clear(s.collected)
	clear(merged)
	s.merged = merged[:0]
	if cap(s.collected) > maxKeptCollect {
		// A large partition's buffers are not kept for the scanner's
		// next partitions.
		s.collected, s.merged = nil, nil
	}
	return nil
}

// maxKeptCollect is the most reads a scanner keeps room for between
// partitions of several files.
const maxKeptCollect = 1 << 16

// flushCollect moves the buffered reads to collected.
func (s *scanner) flushCollect() {
	s.collected = append(s.collected, s.out...)
	clear(s.out)
	s.out = s.out[:0]
}

// mergeRuns appends to dst the reads of the runs of reads (reads[runs[i]:
// runs[i+1]], the last to the end), each in (meter, time) order, merged in
// that order with one read per key: the one Dedup keeps. A run out of
// order (a foreign file) is sorted first.
func mergeRuns(dst, reads []meter.Reading, runs []int) []meter.Reading {
	type cursor struct{ i, end int }
	var cs []cursor
	for r, start := range runs {
		end := len(reads)
		if r+1 < len(runs) {
			end = runs[r+1]
		}
		if start == end {
			continue
		}
		run := reads[start:end]
		if !slices.IsSortedFunc(run, compareReads) {
			slices.SortStableFunc(run, compareReads)
		}
		cs = append(cs, cursor{start, end})
	}
	less := func(a, b cursor) int { return compareReads(reads[a.i], reads[b.i]) }
	// A small heap by hand: k is the number of files, a handful.
	h := cs
	down := func(i int) {
		for {
			l, m := 2*i+1, i
			if l < len(h) && less(h[l], h[m]) < 0 {
				m = l
			}
			if r := l + 1; r < len(h) && less(h[r], h[m]) < 0 {
				m = r
			}
			if m == i {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for len(h) > 0 {
		r := reads[h[0].i]
		if n := len(dst); n > 0 && dst[n-1].MeterID == r.MeterID && dst[n-1].Time.Equal(r.Time) && dst[n-1].Type == r.Type {
			if preference(r, dst[n-1]) > 0 {
				dst[n-1] = r
			}
		} else {
			dst = append(dst, r)
		}
		h[0].i++
		if h[0].i == h[0].end {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		down(0)
	}
	return dst
}

// compareReads orders reads by meter, then time (a partition has one
// type).
func compareReads(a, b meter.Reading) int {
	if c := cmp.Compare(a.MeterID, b.MeterID); c != 0 {
		return c
	}
	return a.Time.Compare(b.Time)
}

// writtenSorted reports whether a file is in (meter, time) order as a
// whole: this package's writer sorts a file's reads before it cuts them
// into row groups, and says so in created_by. Parquet's SortingColumns
// speak of one row group at a time, so a foreign file's are not enough.
func writtenSorted(md *format.FileMetaData) bool {
	return strings.HasPrefix(md.CreatedBy, createdByPrefix)
}

// partitionMark is what a scan has passed on of the partition it reads.
type partitionMark struct {
	passed int   // reads passed to fn
	last   keyOf // the last of them
	sorted bool  // they came in (meter, time) order
	// skip: the partition is read again after it changed; only the reads
	// after skipTo are passed on.
	skip   bool
	skipTo keyOf
}

// keyOf is a read's place in a file's order: meter, then time.
type keyOf struct {
	meter string
	ms    int64
}

func (a keyOf) before(b keyOf) bool {
	return a.meter < b.meter || a.meter == b.meter && a.ms < b.ms
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
	used   [numColumns]int // how much of values may hold references
	intern map[string]string
	last   [2]string // the last strings interned: rows come sorted by meter
	// meterID's sequences of ids
	lastID                  string
	seq, prev               []string
	pos                     int
	prevSorted, prevChecked bool
	// handoff makes flush give s.out away to fn and take a new batch.
	handoff bool
	// collecting makes flush keep the reads in collected instead (a
	// partition of several files, merged before they are passed on).
	collecting bool
	collected  []meter.Reading
	fileRuns   []int // where each file's reads start in collected
	merged     []meter.Reading
	mark       partitionMark

	rr     rangeReader // the file being read
	tail   []byte      // buffer of the files' tails
	ranges []byteRange // buffer of pageRanges
	runs   []rowSpan   // buffer of the rows that hold wanted meters
	ids    []string    // and their meter ids
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
	s := &scanner{p: p, fn: fn, st: st, intern: make(map[string]string)}
	s.values = *valueBuffers.Get().(*[numColumns][]parquet.Value)
	if a, ok := arenas.Get().(*[]byte); ok {
		s.rr.arena = *a
	}
	s.out = getBatch()
	return s
}

// buf returns the first n values of column c's buffer.
func (s *scanner) buf(c, n int) []parquet.Value {
	s.used[c] = max(s.used[c], n)
	return s.values[c][:n]
}

// arenas recycles the buffers that scanners fetch pages into.
var arenas sync.Pool

// release returns the scanner's buffers; the scanner is not used after.
func (s *scanner) release() {
	for c := range s.values {
		clear(s.values[c][:s.used[c]]) // drop references into released pages
	}
	s.used = [numColumns]int{}
	v := s.values
	valueBuffers.Put(&v)
	s.values = [numColumns][]parquet.Value{}
	s.rr.reset(nil, nil, "", 0)
	if a := s.rr.arena; cap(a) > 0 && cap(a) <= 16<<20 {
		arenas.Put(&a)
	}
	s.rr.arena = nil
	if s.out != nil {
		putBatch(s.out)
		s.out = nil
	}
}

// valuesOnly reports whether the scan decodes only meter, time and value:
// not while it collects a partition of several files, whose merge needs
// the arrival times (the latest arrival wins, as in Compact).
func (s *scanner) valuesOnly() bool { return s.p.valuesOnly && !s.collecting }

// flush passes the buffered reads to fn (or keeps them, collecting),
// leaving out those a partition read again has passed on already.
func (s *scanner) flush() error {
	if len(s.out) == 0 {
		return nil
	}
	if s.collecting {
		s.flushCollect()
		return nil
	}
	m := &s.mark
	if m.skip {
		kept := s.out[:0]
		for i := range s.out {
			if m.skipTo.before(keyOf{s.out[i].MeterID, s.out[i].Time.UnixMilli()}) {
				kept = append(kept, s.out[i])
			}
		}
		clear(s.out[len(kept):])
		s.out = kept
		if len(s.out) == 0 {
			return nil
		}
	}
	for i := range s.out {
		k := keyOf{s.out[i].MeterID, s.out[i].Time.UnixMilli()}
		if m.passed > 0 && !m.last.before(k) {
			m.sorted = false
		}
		m.last = k
		m.passed++
	}
	s.st.Reads += int64(len(s.out))
	out := s.out
	err := s.fn(out)
	if s.handoff {
		s.out = getBatch()
	} else {
		clear(out) // do not keep the strings alive
		s.out = out[:0]
	}
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

// meterID is str for meter ids. Rows are sorted by meter and every hourly
// file of a lake holds much the same meters, so the next new id of a file
// is most often the one that followed the last in the file before: a
// comparison, where str would hash it. The ids of the current file are
// recorded in order (s.seq) for the next file.
func (s *scanner) meterID(b []byte) string {
	if string(b) == s.lastID {
		return s.lastID
	}
	var v string
	switch p := s.prev; {
	case s.pos < len(p) && string(b) == p[s.pos]:
		v = p[s.pos]
		s.pos++
	case s.pos+1 < len(p) && string(b) == p[s.pos+1]: // one meter missing
		v = p[s.pos+1]
		s.pos += 2
	default:
		v = s.lookup(b)
		if !s.prevChecked {
			s.prevSorted, s.prevChecked = slices.IsSorted(p), true
		}
		if s.prevSorted {
			// Back in step after a gap.
			if j, found := slices.BinarySearch(p, v); found {
				s.pos = j + 1
			}
		}
	}
	if len(s.seq) < maxSeq {
		s.seq = append(s.seq, v)
	}
	s.lastID = v
	return v
}

// maxSeq bounds the ids of a file that meterID records.
const maxSeq = 1 << 20

// nextFile makes the ids meterID recorded the file before's.
func (s *scanner) nextFile() {
	if len(s.seq) > 0 {
		clear(s.prev)
		s.prev, s.seq = s.seq, s.prev[:0]
		s.prevChecked = false
	}
	s.pos = 0
	s.lastID = ""
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
	rr := &s.rr
	rr.reset(ctx, b, fe.path, fe.size)
	rr.mod = fe.mod
	if s.p.local {
		if fi, ok := rr.openLocal(); ok {
			// The version opened is the one read, whatever the listing saw.
			fe.reidentify(fi)
			rr.size = fe.size
		}
	}
	defer func() {
		s.st.BytesRead += rr.bytes
		s.st.Requests += rr.requests
		rr.reset(nil, nil, "", 0)
	}()
	m, err := s.open(ctx, b, fe)
	if err != nil {
		return err
	}
	if !writtenSorted(m.pf.Metadata()) {
		// Resuming after the last read passed on needs files in (meter,
		// time) order, as this package writes them and says so.
		s.mark.sorted = false
	}
	if s.collecting {
		s.flushCollect()
		s.fileRuns = append(s.fileRuns, len(s.collected))
		if s.p.ids == nil && s.p.fromMs == math.MinInt64 && s.p.toMs == math.MaxInt64 {
			// Every row will be kept: room for them at once.
			s.collected = slices.Grow(s.collected, int(min(m.pf.NumRows(), 1<<24)))
		}
	}
	s.nextFile()
	rr.lenient = true // pages are read through io.SectionReaders
	s.st.Files++
	meta := m.pf.Metadata()
	for g, rg := range m.pf.RowGroups() {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.st.RowGroups++
		keep, err := s.keepRowGroup(rg, &m.layout)
		if err != nil {
			return fmt.Errorf("partition: %s: row group %d: %w", fe.path, g, err)
		}
		if !keep {
			s.st.RowGroupsPruned++
			continue
		}
		if s.p.ids != nil {
			err = s.readMeters(k, m, g, rg, &meta.RowGroups[g], &m.layout)
		} else {
			// One request for the row group's columns.
			off, n := columnsRange(&meta.RowGroups[g], &m.layout, s.valuesOnly())
			s.ranges = append(s.ranges[:0], byteRange{off, off + n})
			if err = rr.fetch(s.ranges); err == nil {
				err = s.readRowGroupFrom(k, rg, &m.layout, rr)
			}
		}
		rr.release()
		if err != nil {
			return fmt.Errorf("partition: %s: row group %d: %w", fe.path, g, err)
		}
	}
	return nil
}

// fileMeta is an opened file: its metadata, and no data.
type fileMeta struct {
	pf     *parquet.File
	layout fileLayout
	cost   int64 // estimated bytes of memory held; guarded by cache.mu once cached

	// Set when the file is cached: the cache, its key, and the idle page
	// readers of its column chunks (pages.go).
	cache *FileCache
	id    fileID
	mu    sync.Mutex
	idle  map[pagesKey][]*pooledPages
}

// readBufferSize is the buffer of the page readers of files opened for a
// meter query, which read a few pages: a page larger than the buffer is
// read straight into its own, and idle readers keep theirs.
const readBufferSize = 4 << 10

// tailBytes is how much of a file's end a scan reads when it opens the
// file: the footer, the page index and, as this package writes them, the
// bloom filters, in one request.
const tailBytes = 64 << 10

// open returns the metadata of a file: from the cache, or read. A meter
// query wants the page index and bloom filters, and keeps what it reads in
// the cache; a scan of every meter wants neither, and only looks.
func (s *scanner) open(ctx context.Context, b *blob.Bucket, fe fileEntry) (*fileMeta, error) {
	full := s.p.ids != nil
	c := s.p.cache
	if c == nil || !fe.cacheable {
		return s.openFile(fe, full)
	}
	if !full {
		if m := c.lookup(&fe.id); m != nil {
			s.st.CachedFiles++
			return m, nil
		}
		return s.openFile(fe, false)
	}
	m, cached, err := c.get(ctx, &fe.id, func() (*fileMeta, error) { return s.openFile(fe, true) })
	if cached {
		s.st.CachedFiles++
	}
	return m, err
}

// openFile reads a file's tail, keeps it in s.rr for the reads that follow,
// and opens the file. The file it returns holds no reader: its pages are
// read with PagesFrom.
func (s *scanner) openFile(fe fileEntry, full bool) (*fileMeta, error) {
	rr := &s.rr
	n := min(fe.size, tailBytes)
	if int64(cap(s.tail)) < n {
		s.tail = make([]byte, n)
	}
	tail := s.tail[:n]
	if err := rr.get(tail, fe.size-n); err != nil {
		return nil, err
	}
	rr.pin(fe.size-n, tail)
	rr.lenient = false
	fr := &metaReader{r: rr}
	bufferSize := 32 << 10 // a scan of every meter reads page after page
	if full {
		bufferSize = readBufferSize
	}
	pf, err := parquet.OpenFile(fr, fe.size,
		parquet.SkipMagicBytes(true),
		// The page index lets a meter query decode a few pages of a row
		// group; a scan of everything has no use for it.
		parquet.SkipPageIndex(!full),
		parquet.SkipBloomFilters(!full),
		parquet.PrefetchBloomFilters(true),
		parquet.ReadBufferSize(bufferSize),
	)
	fr.r = nil // the file is kept (cached) with no reader
	if err != nil {
		return nil, fmt.Errorf("partition: opening %s: %w", fe.path, err)
	}
	layout, err := layoutOf(pf)
	if err != nil {
		return nil, fmt.Errorf("partition: %s: %w", fe.path, err)
	}
	return &fileMeta{pf: pf, layout: layout, cost: metaCost(pf, tail)}, nil
}

// metaReader is the reader of an opened file: the scanner's while it opens
// the file, none after.
type metaReader struct{ r io.ReaderAt }

func (m *metaReader) ReadAt(p []byte, off int64) (int, error) {
	if m.r == nil {
		return 0, errors.New("partition: internal error: read of a file through its cached metadata")
	}
	return m.r.ReadAt(p, off)
}

// metaCost estimates the memory an opened file holds: the bytes of its
// footer, page index and bloom filters, and about as much again for what
// is parsed from them.
func metaCost(pf *parquet.File, tail []byte) int64 {
	var n int64 = 4 << 10
	if len(tail) >= 8 {
		n += 2 * int64(binary.LittleEndian.Uint32(tail[len(tail)-8:]))
	}
	for _, rg := range pf.Metadata().RowGroups {
		for _, c := range rg.Columns {
			n += 2 * int64(c.ColumnIndexLength+c.OffsetIndexLength)
		}
	}
	for _, rg := range pf.RowGroups() {
		for _, cc := range rg.ColumnChunks() {
			if fc, ok := cc.(*parquet.FileColumnChunk); ok {
				if bf, err := fc.BloomFilterFrom(errReaderAt{}); err == nil && bf != nil {
					n += bf.Size()
				}
			}
		}
	}
	return n
}

// errReaderAt fails every read.
type errReaderAt struct{}

func (errReaderAt) ReadAt([]byte, int64) (int, error) {
	return 0, errors.New("partition: no reader")
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
		i := searchIDs(ids, lo.ByteArray())
		h := hi.ByteArray()
		j := searchIDs(ids, h)
		if j < len(ids) && ids[j] == string(h) {
			j++
		}
		ids = ids[i:max(i, j)]
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
	return columnsRange(rg, l, false)
}

// columnsRange returns the byte range of the columns of a row group that
// a scan reads: all of them, or with valuesOnly those of the values.
func columnsRange(rg *format.RowGroup, l *fileLayout, valuesOnly bool) (off, n int64) {
	start, end := int64(math.MaxInt64), int64(0)
	for col, c := range l.col {
		if c < 0 || c >= len(rg.Columns) || valuesOnly && !valueColumn(col) {
			continue
		}
		r := chunkRange(&rg.Columns[c].MetaData)
		start = min(start, r.off)
		end = max(end, r.end)
	}
	if end <= start {
		return 0, 0
	}
	return start, end - start
}

// valueColumn reports whether a column is one that Filter.ValuesOnly reads.
func valueColumn(col int) bool { return col == colMeterID || col == colValue || col == colTime }

// chunkRange returns the byte range of a column chunk.
func chunkRange(md *format.ColumnMetaData) byteRange {
	s := md.DataPageOffset
	if d := md.DictionaryPageOffset; d > 0 && d < s {
		s = d
	}
	return byteRange{s, s + md.TotalCompressedSize}
}

// pageRanges appends the byte ranges of a column chunk that hold the rows
// of spans (sorted, disjoint): from its offset index, the pages that
// overlap them and, unless haveDict, whatever precedes the first data page
// (the dictionary); without an offset index, the whole chunk.
func pageRanges(out []byteRange, cc *parquet.FileColumnChunk, md *format.ColumnMetaData, numRows int64, spans []rowSpan, haveDict bool) []byteRange {
	whole := chunkRange(md)
	oi, err := cc.OffsetIndex()
	if err != nil || oi.NumPages() == 0 {
		return append(out, whole)
	}
	n := oi.NumPages()
	if first := oi.Offset(0); first > whole.off && !haveDict {
		out = append(out, byteRange{whole.off, first})
	}
	si := 0
	for i := range n {
		lo, hi := oi.FirstRowIndex(i), numRows
		if i+1 < n {
			hi = oi.FirstRowIndex(i + 1)
		}
		for si < len(spans) && spans[si].end <= lo {
			si++
		}
		if si == len(spans) {
			break
		}
		if spans[si].start < hi {
			off := oi.Offset(i)
			out = append(out, byteRange{off, off + oi.CompressedPageSize(i)})
		}
	}
	return out
}

// columnCursor reads the values of a column chunk across its pages.
type columnCursor struct {
	pages   parquet.Pages
	page    parquet.Page
	values  parquet.ValueReader
	retired []parquet.Page // pages whose values may still be referenced
	row     int64          // the row of the next value (-1: unknown)
	keep    bool           // pages belongs to another: do not close it
}

// read fills buf, crossing pages, and returns how many values it read.
func (c *columnCursor) read(buf []parquet.Value) (int, error) {
	n := 0
	defer func() { c.row += int64(n) }()
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
		c.page, c.values = nil, nil
	}
	if !c.keep {
		c.pages.Close()
	}
}

// seek positions the cursor at a row of its column chunk.
func (c *columnCursor) seek(row int64) error {
	if c.page != nil {
		c.retired = append(c.retired, c.page)
		c.page, c.values = nil, nil
	}
	c.row = row
	return c.pages.SeekToRow(row)
}

// seekTo is seek, unless the cursor is at row already.
func (c *columnCursor) seekTo(row int64) error {
	if c.row == row {
		return nil
	}
	return c.seek(row)
}

// nullValues are the values of a column a scan does not read: nulls,
// which become zero values. Read only.
var nullValues [scanBatch]parquet.Value

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
		j := searchIDs(s.p.sortedIDs, lo.ByteArray())
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

// searchIDs returns the index of the first of the sorted ids >= b.
func searchIDs(ids []string, b []byte) int {
	i, j := 0, len(ids)
	for i < j {
		h := int(uint(i+j) >> 1)
		if ids[h] < string(b) { // no copy of b
			i = h + 1
		} else {
			j = h
		}
	}
	return i
}

// readRowGroup decodes a row group and appends its matching reads.
func (s *scanner) readRowGroup(k Key, rg parquet.RowGroup, l *fileLayout) error {
	return s.readRowGroupFrom(k, rg, l, nil)
}

// openCursors returns cursors over the columns a scan reads, reading pages
// from r (nil: the file's reader).
func (s *scanner) openCursors(rg parquet.RowGroup, l *fileLayout, r io.ReaderAt, meterID bool) (cursors [numColumns]*columnCursor) {
	chunks := rg.ColumnChunks()
	for c := range cursors {
		if s.valuesOnly() && !valueColumn(c) || c == colMeterID && !meterID {
			continue // read as nulls: zero values
		}
		if l.col[c] >= 0 {
			cc := chunks[l.col[c]]
			var pages parquet.Pages
			if fc, ok := cc.(*parquet.FileColumnChunk); ok && r != nil {
				pages = fc.PagesFrom(r)
			} else {
				pages = cc.Pages()
			}
			cursors[c] = &columnCursor{pages: pages}
		}
	}
	return cursors
}

func closeCursors(cursors *[numColumns]*columnCursor) {
	for _, c := range cursors {
		if c != nil {
			c.close()
		}
	}
}

// readRowGroupFrom decodes a row group, reading its pages from r (nil: the
// file's reader), and appends its matching reads.
func (s *scanner) readRowGroupFrom(k Key, rg parquet.RowGroup, l *fileLayout, r io.ReaderAt) error {
	cursors := s.openCursors(rg, l, r, true)
	defer closeCursors(&cursors)
	spans := []rowSpan{{0, rg.NumRows()}}
	if s.p.ids != nil {
		spans = s.meterSpans(rg, l)
	}
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
					vals[c] = nullValues[:n]
					continue
				}
				vals[c] = s.buf(c, n)
				m, err := cursors[c].read(vals[c])
				if err != nil {
					return fmt.Errorf("reading column %s: %w", columnNames[c], err)
				}
				if m != n {
					return fmt.Errorf("column %s has %d values, want %d", columnNames[c], done+int64(m), sp.end)
				}
			}
			if err := s.appendReads(k, vals, l, n, nil); err != nil {
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

// readMeters decodes the rows of a row group that hold the filter's meters
// and appends their matching reads. It fetches, in one round of concurrent
// requests, the pages of the columns that the page index of meter_id says
// may hold them (pageRanges), then decodes meter_id there to find the rows,
// and the other columns at those rows only.
func (s *scanner) readMeters(k Key, m *fileMeta, g int, rg parquet.RowGroup, md *format.RowGroup, l *fileLayout) (err error) {
	spans := s.meterSpans(rg, l)
	if len(spans) == 0 {
		return nil
	}
	chunks := rg.ColumnChunks()
	rr := &s.rr
	// The page readers of the columns read (meter_id first), from the
	// file's idle ones if it has some: their dictionaries are decoded.
	var readers [numColumns]*pooledPages
	var used [numColumns]bool
	defer func() {
		for c, p := range readers {
			switch {
			case p == nil:
			case err != nil:
				p.pages.Close() // in an unknown state
			default:
				m.putPages(p, used[c])
			}
		}
	}()
	ranges := s.ranges[:0]
	for c, col := range l.col {
		if col < 0 || s.valuesOnly() && !valueColumn(c) {
			continue
		}
		fc, ok := chunks[col].(*parquet.FileColumnChunk)
		if !ok || col >= len(md.Columns) {
			return s.readRowGroupFrom(k, rg, l, rr) // not from a file: never so
		}
		readers[c] = m.takePages(fc, &md.Columns[col].MetaData, pagesKey{g, col}, rr)
		ranges = pageRanges(ranges, fc, &md.Columns[col].MetaData, rg.NumRows(), spans, readers[c].dict)
	}
	s.ranges = ranges
	if err := rr.fetch(ranges); err != nil {
		return err
	}

	// The rows of the wanted meters, and their ids.
	runs, ids := s.runs[:0], s.ids[:0]
	defer func() {
		clear(ids)
		s.runs, s.ids = runs[:0], ids[:0]
	}()
	one := ""
	if len(s.p.sortedIDs) == 1 {
		one = s.p.sortedIDs[0]
	}
	match := func(row int64, id []byte) {
		if one == "" {
			if _, ok := s.p.ids[string(id)]; !ok {
				return
			}
		}
		if r := len(runs) - 1; r >= 0 && runs[r].end == row {
			runs[r].end++
		} else {
			runs = append(runs, rowSpan{row, row + 1})
		}
		ids = append(ids, s.meterID(id))
	}
	pages := readers[colMeterID].pages
	used[colMeterID] = true
	for _, sp := range spans {
		// A reader from the file's idle ones is where its last scan left it.
		if err := pages.SeekToRow(sp.start); err != nil {
			return fmt.Errorf("seeking column %s to row %d: %w", ColMeterID, sp.start, err)
		}
		for row := sp.start; row < sp.end; {
			pg, err := pages.ReadPage()
			if err != nil {
				if err == io.EOF {
					err = fmt.Errorf("column %s has %d rows, want %d", ColMeterID, row, sp.end)
				}
				return fmt.Errorf("reading column %s: %w", ColMeterID, err)
			}
			n := min(pg.NumRows(), sp.end-row)
			if err := matchPage(pg, row, n, one, s.buf(colMeterID, scanBatch), match); err != nil {
				parquet.Release(pg)
				return err
			}
			parquet.Release(pg)
			row += n
			s.st.Rows += n
		}
	}
	if len(runs) == 0 {
		return nil
	}

	// The other columns at those rows.
	var cursors [numColumns]*columnCursor
	for c, p := range readers {
		if p != nil && c != colMeterID {
			cursors[c] = &columnCursor{pages: p.pages, row: -1, keep: true}
			used[c] = true
		}
	}
	defer closeCursors(&cursors)
	next := 0 // index in ids of the next run's first row
	for _, run := range runs {
		for c, cur := range cursors {
			if cur != nil {
				if err := cur.seekTo(run.start); err != nil {
					return fmt.Errorf("seeking column %s to row %d: %w", columnNames[c], run.start, err)
				}
			}
		}
		for done := run.start; done < run.end; {
			n := int(min(int64(scanBatch), run.end-done))
			var vals [numColumns][]parquet.Value
			for c, cur := range cursors {
				if cur == nil {
					vals[c] = nullValues[:n]
					continue
				}
				vals[c] = s.buf(c, n)
				m, err := cur.read(vals[c])
				if err != nil {
					return fmt.Errorf("reading column %s: %w", columnNames[c], err)
				}
				if m != n {
					return fmt.Errorf("column %s has %d values, want %d", columnNames[c], done+int64(m), run.end)
				}
			}
			if err := s.appendReads(k, vals, l, n, ids[next:next+n]); err != nil {
				return err
			}
			next += n
			for _, c := range cursors {
				if c != nil {
					c.release()
				}
			}
			done += int64(n)
		}
	}
	return nil
}

// matchPage calls match with the row number and meter id of those of the
// first n rows of a meter_id page (whose first row is row) whose id is one,
// or of every row if one is empty. The ids are valid during the call only.
// buf is scratch space.
func matchPage(pg parquet.Page, row, n int64, one string, buf []parquet.Value, match func(int64, []byte)) error {
	if pg.Dictionary() == nil && pg.NumNulls() == 0 && pg.NumValues() == pg.NumRows() {
		if data := pg.Data(); data.Kind() == encoding.ByteArray {
			// The page's bytes as they are: no Value per row.
			vals, offs := data.ByteArray()
			if int64(len(offs)) > n {
				if one == "" {
					for j := range n {
						match(row+j, vals[offs[j]:offs[j+1]])
					}
					return nil
				}
				first := one[0]
				for j := range n {
					lo, hi := offs[j], offs[j+1]
					// The first byte rules out most ids without a call.
					if int(hi-lo) == len(one) && vals[lo] == first && string(vals[lo:hi]) == one {
						match(row+j, vals[lo:hi])
					}
				}
				return nil
			}
		}
	}
	r := pg.Values()
	for done := int64(0); done < n; {
		b := buf[:min(int64(len(buf)), n-done)]
		m, err := r.ReadValues(b)
		for j := range m {
			if id := b[j].ByteArray(); one == "" || string(id) == one {
				match(row+done+int64(j), id)
			}
		}
		done += int64(m)
		if done < n && err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("reading column %s: %w", ColMeterID, err)
		}
		if m == 0 && err == nil {
			return fmt.Errorf("reading column %s: no progress", ColMeterID)
		}
	}
	return nil
}

// appendReads turns n rows of column values into reads, keeping those that
// match the filter. ids, if not nil, are the rows' meter ids, known to be
// wanted; vals[colMeterID] is then not read.
func (s *scanner) appendReads(k Key, vals [numColumns][]parquet.Value, l *fileLayout, n int, ids []string) error {
	mid, val, tim, src, arr, qua := vals[colMeterID][:n], vals[colValue][:n], vals[colTime][:n],
		vals[colSource][:n], vals[colArrival][:n], vals[colQuality][:n]
	all := !s.valuesOnly()
	timeUnit, arrivalUnit := l.unit[colTime], l.unit[colArrival]
	for j := range n {
		ms := zeroTimeMs
		if !tim[j].IsNull() {
			ms = toMillis(tim[j].Int64(), timeUnit)
		}
		if ms < s.p.fromMs || ms >= s.p.toMs {
			continue
		}
		var id string
		if ids != nil {
			id = ids[j]
		} else {
			b := mid[j].ByteArray()
			if s.p.ids != nil {
				if _, ok := s.p.ids[string(b)]; !ok {
					continue
				}
			}
			id = s.meterID(b)
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
		// Fields are set one by one in place: a Reading is 112 bytes, and
		// building it whole and copying it cost a fifth of a scan's time.
		// s.out's spare capacity is zeroed (flush, putBatch).
		s.out = s.out[:len(s.out)+1]
		r := &s.out[len(s.out)-1]
		r.MeterID = id
		r.Type = k.Type
		r.Value = v
		r.Time = time.UnixMilli(ms).UTC()
		if all {
			q, err := parseQuality(qua[j].ByteArray())
			if err != nil {
				s.out = s.out[:len(s.out)-1]
				return err
			}
			r.Quality = q
			r.Source = s.str(src[j].ByteArray())
			if !arr[j].IsNull() {
				r.Arrival = time.UnixMilli(toMillis(arr[j].Int64(), arrivalUnit)).UTC()
			} else {
				r.Arrival = time.UnixMilli(zeroTimeMs).UTC()
			}
		}
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
