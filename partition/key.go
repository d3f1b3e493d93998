package partition

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/openmda/mda/meter"
)

// Prefix is the key prefix of the lake's integrated readings table.
const Prefix = "readings/"

// Key identifies a partition: one reading type, one UTC hour.
//
// Hour is the start of the hour in UTC, truncated to the hour (as KeyOf and
// ParseKey return it), so that Keys compare with == and work as map keys.
type Key struct {
	Type meter.Type
	Hour time.Time
}

// KeyOf returns the partition of r: its type and the UTC hour of its time.
func KeyOf(r meter.Reading) Key {
	return Key{Type: r.Type, Hour: r.Time.UTC().Truncate(time.Hour)}
}

// Path returns the partition's directory, with its trailing slash, e.g.
// "readings/reading_type=kw/year=2024/month=03/day=01/hour=10/".
func (k Key) Path() string {
	t := k.Hour.UTC()
	y, m, d := t.Date()
	b := make([]byte, 0, len(Prefix)+len(k.Type)+56)
	b = append(b, Prefix...)
	b = append(b, "reading_type="...)
	b = append(b, k.Type...)
	b = append(b, "/year="...)
	b = appendPadded(b, y, 4)
	b = append(b, "/month="...)
	b = appendPadded(b, int(m), 2)
	b = append(b, "/day="...)
	b = appendPadded(b, d, 2)
	b = append(b, "/hour="...)
	b = appendPadded(b, t.Hour(), 2)
	return string(append(b, '/'))
}

// String returns the partition's path.
func (k Key) String() string { return k.Path() }

// Compare orders keys by type name and then hour, which is also the order of
// their paths. It returns -1, 0 or +1.
func (k Key) Compare(o Key) int {
	if c := cmp.Compare(k.Type, o.Type); c != 0 {
		return c
	}
	return k.Hour.Compare(o.Hour)
}

// Valid reports whether k can name a partition: a valid type name and an
// hour in years 1 to 9999 that is UTC and truncated to the hour.
func (k Key) Valid() error {
	if !meter.ValidTypeName(string(k.Type)) {
		return fmt.Errorf("partition: invalid reading type %q", k.Type)
	}
	if k.Hour.Location() != time.UTC || !k.Hour.Equal(k.Hour.Truncate(time.Hour)) {
		return fmt.Errorf("partition: key hour %v is not a UTC hour", k.Hour)
	}
	if y := k.Hour.Year(); y < 1 || y > 9999 {
		return fmt.Errorf("partition: key hour %v: year out of range", k.Hour)
	}
	return nil
}

func appendPadded(b []byte, v, width int) []byte {
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], int64(v), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// ErrBadPath is matched (with errors.Is) by every *PathError.
var ErrBadPath = errors.New("partition: bad path")

// PathError reports a path that does not name a partition or a file in one.
type PathError struct {
	// Path is the offending path.
	Path string
	// Reason says what is wrong with it.
	Reason string
}

func (e *PathError) Error() string {
	return fmt.Sprintf("partition: bad path %q: %s", e.Path, e.Reason)
}

// Is reports whether target is ErrBadPath.
func (e *PathError) Is(target error) bool { return target == ErrBadPath }

// ParseKey parses a partition directory, with or without its trailing slash
// ("readings/reading_type=kw/year=2024/month=03/day=01/hour=10/"), or the
// path of a file in one (".../hour=10/part.parquet"). It is strict: the
// prefix, the order of the levels, the zero padding (4 digits for the year,
// 2 for the others) and the ranges (a day that exists in its month, hours 00
// to 23) must be exact, the type name must satisfy meter.ValidTypeName, and
// a file name must be a plain name of [A-Za-z0-9._-] other than "." and "..".
// Errors are *PathError.
func ParseKey(path string) (Key, error) {
	bad := func(format string, args ...any) (Key, error) {
		return Key{}, &PathError{Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	rest, ok := strings.CutPrefix(path, Prefix)
	if !ok {
		return bad("does not start with %q", Prefix)
	}
	segs := strings.Split(rest, "/")
	if len(segs) < 5 {
		return bad("want 5 partition levels, got %d", len(segs))
	}
	switch len(segs) {
	case 5: // directory without a trailing slash
	case 6:
		if name := segs[5]; name != "" && !validFileName(name) {
			return bad("invalid file name %q", name)
		}
	default:
		return bad("too many levels")
	}
	typ, ok := strings.CutPrefix(segs[0], "reading_type=")
	if !ok {
		return bad("level 1 is %q, want reading_type=", segs[0])
	}
	if !meter.ValidTypeName(typ) {
		return bad("invalid reading type %q", typ)
	}
	var v [4]int
	for i, l := range [...]struct {
		name     string
		digits   int
		min, max int
	}{{"year", 4, 1, 9999}, {"month", 2, 1, 12}, {"day", 2, 1, 31}, {"hour", 2, 0, 23}} {
		s, ok := strings.CutPrefix(segs[1+i], l.name+"=")
		if !ok {
			return bad("level %d is %q, want %s=", 2+i, segs[1+i], l.name)
		}
		n, ok := parseDigits(s, l.digits)
		if !ok {
			return bad("%s %q is not %d digits", l.name, s, l.digits)
		}
		if n < l.min || n > l.max {
			return bad("%s %s out of range", l.name, s)
		}
		v[i] = n
	}
	hour := time.Date(v[0], time.Month(v[1]), v[2], v[3], 0, 0, 0, time.UTC)
	if hour.Day() != v[2] {
		return bad("day %02d does not exist in %04d-%02d", v[2], v[0], v[1])
	}
	return Key{Type: meter.Type(typ), Hour: hour}, nil
}

// parseDigits parses exactly width decimal digits.
func parseDigits(s string, width int) (int, bool) {
	if len(s) != width {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// validFileName accepts 1 to 255 bytes of [A-Za-z0-9._-], other than "."
// and "..".
func validFileName(s string) bool {
	if len(s) == 0 || len(s) > 255 || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validStem checks a name given to WriteFile or NewWriter: a safe file name
// that query engines do not treat as hidden (Hive, Spark and Athena skip
// files whose names start with '.' or '_').
func validStem(name string) error {
	if !validFileName(name) || len(name) > 200 {
		return fmt.Errorf("partition: invalid file name %q: want 1 to 200 bytes of [A-Za-z0-9._-]", name)
	}
	if name[0] == '.' || name[0] == '_' {
		return fmt.Errorf("partition: invalid file name %q: names starting with '.' or '_' are hidden from query engines", name)
	}
	return nil
}
