package partition

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/openmda/mda/internal/blobio"
	"github.com/openmda/mda/meter"
)

// CompactedName is the stem of the one file that Compact leaves in a
// partition. Because the name never changes, replacing a partition's
// content is a single object overwrite, which object stores and fileblob
// make atomic. A reader that lists the partition while Compact replaces
// several files sees the new file beside the old ones, and Scan merges
// them; one whose reads straddle the overwrite notices (see Scan). Either
// way each read is returned once.
const CompactedName = "data"

// ReadFile reads every read of one Parquet file of the lake layout (any
// root: "readings/..." or "staging/readings/..."). The reading type comes
// from the path. A missing file gives an error for which
// gcerrors.Code(err) == gcerrors.NotFound.
func ReadFile(ctx context.Context, b *blob.Bucket, path string) ([]meter.Reading, error) {
	i := strings.Index(path, Prefix)
	if i < 0 || (i > 0 && path[i-1] != '/') {
		return nil, fmt.Errorf("partition: %s is not under a %s directory", path, Prefix)
	}
	k, err := ParseKey(path[i:])
	if err != nil {
		return nil, err
	}
	attrs, err := b.Attributes(ctx, path)
	if err != nil {
		return nil, err
	}
	var st ScanStats
	var out []meter.Reading
	p, _ := newPlan(nil)
	s := newScanner(p, func(reads []meter.Reading) error {
		out = append(out, reads...)
		return nil
	}, &st)
	defer s.release()
	if err := s.scanFile(ctx, b, k, fileEntry{path: path, size: attrs.Size, mod: attrs.ModTime}); err != nil {
		return nil, err
	}
	if err := s.flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// Source names an object holding reads to merge into a partition.
type Source struct {
	Bucket *blob.Bucket
	Key    string
	// Verbatim promises that the file was written with WriterOptions.Dedup
	// and the options Compact is given: when it is a partition's only
	// input, Compact copies it instead of decoding and encoding it again.
	Verbatim bool
	// Rows, MinTime and MaxTime, if Rows > 0, are the file's row count and
	// reading times as its writer reported them (Writer.Close's FileInfo,
	// kept in a staging commit), and Bytes its size then. A verbatim copy
	// reports them instead of reading the file's footer for them (a tenth
	// of the CPU time of integrating a small partition), but only while
	// the file still has that size: a file torn or emptied since (a crash
	// of a system that had not flushed it) is read, fails, and stays with
	// its commit for a redelivery to repair, rather than being copied
	// into the lake as its partition's data.
	Rows             int64
	Bytes            int64
	MinTime, MaxTime time.Time
}

// CompactOptions configures Compact. Nil means the defaults.
type CompactOptions struct {
	Writer *WriterOptions
	// AfterWrite, if set, is called after the compacted file is durable and
	// before the partition's other files are deleted. Tests use it to
	// simulate a crash at the worst moment.
	AfterWrite func(FileInfo) error
	// BeforeWrite, if set, is called just before the compacted file is
	// written (or copied); an error stops Compact with nothing changed.
	// Integrators use it to check that they still hold the partition's
	// lock.
	BeforeWrite func() error
	// Listing, if it covers the partition, is a listing of it made before
	// the caller locked it (ListPartitions lists many partitions at once).
	// Compact takes it for its own listing unless the partition changed
	// since: only Compact removes or replaces a partition's files, and it
	// always leaves the compacted file, or none if the partition had no
	// read, so the listing stands while that file is there exactly when it
	// says so, and no file it names has gone. Otherwise Compact lists the
	// partition itself. Files that other writers add meanwhile are left as
	// they are, as they would be if added just after the listing: a scan
	// merges them, and the next Compact folds them in.
	Listing *Listing
}

// CompactStats reports what Compact did.
type CompactStats struct {
	// Inputs counts the reads read from the partition and the sources,
	// Duplicates those dropped, Reads those written.
	Inputs, Duplicates, Reads int64
	// Replaced counts the partition's files deleted besides the compacted one.
	Replaced int
	File     FileInfo
}

// Compact merges a partition's files and extra sources into one file,
// CompactedName+".parquet", de-duplicating on (meter_id, reading_type,
// reading_date_time): of several reads with one key it keeps the one with
// the latest arrival_time (ties: the larger value, then source, then
// quality, so that the result does not depend on input order). It then
// deletes the partition's other files. Sources that do not exist are
// skipped: they were consumed by an earlier run that crashed before it
// could forget them.
//
// Compact is idempotent: running it again with the same sources gives the
// same file. It must not run concurrently on one partition (see the staging
// package's locks); sources may be deleted by the caller once it returns.
func Compact(ctx context.Context, b *blob.Bucket, k Key, sources []Source, opts *CompactOptions) (CompactStats, error) {
	var st CompactStats
	if opts == nil {
		opts = &CompactOptions{}
	}
	cfg, err := opts.Writer.config()
	if err != nil {
		return st, err
	}
	cfg.root = "" // the compacted file is the partition's, wherever staging was
	keep := k.Path() + CompactedName + ".parquet"
	// The common case of a first load: one staged file that is already
	// what Compact would write, for an empty partition. A copy is one
	// server-side request on S3, a hard link on a local lake, and no
	// Parquet work at all.
	copyable := len(sources) == 1 && sources[0].Verbatim && sources[0].Bucket == b
	listing := opts.Listing
	if paths, ok := listing.Files(k); ok && len(paths) == 0 && copyable {
		// Empty when listed: the copy is made only if the compacted file
		// has not appeared since, which spares a check of it.
		st, done, err := copyVerbatim(ctx, b, k, sources[0], keep, opts, true)
		if done || err != nil {
			return st, err
		}
		listing = nil // compacted meanwhile: list it now, and merge
	}
	files, listed, err := compactFiles(ctx, b, k, keep, listing)
	if err != nil {
		return st, err
	}
	if len(files) == 0 && copyable {
		st, _, err := copyVerbatim(ctx, b, k, sources[0], keep, opts, false)
		return st, err
	}
	reads, err := readFiles(ctx, b, files)
	if listed && gcerrors.Code(err) == gcerrors.NotFound {
		// A file of the earlier listing was merged away before the lock
		// was taken: list the partition as it is now.
		if files, err = listFiles(ctx, b, k.Path()); err != nil {
			return st, err
		}
		reads, err = readFiles(ctx, b, files)
	}
	if err != nil {
		return st, err
	}
	for _, src := range sources {
		rs, err := ReadFile(ctx, src.Bucket, src.Key)
		if gcerrors.Code(err) == gcerrors.NotFound {
			continue
		}
		if err != nil {
			return st, fmt.Errorf("partition: compact %s: %w", src.Key, err)
		}
		for i := range rs {
			if KeyOf(rs[i]) != k {
				return st, fmt.Errorf("partition: compact %s: read %v does not belong to %s", src.Key, rs[i], k)
			}
		}
		reads = append(reads, rs...)
	}
	st.Inputs = int64(len(reads))
	reads = Dedup(reads)
	st.Reads = int64(len(reads))
	st.Duplicates = st.Inputs - st.Reads
	if opts.BeforeWrite != nil {
		if err := opts.BeforeWrite(); err != nil {
			return st, err
		}
	}
	if len(reads) > 0 {
		st.File, err = writeFile(ctx, b, k, CompactedName, reads, cfg)
		if err != nil {
			return st, err
		}
		if opts.AfterWrite != nil {
			if err := opts.AfterWrite(st.File); err != nil {
				return st, err
			}
		}
	}
	for _, fe := range files {
		if fe.path == keep && len(reads) > 0 {
			continue
		}
		if err := b.Delete(ctx, fe.path); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return st, fmt.Errorf("partition: compact: delete %s: %w", fe.path, err)
		}
		st.Replaced++
	}
	return st, nil
}

