package meter

import (
	"bytes"
	"fmt"
	"io"
	"time"
)

// NEM12Format is the Format of ParseErrors from the NEM12 decoder.
const NEM12Format = "nem12"

// NEMTime is the time zone of the Australian National Electricity Market:
// AEST, UTC+10, all year. NEM12 interval data is stamped in it even in
// states that observe daylight saving, so a NEM12 day always has 24 hours
// and never needs the fall-back disambiguation of WallClock.
var NEMTime = time.FixedZone("AEST", 10*60*60)

// NEM12Options configures a NEM12Reader. Nil means the defaults.
type NEM12Options struct {
	// Source is the reading_source of every read; default "nem12".
	Source string
	// Location is the time zone of interval dates and update times;
	// default NEMTime. Intervals are counted in elapsed time from the
	// local midnight of the interval date.
	//
	// In a zone with daylight saving (e.g. Australia/Sydney) days last 23,
	// 24 or 25 hours, and a 300 record must carry exactly as many
	// intervals as its day holds: 46, 48 or 50 half hours, 92, 96 or 100
	// quarter hours, 276, 288 or 300 five-minute intervals. A record of
	// another count is rejected with a ParseError wrapping ErrColumnCount
	// and ErrDayLength: 48 half hours laid on a 23-hour day would run an
	// hour into the next day and share instants with its first reads. A
	// day whose length is not a whole number of intervals, or lasts more
	// than 25 hours, is rejected likewise. NEM12 data is normally stamped
	// in NEM time, where every day has 24 hours.
	Location *time.Location
	// MeterID builds a read's meter id from the 200 record's NMI and NMI
	// suffix. The default joins them with '-' ("6001260509-E1"): one NMI
	// has several channels (E1 general supply, E2 controlled load, B1
	// solar export), and two channels of the same reading type, such as E1
	// and E2, would otherwise collide on the read's key.
	MeterID func(nmi, suffix string) string
	// ExportSuffixes lists the first characters of NMI suffixes whose data
	// streams measure energy sent to the grid. Default "BK": per AEMO's NMI
	// procedure, B is export Wh and K export varh of an interval meter's
	// master data stream (E and Q are the import ones). Check and average
	// streams use other letters; list them here if your files carry them.
	ExportSuffixes string
	// KeepNull emits intervals of quality N as reads with QualityNull and
	// value 0; by default they are dropped, because N means the value is
	// not available and the file's 0 is a placeholder.
	KeepNull bool
	// OnError is called with every bad record and its raw bytes (nil for a
	// day found incomplete at the end of the input, valid only during the
	// call). If it returns nil the reader carries on; otherwise Read returns
	// that error. If OnError is nil, the first bad record stops the reader
	// with its *ParseError. The 300 and 400 records of a rejected 200 record
	// are rejected too.
	OnError func(err *ParseError, raw []byte) error
	// MaxLineBytes bounds a record; default 1 MiB.
	MaxLineBytes int
}

// NEM12Reader decodes AEMO's Meter Data File Format for interval data
// (NEM12) into reads. It implements Reader.
//
// A NEM12 file is a hierarchy: a 200 record names the NMI, the channel
// (suffix), the unit and the interval length, and the 300 records after it
// each carry one day of interval values; 400 records after a 300 of quality
// V give per-interval qualities. A decoder must therefore see the file from
// its start (or from a 200 record): a NEM12 file is one unit of work and must
// not be split at arbitrary byte offsets. Memory is bounded by one day of one
// channel (at most 1440 intervals).
//
// Mapping to reads:
//
//   - meter id: Options.MeterID(NMI, suffix), default "NMI-suffix";
//   - type: from the unit of measure and the suffix's direction: KWH, WH and
//     MWH become kwh (or kwh_export), KVARH family kvarh (kvarh_export),
//     KVAH family kvah, and the demand units KW, KVA, KVAR, V, A, PF become
//     kw, kva, kvar, vltg, crrnt and pf. Values are scaled to the type's
//     unit in decimal (Wh to kWh exactly);
//   - time: the end of the interval, local midnight of the interval date
//     plus i × interval length, in UTC;
//   - quality: the first letter of the 300 record's quality method (A, E, S,
//     F, N), or for V the 400 record covering the interval; V days must be
//     covered completely;
//   - arrival: the 300 record's UpdateDateTime, if present, else the 100
//     header's DateTime (the file's creation time), else zero (the
//     ingest then takes the object's arrival).
//
// The 100 header is checked when present; real customer exports often omit
// it and start at a 200 record, which is accepted. 500 records are ignored;
// a 900 record ends the file's data. After it a 100 header starts another
// file, decoded as if on its own (files concatenated into one object are
// read whole), and any other record is an error wrapping ErrStructure, so
// that nothing after a 900 is dropped unreported.
type NEM12Reader struct {
	lineDriver
	d nem12Decoder
}

