package meter

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
)

// HESCSVHeader is the header line of the guidance's head-end export.
const HESCSVHeader = "time,arrival_time,device_id,measure_name,load,crrnt,pf,kva,kw,vltg"

// HESCSVFormat is the Format of ParseErrors from the HES CSV decoder.
const HESCSVFormat = "hes-csv"

// HESLine is one line of the guidance's HES CSV: six reads of one meter at
// one instant. Voltage is in volts here; the file carries kilovolts.
type HESLine struct {
	Time        time.Time // the reads' instant, written in UTC to the microsecond
	Arrival     time.Time // when the line reached the head-end, written likewise
	DeviceID    string    // the meter id
	MeasureName string    // "readings" in the guidance
	Load        float64   // contracted load, kW
	Current     float64   // A
	PF          float64   // power factor, dimensionless
	KVA         float64   // apparent power, kVA
	KW          float64   // active power, kW
	Voltage     float64   // V
}

// AppendHESCSV appends l as one CSV line, with its trailing '\n'.
// Numbers are written in the shortest form that parses back exactly.
func AppendHESCSV(dst []byte, l *HESLine) []byte {
	dst = appendHESTime(dst, l.Time)
	dst = append(dst, ',')
	dst = appendHESTime(dst, l.Arrival)
	dst = append(dst, ',')
	dst = append(dst, l.DeviceID...)
	dst = append(dst, ',')
	dst = append(dst, l.MeasureName...)
	for _, v := range [...]float64{l.Load, l.Current, l.PF, l.KVA, l.KW} {
		dst = append(dst, ',')
		dst = appendDecimal(dst, v, 0)
	}
	dst = append(dst, ',')
	dst = appendDecimal(dst, l.Voltage, 3)
	return append(dst, '\n')
}

// HESCSVDecoder turns lines of the guidance's HES CSV into reads. One line
// gives six reads, in the order of HESTypes. The zero value is not usable;
// call NewHESCSVDecoder. A decoder is not safe for concurrent use.
type HESCSVDecoder struct {
	source string
	// intern maps meter ids to one shared string, so that a file of
	// millions of lines allocates one string per meter, not per line.
	intern map[string]string
}

// HESCSVOptions configures a HES CSV decoder. Nil means the defaults.
type HESCSVOptions struct {
	// Source is the reading_source of every read; default "B" (HES batch).
	Source string
}

// maxInterned bounds the intern table, so that garbage input cannot grow it
// without limit.
const maxInterned = 1 << 20

// NewHESCSVDecoder returns a line decoder.
func NewHESCSVDecoder(opts *HESCSVOptions) *HESCSVDecoder {
	d := &HESCSVDecoder{source: "B", intern: make(map[string]string)}
	if opts != nil && opts.Source != "" {
		d.source = opts.Source
	}
	return d
}

