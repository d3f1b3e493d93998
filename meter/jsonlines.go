package meter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// JSONLinesFormat is the Format of ParseErrors from the JSON lines decoder.
const JSONLinesFormat = "json-lines"

// JSONLinesOptions configures a JSONLinesReader. Nil means the defaults.
type JSONLinesOptions struct {
	// Source is the reading_source of records that name none; default
	// "json".
	Source string
	// VoltageUnit is the unit of vltg values in records without a unit:
	// "kV" (the default: the guidance's staging records carry the head-end
	// export's kilovolts) or "V". A record's own unit wins.
	VoltageUnit string
	// OnError and MaxLineBytes are as in MappedCSVOptions.
	OnError      func(err *ParseError, raw []byte) error
	MaxLineBytes int // bound on a line; default 1 MiB
}

// JSONLinesReader decodes newline-delimited JSON read records: the
// guidance's staging records, which its range workers put on a Kinesis
// stream and Firehose lands in S3 (readings/json/year=/month=/day=/hour=/),
// and what a utility's own stream carries. A record is an object:
//
//	{"meter_id": "m1", "reading_type": "kw", "reading_value": "0.62",
//	 "reading_date_time": "2023-03-01 10:15:00.000", "reading_source": "B"}
//
// meter_id, reading_type (a registered type), reading_value (a number, or
// a string holding one, as the guidance writes it) and reading_date_time
// are required. Times are "yyyy-MM-dd HH:mm:ss[.fff]" in UTC (the
// guidance's), "yyyy-MM-ddTHH:mm:ss[.fff]" in UTC, or RFC 3339 with an
// offset. Optional: reading_source, arrival_time (same layouts; a record
// without one arrives with its object), quality (one letter, default A) and
// unit. Without a unit a value is in its type's unit, except vltg, which is
// in VoltageUnit (kV by default, converted to V exactly); with one it may
// also be the type's unit without or with a "k" (W for kW, kV for V,
// case-insensitive). Other fields, such as the guidance's obis_code and
// phase, are ignored.
//
// A line may hold several objects one after another ("{...}{...}", as a
// Kinesis record aggregates them); the line is then one record, kept or
// rejected whole, so that a quarantined line holds no read that was also
// ingested. Blank lines are skipped.
type JSONLinesReader struct {
	lineDriver
	d jsonLinesDecoder
}

// NewJSONLinesReader returns a Reader of the JSON lines in r.
func NewJSONLinesReader(r io.Reader, opts *JSONLinesOptions) *JSONLinesReader {
	if opts == nil {
		opts = &JSONLinesOptions{}
	}
	jr := &JSONLinesReader{}
	jr.d.opts = *opts
	if jr.d.opts.Source == "" {
		jr.d.opts.Source = "json"
	}
	switch strings.ToLower(jr.d.opts.VoltageUnit) {
	case "", "kv":
		jr.d.voltShift = 3
	case "v":
	default:
		jr.d.fatal = fmt.Errorf("meter: JSONLinesOptions.VoltageUnit %q: want kV or V", opts.VoltageUnit)
	}
	jr.d.intern = make(interner)
	jr.lineDriver.init(r, &jr.d, JSONLinesFormat, opts.MaxLineBytes, opts.OnError)
	return jr
}

// Read implements Reader: it fills buf with the next reads and returns
// io.EOF at the end of the input.
func (r *JSONLinesReader) Read(buf []Reading) (int, error) { return r.lineDriver.Read(buf) }

type jsonLinesDecoder struct {
	opts      JSONLinesOptions
	voltShift int
	fatal     error
	intern    interner
	// types caches the registered types the fast path has met (the
	// registry only grows); source is the last reading_source it kept.
	types  map[string]TypeInfo
	source string
	// noFast sends every line through encoding/json (lineJSON), the
	// reference the fast path is tested against.
	noFast bool
}

// jsonRecord is one record as it is written; the value stays raw, since
// the guidance writes it as a string and others as a number.
type jsonRecord struct {
	MeterID string          `json:"meter_id"`
	Type    string          `json:"reading_type"`
	Value   json.RawMessage `json:"reading_value"`
	Time    string          `json:"reading_date_time"`
	Source  *string         `json:"reading_source"`
	Arrival string          `json:"arrival_time"`
	Quality string          `json:"quality"`
	Unit    string          `json:"unit"`
}

func (d *jsonLinesDecoder) end(dst []Reading) ([]Reading, error) { return dst, nil }

func (d *jsonLinesDecoder) line(dst []Reading, line []byte, lineNo, offset int64) ([]Reading, error) {
	if d.fatal != nil {
		return dst, d.fatal
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return dst, nil
	}
	if !d.noFast {
		// Most lines are one flat object of plain strings and numbers
		// (see fastLine); whatever the fast path is unsure of, it leaves
		// to encoding/json.
		if out, ok := d.fastLine(dst, line); ok {
			return out, nil
		}
	}
	return d.lineJSON(dst, line, lineNo, offset)
}

