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

func e10Sum(rs []query.Energy) (kwh float64, reads, est int) {
	for _, e := range rs {
		kwh += e.KWh
		reads += e.Reads
		est += e.Estimated
	}
	return
}

func e10Rows(rs []query.Energy) string {
	s := ""
	for _, e := range rs {
		s += fmt.Sprintf("\n  %s [%s, %s) %.4g kWh r=%d e=%d iv=%v", e.MeterID, e.Start.Format("01-02 15:04"), e.End.Format("01-02 15:04"), e.KWh, e.Reads, e.Estimated, e.Interval)
	}
	return s
}

func e10Energy(t *testing.T, l *query.Lake, f query.Filter, p query.Period) []query.Energy {
	t.Helper()
	got, _, err := l.Energy(context.Background(), f, p)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// A: daily kWh register reads alongside 15-minute kW reads.
func TestEnergyDailyKWhReadsCoverTheirDayInShortRanges(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return d0.AddDate(0, 0, n) }
	kw := every(meter.TypeKW, day(-10), day(20), 15*time.Minute, 1)
	kwh := every(meter.TypeKWh, day(-10), day(20), 24*time.Hour, 24)
	l := query.New(lakeOf(t, kw, kwh), nil)
	for _, n := range []int{1, 2, 3, 5} {
		got := e10Energy(t, l, query.Filter{From: day(0), To: day(n)}, query.Day)
		if k, _, _ := e10Sum(got); math.Abs(k-24*float64(n)) > 1e-9 {
			t.Errorf("%d days: %v kWh, want %v%s", n, k, 24*n, e10Rows(got))
		}
	}
}

// B: hourly kWh, 15-minute kW, range cut in the hour.
func TestEnergyKWhIntervalCutByRangeCountsOnce(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	d1 := d0.AddDate(0, 0, 1)
	cut := d0.Add(10*time.Hour + 30*time.Minute)
	kw := every(meter.TypeKW, d0.AddDate(0, 0, -1), d1.AddDate(0, 0, 1), 15*time.Minute, 1)
	kwh := every(meter.TypeKWh, d0.AddDate(0, 0, -1), d1.AddDate(0, 0, 1), time.Hour, 1)
	l := query.New(lakeOf(t, kw, kwh), nil)
	whole, _, _ := e10Sum(e10Energy(t, l, query.Filter{From: d0, To: d1}, query.Day))
	a := e10Energy(t, l, query.Filter{From: d0, To: cut}, query.Hour)
	b := e10Energy(t, l, query.Filter{From: cut, To: d1}, query.Hour)
	ka, _, _ := e10Sum(a)
	kb, _, _ := e10Sum(b)
	if whole != 24 || ka+kb != 24 {
		t.Errorf("whole %v, [00:00,10:30) %v + [10:30,24:00) %v = %v, want 24%s%s", whole, ka, kb, ka+kb, e10Rows(a[len(a)-1:]), e10Rows(b[:1]))
	}
}

// C: 15-minute kWh with one lost kWh read, short range: covers from the hour fallback.
func TestEnergyLostKWhReadSpanIndependentOfRange(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return d0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	kw := every(meter.TypeKW, d0.AddDate(0, 0, -1), d0.AddDate(0, 0, 2), 15*time.Minute, 1)
	kwh := every(meter.TypeKWh, d0.AddDate(0, 0, -1), d0.AddDate(0, 0, 2), 15*time.Minute, 0.25, at(10, 15))
	l := query.New(lakeOf(t, kw, kwh), nil)
	wide := e10Energy(t, l, query.Filter{From: d0, To: d0.AddDate(0, 0, 1)}, query.Hour)
	for _, e := range wide {
		if e.Start.Equal(at(10, 0)) && e.KWh != 1 {
			t.Errorf("whole day: hour 10 %v", e10Rows([]query.Energy{e}))
		}
	}
	a := e10Energy(t, l, query.Filter{From: at(9, 45), To: at(10, 30)}, query.Hour)
	b := e10Energy(t, l, query.Filter{From: at(10, 30), To: at(11, 0)}, query.Hour)
	ka, _, _ := e10Sum(a)
	kb, _, _ := e10Sum(b)
	if ka+kb != 1.25 {
		t.Errorf("[09:45,10:30) %v + [10:30,11:00) %v kWh, want 0.25+0.5+0.5%s", ka, kb, e10Rows(a))
	}
}