// compactFiles returns the partition's data files: those of listing if it
// covers k and still holds (see CompactOptions.Listing), saying so, else a
// listing made now.
func compactFiles(ctx context.Context, b *blob.Bucket, k Key, keep string, listing *Listing) ([]fileEntry, bool, error) {
	paths, ok := listing.Files(k)
	if !ok {
		files, err := listFiles(ctx, b, k.Path())
		return files, false, err
	}
	exists, err := b.Exists(ctx, keep)
	if err != nil {
		return nil, false, fmt.Errorf("partition: compact %s: %w", k.Path(), err)
	}
	if exists != slices.Contains(paths, keep) {
		files, err := listFiles(ctx, b, k.Path())
		return files, false, err
	}
	files := make([]fileEntry, len(paths))
	for i, p := range paths {
		files[i] = fileEntry{path: p}
	}
	return files, true, nil
}

// readFiles reads every read of a partition's files, in order.
func readFiles(ctx context.Context, b *blob.Bucket, files []fileEntry) ([]meter.Reading, error) {
	var reads []meter.Reading
	for _, fe := range files {
		rs, err := ReadFile(ctx, b, fe.path)
		if err != nil {
			return nil, fmt.Errorf("partition: compact %s: %w", fe.path, err)
		}
		reads = append(reads, rs...)
	}
	return reads, nil
}

