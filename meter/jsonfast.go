package meter

import (
	"bytes"
	"math"
	"time"
	"unicode/utf8"
)

// The JSON lines fast path. encoding/json costs some microseconds and
// fourteen allocations a record; the common line is one object (or several,
// aggregated) whose known fields are plain strings and numbers, which a
// scan of the bytes decodes without allocating but for a meter id (or a
// reading_source) not met before; the values of unknown keys are checked
// and skipped. The fast path accepts a line only if it is sure that
// encoding/json (lineJSON) reads the same reads from it, and declines
// anything else, which then takes lineJSON:
//
//   - a key with an escape or a non-ASCII byte, a key that differs only in
//     case from a known one (encoding/json matches keys case-insensitively),
//     a known key twice (the last one would win);
//   - a known field's string with an escape or invalid UTF-8 (encoding/json
//     would unescape or replace it), a known field of the wrong JSON type;
//   - a line that is not a sequence of objects separated by JSON white
//     space, or any JSON syntax error;
//   - an unknown key's value nested deeper than maxSkipDepth;
//   - a record that reading would reject (the error is lineJSON's to make),
//     and a time with an offset that is not in the strict RFC 3339 form
//     (no more than nine digits of fraction, a "±hh:mm" offset of at most
//     23:59), which parseJSONTime leaves to time.Parse's lenient parser.
//
// FuzzJSONLinesFastPath checks the fast path against lineJSON.

// jsonFields is one object as the fast path finds it: slices of the line,
// a string's without its quotes, reading_value's raw when a number.
type jsonFields struct {
	meterID, typ, value, time, source, arrival, quality, unit []byte
	seen                                                      uint8 // the known keys met
	quoted                                                    bool  // reading_value was a string
	hasSource                                                 bool  // reading_source was a string
}

// The known keys, as bits of jsonFields.seen.
const (
	keyMeterID uint8 = 1 << iota
	keyType
	keyValue
	keyTime
	keySource
	keyArrival
	keyQuality
	keyUnit
)

// jsonKeys are the names of jsonRecord's fields.
var jsonKeys = [...]string{"meter_id", "reading_type", "reading_value", "reading_date_time", "reading_source", "arrival_time", "quality", "unit"}

// maxSkipDepth bounds the nesting of an unknown key's value the fast path
// skips.
const maxSkipDepth = 32

// fastLine appends the reads of a line of one or more flat objects, or
// returns dst and false if the line is not one it is sure of.
func (d *jsonLinesDecoder) fastLine(dst []Reading, line []byte) ([]Reading, bool) {
	n := len(dst)
	i := skipJSONSpace(line, 0)
	if i == len(line) {
		return dst, false
	}
	for i < len(line) {
		var f jsonFields
		if i = scanFlatObject(line, i, &f); i < 0 {
			return dst[:n], false
		}
		r, ok := d.fastReading(&f)
		if !ok {
			return dst[:n], false
		}
		dst = append(dst, r)
		i = skipJSONSpace(line, i)
	}
	return dst, true
}

// fastReading is reading for the fields of a scanned object; it returns
// false where reading would return an error.
func (d *jsonLinesDecoder) fastReading(f *jsonFields) (Reading, bool) {
	if !validMeterID(f.meterID) {
		return Reading{}, false
	}
	info, ok := d.types[string(f.typ)]
	if !ok {
		if info, ok = LookupType(Type(f.typ)); !ok {
			return Reading{}, false
		}
		if d.types == nil {
			d.types = make(map[string]TypeInfo)
		}
		d.types[string(info.Type)] = info
	}
	shift := 0
	switch {
	case len(f.unit) > 0:
		if shift, ok = unitShift(string(f.unit), info.Unit); !ok {
			return Reading{}, false
		}
	case info.Type == TypeVoltage:
		shift = d.voltShift
	}
	if f.seen&keyValue == 0 {
		return Reading{}, false
	}
	raw := f.value
	if f.quoted {
		raw = bytes.TrimSpace(raw)
	}
	v, ok := parseDecimal(raw, shift)
	if !ok || math.IsInf(v, 0) || math.IsNaN(v) {
		return Reading{}, false
	}
	t, ok := parseJSONTimeFast(f.time)
	if !ok {
		return Reading{}, false
	}
	r := Reading{Type: info.Type, Value: v, Time: t, Source: d.opts.Source, Quality: QualityActual}
	if len(f.arrival) > 0 {
		if r.Arrival, ok = parseJSONTimeFast(f.arrival); !ok {
			return Reading{}, false
		}
	}
	if f.hasSource {
		if string(f.source) != d.source {
			d.source = string(f.source)
		}
		r.Source = d.source
	}
	if len(f.quality) > 0 {
		if len(f.quality) != 1 {
			return Reading{}, false
		}
		q, err := ParseQuality(string(f.quality))
		if err != nil {
			return Reading{}, false
		}
		r.Quality = q
	}
	r.MeterID = d.intern.get(f.meterID)
	return r, true
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && isJSONSpace(b[i]) {
		i++
	}
	return i
}

