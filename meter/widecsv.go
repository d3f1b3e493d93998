package meter

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
	// 30 minutes) on a day of 24 hours; in a zone with a fixed offset later
	// columns are ignored (but see Location for other zones).
	FirstValueColumn int
	// Intervals is the number of intervals of a 24-hour day, which fixes
	// their length (1440/Intervals minutes); default 48. A number that
	// does not divide 1440 is taken as 48 too.
	Intervals int
	// TrailingColumns is the number of columns after the intervals that
	// are not intervals (a daily total; 1 for a delimiter at the end of
	// every row). It matters only in a zone whose offset changes, where a
	// row's interval columns are counted (see Location).
	TrailingColumns int
	// Location is the time zone of the days; default UTC. The k-th value
	// ends k intervals of elapsed time after local midnight. Australian
	// retail exports use NEM time (NEMTime), which has no DST.
	//
	// In a zone whose offset changes (one with DST, such as
	// Australia/Melbourne), days last 23, 24 or 25 hours, i.e. 46, 48 or 50
	// half hours, and a row of a day within a year of a change must have
	// exactly as many interval columns as its day has intervals: its
	// interval columns are all its columns from FirstValueColumn on, but
	// the last TrailingColumns. (A zone whose offset last changed longer
	// ago, such as Australia/Brisbane or Asia/Kolkata, reads like a fixed
	// one: Intervals columns, extra ones ignored, except a row with an
	// hour's columns more or fewer, the shape of a clock change's day,
	// which is rejected too.) A row with another
	// number is rejected with a ParseError wrapping ErrColumnCount and
	// ErrDayLength, naming the day, the zone and both counts: 48 values
	// cannot be laid on a 23- or 25-hour day without moving some reads by
	// an hour or making two of them share an instant. On a day of 50
	// intervals the repeated wall-clock hour is thus present twice, in
	// time order; on a day of 46 the skipped hour is absent.
	//
	// One other layout is read, because it can be read only one way: on a
	// day shorter than 24 hours, a row of Intervals columns laid out by
	// wall-clock time (00:00-00:30, ..., 23:30-24:00) in which the columns
	// of the skipped wall-clock times (02:00-02:30 and 02:30-03:00 on the
	// day Melbourne springs forward) are empty (NullValues). Those columns
	// give no read and the others end at their wall-clock times. The row
	// is still rejected if no column past the day's length (the last two
	// in Melbourne) holds a value other than 0, since it may then be a row
	// of 46 values padded at the end; and if the skipped columns hold
	// anything, zeros included: a 0 may be a real read, of a row whose
	// values run on in elapsed time and would be read an hour off. A
	// 25-hour day has no such reading of 48 columns (the repeated hour has
	// been merged or dropped), so it needs 50.
	Location *time.Location
	// Type is the reading type of every value (default kwh), unless
	// TypeColumn is set; its values are looked up in TypeNames, e.g.
	// {"Consumption": TypeKWh, "Generation": TypeKWhExport}.
	Type Type
	// TypeColumn, if set, is the column of each row's type name.
	TypeColumn int
	// TypeNames maps the names in TypeColumn to reading types. Only its
	// keys are accepted (registered type names are not, unlike in
	// MappedCSVOptions): a row with another name, or any row when
	// TypeNames is nil, is rejected with ErrUnit.
	TypeNames map[string]Type
	// EstimatedColumn, if set, marks estimated rows: a value in
	// EstimatedValues (default "Yes", "Y", "E", "true", "TRUE", "1") gives
	// QualityEstimated, anything else QualityActual.
	EstimatedColumn int
	// EstimatedValues replaces the default spellings above; the column's
	// value, trimmed of spaces, must equal one exactly (case matters).
	EstimatedValues []string
	// Scale, NullValues, KeepNull, Source, OnError and MaxLineBytes are as
	// in MappedCSVOptions; Source defaults to "wide-csv".
	Scale        float64                                 // multiplier to the type's unit; 0 means 1
	NullValues   []string                                // default "", "Null", "NULL", "null", "NA", "NaN"
	KeepNull     bool                                    // emit null values as 0 with QualityNull, not drop them
	Source       string                                  // reading_source of every read; default "wide-csv"
	OnError      func(err *ParseError, raw []byte) error // nil: the first bad row stops the reader
	MaxLineBytes int                                     // bound on a row; default 1 MiB
}

// ErrDayLength reports a wide CSV row or NEM12 300 record whose intervals do
// not fit its local day, e.g. 48 half hours on the 23- or 25-hour day of a
// DST change (see WideCSVOptions.Location and NEM12Options.Location).
// ParseErrors for it wrap ErrColumnCount too.
var ErrDayLength = errors.New("interval columns do not fit the local day")

