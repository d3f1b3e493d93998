package ranges

import (
	"bufio"
	"fmt"
	"io"
)

const (
	// DefaultMaxRecordBytes is the default ScanOptions.MaxRecordBytes (1 MiB).
	DefaultMaxRecordBytes = 1 << 20
	// bufferSize is the size of the read buffer of a Scanner. Records that
	// fit in it are returned without copying.
	bufferSize = 256 << 10
	// minBufferSize is the smallest read buffer used for short ranges.
	minBufferSize = 4 << 10
)

// ScanOptions tunes a Scanner. A nil *ScanOptions means the defaults.
type ScanOptions struct {
	// SkipHeader skips the record that starts at offset 0 of the file (the
	// header line). It only affects the range that starts at 0. The skipped
	// record still counts as line 1.
	SkipHeader bool
	// MaxRecordBytes is the longest record (without its '\n') returned in
	// full; default 1 MiB (DefaultMaxRecordBytes) when <= 0. A longer record
	// is emitted truncated to this many bytes with TooLong() true, and
	// scanning resumes after its '\n'. Only MaxRecordBytes bytes of it are
	// ever held in memory.
	MaxRecordBytes int

	// bufSize overrides the read buffer size (tests only; min 16).
	bufSize int
}

// Scanner reads the records (lines) that start inside one Range of a file.
//
// A record belongs to the range in which its first byte lies, so scanners of
// ranges that tile a file return every record of the file exactly once,
// whatever the cut points. See the package documentation.
//
// Records are separated by '\n'. Every line is a record, including empty
// lines, except that there is no empty record after a final '\n'; the last
// record of the file may lack a '\n'. A '\r' before the '\n' is kept.
//
// Scanning does not allocate per record: records are returned as slices of
// the read buffer, and only records that do not fit in the buffer (256 KiB)
// are copied into a reusable internal buffer.
//
// A Scanner is not safe for concurrent use; use one per range.
type Scanner struct {
	src countingReader
	br  *bufio.Reader
	rng Range

	maxRec     int
	skipHeader bool

	pos     int64 // absolute offset of the next byte br will return
	started bool
	done    bool
	err     error

	rec     []byte
	recOff  int64
	line    int64
	tooLong bool

	long []byte // reusable buffer for records longer than the read buffer
}

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// NewScanner scans rng; r must yield the file's bytes starting at
// rng.ReadFrom() (e.g. an S3/blob range read from ReadFrom to end of file).
// The scanner stops reading as soon as the last record that starts inside
// the range is complete, so it reads at most one record past End (plus the
// read-ahead of its buffer, at most 256 KiB).
//
// r need not reach the end of the file, but it must not end before the
// last record that starts in the range is complete: io.EOF at or after
// rng.End is taken as the end of the file (so a final record without '\n'
// is complete), while io.EOF before rng.End makes Err report
// io.ErrUnexpectedEOF (the input was truncated).
//
// NewScanner does not read from r; reading starts with the first Scan.
func NewScanner(r io.Reader, rng Range, opts *ScanOptions) *Scanner {
	return newScanner(r, rng, opts, rangeBufferSize(rng))
}

// rangeBufferSize is the read buffer size for scanning rng: bufferSize, or
// for a short range the range plus room for a typical final record.
func rangeBufferSize(rng Range) int64 {
	return min(max(rng.Len(), 0)+minBufferSize, bufferSize)
}

// NewReaderAtScanner scans rng of a file of the given size held in ra.
//
// It reads ra sequentially from rng.ReadFrom() with the same buffering and
// stopping rule as NewScanner, never past size. If size < rng.End, Err
// reports io.ErrUnexpectedEOF.
func NewReaderAtScanner(ra io.ReaderAt, size int64, rng Range, opts *ScanOptions) *Scanner {
	from := rng.ReadFrom()
	n := max(size-from, 0)
	return newScanner(io.NewSectionReader(ra, from, n), rng, opts, min(n, rangeBufferSize(rng)))
}

func newScanner(r io.Reader, rng Range, opts *ScanOptions, bufSize int64) *Scanner {
	s := &Scanner{rng: rng, maxRec: DefaultMaxRecordBytes}
	if opts != nil {
		s.skipHeader = opts.SkipHeader
		if opts.MaxRecordBytes > 0 {
			s.maxRec = opts.MaxRecordBytes
		}
		if opts.bufSize > 0 {
			bufSize = int64(opts.bufSize)
		}
	}
	s.src.r = r
	// bufio.NewReaderSize enforces its own minimum of 16 bytes.
	s.br = bufio.NewReaderSize(&s.src, int(bufSize))
	return s
}