// NewNEM12Reader returns a Reader of the NEM12 file in r.
func NewNEM12Reader(r io.Reader, opts *NEM12Options) *NEM12Reader {
	if opts == nil {
		opts = &NEM12Options{}
	}
	nr := &NEM12Reader{}
	d := &nr.d
	d.source = opts.Source
	if d.source == "" {
		d.source = "nem12"
	}
	loc := opts.Location
	if loc == nil {
		loc = NEMTime
	}
	d.clock = NewWallClock(loc)
	d.meterID = opts.MeterID
	d.export = opts.ExportSuffixes
	if d.export == "" {
		d.export = "BK"
	}
	d.keepNull = opts.KeepNull
	d.report = nr.lineDriver.report
	nr.lineDriver.init(r, d, NEM12Format, opts.MaxLineBytes, opts.OnError)
	return nr
}

// nem12Channel is the state of the current 200 record.
type nem12Channel struct {
	ok       bool  // the 200 record was valid
	line     int64 // its line number, for errors about its children
	meterID  string
	typ      Type
	shift    int // decimal shift from the file's unit to the type's
	interval int // minutes
}

// nem12Day is a 300 record held back until its 400 records have been read.
type nem12Day struct {
	open     bool
	variable bool // quality V: qualities come from 400 records
	line     int64
	offset   int64
	raw      []byte
	midnight int64 // Unix ms
	arrival  time.Time
	n        int
	values   [nem12MaxIntervals]float64
	quality  [nem12MaxIntervals]Quality
}

// nem12MaxIntervals bounds the intervals of a day: 25 hours (a DST
// fall-back day in Options.Location) of 1-minute intervals.
const nem12MaxIntervals = 25 * 60

type nem12Decoder struct {
	source   string
	clock    *WallClock
	meterID  func(nmi, suffix string) string
	export   string
	keepNull bool
	report   func(error, []byte)
	ch       nem12Channel
	haveCh   bool
	day      nem12Day
	fields   [][]byte
	ids      interner
	fileTime time.Time // the 100 header's DateTime, zero without one
	ended    bool      // a 900 record was read, and no 100 since
	endLine  int64     // the line of that 900 record
}

func (d *nem12Decoder) err(lineNo, offset int64, col string, err error) *ParseError {
	return &ParseError{Format: NEM12Format, Line: lineNo, Offset: offset, Column: col, Err: err}
}