// knownKey returns the bit of a known key, 0 for an unknown one, and false
// for a key that differs from a known one only in case.
func knownKey(k []byte) (uint8, bool) {
	switch string(k) {
	case "meter_id":
		return keyMeterID, true
	case "reading_type":
		return keyType, true
	case "reading_value":
		return keyValue, true
	case "reading_date_time":
		return keyTime, true
	case "reading_source":
		return keySource, true
	case "arrival_time":
		return keyArrival, true
	case "quality":
		return keyQuality, true
	case "unit":
		return keyUnit, true
	}
	for _, name := range jsonKeys {
		if len(name) == len(k) && asciiEqualFold(name, k) {
			return 0, false
		}
	}
	return 0, true
}

// asciiEqualFold reports whether ASCII s and b are equal but for case.
func asciiEqualFold(s string, b []byte) bool {
	for i := range len(s) {
		x, y := s[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// scanFlatObject scans the object at b[i] into f and returns the index
// after it, or -1 if it is not one the fast path is sure of.
func scanFlatObject(b []byte, i int, f *jsonFields) int {
	if i >= len(b) || b[i] != '{' {
		return -1
	}
	i = skipJSONSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		// The key: plain ASCII, so that it matches a field exactly or not
		// at all (encoding/json folds some non-ASCII letters to ASCII ones).
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		j := i + 1
		for j < len(b) && plainASCII[b[j]] {
			j++
		}
		if j >= len(b) || b[j] != '"' {
			return -1
		}
		key := b[i+1 : j]
		if i = skipJSONSpace(b, j+1); i >= len(b) || b[i] != ':' {
			return -1
		}
		if i = skipJSONSpace(b, i+1); i >= len(b) {
			return -1
		}
		bit, ok := knownKey(key)
		switch {
		case !ok:
			return -1
		case bit == 0:
			if i = skipJSONValue(b, i, 0); i < 0 {
				return -1
			}
		case f.seen&bit != 0:
			return -1
		default:
			f.seen |= bit
			var v []byte
			switch c := b[i]; {
			case c == '"':
				if j = scanPlainString(b, i+1); j < 0 {
					return -1
				}
				v, i = b[i+1:j], j+1
				switch bit {
				case keyValue:
					f.quoted = true
				case keySource:
					f.hasSource = true
				}
			case c == 'n':
				// null leaves a field as it is: empty, or reading_source
				// nil; reading rejects a null reading_value.
				if bit == keyValue || !bytes.HasPrefix(b[i:], []byte("null")) {
					return -1
				}
				i += 4
			case bit == keyValue && (c == '-' || '0' <= c && c <= '9'):
				if j = scanJSONNumber(b, i); j < 0 {
					return -1
				}
				v, i = b[i:j], j
			default:
				return -1
			}
			switch bit {
			case keyMeterID:
				f.meterID = v
			case keyType:
				f.typ = v
			case keyValue:
				f.value = v
			case keyTime:
				f.time = v
			case keySource:
				f.source = v
			case keyArrival:
				f.arrival = v
			case keyQuality:
				f.quality = v
			case keyUnit:
				f.unit = v
			}
		}
		if i = skipJSONSpace(b, i); i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i = skipJSONSpace(b, i+1)
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

// plainASCII holds the bytes that stand for themselves in a JSON string
// and are ASCII: not '"', '\\', a control character or >= 0x80.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanPlainString returns the index of the quote that ends the string
// whose content starts at b[i], or -1 if the content holds an escape, a
// control character or invalid UTF-8, or the string does not end.
func scanPlainString(b []byte, i int) int {
	j := i
	for j < len(b) && plainASCII[b[j]] {
		j++
	}
	if j < len(b) && b[j] == '"' {
		return j
	}
	ascii := true
	for ; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			if !ascii && !utf8.Valid(b[i:j]) {
				return -1
			}
			return j
		case c < 0x20 || c == '\\':
			return -1
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return -1
}

// scanJSONNumber returns the index after the JSON number at b[i], or -1.
func scanJSONNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// skipJSONValue returns the index after the JSON value at b[i], or -1 if
// it is not valid JSON or is nested too deep.
func skipJSONValue(b []byte, i, depth int) int {
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '"':
		return skipJSONString(b, i+1)
	case c == '-' || '0' <= c && c <= '9':
		return scanJSONNumber(b, i)
	case c == 't':
		return skipLiteral(b, i, "true")
	case c == 'f':
		return skipLiteral(b, i, "false")
	case c == 'n':
		return skipLiteral(b, i, "null")
	case c == '{' || c == '[':
		if depth >= maxSkipDepth {
			return -1
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		i = skipJSONSpace(b, i+1)
		if i < len(b) && b[i] == end {
			return i + 1
		}
		for {
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return -1
				}
				if i = skipJSONString(b, i+1); i < 0 {
					return -1
				}
				if i = skipJSONSpace(b, i); i >= len(b) || b[i] != ':' {
					return -1
				}
				i = skipJSONSpace(b, i+1)
			}
			if i = skipJSONValue(b, i, depth+1); i < 0 {
				return -1
			}
			if i = skipJSONSpace(b, i); i >= len(b) {
				return -1
			}
			switch b[i] {
			case ',':
				i = skipJSONSpace(b, i+1)
			case end:
				return i + 1
			default:
				return -1
			}
		}
	}
	return -1
}

// skipJSONString returns the index after the string whose content starts
// at b[i], or -1 if it has a bad escape or control character or does not
// end. Its content does not matter, so any other bytes are allowed, as
// encoding/json allows them.
func skipJSONString(b []byte, i int) int {
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c == '\\':
			i++
			if i >= len(b) {
				return -1
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+4 >= len(b) {
					return -1
				}
				for _, h := range b[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return -1
					}
				}
				i += 5
			default:
				return -1
			}
		default:
			i++
		}
	}
	return -1
}

