package forecast

import (
	"math"
	"testing"
	"time"
)

func TestWallStep(t *testing.T) {
	from, to := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for zone, want := range map[string]time.Duration{
		"UTC": time.Hour, "Australia/Sydney": time.Hour, "America/New_York": time.Hour,
		"Australia/Adelaide": 30 * time.Minute, "Asia/Kolkata": 30 * time.Minute, "Australia/Lord_Howe": 30 * time.Minute,
		"Asia/Kathmandu": 15 * time.Minute,
	} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Skipf("no tzdata: %v", err)
		}
		if got, err := wallStep(loc, from, to); err != nil || got != want {
			t.Errorf("%s: %v, %v; want %v", zone, got, err, want)
		}
	}
}

// TestWallClockEnergy: on New York's wall clock, the hour repeated on
// 2024-11-03 holds the energy of both, the hour skipped on 2024-03-10
// holds zero between read hours and NaN next to a missing one.
func TestWallClockEnergy(t *testing.T) {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	for _, tc := range []struct {
		name    string
		day     time.Time // wall midnight
		missing int       // grid cell without a read, -1 for none
		want    float64   // the wall day's energy; NaN if a slot is NaN
	}{
		{"fall back", time.Date(2024, 11, 3, 0, 0, 0, 0, time.UTC), -1, 25},
		{"spring forward", time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), -1, 23},
		{"spring forward, read missing before the gap", time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), 1, math.NaN()},
	} {
		gridStart := instantOf(tc.day, loc)
		cells := 26
		vals := make([]float64, cells)
		for i := range vals {
			vals[i] = 1
		}
		if tc.missing >= 0 {
			vals[tc.missing] = math.NaN()
		}
		w := newWallClock(loc, gridStart, time.Hour, cells, tc.day, 26)
		got := w.energy(vals, nil)
		var sum float64
		nan := false
		for _, v := range got[:24] {
			if math.IsNaN(v) {
				nan = true
				continue
			}
			sum += v
		}
		switch {
		case math.IsNaN(tc.want) && !(nan && math.IsNaN(got[2])):
			t.Errorf("%s: slot 2 = %v, want NaN next to the missing read (%v)", tc.name, got[2], got[:4])
		case !math.IsNaN(tc.want) && (nan || sum != tc.want):
			t.Errorf("%s: wall day %v (NaN %v), want %v: %v", tc.name, sum, nan, tc.want, got[:4])
		}
	}
}

// TestInstantOf: a repeated wall time is its first instant and a skipped
// one the end of the gap, east and west of UTC and at midnight.
func TestInstantOf(t *testing.T) {
	for _, tc := range []struct {
		zone string
		wall string // RFC 3339 without offset: the wall clock
		want string // the instant, UTC
	}{
		{"America/New_York", "2024-03-10T02:00:00", "2024-03-10T07:00:00Z"}, // skipped: 03:00 EDT
		{"America/New_York", "2024-03-10T01:00:00", "2024-03-10T06:00:00Z"},
		{"America/New_York", "2024-03-10T03:00:00", "2024-03-10T07:00:00Z"},
		{"America/New_York", "2024-11-03T01:00:00", "2024-11-03T05:00:00Z"}, // repeated: the EDT one
		{"America/New_York", "2024-11-03T02:00:00", "2024-11-03T07:00:00Z"},
		{"Europe/Berlin", "2024-10-27T02:00:00", "2024-10-27T00:00:00Z"}, // repeated: the CEST one
		{"Europe/Berlin", "2024-10-27T03:00:00", "2024-10-27T02:00:00Z"},
		{"Europe/Berlin", "2024-03-31T02:00:00", "2024-03-31T01:00:00Z"},    // skipped: 03:00 CEST
		{"Australia/Sydney", "2024-04-07T02:00:00", "2024-04-06T15:00:00Z"}, // repeated: the AEDT one
		{"Australia/Sydney", "2024-10-06T02:00:00", "2024-10-05T16:00:00Z"}, // skipped: 03:00 AEDT
		{"America/Santiago", "2024-09-08T00:00:00", "2024-09-08T04:00:00Z"}, // skipped midnight: 01:00 -03
		{"America/Santiago", "2024-04-06T23:00:00", "2024-04-07T02:00:00Z"}, // repeated: the -03 one
		{"UTC", "2024-03-10T02:00:00", "2024-03-10T02:00:00Z"},
	} {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Skipf("no tzdata: %v", err)
		}
		w, _ := time.Parse("2006-01-02T15:04:05", tc.wall)
		want, _ := time.Parse(time.RFC3339, tc.want)
		if got := instantOf(w, loc); !got.Equal(want) {
			t.Errorf("%s %s: %v, want %v", tc.zone, tc.wall, got.UTC(), want)
		}
	}
}
