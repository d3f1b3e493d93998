package meter

import (
	"bytes"
	"fmt"
	"io"
	"time"
)

// MRASCoFormat is the Format of ParseErrors from the MRASCo (UK DTC flow)
// decoder.
const MRASCoFormat = "mrasco"

// MRASCoOptions configures an MRASCoReader. Nil means the defaults.
type MRASCoOptions struct {
	// Source is the reading_source of every read; default the flow name,
	// "d0010" or "d0275".
	Source string
	// Location is the time zone of the flow's dates and times; default
	// Europe/London. DTC times are UK local wall-clock times.
	Location *time.Location
	// MeterID builds the meter id of a D0010 register reading from its MPAN
	// core, meter serial number and meter register id. The default joins
	// them with '-'; the register is part of the id because a two-rate
	// meter reports two registers at the same instant.
	MeterID func(mpan, serial, register string) string
	// KeepNull emits D0010 readings whose meter reading flag is F (failed
	// validation) with QualityNull; by default they are dropped.
	KeepNull bool
	// OnError is called with every bad record and its raw bytes (valid
	// only during the call). If it returns nil the reader carries on;
	// otherwise Read returns that error. If OnError is nil, the first bad
	// record stops the reader with its *ParseError. Records of a rejected
	// group (e.g. 030s under a bad 026) are rejected too.
	OnError func(err *ParseError, raw []byte) error
	// MaxLineBytes bounds a record; default 1 MiB.
	MaxLineBytes int
}

// MRASCoReader decodes the UK Data Transfer Catalogue flows that carry meter
// readings, in MRASCo's pipe-delimited file format, into reads. It
// implements Reader. The flow is named by the ZHV header's second field
// (e.g. "D0010002"); the ZPT trailer ends the data.
//
// D0010 (meter readings, typically non-half-hourly): group 026 opens an
// MPAN core, 028 a meter serial number under it, and each 030 (or 029) is
// a register reading "register id|YYYYMMDDhhmmss|reading|MD reset date|MD
// resets|meter reading flag|reading method|". A read has type kwh_register
// (a cumulative index, not an interval energy), meter id
// MeterID(MPAN, serial, register), quality E if the reading method is E
// and A otherwise. Times are local wall-clock times converted to UTC with
// WallClock, so the repeated hour of the autumn change is kept apart; the
// readings that are dropped (flag F) or rejected count as occurrences too.
//
// D0275 (half-hourly advances): 25B opens an MPAN core and its measurement
// quantity (AI, AE, RI, RE: active/reactive import/export), 26B a
// settlement date, and each 27B "actual/estimated flag|kWh|" is the next
// half hour. The first 27B of a day ends at 00:30 local time and each one
// advances 30 minutes of elapsed time, so a settlement day has 46, 48 or 50
// periods; more than the day holds is an error. A rejected 27B still takes
// its half hour: the records after it keep their times.
//
// This fixes the two bugs of the AWS reference adapter: it wrote times with
// a literal "24" after the hour, and started each D0275 day at the previous
// day's 23:30.
//
// The flows are hierarchical (a reading belongs to the 026/028 or 25B/26B
// records before it), so a file is one unit of work and must not be split at
// arbitrary byte offsets. Memory does not grow with the file.
type MRASCoReader struct {
	lineDriver
	d mrascoDecoder
}

// NewMRASCoReader returns a Reader of the D0010 or D0275 flow file in r.
func NewMRASCoReader(r io.Reader, opts *MRASCoOptions) *MRASCoReader {
	if opts == nil {
		opts = &MRASCoOptions{}
	}
	mr := &MRASCoReader{}
	d := &mr.d
	d.userSrc = opts.Source
	d.meterID = opts.MeterID
	d.keepNull = opts.KeepNull
	loc := opts.Location
	if loc == nil {
		var err error
		if loc, err = time.LoadLocation("Europe/London"); err != nil {
			d.fatal = fmt.Errorf("meter: MRASCo reader needs Europe/London: %w (import time/tzdata or set Options.Location)", err)
			loc = time.UTC
		}
	}
	d.clock = NewWallClock(loc)
	mr.lineDriver.init(r, d, MRASCoFormat, opts.MaxLineBytes, opts.OnError)
	return mr
}

