package ranges

import "fmt"

// Defaults and limits of SplitOptions.
const (
	// DefaultMaxWorkers is the default SplitOptions.MaxWorkers: the file is cut
	// into about this many ranges unless MaxChunk or MaxRanges says otherwise.
	DefaultMaxWorkers = 150
	// MaxMaxWorkers is the largest allowed SplitOptions.MaxWorkers; larger
	// values are clamped to it.
	MaxMaxWorkers = 400
	// DefaultMaxChunk is the default SplitOptions.MaxChunk (300 MB).
	DefaultMaxChunk int64 = 300_000_000
	// DefaultMaxRanges is the default SplitOptions.MaxRanges, the guard that
	// keeps one file from producing more than 50,000 work messages (SQS).
	DefaultMaxRanges = 50_000
	// DefaultMinChunk is the default SplitOptions.MinChunk (1 MiB).
	DefaultMinChunk int64 = 1 << 20
)

// Range is a half-open byte range [Start, End) of a file; Index is its
// position (0-based) among the file's ranges.
//
// A record (line) belongs to the range in which its first byte lies; see
// the package documentation.
type Range struct {
	Index      int
	Start, End int64
}

// Len is the number of bytes in r, End-Start.
func (r Range) Len() int64 { return r.End - r.Start }

// ReadFrom is the offset a scanner of r must start reading at: Start-1 (to
// see whether a record starts at Start), or 0 when Start is 0.
//
// A record starts at Start exactly when the byte at Start-1 is '\n', so a
// scanner has to see that one byte of the previous range; everything before
// it is irrelevant.
func (r Range) ReadFrom() int64 {
	if r.Start <= 0 {
		return 0
	}
	return r.Start - 1
}

// String formats r as "#Index[Start,End)".
func (r Range) String() string {
	return fmt.Sprintf("#%d[%d,%d)", r.Index, r.Start, r.End)
}

// SplitOptions tunes Split. The zero value, and a nil *SplitOptions, mean
// the defaults. Fields that are zero or negative take their default.
type SplitOptions struct {
	// MaxWorkers is the number of parallel workers the chunk size is derived
	// from: chunk = size/MaxWorkers (before the MaxChunk and MaxRanges
	// limits). Default 150 (DefaultMaxWorkers); values above 400
	// (MaxMaxWorkers) are clamped to 400.
	MaxWorkers int
	// MaxChunk caps the chunk size in bytes. Default 300,000,000
	// (DefaultMaxChunk). It gives way to MaxRanges: for very large files the
	// chunk is made larger than MaxChunk rather than producing more than
	// MaxRanges ranges.
	MaxChunk int64
	// MaxRanges caps the number of ranges (the SQS guard: at most one
	// message per range). Default 50,000 (DefaultMaxRanges).
	MaxRanges int
	// MinChunk is the smallest chunk in bytes. Default 1 MiB
	// (DefaultMinChunk); set 1 for the guidance's rule unchanged. The
	// guidance has no floor, so a small file becomes 150 tiny ranges, each
	// a message, a worker start and a set of small output files; a range
	// of a few MiB costs a worker well under a second.
	MinChunk int64
	// Ranges, if > 0, asks for exactly this many ranges of (near) equal size,
	// overriding the rule above; it is capped at size so that no range is
	// empty. Sizes differ by at most one byte (the first size%Ranges ranges
	// are one byte longer). Used by tests and by callers who know their
	// worker count.
	Ranges int
}

// ChunkSize is the nominal chunk size Split uses for a file of the given
// size when opts.Ranges is not set (nil opts means defaults). It follows the
// AWS guidance:
//
//	chunk = min(size/MaxWorkers, MaxChunk)
//	chunk = max(chunk, size/MaxRanges)
//	chunk = max(chunk, MinChunk)    (our floor, not in the guidance)
//	chunk = min(chunk, size)
//	chunk = max(chunk, 1)
//
// where the divisions truncate.
func ChunkSize(size int64, opts *SplitOptions) int64 {
	workers, maxChunk, maxRanges := opts.limits()
	chunk := min(size/int64(workers), maxChunk)
	chunk = max(chunk, size/int64(maxRanges))
	chunk = max(chunk, opts.minChunk())
	chunk = min(chunk, size)
	return max(chunk, 1)
}

