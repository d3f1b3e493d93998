package query_test

// Regression tests from review 9-a (query/energy.go).

import (
	"context"
	"fmt"
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
