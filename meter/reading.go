package meter

import (
	"cmp"
	"fmt"
	"time"
)

// Reading is one read: the value of one reading type from one meter at one
// instant. It is the row of the lake's integrated table.
type Reading struct {
	// MeterID identifies the meter (in the guidance, a UUID string).
	MeterID string
	// Type is the reading type, which fixes the unit of Value.
	Type Type
	// Value is the reading in the unit of Type (see LookupType).
	Value float64
	// Time is the interval end or instant of the read, UTC, millisecond precision.
	Time time.Time
	// Source names the origin system, e.g. "B" for a head-end batch export.
	Source string
	// Arrival is when the read reached the source system. De-duplication
	// keeps the latest arrival; late handling compares it with Time.
	Arrival time.Time
	// Quality is the read's quality flag.
	Quality Quality
}

// String formats the read for logs and test failures.
func (r Reading) String() string {
	return fmt.Sprintf("%s %s %s=%g %s", r.MeterID, r.Time.UTC().Format(time.RFC3339Nano), r.Type, r.Value, r.Quality)
}

// Key is the identity of a read: the lake holds at most one read per key.
type Key struct {
	MeterID string // Reading.MeterID
	Type    Type   // Reading.Type
	// UnixMilli is Reading.Time in milliseconds since the Unix epoch.
	UnixMilli int64
}

// Key returns the read's identity.
func (r Reading) Key() Key {
	return Key{MeterID: r.MeterID, Type: r.Type, UnixMilli: r.Time.UnixMilli()}
}

// Compare orders reads by meter, time, type and then arrival, the order of
// the lake's files. It returns -1, 0 or +1 like [cmp.Compare].
func Compare(a, b Reading) int {
	if c := cmp.Compare(a.MeterID, b.MeterID); c != 0 {
		return c
	}
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Type, b.Type); c != 0 {
		return c
	}
	return a.Arrival.Compare(b.Arrival)
}

// Quality is a read's quality flag, in the NEM12 / Green Button vocabulary.
type Quality byte

// Quality flags.
const (
	QualityActual      Quality = 'A' // measured by the meter
	QualityEstimated   Quality = 'E' // estimated by the source system
	QualitySubstituted Quality = 'S' // substituted by the source system
	QualityFinal       Quality = 'F' // final substituted value
	QualityNull        Quality = 'N' // no value available
)

// String returns the one-letter code, or "" for the zero value.
func (q Quality) String() string {
	if q == 0 {
		return ""
	}
	return string(rune(q))
}

// ParseQuality parses a one-letter quality code.
func ParseQuality(s string) (Quality, error) {
	if len(s) == 1 {
		switch q := Quality(s[0]); q {
		case QualityActual, QualityEstimated, QualitySubstituted, QualityFinal, QualityNull:
			return q, nil
		}
	}
	return 0, fmt.Errorf("meter: unknown quality %q", s)
}
