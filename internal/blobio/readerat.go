package blobio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"gocloud.dev/blob"
)

// Defaults of [Options].
const (
	// DefaultTail is the number of bytes at the end of an object that
	// NewReaderAt reads at once.
	DefaultTail = 64 << 10
	// DefaultReadAhead is the minimum length of a range request made for a
	// read that no cached region covers.
	DefaultReadAhead = 256 << 10
)

// Options configures a ReaderAt. The zero value (or nil) means the defaults.
type Options struct {
	// Size is the size of the object in bytes, if the caller knows it (from
	// a listing, say). If Size is negative or zero, NewReaderAt asks the
	// bucket for the object's attributes, which costs a request.
	Size int64
	// Tail is how many bytes at the end of the object NewReaderAt reads and
	// keeps. 0 means DefaultTail; a negative value reads no tail.
	Tail int
	// ReadAhead is the minimum length of the range request made for a read
	// outside the cached regions; the extra bytes are kept for the reads that
	// follow. 0 means DefaultReadAhead; a negative value disables read-ahead
	// (every miss requests exactly the bytes asked for).
	ReadAhead int
}

// ReaderAt reads an object of a bucket at arbitrary offsets. It implements
// [io.ReaderAt] and has the Size method that parquet.OpenFile and similar
// APIs want. It is safe for concurrent use.
//
// A ReaderAt holds the context it was created with and uses it for every
// request, because io.ReaderAt has no context parameter. It holds no open
// connection: each miss is one ranged request, so there is nothing to close.
type ReaderAt struct {
	ctx       context.Context
	b         *blob.Bucket
	key       string
	size      int64
	readAhead int64

	mu     sync.Mutex
	tail   region // pinned: the end of the object
	window region // the last Prefetch
	ahead  region // the last read-ahead

	requests atomic.Int64
	bytes    atomic.Int64
}

// region is a cached byte range of the object.
type region struct {
	off  int64
	data []byte
}

func (r region) covers(off, n int64) bool {
	return r.data != nil && off >= r.off && off+n <= r.off+int64(len(r.data))
}

// NewReaderAt returns a ReaderAt of the object key of b. Unless opts gives
// the size, it reads the object's attributes; unless opts disables it, it
// reads the object's tail. Both happen now, so that a missing object is
// reported here.
func NewReaderAt(ctx context.Context, b *blob.Bucket, key string, opts *Options) (*ReaderAt, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	r := &ReaderAt{ctx: ctx, b: b, key: key, size: o.Size}
	switch {
	case o.ReadAhead == 0:
		r.readAhead = DefaultReadAhead
	case o.ReadAhead > 0:
		r.readAhead = int64(o.ReadAhead)
	}
	if r.size <= 0 {
		attrs, err := b.Attributes(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("blobio: %w", err)
		}
		r.requests.Add(1)
		r.size = attrs.Size
	}
	tail := int64(o.Tail)
	if tail == 0 {
		tail = DefaultTail
	}
	if tail > 0 && r.size > 0 {
		off := max(r.size-tail, 0)
		data, err := r.fetch(off, r.size-off)
		if err != nil {
			return nil, err
		}
		r.tail = region{off: off, data: data}
	}
	return r, nil
}

// Size returns the size of the object in bytes.
func (r *ReaderAt) Size() int64 { return r.size }

// Key returns the key of the object.
func (r *ReaderAt) Key() string { return r.key }

// Requests returns how many requests the ReaderAt has made to the bucket
// (attributes and ranged reads).
func (r *ReaderAt) Requests() int64 { return r.requests.Load() }

// BytesRead returns how many bytes the ReaderAt has downloaded.
func (r *ReaderAt) BytesRead() int64 { return r.bytes.Load() }

// ReadAt implements io.ReaderAt. Reads served by a cached region cost
// nothing; any other read is one ranged request of at least the read-ahead
// length (clipped to the object).
func (r *ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("blobio: %s: negative offset %d", r.key, off)
	}
	if off >= r.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := min(int64(len(p)), r.size-off)
	var eof error
	if n < int64(len(p)) {
		eof = io.EOF
	}
	if r.copyCached(p[:n], off) {
		return int(n), eof
	}
	if n < r.readAhead {
		// Read ahead, and keep what was read for the next reads.
		length := min(r.readAhead, r.size-off)
		data, err := r.fetch(off, length)
		if err != nil {
			return 0, err
		}
		copy(p, data[:n])
		r.mu.Lock()
		r.ahead = region{off: off, data: data}
		r.mu.Unlock()
		return int(n), eof
	}
	if err := r.fetchInto(p[:n], off); err != nil {
		return 0, err
	}
	return int(n), eof
}

// copyCached copies [off, off+len(p)) into p if one cached region holds it.
func (r *ReaderAt) copyCached(p []byte, off int64) bool {
	n := int64(len(p))
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range [...]*region{&r.window, &r.ahead, &r.tail} {
		if c.covers(off, n) {
			copy(p, c.data[off-c.off:])
			return true
		}
	}
	return false
}

// Prefetch reads [off, off+n) (clipped to the object) in one request, unless
// a cached region already holds it, and keeps it until the next Prefetch.
// Use it before reading a range that is known to be needed in full, such as
// a Parquet row group, so that its many page reads cost one request.
func (r *ReaderAt) Prefetch(off, n int64) error {
	if off < 0 || n < 0 {
		return fmt.Errorf("blobio: %s: bad prefetch range [%d, +%d)", r.key, off, n)
	}
	if off >= r.size || n == 0 {
		return nil
	}
	n = min(n, r.size-off)
	r.mu.Lock()
	cached := r.window.covers(off, n) || r.tail.covers(off, n)
	tail := r.tail
	r.mu.Unlock()
	if cached {
		return nil
	}
	// Download only the part before the tail, and copy the rest from it.
	fetchN := n
	if tail.data != nil && off < tail.off && off+n > tail.off {
		fetchN = tail.off - off
	}
	data := make([]byte, n)
	if err := r.fetchInto(data[:fetchN], off); err != nil {
		return err
	}
	if fetchN < n {
		copy(data[fetchN:], tail.data[:n-fetchN])
	}
	r.mu.Lock()
	r.window = region{off: off, data: data}
	r.mu.Unlock()
	return nil
}

// Release drops the cached regions other than the tail, to free memory.
func (r *ReaderAt) Release() {
	r.mu.Lock()
	r.window = region{}
	r.ahead = region{}
	r.mu.Unlock()
}

// fetch reads [off, off+n) in one request into a new slice.
func (r *ReaderAt) fetch(off, n int64) ([]byte, error) {
	data := make([]byte, n)
	if err := r.fetchInto(data, off); err != nil {
		return nil, err
	}
	return data, nil
}

// fetchInto reads exactly len(p) bytes at off in one request.
func (r *ReaderAt) fetchInto(p []byte, off int64) error {
	r.requests.Add(1)
	rd, err := r.b.NewRangeReader(r.ctx, r.key, off, int64(len(p)), nil)
	if err != nil {
		return fmt.Errorf("blobio: %w", err)
	}
	n, err := io.ReadFull(rd, p)
	r.bytes.Add(int64(n))
	cerr := rd.Close()
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return fmt.Errorf("blobio: %s: object shorter than expected: read %d of %d bytes at %d: %w", r.key, n, len(p), off, io.ErrUnexpectedEOF)
		}
		return fmt.Errorf("blobio: %s: %w", r.key, err)
	}
	if cerr != nil {
		return fmt.Errorf("blobio: %s: %w", r.key, cerr)
	}
	return nil
}