type mrascoDecoder struct {
	userSrc  string
	source   string
	meterID  func(mpan, serial, register string) string
	keepNull bool
	clock    *WallClock
	fatal    error
	fields   [][]byte
	ids      interner
	idbuf    []byte

	flow    string // "D0010" or "D0275" once the ZHV is read
	hdrLine int64
	// D0010 group state.
	mpan, serial []byte
	mpanOK       bool // the current 026 was valid (false: its children are rejected)
	serialOK     bool
	groupLine    int64
	// D0275 group state.
	mpan275 string
	typ275  Type
	ok25B   bool
	day     int64 // Unix ms of the settlement day's start; -1 if none
	dayLen  int   // half hours in the day
	period  int   // 27B records read in the day
	dayOK   bool
}

func (d *mrascoDecoder) err(lineNo, offset int64, col string, err error) *ParseError {
	return &ParseError{Format: MRASCoFormat, Line: lineNo, Offset: offset, Column: col, Err: err}
}

func (d *mrascoDecoder) end(dst []Reading) ([]Reading, error) { return dst, nil }

func (d *mrascoDecoder) line(dst []Reading, line []byte, lineNo, offset int64) ([]Reading, error) {
	if d.fatal != nil {
		return dst, d.fatal
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return dst, nil
	}
	d.fields = splitFields(d.fields, line, '|')
	f := d.fields
	if string(f[0]) == "ZHV" {
		return dst, d.header(f, lineNo, offset)
	}
	if string(f[0]) == "ZPT" {
		if d.flow == "" {
			return dst, d.err(lineNo, offset, "", fmt.Errorf("%w: ZPT trailer without ZHV header", ErrStructure))
		}
		return dst, errStop
	}
	if d.flow == "" {
		if d.hdrLine > 0 {
			return dst, d.err(lineNo, offset, "", fmt.Errorf("%w: belongs to the rejected header on line %d", ErrStructure, d.hdrLine))
		}
		return dst, d.err(lineNo, offset, "", fmt.Errorf("%w: record before the ZHV header", ErrStructure))
	}
	if d.flow == "D0010" {
		return d.d0010(dst, f, lineNo, offset)
	}
	return d.d0275(dst, f, lineNo, offset)
}

// header decodes ZHV|file id|flow and version|from role|from MPID|to role|
// to MPID|created|...
func (d *mrascoDecoder) header(f [][]byte, lineNo, offset int64) error {
	d.flow, d.hdrLine = "", lineNo
	d.mpanOK, d.serialOK, d.ok25B, d.dayOK = false, false, false, false
	if len(f) < 3 || len(f[2]) < 5 {
		return d.err(lineNo, offset, "flow", fmt.Errorf("%w: no flow in ZHV", ErrHeader))
	}
	switch flow := string(f[2][:5]); flow {
	case "D0010", "D0275":
		d.flow = flow
		d.source = d.userSrc
		if d.source == "" {
			d.source = map[string]string{"D0010": "d0010", "D0275": "d0275"}[flow]
		}
		d.clock.Reset()
		return nil
	}
	return d.err(lineNo, offset, "flow", fmt.Errorf("%w: flow %q is not D0010 or D0275", ErrHeader, clip(f[2])))
}

// validMPAN accepts a 13-digit MPAN core.
func validMPAN(b []byte) bool {
	if len(b) != 13 {
		return false
	}
	_, ok := digitsN(b)
	return ok
}

