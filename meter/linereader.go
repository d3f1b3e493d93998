package meter

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// errStop is returned by a lineDecoder to end the input early, e.g. at a
// DTC ZPT trailer: whatever follows is not data.
var errStop = errors.New("meter: end of data")

// lineDecoder is the per-format half of a line-oriented Reader. line
// appends the reads of one line to dst; end is called once at the end of the
// input so that a decoder that holds a record back (NEM12 waits for the 400
// records of a day) can flush it. A *ParseError return rejects the record and
// goes to OnError; errStop ends the input; any other error is fatal. A
// decoder that finds an earlier record bad while decoding a line (NEM12
// learns that a day of quality V lacks 400 records only at the next record)
// reports it through the report function it was given, before appending
// the line's reads.
type lineDecoder interface {
	line(dst []Reading, line []byte, lineNo, offset int64) ([]Reading, error)
	end(dst []Reading) ([]Reading, error)
}

// utf8BOM is the UTF-8 encoding of U+FEFF, which some tools put first.
var utf8BOM = []byte("\xef\xbb\xbf")

// StripBOM returns the first record of a file without a leading UTF-8
// byte-order mark. Decoders that read lines do it themselves; callers
// that split a file into records (package ranges) call it on the record at
// offset 0.
func StripBOM(rec []byte) []byte { return bytes.TrimPrefix(rec, utf8BOM) }

// lineReader reads lines with a bounded buffer. A line longer than max is
// reported as too long and its first max bytes returned, so that a file
// without line ends cannot make it allocate without limit.
type lineReader struct {
	br     *bufio.Reader
	offset int64
	long   []byte
	max    int
}

func newLineReader(r io.Reader, max int) lineReader {
	if max <= 0 {
		max = 1 << 20
	}
	return lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line without its '\n' (and without a '\r' before
// it), the offset of its first byte, and whether it was too long.
func (r *lineReader) next() (line []byte, offset int64, tooLong bool, err error) {
	offset = r.offset
	r.long = r.long[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.offset += int64(len(chunk))
		if err == bufio.ErrBufferFull {
			if len(r.long) < r.max {
				r.long = append(r.long, chunk...)
			} else {
				tooLong = true
			}
			continue
		}
		if err == io.EOF {
			if len(chunk) == 0 && len(r.long) == 0 && !tooLong {
				return nil, offset, false, io.EOF
			}
			err = nil
		}
		if err != nil {
			return nil, offset, false, err
		}
		chunk = bytes.TrimSuffix(chunk, []byte{'\n'})
		if len(r.long) > 0 {
			r.long = append(r.long, chunk...)
			chunk = r.long
		}
		chunk = trimCR(chunk)
		if offset == 0 {
			// A UTF-8 byte-order mark, as spreadsheet tools write, is not
			// part of the first record; offsets still count its bytes.
			chunk = bytes.TrimPrefix(chunk, utf8BOM)
		}
		if len(chunk) > r.max {
			return chunk[:r.max], offset, true, nil
		}
		return chunk, offset, tooLong, nil
	}
}

// lineDriver implements Reader for a lineDecoder: it owns the line reader,
// the error policy and the queue of decoded reads not yet handed out.
type lineDriver struct {
	lr      lineReader
	dec     lineDecoder
	format  string
	onError func(*ParseError, []byte) error
	lineNo  int64
	pending []Reading // reads decoded, not yet returned
	scratch []Reading // backing array of pending, reused
	ended   bool      // input exhausted or stopped
	flushed bool      // dec.end called
	err     error
}

func (d *lineDriver) init(r io.Reader, dec lineDecoder, format string, maxLine int, onError func(*ParseError, []byte) error) {
	d.lr = newLineReader(r, maxLine)
	d.dec = dec
	d.format = format
	d.onError = onError
	if d.onError == nil {
		d.onError = func(e *ParseError, _ []byte) error { return e }
	}
}

// report passes a record error to OnError and records a fatal outcome.
func (d *lineDriver) report(err error, raw []byte) {
	var pe *ParseError
	if !errors.As(err, &pe) {
		d.err = err
		return
	}
	if e := d.onError(pe, raw); e != nil {
		d.err = e
	}
}

// Read implements Reader.
func (d *lineDriver) Read(buf []Reading) (int, error) {
	n := 0
	for n < len(buf) {
		if len(d.pending) > 0 {
			c := copy(buf[n:], d.pending)
			n += c
			d.pending = d.pending[c:]
			continue
		}
		if d.err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, d.err
		}
		if d.ended {
			if d.flushed {
				d.err = io.EOF
				continue
			}
			d.flushed = true
			out, e := d.dec.end(d.scratch[:0])
			d.scratch, d.pending = out, out
			if e != nil {
				d.report(e, nil)
			}
			continue
		}
		line, offset, tooLong, err := d.lr.next()
		if err != nil {
			if err == io.EOF {
				d.ended = true
			} else {
				d.err = err
			}
			continue
		}
		d.lineNo++
		if tooLong {
			d.report(&ParseError{Format: d.format, Line: d.lineNo, Offset: offset,
				Err: fmt.Errorf("%w: more than %d bytes", ErrTooLong, d.lr.max)}, line)
			continue
		}
		out, e := d.dec.line(d.scratch[:0], line, d.lineNo, offset)
		d.scratch, d.pending = out, out
		if d.err != nil {
			// The decoder reported an earlier record (see lineDecoder) and
			// OnError stopped the reader: nothing after that record counts.
			d.pending = nil
			continue
		}
		switch {
		case e == errStop:
			d.ended = true
		case e != nil:
			d.report(e, line)
		}
	}
	return n, nil
}

// splitFields splits line at sep into dst (reusing its array) without
// allocating per field. It does not understand quotes; see splitCSV.
func splitFields(dst [][]byte, line []byte, sep byte) [][]byte {
	dst = dst[:0]
	start := 0
	for i := 0; i < len(line); i++ {
		if line[i] == sep {
			dst = append(dst, line[start:i])
			start = i + 1
		}
	}
	return append(dst, line[start:])
}

// interner maps byte strings to one shared string each, bounded so that
// garbage input cannot grow it without limit.
type interner map[string]string

func (m *interner) get(b []byte) string {
	if *m == nil {
		*m = make(map[string]string)
	}
	if s, ok := (*m)[string(b)]; ok {
		return s
	}
	if len(*m) >= maxInterned {
		clear(*m)
	}
	s := string(b)
	(*m)[s] = s
	return s
}
