package meter

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// MappedCSVFormat is the Format of ParseErrors from the mapped CSV decoder.
const MappedCSVFormat = "mapped-csv"

// MappedCSVOptions describes a "long" delimited file, one read per line, by
// the position of its columns. Columns are numbered from 1, as in cut(1) and
// awk, so that 0 means "absent" and the zero value is a valid default. Nil
// options mean the zero value: columns meter, time, value (1, 2, 3), comma
// separated, no header, UTC times, kWh values.
type MappedCSVOptions struct {
	// Delimiter separates fields; default ','. Fields may be enclosed in
	// double quotes, which are removed; a quoted field may contain the
	// delimiter but not a line end.
	Delimiter byte
	// Header skips the first non-empty, non-comment line.
	Header bool
	// Comment, if set, marks lines to skip by their prefix (e.g. "#").
	Comment string
	// MeterColumn, TimeColumn and ValueColumn locate the meter id, the
	// timestamp and the value; defaults 1, 2 and 3.
	MeterColumn, TimeColumn, ValueColumn int
	// TypeColumn, if set, holds the reading type of each line: a key of
	// TypeNames, or, when TypeNames is nil, a registered type name.
	// Otherwise every read has Type (default kwh).
	TypeColumn int
	// TypeNames maps the names in TypeColumn to reading types. When it is
	// nil the column must hold registered type names (see LookupType);
	// when it is set only its keys are accepted. A line with another name
	// is rejected with ErrUnit.
	TypeNames map[string]Type
	// Type is the reading type of every read when TypeColumn is 0;
	// default kwh.
	Type Type
	// Scale multiplies every value to convert it to the type's unit, e.g.
	// 0.001 for Wh to kWh; 0 means 1. A power of ten from 1e-22 to 1e22 is
	// applied exactly, in decimal, before conversion to binary.
	Scale float64
	// TimeLayout is the Go time layout of TimeColumn; default
	// "2006-01-02 15:04:05" (which also accepts a fraction of up to 7
	// digits). "unix" and "unixmilli" read epoch seconds or milliseconds.
	// A layout with a zone (Z07:00, -0700, MST) gives instants directly;
	// otherwise times are wall-clock times in Location.
	TimeLayout string
	// Location is the time zone of wall-clock times; default UTC. Times
	// are converted with a WallClock per meter, so the repeated hour of a
	// DST fall-back stays apart and a time in the spring-forward gap is an
	// error wrapping ErrNonexistentTime. A row dropped (a null value) or
	// rejected after its meter and time have parsed still counts as its
	// wall time's occurrence.
	Location *time.Location
	// IntervalEnding reports that the timestamp is the end of the read's
	// interval, the convention of Reading.Time. When false, the timestamp
	// is the interval start and Interval is added to it (with Interval 0
	// the reads are instants, such as power samples).
	IntervalEnding bool
	// Interval is the length of each read's interval, added to interval
	// start times; it is ignored when IntervalEnding is set.
	Interval time.Duration
	// QualityColumn, if set, holds a one-letter quality (A, E, S, F, N);
	// empty means A.
	QualityColumn int
	// NullValues are the value spellings of a missing value; default "",
	// "Null", "NULL", "null", "NA", "NaN". Missing values are dropped,
	// unless KeepNull emits them as value 0 with QualityNull.
	NullValues []string
	// KeepNull keeps missing values as reads of value 0 and QualityNull
	// instead of dropping them.
	KeepNull bool
	// Source is the reading_source of every read; default "csv".
	Source string
	// OnError is called with every bad line and its raw bytes (valid only
	// during the call). If it returns nil the reader carries on; otherwise
	// Read returns that error. If OnError is nil, the first bad line stops
	// the reader with its *ParseError.
	OnError func(err *ParseError, raw []byte) error
	// MaxLineBytes bounds a line; default 1 MiB.
	MaxLineBytes int
}