// isGroupID reports whether b looks like a DTC group id (three letters or
// digits); unknown groups carry no readings and are skipped.
func isGroupID(b []byte) bool {
	if len(b) != 3 {
		return false
	}
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func (d *mrascoDecoder) d0010(dst []Reading, f [][]byte, lineNo, offset int64) ([]Reading, error) {
	switch string(f[0]) {
	case "026":
		d.mpanOK, d.serialOK, d.groupLine = false, false, lineNo
		if len(f) < 2 || !validMPAN(f[1]) {
			return dst, d.err(lineNo, offset, "MPAN", fmt.Errorf("%w: MPAN core %q, want 13 digits", ErrMeterID, clip(field(f, 1))))
		}
		d.mpan = append(d.mpan[:0], f[1]...)
		d.mpanOK = true
		return dst, nil
	case "028":
		d.serialOK = false
		if !d.mpanOK {
			return dst, d.orphan(lineNo, offset, "028", "026")
		}
		d.groupLine = lineNo
		if len(f) < 2 || !validMeterID(f[1]) {
			return dst, d.err(lineNo, offset, "meter_id", fmt.Errorf("%w: meter serial %q", ErrMeterID, clip(field(f, 1))))
		}
		d.serial = append(d.serial[:0], f[1]...)
		d.serialOK = true
		return dst, nil
	case "029", "030":
		if !d.serialOK {
			return dst, d.orphan(lineNo, offset, string(f[0]), "028")
		}
		if len(f) < 4 {
			return dst, d.err(lineNo, offset, "", fmt.Errorf("%w: %d fields, want at least 4", ErrColumnCount, len(f)))
		}
		reg := f[1]
		if !validMeterID(reg) || len(reg) > 10 {
			return dst, d.err(lineNo, offset, "register", fmt.Errorf("%w: register id %q", ErrMeterID, clip(reg)))
		}
		wms, ok := parseDateTime14(f[2])
		if !ok {
			return dst, d.err(lineNo, offset, "reading_date_time", fmt.Errorf("%w: %q", ErrTimestamp, clip(f[2])))
		}
		var id string
		if d.meterID != nil {
			id = d.meterID(string(d.mpan), string(d.serial), string(reg))
		} else {
			d.idbuf = append(append(append(append(append(d.idbuf[:0], d.mpan...), '-'), d.serial...), '-'), reg...)
			id = d.ids.get(d.idbuf)
		}
		// The time is resolved before the reading is dropped (flag F) or
		// rejected: the WallClock tells the two occurrences of the
		// repeated autumn hour apart by the series' last instant, so a
		// first occurrence it never saw would put the second an hour
		// early.
		ms, err := d.clock.resolve(id, wms)
		if err != nil {
			return dst, d.err(lineNo, offset, "reading_date_time", fmt.Errorf("%w: %q: %w", ErrTimestamp, clip(f[2]), err))
		}
		v, ok := parseDecimal(f[3], 0)
		if !ok {
			return dst, d.err(lineNo, offset, "reading", fmt.Errorf("%w: %q", ErrNumber, clip(f[3])))
		}
		q := QualityActual
		if string(field(f, 7)) == "E" {
			q = QualityEstimated
		}
		if string(field(f, 6)) == "F" {
			if !d.keepNull {
				return dst, nil
			}
			q, v = QualityNull, 0
		}
		return append(dst, Reading{MeterID: id, Type: TypeKWhRegister, Value: v, Time: time.UnixMilli(ms).UTC(),
			Source: d.source, Quality: q}), nil
	}
	if isGroupID(f[0]) {
		return dst, nil
	}
	return dst, d.err(lineNo, offset, "", fmt.Errorf("%w: %q", ErrRecordType, clip(f[0])))
}

func (d *mrascoDecoder) orphan(lineNo, offset int64, rec, parent string) error {
	if d.groupLine > d.hdrLine {
		return d.err(lineNo, offset, "", fmt.Errorf("%w: %s belongs to the rejected group on line %d", ErrStructure, rec, d.groupLine))
	}
	return d.err(lineNo, offset, "", fmt.Errorf("%w: %s record without a %s group", ErrStructure, rec, parent))
}

func field(f [][]byte, i int) []byte {
	if i < len(f) {
		return f[i]
	}
	return nil
}

func (d *mrascoDecoder) d0275(dst []Reading, f [][]byte, lineNo, offset int64) ([]Reading, error) {
	switch string(f[0]) {
	case "25B":
		d.ok25B, d.dayOK, d.groupLine = false, false, lineNo
		if len(f) < 3 || !validMPAN(f[1]) {
			return dst, d.err(lineNo, offset, "MPAN", fmt.Errorf("%w: MPAN core %q, want 13 digits", ErrMeterID, clip(field(f, 1))))
		}
		switch string(f[2]) {
		case "AI":
			d.typ275 = TypeKWh
		case "AE":
			d.typ275 = TypeKWhExport
		case "RI":
			d.typ275 = TypeKVArh
		case "RE":
			d.typ275 = TypeKVArhExport
		default:
			return dst, d.err(lineNo, offset, "measurement_quantity", fmt.Errorf("%w: measurement quantity %q, want AI, AE, RI or RE", ErrUnit, clip(f[2])))
		}
		d.mpan275 = d.ids.get(f[1])
		d.ok25B = true
		return dst, nil
	case "26B":
		d.dayOK = false
		if !d.ok25B {
			return dst, d.orphan(lineNo, offset, "26B", "25B")
		}
		d.groupLine = lineNo
		y, m, dd, ok := parseDate8(field(f, 1))
		if !ok {
			return dst, d.err(lineNo, offset, "settlement_date", fmt.Errorf("%w: %q", ErrTimestamp, clip(field(f, 1))))
		}
		d.day = d.clock.localMidnight(y, m, dd)
		t := time.Date(y, time.Month(m), dd+1, 0, 0, 0, 0, d.clock.loc)
		d.dayLen = int((t.UnixMilli() - d.day) / (30 * 60000))
		d.period = 0
		d.dayOK = true
		return dst, nil
	case "27B":
		if !d.dayOK {
			return dst, d.orphan(lineNo, offset, "27B", "26B")
		}
		// A 27B's half hour is its position in the day, so a record is
		// counted before it is validated: a rejected one still uses up
		// its half hour, and the later ones keep their own times (and a
		// day with more records than half hours is still caught).
		if d.period >= d.dayLen {
			return dst, d.err(lineNo, offset, "", fmt.Errorf("%w: more than %d half hours in the settlement day", ErrStructure, d.dayLen))
		}
		d.period++
		if len(f) < 3 {
			return dst, d.err(lineNo, offset, "", fmt.Errorf("%w: %d fields, want at least 3", ErrColumnCount, len(f)))
		}
		v, ok := parseDecimal(f[2], 0)
		if !ok {
			return dst, d.err(lineNo, offset, "value", fmt.Errorf("%w: %q", ErrNumber, clip(f[2])))
		}
		q := QualityActual
		switch string(f[1]) {
		case "A", "":
		case "E":
			q = QualityEstimated
		default:
			return dst, d.err(lineNo, offset, "flag", fmt.Errorf("%w: %q, want A or E", ErrQuality, clip(f[1])))
		}
		return append(dst, Reading{MeterID: d.mpan275, Type: d.typ275, Value: v,
			Time: time.UnixMilli(d.day + int64(d.period)*30*60000).UTC(), Source: d.source, Quality: q}), nil
	}
	if isGroupID(f[0]) {
		return dst, nil
	}
	return dst, d.err(lineNo, offset, "", fmt.Errorf("%w: %q", ErrRecordType, clip(f[0])))
}

// Read implements Reader: it fills buf with the next reads and returns
// io.EOF at the end of the input.
func (r *MRASCoReader) Read(buf []Reading) (int, error) { return r.lineDriver.Read(buf) }
