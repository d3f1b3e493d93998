package meter

import (
	"errors"
	"math"
	"time"
)

// ErrNonexistentTime reports a wall-clock time that a daylight-saving change
// skips (e.g. 01:30 on the day Europe/London springs forward): no instant
// has it, so a read stamped with it is wrong or in another time zone. Parse
// errors for such times wrap both ErrTimestamp and ErrNonexistentTime.
var ErrNonexistentTime = errors.New("wall-clock time skipped by a daylight-saving change")

// WallClock turns local wall-clock times of one or more series (meters)
// into instants. Unlike time.Date, which picks one of the two instants of a
// repeated wall time arbitrarily, it resolves the fall-back hour by order:
// within a series, once a wall time has been seen at its first (summer)
// instant, a repeat of it is the second (winter) instant. A sorted series of
// half-hourly reads stamped 01:00, 01:30, 01:00, 01:30 on the day
// Europe/London falls back therefore maps to four distinct instants, instead
// of two pairs of duplicates that de-duplication would silently merge.
//
// This needs each series in time order; a series whose first read falls in
// the repeated hour, or that lacks the first occurrence, resolves to the
// first instant, which is the best guess the wall time allows. Series may be
// interleaved: the last instant is kept per series.
//
// A WallClock is not safe for concurrent use. Most wall times are resolved
// by one comparison against the current zone period, without allocating.
type WallClock struct {
	loc *time.Location
	// lo, hi bound instants (Unix ms) at least two days away from any zone
	// transition of the cached period, whose offset is off: there a wall
	// time has exactly one instant.
	lo, hi, off int64
	// cur and curLast are the series resolved most recently and its last
	// instant; last holds the other series' last instants.
	cur     string
	curLast int64
	curSet  bool
	last    map[string]int64
}

// NewWallClock returns a WallClock for loc; nil means UTC.
func NewWallClock(loc *time.Location) *WallClock {
	if loc == nil {
		loc = time.UTC
	}
	return &WallClock{loc: loc}
}

// Location returns the clock's time zone.
func (c *WallClock) Location() *time.Location { return c.loc }

// Instant returns the instant of wall, a wall-clock reading of series in
// the clock's location. Only the date and clock fields of wall are used; its
// own Location is ignored (parse wall times in UTC). The result is UTC,
// truncated to milliseconds. A time skipped by a DST change is an error
// wrapping ErrNonexistentTime.
func (c *WallClock) Instant(series string, wall time.Time) (time.Time, error) {
	ms, err := c.resolve(series, wallFromTime(wall))
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(ms).UTC(), nil
}

// Reset forgets the series' history, e.g. at the start of a new file.
func (c *WallClock) Reset() {
	c.cur, c.curSet = "", false
	clear(c.last)
}

const dayMS = 86400000

// resolve maps a wall time, as milliseconds since 1970-01-01 00:00 of the
// wall clock, to Unix milliseconds.
func (c *WallClock) resolve(series string, wms int64) (int64, error) {
	if c.cur != series || !c.curSet {
		c.switchSeries(series)
	}
	if t := wms - c.off; c.lo < c.hi && t >= c.lo && t < c.hi {
		c.curLast, c.curSet = t, true
		return t, nil
	}
	var cands [2]int64
	n := 0
	for _, probe := range [2]int64{wms - 2*dayMS, wms + 2*dayMS} {
		off := c.offsetAt(probe)
		t := wms - off
		if c.offsetAt(t) != off || (n == 1 && cands[0] == t) {
			continue
		}
		cands[n] = t
		n++
	}
	switch n {
	case 0:
		return 0, ErrNonexistentTime
	case 2:
		if cands[1] < cands[0] {
			cands[0], cands[1] = cands[1], cands[0]
		}
		t := cands[0]
		if c.curSet && c.curLast >= cands[0] {
			t = cands[1]
		}
		c.curLast, c.curSet = t, true
		return t, nil
	}
	t := cands[0]
	c.cache(t)
	c.curLast, c.curSet = t, true
	return t, nil
}

func (c *WallClock) switchSeries(series string) {
	if c.curSet {
		if c.last == nil {
			c.last = make(map[string]int64)
		}
		if len(c.last) >= maxInterned {
			clear(c.last)
		}
		c.last[c.cur] = c.curLast
	}
	c.cur = series
	c.curLast, c.curSet = c.last[series]
}

