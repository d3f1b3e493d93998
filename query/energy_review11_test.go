package query_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query"
)

// monthlyRegisterLake holds monthly register (kWh) reads at the 1st of each
// month of 2024 and 15-minute kW reads of 1 kW.
func monthlyRegisterLake(t *testing.T) *query.Lake {
	return query.New(readLake(t, "monthly register", func() [][]meter.Reading {
		from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		to := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
		kw := every(meter.TypeKW, from, to, 15*time.Minute, 1)
		var kwh []meter.Reading
		for m := from.AddDate(0, 1, 0); !m.After(to); m = m.AddDate(0, 1, 0) {
			kwh = append(kwh, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: m, Value: m.Sub(m.AddDate(0, -1, 0)).Hours()})
		}
		return [][]meter.Reading{kw, kwh}
	}), nil)
}

// weeklyRegisterLake holds weekly register reads (Mondays 00:00, 168 kWh)
// and 15-minute kW reads of 1 kW, four weeks either side of Monday d0.
func weeklyRegisterLake(t *testing.T, d0 time.Time) *query.Lake {
	return query.New(readLake(t, "weekly register "+d0.String(), func() [][]meter.Reading {
		kw := every(meter.TypeKW, d0.AddDate(0, 0, -28), d0.AddDate(0, 0, 28), 15*time.Minute, 1)
		kwh := every(meter.TypeKWh, d0.AddDate(0, 0, -28), d0.AddDate(0, 0, 28), 7*24*time.Hour, 168)
		return [][]meter.Reading{kw, kwh}
	}), nil)
}

// A 31-day month between shorter ones is no lost kWh read: its register
// read covers the whole month, and no day's kW reads count besides it.
func TestEnergyMonthlyRegister31DayMonthIsNoLostRead(t *testing.T) {
	l := monthlyRegisterLake(t)
	for _, mo := range []time.Month{3, 4, 5, 6} {
		a := time.Date(2024, mo, 1, 0, 0, 0, 0, time.UTC)
		b := a.AddDate(0, 1, 0)
		got := e10Energy(t, l, query.Filter{From: a, To: b}, query.Month)
		if k, _, _ := e10Sum(got); math.Abs(k-b.Sub(a).Hours()) > 1e-9 {
			t.Errorf("%v: %v kWh, want %v%s", mo, k, b.Sub(a).Hours(), e10Rows(got))
		}
	}
}

// Monthly register reads: May as a whole and as three ranges with no kWh
// read in or near the middle one count the same energy.
func TestEnergyMonthlyRegisterRangeTiling(t *testing.T) {
	l := monthlyRegisterLake(t)
	a := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	cuts := []time.Time{a, a.AddDate(0, 0, 9), a.AddDate(0, 0, 19), a.AddDate(0, 1, 0)}
	sum := 0.0
	for i := 0; i+1 < len(cuts); i++ {
		k, _, _ := e10Sum(e10Energy(t, l, query.Filter{From: cuts[i], To: cuts[i+1]}, query.Day))
		sum += k
	}
	whole, _, _ := e10Sum(e10Energy(t, l, query.Filter{From: a, To: cuts[3]}, query.Day))
	if math.Abs(sum-744) > 1e-9 || math.Abs(whole-744) > 1e-9 {
		t.Errorf("May in three ranges %v, whole %v, want 744", sum, whole)
	}
}

// Weekly register reads (Mondays 00:00) with 15-minute kW: a day with no
// kWh read in it or within two days of it is covered by the next Monday's
// read, so a week counts the same as the sum of its days.
func TestEnergyWeeklyRegisterMidWeekDayCountsOnce(t *testing.T) {
	d0 := time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC) // Monday
	l := weeklyRegisterLake(t, d0)
	week, _, _ := e10Sum(e10Energy(t, l, query.Filter{From: d0, To: d0.AddDate(0, 0, 7)}, query.Day))
	sum := 0.0
	for i := 0; i < 7; i++ {
		k, _, _ := e10Sum(e10Energy(t, l, query.Filter{From: d0.AddDate(0, 0, i), To: d0.AddDate(0, 0, i+1)}, query.Day))
		sum += k
	}
	if week != 168 || sum != 168 {
		t.Errorf("week %v, sum of its days %v, want 168", week, sum)
	}
}

