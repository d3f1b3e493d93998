package query_test

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query"
	"github.com/openmda/mda/vee"
)

func kwh13Sum(t *testing.T, l *query.Lake, f query.Filter, p query.Period) float64 {
	t.Helper()
	k, _, _ := e10Sum(e10Energy(t, l, f, p))
	return k
}

func kwh13kwh(tm time.Time, v float64) meter.Reading {
	return meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: tm, Value: v}
}

// TestEnergyKWhMonthlyThenDaily: a meter whose kWh channel goes from
// monthly register reads to daily ones (an AMI upgrade), with 15-minute
// kW reads: the last monthly read (Jun 1, May's 744 kWh) covers nothing
// and is set aside, so May counts its kW reads once.
func TestEnergyKWhMonthlyThenDaily(t *testing.T) {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC)
	jun1 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	kw := every(meter.TypeKW, from, to, 15*time.Minute, 1)
	var kwh []meter.Reading
	for m := from.AddDate(0, 1, 0); !m.After(jun1); m = m.AddDate(0, 1, 0) {
		kwh = append(kwh, kwh13kwh(m, m.Sub(m.AddDate(0, -1, 0)).Hours()))
	}
	kwh = append(kwh, every(meter.TypeKWh, jun1, to, 24*time.Hour, 24)...)
	l := query.New(lakeOf(t, kw, kwh), nil)
	may1 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	may := kwh13Sum(t, l, query.Filter{From: may1, To: jun1}, query.Month)
	days := regDaySums(t, l, may1, jun1)
	if may != 744 || days != 744 {
		t.Errorf("May: month %v, sum of days %v; want 744", may, days)
	}
	// the same with weekly register reads (Mondays) then daily
	mon := time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)
	kwh = nil
	for w := mon.AddDate(0, 0, -70); !w.After(mon); w = w.AddDate(0, 0, 7) {
		kwh = append(kwh, kwh13kwh(w, 168))
	}
	kwh = append(kwh, every(meter.TypeKWh, mon, to, 24*time.Hour, 24)...)
	l = query.New(lakeOf(t, kw, kwh), nil)
	wk := kwh13Sum(t, l, query.Filter{From: mon.AddDate(0, 0, -7), To: mon}, query.Day)
	if wk != 168 {
		t.Errorf("the last weekly week: %v, want 168", wk)
	}
}

// TestEnergyKWhDailyReadHoursLate: a daily read more than 26 hours after
// the previous one (3 hours late; or, after a 25-hour DST day, 65 minutes
// late) covers nothing and is set aside: its day counts its kW reads once.
func TestEnergyKWhDailyReadHoursLate(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	kw := every(meter.TypeKW, d0, d0.AddDate(0, 0, 30), 15*time.Minute, 1)
	late := d0.AddDate(0, 0, 10).Add(3 * time.Hour)
	l := query.New(lakeOf(t, kw, lateDailyKWh(d0, late)), nil)
	a, b := d0.AddDate(0, 0, 5), d0.AddDate(0, 0, 15)
	if got := kwh13Sum(t, l, query.Filter{From: a, To: b}, query.Day); got != 240 {
		t.Errorf("UTC, a read 3 h late: 10 days = %v, want 240", got)
	}

	// New York, daily reads at local midnight, the read after the 25-hour
	// day (Nov 3 2024) 65 minutes late.
	ny, _ := time.LoadLocation("America/New_York")
	n0 := time.Date(2024, 10, 20, 0, 0, 0, 0, ny)
	kw = every(meter.TypeKW, n0, n0.AddDate(0, 0, 30), 15*time.Minute, 1)
	var kwh []meter.Reading
	prev := n0
	for d := 1; d <= 30; d++ {
		tm := n0.AddDate(0, 0, d)
		if tm.Day() == 4 && tm.Month() == 11 {
			tm = tm.Add(65 * time.Minute)
		}
		kwh = append(kwh, kwh13kwh(tm, tm.Sub(prev).Hours()))
		prev = tm
	}
	l = query.New(lakeOf(t, kw, kwh), &query.Options{Location: ny})
	a, b = time.Date(2024, 11, 1, 0, 0, 0, 0, ny), time.Date(2024, 11, 8, 0, 0, 0, 0, ny)
	// The next daily read covers back to the late one, 01:05, and so the
	// kW read of 00:45-01:00 (sic: 01:00-01:15 ends after 01:05): the 5
	// minutes 01:00-01:05 are neither's. A kWh read that does not end on
	// the kW reads' grid misses at most a kW interval.
	if got, want := kwh13Sum(t, l, query.Filter{From: a, To: b}, query.Day), b.Sub(a).Hours(); got > want+1e-9 || got < want-0.25 {
		t.Errorf("New York, the read after the 25 h day 65 min late: Nov 1-8 = %.4f, want %v (less at most 0.25)", got, want)
	}
}

