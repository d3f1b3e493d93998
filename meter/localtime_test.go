package meter_test

import (
	"testing"
	"time"

	"github.com/openmda/mda/meter"
)

// TestStartOfDay: the first instant of every local day 2010-2026 in zones
// whose clock changes skip midnight (Santiago, Beirut, Cairo, Havana,
// Azores), repeat it (Amman, Gaza, Chita) and in others: it falls on that
// date, and the instant before it on the date before.
func TestStartOfDay(t *testing.T) {
	for _, zone := range []string{"America/Santiago", "Asia/Beirut", "Africa/Cairo", "America/Havana", "Atlantic/Azores",
		"Asia/Amman", "Asia/Gaza", "Asia/Chita", "Asia/Magadan",
		"Australia/Sydney", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"} {
		loc := mustLoad(t, zone)
		for d := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2027; d = d.AddDate(0, 0, 1) {
			s := meter.StartOfDay(d.Year(), d.Month(), d.Day(), loc)
			y, m, dd := s.In(loc).Date()
			py, pm, pd := s.Add(-time.Millisecond).In(loc).Date()
			prev := d.AddDate(0, 0, -1)
			if y != d.Year() || m != d.Month() || dd != d.Day() || py != prev.Year() || pm != prev.Month() || pd != prev.Day() {
				t.Fatalf("%s %s: %v (%v)", zone, d.Format("2006-01-02"), s, s.In(loc))
			}
		}
	}
}
