package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/openmda/mda/query"
)

// Media types the API serves.
const (
	JSON  = "application/json"
	CSV   = "text/csv"
	Arrow = query.IPCContentType
)

// table is a response: a JSON envelope, and the same rows as CSV or Arrow.
type table struct {
	json   any
	header []string
	rows   func(yield func([]string) bool)
	arrow  func(memory.Allocator) arrow.RecordBatch
}

// negotiate returns the media type to answer r with, or "" if the client
// accepts none of them. ?format= wins over Accept.
func negotiate(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "":
	case "json":
		return JSON, nil
	case "csv":
		return CSV, nil
	case "arrow":
		return Arrow, nil
	default:
		return "", badParam("format %q: want json, csv or arrow", f)
	}
	accept := r.Header.Values("Accept")
	type mediaRange struct {
		typ string
		q   float64
	}
	var ranges []mediaRange
	for _, h := range accept {
		for part := range strings.SplitSeq(h, ",") {
			typ, params, _ := strings.Cut(part, ";")
			mr := mediaRange{typ: strings.ToLower(strings.TrimSpace(typ)), q: 1}
			for p := range strings.SplitSeq(params, ";") {
				if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.TrimSpace(k) == "q" {
					if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
						mr.q = q
					}
				}
			}
			if mr.typ != "" && mr.q > 0 {
				ranges = append(ranges, mr)
			}
		}
	}
	if len(ranges) == 0 { // no Accept header, or an empty one
		return JSON, nil
	}
	slices.SortStableFunc(ranges, func(a, b mediaRange) int { return -cmpFloat(a.q, b.q) })
	for _, mr := range ranges {
		switch mr.typ {
		case JSON, "application/*", "*/*":
			return JSON, nil
		case CSV, "text/*":
			return CSV, nil
		case Arrow:
			return Arrow, nil
		}
	}
	return "", nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// write sends t in the negotiated format.
func (h *handler) write(w http.ResponseWriter, r *http.Request, t *table) {
	typ, err := negotiate(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.Header().Set("Vary", "Accept")
	switch typ {
	case "":
		writeError(w, http.StatusNotAcceptable, "cannot answer with any type of Accept: want "+JSON+", "+CSV+" or "+Arrow)
	case JSON:
		writeJSON(w, http.StatusOK, t.json)
	case CSV:
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		cw.Write(t.header)
		for row := range t.rows {
			cw.Write(row)
		}
		cw.Flush()
		w.Header().Set("Content-Type", CSV+"; charset=utf-8; header=present")
		w.Write(buf.Bytes())
	case Arrow:
		rec := t.arrow(memory.DefaultAllocator)
		defer rec.Release()
		var buf bytes.Buffer
		if err := query.WriteIPCStream(&buf, rec); err != nil {
			h.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", Arrow)
		w.Write(buf.Bytes())
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"internal error encoding the response"}`)
	}
	w.Header().Set("Content-Type", JSON)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// Error is the body of every error response.
type Error struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, Error{Error: msg})
}

// Float is a number that encodes NaN and infinities as JSON null.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', floatDigits, 64), nil
}

// floatDigits is the significant digits of a number in JSON and CSV:
// enough for any value a decoder stored (a decimal of 15 digits or fewer
// comes back exactly), few enough that a sum's last-bit noise does not
// show (0.3445, not 0.34450000000000003).
const floatDigits = 15

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', floatDigits, 64) }

// fmtTimeMs formats a read's time, which the lake keeps to the millisecond.
func fmtTimeMs(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.999Z07:00")
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}
