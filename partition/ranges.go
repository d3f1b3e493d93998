package partition

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// fetchGap is the largest gap between two byte ranges of a file that a scan
// downloads rather than making a second request: on an object store a
// request costs a round trip and a fee, and 64 KiB is a small fraction of a
// round trip's worth of transfer; on a local disk it is a page or two.
const fetchGap = 64 << 10

// missReadAhead is the least a read of bytes that no fetch holds asks for.
const missReadAhead = 256 << 10

// byteRange is the half-open byte range [off, end) of a file.
type byteRange struct{ off, end int64 }

// span is a cached byte range of a file.
type span struct {
	off  int64
	data []byte
}

func (s *span) end() int64 { return s.off + int64(len(s.data)) }

// rangeReader reads one object of a bucket through the byte ranges a scan
// fetched ahead (fetch), in one request per range and concurrently. A read
// outside them is one more request, for exactly its bytes.
//
// In lenient mode a read that starts in a fetched range and runs past its
// end returns the bytes up to the end and no error: a short read, which
// io.ReaderAt does not allow but io.Reader does. Use it only under an
// io.SectionReader read as an io.Reader, as parquet-go's page readers do:
// their buffered reader asks for more than a page and needs only the page,
// and the short read spares a request for bytes nobody uses; if the bytes
// are needed after all, the next read asks for them.
type rangeReader struct {
	ctx     context.Context
	b       *blob.Bucket
	key     string
	size    int64
	mod     time.Time // the listed version's modification time; zero if unknown
	lenient bool

	pinned  []span // kept for the file (its tail)
	fetched []span // the ranges of the last fetch, sorted
	extra   []span // bytes read on misses
	arena   []byte // backing store of fetched, reused

	requests, bytes int64 // of this reader since reset

	// On a local bucket (file://), the object's open file: one open per
	// object, and a pread per range.
	file   *os.File
	closer io.Closer
}

// reset points r at another object, keeping its buffers.
func (r *rangeReader) reset(ctx context.Context, b *blob.Bucket, key string, size int64) {
	if r.closer != nil {
		r.closer.Close()
		r.file, r.closer = nil, nil
	}
	r.ctx, r.b, r.key, r.size, r.mod = ctx, b, key, size, time.Time{}
	clear(r.pinned)
	r.pinned, r.fetched, r.extra = r.pinned[:0], r.fetched[:0], r.extra[:0]
	r.requests, r.bytes = 0, 0
}

// isLocal reports whether b is a bucket of local files (fileblob), whose
// readers give their *os.File.
func isLocal(b *blob.Bucket) bool {
	var fi os.FileInfo
	return b.As(&fi)
}

// openLocal opens the object as a local file, if the bucket's readers
// give one, and reports whether it did. The ranges are then read from
// that file, which also keeps them of one version of the object.
func (r *rangeReader) openLocal() (os.FileInfo, bool) {
	var f *os.File
	rd, err := r.b.NewRangeReader(r.ctx, r.key, 0, 0, &blob.ReaderOptions{BeforeRead: func(as func(any) bool) error {
		as(&f)
		return nil
	}})
	if err != nil {
		return nil, false
	}
	var fi os.FileInfo
	if f != nil {
		fi, err = f.Stat()
	}
	if f == nil || err != nil {
		rd.Close()
		return nil, false
	}
	r.file, r.closer = f, rd
	return fi, true
}

// Size returns the size of the object.
func (r *rangeReader) Size() int64 { return r.size }

// pin keeps data, the bytes at off, for the life of the file.
func (r *rangeReader) pin(off int64, data []byte) {
	r.pinned = append(r.pinned, span{off, data})
}

// release forgets the fetched ranges (not the pinned ones), whose memory
// the next fetch reuses: no page read from them may be in use.
func (r *rangeReader) release() {
	clear(r.fetched)
	r.fetched = r.fetched[:0]
	clear(r.extra)
	r.extra = r.extra[:0]
}

