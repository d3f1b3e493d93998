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
	files, err := listFiles(ctx, b, k.Path())
	if err != nil {
		return st, err
	}
	keep := k.Path() + CompactedName + ".parquet"
	if len(files) == 0 && len(sources) == 1 && sources[0].Verbatim && sources[0].Bucket == b {
		// The common case of a first load: one staged file that is already
		// what Compact would write. A copy is one server-side request on
		// S3 and no Parquet work at all.
		return copyVerbatim(ctx, b, k, sources[0].Key, keep, opts)
	}
	var reads []meter.Reading
	for _, fe := range files {
		rs, err := ReadFile(ctx, b, fe.path)
		if err != nil {
			return st, fmt.Errorf("partition: compact %s: %w", fe.path, err)
		}
		reads = append(reads, rs...)
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

// copyVerbatim makes a verbatim source the partition's compacted file.
func copyVerbatim(ctx context.Context, b *blob.Bucket, k Key, src, dst string, opts *CompactOptions) (CompactStats, error) {
	var st CompactStats
	attrs, err := b.Attributes(ctx, src)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return st, nil // consumed by an earlier run
	}
	if err != nil {
		return st, fmt.Errorf("partition: compact %s: %w", src, err)
	}
	rows, minT, maxT, err := fileRows(ctx, b, src, attrs.Size)
	if err != nil {
		return st, fmt.Errorf("partition: compact %s: %w", src, err)
	}
	if opts.BeforeWrite != nil {
		if err := opts.BeforeWrite(); err != nil {
			return st, err
		}
	}
	if err := blobio.Copy(ctx, b, dst, src); err != nil {
		return st, fmt.Errorf("partition: compact: copy %s: %w", src, err)
	}
	st.Inputs, st.Reads = rows, rows
	st.File = FileInfo{Key: k, Path: dst, Rows: rows, Bytes: attrs.Size, MinTime: minT, MaxTime: maxT}
	if opts.AfterWrite != nil {
		if err := opts.AfterWrite(st.File); err != nil {
			return st, err
		}
	}
	return st, nil
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