func (o *SplitOptions) minChunk() int64 {
	if o == nil || o.MinChunk <= 0 {
		return DefaultMinChunk
	}
	return o.MinChunk
}

// limits returns the effective MaxWorkers, MaxChunk and MaxRanges.
func (o *SplitOptions) limits() (workers int, maxChunk int64, maxRanges int) {
	workers, maxChunk, maxRanges = DefaultMaxWorkers, DefaultMaxChunk, DefaultMaxRanges
	if o == nil {
		return
	}
	if o.MaxWorkers > 0 {
		workers = min(o.MaxWorkers, MaxMaxWorkers)
	}
	if o.MaxChunk > 0 {
		maxChunk = o.MaxChunk
	}
	if o.MaxRanges > 0 {
		maxRanges = o.MaxRanges
	}
	return
}

// Split cuts a file of size bytes into ranges for parallel workers. The
// ranges tile [0, size) exactly, in order: ranges[0].Start == 0, each
// range's End is the next range's Start, the last End is size, and Index
// is the position in the slice. A nil opts means the defaults.
//
// A file of size 0 yields exactly one empty range [0,0); otherwise no range
// is empty.
//
// Without opts.Ranges, the ranges are consecutive chunks of c =
// ChunkSize(size, opts) bytes (the AWS guidance, with half-open instead of
// shared boundaries). The remainder size%c, if any, is appended to the last
// chunk, unless that would make the last range longer than MaxChunk while
// fewer than MaxRanges ranges exist; then the remainder becomes a final,
// shorter range of its own. Consequences with the defaults:
//
//   - files up to 1 MiB (MinChunk) are one range; up to 150 MiB
//     (150 × MinChunk), ranges are MinChunk bytes long;
//   - with MinChunk set to 1 (the guidance's rule), files under 300 bytes
//     get one range per byte, and files under 22,500 bytes chunks of
//     size/150 bytes, which may make up to 299 ranges: MaxWorkers sets the
//     chunk size, not a cap on the count (as in the AWS guidance);
//   - from 150 MiB up to 45 GB (150 × 300 MB) there are 150 ranges of
//     size/150 bytes, the last one up to 149 bytes longer (just below
//     45 GB, where that would exceed MaxChunk, those bytes form a 151st
//     range instead);
//   - above that, ranges are 300 MB (the last one possibly shorter) until
//     the 50,000-range guard makes them larger (files above 15 TB).
//
// Split panics if size is negative.
func Split(size int64, opts *SplitOptions) []Range {
	if size < 0 {
		panic(fmt.Sprintf("ranges: Split: negative size %d", size))
	}
	if size == 0 {
		return []Range{{Index: 0, Start: 0, End: 0}}
	}
	if opts != nil && opts.Ranges > 0 {
		return splitEven(size, int64(opts.Ranges))
	}
	_, maxChunk, maxRanges := opts.limits()
	chunk := ChunkSize(size, opts)
	n := size / chunk // >= 1 since chunk <= size (chunk is 1 or a quotient of size)
	rem := size % chunk
	if n > int64(maxRanges) {
		// Only possible with a small custom MaxChunk; the guard wins and the
		// last range absorbs everything left over.
		n, rem = int64(maxRanges), size-int64(maxRanges)*chunk
	}
	extra := rem > 0 && chunk+rem > maxChunk && n < int64(maxRanges)
	count := n
	if extra {
		count++
	}
	out := make([]Range, count)
	for i := range n {
		out[i] = Range{Index: int(i), Start: i * chunk, End: (i + 1) * chunk}
	}
	if extra {
		out[n] = Range{Index: int(n), Start: n * chunk, End: size}
	} else {
		out[n-1].End = size
	}
	return out
}

// splitEven cuts [0,size) into min(n,size) ranges whose lengths differ by at
// most one byte. size must be > 0 and n > 0.
func splitEven(size, n int64) []Range {
	n = min(n, size)
	q, r := size/n, size%n
	out := make([]Range, n)
	var start int64
	for i := range n {
		l := q
		if i < r {
			l++
		}
		out[i] = Range{Index: int(i), Start: start, End: start + l}
		start += l
	}
	return out
}