// IsHESCSVHeader reports whether line (without its line end) is the HES
// CSV header.
func IsHESCSVHeader(line []byte) bool {
	return string(trimCR(line)) == HESCSVHeader
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// HESRecord is one decoded line of the HES CSV: one meter's reads of the
// six HESTypes at one time, with Source d's and Quality QualityActual.
type HESRecord struct {
	MeterID string // interned: equal ids share one string
	// Time and Arrival are Unix milliseconds, UTC (finer digits dropped).
	Time, Arrival int64
	Values        [6]float64 // in HESTypes order; vltg in V
}

// DecodeLine decodes one line (without its '\n'; a trailing '\r' is allowed)
// and appends its six reads to dst. The header line appends nothing. A bad
// line appends nothing and returns a *ParseError with the given line number
// and offset. Empty lines append nothing and are not errors. A header line
// appends nothing wherever it appears, so that concatenated exports decode.
func (d *HESCSVDecoder) DecodeLine(dst []Reading, line []byte, lineNo, offset int64) ([]Reading, error) {
	rec, ok, err := d.DecodeRecord(line, lineNo, offset)
	if !ok || err != nil {
		return dst, err
	}
	t := time.UnixMilli(rec.Time).UTC()
	arr := time.UnixMilli(rec.Arrival).UTC()
	for k, typ := range HESTypes {
		dst = append(dst, Reading{MeterID: rec.MeterID, Type: typ, Value: rec.Values[k], Time: t,
			Source: d.source, Arrival: arr, Quality: QualityActual})
	}
	return dst, nil
}

// Source returns the source of the decoder's reads.
func (d *HESCSVDecoder) Source() string { return d.source }

// DecodeRecord is DecodeLine without the reads: it decodes one line into a
// record, for callers that store columns (building six Readings a line and
// taking them apart again cost a fifth of an ingest's decoding time). ok is
// false for an empty line or a header, and for a bad line, which returns a
// *ParseError.
func (d *HESCSVDecoder) DecodeRecord(line []byte, lineNo, offset int64) (rec HESRecord, ok bool, err error) {
	line = trimCR(line)
	if len(line) == 0 {
		return rec, false, nil
	}
	var fields [10][]byte
	n := 0
	start := 0
	for i := 0; i < len(line); i++ {
		if line[i] == ',' {
			if n == 9 {
				return rec, false, d.err(lineNo, offset, "", fmt.Errorf("%w: more than 10", ErrColumnCount))
			}
			fields[n] = line[start:i]
			n++
			start = i + 1
		}
	}
	if n != 9 {
		if bytes.HasPrefix(line, []byte("time,")) && offset == 0 {
			return rec, false, d.err(lineNo, offset, "", fmt.Errorf("%w: want %q", ErrHeader, HESCSVHeader))
		}
		return rec, false, d.err(lineNo, offset, "", fmt.Errorf("%w: got %d, want 10", ErrColumnCount, n+1))
	}
	fields[9] = line[start:]
	if string(line) == HESCSVHeader {
		return rec, false, nil
	}
	ms, ok := parseHESTime(fields[0])
	if !ok {
		if offset == 0 && string(fields[0]) == "time" {
			return rec, false, d.err(lineNo, offset, "", fmt.Errorf("%w: want %q", ErrHeader, HESCSVHeader))
		}
		return rec, false, d.err(lineNo, offset, "time", fmt.Errorf("%w: %q", ErrTimestamp, clip(fields[0])))
	}
	arrMS, ok := parseHESTime(fields[1])
	if !ok {
		return rec, false, d.err(lineNo, offset, "arrival_time", fmt.Errorf("%w: %q", ErrTimestamp, clip(fields[1])))
	}
	id := fields[2]
	if !validMeterID(id) {
		return rec, false, d.err(lineNo, offset, "device_id", fmt.Errorf("%w: %q", ErrMeterID, clip(id)))
	}
	var vals [6]float64
	for k := 0; k < 6; k++ {
		shift := 0
		if k == 5 {
			shift = 3 // vltg: kV in the file, V in the lake
		}
		v, ok := parseDecimal(fields[4+k], shift)
		if !ok {
			return rec, false, d.err(lineNo, offset, string(HESTypes[k]), fmt.Errorf("%w: %q", ErrNumber, clip(fields[4+k])))
		}
		vals[k] = v
	}
	meterID, ok := d.intern[string(id)]
	if !ok {
		if len(d.intern) >= maxInterned {
			clear(d.intern)
		}
		meterID = string(id)
		d.intern[meterID] = meterID
	}
	return HESRecord{MeterID: meterID, Time: ms, Arrival: arrMS, Values: vals}, true, nil
}

func (d *HESCSVDecoder) err(lineNo, offset int64, col string, err error) *ParseError {
	return &ParseError{Format: HESCSVFormat, Line: lineNo, Offset: offset, Column: col, Err: err}
}

// ValidMeterID reports whether id is a meter id the decoders accept: 1 to
// 128 bytes of visible ASCII (no space, no control or non-ASCII byte).
func ValidMeterID(id string) bool { return validMeterID([]byte(id)) }

// validMeterID accepts 1 to 128 bytes of visible ASCII.
func validMeterID(b []byte) bool {
	if len(b) == 0 || len(b) > 128 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// clip shortens a field for an error message.
func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// HESCSVReader decodes a whole HES CSV stream into reads. It implements
// Reader. Bad lines are passed to OnError; see HESCSVReaderOptions.
type HESCSVReader struct {
	lr      lineReader
	dec     *HESCSVDecoder
	onError func(*ParseError, []byte) error
	line    int64
	pending []Reading
	scratch [len(HESTypes)]Reading
	maxLine int
	err     error
}

// HESCSVReaderOptions configures a HESCSVReader. Nil means the defaults.
type HESCSVReaderOptions struct {
	HESCSVOptions
	// OnError is called with every bad line and its raw bytes (valid only
	// during the call). If it returns nil the reader carries on; otherwise
	// Read returns that error. If OnError is nil, the first bad line stops
	// the reader with its *ParseError.
	OnError func(err *ParseError, raw []byte) error
	// MaxLineBytes bounds a line; longer lines are bad (ErrTooLong).
	// Default 1 MiB.
	MaxLineBytes int
}

// NewHESCSVReader returns a Reader of the HES CSV in r, which must start at
// the beginning of the file (its header).
func NewHESCSVReader(r io.Reader, opts *HESCSVReaderOptions) *HESCSVReader {
	if opts == nil {
		opts = &HESCSVReaderOptions{}
	}
	hr := &HESCSVReader{dec: NewHESCSVDecoder(&opts.HESCSVOptions)}
	hr.onError = opts.OnError
	if hr.onError == nil {
		hr.onError = func(e *ParseError, _ []byte) error { return e }
	}
	max := opts.MaxLineBytes
	if max <= 0 {
		max = 1 << 20
	}
	hr.maxLine = max
	hr.lr = newLineReader(r, max)
	return hr
}

// Read implements Reader.
func (r *HESCSVReader) Read(buf []Reading) (int, error) {
	n := 0
	for n < len(buf) {
		if len(r.pending) > 0 {
			c := copy(buf[n:], r.pending)
			n += c
			r.pending = r.pending[c:]
			continue
		}
		if r.err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, r.err
		}
		line, offset, tooLong, err := r.lr.next()
		if err != nil {
			r.err = err
			continue
		}
		r.line++
		var perr error
		if tooLong {
			perr = r.dec.err(r.line, offset, "", fmt.Errorf("%w: more than %d bytes", ErrTooLong, r.maxLine))
		} else {
			// Decode straight into buf when the six reads fit, else via pending.
			if len(buf)-n >= len(HESTypes) {
				out, e := r.dec.DecodeLine(buf[n:n], line, r.line, offset)
				n += len(out)
				perr = e
			} else {
				var e error
				r.pending, e = r.dec.DecodeLine(r.scratch[:0], line, r.line, offset)
				perr = e
			}
		}
		if perr != nil {
			var pe *ParseError
			if !errors.As(perr, &pe) {
				r.err = perr
				continue
			}
			if err := r.onError(pe, line); err != nil {
				r.err = err
			}
		}
	}
	return n, nil
}