// lateDailyKWh is daily reads of 24 kWh over the 30 days from d0, the
// 10th late, at late, with 27 kWh, and so the 11th 21.
func lateDailyKWh(d0, late time.Time) []meter.Reading {
	var kwh []meter.Reading
	for d := 1; d <= 30; d++ {
		tm, v := d0.AddDate(0, 0, d), 24.0
		switch d {
		case 10:
			tm, v = late, 27
		case 11:
			v = 21
		}
		kwh = append(kwh, kwh13kwh(tm, v))
	}
	return kwh
}

// TestEnergyKWhStandardTimeDailyReadsSpringForward: daily reads 24 hours
// apart in absolute time (a meter that keeps standard time, as NEM meters
// keep AEST all year) in a lake whose Location observes DST: across the
// spring-forward day a read covers its 24 hours back to the previous
// read, not one local day of 23.
func TestEnergyKWhStandardTimeDailyReadsSpringForward(t *testing.T) {
	for _, c := range []struct {
		zone string
		day  time.Time // a UTC time of day the meter reads at, before the change
	}{
		{"Australia/Sydney", time.Date(2024, 9, 25, 14, 0, 0, 0, time.UTC)}, // 00:00 AEST
		{"America/New_York", time.Date(2024, 3, 1, 5, 0, 0, 0, time.UTC)},   // 00:00 EST
	} {
		loc, _ := time.LoadLocation(c.zone)
		kw := every(meter.TypeKW, c.day.AddDate(0, 0, -3), c.day.AddDate(0, 0, 25), 15*time.Minute, 1)
		kwh := every(meter.TypeKWh, c.day.AddDate(0, 0, -3), c.day.AddDate(0, 0, 25), 24*time.Hour, 24)
		l := query.New(lakeOf(t, kw, kwh), &query.Options{Location: loc})
		a, b := c.day, c.day.AddDate(0, 0, 20)
		if got := kwh13Sum(t, l, query.Filter{From: a, To: b}, query.Day); got != 480 {
			t.Errorf("%s: 20 days of daily reads at a fixed UTC time = %v kWh, want 480", c.zone, got)
		}
	}

	// Santiago skips midnight on Sep 8 2024 (00:00 -> 01:00): daily reads at
	// the start of each local day are 24 h apart across it, at 00:00 and
	// 01:00, and the same AddDate cover leaves an hour out.
	scl, _ := time.LoadLocation("America/Santiago")
	s0 := time.Date(2024, 8, 30, 0, 0, 0, 0, scl)
	kw := every(meter.TypeKW, s0, s0.AddDate(0, 0, 20), 15*time.Minute, 1)
	var kwh []meter.Reading
	prev := s0
	for d := 1; d <= 20; d++ {
		tm, _ := query.Day.Bucket(s0.AddDate(0, 0, d).Add(2*time.Hour), scl)
		kwh = append(kwh, kwh13kwh(tm, tm.Sub(prev).Hours()))
		prev = tm
	}
	l := query.New(lakeOf(t, kw, kwh), &query.Options{Location: scl})
	a, b := kwh[0].Time, kwh[len(kwh)-1].Time
	if got, want := kwh13Sum(t, l, query.Filter{From: a, To: b}, query.Day), b.Sub(a).Hours(); math.Abs(got-want) > 1e-9 {
		t.Errorf("America/Santiago, daily reads at each local day's start: %v kWh, want %v", got, want)
	}
}

// TestEnergyKWhChannelStartSecondReadLost: an hourly kWh channel whose
// second read is lost: the kW reads of the hours no kWh read holds count.
func TestEnergyKWhChannelStartSecondReadLost(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	kw := every(meter.TypeKW, d0, d0.AddDate(0, 0, 10), 15*time.Minute, 1)
	start := d0.AddDate(0, 0, 5)
	kwh := every(meter.TypeKWh, start, d0.AddDate(0, 0, 10), time.Hour, 1, start.Add(2*time.Hour))
	l := query.New(lakeOf(t, kw, kwh), nil)
	// the 01:00-02:00 hour's kWh read was lost: its kW reads count; the
	// energy of [Jun 4, Jun 7) is 72 h of 1 kW.
	a, b := d0.AddDate(0, 0, 3), d0.AddDate(0, 0, 6)
	if got := kwh13Sum(t, l, query.Filter{From: a, To: b}, query.Day); got != 72 {
		t.Errorf("[Jun 4, Jun 7): %v kWh, want 72", got)
	}
}