// A query of today, whose kWh reads end at To: with 15-minute kWh reads
// nothing is read beyond the 52 hours of kWh context before the range,
// the stats count each scan once, and a MaxReads that fits the range and
// its context holds.
func TestEnergyTodayDoesNotWidenKWhContext(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	b := threeMeterLake(t, d0, d0.AddDate(0, 0, 1))
	f := query.Filter{From: d0, To: d0.AddDate(0, 0, 1)}
	got, st, err := query.New(b, nil).Energy(context.Background(), f, query.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if k, _, _ := e10Sum(got); math.Abs(k-72) > 1e-9 {
		t.Errorf("%v kWh, want 72", k)
	}
	// the range (576 reads) and the 52 hours before it (kWh, 624)
	if st.Reads > 3*2*96+3*4*52 {
		t.Errorf("a day's query (3 meters, 576 reads) scanned %d reads", st.Reads)
	}
	if _, _, err := query.New(b, &query.Options{MaxReads: 4000}).Energy(context.Background(), f, query.Hour); err != nil {
		t.Errorf("MaxReads 4000: %v", err)
	}
}

// threeMeterLake holds meters a, b and c's 15-minute reads of the 60 days
// to d0+1d, of 1 kW, and their 15-minute kWh reads up to kwhTo.
func threeMeterLake(t *testing.T, d0, kwhTo time.Time) *blob.Bucket {
	var kw, kwh []meter.Reading
	for _, id := range []string{"a", "b", "c"} {
		for _, r := range every(meter.TypeKW, d0.AddDate(0, 0, -60), d0.AddDate(0, 0, 1), 15*time.Minute, 1) {
			r.MeterID = id
			kw = append(kw, r)
		}
		for _, r := range every(meter.TypeKWh, d0.AddDate(0, 0, -60), kwhTo, 15*time.Minute, 0.25) {
			r.MeterID = id
			kwh = append(kwh, r)
		}
	}
	return lakeOf(t, kw, kwh)
}

// Weekly register reads (Mondays 00:00) with 15-minute kW reads: a
// Tuesday counts its kW reads, and reads its 96 kW reads and the Monday
// read in the kWh context, each once.
func TestEnergyWeeklyRegisterStatsCountOnce(t *testing.T) {
	d0 := time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC) // Monday
	l := weeklyRegisterLake(t, d0)
	f := query.Filter{From: d0.AddDate(0, 0, 1), To: d0.AddDate(0, 0, 2)}
	got, st, err := l.Energy(context.Background(), f, query.Day)
	if err != nil {
		t.Fatal(err)
	}
	if k, _, _ := e10Sum(got); k != 24 {
		t.Errorf("%v kWh, want 24 (its kW reads)%s", k, e10Rows(got))
	}
	if st.Reads != 96+1 {
		t.Errorf("stats reads %d, want %d", st.Reads, 96+1)
	}
}

// More meters than a scan names (maxListedMeters) with a weekly register
// read just after From: whether it counts depends on the kW reads in the
// 26 hours either side of it, which lie outside the range. The even
// meters' kW reads run until an hour before it and resume after the
// range, so they hold its energy and it is set aside; the odd meters'
// stopped two days before (a kWh channel replaced them), so it counts.
func TestEnergyRegisterReadAfterFromManyMeters(t *testing.T) {
	d0 := time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC) // Monday
	var kw, kwh []meter.Reading
	const n = 70
	for i := range n {
		id := fmt.Sprintf("m%02d", i)
		end := d0.Add(-time.Hour)
		if i%2 == 1 {
			end = d0.AddDate(0, 0, -2)
		}
		reads := every(meter.TypeKW, d0.AddDate(0, 0, -7), end, time.Hour, 1)
		if i%2 == 0 {
			reads = append(reads, every(meter.TypeKW, d0.Add(13*time.Hour), d0.AddDate(0, 0, 2), time.Hour, 1)...)
		}
		for _, r := range reads {
			r.MeterID = id
			kw = append(kw, r)
		}
		for _, r := range every(meter.TypeKWh, d0.AddDate(0, 0, -14), d0.AddDate(0, 0, 14), 7*24*time.Hour, 168) {
			r.MeterID = id
			kwh = append(kwh, r)
		}
	}
	l := query.New(lakeOf(t, kw, kwh), nil)
	got, _, err := l.Energy(context.Background(), query.Filter{From: d0.Add(-30 * time.Minute), To: d0.Add(12 * time.Hour)}, query.Day)
	if err != nil {
		t.Fatal(err)
	}
	if k, _, _ := e10Sum(got); k != n/2*168 {
		t.Errorf("%v kWh, want %v (the odd meters' register reads)%s", k, n/2*168, e10Rows(got))
	}
}