// MappedCSVReader decodes a delimited file of one read per line, laid out as
// its MappedCSVOptions say. It implements Reader.
//
// Every line is a record, so such a file can be split into byte ranges and
// decoded in parallel: see MappedCSVRecordStart. The Reader keeps one line
// and, per meter, the last instant (for DST disambiguation) in memory.
type MappedCSVReader struct {
	lineDriver
	d csvMapper
}

// NewMappedCSVReader returns a Reader of the delimited file in r.
func NewMappedCSVReader(r io.Reader, opts *MappedCSVOptions) *MappedCSVReader {
	if opts == nil {
		opts = &MappedCSVOptions{}
	}
	mr := &MappedCSVReader{}
	mr.d.configure(opts, MappedCSVFormat, "csv")
	mr.lineDriver.init(r, &mr.d, MappedCSVFormat, opts.MaxLineBytes, opts.OnError)
	return mr
}

// MappedCSVRecordStart returns a predicate that reports whether a line
// (without its line end) is a data record of the layout opts describes: not
// empty, not a comment, with enough fields and a parsable timestamp. A range
// scanner that splits a large file into byte ranges [start, end) for
// parallel decoding gives each line to the range holding its first byte: a
// worker seeks to start, drops the partial line there (unless start is 0),
// and decodes lines while their first byte is before end. The predicate
// tells the worker whether the first line it keeps is data or a header (to
// be skipped), and a range without any record start can be skipped whole.
// Start each worker with Header false.
func MappedCSVRecordStart(opts *MappedCSVOptions) func(line []byte) bool {
	if opts == nil {
		opts = &MappedCSVOptions{}
	}
	var m csvMapper
	m.configure(opts, MappedCSVFormat, "csv")
	return func(line []byte) bool {
		line = trimCR(line)
		if len(bytes.TrimSpace(line)) == 0 || (m.comment != "" && bytes.HasPrefix(line, []byte(m.comment))) {
			return false
		}
		m.fields = splitQuoted(m.fields, line, m.sep)
		if len(m.fields) < m.maxCol {
			return false
		}
		_, _, ok := m.parseTime(m.fields[m.timeCol-1])
		return ok
	}
}

// csvMapper decodes one line of a long CSV. It also serves the London
// reader, which is a mapped CSV with a known layout.
type csvMapper struct {
	format    string
	sep       byte
	header    bool
	comment   string
	meterCol  int
	timeCol   int
	valueCol  int
	typeCol   int
	qualCol   int
	maxCol    int
	typeNames map[string]Type
	typ       Type
	shift     int     // decimal shift when scale is a power of ten
	scale     float64 // else a multiplier (1 when shift is used)
	layout    string
	timeKind  int // timeFast, timeUnix, timeUnixMilli, timeZoned, timeWall
	clock     *WallClock
	addMS     int64
	nulls     []string
	keepNull  bool
	source    string
	fields    [][]byte
	ids       interner
	seenData  bool
}

const (
	timeFast = iota
	timeUnix
	timeUnixMilli
	timeZoned
	timeWall
)