// E: with Estimate, a day whose kW reads were all lost, kWh channel for its morning only.
func TestEnergyEstimateMeterWithOnlyPartKWhInRange(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return d0.AddDate(0, 0, n) }
	var kw []meter.Reading
	for _, r := range every(meter.TypeKW, day(-30), day(10), 15*time.Minute, 1) {
		if r.Time.After(day(5)) && !r.Time.After(day(6)) {
			continue
		}
		kw = append(kw, r)
	}
	kwh := every(meter.TypeKWh, day(5), day(5).Add(12*time.Hour), 15*time.Minute, 0.25)
	l := query.New(lakeOf(t, kw, kwh), nil)
	e := &vee.Options{}
	alone := e10Energy(t, l, query.Filter{From: day(5), To: day(6), Estimate: e, MeterIDs: []string{"m"}}, query.Day)
	wide := e10Energy(t, l, query.Filter{From: day(4), To: day(7), Estimate: e, MeterIDs: []string{"m"}}, query.Day)
	ka, _, _ := e10Sum(alone)
	var kw5 float64
	for _, r := range wide {
		if r.Start.Equal(day(5)) {
			kw5 = r.KWh
		}
	}
	if ka != kw5 {
		t.Errorf("June 6 alone %v kWh, within June 5-7 %v%s%s", ka, kw5, e10Rows(alone), e10Rows(wide))
	}
}

// Duplicates: the same kW read written twice.
func TestEnergyDuplicateReadsCountOnce(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	kw := every(meter.TypeKW, d0.AddDate(0, 0, -1), d0.AddDate(0, 0, 2), 15*time.Minute, 1)
	dup := every(meter.TypeKW, d0.Add(10*time.Hour), d0.Add(11*time.Hour), 15*time.Minute, 1)
	l := query.New(lakeOf(t, kw, dup), nil)
	got := e10Energy(t, l, query.Filter{From: d0, To: d0.AddDate(0, 0, 1)}, query.Day)
	if k, _, _ := e10Sum(got); k != 24 {
		t.Errorf("duplicates: %v", e10Rows(got))
	}
	kwh := every(meter.TypeKWh, d0.AddDate(0, 0, -1), d0.AddDate(0, 0, 2), 15*time.Minute, 0.25)
	l = query.New(lakeOf(t, kwh, every(meter.TypeKWh, d0.Add(10*time.Hour), d0.Add(11*time.Hour), 15*time.Minute, 0.25)), nil)
	got = e10Energy(t, l, query.Filter{From: d0, To: d0.AddDate(0, 0, 1)}, query.Day)
	if k, _, _ := e10Sum(got); k != 24 {
		t.Errorf("kWh duplicates: %v", e10Rows(got))
	}
}

// Daily kWh at local midnight in New York over November (a 25-hour day).
func TestEnergyDailyKWhReadsAcrossDSTMonth(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	var kwh []meter.Reading
	for d := 0; d <= 31; d++ {
		s := time.Date(2024, 10, 31+d, 0, 0, 0, 0, ny)
		e := time.Date(2024, 10, 32+d, 0, 0, 0, 0, ny)
		kwh = append(kwh, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: e, Value: e.Sub(s).Hours()})
	}
	from, to := time.Date(2024, 11, 1, 0, 0, 0, 0, ny), time.Date(2024, 12, 1, 0, 0, 0, 0, ny)
	kw := every(meter.TypeKW, from.AddDate(0, 0, -2), to.AddDate(0, 0, 2), 15*time.Minute, 1)
	l := query.New(lakeOf(t, kw, kwh), &query.Options{Location: ny})
	got := e10Energy(t, l, query.Filter{From: from, To: to}, query.Day)
	want := to.Sub(from).Hours()
	if k, _, _ := e10Sum(got); math.Abs(k-want) > 1e-9 {
		for _, e := range got {
			if e.KWh != e.End.Sub(e.Start).Hours() {
				t.Errorf("day %s", e10Rows([]query.Energy{e}))
			}
		}
		t.Errorf("November: %v kWh, want %v", k, want)
	}
}