// TestEnergyKWhNearScansBounded: an all-meter query of the hour ending at
// the weekly register reads of 300 meters reads the kW reads of the 26
// hours either side of the range once, not once per list of meters.
func TestEnergyKWhNearScansBounded(t *testing.T) {
	mon := time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)
	var kw, kwh []meter.Reading
	const n = 300
	for i := range n {
		id := fmt.Sprintf("m%03d", i)
		for _, r := range every(meter.TypeKW, mon.AddDate(0, 0, -2), mon.AddDate(0, 0, 1), 15*time.Minute, 1) {
			r.MeterID = id
			kw = append(kw, r)
		}
		for w := mon.AddDate(0, 0, -21); !w.After(mon.AddDate(0, 0, 21)); w = w.AddDate(0, 0, 7) {
			r := kwh13kwh(w, 168)
			r.MeterID = id
			kwh = append(kwh, r)
		}
	}
	l := query.New(lakeOf(t, kw, kwh), nil)
	var st [2]query.Stats
	for k, to := range []time.Time{mon.Add(-time.Hour), mon} {
		_, s, err := l.Energy(context.Background(), query.Filter{From: to.Add(-time.Hour), To: to}, query.Hour)
		if err != nil {
			t.Fatal(err)
		}
		st[k] = s
	}
	t.Logf("hour before: %+v", st[0])
	t.Logf("hour ending at the register read: %+v", st[1])
	// The 26 hours of kW before the range and after it, once each,
	// whatever the number of meters.
	if st[1].Files > st[0].Files+2*27 {
		t.Errorf("hour ending at the weekly read: %d files, %d for the hour before", st[1].Files, st[0].Files)
	}
}

// kwh13KWh is a random kWh channel of meter m over [start-10d, start+20d]:
// runs of hourly, daily (local midnight, some reads late by minutes to
// hours), weekly and monthly-ish reads, lost reads, outages and stops.
func kwh13KWh(seed int64, start time.Time, loc *time.Location) []meter.Reading {
	rng := rand.New(rand.NewSource(seed))
	var out []meter.Reading
	t := start.AddDate(0, 0, -10)
	end := start.AddDate(0, 0, 20)
	kind := rng.Intn(4)
	for t.Before(end) {
		if rng.Float64() < 0.02 {
			kind = rng.Intn(4)
		}
		var next time.Time
		switch kind {
		case 0: // hourly
			next = t.Truncate(time.Hour).Add(time.Hour)
		case 1, 2: // daily at local midnight
			y, m, d := t.In(loc).Date()
			next = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		case 3: // weekly, or an outage
			y, m, d := t.In(loc).Date()
			next = time.Date(y, m, d+2+rng.Intn(6), 0, 0, 0, 0, loc)
		}
		t = next
		if rng.Float64() < 0.05 {
			continue // lost
		}
		tm := t
		if kind != 0 && rng.Float64() < 0.15 {
			tm = tm.Add(time.Duration(rng.Intn(4*60)) * time.Minute) // late
		}
		out = append(out, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: tm, Value: float64(1 + rng.Intn(30))})
	}
	return out
}

// TestEnergyKWhRangeIndependenceRandomChannels: TestEnergyRangeIndependence's
// check on meters with kW reads and a random kWh channel.
func TestEnergyKWhRangeIndependenceRandomChannels(t *testing.T) {
	for _, zone := range []string{"UTC", "America/New_York", "Australia/Sydney"} {
		loc, start := kwh13Zone(zone)
		for seed := int64(1); seed <= lastSeed(3, 6); seed++ {
			outageP := 0.0
			if seed%2 == 0 {
				outageP = 0.0005
			}
			kw := randomMeter(seed*7+int64(len(zone)), start, outageP)
			if seed%3 == 0 {
				kw = nil // a kWh-only meter
			}
			kwh := kwh13KWh(seed*13+int64(len(zone)), start, loc)
			b := lakeOf(t, kw, kwh)
			for _, est := range []bool{false, true} {
				l := query.New(b, &query.Options{Location: loc})
				base := propWindow(start, est)
				rng := rand.New(rand.NewSource(seed))
				checkHoursIndependent(t, l, loc, base, 12, func() query.Filter { return slotRange(rng, base, 30*time.Minute, 96) },
					fmt.Sprintf("%s seed %d est=%v", zone, seed, est))
			}
		}
	}
}

// kwh13Zone is the zone of the random kWh channels' tests and the start
// of their 10 days, by a DST change.
func kwh13Zone(zone string) (*time.Location, time.Time) {
	loc, _ := time.LoadLocation(zone)
	start := time.Date(2024, 10, 25, 0, 0, 0, 0, loc)
	if zone == "America/New_York" {
		start = time.Date(2024, 10, 30, 0, 0, 0, 0, loc)
	}
	if zone == "Australia/Sydney" {
		start = time.Date(2024, 10, 1, 0, 0, 0, 0, loc)
	}
	return loc, start
}