// lineJSON decodes a non-blank line with encoding/json: the reference
// behaviour, and the path of every line the fast path declines.
func (d *jsonLinesDecoder) lineJSON(dst []Reading, line []byte, lineNo, offset int64) ([]Reading, error) {
	n := len(dst)
	// One object per line is the common case, and json.Unmarshal is
	// cheaper than a Decoder; anything else (several objects, an error)
	// takes the Decoder's path.
	var one jsonRecord
	if json.Unmarshal(line, &one) == nil {
		if r, err := d.reading(&one); err == nil {
			return append(dst, r), nil
		}
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	for k := 1; ; k++ {
		var rec jsonRecord
		err := dec.Decode(&rec)
		if err == io.EOF {
			return dst, nil
		}
		if err == nil {
			var r Reading
			if r, err = d.reading(&rec); err == nil {
				dst = append(dst, r)
				continue
			}
		}
		// The line is rejected whole: none of its reads are kept.
		pe := &ParseError{Format: JSONLinesFormat, Line: lineNo, Offset: offset}
		var col *columnError
		if errors.As(err, &col) {
			pe.Column, pe.Err = col.column, col.err
		} else {
			pe.Err = fmt.Errorf("%w: %v", ErrJSON, err)
		}
		if k > 1 {
			pe.Err = fmt.Errorf("object %d of the line: %w", k, pe.Err)
		}
		return dst[:n], pe
	}
}

// columnError is a record's bad field.
type columnError struct {
	column string
	err    error
}

func (e *columnError) Error() string { return e.column + ": " + e.err.Error() }

func badField(column string, reason error, format string, args ...any) error {
	return &columnError{column, fmt.Errorf("%w: "+format, append([]any{reason}, args...)...)}
}

func (d *jsonLinesDecoder) reading(rec *jsonRecord) (Reading, error) {
	id := []byte(rec.MeterID)
	if !validMeterID(id) {
		return Reading{}, badField("meter_id", ErrMeterID, "%q", clip(id))
	}
	typ := Type(rec.Type)
	info, ok := LookupType(typ)
	if !ok {
		return Reading{}, badField("reading_type", ErrReadingType, "%q", clip([]byte(rec.Type)))
	}
	shift := 0
	switch {
	case rec.Unit != "":
		if shift, ok = unitShift(rec.Unit, info.Unit); !ok {
			return Reading{}, badField("unit", ErrUnit, "%q for %s, whose unit is %s", clip([]byte(rec.Unit)), typ, info.Unit)
		}
	case typ == TypeVoltage:
		shift = d.voltShift
	}
	raw := bytes.TrimSpace(rec.Value)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Reading{}, badField("reading_value", ErrNumber, "%v", err)
		}
		raw = bytes.TrimSpace([]byte(s))
	}
	v, ok := parseDecimal(raw, shift)
	if !ok || math.IsInf(v, 0) || math.IsNaN(v) {
		return Reading{}, badField("reading_value", ErrNumber, "%q", clip(rec.Value))
	}
	t, ok := parseJSONTime(rec.Time)
	if !ok {
		return Reading{}, badField("reading_date_time", ErrTimestamp, "%q", clip([]byte(rec.Time)))
	}
	r := Reading{Type: typ, Value: v, Time: t, Source: d.opts.Source, Quality: QualityActual}
	if rec.Arrival != "" {
		if r.Arrival, ok = parseJSONTime(rec.Arrival); !ok {
			return Reading{}, badField("arrival_time", ErrTimestamp, "%q", clip([]byte(rec.Arrival)))
		}
	}
	if rec.Source != nil {
		r.Source = *rec.Source
	}
	if rec.Quality != "" {
		q, err := ParseQuality(rec.Quality)
		if err != nil {
			return Reading{}, badField("quality", ErrQuality, "%q", clip([]byte(rec.Quality)))
		}
		r.Quality = q
	}
	if r.MeterID, ok = d.intern[rec.MeterID]; !ok {
		if len(d.intern) >= maxInterned {
			clear(d.intern)
		}
		r.MeterID = rec.MeterID
		d.intern[r.MeterID] = r.MeterID
	}
	return r, nil
}

// unitShift returns the power of ten that takes a value in unit to want:
// the same unit, or want with a "k" dropped or added.
func unitShift(unit, want string) (int, bool) {
	switch {
	case strings.EqualFold(unit, want):
		return 0, true
	case len(want) > 1 && (want[0] == 'k' || want[0] == 'K') && strings.EqualFold(unit, want[1:]):
		return -3, true // W to kW
	case len(unit) > 1 && (unit[0] == 'k' || unit[0] == 'K') && strings.EqualFold(unit[1:], want):
		return 3, true // kV to V
	}
	return 0, false
}

// parseJSONTime parses "yyyy-MM-dd HH:mm:ss[.fff]" (or with a 'T') in
// UTC, or either with an offset ("Z", "+02:00"), to the millisecond, in
// the years the lake holds (1 to 9999, after the offset).
func parseJSONTime(s string) (time.Time, bool) {
	if len(s) < 19 {
		return time.Time{}, false
	}
	b := []byte(s)
	switch b[10] {
	case 'T', 't', ' ':
		b[10] = ' '
	default:
		return time.Time{}, false
	}
	var t time.Time
	if last := b[len(b)-1]; last == 'Z' || last == 'z' || bytes.ContainsAny(b[19:], "+-") {
		b[10] = 'T'
		if last == 'z' {
			b[len(b)-1] = 'Z'
		}
		p, err := time.Parse(time.RFC3339Nano, string(b))
		if err != nil {
			return time.Time{}, false
		}
		t = p.UTC().Truncate(time.Millisecond)
	} else {
		ms, ok := parseHESTime(b)
		if !ok {
			return time.Time{}, false
		}
		t = time.UnixMilli(ms).UTC()
	}
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, false
	}
	return t, true
}