func (d *nem12Decoder) line(dst []Reading, line []byte, lineNo, offset int64) ([]Reading, error) {
	if len(bytes.TrimSpace(line)) == 0 {
		return dst, nil
	}
	d.fields = splitFields(d.fields, line, ',')
	f := d.fields
	if string(f[0]) != "400" && d.day.open {
		dst = d.flush(dst)
	}
	if d.ended {
		if string(f[0]) != "100" {
			return dst, d.err(lineNo, offset, "RecordIndicator", fmt.Errorf("%w: %q record after the 900 end-of-data record on line %d",
				ErrStructure, clip(f[0]), d.endLine))
		}
		// Another file follows (files concatenated into one object):
		// it starts afresh, with no channel, header time or clock
		// history of the one before.
		d.ended, d.haveCh, d.ch, d.fileTime = false, false, nem12Channel{}, time.Time{}
		d.clock.Reset()
	}
	switch string(f[0]) {
	case "100":
		if len(f) < 3 || string(f[1]) != "NEM12" {
			return dst, d.err(lineNo, offset, "VersionHeader", fmt.Errorf("%w: not a NEM12 100 record", ErrHeader))
		}
		// The file's creation time (DateTime, YYYYMMDDhhmm): the arrival
		// of the days that carry no UpdateDateTime, on the same clock as
		// those that do, so that de-duplication compares like with like.
		if len(f[2]) == 12 {
			if wms, ok := parseDateTime14(append(f[2][:12:12], '0', '0')); ok {
				// Its own series: the header must not move the clock's
				// state for the update times of the days.
				if ms, err := d.clock.resolve("\x00header", wms); err == nil {
					d.fileTime = time.UnixMilli(ms).UTC()
				}
			}
		}
		return dst, nil
	case "200":
		return dst, d.channel(f, lineNo, offset)
	case "300":
		return dst, d.interval(f, line, lineNo, offset)
	case "400":
		return dst, d.event(f, lineNo, offset)
	case "500":
		return dst, nil
	case "900":
		d.ended, d.endLine = true, lineNo
		return dst, nil
	case "250", "550":
		return dst, d.err(lineNo, offset, "RecordIndicator", fmt.Errorf("%w: %s is a NEM13 (accumulation) record", ErrRecordType, f[0]))
	}
	return dst, d.err(lineNo, offset, "RecordIndicator", fmt.Errorf("%w: %q", ErrRecordType, clip(f[0])))
}

func (d *nem12Decoder) end(dst []Reading) ([]Reading, error) {
	if d.day.open {
		dst = d.flush(dst)
	}
	return dst, nil
}

// nem12Unit maps a NEM12 unit of measure to a reading type and a decimal
// shift. Direction-dependent energy types are resolved by the caller.
func nem12Unit(uom string) (typ Type, shift int, ok bool) {
	switch upper(uom) {
	case "KWH":
		return TypeKWh, 0, true
	case "WH":
		return TypeKWh, -3, true
	case "MWH":
		return TypeKWh, 3, true
	case "KVARH":
		return TypeKVArh, 0, true
	case "VARH":
		return TypeKVArh, -3, true
	case "MVARH":
		return TypeKVArh, 3, true
	case "KVAH":
		return TypeKVAh, 0, true
	case "VAH":
		return TypeKVAh, -3, true
	case "MVAH":
		return TypeKVAh, 3, true
	case "KW":
		return TypeKW, 0, true
	case "W":
		return TypeKW, -3, true
	case "MW":
		return TypeKW, 3, true
	case "KVA":
		return TypeKVA, 0, true
	case "VA":
		return TypeKVA, -3, true
	case "MVA":
		return TypeKVA, 3, true
	case "KVAR":
		return TypeKVAr, 0, true
	case "VAR":
		return TypeKVAr, -3, true
	case "MVAR":
		return TypeKVAr, 3, true
	case "V":
		return TypeVoltage, 0, true
	case "KV":
		return TypeVoltage, 3, true
	case "A":
		return TypeCurrent, 0, true
	case "PF":
		return TypePF, 0, true
	}
	return "", 0, false
}

