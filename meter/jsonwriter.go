package meter

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// JSONLinesWriter encodes reads as the JSON lines JSONLinesReader decodes,
// one object a line:
//
//	{"meter_id":"m1","reading_type":"kw","reading_value":0.62,"unit":"kW","reading_date_time":"2024-03-01T10:15:00.000Z","arrival_time":"2024-03-01T10:20:00.000Z","reading_source":"B","quality":"A"}
//
// It is how a service hands reads it holds in memory (from its own stream,
// an API, a database) to the pipeline: write them to an object and ingest
// it (see mda.IngestReads). Every field round-trips exactly: values in the
// shortest form that parses back to the same float64 and with their unit
// named (so that a vltg value in V is not read as the guidance's kV), times
// in UTC to the millisecond. A zero Arrival or Quality is left out (the
// reader then takes the object's time and A).
type JSONLinesWriter struct {
	w   io.Writer
	buf []byte
}

// NewJSONLinesWriter returns a Writer of JSON lines to w. It buffers a
// call's records and writes them to w in one Write.
func NewJSONLinesWriter(w io.Writer) *JSONLinesWriter { return &JSONLinesWriter{w: w} }

// ErrUnwritable is the error of a read JSONLinesWriter cannot write so that
// it reads back the same: an invalid meter id, an unregistered type, a
// value that is not finite, a time outside the years 1 to 9999.
var ErrUnwritable = errors.New("meter: read cannot be written")

// Write encodes buf. It checks every read first and writes nothing if one
// is invalid (an error matching ErrUnwritable, naming its index), so that
// an object never holds half a batch.
func (w *JSONLinesWriter) Write(buf []Reading) (int, error) {
	for i := range buf {
		if err := writable(&buf[i]); err != nil {
			return 0, fmt.Errorf("%w: read %d: %w", ErrUnwritable, i, err)
		}
	}
	b := w.buf[:0]
	for i := range buf {
		b = appendJSONRecord(b, &buf[i])
	}
	w.buf = b
	if _, err := w.w.Write(b); err != nil {
		return 0, err
	}
	return len(buf), nil
}

func writable(r *Reading) error {
	if !validMeterID([]byte(r.MeterID)) {
		return fmt.Errorf("meter id %q", clip([]byte(r.MeterID)))
	}
	if _, ok := LookupType(r.Type); !ok {
		return fmt.Errorf("reading type %q", r.Type)
	}
	if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
		return fmt.Errorf("value %v", r.Value)
	}
	if y := r.Time.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("time %v", r.Time)
	}
	if y := r.Arrival.UTC().Year(); !r.Arrival.IsZero() && (y < 1 || y > 9999) {
		return fmt.Errorf("arrival time %v", r.Arrival)
	}
	if r.Quality != 0 {
		if _, err := ParseQuality(r.Quality.String()); err != nil {
			return err
		}
	}
	return nil
}

// jsonTimeLayout is RFC 3339 in UTC to the millisecond, which
// parseJSONTime reads back exactly.
const jsonTimeLayout = "2006-01-02T15:04:05.000Z"

func appendJSONRecord(b []byte, r *Reading) []byte {
	info, _ := LookupType(r.Type)
	b = append(b, `{"meter_id":`...)
	b = appendJSONString(b, r.MeterID)
	b = append(b, `,"reading_type":`...)
	b = strconv.AppendQuote(b, string(r.Type))
	b = append(b, `,"reading_value":`...)
	b = strconv.AppendFloat(b, r.Value, 'g', -1, 64)
	b = append(b, `,"unit":`...)
	b = strconv.AppendQuote(b, info.Unit)
	b = append(b, `,"reading_date_time":"`...)
	b = r.Time.UTC().AppendFormat(b, jsonTimeLayout)
	b = append(b, '"')
	if !r.Arrival.IsZero() {
		b = append(b, `,"arrival_time":"`...)
		b = r.Arrival.UTC().AppendFormat(b, jsonTimeLayout)
		b = append(b, '"')
	}
	b = append(b, `,"reading_source":`...)
	b = appendJSONString(b, r.Source)
	if r.Quality != 0 {
		b = append(b, `,"quality":"`...)
		b = append(b, byte(r.Quality))
		b = append(b, '"')
	}
	return append(b, "}\n"...)
}

// appendJSONString appends s as a JSON string: strconv's quoting where s
// is printable ASCII (its only escapes there, \" and \\, are JSON's),
// encoding/json's otherwise (strconv would write \x escapes).
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	return strconv.AppendQuote(b, s)
}
