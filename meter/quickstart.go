package meter

import (
	"bytes"
	"fmt"
	"io"
	"time"
)

// QuickstartFormat is the Format of ParseErrors from the Quickstart decoder.
const QuickstartFormat = "quickstart-pipe"

// QuickstartOptions configures a QuickstartReader. Nil means the defaults.
type QuickstartOptions struct {
	// Location is the time zone of the timestamps, which carry none;
	// default UTC, as the Quickstart's own jobs read them.
	Location *time.Location
	// MeterID builds a read's meter id from the line's meter id and OBIS
	// register code; the default joins them with '-' ("46001-1.8.1"). The
	// register is part of the id because a meter reports several
	// registers at the same instant, as a DTC D0010 flow does.
	MeterID func(meter, obis string) string
	// Source is the reading_source of every read; default "quickstart".
	Source string
	// OnError and MaxLineBytes are as in MappedCSVOptions.
	OnError      func(err *ParseError, raw []byte) error
	MaxLineBytes int // bound on a line; default 1 MiB
}

// QuickstartReader decodes the pipe-separated meter data of the AWS
// Quickstart for meter data analytics (its generate_meter_data.py and the
// MRASCo adapter's output), which the Quickstart's Glue job reads by
// position:
//
//	46001|1.8.1|2019010100240000|26.492|INT|spid|rq|ansi|smult|DST|AccNum|sqcode
//	46001|2.8.1|2019010100240000|45.218|AGG|...
//	46002|1.8.0|2019010309150000|ERR03|ERR|...
//
// The fields are the meter id, the OBIS register code, the time as
// yyyyMMddHH"24"mmss (the hour followed by a literal "24", Python's
// %H24; 14 digits without it are read too), the value and its type; the
// rest (seven placeholders in the generator's output) are ignored. There
// is no header. It implements Reader.
//
// A read of type INT is a cumulative register (type kwh_register); one of
// type AGG is the energy since the previous interval (type kwh), whose
// time is the interval's end. ERR reads (the meter reported an error code
// instead of a value) are rejected with ErrMeterError, so that they are
// quarantined with their line, never stored as a number. The Quickstart
// documents no unit; the values are taken to be kWh.
//
// Each line is a record: see QuickstartRecordStart.
type QuickstartReader struct {
	lineDriver
	d quickstartDecoder
}

// NewQuickstartReader returns a Reader of the Quickstart's pipe format in r.
func NewQuickstartReader(r io.Reader, opts *QuickstartOptions) *QuickstartReader {
	if opts == nil {
		opts = &QuickstartOptions{}
	}
	q := &QuickstartReader{}
	q.d.meterID = opts.MeterID
	q.d.source = opts.Source
	if q.d.source == "" {
		q.d.source = "quickstart"
	}
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	q.d.clock = NewWallClock(loc)
	q.lineDriver.init(r, &q.d, QuickstartFormat, opts.MaxLineBytes, opts.OnError)
	return q
}

type quickstartDecoder struct {
	source  string
	meterID func(meter, obis string) string
	clock   *WallClock
	fields  [][]byte
	ids     interner
	idbuf   []byte
}

func (d *quickstartDecoder) err(lineNo, offset int64, col string, err error) *ParseError {
	return &ParseError{Format: QuickstartFormat, Line: lineNo, Offset: offset, Column: col, Err: err}
}

func (d *quickstartDecoder) end(dst []Reading) ([]Reading, error) { return dst, nil }

