package query_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query"
)

// regSum is the kWh of f's rows.
func regSum(t *testing.T, l *query.Lake, from, to time.Time, p query.Period) float64 {
	t.Helper()
	k, _, _ := e10Sum(e10Energy(t, l, query.Filter{From: from, To: to}, p))
	return k
}

// regDaySums returns the sum of the single-day queries of [from, to).
func regDaySums(t *testing.T, l *query.Lake, from, to time.Time) float64 {
	t.Helper()
	s := 0.0
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		s += regSum(t, l, d, d.AddDate(0, 0, 1), query.Day)
	}
	return s
}

// Monthly register (kWh) reads and 15-minute kW reads, with a special read
// five minutes after the June 1st read: the monthly reads are set aside
// (the kW reads hold their energy), the special read is an interval read
// of its 5 minutes, and June counts the same as a month, as two halves
// and as its days: its kW reads and the special read's 5 minutes, which
// the 00:15 kW read holds as well (a kWh read covers the kW reads that
// end within its interval only).
func TestEnergyMonthlyRegisterWithSpecialRead(t *testing.T) {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	kw := every(meter.TypeKW, from, to, 15*time.Minute, 1)
	jun1 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	reread := jun1.Add(5 * time.Minute)
	var kwh []meter.Reading
	for m := from.AddDate(0, 1, 0); !m.After(to); m = m.AddDate(0, 1, 0) {
		v := m.Sub(m.AddDate(0, -1, 0)).Hours()
		if m.Month() == 7 {
			v -= 5.0 / 60 // the re-read holds 5 minutes of June
		}
		kwh = append(kwh, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: m, Value: v})
	}
	kwh = append(kwh, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: reread, Value: 5.0 / 60})
	l := query.New(lakeOf(t, kw, kwh), nil)
	jul1 := jun1.AddDate(0, 1, 0)
	whole := regSum(t, l, jun1, jul1, query.Month)
	mid := jun1.AddDate(0, 0, 14)
	halves := regSum(t, l, jun1, mid, query.Day) + regSum(t, l, mid, jul1, query.Day)
	days := regDaySums(t, l, jun1, jul1)
	if want := 720 + 5.0/60; math.Abs(whole-want) > 1e-6 || math.Abs(halves-want) > 1e-6 || math.Abs(days-want) > 1e-6 {
		t.Errorf("June: whole %.4f, two halves %.4f, sum of days %.4f; want %.4f", whole, halves, days, want)
	}
}

// A meter that went from daily kWh reads to monthly ones (daily until
// March 31, monthly from May 1), with 15-minute kW reads: a month counts
// the same whole and in two ranges, whichever kind of read lies in them.
func TestEnergyDailyThenMonthlyRegister(t *testing.T) {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	apr1 := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	kw := every(meter.TypeKW, from, to, 15*time.Minute, 1)
	kwh := every(meter.TypeKWh, from, apr1, 24*time.Hour, 24)
	for m := apr1.AddDate(0, 1, 0); !m.After(to); m = m.AddDate(0, 1, 0) {
		kwh = append(kwh, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: m, Value: m.Sub(m.AddDate(0, -1, 0)).Hours()})
	}
	l := query.New(lakeOf(t, kw, kwh), nil)
	// [Mar 30, Apr 15) + [Apr 15, May 1) against [Mar 30, May 1)
	a, mid, b := apr1.AddDate(0, 0, -2), apr1.AddDate(0, 0, 14), apr1.AddDate(0, 1, 0)
	whole := regSum(t, l, a, b, query.Day)
	first, second := regSum(t, l, a, mid, query.Day), regSum(t, l, mid, b, query.Day)
	if math.Abs(whole-(first+second)) > 1e-6 || math.Abs(whole-768) > 1e-6 {
		t.Errorf("[Mar 30, May 1) %v kWh, [Mar 30, Apr 15) %v + [Apr 15, May 1) %v = %v", whole, first, second, first+second)
	}
}