// Dedup sorts reads by (meter, time, type) and keeps one read per key: the
// latest arrival, ties broken by the larger value, then source, then
// quality. It reuses the slice.
func Dedup(reads []meter.Reading) []meter.Reading {
	slices.SortFunc(reads, func(a, b meter.Reading) int {
		if c := cmp.Compare(a.MeterID, b.MeterID); c != 0 {
			return c
		}
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return -preference(a, b) // preferred first
	})
	out := reads[:0]
	for i := range reads {
		if len(out) > 0 {
			last := &out[len(out)-1]
			if last.MeterID == reads[i].MeterID && last.Type == reads[i].Type && last.Time.Equal(reads[i].Time) {
				continue
			}
		}
		out = append(out, reads[i])
	}
	clear(reads[len(out):])
	return out
}

// preference orders two reads of one key: > 0 when a wins.
func preference(a, b meter.Reading) int {
	if c := a.Arrival.Compare(b.Arrival); c != 0 {
		return c
	}
	if c := cmp.Compare(math.Float64bits(a.Value), math.Float64bits(b.Value)); c != 0 && a.Value != b.Value {
		return cmp.Compare(a.Value, b.Value)
	}
	if c := cmp.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	return cmp.Compare(a.Quality, b.Quality)
}

// copyVerbatim makes a verbatim source the partition's compacted file and
// reports whether it is done: it copied, or found the source consumed by
// an earlier run. With onlyNew it copies only if dst does not exist, and
// is not done if dst does.
func copyVerbatim(ctx context.Context, b *blob.Bucket, k Key, source Source, dst string, opts *CompactOptions, onlyNew bool) (CompactStats, bool, error) {
	var st CompactStats
	src := source.Key
	attrs, err := b.Attributes(ctx, src)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return st, true, nil // consumed by an earlier run
	}
	if err != nil {
		return st, false, fmt.Errorf("partition: compact %s: %w", src, err)
	}
	rows, minT, maxT := source.Rows, source.MinTime, source.MaxTime
	if rows <= 0 || source.Bytes <= 0 || source.Bytes != attrs.Size {
		if rows, minT, maxT, err = fileRows(ctx, b, src, attrs.Size); err != nil {
			return st, false, fmt.Errorf("partition: compact %s: %w", src, err)
		}
	}
	if opts.BeforeWrite != nil {
		if err := opts.BeforeWrite(); err != nil {
			return st, false, err
		}
	}
	if onlyNew {
		copied, err := blobio.CopyNew(ctx, b, dst, src)
		if err != nil {
			return st, false, fmt.Errorf("partition: compact: copy %s: %w", src, err)
		}
		if !copied {
			return st, false, nil
		}
	} else if err := blobio.Copy(ctx, b, dst, src); err != nil {
		return st, false, fmt.Errorf("partition: compact: copy %s: %w", src, err)
	}
	st.Inputs, st.Reads = rows, rows
	st.File = FileInfo{Key: k, Path: dst, Rows: rows, Bytes: attrs.Size, MinTime: minT, MaxTime: maxT}
	if opts.AfterWrite != nil {
		if err := opts.AfterWrite(st.File); err != nil {
			return st, true, err
		}
	}
	return st, true, nil
}

// fileRows reads a file's footer: its row count and the range of its
// reading times (from the column statistics).
func fileRows(ctx context.Context, b *blob.Bucket, key string, size int64) (rows int64, minT, maxT time.Time, err error) {
	ra, err := blobio.NewReaderAt(ctx, b, key, &blobio.Options{Size: size})
	if err != nil {
		return 0, minT, maxT, err
	}
	pf, err := parquet.OpenFile(ra, size, parquet.SkipMagicBytes(true), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return 0, minT, maxT, err
	}
	layout, err := layoutOf(pf)
	if err != nil {
		return 0, minT, maxT, err
	}
	col := layout.col[colTime]
	var lo, hi int64 = math.MaxInt64, math.MinInt64
	for _, rg := range pf.Metadata().RowGroups {
		rows += rg.NumRows
		st := rg.Columns[col].MetaData.Statistics
		if len(st.MinValue) == 8 && len(st.MaxValue) == 8 {
			lo = min(lo, int64(binary.LittleEndian.Uint64(st.MinValue)))
			hi = max(hi, int64(binary.LittleEndian.Uint64(st.MaxValue)))
		}
	}
	if lo <= hi {
		minT = time.UnixMilli(toMillis(lo, layout.unit[colTime])).UTC()
		maxT = time.UnixMilli(toMillis(hi, layout.unit[colTime])).UTC()
	}
	return rows, minT, maxT, nil
}