func (d *quickstartDecoder) line(dst []Reading, line []byte, lineNo, offset int64) ([]Reading, error) {
	line = trimCR(line)
	if len(bytes.TrimSpace(line)) == 0 {
		return dst, nil
	}
	f := splitFields(d.fields[:0], line, '|')
	d.fields = f
	if len(f) < 5 {
		return dst, d.err(lineNo, offset, "", fmt.Errorf("%w: %d fields, want at least 5", ErrColumnCount, len(f)))
	}
	if !validMeterID(f[0]) {
		return dst, d.err(lineNo, offset, "meter_id", fmt.Errorf("%w: %q", ErrMeterID, clip(f[0])))
	}
	if !validOBIS(f[1]) {
		return dst, d.err(lineNo, offset, "obis_code", fmt.Errorf("%w: OBIS code %q, want a code such as 1.8.0", ErrMeterID, clip(f[1])))
	}
	var typ Type
	switch string(f[4]) {
	case "INT":
		typ = TypeKWhRegister
	case "AGG":
		typ = TypeKWh
	case "ERR":
		return dst, d.err(lineNo, offset, "reading_value", fmt.Errorf("%w: %q", ErrMeterError, clip(f[3])))
	default:
		return dst, d.err(lineNo, offset, "reading_type", fmt.Errorf("%w: %q, want INT, AGG or ERR", ErrReadingType, clip(f[4])))
	}
	wms, ok := parseQuickstartTime(f[2])
	if !ok {
		return dst, d.err(lineNo, offset, "reading_time", fmt.Errorf("%w: %q, want yyyyMMddHH24mmss", ErrTimestamp, clip(f[2])))
	}
	var id string
	if d.meterID != nil {
		id = d.meterID(string(f[0]), string(f[1]))
		if !ValidMeterID(id) {
			return dst, d.err(lineNo, offset, "meter_id", fmt.Errorf("%w: MeterID gave %q", ErrMeterID, clip([]byte(id))))
		}
	} else {
		d.idbuf = append(append(append(d.idbuf[:0], f[0]...), '-'), f[1]...)
		id = d.ids.get(d.idbuf)
	}
	// Each register is a series of its own for the wall clock, so the
	// repeated hour of a DST change is told apart per register.
	ms, err := d.clock.resolve(id, wms)
	if err != nil {
		return dst, d.err(lineNo, offset, "reading_time", fmt.Errorf("%w: %q: %w", ErrTimestamp, clip(f[2]), err))
	}
	v, ok := parseDecimal(f[3], 0)
	if !ok {
		return dst, d.err(lineNo, offset, "reading_value", fmt.Errorf("%w: %q", ErrNumber, clip(f[3])))
	}
	return append(dst, Reading{MeterID: id, Type: typ, Value: v, Time: time.UnixMilli(ms).UTC(),
		Source: d.source, Quality: QualityActual}), nil
}

// validOBIS reports whether b is an OBIS code in the reduced form the
// Quickstart writes (C.D.E, e.g. 1.8.0) or a fuller one (A-B:C.D.E*F):
// digits, '.', '-', ':', '*', starting with a digit, at most 32 bytes.
func validOBIS(b []byte) bool {
	if len(b) == 0 || len(b) > 32 || b[0] < '0' || b[0] > '9' {
		return false
	}
	dots := 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9', c == '-', c == ':', c == '*':
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return dots >= 2
}

// parseQuickstartTime parses yyyyMMddHH24mmss (16 bytes, with the literal
// "24" after the hour) or yyyyMMddHHmmss (14) as wall-clock Unix ms.
func parseQuickstartTime(b []byte) (int64, bool) {
	switch len(b) {
	case 16:
		if b[10] != '2' || b[11] != '4' {
			return 0, false
		}
		var t [14]byte
		copy(t[:10], b[:10])
		copy(t[10:], b[12:])
		return parseDateTime14(t[:])
	case 14:
		return parseDateTime14(b)
	}
	return 0, false
}

// QuickstartRecordStart reports whether line (without its line end) is a
// Quickstart record: a meter id, an OBIS code and a time, '|'-separated.
func QuickstartRecordStart(line []byte) bool {
	line = trimCR(line)
	var buf [12][]byte
	f := splitFields(buf[:0], line, '|')
	if len(f) < 5 || !validMeterID(f[0]) || !validOBIS(f[1]) {
		return false
	}
	_, ok := parseQuickstartTime(f[2])
	return ok
}
