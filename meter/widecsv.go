package meter

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// WideCSVFormat is the Format of ParseErrors from the wide CSV decoder.
const WideCSVFormat = "wide-csv"

// WideCSVOptions describes a "wide" delimited file, as retailers' customer
// portals export it: one row per meter per day, one column per interval,
// e.g. "meter_id,date,00:30,01:00,...,24:00". Columns are numbered from 1;
// 0 means absent or the default. Nil options mean the zero value.
type WideCSVOptions struct {
	// Delimiter separates fields; default ','. Quotes are handled as in
	// MappedCSVOptions.
	Delimiter byte
	// Header skips the first non-empty line.
	Header bool
	// MeterColumn and DateColumn locate the meter id and the day; defaults
	// 1 and 2.
	MeterColumn, DateColumn int
	// DateLayout is the Go layout of the day, default "2006-01-02".
	DateLayout string
	// FirstValueColumn is the column of the first interval; default the
	// column after DateColumn. Intervals values follow it (default 48, i.e.
	// 30 minutes); later columns are ignored.
	FirstValueColumn int
	Intervals        int
	// Location is the time zone of the days; default UTC. The k-th value
	// ends k intervals of elapsed time after local midnight. With a zone
	// that observes DST, a 48-column row cannot describe a 23- or 25-hour
	// day; Australian retail exports use NEM time (NEMTime), which has no
	// DST.
	Location *time.Location
	// Type is the reading type of every value (default kwh), unless
	// TypeColumn is set; its values are looked up in TypeNames, e.g.
	// {"Consumption": TypeKWh, "Generation": TypeKWhExport}.
	Type       Type
	TypeColumn int
	TypeNames  map[string]Type
	// EstimatedColumn, if set, marks estimated rows: a value in
	// EstimatedValues (default "Yes", "Y", "E", "true", "TRUE", "1") gives
	// QualityEstimated, anything else QualityActual.
	EstimatedColumn int
	EstimatedValues []string
	// Scale, NullValues, KeepNull, Source, OnError and MaxLineBytes are as
	// in MappedCSVOptions; Source defaults to "wide-csv".
	Scale        float64
	NullValues   []string
	KeepNull     bool
	Source       string
	OnError      func(err *ParseError, raw []byte) error
	MaxLineBytes int
}

// WideCSVReader decodes a wide CSV into reads, one per interval column. It
// implements Reader. A row is the unit of error: a bad value rejects its
// whole day, so that a quarantined row can be fixed and replayed as is.
//
// Each row is a record, so a file can be split into byte ranges; see
// WideCSVRecordStart.
type WideCSVReader struct {
	lineDriver
	d wideDecoder
}

// NewWideCSVReader returns a Reader of the wide CSV in r.
func NewWideCSVReader(r io.Reader, opts *WideCSVOptions) *WideCSVReader {
	if opts == nil {
		opts = &WideCSVOptions{}
	}
	wr := &WideCSVReader{}
	wr.d.configure(opts)
	wr.lineDriver.init(r, &wr.d, WideCSVFormat, opts.MaxLineBytes, opts.OnError)
	return wr
}

// WideCSVRecordStart returns a predicate that reports whether a line is a
// data row of the layout opts describes (enough fields and a parsable day),
// for a range scanner as described at MappedCSVRecordStart.
func WideCSVRecordStart(opts *WideCSVOptions) func(line []byte) bool {
	if opts == nil {
		opts = &WideCSVOptions{}
	}
	var d wideDecoder
	d.configure(opts)
	return func(line []byte) bool {
		d.fields = splitQuoted(d.fields, trimCR(line), d.sep)
		if len(d.fields) < d.minFields {
			return false
		}
		_, _, _, ok := d.parseDate(d.fields[d.dateCol-1])
		return ok
	}
}

type wideDecoder struct {
	sep       byte
	header    bool
	seenData  bool
	meterCol  int
	dateCol   int
	layout    string
	firstCol  int
	n         int
	stepMS    int64
	minFields int
	clock     *WallClock
	typ       Type
	typeCol   int
	typeNames map[string]Type
	estCol    int
	estVals   []string
	shift     int
	scale     float64
	nulls     []string
	keepNull  bool
	source    string
	fields    [][]byte
	ids       interner
	vals      []float64
	isNull    []bool
}