// Bimonthly register reads with 15-minute kW reads: April counts the same
// as a month and as its days, and April 15 the same alone and in a
// two-month range.
func TestEnergyBimonthlyRegister(t *testing.T) {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)
	kw := every(meter.TypeKW, from, to, 15*time.Minute, 1)
	var kwh []meter.Reading
	for m := from.AddDate(0, 2, 0); !m.After(to); m = m.AddDate(0, 2, 0) {
		kwh = append(kwh, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: m, Value: m.Sub(m.AddDate(0, -2, 0)).Hours()})
	}
	l := query.New(lakeOf(t, kw, kwh), nil)
	apr1, may1 := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	mar1 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	whole := regSum(t, l, mar1, may1, query.Month)
	april := regSum(t, l, apr1, may1, query.Month)
	days := regDaySums(t, l, apr1, may1)
	apr15 := regSum(t, l, apr1.AddDate(0, 0, 14), apr1.AddDate(0, 0, 15), query.Day)
	var inWhole float64
	for _, e := range e10Energy(t, l, query.Filter{From: mar1, To: may1}, query.Day) {
		if e.Start.Equal(apr1.AddDate(0, 0, 14)) {
			inWhole = e.KWh
		}
	}
	if math.Abs(april-days) > 1e-6 || math.Abs(apr15-inWhole) > 1e-6 {
		t.Errorf("[Mar 1, May 1) %v; April as a month %v, as days %v; Apr 15 alone %v, in [Mar 1, May 1) %v", whole, april, days, apr15, inWhole)
	}
}

// Monthly register reads with one lost read (April 1st), with 15-minute
// kW reads: April counts the same as a month and as its days.
func TestEnergyMonthlyRegisterLostRead(t *testing.T) {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	kw := every(meter.TypeKW, from, to, 15*time.Minute, 1)
	var kwh []meter.Reading
	for m := from.AddDate(0, 1, 0); !m.After(to); m = m.AddDate(0, 1, 0) {
		if m.Month() == 4 {
			continue // lost
		}
		prev := m.AddDate(0, -1, 0)
		if m.Month() == 5 {
			prev = m.AddDate(0, -2, 0)
		}
		kwh = append(kwh, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: m, Value: m.Sub(prev).Hours()})
	}
	l := query.New(lakeOf(t, kw, kwh), nil)
	apr1, may1 := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	april := regSum(t, l, apr1, may1, query.Month)
	days := regDaySums(t, l, apr1, may1)
	if math.Abs(april-days) > 1e-6 {
		t.Errorf("April as a month %v, as the sum of its days %v", april, days)
	}
}

