package meter

import (
	"errors"
	"io"
)

// Reader reads reads in batches. Read fills up to len(buf) reads and returns
// how many it filled. At the end of the input it returns 0, io.EOF (it may
// also return n > 0 with io.EOF). Like io.Reader, callers process the n reads
// before looking at the error. The strings in the reads are immutable and may
// be kept; the slice is the caller's.
type Reader interface {
	Read(buf []Reading) (n int, err error)
}

// Writer writes reads in batches. Write must not keep buf after it returns,
// and returns a non-nil error if it wrote fewer than len(buf) reads.
type Writer interface {
	Write(buf []Reading) (n int, err error)
}

// ReadAll reads r to io.EOF and returns every read.
func ReadAll(r Reader) ([]Reading, error) {
	var out []Reading
	buf := make([]Reading, 1024)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// Copy copies every read from src to dst, in batches of up to 4096.
func Copy(dst Writer, src Reader) (int64, error) {
	var total int64
	buf := make([]Reading, 4096)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			w, werr := dst.Write(buf[:n])
			total += int64(w)
			if werr != nil {
				return total, werr
			}
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// SliceReader is a Reader over a slice of reads.
type SliceReader struct {
	reads []Reading
}

// NewSliceReader returns a Reader that yields reads in order.
func NewSliceReader(reads []Reading) *SliceReader { return &SliceReader{reads: reads} }

func (s *SliceReader) Read(buf []Reading) (int, error) {
	if len(s.reads) == 0 {
		return 0, io.EOF
	}
	n := copy(buf, s.reads)
	s.reads = s.reads[n:]
	return n, nil
}

// SliceWriter is a Writer that appends to a slice.
type SliceWriter struct {
	Reads []Reading // every read written, in order
}

func (s *SliceWriter) Write(buf []Reading) (int, error) {
	s.Reads = append(s.Reads, buf...)
	return len(buf), nil
}
