package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query"
)

// paramError is a bad request parameter: 400.
type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

func badParam(format string, args ...any) error {
	return &paramError{fmt.Sprintf(format, args...)}
}

// ValidMeterID reports whether id is a meter id the API accepts: any the
// lake can hold (meter.ValidMeterID: 1 to 128 bytes of visible ASCII),
// other than "." and "..". Ids with '/', '?' or '#' are written
// percent-encoded in the path (m%2F1). A meter id only ever selects reads:
// it never becomes part of a key in the lake.
func ValidMeterID(id string) bool {
	return meter.ValidMeterID(id) && id != "." && id != ".."
}

// meterID returns the validated meter id of the path.
func meterID(r *http.Request) (string, error) {
	id := r.PathValue("meter_id")
	if !ValidMeterID(id) {
		return "", badParam("invalid meter id %q: want 1 to 128 bytes of visible ASCII (percent-encoded in the path)", id)
	}
	return id, nil
}

// checkParams rejects parameters other than allowed (and format), and
// repeated ones.
func checkParams(q url.Values, allowed ...string) error {
	for k, v := range q {
		if k != "format" && !slices.Contains(allowed, k) {
			if len(allowed) == 0 {
				return badParam("unknown parameter %q: this route takes none", k)
			}
			return badParam("unknown parameter %q: want %s", k, strings.Join(allowed, ", "))
		}
		if len(v) > 1 {
			return badParam("parameter %q given %d times", k, len(v))
		}
	}
	return nil
}

// dateRange parses reading_date_from and reading_date_to (yyyyMMdd, both
// required, both inclusive) into [from, to) in loc, at most maxDays long.
func dateRange(q url.Values, loc *time.Location, maxDays int) (from, to time.Time, err error) {
	return localDays(q, loc, maxDays, "reading_date_from", "reading_date_to", []string{"20060102"}, "yyyyMMdd")
}

// Years a date parameter may name: a lake's times fit in them, and the day
// after the last one still encodes as JSON.
const minYear, maxYear = 1000, 9998

// localDays parses two inclusive dates, named fromName and toName, in one
// of layouts, into the instants [from, to) in loc that start the first day
// and end the last: local midnights, or the end of the clock change that
// skips one (Santiago's spring days start at 01:00).
func localDays(q url.Values, loc *time.Location, maxDays int, fromName, toName string, layouts []string, want string) (from, to time.Time, err error) {
	parse := func(name string) (time.Time, error) {
		s := q.Get(name)
		if s == "" {
			return time.Time{}, badParam("%s is required (%s)", name, want)
		}
		for _, layout := range layouts {
			if len(s) != len(layout) {
				continue
			}
			d, err := time.Parse(layout, s) // a civil date
			if err != nil || d.Year() < minYear || d.Year() > maxYear {
				return time.Time{}, badParam("%s %q: not a date %s of the years %d to %d", name, s, want, minYear, maxYear)
			}
			return d, nil
		}
		return time.Time{}, badParam("%s %q: want %s", name, s, want)
	}
	first, err := parse(fromName)
	if err != nil {
		return
	}
	last, err := parse(toName)
	if err != nil {
		return
	}
	if last.Before(first) {
		return from, to, badParam("%s %s is before %s %s", toName, q.Get(toName), fromName, q.Get(fromName))
	}
	if days := int(last.Sub(first)/(24*time.Hour)) + 1; days > maxDays {
		return from, to, badParam("range of %d days exceeds the limit of %d", days, maxDays)
	}
	from = meter.StartOfDay(first.Year(), first.Month(), first.Day(), loc)
	to = meter.StartOfDay(last.Year(), last.Month(), last.Day()+1, loc)
	return from, to, nil
}

// period parses the period parameter, hour if absent.
func period(q url.Values, allowed ...query.Period) (query.Period, error) {
	s := q.Get("period")
	if s == "" {
		return query.Hour, nil
	}
	p, err := query.ParsePeriod(s)
	if err != nil || !slices.Contains(allowed, p) {
		names := make([]string, len(allowed))
		for i, a := range allowed {
			names[i] = a.String()
		}
		return 0, badParam("period %q: want %s", s, strings.Join(names, ", "))
	}
	return p, nil
}

// validModel checks a model name: 1 to 64 bytes of [A-Za-z0-9._-], not
// starting with '.'. It becomes part of a key in the lake.
func validModel(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '.' {
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

func model(q url.Values) (string, error) {
	m := q.Get("model")
	if m != "" && !validModel(m) {
		return "", badParam("invalid model %q: want 1 to 64 characters of A-Z a-z 0-9 . _ -", m)
	}
	return m, nil
}

// year parses a 4-digit year.
func year(q url.Values) (int, error) {
	s := q.Get("year")
	if s == "" {
		return 0, badParam("year is required (yyyy)")
	}
	y, err := strconv.Atoi(s)
	if len(s) != 4 || err != nil || y < minYear || y > maxYear {
		return 0, badParam("year %q: want yyyy, from %d to %d", s, minYear, maxYear)
	}
	return y, nil
}