// A kWh feed that lags the kW one by a few days (interval kWh validated
// and loaded days later): a query of today reads no more than the range
// and the kWh reads around it, and fits a MaxReads of 4000.
func TestEnergyLaggingKWhFeed(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	b := threeMeterLake(t, d0, d0.AddDate(0, 0, -3)) // kWh up to three days ago
	f := query.Filter{From: d0, To: d0.AddDate(0, 0, 1)}
	got, st, err := query.New(b, nil).Energy(context.Background(), f, query.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if k, _, _ := e10Sum(got); math.Abs(k-72) > 1e-9 {
		t.Errorf("%v kWh, want 72", k)
	}
	// the range: 3 x 96 kW reads; no kWh read lies within 2 days
	if st.Reads > 2*3*96 {
		t.Errorf("a day's query (3 meters, 288 reads in range) scanned %d reads", st.Reads)
	}
	if _, _, err := query.New(b, &query.Options{MaxReads: 4000}).Energy(context.Background(), f, query.Hour); err != nil {
		t.Errorf("MaxReads 4000: %v", err)
	}
}

// The same with meters whose kWh channel stopped ten days ago while
// another meter's goes on.
func TestEnergyStoppedKWhChannel(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	var kw, kwh []meter.Reading
	for i := range 3 {
		id := fmt.Sprint("m", i)
		for _, r := range every(meter.TypeKW, d0.AddDate(0, 0, -60), d0.AddDate(0, 0, 30), 15*time.Minute, 1) {
			r.MeterID = id
			kw = append(kw, r)
		}
		for _, r := range every(meter.TypeKWh, d0.AddDate(0, 0, -60), d0.AddDate(0, 0, -10), 15*time.Minute, 0.25) {
			r.MeterID = id
			kwh = append(kwh, r)
		}
	}
	// another meter's kWh reads go on, so the lake's latest kWh hour is late
	kwh = append(kwh, every(meter.TypeKWh, d0.AddDate(0, 0, -60), d0.AddDate(0, 0, 30), time.Hour, 1)...)
	b := lakeOf(t, kw, kwh)
	f := query.Filter{From: d0, To: d0.AddDate(0, 0, 1), MeterIDs: []string{"m0", "m1", "m2"}}
	_, st, err := query.New(b, nil).Energy(context.Background(), f, query.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if st.Reads > 2*3*96 {
		t.Errorf("a day's query (3 meters, 288 reads in range) scanned %d reads", st.Reads)
	}
	if _, _, err := query.New(b, &query.Options{MaxReads: 4000}).Energy(context.Background(), f, query.Hour); errors.Is(err, query.ErrTooManyReads) {
		t.Errorf("MaxReads 4000: %v", err)
	}
}

// A lake of kW-only meters and one meter with hourly kWh reads: an
// all-meter query of one hour reads the kWh partitions of the context
// around the range once (52 hours either side), whatever the
// number of meters, not a scan per list of meters.
func TestEnergyKWOnlyMetersInLakeWithKWh(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	var kw []meter.Reading
	const n = 300
	for i := range n {
		id := fmt.Sprintf("m%03d", i)
		for _, r := range every(meter.TypeKW, d0.AddDate(0, 0, -1), d0.AddDate(0, 0, 2), 15*time.Minute, 1) {
			r.MeterID = id
			kw = append(kw, r)
		}
	}
	kwh := every(meter.TypeKWh, d0.AddDate(0, 0, -40), d0.AddDate(0, 0, 40), time.Hour, 1)
	for i := range kwh {
		kwh[i].MeterID = "zz-kwh"
	}
	f := query.Filter{From: d0.Add(12 * time.Hour), To: d0.Add(13 * time.Hour)}
	few := kw[:30*len(kw)/n] // the first 30 meters
	var stats [3]query.Stats
	var took [3]time.Duration
	for k, lake := range [][][]meter.Reading{{kw}, {kw, kwh}, {few, kwh}} {
		l := query.New(lakeOf(t, lake...), nil)
		t0 := time.Now()
		rows, st, err := l.Energy(context.Background(), f, query.Hour)
		took[k] = time.Since(t0)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{n, n + 1, 31}[k]; len(rows) != want {
			t.Fatalf("%d rows, want %d", len(rows), want)
		}
		stats[k] = st
	}
	t.Logf("kW only: %+v in %v", stats[0], took[0])
	t.Logf("with one kWh meter: %+v in %v", stats[1], took[1])
	// the kWh hour, and the kWh context's 104 hours (and the partitions at
	// its edges, whose reads are stamped at hour ends)
	if stats[1].Files != stats[2].Files || stats[1].Files > stats[0].Files+1+108 {
		t.Errorf("one kWh meter in the lake: %d files opened for an hour's query of %d meters, %d for 30 meters, %d without it", stats[1].Files, n, stats[2].Files, stats[0].Files)
	}
}

// With the special read of TestEnergyMonthlyRegisterWithSpecialRead, a
// mid-June day counts its kW reads alone and in a range that reaches the
// July 1st read.
func TestEnergySpecialReadDayIndependentOfRange(t *testing.T) {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	kw := every(meter.TypeKW, from, to, 15*time.Minute, 1)
	jun1 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	var kwh []meter.Reading
	for m := from.AddDate(0, 1, 0); !m.After(to); m = m.AddDate(0, 1, 0) {
		kwh = append(kwh, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: m, Value: m.Sub(m.AddDate(0, -1, 0)).Hours()})
	}
	reread := meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: jun1.Add(5 * time.Minute), Value: 5.0 / 60}
	l := query.New(lakeOf(t, kw, append(kwh, reread)), nil)
	jun10 := jun1.AddDate(0, 0, 9)
	alone := regSum(t, l, jun10, jun10.AddDate(0, 0, 1), query.Day)
	var inWide float64 = -1
	for _, e := range e10Energy(t, l, query.Filter{From: jun1.AddDate(0, 0, 5), To: jun1.AddDate(0, 0, 29)}, query.Day) {
		if e.Start.Equal(jun10) {
			inWide = e.KWh
		}
	}
	if alone != 24 || inWide != 24 {
		t.Errorf("June 10 alone %v kWh, in [Jun 6, Jun 30) %v (-1: no row); want 24, its kW reads", alone, inWide)
	}
}