// errWideInstants is the reason of a row whose reads would not each have an
// instant of their own within the day. It cannot happen; the decoder checks
// it anyway, rejecting the row rather than letting de-duplication merge
// reads.
var errWideInstants = errors.New("internal error: the row's reads do not map to distinct instants of its day")

// WideCSVReader decodes a wide CSV into reads, one per interval column. It
// implements Reader. A row is the unit of error: a bad value rejects its
// whole day, so that a quarantined row can be fixed and replayed as is.
// Every read of a row has its own instant within the row's local day: a row
// that cannot be laid on its day that way (see WideCSVOptions.Location) is
// rejected whole, never shifted, truncated or overlapped with the next day.
// Reads have no Arrival (it is zero): the file says nothing about it.
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
// data row of the layout opts describes (the meter, date, type and
// estimated columns, a first value column and a parsable day), for a range
// scanner as described at MappedCSVRecordStart. It does not count the
// interval columns: a row too short for its day is a record, to be
// rejected by the decoder, not a header to be skipped.
func WideCSVRecordStart(opts *WideCSVOptions) func(line []byte) bool {
	if opts == nil {
		opts = &WideCSVOptions{}
	}
	var d wideDecoder
	d.configure(opts)
	return func(line []byte) bool {
		d.fields = splitQuoted(d.fields, trimCR(line), d.sep)
		if len(d.fields) < d.metaFields {
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
	// metaFields is the number of fields a row needs for its meter, date,
	// type and estimated columns and a first value.
	metaFields int
	trailing   int
	// varying is set when the zone's offset changes, so that days do not
	// all have n intervals: each row's interval columns are then counted
	// against its day.
	varying   bool
	day       wideDay
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
	d.trailing = max(o.TrailingColumns, 0)
	d.metaFields = max(d.meterCol, d.dateCol, d.firstCol, d.typeCol, d.estCol)
	d.clock = NewWallClock(o.Location)
	// A zone without any transition has one period without bounds; any
	// instant of a zone with transitions is in a bounded period.
	start, end := time.Unix(0, 0).In(d.clock.loc).ZoneBounds()
	d.varying = !start.IsZero() || !end.IsZero()
	if d.varying {
		d.minFields = d.metaFields // the day tells how many intervals
	} else {
		d.minFields = max(d.metaFields, d.firstCol+d.n-1)
	}
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
	if e, ok := powerOfTen(d.scale); ok {
		d.shift, d.scale = e, 1
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
	// cols interval columns; slot(i) is the interval of the day that
	// column i ends (1 the first), or 0 for a column of no interval.
	cols, wall := d.n, false
	day := d.dayOf(y, m, dd)
	if c, perHour := len(f)-(d.firstCol-1)-d.trailing, int(hourMS/d.stepMS); d.varying && !day.strict && day.n == d.n && perHour > 0 &&
		(c == d.n+perHour || c == d.n-perHour) {
		// A row of a 23- or 25-hour day on a day of 24 in a zone that
		// once changed offset: an exporter with stale time zone data, or
		// a total column. Reading its first n values would put every
		// read after the changed hour an hour off; never guess.
		return dst, d.err(lineNo, offset, "", fmt.Errorf("%w: %w: %s in %s lasts 24h, %d intervals, but the row has %d interval columns, "+
			"as a day of a clock change would (stale time zone data?); if the row ends with other columns, set TrailingColumns",
			ErrColumnCount, ErrDayLength, d.dayName(day), d.clock.loc, d.n, c))
	}
	if !day.strict && day.n == d.n && len(f) < day.minFields {
		return dst, d.err(lineNo, offset, "", fmt.Errorf("%w: got %d, want at least %d", ErrColumnCount, len(f), day.minFields))
	}
	if day.strict || day.n != d.n {
		var perr *ParseError
		cols, wall, perr = d.fitDay(day, len(f)-(d.firstCol-1)-d.trailing, lineNo, offset)
		if perr != nil {
			return dst, perr
		}
	}
	if cols > len(d.vals) {
		d.vals = make([]float64, cols)
		d.isNull = make([]bool, cols)
	}
	for i := 0; i < cols; i++ {
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
	if wall {
		if perr := d.checkWall(day, lineNo, offset); perr != nil {
			return dst, perr
		}
	}
	meterID := d.ids.get(id)
	start := len(dst)
	last := day.start // end of the previous read: each read ends later
	for i := 0; i < cols; i++ {
		slot := i + 1
		if wall {
			slot = day.slot[i]
			if slot == 0 {
				continue // a wall-clock time the day skips, empty
			}
		}
		rq, v := q, d.vals[i]
		if d.isNull[i] {
			if !d.keepNull {
				continue
			}
			rq, v = QualityNull, 0
		}
		end := day.start + int64(slot)*d.stepMS
		if end <= last || end > day.start+day.lenMS {
			return dst[:start], d.err(lineNo, offset, "value"+strconv.Itoa(i+1), errWideInstants)
		}
		last = end
		dst = append(dst, Reading{MeterID: meterID, Type: typ, Value: v,
			Time: time.UnixMilli(end).UTC(), Source: d.source, Quality: rq})
	}
	return dst, nil
}

// wideDay is a local day of the decoder's zone: its first instant and
// length (Unix ms), its number of intervals (-1 if the length is not a
// whole number of them), and, once asked for (wallSlots) on a day shorter
// than 24 hours, which interval each wall-clock column ends.
type wideDay struct {
	key          int64 // days since 1970-01-01
	set          bool
	start, lenMS int64
	n            int
	wallDone     bool
	wallOK       bool
	slot         []int // per column of the wall-clock layout: its interval (1-based), 0 if skipped
	gapLo, gapHi int   // the skipped columns, 0-based, inclusive
	tailGap      bool  // the skipped columns are the last ones
	// strict: the zone changes offset within a year of the day, and a
	// row's interval columns must fit the day; else minFields is the
	// fields a row of it needs (its n columns, extra ones ignored).
	strict    bool
	minFields int
}

// dayOf returns the local day y-m-dd, from a one-day cache: rows come in
// date order, several (meters, types) a day.
func (d *wideDecoder) dayOf(y, m, dd int) *wideDay {
	key := daysFromCivil(y, m, dd)
	if d.day.set && d.day.key == key {
		return &d.day
	}
	start := d.clock.localMidnight(y, m, dd)
	lenMS := d.clock.localMidnight(y, m, dd+1) - start
	n := -1
	if lenMS > 0 && lenMS%d.stepMS == 0 {
		n = int(lenMS / d.stepMS)
	}
	d.day = wideDay{key: key, set: true, start: start, lenMS: lenMS, n: n, slot: d.day.slot[:0]}
	d.day.strict = d.varying && nearTransition(d.clock.loc, start)
	if !d.day.strict && n == d.n {
		d.day.minFields = max(d.metaFields, d.firstCol+d.n-1) // as in a fixed zone
	}
	return &d.day
}

// hourMS is an hour in milliseconds.
const hourMS = int64(time.Hour / time.Millisecond)

// nearTransition reports whether the zone's offset changes within a year
// either side of Unix ms t: there a row's columns are counted against its
// day, so that a row of the wrong day length is caught on the days around
// it too. A zone that last changed decades ago (Australia/Brisbane,
// Asia/Kolkata) reads like a fixed one, trailing total columns included.
func nearTransition(loc *time.Location, t int64) bool {
	start, end := time.UnixMilli(t).In(loc).ZoneBounds()
	const year = 366 * 24 * time.Hour
	at := time.UnixMilli(t)
	return !start.IsZero() && at.Sub(start) < year || !end.IsZero() && end.Sub(at) < year
}

// fitDay decides how a row of c interval columns (as counted in a zone
// whose offset changes) is laid on its day: c == day.n columns in elapsed
// time, or the wall-clock layout of d.n columns with the skipped times
// empty (see WideCSVOptions.Location), which checkWall confirms once the
// values are parsed. Anything else is an ErrDayLength.
func (d *wideDecoder) fitDay(day *wideDay, c int, lineNo, offset int64) (cols int, wall bool, perr *ParseError) {
	if day.n <= 0 {
		if day.lenMS <= 0 {
			return 0, false, d.err(lineNo, offset, "date", fmt.Errorf("%w: %w: %s in %s does not exist", ErrTimestamp, ErrNonexistentTime, d.dayName(day), d.clock.loc))
		}
		return 0, false, d.err(lineNo, offset, "date", fmt.Errorf("%w: %w: %s in %s lasts %s: not a whole number of %s intervals",
			ErrColumnCount, ErrDayLength, d.dayName(day), d.clock.loc, fmtDayLen(day.lenMS), fmtDayLen(d.stepMS)))
	}
	if c == day.n {
		return c, false, nil
	}
	if day.n < d.n && c == d.n && d.wallSlots(day) {
		return c, true, nil
	}
	extra := ""
	if day.n < d.n && c == d.n {
		extra = "; the wall-clock times the day skips are not whole columns"
	}
	return 0, false, d.dayLengthErr(day, c, "value"+strconv.Itoa(max(min(c, day.n), 0)+1), lineNo, offset, extra)
}

// checkWall accepts a row of the wall-clock layout only if the columns of
// the skipped times are empty and it cannot be a row of day.n values padded
// at the end: then some column past day.n holds a value other than 0.
func (d *wideDecoder) checkWall(day *wideDay, lineNo, offset int64) *ParseError {
	for i := day.gapLo; i <= day.gapHi; i++ {
		if !d.isNull[i] {
			return d.dayLengthErr(day, d.n, "value"+strconv.Itoa(i+1), lineNo, offset,
				fmt.Sprintf("; %d are read only if the columns of the wall-clock times the day skips, %s, are empty, and %s is not",
					d.n, d.gapName(day), "value"+strconv.Itoa(i+1)))
		}
	}
	if day.tailGap {
		return nil
	}
	for i := day.n; i < d.n; i++ {
		if !d.isNull[i] && d.vals[i] != 0 {
			return nil
		}
	}
	return d.dayLengthErr(day, d.n, "value"+strconv.Itoa(day.n+1), lineNo, offset,
		fmt.Sprintf("; its skipped wall-clock times, %s, are empty, but its columns past the day's %d are empty or 0: it may be %d values padded at the end",
			d.gapName(day), day.n, day.n))
}

func (d *wideDecoder) dayLengthErr(day *wideDay, c int, col string, lineNo, offset int64, extra string) *ParseError {
	return d.err(lineNo, offset, col, fmt.Errorf("%w: %w: %s in %s lasts %s, %d intervals of %s, but the row has %d interval columns%s",
		ErrColumnCount, ErrDayLength, d.dayName(day), d.clock.loc, fmtDayLen(day.lenMS), day.n, fmtDayLen(d.stepMS), c, extra))
}

func (d *wideDecoder) dayName(day *wideDay) string {
	return time.UnixMilli(day.key * dayMS).UTC().Format("2006-01-02")
}

// gapName describes the skipped columns, e.g. "value5-value6 (02:00-03:00)".
func (d *wideDecoder) gapName(day *wideDay) string {
	clock := func(col int) string {
		ms := int64(col) * d.stepMS
		return fmt.Sprintf("%02d:%02d", ms/3600000, ms/60000%60)
	}
	return fmt.Sprintf("value%d-value%d (%s-%s)", day.gapLo+1, day.gapHi+1, clock(day.gapLo), clock(day.gapHi+1))
}

// wallSlots maps the d.n wall-clock columns of a day shorter than 24 hours
// to its intervals: interval j (1-based) starts at a wall-clock time, which
// names its column. It reports false unless every interval starts and ends
// on column boundaries of its own day, without a change of offset inside
// it, so that the columns it does not name (the skipped times) are one
// run.
func (d *wideDecoder) wallSlots(day *wideDay) bool {
	if day.wallDone {
		return day.wallOK
	}
	day.wallDone = true
	slot := day.slot[:0]
	for range d.n {
		slot = append(slot, 0)
	}
	day.slot = slot
	prev := -1
	for j := 0; j < day.n; j++ {
		s := day.start + int64(j)*d.stepMS
		off := d.clock.offsetAt(s)
		if d.clock.offsetAt(s+d.stepMS-1) != off {
			return false
		}
		wall := s + off - day.key*dayMS // since the day's wall-clock midnight
		if wall < 0 || wall%d.stepMS != 0 {
			return false
		}
		c := int(wall / d.stepMS)
		if c <= prev || c >= d.n {
			return false
		}
		slot[c] = j + 1
		prev = c
	}
	day.gapLo, day.gapHi = -1, -1
	for c, j := range slot {
		if j != 0 {
			continue
		}
		if day.gapLo < 0 {
			day.gapLo = c
		} else if c != day.gapHi+1 {
			return false // two runs of skipped times
		}
		day.gapHi = c
	}
	if day.gapLo < 0 {
		return false
	}
	day.tailGap = day.gapLo == day.n && day.gapHi == d.n-1
	day.wallOK = true
	return true
}

// fmtDayLen formats a length in ms: "23h", "30m", "23h30m".
func fmtDayLen(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	if d%time.Minute != 0 || d <= 0 {
		return d.String()
	}
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}

// Read implements Reader: it fills buf with the next reads and returns
// io.EOF at the end of the input.
func (r *WideCSVReader) Read(buf []Reading) (int, error) { return r.lineDriver.Read(buf) }