func (m *csvMapper) configure(o *MappedCSVOptions, format, defSource string) {
	m.format = format
	m.sep = o.Delimiter
	if m.sep == 0 {
		m.sep = ','
	}
	m.header = o.Header
	m.comment = o.Comment
	m.meterCol, m.timeCol, m.valueCol = o.MeterColumn, o.TimeColumn, o.ValueColumn
	if m.meterCol <= 0 {
		m.meterCol = 1
	}
	if m.timeCol <= 0 {
		m.timeCol = 2
	}
	if m.valueCol <= 0 {
		m.valueCol = 3
	}
	m.typeCol, m.qualCol = max(o.TypeColumn, 0), max(o.QualityColumn, 0)
	m.maxCol = max(m.meterCol, m.timeCol, m.valueCol, m.typeCol, m.qualCol)
	m.typeNames = o.TypeNames
	m.typ = o.Type
	if m.typ == "" {
		m.typ = TypeKWh
	}
	m.scale = o.Scale
	if m.scale == 0 {
		m.scale = 1
	}
	if e, ok := powerOfTen(m.scale); ok {
		m.shift, m.scale = e, 1
	}
	m.layout = o.TimeLayout
	switch {
	case m.layout == "" || m.layout == "2006-01-02 15:04:05" || strings.HasPrefix(m.layout, "2006-01-02 15:04:05."):
		m.timeKind = timeFast
	case m.layout == "unix":
		m.timeKind = timeUnix
	case m.layout == "unixmilli":
		m.timeKind = timeUnixMilli
	case layoutHasZone(m.layout):
		m.timeKind = timeZoned
	default:
		m.timeKind = timeWall
	}
	m.clock = NewWallClock(o.Location)
	if !o.IntervalEnding {
		m.addMS = o.Interval.Milliseconds()
	}
	m.nulls = o.NullValues
	if m.nulls == nil {
		m.nulls = []string{"", "Null", "NULL", "null", "NA", "NaN"}
	}
	m.keepNull = o.KeepNull
	m.source = o.Source
	if m.source == "" {
		m.source = defSource
	}
}

// powerOfTen reports whether scale is 10^e for an e in [-22, 22], the
// powers whose scaling parseDecimal does exactly, in decimal. It compares
// against the exact table rather than taking math.Log10, which misses some
// of them (math.Log10(0.1) is -0.9999999999999999, likewise for 1e-4 and
// 1e15). 1/pow10[k], an exact power divided once with IEEE rounding, is the
// float64 nearest 10^-k, i.e. the value of the literal 1e-k.
func powerOfTen(scale float64) (e int, ok bool) {
	for k, p := range pow10 {
		switch scale {
		case p:
			return k, true
		case 1 / p:
			return -k, true
		}
	}
	return 0, false
}

func layoutHasZone(layout string) bool {
	for _, z := range []string{"Z07", "-07", "MST", "Z0700"} {
		if strings.Contains(layout, z) {
			return true
		}
	}
	return false
}

// parseTime returns Unix ms (instant) or wall ms (not instant).
func (m *csvMapper) parseTime(b []byte) (ms int64, instant, ok bool) {
	switch m.timeKind {
	case timeFast:
		ms, ok = parseHESTime(bytes.TrimSpace(b))
		return ms, false, ok
	case timeUnix, timeUnixMilli:
		v, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
		if err != nil {
			return 0, false, false
		}
		if m.timeKind == timeUnix {
			if v > math.MaxInt64/1000 || v < math.MinInt64/1000 {
				return 0, false, false
			}
			v *= 1000
		}
		return v, true, true
	}
	t, err := time.Parse(m.layout, string(bytes.TrimSpace(b)))
	if err != nil {
		return 0, false, false
	}
	if m.timeKind == timeZoned {
		return t.UnixMilli(), true, true
	}
	return wallFromTime(t), false, true
}

func (m *csvMapper) err(lineNo, offset int64, col string, err error) *ParseError {
	return &ParseError{Format: m.format, Line: lineNo, Offset: offset, Column: col, Err: err}
}

func (m *csvMapper) isNull(b []byte) bool {
	b = bytes.TrimSpace(b)
	for _, n := range m.nulls {
		if string(b) == n {
			return true
		}
	}
	return false
}

func (m *csvMapper) end(dst []Reading) ([]Reading, error) { return dst, nil }