// Options.Interval with Estimate: a day whose reads were all lost.
func TestEnergyFixedIntervalEstimatesLostDayAlone(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return d0.AddDate(0, 0, n) }
	var kw []meter.Reading
	for _, r := range every(meter.TypeKW, day(-30), day(10), 15*time.Minute, 1) {
		if r.Time.After(day(5)) && !r.Time.After(day(6)) {
			continue
		}
		kw = append(kw, r)
	}
	l := query.New(lakeOf(t, kw), &query.Options{Interval: 15 * time.Minute})
	e := &vee.Options{}
	alone := e10Energy(t, l, query.Filter{From: day(5), To: day(6), Estimate: e, MeterIDs: []string{"m"}}, query.Day)
	wide := e10Energy(t, l, query.Filter{From: day(4), To: day(7), Estimate: e, MeterIDs: []string{"m"}}, query.Day)
	ka, _, _ := e10Sum(alone)
	var k5 float64
	for _, r := range wide {
		if r.Start.Equal(day(5)) {
			k5 = r.KWh
		}
	}
	if ka != k5 {
		t.Errorf("Options.Interval: June 6 alone %v kWh, within June 5-7 %v%s%s", ka, k5, e10Rows(alone), e10Rows(wide))
	}
}

// kW meter plus a kWh channel (15 or 60 minutes, 3% lost) for days 2-6; sub-ranges cut on quarter hours.
func TestEnergyMixedKWAndKWhRangeIndependence(t *testing.T) {
	loc, _ := time.LoadLocation("America/New_York")
	start := time.Date(2024, 10, 30, 0, 0, 0, 0, loc)
	for seed := int64(1); seed <= 4; seed++ {
		rs := randomMeter(seed*13, start, 0)
		rng := rand.New(rand.NewSource(seed))
		kstep := []time.Duration{15 * time.Minute, time.Hour}[seed%2]
		for tm := start.AddDate(0, 0, 2); tm.Before(start.AddDate(0, 0, 6)); tm = tm.Add(kstep) {
			if rng.Float64() < 0.03 {
				continue
			}
			rs = append(rs, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: tm.Add(kstep), Value: float64(1+rng.Intn(4)) * kstep.Hours()})
		}
		b := lakeOf(t, rs)
		for _, est := range []bool{false, true} {
			l := query.New(b, &query.Options{Location: loc})
			base := propWindow(start, est)
			checkHoursIndependent(t, l, loc, base, 20, func() query.Filter { return slotRange(rng, base, 15*time.Minute, 30) },
				fmt.Sprintf("seed %d kWh %v est=%v", seed, kstep, est))
		}
	}
}

// Duplicates of different values count once, the larger (partition.Dedup's
// choice between reads of one arrival; Energy reads no arrivals).
func TestEnergyDuplicateReadsKeepLargerValue(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	kw := every(meter.TypeKW, d0.AddDate(0, 0, -1), d0.AddDate(0, 0, 2), 15*time.Minute, 1)
	dup := every(meter.TypeKW, d0.Add(10*time.Hour), d0.Add(11*time.Hour), 15*time.Minute, 3)
	for _, l := range []*query.Lake{query.New(lakeOf(t, kw, dup), nil), query.New(lakeOf(t, dup, kw), nil)} {
		got := e10Energy(t, l, query.Filter{From: d0, To: d0.AddDate(0, 0, 1)}, query.Day)
		if k, r, _ := e10Sum(got); k != 26 || r != 96 {
			t.Errorf("duplicates of 3 kW over 1 kW: %v", e10Rows(got))
		}
	}
}

// Daily kWh reads at midnight: a range of part of a day holds no kWh read,
// but the next midnight's read covers its kW reads, and a day cut anywhere
// sums to the day.
func TestEnergyDailyKWhReadAfterRangeCoversIt(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	kw := every(meter.TypeKW, d0.AddDate(0, 0, -3), d0.AddDate(0, 0, 4), 15*time.Minute, 1)
	kwh := every(meter.TypeKWh, d0.AddDate(0, 0, -3), d0.AddDate(0, 0, 4), 24*time.Hour, 24)
	l := query.New(lakeOf(t, kw, kwh), nil)
	for _, cut := range []time.Duration{30 * time.Minute, 10*time.Hour + 15*time.Minute, 23 * time.Hour} {
		a := e10Energy(t, l, query.Filter{From: d0, To: d0.Add(cut)}, query.Hour)
		b := e10Energy(t, l, query.Filter{From: d0.Add(cut), To: d0.AddDate(0, 0, 1)}, query.Hour)
		ka, _, _ := e10Sum(a)
		kb, _, _ := e10Sum(b)
		if ka != 0 || kb != 24 {
			t.Errorf("cut at %v: %v + %v kWh, want 0 + 24%s%s", cut, ka, kb, e10Rows(a), e10Rows(b))
		}
	}
}