func upper(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'a' && s[i] <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'a' && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// channel decodes a 200 record:
// 200,NMI,NMIConfiguration,RegisterID,NMISuffix,MDMDataStreamIdentifier,
// MeterSerialNumber,UOM,IntervalLength,NextScheduledReadDate.
func (d *nem12Decoder) channel(f [][]byte, lineNo, offset int64) error {
	d.haveCh = true
	d.ch = nem12Channel{line: lineNo}
	if len(f) < 9 {
		return d.err(lineNo, offset, "", fmt.Errorf("%w: 200 record has %d fields, want at least 9", ErrColumnCount, len(f)))
	}
	nmi, suffix := f[1], f[4]
	if !validMeterID(nmi) || len(nmi) > 10 {
		return d.err(lineNo, offset, "NMI", fmt.Errorf("%w: %q", ErrMeterID, clip(nmi)))
	}
	if len(suffix) != 2 || !validMeterID(suffix) {
		return d.err(lineNo, offset, "NMISuffix", fmt.Errorf("%w: suffix %q", ErrMeterID, clip(suffix)))
	}
	typ, shift, ok := nem12Unit(string(f[7]))
	if !ok {
		return d.err(lineNo, offset, "UOM", fmt.Errorf("%w: %q", ErrUnit, clip(f[7])))
	}
	if bytes.IndexByte([]byte(d.export), upperByte(suffix[0])) >= 0 {
		switch typ {
		case TypeKWh:
			typ = TypeKWhExport
		case TypeKVArh:
			typ = TypeKVArhExport
		}
	}
	il, ok := digitsN(f[8])
	if !ok || len(f[8]) == 0 || !(il == 1 || il == 5 || il == 10 || il == 15 || il == 30) {
		return d.err(lineNo, offset, "IntervalLength", fmt.Errorf("%w: interval length %q, want 1, 5, 10, 15 or 30", ErrNumber, clip(f[8])))
	}
	var id string
	if d.meterID != nil {
		id = d.meterID(string(nmi), string(suffix))
	} else {
		var buf [16]byte
		id = d.ids.get(append(append(append(buf[:0], nmi...), '-'), suffix...))
	}
	d.ch = nem12Channel{ok: true, line: lineNo, meterID: id, typ: typ, shift: shift, interval: il}
	return nil
}

func upperByte(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// parseNEMQuality parses a quality method: a quality flag (A, E, F, N, S,
// V) optionally followed by a two-digit method number.
func parseNEMQuality(b []byte) (Quality, bool) {
	if len(b) != 1 && len(b) != 3 {
		return 0, false
	}
	if len(b) == 3 {
		if _, ok := digitsN(b[1:]); !ok {
			return 0, false
		}
	}
	switch q := Quality(b[0]); q {
	case QualityActual, QualityEstimated, QualitySubstituted, QualityFinal, QualityNull, 'V':
		return q, true
	}
	return 0, false
}

// parseDate8 parses YYYYMMDD.
func parseDate8(b []byte) (y, m, d int, ok bool) {
	if len(b) != 8 {
		return 0, 0, 0, false
	}
	y, ok1 := digitsN(b[0:4])
	m, ok2 := digitsN(b[4:6])
	d, ok3 := digitsN(b[6:8])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

// parseDateTime14 parses YYYYMMDDhhmmss as wall milliseconds.
func parseDateTime14(b []byte) (int64, bool) {
	if len(b) != 14 {
		return 0, false
	}
	y, m, d, ok := parseDate8(b[:8])
	if !ok {
		return 0, false
	}
	h, ok1 := digitsN(b[8:10])
	mi, ok2 := digitsN(b[10:12])
	s, ok3 := digitsN(b[12:14])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || s > 59 {
		return 0, false
	}
	return ((daysFromCivil(y, m, d)*24+int64(h))*60+int64(mi))*60000 + int64(s)*1000, true
}

// interval decodes a 300 record: 300,IntervalDate,IntervalValue1..N,
// QualityMethod,ReasonCode,ReasonDescription,UpdateDateTime,
// MSATSLoadDateTime. The day is held until the next non-400 record.
func (d *nem12Decoder) interval(f [][]byte, line []byte, lineNo, offset int64) error {
	if !d.haveCh {
		return d.err(lineNo, offset, "", fmt.Errorf("%w: 300 record before any 200 record", ErrStructure))
	}
	if !d.ch.ok {
		return d.err(lineNo, offset, "", fmt.Errorf("%w: belongs to the rejected 200 record on line %d", ErrStructure, d.ch.line))
	}
	n := 1440 / d.ch.interval
	y, m, dd, dateOK := parseDate8(field(f, 1))
	var midnight int64
	if dateOK {
		midnight = d.clock.localMidnight(y, m, dd)
		if lenMS := d.clock.localMidnight(y, m, dd+1) - midnight; lenMS != dayMS {
			// A day of a clock change in a Location with DST: the
			// record must hold that day's intervals, no more, no fewer.
			var perr *ParseError
			if n, perr = d.dayIntervals(f, y, m, dd, lenMS, lineNo, offset); perr != nil {
				return perr
			}
		}
	}
	if len(f) < 2+n+1 || len(f) > 2+n+5 {
		return d.err(lineNo, offset, "", fmt.Errorf("%w: 300 record has %d fields, want %d for %d-minute intervals", ErrColumnCount, len(f), 2+n+5, d.ch.interval))
	}
	if !dateOK {
		return d.err(lineNo, offset, "IntervalDate", fmt.Errorf("%w: %q", ErrTimestamp, clip(f[1])))
	}
	q, ok := parseNEMQuality(f[2+n])
	if !ok {
		return d.err(lineNo, offset, "QualityMethod", fmt.Errorf("%w: %q", ErrQuality, clip(f[2+n])))
	}
	day := &d.day
	for i := 0; i < n; i++ {
		v, ok := parseDecimal(f[2+i], d.ch.shift)
		if !ok {
			return d.err(lineNo, offset, fmt.Sprintf("IntervalValue%d", i+1), fmt.Errorf("%w: %q", ErrNumber, clip(f[2+i])))
		}
		day.values[i] = v
	}
	var arrival time.Time
	if len(f) > 2+n+3 && len(f[2+n+3]) > 0 {
		wms, ok := parseDateTime14(f[2+n+3])
		if !ok {
			return d.err(lineNo, offset, "UpdateDateTime", fmt.Errorf("%w: %q", ErrTimestamp, clip(f[2+n+3])))
		}
		ms, err := d.clock.resolve("", wms)
		if err != nil {
			return d.err(lineNo, offset, "UpdateDateTime", fmt.Errorf("%w: %w", ErrTimestamp, err))
		}
		arrival = time.UnixMilli(ms).UTC()
	}
	day.open = true
	day.variable = q == 'V'
	day.line, day.offset = lineNo, offset
	day.raw = append(day.raw[:0], line...)
	day.midnight = midnight
	if arrival.IsZero() {
		arrival = d.fileTime // zero without a 100 header
	}
	day.arrival = arrival
	day.n = n
	for i := 0; i < n; i++ {
		if day.variable {
			day.quality[i] = 0 // to be set by 400 records
		} else {
			day.quality[i] = q
		}
	}
	return nil
}

// dayIntervals returns the number of intervals of a 300 record of the local
// day y-m-dd, which lasts lenMS (not 24 hours): the day's own count, if the
// record has that many values; anything else is an ErrDayLength, never laid
// on the day shifted, truncated or overlapping the next one.
func (d *nem12Decoder) dayIntervals(f [][]byte, y, m, dd int, lenMS int64, lineNo, offset int64) (int, *ParseError) {
	name := fmt.Sprintf("%04d-%02d-%02d", y, m, dd)
	loc := d.clock.Location()
	if lenMS <= 0 {
		return 0, d.err(lineNo, offset, "IntervalDate", fmt.Errorf("%w: %w: %s in %s does not exist", ErrTimestamp, ErrNonexistentTime, name, loc))
	}
	step := int64(d.ch.interval) * 60000
	if lenMS%step != 0 {
		return 0, d.err(lineNo, offset, "IntervalDate", fmt.Errorf("%w: %w: %s in %s lasts %s: not a whole number of %d-minute intervals",
			ErrColumnCount, ErrDayLength, name, loc, fmtDayLen(lenMS), d.ch.interval))
	}
	if lenMS/step > nem12MaxIntervals {
		return 0, d.err(lineNo, offset, "IntervalDate", fmt.Errorf("%w: %w: %s in %s lasts %s, more than the 25 hours a NEM12 day may last here",
			ErrColumnCount, ErrDayLength, name, loc, fmtDayLen(lenMS)))
	}
	n, nominal := int(lenMS/step), 1440/d.ch.interval
	fits := func(k int) bool { return len(f) >= 2+k+1 && len(f) <= 2+k+5 }
	// The trailing fields after QualityMethod are optional, so a field
	// count can fit two interval counts; the quality method, a letter
	// where values are numbers, then tells where the values end.
	if fits(n) && (!fits(nominal) || isNEMQuality(f[2+n])) {
		return n, nil
	}
	values := fmt.Sprintf("%d fields and no QualityMethod after its values", len(f))
	for i := 2; i < len(f); i++ {
		if isNEMQuality(f[i]) {
			values = fmt.Sprintf("%d interval values", i-2)
			break
		}
	}
	return 0, d.err(lineNo, offset, "", fmt.Errorf("%w: %w: %s in %s lasts %s, %d intervals of %d minutes, but the 300 record has %s",
		ErrColumnCount, ErrDayLength, name, loc, fmtDayLen(lenMS), n, d.ch.interval, values))
}

func isNEMQuality(b []byte) bool {
	_, ok := parseNEMQuality(b)
	return ok
}

// event decodes a 400 record: 400,StartInterval,EndInterval,QualityMethod,
// ReasonCode,ReasonDescription.
func (d *nem12Decoder) event(f [][]byte, lineNo, offset int64) error {
	if !d.haveCh || !d.ch.ok {
		if d.haveCh {
			return d.err(lineNo, offset, "", fmt.Errorf("%w: belongs to the rejected 200 record on line %d", ErrStructure, d.ch.line))
		}
		return d.err(lineNo, offset, "", fmt.Errorf("%w: 400 record before any 200 record", ErrStructure))
	}
	day := &d.day
	if !day.open || !day.variable {
		return d.err(lineNo, offset, "", fmt.Errorf("%w: 400 record does not follow a 300 record of quality V", ErrStructure))
	}
	if len(f) < 4 {
		return d.err(lineNo, offset, "", fmt.Errorf("%w: 400 record has %d fields, want 6", ErrColumnCount, len(f)))
	}
	start, ok1 := digitsN(f[1])
	end, ok2 := digitsN(f[2])
	if !ok1 || !ok2 || len(f[1]) == 0 || len(f[2]) == 0 || start < 1 || end < start || end > day.n {
		return d.err(lineNo, offset, "StartInterval", fmt.Errorf("%w: interval range %q-%q outside 1-%d", ErrNumber, clip(f[1]), clip(f[2]), day.n))
	}
	q, ok := parseNEMQuality(f[3])
	if !ok || q == 'V' {
		return d.err(lineNo, offset, "QualityMethod", fmt.Errorf("%w: %q", ErrQuality, clip(f[3])))
	}
	for i := start - 1; i < end; i++ {
		day.quality[i] = q
	}
	return nil
}

// flush emits the held day, or reports it if its qualities are incomplete.
func (d *nem12Decoder) flush(dst []Reading) []Reading {
	day := &d.day
	day.open = false
	if day.variable {
		for i := 0; i < day.n; i++ {
			if day.quality[i] == 0 {
				d.report(d.err(day.line, day.offset, "QualityMethod",
					fmt.Errorf("%w: quality V but no 400 record covers interval %d", ErrStructure, i+1)), day.raw)
				return dst
			}
		}
	}
	step := int64(d.ch.interval) * 60000
	for i := 0; i < day.n; i++ {
		q := day.quality[i]
		v := day.values[i]
		if q == QualityNull {
			if !d.keepNull {
				continue
			}
			v = 0
		}
		dst = append(dst, Reading{MeterID: d.ch.meterID, Type: d.ch.typ, Value: v,
			Time: time.UnixMilli(day.midnight + int64(i+1)*step).UTC(), Source: d.source,
			Arrival: day.arrival, Quality: q})
	}
	return dst
}

// Read implements Reader: it fills buf with the next reads and returns
// io.EOF at the end of the input.
func (r *NEM12Reader) Read(buf []Reading) (int, error) { return r.lineDriver.Read(buf) }
