package ranges

import (
	"bytes"
	"errors"
	"io"
	"sync"
)

// AlignOptions configures Align. Nil means the defaults.
type AlignOptions struct {
	// Window is how many bytes one probe reads; it must hold a whole
	// record. Default 64 KiB.
	Window int
	// Concurrency bounds the cuts searched at once (each probe is a read,
	// a request on an object store). Default 16.
	Concurrency int
}

// Align moves the cuts between ranges forward to where the records' key
// changes, so that records sharing a key fall in one range. key returns the
// key of a record (a line without its '\n'); ok false means the record has
// no key (a header, a bad line) and is skipped over by the search.
//
// It is meant for files sorted by key, such as a head-end export in time
// order keyed by the reading hour: ranges that end on hour boundaries make
// every (type, hour) partition the output of one range, which integration
// then copies instead of merging. The search is a binary search over byte
// offsets between a cut and the next one, so each cut costs about log2 of
// the range's records in probes. If keys are not sorted (late lines in the
// middle), a cut may land on a different key change or stay where it was:
// alignment is an optimisation, and the ranges tile the file either way.
// Ranges that become empty are dropped and the rest re-indexed.
func Align(ra io.ReaderAt, size int64, rs []Range, key func(rec []byte) ([]byte, bool), opts *AlignOptions) ([]Range, error) {
	if len(rs) < 2 {
		return rs, nil
	}
	o := AlignOptions{Window: 64 << 10, Concurrency: 16}
	if opts != nil {
		if opts.Window > 0 {
			o.Window = opts.Window
		}
		if opts.Concurrency > 0 {
			o.Concurrency = opts.Concurrency
		}
	}
	cuts := make([]int64, len(rs)-1)
	errs := make([]error, len(cuts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, o.Concurrency)
	for i := range cuts {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			cuts[i], errs[i] = alignCut(ra, size, rs[i+1].Start, rs[i+1].End, key, o.Window)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make([]Range, 0, len(rs))
	start := int64(0)
	for i := range rs {
		end := size
		if i < len(cuts) {
			end = max(cuts[i], start)
		}
		if end > start {
			out = append(out, Range{Index: len(out), Start: start, End: end})
		}
		start = end
	}
	if len(out) == 0 {
		out = append(out, Range{Start: 0, End: size})
	}
	return out, nil
}

// scanFrom calls fn with every keyed record that starts at or after off,
// in order, reading window bytes at a time, until fn returns false or the
// file ends.
func scanFrom(ra io.ReaderAt, size, off int64, key func([]byte) ([]byte, bool), window int, fn func(start int64, k []byte) bool) error {
	buf := make([]byte, window)
	first := true // off may be inside a record: skip to the next start
	for off < size {
		from := off
		if first && off > 0 {
			from = off - 1 // to see whether a record starts at off
		}
		n := min(int64(window), size-from)
		b := buf[:n]
		if _, err := ra.ReadAt(b, from); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		i := 0
		if first && off > 0 {
			j := bytes.IndexByte(b, '\n')
			if j < 0 {
				off = from + n
				continue
			}
			i = j + 1
		}
		first = false
		progressed := false
		for i < len(b) {
			j := bytes.IndexByte(b[i:], '\n')
			end := i + j
			if j < 0 {
				if from+n < size {
					break // the record runs past the window: read from it
				}
				end = len(b) // the last record, without '\n'
			}
			if k, ok := key(b[i:end]); ok && !fn(from+int64(i), k) {
				return nil
			}
			i = end + 1
			progressed = true
		}
		if !progressed {
			// A record longer than the window (garbage without line
			// ends, a truncated upload): it has no key for the search,
			// and the scanner will quarantine it. Skip to its end.
			first = true
			off = from + int64(i) + 1
			continue
		}
		off = from + int64(i)
	}
	return nil
}

// firstKey returns the first keyed record at or after off.
func firstKey(ra io.ReaderAt, size, off int64, key func([]byte) ([]byte, bool), window int) (start int64, k []byte, ok bool, err error) {
	err = scanFrom(ra, size, off, key, window, func(s int64, kk []byte) bool {
		start, k, ok = s, bytes.Clone(kk), true
		return false
	})
	return start, k, ok, err
}

// alignCut moves one cut, nominally at c, to the first keyed record whose
// key differs from that of the first keyed record at or after c, if that
// change comes before limit (the next cut); otherwise it returns c.
func alignCut(ra io.ReaderAt, size, c, limit int64, key func([]byte) ([]byte, bool), window int) (int64, error) {
	_, k0, ok, err := firstKey(ra, size, c, key, window)
	if err != nil || !ok {
		return c, err
	}
	if _, k, ok, err := firstKey(ra, size, limit, key, window); err != nil {
		return c, err
	} else if ok && bytes.Equal(k, k0) {
		return c, nil // no key change before the next cut
	}
	// Binary search while the gap is wider than a window: the first keyed
	// record at or after lo has key k0, the one at or after hi has not.
	lo, hi := c, limit
	for hi-lo > int64(window)/2 {
		mid := lo + (hi-lo)/2
		_, k, ok, err := firstKey(ra, size, mid, key, window)
		if err != nil {
			return c, err
		}
		if ok && bytes.Equal(k, k0) {
			lo = mid
		} else {
			hi = mid
		}
	}
	// Then a linear scan of the last window or so.
	cut := c
	err = scanFrom(ra, size, lo, key, window, func(s int64, k []byte) bool {
		if s >= limit {
			return false
		}
		if !bytes.Equal(k, k0) {
			cut = s
			return false
		}
		return true
	})
	return cut, err
}
