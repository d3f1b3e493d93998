package query_test

// Regression tests from review 9-a (query/energy.go).

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query"
	"github.com/openmda/mda/vee"
)

func sumKWh(rs []query.Energy) float64 {
	s := 0.0
	for _, r := range rs {
		s += r.KWh
	}
	return s
}

func energyRows(rs []query.Energy) string {
	s := ""
	for _, r := range rs {
		s += fmt.Sprintf("\n  [%s, %s) %.4g kWh reads=%d est=%d iv=%v", r.Start.Format("01-02 15:04 MST"), r.End.Format("01-02 15:04 MST"), r.KWh, r.Reads, r.Estimated, r.Interval)
	}
	return s
}

// TestEstimateStaysInRangeOnChangeDay: a change day (30-minute reads to
// noon, 15-minute after) with a read lost at 13:00; the range [14:00,
// 18:00) holds no gap. With Estimate, nothing is estimated, and no row
// lies outside the range (the run before the cut lies outside it).
func TestEstimateStaysInRangeOnChangeDay(t *testing.T) {
	ctx := context.Background()
	d0 := time.Date(2024, 6, 10, 0, 0, 0, 0, time.UTC)
	noon := d0.Add(12 * time.Hour)
	lost := d0.Add(13 * time.Hour)
	rs := concat(every(meter.TypeKW, d0.AddDate(0, 0, -30), noon, 30*time.Minute, 1),
		every(meter.TypeKW, noon, d0.AddDate(0, 0, 2), 15*time.Minute, 1, lost))
	l := query.New(lakeOf(t, rs), nil)
	f := query.Filter{From: d0.Add(14 * time.Hour), To: d0.Add(18 * time.Hour), Estimate: &vee.Options{}}
	got, _, err := l.Energy(ctx, f, query.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if s := sumKWh(got); s != 4 || len(got) != 4 {
		t.Errorf("[14:00, 18:00): %v kWh in %d rows, want 4 in 4:%s", s, len(got), energyRows(got))
	}
	// The mirror: range [08:00, 10:00) before the cut, a 30-minute read lost at 11:00.
	rs = concat(every(meter.TypeKW, d0.AddDate(0, 0, -30), noon, 30*time.Minute, 1, d0.Add(11*time.Hour)),
		every(meter.TypeKW, noon, d0.AddDate(0, 0, 2), 15*time.Minute, 1))
	l = query.New(lakeOf(t, rs), nil)
	f = query.Filter{From: d0.Add(8 * time.Hour), To: d0.Add(10 * time.Hour), Estimate: &vee.Options{}}
	got, _, err = l.Energy(ctx, f, query.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if s := sumKWh(got); s != 2 || len(got) != 2 {
		t.Errorf("[08:00, 10:00): %v kWh in %d rows, want 2 in 2:%s", s, len(got), energyRows(got))
	}
}

// TestKWReadsCountWhereNoKWhReadCovers: a meter with a kW channel all day
// whose kWh channel starts at 10:30, or lost its 10:45 read: the kW reads
// of the intervals no kWh read covers count, and a range cut in the hour
// gives the same total.
func TestKWReadsCountWhereNoKWhReadCovers(t *testing.T) {
	ctx := context.Background()
	d0 := time.Date(2024, 6, 10, 0, 0, 0, 0, time.UTC)
	d1 := d0.AddDate(0, 0, 1)
	h10 := d0.Add(10 * time.Hour)
	kw := every(meter.TypeKW, d0.AddDate(0, 0, -1), d0.AddDate(0, 0, 2), 15*time.Minute, 1)
	t.Run("kWh channel starts 10:30", func(t *testing.T) {
		kwh := every(meter.TypeKWh, h10.Add(30*time.Minute), d0.AddDate(0, 0, 2), 15*time.Minute, 0.25)
		l := query.New(lakeOf(t, kw, kwh), nil)
		day, _, _ := l.Energy(ctx, query.Filter{From: d0, To: d1}, query.Day)
		a, _, _ := l.Energy(ctx, query.Filter{From: d0, To: h10.Add(30 * time.Minute)}, query.Day)
		b, _, _ := l.Energy(ctx, query.Filter{From: h10.Add(30 * time.Minute), To: d1}, query.Day)
		if sumKWh(day) != 24 || sumKWh(a)+sumKWh(b) != sumKWh(day) {
			t.Errorf("day: %v kWh, want 24; cut at 10:30: %v + %v", sumKWh(day), sumKWh(a), sumKWh(b))
		}
	})
	t.Run("kWh read lost at 10:45", func(t *testing.T) {
		kwh := every(meter.TypeKWh, d0.AddDate(0, 0, -1), d0.AddDate(0, 0, 2), 15*time.Minute, 0.25, h10.Add(45*time.Minute))
		l := query.New(lakeOf(t, kw, kwh), nil)
		day, _, _ := l.Energy(ctx, query.Filter{From: d0, To: d1}, query.Day)
		if sumKWh(day) != 24 {
			t.Errorf("day: %v kWh, want 24 (the kW read of 10:45 stands for the lost kWh read)", sumKWh(day))
		}
	})
	t.Run("hourly kWh over 15-minute kW", func(t *testing.T) {
		// Each hourly kWh read covers its hour's four kW reads.
		kwh := every(meter.TypeKWh, d0.AddDate(0, 0, -1), d0.AddDate(0, 0, 2), time.Hour, 2)
		l := query.New(lakeOf(t, kw, kwh), nil)
		day, _, _ := l.Energy(ctx, query.Filter{From: d0, To: d1}, query.Day)
		hour, _, _ := l.Energy(ctx, query.Filter{From: h10, To: h10.Add(time.Hour)}, query.Hour)
		if sumKWh(day) != 48 || sumKWh(hour) != 2 {
			t.Errorf("day: %v kWh, want 48; hour 10: %v, want 2", sumKWh(day), sumKWh(hour))
		}
	})
}

// TestLostReadsAtDayEdgeAreNotAChange: a 15-minute meter (1 kW) that lost
// every other read of its last two hours: its last five reads are 30
// minutes apart, which a change to 30-minute reads too short to confirm
// does not make: each late read counts 15 minutes, the lost ones are
// missing, or estimated and flagged. A change to 30 minutes at 16:00 (16
// gaps of it) is one.
func TestLostReadsAtDayEdgeAreNotAChange(t *testing.T) {
	ctx := context.Background()
	d0 := time.Date(2024, 6, 10, 0, 0, 0, 0, time.UTC)
	d1 := d0.AddDate(0, 0, 1)
	at := func(h, m int) time.Time { return d0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	lost := []time.Time{at(22, 15), at(22, 45), at(23, 15), at(23, 45)}
	l := query.New(lakeOf(t, every(meter.TypeKW, d0.AddDate(0, 0, -30), d0.AddDate(0, 0, 2), 15*time.Minute, 1, lost...)), nil)
	got, _, err := l.Energy(ctx, query.Filter{From: d0, To: d1}, query.Day)
	if err != nil {
		t.Fatal(err)
	}
	if s := sumKWh(got); s != 23 || len(got) != 1 || got[0].Reads != 92 || got[0].Interval != 15*time.Minute {
		t.Errorf("%v kWh, want 23 (92 reads of 15 minutes):%s", s, energyRows(got))
	}
	est, _, err := l.Energy(ctx, query.Filter{From: d0, To: d1, Estimate: &vee.Options{}}, query.Day)
	if err != nil {
		t.Fatal(err)
	}
	if s := sumKWh(est); s != 24 || len(est) != 1 || est[0].Reads != 92 || est[0].Estimated != 4 {
		t.Errorf("with estimates: %v kWh, want 24 of 92 reads and 4 estimates:%s", s, energyRows(est))
	}

	rs := concat(every(meter.TypeKW, d0.AddDate(0, 0, -1), at(16, 0), 15*time.Minute, 1),
		every(meter.TypeKW, at(16, 0), d0.AddDate(0, 0, 2), 30*time.Minute, 1))
	l = query.New(lakeOf(t, rs), nil)
	got, _, err = l.Energy(ctx, query.Filter{From: d0, To: d1}, query.Day)
	if err != nil {
		t.Fatal(err)
	}
	if s := sumKWh(got); s != 24 {
		t.Errorf("change to 30 minutes at 16:00: %v kWh, want 24:%s", s, energyRows(got))
	}
}

// TestChangeDayWithLostReadsAtEdge: a change day (30-minute reads to
// noon, 15-minute after, 1 kW) whose first or last five reads hold two
// lost reads: the edge is widened until it tells its interval, and the
// change is seen.
func TestChangeDayWithLostReadsAtEdge(t *testing.T) {
	ctx := context.Background()
	d0 := time.Date(2024, 6, 10, 0, 0, 0, 0, time.UTC)
	noon := d0.Add(12 * time.Hour)
	at := func(h, m int) time.Time { return d0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	for _, tc := range []struct {
		name string
		lost []time.Time
		want float64
	}{
		{"no lost read", nil, 24},
		{"one lost in the first five", []time.Time{at(1, 30)}, 23.5},
		{"two lost in the first five", []time.Time{at(1, 30), at(2, 30)}, 23},
		{"two lost in the last five", []time.Time{at(23, 15), at(23, 45)}, 23.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := concat(every(meter.TypeKW, d0.AddDate(0, 0, -1), noon, 30*time.Minute, 1, tc.lost...),
				every(meter.TypeKW, noon, d0.AddDate(0, 0, 2), 15*time.Minute, 1, tc.lost...))
			l := query.New(lakeOf(t, rs), nil)
			for _, f := range []query.Filter{{From: d0, To: d0.AddDate(0, 0, 1)}, {From: d0.Add(4 * time.Hour), To: d0.Add(20 * time.Hour)}} {
				got, _, err := l.Energy(ctx, f, query.Hour)
				if err != nil {
					t.Fatal(err)
				}
				want := tc.want
				if f.From != d0 {
					want = 16
				}
				if s := sumKWh(got); s != want {
					t.Errorf("[%s, %s): %v kWh, want %v:%s", f.From.Format("15:04"), f.To.Format("15:04"), s, want, energyRows(got))
				}
			}
		})
	}
}

// TestFinerHistoryAveragedOnCoarserGrid: a meter of 15-minute reads (1,
// 2, 3, 4 kW at :00, :15, :30, :45: 2.5 kWh an hour) moved to 30-minute
// reads (2.5 kW) on June 6; a 4-hour gap on June 8. Like-day estimates on
// the 30-minute grid take the mean of the 15-minute reads of each slot
// of the history, not one of them.
func TestFinerHistoryAveragedOnCoarserGrid(t *testing.T) {
	ctx := context.Background()
	d0 := time.Date(2024, 6, 6, 0, 0, 0, 0, time.UTC)
	var rs []meter.Reading
	for _, r := range every(meter.TypeKW, d0.AddDate(0, 0, -35), d0, 15*time.Minute, 0) {
		r.Value = float64(1 + r.Time.Minute()/15)
		rs = append(rs, r)
	}
	gap := d0.AddDate(0, 0, 2).Add(8 * time.Hour)
	for _, r := range every(meter.TypeKW, d0, d0.AddDate(0, 0, 5), 30*time.Minute, 2.5) {
		if r.Time.After(gap) && !r.Time.After(gap.Add(4*time.Hour)) {
			continue
		}
		rs = append(rs, r)
	}
	l := query.New(lakeOf(t, rs), nil)
	got, _, err := l.Energy(ctx, query.Filter{From: d0.AddDate(0, 0, 2), To: d0.AddDate(0, 0, 3), Estimate: &vee.Options{}}, query.Day)
	if err != nil {
		t.Fatal(err)
	}
	if s := sumKWh(got); math.Abs(s-60) > 1e-9 || len(got) != 1 || got[0].Estimated != 8 {
		t.Errorf("June 8: %v kWh, want 60 with 8 estimates (2.5 kWh an hour, history and reads alike):%s", s, energyRows(got))
	}
}

// TestEstimateDayWithoutReadsIndependentOfRange: with Estimate, a day
// whose reads were all lost is estimated alike on its own and inside a
// longer range, for the meters asked for; and an outage across a day edge
// before an interval change (15-minute reads until June 6, none until
// 18:00, 30-minute reads after) is estimated on the grid of the day it
// lies in whatever range holds it.
func TestEstimateDayWithoutReadsIndependentOfRange(t *testing.T) {
	ctx := context.Background()
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return d0.AddDate(0, 0, n) }
	var rs []meter.Reading
	for _, r := range every(meter.TypeKW, day(-28), day(10), 15*time.Minute, 1) {
		if r.Time.After(day(5)) && !r.Time.After(day(6)) {
			continue
		}
		rs = append(rs, r)
	}
	l := query.New(lakeOf(t, rs), nil)
	e := &vee.Options{}
	ids := []string{"m"}
	alone, _, _ := l.Energy(ctx, query.Filter{MeterIDs: ids, From: day(5), To: day(6), Estimate: e}, query.Day)
	wide, _, _ := l.Energy(ctx, query.Filter{MeterIDs: ids, From: day(4), To: day(7), Estimate: e}, query.Day)
	if sumKWh(alone) != 24 || sumKWh(wide) != 72 || len(alone) != 1 || alone[0].Estimated != 96 {
		t.Errorf("June 6 alone %v kWh, June 5-7 %v kWh; want 24 (96 estimates) and 72:%s", sumKWh(alone), sumKWh(wide), energyRows(alone))
	}

	d6 := time.Date(2024, 6, 6, 0, 0, 0, 0, time.UTC)
	rs = nil
	for _, r := range every(meter.TypeKW, d6.AddDate(0, 0, -35), d6, 15*time.Minute, 0) {
		r.Value = float64(1 + r.Time.Minute()/15) // 1, 2, 3, 4 kW at :00, :15, :30, :45
		rs = append(rs, r)
	}
	rs = append(rs, every(meter.TypeKW, d6.Add(18*time.Hour), d6.AddDate(0, 0, 3), 30*time.Minute, 1)...)
	l = query.New(lakeOf(t, rs), nil)
	hour := d6.Add(6 * time.Hour)
	var rows []string
	for _, f := range []query.Filter{
		{From: d6.Add(-12 * time.Hour), To: d6.Add(12 * time.Hour)}, // June 6 holds no read in the range
		{From: d6.Add(-12 * time.Hour), To: d6.Add(24 * time.Hour)},
		{From: d6, To: d6.Add(24 * time.Hour)},
	} {
		f.Estimate = &vee.Options{}
		got, _, err := l.Energy(ctx, f, query.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range got {
			if g.Start.Equal(hour) {
				rows = append(rows, fmt.Sprintf("%v kWh, %d estimated, %v", g.KWh, g.Estimated, g.Interval))
			}
		}
	}
	if len(rows) != 3 || rows[0] != rows[1] || rows[1] != rows[2] {
		t.Errorf("hour June 6 06:00 by range: %q", rows)
	}
}
