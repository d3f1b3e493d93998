package query

import (
	"fmt"
	"time"

	"github.com/openmda/mda/meter"
)

// Period is the length of the buckets that aggregates are grouped by.
type Period int

// Periods.
const (
	Hour Period = iota + 1
	Day
	Month
	// Week is the ISO week: seven days from a Monday's local midnight.
	Week
)

// String returns "hour", "day", "week" or "month".
func (p Period) String() string {
	switch p {
	case Hour:
		return "hour"
	case Day:
		return "day"
	case Week:
		return "week"
	case Month:
		return "month"
	}
	return fmt.Sprintf("Period(%d)", int(p))
}

// ParsePeriod parses "hour", "day", "week" or "month".
func ParsePeriod(s string) (Period, error) {
	switch s {
	case "hour":
		return Hour, nil
	case "day":
		return Day, nil
	case "week":
		return Week, nil
	case "month":
		return Month, nil
	}
	return 0, fmt.Errorf("query: unknown period %q (want hour, day, week or month)", s)
}

// Bucket returns the period of loc that holds the instant t: its start and
// end, [start, end). Hours follow the UTC offset in force at t, so that
// zones with half-hour offsets and daylight-saving changes give 60-minute
// buckets that never merge two hours; days, weeks (from Monday) and months
// start at local midnight.
func (p Period) Bucket(t time.Time, loc *time.Location) (start, end time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	switch p {
	case Hour:
		_, off := lt.Zone()
		d := time.Duration(off) * time.Second
		start = t.Add(d).Truncate(time.Hour).Add(-d)
		end = start.Add(time.Hour)
		// An offset change of part of an hour (Lord Howe) cuts the hour.
		if zs, ze := lt.ZoneBounds(); !zs.IsZero() && start.Before(zs) {
			start = zs
		} else if !ze.IsZero() && end.After(ze) {
			end = ze
		}
		return start.In(loc), end.In(loc)
	case Day:
		y, m, d := lt.Date()
		return meter.StartOfDay(y, m, d, loc), meter.StartOfDay(y, m, d+1, loc)
	case Week:
		y, m, d := lt.Date()
		d -= (int(lt.Weekday()) + 6) % 7 // back to Monday
		return meter.StartOfDay(y, m, d, loc), meter.StartOfDay(y, m, d+7, loc)
	case Month:
		y, m, _ := lt.Date()
		return meter.StartOfDay(y, m, 1, loc), meter.StartOfDay(y, m+1, 1, loc)
	}
	panic(fmt.Sprintf("query: invalid %v", p))
}

// valid reports whether p is one of the defined periods.
func (p Period) valid() bool { return p >= Hour && p <= Week }
