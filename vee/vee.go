package vee

import (
	"math"
	"time"
)

// Options configure Estimate; nil means the defaults of every field.
type Options struct {
	// MaxLinear is the longest gap filled by linear interpolation
	// between the actual reads around it; 0 means 2 hours.
	MaxLinear time.Duration
	// MaxGap is the longest gap filled at all; 0 means 7 days. Longer gaps
	// are left missing.
	MaxGap time.Duration
	// Weeks is the number of previous weeks whose same interval of the
	// week gives the like-day value; 0 means 4.
	Weeks int
	// Location is the time zone whose wall clock defines "the same
	// interval of the week" (a household's 18:00 stays 18:00 across a
	// change of daylight saving time); nil means UTC.
	Location *time.Location
}

// The defaults of Options.
const (
	DefaultMaxLinear = 2 * time.Hour
	DefaultMaxGap    = 7 * 24 * time.Hour
	DefaultWeeks     = 4
)

func (o *Options) withDefaults() Options {
	var d Options
	if o != nil {
		d = *o
	}
	if d.MaxLinear <= 0 {
		d.MaxLinear = DefaultMaxLinear
	}
	if d.MaxGap <= 0 {
		d.MaxGap = DefaultMaxGap
	}
	if d.Weeks <= 0 {
		d.Weeks = DefaultWeeks
	}
	if d.Location == nil {
		d.Location = time.UTC
	}
	return d
}

// History is how far before the first interval to estimate Estimate looks:
// the like-day weeks, plus an hour, because "the same time of the week"
// is the same wall-clock time in Location, and a week that holds the day
// daylight saving time ends is 169 hours long (without it, a day after
// that change had three weeks of history instead of four when queried
// alone, and four inside a longer range: review 17).
func (o *Options) History() time.Duration {
	return time.Duration(o.withDefaults().Weeks)*7*24*time.Hour + time.Hour
}

// Method says how a value was obtained.
type Method uint8

// The methods.
const (
	// Actual is a read, not an estimate.
	Actual Method = iota
	// Missing is a gap left unfilled: before the series' first actual
	// value or after its last, longer than MaxGap, or without like-day
	// history.
	Missing
	// Linear is interpolated between the actual reads around its gap.
	Linear
	// LikeDay is the mean of the same interval of the previous weeks.
	LikeDay
)

func (m Method) String() string {
	switch m {
	case Actual:
		return "actual"
	case Missing:
		return "missing"
	case Linear:
		return "linear"
	case LikeDay:
		return "like-day"
	}
	return "unknown"
}

// Estimate fills the missing (NaN) values of v[from:] in place and
// returns how each value of v[from:] was obtained. v is one meter's
// regular series of interval values (kW or kWh per interval), v[i] the
// interval at start + i*step; v[:from] is history, read for the like-day
// values and the reads around a gap but not filled (and values after the
// intervals of interest may follow, to close a gap). Estimates are
// computed from actual values only, so the result does not depend on the
// order gaps are filled in.
func Estimate(v []float64, from int, start time.Time, step time.Duration, opts *Options) []Method {
	o := opts.withDefaults()
	from = max(from, 0)
	out := make([]Method, max(len(v)-from, 0))
	if step <= 0 || len(out) == 0 {
		return out
	}
	actual := make([]bool, len(v))
	for i, x := range v {
		actual[i] = !math.IsNaN(x) && !math.IsInf(x, 0)
	}
	maxLinear := int(o.MaxLinear / step)
	maxGap := int(o.MaxGap / step)
	likeDay := func(i int) (float64, bool) {
		sum, n := 0.0, 0
		t := start.Add(time.Duration(i) * step).In(o.Location)
		for w := 1; w <= o.Weeks; w++ {
			// The same wall-clock time w weeks before: 168 hours, or one
			// more or less across a change of daylight saving time.
			back := t.AddDate(0, 0, -7*w).Sub(start)
			if back < 0 || back%step != 0 {
				continue
			}
			if j := int(back / step); actual[j] {
				sum += v[j]
				n++
			}
		}
		if n == 0 {
			return 0, false
		}
		return sum / float64(n), true
	}
	for i := from; i < len(v); {
		if actual[i] {
			i++
			continue
		}
		// The gap [i, j), which may start before from.
		a := i
		for a > 0 && !actual[a-1] {
			a--
		}
		j := i
		for j < len(v) && !actual[j] {
			j++
		}
		g := j - a
		switch {
		case a == 0 || j == len(v) || g > maxGap:
			// Before the first read or after the last there is nothing
			// to estimate (a meter not installed yet, reads not arrived
			// yet), and a long gap is an outage, not consumption.
			for k := i; k < j; k++ {
				out[k-from] = Missing
			}
		case g <= maxLinear:
			left, right := v[a-1], v[j]
			for k := i; k < j; k++ {
				v[k] = left + (right-left)*float64(k-a+1)/float64(g+1)
				out[k-from] = Linear
			}
		default:
			for k := i; k < j; k++ {
				if x, ok := likeDay(k); ok {
					v[k] = x
					out[k-from] = LikeDay
				} else {
					out[k-from] = Missing
				}
			}
		}
		i = j
	}
	return out
}