// Scan advances to the next record that starts inside the range, which is
// then available through Record, Offset, Line and TooLong. It returns false
// when there are no more such records or on error; Err tells which.
func (s *Scanner) Scan() bool {
	if s.done {
		return false
	}
	if !s.started {
		s.started = true
		if !s.sync() {
			s.finish()
			return false
		}
	}
	for {
		if s.pos >= s.rng.End {
			// The next record starts in the following range.
			s.finish()
			return false
		}
		off := s.pos
		line, err := s.br.ReadSlice('\n')
		var rec []byte
		tooLong := false
		if err == nil {
			s.pos += int64(len(line))
			rec = line[:len(line)-1]
			if len(rec) > s.maxRec {
				rec, tooLong = rec[:s.maxRec], true
			}
		} else {
			var ok bool
			if rec, tooLong, ok = s.slowRecord(off, line, err); !ok {
				s.finish()
				return false
			}
		}
		s.line++
		if off == 0 && s.skipHeader {
			continue
		}
		s.rec, s.recOff, s.tooLong = rec, off, tooLong
		return true
	}
}

// sync positions the scanner at the first record that starts at or after
// rng.Start. It reports false if there is no such record inside the range
// or on error.
func (s *Scanner) sync() bool {
	r := s.rng
	if r.Start < 0 || r.End < r.Start {
		s.err = fmt.Errorf("ranges: invalid range %v", r)
		return false
	}
	if r.Start == r.End {
		return false // empty: no record can start here; read nothing
	}
	if r.Start == 0 {
		s.pos = 0 // a record starts at offset 0
		return true
	}
	// A record starts at p exactly when byte p-1 is '\n' (or p == 0). Skip
	// the tail of the record that covers Start-1, including its '\n'.
	s.pos = r.Start - 1
	for {
		line, err := s.br.ReadSlice('\n')
		s.pos += int64(len(line))
		switch err {
		case nil:
			return true // s.pos is a record start; Scan checks it against End
		case bufio.ErrBufferFull:
			if s.pos >= r.End-1 {
				// Bytes Start-1 .. End-2 hold no '\n': no record starts in
				// [Start, End). Stop reading.
				return false
			}
		case io.EOF:
			if s.pos < r.End {
				s.err = io.ErrUnexpectedEOF
			}
			return false
		default:
			s.err = err
			return false
		}
	}
}

// slowRecord completes the record starting at off after ReadSlice returned
// line with a non-nil err: a record longer than the buffer
// (bufio.ErrBufferFull), the end of the input, or a read error. ok is false
// if there is no record (clean end or error).
func (s *Scanner) slowRecord(off int64, line []byte, err error) (rec []byte, tooLong, ok bool) {
	var n int64 // record length so far, without '\n'
	spanning := err == bufio.ErrBufferFull
	if spanning {
		s.long = s.long[:0]
		for err == bufio.ErrBufferFull {
			s.long = appendCapped(s.long, line, s.maxRec)
			n += int64(len(line))
			line, err = s.br.ReadSlice('\n')
		}
	}
	switch err {
	case nil:
		line = line[:len(line)-1]
		n += int64(len(line)) + 1 // with the '\n'
	case io.EOF:
		n += int64(len(line))
		if n == 0 || off+n < s.rng.End {
			// Clean end of the input exactly at a record start, or the
			// input ended inside the range: the file is shorter than End.
			if off+n < s.rng.End {
				s.err = io.ErrUnexpectedEOF
			}
			return nil, false, false
		}
	default:
		s.err = err
		return nil, false, false
	}
	s.pos = off + n
	if spanning {
		s.long = appendCapped(s.long, line, s.maxRec)
		rec = s.long
	} else {
		rec = line
	}
	if err == nil {
		n-- // the '\n' is not part of the record
	}
	if n > int64(s.maxRec) {
		// appendCapped kept at most maxRec bytes of a spanning record.
		rec, tooLong = rec[:s.maxRec], true
	}
	return rec, tooLong, true
}

// appendCapped appends p to dst without letting dst grow beyond limit bytes.
func appendCapped(dst, p []byte, limit int) []byte {
	if room := limit - len(dst); room < len(p) {
		p = p[:max(room, 0)]
	}
	return append(dst, p...)
}

func (s *Scanner) finish() {
	s.done = true
	s.rec, s.tooLong = nil, false
}

// Record returns the current record without its '\n' (a '\r' before it is
// kept: decoders strip it). If TooLong is true it holds the first
// MaxRecordBytes bytes only. The slice is valid until the next call to
// Scan; copy it to keep it.
func (s *Scanner) Record() []byte { return s.rec }

// Offset returns the absolute file offset of the current record's first
// byte.
func (s *Scanner) Offset() int64 { return s.recOff }

// Line returns the 1-based number of the current record within this range's
// scan: line 1 is the first record emitted or skipped (SkipHeader) in the
// range. For a range starting at 0 this is the file line number; for other
// ranges, add the number of records in all preceding ranges to get it.
func (s *Scanner) Line() int64 { return s.line }

// TooLong reports whether the current record was longer than
// MaxRecordBytes and Record holds only its first MaxRecordBytes bytes.
func (s *Scanner) TooLong() bool { return s.tooLong }

// Err returns the first error met by Scan: a read error of the underlying
// reader, io.ErrUnexpectedEOF if the input ended before the range's End,
// or an error for an invalid range (Start < 0 or End < Start). It is nil
// at a clean end.
func (s *Scanner) Err() error { return s.err }

// BytesRead returns the number of bytes consumed from the underlying reader
// so far (including buffered read-ahead), for progress and throughput
// reporting.
func (s *Scanner) BytesRead() int64 { return s.src.n }