func (d *wideDecoder) configure(o *WideCSVOptions) {
	d.sep = o.Delimiter
	if d.sep == 0 {
		d.sep = ','
	}
	d.header = o.Header
	d.meterCol, d.dateCol = o.MeterColumn, o.DateColumn
	if d.meterCol <= 0 {
		d.meterCol = 1
	}
	if d.dateCol <= 0 {
		d.dateCol = 2
	}
	d.layout = o.DateLayout
	if d.layout == "" {
		d.layout = "2006-01-02"
	}
	d.firstCol = o.FirstValueColumn
	if d.firstCol <= 0 {
		d.firstCol = d.dateCol + 1
	}
	d.n = o.Intervals
	if d.n <= 0 || 1440%d.n != 0 {
		d.n = 48
	}
	d.stepMS = int64(1440/d.n) * 60000
	d.typeCol, d.estCol = max(o.TypeColumn, 0), max(o.EstimatedColumn, 0)
	d.minFields = max(d.meterCol, d.dateCol, d.firstCol+d.n-1, d.typeCol, d.estCol)
	d.clock = NewWallClock(o.Location)
	d.typ = o.Type
	if d.typ == "" {
		d.typ = TypeKWh
	}
	d.typeNames = o.TypeNames
	d.estVals = o.EstimatedValues
	if d.estVals == nil {
		d.estVals = []string{"Yes", "Y", "E", "true", "TRUE", "1"}
	}
	d.scale = o.Scale
	if d.scale == 0 {
		d.scale = 1
	}
	if e := math.Log10(d.scale); e == math.Trunc(e) && math.Abs(e) <= 22 && d.scale > 0 {
		d.shift, d.scale = int(e), 1
	}
	d.nulls = o.NullValues
	if d.nulls == nil {
		d.nulls = []string{"", "Null", "NULL", "null", "NA", "NaN"}
	}
	d.keepNull = o.KeepNull
	d.source = o.Source
	if d.source == "" {
		d.source = "wide-csv"
	}
	d.vals = make([]float64, d.n)
	d.isNull = make([]bool, d.n)
}

// parseDate parses a day in the configured layout, without allocating for
// the ISO and compact layouts.
func (d *wideDecoder) parseDate(b []byte) (y, m, dd int, ok bool) {
	b = bytes.TrimSpace(b)
	switch d.layout {
	case "2006-01-02":
		if len(b) != 10 || b[4] != '-' || b[7] != '-' {
			return 0, 0, 0, false
		}
		var c [8]byte
		copy(c[:4], b[:4])
		copy(c[4:6], b[5:7])
		copy(c[6:], b[8:])
		return parseDate8(c[:])
	case "20060102":
		return parseDate8(b)
	}
	t, err := time.Parse(d.layout, string(b))
	if err != nil {
		return 0, 0, 0, false
	}
	return t.Year(), int(t.Month()), t.Day(), true
}

func (d *wideDecoder) err(lineNo, offset int64, col string, err error) *ParseError {
	return &ParseError{Format: WideCSVFormat, Line: lineNo, Offset: offset, Column: col, Err: err}
}

func (d *wideDecoder) end(dst []Reading) ([]Reading, error) { return dst, nil }

func (d *wideDecoder) line(dst []Reading, line []byte, lineNo, offset int64) ([]Reading, error) {
	if len(bytes.TrimSpace(line)) == 0 {
		return dst, nil
	}
	if d.header && !d.seenData {
		d.seenData = true
		return dst, nil
	}
	d.seenData = true
	d.fields = splitQuoted(d.fields, line, d.sep)
	f := d.fields
	if len(f) < d.minFields {
		return dst, d.err(lineNo, offset, "", fmt.Errorf("%w: got %d, want at least %d", ErrColumnCount, len(f), d.minFields))
	}
	id := bytes.TrimSpace(f[d.meterCol-1])
	if !validMeterID(id) {
		return dst, d.err(lineNo, offset, "meter", fmt.Errorf("%w: %q", ErrMeterID, clip(id)))
	}
	y, m, dd, ok := d.parseDate(f[d.dateCol-1])
	if !ok {
		return dst, d.err(lineNo, offset, "date", fmt.Errorf("%w: %q", ErrTimestamp, clip(f[d.dateCol-1])))
	}
	typ := d.typ
	if d.typeCol > 0 {
		t, ok := d.typeNames[string(bytes.TrimSpace(f[d.typeCol-1]))]
		if !ok {
			return dst, d.err(lineNo, offset, "type", fmt.Errorf("%w: %q", ErrUnit, clip(f[d.typeCol-1])))
		}
		typ = t
	}
	q := QualityActual
	if d.estCol > 0 {
		e := bytes.TrimSpace(f[d.estCol-1])
		for _, v := range d.estVals {
			if string(e) == v {
				q = QualityEstimated
				break
			}
		}
	}
	for i := 0; i < d.n; i++ {
		b := bytes.TrimSpace(f[d.firstCol-1+i])
		d.isNull[i] = false
		null := false
		for _, nv := range d.nulls {
			if string(b) == nv {
				null = true
				break
			}
		}
		if null {
			d.isNull[i] = true
			continue
		}
		v, ok := parseDecimal(b, d.shift)
		if !ok {
			return dst, d.err(lineNo, offset, "value"+strconv.Itoa(i+1), fmt.Errorf("%w: %q", ErrNumber, clip(b)))
		}
		d.vals[i] = v * d.scale
	}
	meterID := d.ids.get(id)
	midnight := d.clock.localMidnight(y, m, dd)
	for i := 0; i < d.n; i++ {
		rq, v := q, d.vals[i]
		if d.isNull[i] {
			if !d.keepNull {
				continue
			}
			rq, v = QualityNull, 0
		}
		dst = append(dst, Reading{MeterID: meterID, Type: typ, Value: v,
			Time: time.UnixMilli(midnight + int64(i+1)*d.stepMS).UTC(), Source: d.source, Quality: rq})
	}
	return dst, nil
}

// Read implements Reader: it fills buf with the next reads and returns
// io.EOF at the end of the input.
func (r *WideCSVReader) Read(buf []Reading) (int, error) { return r.lineDriver.Read(buf) }