func skipLiteral(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// parseJSONTimeFast is parseJSONTime of a time in a byte slice, without
// allocating; it returns false where parseJSONTime would, and also for an
// offset time that is not in the strict RFC 3339 form time.Parse reads
// first (parseJSONTime's answer to such a time is left to it).
func parseJSONTimeFast(b []byte) (time.Time, bool) {
	if len(b) < 19 {
		return time.Time{}, false
	}
	switch b[10] {
	case 'T', 't', ' ':
	default:
		return time.Time{}, false
	}
	var ms int64
	if last := b[len(b)-1]; last == 'Z' || last == 'z' || hasSign(b[19:]) {
		var ok bool
		if ms, ok = parseRFC3339Millis(b); !ok {
			return time.Time{}, false
		}
	} else {
		// parseHESTime reads at most 27 bytes and wants a space at 10.
		var buf [27]byte
		if len(b) > len(buf) {
			return time.Time{}, false
		}
		n := copy(buf[:], b)
		buf[10] = ' '
		var ok bool
		if ms, ok = parseHESTime(buf[:n]); !ok {
			return time.Time{}, false
		}
	}
	t := time.UnixMilli(ms).UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, false
	}
	return t, true
}

// hasSign is bytes.ContainsAny(b, "+-").
func hasSign(b []byte) bool {
	for _, c := range b {
		if c == '+' || c == '-' {
			return true
		}
	}
	return false
}

// parseRFC3339Millis reads "yyyy-MM-ddTHH:mm:ss[.f{1,9}]" followed by "Z"
// or "±hh:mm" (the 'T' may also be 't' or ' ', the 'Z' 'z') to the
// millisecond since the Unix epoch, rounded down, as time.Parse's RFC 3339
// fast path does; it returns false for anything else.
func parseRFC3339Millis(b []byte) (int64, bool) {
	if b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	year, ok1 := digitsN(b[0:4])
	month, ok2 := digitsN(b[5:7])
	day, ok3 := digitsN(b[8:10])
	hour, ok4 := digitsN(b[11:13])
	minute, ok5 := digitsN(b[14:16])
	sec, ok6 := digitsN(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return 0, false
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	s := b[19:]
	nsec := 0
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		n := skipDigits(s, 1)
		if n > 10 {
			return 0, false
		}
		nsec, _ = digitsN(s[1:n])
		for range 10 - n {
			nsec *= 10
		}
		s = s[n:]
	}
	offset := 0
	switch {
	case len(s) == 1 && (s[0] == 'Z' || s[0] == 'z'):
	case len(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':':
		hh, ok1 := digitsN(s[1:3])
		mm, ok2 := digitsN(s[4:6])
		if !ok1 || !ok2 || hh > 23 || mm > 59 {
			return 0, false
		}
		offset = (hh*60 + mm) * 60
		if s[0] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	days := daysFromCivil(year, month, day)
	secs := ((days*24+int64(hour))*60+int64(minute))*60 + int64(sec) - int64(offset)
	return secs*1000 + int64(nsec/1e6), true
}