// A meter whose kW channel ended a week before the range and whose weekly
// kWh register goes on: with Estimate, its days are not estimated besides
// the register reads that count.
func TestEnergyKWhEstimateAfterKWStopped(t *testing.T) {
	mon := time.Date(2024, 6, 10, 0, 0, 0, 0, time.UTC)
	kw := every(meter.TypeKW, mon.AddDate(0, 0, -40), mon.AddDate(0, 0, -7), 15*time.Minute, 1)
	var kwh []meter.Reading
	for w := mon.AddDate(0, 0, -42); !w.After(mon.AddDate(0, 0, 21)); w = w.AddDate(0, 0, 7) {
		kwh = append(kwh, kwh13kwh(w, 168))
	}
	other := every(meter.TypeKW, mon.AddDate(0, 0, -40), mon.AddDate(0, 0, 21), 15*time.Minute, 1)
	for i := range other {
		other[i].MeterID = "o"
	}
	l := query.New(lakeOf(t, kw, kwh, other), nil)
	for _, ids := range [][]string{nil, {"m"}} {
		f := query.Filter{From: mon, To: mon.AddDate(0, 0, 7), MeterIDs: ids, Estimate: &vee.Options{}}
		rows := e10Energy(t, l, f, query.Week)
		for _, r := range rows {
			if r.MeterID == "m" && (r.KWh != 168 || r.Estimated != 0) {
				t.Errorf("ids %v: m's week %v kWh, %d estimates; want 168, 0", ids, r.KWh, r.Estimated)
			}
		}
	}
}

// TestEnergyKWhTilingRandomChannels: random tilings of 10 days, cut at any
// minute (also at kWh read times and 26 to 78 hours from them), sum to the
// whole, with random kW and kWh channels, in three zones.
func TestEnergyKWhTilingRandomChannels(t *testing.T) {
	for _, zone := range []string{"UTC", "America/New_York", "Australia/Sydney"} {
		loc, start := kwh13Zone(zone)
		for seed := int64(1); seed <= lastSeed(2, 4); seed++ {
			kw := randomMeter(seed*7+int64(len(zone)), start, 0.0005*float64(seed%2))
			if seed%4 == 0 {
				kw = nil
			}
			kwh := kwh13KWh(seed*17+int64(len(zone)), start, loc)
			b := lakeOf(t, kw, kwh)
			for _, est := range []bool{false, true} {
				l := query.New(b, &query.Options{Location: loc})
				base := propWindow(start, est)
				wk, we := daySum(t, l, base)
				rng := rand.New(rand.NewSource(seed))
				for trial := 0; trial < 3; trial++ {
					var cuts []time.Time
					for tm := base.From; tm.Before(base.To); {
						cuts = append(cuts, tm)
						var next time.Time
						if r := kwh[rng.Intn(len(kwh))]; rng.Intn(2) == 0 && r.Time.After(tm) {
							next = r.Time.Add(time.Duration(rng.Intn(3)-1) * time.Minute).Add(-time.Duration(rng.Intn(4)) * 26 * time.Hour)
						}
						if !next.After(tm) || next.Sub(tm) > 72*time.Hour {
							next = tm.Add(time.Duration(1+rng.Intn(48*60)) * time.Minute)
						}
						tm = minTime13(next, base.To)
					}
					cuts = append(cuts, base.To)
					sk, se := tiledSum(t, l, base, cuts)
					if math.Abs(sk-wk) > 1e-6 || (!est && se != we) {
						t.Errorf("%s seed %d est=%v: %d pieces sum to %.4f kWh (%d est), the whole %.4f (%d est)", zone, seed, est, len(cuts)-1, sk, se, wk, we)
					}
				}
			}
		}
	}
}

func minTime13(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// TestEnergyKWhMonthlyRegisterTwoSpecialReads: two special reads (5 and
// 10 minutes) after a monthly register read do not make it an interval
// read: it is set aside, and May counts its kW reads once.
func TestEnergyKWhMonthlyRegisterTwoSpecialReads(t *testing.T) {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	jun1 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	kw := every(meter.TypeKW, from, to, 15*time.Minute, 1)
	var kwh []meter.Reading
	for m := from.AddDate(0, 1, 0); !m.After(to); m = m.AddDate(0, 1, 0) {
		v := m.Sub(m.AddDate(0, -1, 0)).Hours()
		if m.Month() == 7 {
			v -= 10.0 / 60
		}
		kwh = append(kwh, kwh13kwh(m, v))
	}
	kwh = append(kwh, kwh13kwh(jun1.Add(5*time.Minute), 5.0/60), kwh13kwh(jun1.Add(10*time.Minute), 5.0/60))
	l := query.New(lakeOf(t, kw, kwh), nil)
	may1 := jun1.AddDate(0, -1, 0)
	if got := kwh13Sum(t, l, query.Filter{From: may1, To: jun1}, query.Month); math.Abs(got-744) > 1e-6 {
		t.Errorf("May: %v kWh, want 744", got)
	}
}