// offsetAt returns the zone offset in ms at Unix ms t.
func (c *WallClock) offsetAt(t int64) int64 {
	_, off := time.UnixMilli(t).In(c.loc).Zone()
	return int64(off) * 1000
}

// cache remembers the zone period around instant t, shrunk by two days at
// each end, where a wall time has a single instant.
func (c *WallClock) cache(t int64) {
	tt := time.UnixMilli(t).In(c.loc)
	_, off := tt.Zone()
	start, end := tt.ZoneBounds()
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !start.IsZero() {
		lo = start.UnixMilli() + 2*dayMS
	}
	if !end.IsZero() {
		hi = end.UnixMilli() - 2*dayMS
	}
	c.lo, c.hi, c.off = lo, hi, int64(off)*1000
}

// localMidnight returns the Unix ms of the start of a civil day in the
// clock's location. Days are the unit of NEM12, D0275 and wide CSV rows,
// whose intervals are then counted in elapsed time from that instant, so a
// 25-hour day simply has more intervals and no wall time is repeated.
func (c *WallClock) localMidnight(y, m, d int) int64 {
	wms := daysFromCivil(y, m, d) * dayMS
	// When midnight is skipped (a few zones change at 00:00), the day
	// starts at the first instant after the gap: the zone transition. When
	// it is repeated (zones east of UTC that fell back from 01:00 to 00:00,
	// Asia/Amman to 2021, Asia/Gaza), it starts at the first of the two.
	if c.lo < c.hi { // the cache keeps two days clear of any transition
		if t := wms - c.off; t >= c.lo && t < c.hi {
			return t
		}
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, c.loc)
	ty, tm, td := t.Date()
	if tday := daysFromCivil(ty, int(tm), td); t.Hour() != 0 || tday != wms/dayMS {
		// time.Date normalised a skipped midnight forward, after the
		// transition (Asia/Beirut: 01:00), or back, before it
		// (America/Santiago: 23:00 the day before; Pacific/Apia skipped
		// 2011-12-30 whole: 00:00 the day before).
		start, end := t.ZoneBounds()
		if tday < wms/dayMS {
			t = end
		} else {
			t = start
		}
	} else if start, _ := t.ZoneBounds(); !start.IsZero() {
		// A repeated midnight: time.Date may give the second; the first
		// is in the period before, if it has midnight too.
		_, prev := start.Add(-time.Millisecond).Zone()
		if e := wms - int64(prev)*1000; e < start.UnixMilli() && c.offsetAt(e) == int64(prev)*1000 {
			t = time.UnixMilli(e)
		}
	}
	c.cache(t.UnixMilli())
	return t.UnixMilli()
}

// wallFromTime converts a parsed time's date and clock fields (ignoring its
// Location) to wall milliseconds, the input of resolve.
func wallFromTime(t time.Time) int64 {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return ((daysFromCivil(y, int(mo), d)*24+int64(h))*60+int64(mi))*60000 + int64(s)*1000 + int64(t.Nanosecond()/1e6)
}

// StartOfDay returns the first instant of the local date y-m-d (normalized
// as time.Date does) in loc: its midnight, or the end of the clock change
// that skipped it.
func StartOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	want := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	ty, tm, td := t.Date()
	got := time.Date(ty, tm, td, 12, 0, 0, 0, time.UTC)
	switch {
	case got.Before(want): // normalized into the previous day
		_, end := t.ZoneBounds()
		return end
	case t.Hour() != 0 || t.Minute() != 0: // normalized later in the day
		start, _ := t.ZoneBounds()
		return start
	}
	// A repeated midnight (clocks back from 01:00 or later to 00:00):
	// time.Date may give the second; the first is in the zone period before.
	if start, _ := t.ZoneBounds(); !start.IsZero() {
		_, off := t.Zone()
		_, prev := start.Add(-time.Nanosecond).Zone()
		if e := t.Add(time.Duration(off-prev) * time.Second); e.Before(start) {
			if ey, em, ed := e.In(loc).Date(); ey == ty && em == tm && ed == td {
				return e
			}
		}
	}
	return t
}
