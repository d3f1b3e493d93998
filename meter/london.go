package meter

import (
	"bytes"
	"fmt"
	"io"
	"time"
)

// LondonFormat is the Format of ParseErrors from the London CSV decoder.
const LondonFormat = "london-csv"

// LondonLayout selects one of the two published layouts of the "Smart
// meters in London" (Low Carbon London, LCL) half-hourly data.
type LondonLayout int

const (
	// LondonAuto detects the layout from the header, or from the number of
	// fields when the input starts without one (a byte range of a file).
	LondonAuto LondonLayout = iota
	// LondonDatastore is the London Datastore file: LCLid, stdorToU,
	// DateTime, "KWH/hh (per half hour) ", Acorn, Acorn_grouped.
	LondonDatastore
	// LondonKaggle is the Kaggle mirror's halfhourly_dataset: LCLid, tstp,
	// energy(kWh/hh).
	LondonKaggle
)

// LondonOptions configures a LondonReader. Nil means the defaults.
type LondonOptions struct {
	// Layout is the file's layout; default LondonAuto, which detects it.
	// A header of the other layout than the one set or detected is an
	// error (ErrHeader).
	Layout LondonLayout
	// Location is the time zone of the timestamps; default Europe/London.
	// The timestamps are UK wall-clock times; set time.UTC to read them as
	// GMT instead.
	Location *time.Location
	// Source is the reading_source of every read; default "lcl".
	Source string
	// KeepNull emits "Null" values as 0 with QualityNull; by default they
	// are dropped.
	KeepNull bool
	// OnError and MaxLineBytes are as in MappedCSVOptions.
	OnError      func(err *ParseError, raw []byte) error
	MaxLineBytes int // bound on a line; default 1 MiB
}

// LondonReader decodes the LCL half-hourly smart-meter data into reads of
// type kwh. It implements Reader.
//
// LCL timestamps mark the start of the half hour (the first read of a day is
// stamped 00:00:00), while Reading.Time is the interval end, so 30 minutes
// are added. They are converted from Europe/London wall-clock time with a
// WallClock per household, so that the half hours stamped 01:00 and 01:30
// twice on an autumn Sunday stay four distinct reads. The Acorn columns are
// household attributes, not reads, and are ignored.
//
// Each line is a record: see LondonRecordStart for splitting a file into
// byte ranges.
type LondonReader struct {
	lineDriver
	d londonDecoder
}

// NewLondonReader returns a Reader of the LCL CSV in r.
func NewLondonReader(r io.Reader, opts *LondonOptions) *LondonReader {
	if opts == nil {
		opts = &LondonOptions{}
	}
	lr := &LondonReader{}
	lr.d.opts = *opts
	if lr.d.opts.Location == nil {
		loc, err := time.LoadLocation("Europe/London")
		if err != nil {
			lr.d.fatal = fmt.Errorf("meter: London reader needs Europe/London: %w (import time/tzdata or set Options.Location)", err)
		}
		lr.d.opts.Location = loc
	}
	if opts.Layout != LondonAuto {
		lr.d.setup(opts.Layout)
	}
	lr.lineDriver.init(r, &lr.d, LondonFormat, opts.MaxLineBytes, opts.OnError)
	return lr
}

type londonDecoder struct {
	opts   LondonOptions
	layout LondonLayout
	m      csvMapper
	fatal  error
	fields [][]byte
}

func (d *londonDecoder) setup(l LondonLayout) {
	d.layout = l
	o := &MappedCSVOptions{MeterColumn: 1, TimeColumn: 2, ValueColumn: 3, Location: d.opts.Location,
		Interval: 30 * time.Minute, NullValues: []string{"Null", "", "NULL"}, KeepNull: d.opts.KeepNull, Source: d.opts.Source}
	if l == LondonDatastore {
		o.TimeColumn, o.ValueColumn = 3, 4
	}
	d.m.configure(o, LondonFormat, "lcl")
}

// londonHeader reports the layout of a header line, or LondonAuto.
func londonHeader(line []byte) LondonLayout {
	switch {
	case bytes.HasPrefix(line, []byte("LCLid,stdorToU,")):
		return LondonDatastore
	case bytes.HasPrefix(line, []byte("LCLid,tstp,")):
		return LondonKaggle
	}
	return LondonAuto
}

// LondonRecordStart reports whether line (without its line end) is a data
// record of either LCL layout: not a header, with 3 or 6 fields and a
// timestamp. A range scanner gives each line to the byte range holding its
// first byte (see MappedCSVRecordStart); a worker that starts mid-file needs
// no header, since the layout is inferred from the field count.
func LondonRecordStart(line []byte) bool {
	line = trimCR(line)
	var buf [8][]byte
	f := splitFields(buf[:0], line, ',')
	switch len(f) {
	case 3:
		_, ok := parseHESTime(f[1])
		return ok
	case 6:
		_, ok := parseHESTime(f[2])
		return ok
	}
	return false
}

func (d *londonDecoder) end(dst []Reading) ([]Reading, error) { return dst, nil }

func (d *londonDecoder) line(dst []Reading, line []byte, lineNo, offset int64) ([]Reading, error) {
	if d.fatal != nil {
		return dst, d.fatal
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return dst, nil
	}
	if l := londonHeader(line); l != LondonAuto {
		if d.layout == LondonAuto {
			d.setup(l)
		} else if l != d.layout {
			return dst, &ParseError{Format: LondonFormat, Line: lineNo, Offset: offset, Err: fmt.Errorf("%w: header of the other LCL layout", ErrHeader)}
		}
		return dst, nil // headers of concatenated files are skipped too
	}
	if d.layout == LondonAuto {
		d.fields = splitFields(d.fields, line, ',')
		switch len(d.fields) {
		case 3:
			d.setup(LondonKaggle)
		case 6:
			d.setup(LondonDatastore)
		default:
			return dst, &ParseError{Format: LondonFormat, Line: lineNo, Offset: offset,
				Err: fmt.Errorf("%w: no LCL header, and %d fields match neither layout", ErrHeader, len(d.fields))}
		}
	}
	return d.m.line(dst, line, lineNo, offset)
}

// Read implements Reader: it fills buf with the next reads and returns
// io.EOF at the end of the input.
func (r *LondonReader) Read(buf []Reading) (int, error) { return r.lineDriver.Read(buf) }