func (m *csvMapper) line(dst []Reading, line []byte, lineNo, offset int64) ([]Reading, error) {
	if len(bytes.TrimSpace(line)) == 0 || (m.comment != "" && bytes.HasPrefix(line, []byte(m.comment))) {
		return dst, nil
	}
	if m.header && !m.seenData {
		m.seenData = true
		return dst, nil
	}
	m.seenData = true
	m.fields = splitQuoted(m.fields, line, m.sep)
	f := m.fields
	if len(f) < m.maxCol {
		return dst, m.err(lineNo, offset, "", fmt.Errorf("%w: got %d, want at least %d", ErrColumnCount, len(f), m.maxCol))
	}
	id := bytes.TrimSpace(f[m.meterCol-1])
	if !validMeterID(id) {
		return dst, m.err(lineNo, offset, "meter", fmt.Errorf("%w: %q", ErrMeterID, clip(id)))
	}
	ms, instant, ok := m.parseTime(f[m.timeCol-1])
	if !ok {
		return dst, m.err(lineNo, offset, "time", fmt.Errorf("%w: %q", ErrTimestamp, clip(f[m.timeCol-1])))
	}
	// The time is resolved before the row can be dropped (a null value)
	// or rejected (its type, quality or value): the WallClock tells the
	// two occurrences of the repeated fall-back hour apart by the meter's
	// last instant, so a first occurrence it never saw would put the
	// second an hour early.
	meterID := m.ids.get(id)
	if !instant {
		t, err := m.clock.resolve(meterID, ms)
		if err != nil {
			return dst, m.err(lineNo, offset, "time", fmt.Errorf("%w: %q: %w", ErrTimestamp, clip(f[m.timeCol-1]), err))
		}
		ms = t
	}
	typ := m.typ
	if m.typeCol > 0 {
		name := string(bytes.TrimSpace(f[m.typeCol-1]))
		t, ok := m.typeNames[name]
		if !ok && m.typeNames == nil {
			if _, reg := LookupType(Type(name)); reg {
				t, ok = Type(name), true
			}
		}
		if !ok {
			return dst, m.err(lineNo, offset, "type", fmt.Errorf("%w: reading type %q", ErrUnit, clip(f[m.typeCol-1])))
		}
		typ = t
	}
	q := QualityActual
	if m.qualCol > 0 {
		if qb := bytes.TrimSpace(f[m.qualCol-1]); len(qb) > 0 {
			pq, err := ParseQuality(string(qb))
			if err != nil {
				return dst, m.err(lineNo, offset, "quality", fmt.Errorf("%w: %q", ErrQuality, clip(qb)))
			}
			q = pq
		}
	}
	var v float64
	vb := f[m.valueCol-1]
	if m.isNull(vb) {
		if !m.keepNull {
			return dst, nil
		}
		q = QualityNull
	} else {
		v, ok = parseDecimal(bytes.TrimSpace(vb), m.shift)
		if !ok {
			return dst, m.err(lineNo, offset, "value", fmt.Errorf("%w: %q", ErrNumber, clip(vb)))
		}
		v *= m.scale
	}
	return append(dst, Reading{MeterID: meterID, Type: typ, Value: v, Time: time.UnixMilli(ms + m.addMS).UTC(),
		Source: m.source, Quality: q}), nil
}

// splitQuoted splits line at sep like splitFields, but a field enclosed in
// double quotes may contain sep, and its enclosing quotes are removed.
func splitQuoted(dst [][]byte, line []byte, sep byte) [][]byte {
	if bytes.IndexByte(line, '"') < 0 {
		return splitFields(dst, line, sep)
	}
	dst = dst[:0]
	start, inQ := 0, false
	for i := 0; i <= len(line); i++ {
		if i < len(line) && line[i] == '"' {
			inQ = !inQ
			continue
		}
		if i == len(line) || (line[i] == sep && !inQ) {
			fld := line[start:i]
			if len(fld) >= 2 && fld[0] == '"' && fld[len(fld)-1] == '"' {
				fld = fld[1 : len(fld)-1]
			}
			dst = append(dst, fld)
			start = i + 1
		}
	}
	return dst
}

// Read implements Reader: it fills buf with the next reads and returns
// io.EOF at the end of the input.
func (r *MappedCSVReader) Read(buf []Reading) (int, error) { return r.lineDriver.Read(buf) }