// fetch downloads the given ranges (in any order, overlapping or not) that
// the pinned bytes do not hold, merging those less than fetchGap apart,
// with one request per merged range, concurrently. It replaces the ranges
// of the previous fetch.
func (r *rangeReader) fetch(ranges []byteRange) error {
	r.release()
	slices.SortFunc(ranges, func(a, b byteRange) int { return cmp.Compare(a.off, b.off) })
	merged := ranges[:0]
	for _, br := range ranges {
		br.off, br.end = max(br.off, 0), min(br.end, r.size)
		br = r.trimPinned(br)
		if br.end <= br.off {
			continue
		}
		if n := len(merged); n > 0 && br.off-merged[n-1].end < fetchGap {
			merged[n-1].end = max(merged[n-1].end, br.end)
			continue
		}
		merged = append(merged, br)
	}
	var total int64
	for _, br := range merged {
		total += br.end - br.off
	}
	if int64(cap(r.arena)) < total {
		r.arena = make([]byte, total)
	}
	buf := r.arena[:total]
	for _, br := range merged {
		n := br.end - br.off
		r.fetched = append(r.fetched, span{br.off, buf[:n:n]})
		buf = buf[n:]
	}
	switch len(r.fetched) {
	case 0:
		return nil
	case 1:
		return r.get(r.fetched[0].data, r.fetched[0].off)
	}
	if r.file != nil {
		// Local reads: concurrency would not save a round trip.
		for i := range r.fetched {
			if err := r.get(r.fetched[i].data, r.fetched[i].off); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, len(r.fetched))
	var wg sync.WaitGroup
	for i := 1; i < len(r.fetched); i++ {
		wg.Go(func() { errs[i] = r.getData(r.fetched[i].data, r.fetched[i].off) })
	}
	errs[0] = r.getData(r.fetched[0].data, r.fetched[0].off)
	wg.Wait()
	for i := range r.fetched {
		r.requests++
		r.bytes += int64(len(r.fetched[i].data))
	}
	return errors.Join(errs...)
}

// trimPinned shortens br by the pinned bytes at either end of it.
func (r *rangeReader) trimPinned(br byteRange) byteRange {
	for i := range r.pinned {
		p := &r.pinned[i]
		if p.off <= br.off && br.off < p.end() {
			br.off = p.end()
		}
		if p.off < br.end && br.end <= p.end() {
			br.end = p.off
		}
	}
	return br
}

// get reads len(p) bytes at off in one request, counted.
func (r *rangeReader) get(p []byte, off int64) error {
	r.requests++
	r.bytes += int64(len(p))
	return r.getData(p, off)
}

// getData reads len(p) bytes at off in one request; safe for concurrent use.
func (r *rangeReader) getData(p []byte, off int64) error {
	if r.file != nil {
		n, err := r.file.ReadAt(p, off)
		if n == len(p) {
			return nil
		}
		if err == io.EOF {
			return fmt.Errorf("partition: %s: object shorter than expected: read %d of %d bytes at %d: %w", r.key, n, len(p), off, io.ErrUnexpectedEOF)
		}
		return fmt.Errorf("partition: %s: %w", r.key, err)
	}
	rd, err := r.b.NewRangeReader(r.ctx, r.key, off, int64(len(p)), nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return fmt.Errorf("partition: %s: %w: it was deleted", r.key, ErrChanged)
	}
	if err != nil {
		return fmt.Errorf("partition: %w", err)
	}
	// Each range is a request of its own: one that reaches a new version
	// of the object (a partition compacted meanwhile) must not be decoded
	// at the old version's offsets. Stores give modification times to the
	// second in responses (HTTP dates) and finer in listings, and some
	// (S3 fakes) take the two from separate clock reads: they are
	// compared to the second, a second apart being the same. An overwrite
	// within that second that keeps the size goes unnoticed; compaction
	// output rarely keeps it.
	if rd.Size() != r.size || !r.mod.IsZero() && !rd.ModTime().IsZero() && modApart(rd.ModTime(), r.mod) {
		rd.Close()
		return fmt.Errorf("partition: %s: %w: %d bytes modified %v, listed as %d bytes modified %v", r.key, ErrChanged,
			rd.Size(), rd.ModTime().UTC(), r.size, r.mod.UTC())
	}
	n, err := io.ReadFull(rd, p)
	cerr := rd.Close()
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return fmt.Errorf("partition: %s: object shorter than expected: read %d of %d bytes at %d: %w", r.key, n, len(p), off, io.ErrUnexpectedEOF)
		}
		return fmt.Errorf("partition: %s: %w", r.key, err)
	}
	if cerr != nil {
		return fmt.Errorf("partition: %s: %w", r.key, cerr)
	}
	return nil
}

// modApart reports whether two modification times, truncated to the
// second, are more than a second apart.
func modApart(a, b time.Time) bool {
	d := a.Truncate(time.Second).Sub(b.Truncate(time.Second))
	return d > time.Second || d < -time.Second
}

// find returns the cached span holding the byte at off, or nil.
func (r *rangeReader) find(off int64) *span {
	for _, ss := range [...][]span{r.fetched, r.pinned, r.extra} {
		for i := range ss {
			if s := &ss[i]; s.off <= off && off < s.end() {
				return s
			}
		}
	}
	return nil
}

// ReadAt implements io.ReaderAt (see the type's comment for lenient mode).
func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("partition: %s: negative offset %d", r.key, off)
	}
	if off >= r.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want := min(int64(len(p)), r.size-off)
	var eof error
	if want < int64(len(p)) {
		eof = io.EOF
	}
	n := int64(0)
	for n < want {
		s := r.find(off + n)
		if s == nil {
			break
		}
		n += int64(copy(p[n:want], s.data[off+n-s.off:]))
	}
	if n == want {
		return int(n), eof
	}
	if n > 0 && r.lenient {
		return int(n), nil
	}
	// Read the rest, and ahead of it up to missReadAhead bytes or the next
	// cached span: a miss is most often the first of a few small reads in
	// a row (a page's header, bloom filters).
	end := min(max(off+want, off+n+missReadAhead), r.size)
	for _, ss := range [...][]span{r.fetched, r.pinned, r.extra} {
		for i := range ss {
			if s := &ss[i]; s.off > off+n && s.off < end {
				end = s.off
			}
		}
	}
	data := make([]byte, end-(off+n))
	if err := r.get(data, off+n); err != nil {
		return int(n), err
	}
	r.extra = append(r.extra, span{off + n, data})
	m, err := r.ReadAt(p[n:want], off+n)
	if err != nil {
		return int(n) + m, err
	}
	return int(n) + m, eof
}
