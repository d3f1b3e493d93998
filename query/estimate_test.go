package query_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/query"
	"github.com/openmda/mda/vee"
)

// TestEnergyEstimate: with Filter.Estimate, the missing kW reads between
// a meter's reads are estimated (linear over a short gap, like-day over a
// longer one) and counted apart; the hours after its last read are not.
func TestEnergyEstimate(t *testing.T) {
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	day := time.Date(2024, 6, 29, 0, 0, 0, 0, time.UTC) // a Saturday
	// 15-minute reads of 2 kW for five weeks, 3 kW on Saturdays.
	kw := func(t time.Time) float64 {
		if t.Add(-time.Minute).Weekday() == time.Saturday {
			return 3
		}
		return 2
	}
	missing := func(t time.Time) bool {
		return t.After(day.Add(6*time.Hour)) && !t.After(day.Add(6*time.Hour+30*time.Minute)) || // 2 reads
			t.After(day.Add(12*time.Hour)) && !t.After(day.Add(15*time.Hour)) || // 12 reads
			t.After(day.Add(23*time.Hour)) // not arrived yet: 4 reads
	}
	var reads []meter.Reading
	for t := day.AddDate(0, 0, -35).Add(15 * time.Minute); !t.After(day.Add(24 * time.Hour)); t = t.Add(15 * time.Minute) {
		if !missing(t) {
			reads = append(reads, meter.Reading{MeterID: "m", Type: meter.TypeKW, Value: kw(t), Time: t})
		}
	}
	w := partition.NewWriter(b, "t", nil)
	w.Write(reads)
	if _, err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	l := query.New(b, nil)
	f := query.Filter{MeterIDs: []string{"m"}, From: day, To: day.Add(24 * time.Hour)}
	plain, _, err := l.Energy(ctx, f, query.Day)
	if err != nil {
		t.Fatal(err)
	}
	f.Estimate = &vee.Options{}
	est, _, err := l.Energy(ctx, f, query.Day)
	if err != nil {
		t.Fatal(err)
	}
	want := []query.Energy{{MeterID: "m", Start: day, End: day.Add(24 * time.Hour), KWh: 3 * 0.25 * (96 - 18), Reads: 96 - 18, Interval: 15 * time.Minute}}
	if diff := cmp.Diff(want, plain, approx); diff != "" {
		t.Errorf("without estimates (-want +got):\n%s", diff)
	}
	// The 14 reads of the two gaps are estimated at the Saturday's 3 kW
	// (linear between two 3 kW reads, like-day from four Saturdays); the
	// last hour, after the last read, is not.
	want[0].KWh, want[0].Estimated = 3*0.25*(96-4), 14
	if diff := cmp.Diff(want, est, approx); diff != "" {
		t.Errorf("with estimates (-want +got):\n%s", diff)
	}
	hours, _, err := l.Energy(ctx, f, query.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hours {
		switch hr := h.Start.Hour(); {
		case hr == 6 && (h.Reads != 2 || h.Estimated != 2):
			t.Errorf("06:00: %+v, want 2 reads and 2 estimated", h)
		case hr >= 12 && hr < 15 && (h.Reads != 0 || h.Estimated != 4):
			t.Errorf("%02d:00: %+v, want 4 estimated", hr, h)
		case hr == 23:
			t.Errorf("23:00, after the last read: %+v", h)
		}
	}
	if len(hours) != 23 {
		t.Errorf("%d hours, want 23", len(hours))
	}
	// A gap longer than MaxGap is an outage, not consumption.
	f.Estimate = &vee.Options{MaxGap: 2 * time.Hour}
	short, _, err := l.Energy(ctx, f, query.Day)
	if err != nil {
		t.Fatal(err)
	}
	if len(short) != 1 || short[0].Estimated != 2 {
		t.Errorf("with MaxGap 2h: %+v, want only the 30-minute gap estimated", short)
	}
}

// writeKW writes meter m's kW reads at the given times, all 1 kW.
func writeKW(t *testing.T, b *blob.Bucket, times []time.Time) {
	t.Helper()
	var reads []meter.Reading
	for _, tm := range times {
		reads = append(reads, meter.Reading{MeterID: "m", Type: meter.TypeKW, Value: 1, Time: tm})
	}
	w := partition.NewWriter(b, "t", nil)
	w.Write(reads)
	if _, err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestEnergyEstimateEdges: estimates do not depend on how the range is
// cut (a gap across To is closed by the read after it), the interval comes
// from the reads of the range's day, a stray read off the grid does not
// shift it nor fill a slot outside the range, and nothing is estimated at
// or before From.
func TestEnergyEstimateEdges(t *testing.T) {
	ctx := context.Background()
	day := time.Date(2024, 6, 10, 0, 0, 0, 0, time.UTC)
	every := func(from, to time.Time, step time.Duration, skip func(time.Time) bool) []time.Time {
		var out []time.Time
		for tm := from.Add(step); !tm.After(to); tm = tm.Add(step) {
			if skip == nil || !skip(tm) {
				out = append(out, tm)
			}
		}
		return out
	}
	energy := func(b *blob.Bucket, from, to time.Time, p query.Period) []query.Energy {
		t.Helper()
		got, _, err := query.New(b, nil).Energy(ctx, query.Filter{MeterIDs: []string{"m"}, From: from, To: to, Estimate: &vee.Options{}}, p)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	newLake := func() *blob.Bucket {
		b, err := blob.OpenBucket(ctx, "mem://")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}

	t.Run("a gap across the end of the range", func(t *testing.T) {
		b := newLake()
		end := day.Add(24 * time.Hour)
		writeKW(t, b, every(day.AddDate(0, 0, -1), end.Add(24*time.Hour), 15*time.Minute, func(tm time.Time) bool {
			return !tm.Before(end.Add(-15*time.Minute)) && !tm.After(end.Add(15*time.Minute)) // 23:45, 00:00, 00:15
		}))
		one := energy(b, day, end, query.Day)
		two := energy(b, day, end.Add(24*time.Hour), query.Day)
		if len(one) != 1 || len(two) != 2 || one[0].Estimated != 2 || one[0].KWh != two[0].KWh || one[0].Estimated != two[0].Estimated {
			t.Errorf("one day: %+v; two days: %+v; want 2 estimates that day either way", one, two)
		}
	})
	t.Run("the interval of the range", func(t *testing.T) {
		b := newLake()
		// 30-minute reads until the day before, 15-minute reads since.
		times := append(every(day.AddDate(0, 0, -20), day.AddDate(0, 0, -1), 30*time.Minute, nil),
			every(day.AddDate(0, 0, -1), day.Add(24*time.Hour), 15*time.Minute, nil)...)
		writeKW(t, b, times)
		got := energy(b, day, day.Add(24*time.Hour), query.Day)
		if len(got) != 1 || got[0].Interval != 15*time.Minute || got[0].KWh != 24 || got[0].Estimated != 0 {
			t.Errorf("%+v; want 24 kWh from 15-minute reads, nothing estimated", got)
		}
	})
	t.Run("a stray read off the grid", func(t *testing.T) {
		b := newLake()
		times := every(day.AddDate(0, 0, -1), day.Add(24*time.Hour), 15*time.Minute, func(tm time.Time) bool {
			return tm.Equal(day.Add(6 * time.Hour)) // one missing read
		})
		times = append(times, day.Add(8*time.Minute)) // and a stray one
		writeKW(t, b, times)
		got := energy(b, day, day.Add(24*time.Hour), query.Day)
		if len(got) != 1 || got[0].Estimated != 1 {
			t.Errorf("%+v; want the one missing read estimated", got)
		}
	})
	// A stray read just after From rounds to the slot at From, which is
	// not the range's: it fills none of the range's slots.
	t.Run("a stray read just after From", func(t *testing.T) {
		b := newLake()
		times := every(day.AddDate(0, 0, -1), day.Add(24*time.Hour), 15*time.Minute, func(tm time.Time) bool {
			return tm.Equal(day.Add(6 * time.Hour))
		})
		times = append(times, day.Add(time.Minute))
		writeKW(t, b, times)
		got := energy(b, day, day.Add(24*time.Hour), query.Day)
		if len(got) != 1 || got[0].Estimated != 1 || got[0].Interval != 15*time.Minute {
			t.Errorf("%+v; want the one missing read estimated", got)
		}
	})
}
