package query_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"

	"github.com/openmda/mda/internal/sortedmem"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/query"
	"github.com/openmda/mda/vee"
)

// every returns meter m's reads of typ, all of value v, every step in
// (from, to], less those skip reports.
func every(typ meter.Type, from, to time.Time, step time.Duration, v float64, skip ...time.Time) []meter.Reading {
	var out []meter.Reading
	for tm := from.Add(step); !tm.After(to); tm = tm.Add(step) {
		skipped := false
		for _, s := range skip {
			skipped = skipped || s.Equal(tm)
		}
		if !skipped {
			out = append(out, meter.Reading{MeterID: "m", Type: typ, Value: v, Time: tm})
		}
	}
	return out
}

// lakeOf writes reads to a new memory lake with a partition.Writer, closed
// when t ends.
func lakeOf(t *testing.T, reads ...[]meter.Reading) *blob.Bucket {
	t.Helper()
	b, err := writeLake(reads...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// writeLake writes reads to a new memory lake with a partition.Writer.
// The lake is a sortedmem bucket, memblob's but for its listings, which do
// not sort every key of the lake: the tests' lakes of months of hourly
// partitions spent most of their time sorting keys on mem://.
func writeLake(reads ...[]meter.Reading) (*blob.Bucket, error) {
	ctx := context.Background()
	b := sortedmem.Open()
	w := partition.NewWriter(b, "t", nil)
	for _, rs := range reads {
		if _, err := w.Write(rs); err != nil {
			b.Close()
			return nil, err
		}
	}
	if _, err := w.Close(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// readLakes holds the lakes of readLake, by name.
var readLakes sync.Map // string -> *readLakeOnce

type readLakeOnce struct {
	once sync.Once
	b    *blob.Bucket
	err  error
}

// readLake is lakeOf(reads()) for the tests that read the same lake,
// built once per test binary under name: a year of 15-minute reads takes
// a second to write. The tests must not write to it.
func readLake(t *testing.T, name string, reads func() [][]meter.Reading) *blob.Bucket {
	t.Helper()
	v, _ := readLakes.LoadOrStore(name, &readLakeOnce{})
	s := v.(*readLakeOnce)
	s.once.Do(func() { s.b, s.err = writeLake(reads()...) })
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.b
}

func concat(rss ...[]meter.Reading) []meter.Reading {
	var out []meter.Reading
	for _, rs := range rss {
		out = append(out, rs...)
	}
	return out
}

// TestEnergyDayIndependentOfRange: a kW read stands for the interval of
// its own local day's reads, so a day's energy, and an hour's, is the same
// whatever range holds it: alone, among others, or cut anywhere.
func TestEnergyDayIndependentOfRange(t *testing.T) {
	ctx := context.Background()
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return d0.AddDate(0, 0, n) }
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	nyDay := func(n int) time.Time { return time.Date(2024, 6, 1+n, 0, 0, 0, 0, ny) }
	type dayWant struct {
		kwh   float64
		reads int
		iv    time.Duration
	}
	tests := []struct {
		name  string
		loc   *time.Location
		reads []meter.Reading
		days  []time.Time // the checked days' starts, and the end of the last
		want  []dayWant
	}{
		{"30 then 15 minutes", nil,
			concat(every(meter.TypeKW, day(0), day(1), 30*time.Minute, 1), every(meter.TypeKW, day(1), day(3), 15*time.Minute, 1)),
			[]time.Time{day(0), day(1), day(2), day(3)},
			[]dayWant{{24, 48, 30 * time.Minute}, {24, 96, 15 * time.Minute}, {24, 96, 15 * time.Minute}}},
		{"15 then 30 minutes", nil,
			concat(every(meter.TypeKW, day(0), day(1), 15*time.Minute, 1), every(meter.TypeKW, day(1), day(3), 30*time.Minute, 1)),
			[]time.Time{day(0), day(1), day(2), day(3)},
			[]dayWant{{24, 96, 15 * time.Minute}, {24, 48, 30 * time.Minute}, {24, 48, 30 * time.Minute}}},
		// Each on-demand read at half past makes two half-hour gaps; an
		// hour is still the interval (the reads are of 0 kW, so that the
		// energy shows the interval of the others).
		{"hourly with three on-demand reads in a day", nil,
			concat(every(meter.TypeKW, day(0), day(3), time.Hour, 1), []meter.Reading{
				{MeterID: "m", Type: meter.TypeKW, Time: day(1).Add(5*time.Hour + 30*time.Minute)},
				{MeterID: "m", Type: meter.TypeKW, Time: day(1).Add(11*time.Hour + 30*time.Minute)},
				{MeterID: "m", Type: meter.TypeKW, Time: day(1).Add(17*time.Hour + 30*time.Minute)}}),
			[]time.Time{day(0), day(1), day(2), day(3)},
			[]dayWant{{24, 24, time.Hour}, {24, 27, time.Hour}, {24, 24, time.Hour}}},
		// Two reads six hours apart do not tell the day's interval: the
		// days around it do.
		{"a day of two reads", nil,
			concat(every(meter.TypeKW, day(0), day(1), 15*time.Minute, 1),
				[]meter.Reading{{MeterID: "m", Type: meter.TypeKW, Value: 1, Time: day(1).Add(10 * time.Hour)},
					{MeterID: "m", Type: meter.TypeKW, Value: 1, Time: day(1).Add(16 * time.Hour)}},
				every(meter.TypeKW, day(2), day(3), 15*time.Minute, 1)),
			[]time.Time{day(0), day(1), day(2), day(3)},
			[]dayWant{{24, 96, 15 * time.Minute}, {0.5, 2, 15 * time.Minute}, {24, 96, 15 * time.Minute}}},
		// The first day's two reads do not tell; the following days do,
		// also when the first day is asked for alone.
		{"installed late in the day", nil,
			every(meter.TypeKW, day(0).Add(22*time.Hour), day(3), time.Hour, 1),
			[]time.Time{day(0), day(1), day(2), day(3)},
			[]dayWant{{2, 2, time.Hour}, {24, 24, time.Hour}, {24, 24, time.Hour}}},
		// The meter changed interval at noon: each read stands for its own
		// interval, also in the hours of ranges that cut the day, whose
		// first and last reads disagree.
		{"30 then 15 minutes at noon", nil,
			concat(every(meter.TypeKW, day(0), day(1).Add(12*time.Hour), 30*time.Minute, 1), every(meter.TypeKW, day(1).Add(12*time.Hour), day(3), 15*time.Minute, 1)),
			[]time.Time{day(0), day(1), day(2), day(3)},
			[]dayWant{{24, 48, 30 * time.Minute}, {24, 24 + 48, 0}, {24, 96, 15 * time.Minute}}},
		{"15 then 30 minutes at 07:00", nil,
			concat(every(meter.TypeKW, day(0), day(1).Add(7*time.Hour), 15*time.Minute, 1), every(meter.TypeKW, day(1).Add(7*time.Hour), day(3), 30*time.Minute, 1)),
			[]time.Time{day(0), day(1), day(2), day(3)},
			[]dayWant{{24, 96, 15 * time.Minute}, {24, 28 + 34, 0}, {24, 48, 30 * time.Minute}}},
		// The read at the change (12:00) lost: the next, 12:15, is still a
		// 15-minute one.
		{"30 then 15 minutes, the read at the change lost", nil,
			concat(every(meter.TypeKW, day(0), day(1).Add(12*time.Hour), 30*time.Minute, 1, day(1).Add(12*time.Hour)),
				every(meter.TypeKW, day(1).Add(12*time.Hour), day(3), 15*time.Minute, 1)),
			[]time.Time{day(0), day(1), day(2), day(3)},
			[]dayWant{{24, 48, 30 * time.Minute}, {23.5, 23 + 48, 0}, {24, 96, 15 * time.Minute}}},
		// Hourly reads: a day's first three hours do not hold its first
		// five reads, so the rest of a day the range cuts is read.
		{"hourly then 15 minutes at 10:00", nil,
			concat(every(meter.TypeKW, day(0), day(1).Add(10*time.Hour), time.Hour, 1), every(meter.TypeKW, day(1).Add(10*time.Hour), day(3), 15*time.Minute, 1)),
			[]time.Time{day(0), day(1), day(2), day(3)},
			[]dayWant{{24, 24, time.Hour}, {24, 10 + 56, 0}, {24, 96, 15 * time.Minute}}},
		// Local days: the change at local midnight, 04:00 UTC.
		{"30 then 15 minutes, New York days", ny,
			concat(every(meter.TypeKW, nyDay(0), nyDay(1), 30*time.Minute, 1), every(meter.TypeKW, nyDay(1), nyDay(3), 15*time.Minute, 1)),
			[]time.Time{nyDay(0), nyDay(1), nyDay(2), nyDay(3)},
			[]dayWant{{24, 48, 30 * time.Minute}, {24, 96, 15 * time.Minute}, {24, 96, 15 * time.Minute}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := query.New(lakeOf(t, tc.reads), &query.Options{Location: tc.loc})
			loc := l.Location()
			energy := func(from, to time.Time, p query.Period) []query.Energy {
				t.Helper()
				got, _, err := l.Energy(ctx, query.Filter{From: from, To: to}, p)
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			var want []query.Energy
			for i, w := range tc.want {
				want = append(want, query.Energy{MeterID: "m", Start: tc.days[i].In(loc), End: tc.days[i+1].In(loc),
					KWh: w.kwh, Reads: w.reads, Interval: w.iv})
			}
			from, to := tc.days[0], tc.days[len(tc.days)-1]
			if diff := cmp.Diff(want, energy(from, to, query.Day), approx); diff != "" {
				t.Errorf("days of the whole range (-want +got):\n%s", diff)
			}
			for i := range want {
				if diff := cmp.Diff(want[i:i+1], energy(tc.days[i], tc.days[i+1], query.Day), approx); diff != "" {
					t.Errorf("day %d alone (-want +got):\n%s", i, diff)
				}
			}
			// Hours of ranges cut anywhere are the hours of the whole range.
			hours := energy(from, to, query.Hour)
			for _, r := range [][2]time.Duration{{5 * time.Hour, 29 * time.Hour}, {13 * time.Hour, 62 * time.Hour},
				{23 * time.Hour, 25 * time.Hour}, {47 * time.Hour, 72 * time.Hour}} {
				a, b := from.Add(r[0]), from.Add(r[1])
				var want []query.Energy
				for _, h := range hours {
					if !h.Start.Before(a) && h.Start.Before(b) {
						want = append(want, h)
					}
				}
				if diff := cmp.Diff(want, energy(a, b, query.Hour), approx); diff != "" {
					t.Errorf("hours of [%v, %v) (-whole range +this range):\n%s", r[0], r[1], diff)
				}
			}
		})
	}
}

// TestEnergyPeriodInterval: a period's Interval is that of its kW reads,
// 0 if they stood for different intervals or the period is read from kWh.
func TestEnergyPeriodInterval(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	end := d0.AddDate(0, 0, 3)
	for _, tc := range []struct {
		name  string
		reads []meter.Reading
		want  query.Energy
	}{
		{"one interval", every(meter.TypeKW, d0, end, 15*time.Minute, 1),
			query.Energy{KWh: 72, Reads: 288, Interval: 15 * time.Minute}},
		{"an interval change", concat(every(meter.TypeKW, d0, d0.AddDate(0, 0, 1), 30*time.Minute, 1),
			every(meter.TypeKW, d0.AddDate(0, 0, 1), end, 15*time.Minute, 1)),
			query.Energy{KWh: 72, Reads: 48 + 192}},
		{"kWh", every(meter.TypeKWh, d0, end, 15*time.Minute, 0.25), query.Energy{KWh: 72, Reads: 288}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := query.New(lakeOf(t, tc.reads), nil).Energy(context.Background(), query.Filter{From: d0, To: end}, query.Month)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.MeterID, want.Start, want.End = "m", d0, end
			if diff := cmp.Diff([]query.Energy{want}, got, approx); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestEnergyKWhPerPeriod: an hour with kWh reads is read from them, one
// without from its kW reads, whatever else the range holds, and longer
// periods are the sums of their hours.
func TestEnergyKWhPerPeriod(t *testing.T) {
	ctx := context.Background()
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	d1, d2 := d0.AddDate(0, 0, 1), d0.AddDate(0, 0, 2)
	row := func(start, end time.Time, kwh float64, reads int, iv time.Duration) query.Energy {
		return query.Energy{MeterID: "m", Start: start, End: end, KWh: kwh, Reads: reads, Interval: iv}
	}
	hourRows := func(from, to int, kwh float64, reads int, iv time.Duration) []query.Energy {
		var out []query.Energy
		for h := from; h < to; h++ {
			s := d0.Add(time.Duration(h) * time.Hour)
			out = append(out, row(s, s.Add(time.Hour), kwh, reads, iv))
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		reads    []meter.Reading
		from, to time.Time
		p        query.Period
		want     []query.Energy
	}{
		{"kW then kWh: both days", concat(every(meter.TypeKW, d0, d1, 15*time.Minute, 1), every(meter.TypeKWh, d1, d2, 15*time.Minute, 0.25)),
			d0, d2, query.Day, []query.Energy{row(d0, d1, 24, 96, 15*time.Minute), row(d1, d2, 24, 96, 0)}},
		{"kW then kWh: the kW day alone", concat(every(meter.TypeKW, d0, d1, 15*time.Minute, 1), every(meter.TypeKWh, d1, d2, 15*time.Minute, 0.25)),
			d0, d1, query.Day, []query.Energy{row(d0, d1, 24, 96, 15*time.Minute)}},
		{"kWh then kW", concat(every(meter.TypeKWh, d0, d1, 15*time.Minute, 0.5), every(meter.TypeKW, d1, d2, 15*time.Minute, 1)),
			d0, d2, query.Day, []query.Energy{row(d0, d1, 48, 96, 0), row(d1, d2, 24, 96, 15*time.Minute)}},
		// kWh reads (12:00, 18:00] besides kW reads all day: the hours
		// with kWh reads are their sum, the others kW, and the day is the
		// sum of its hours (12 + 11.75 + 6 kWh from 73 kW and 23 kWh
		// reads). The channel's first read is set aside: without a read
		// before it its interval is unknown, and the kW reads run on
		// both sides of it, so the kW read of 12:00-12:15 counts.
		{"kWh for part of a day: the day", concat(every(meter.TypeKW, d0, d1, 15*time.Minute, 1),
			every(meter.TypeKWh, d0.Add(12*time.Hour), d0.Add(18*time.Hour), 15*time.Minute, 0.5)),
			d0, d1, query.Day, []query.Energy{row(d0, d1, 29.75, 96, 0)}},
		{"kWh for part of a day: the hours", concat(every(meter.TypeKW, d0, d1, 15*time.Minute, 1),
			every(meter.TypeKWh, d0.Add(12*time.Hour), d0.Add(18*time.Hour), 15*time.Minute, 0.5)),
			d0, d1, query.Hour, append(append(append(hourRows(0, 12, 1, 4, 15*time.Minute), row(d0.Add(12*time.Hour), d0.Add(13*time.Hour), 1.75, 4, 0)),
				hourRows(13, 18, 2, 4, 0)...), hourRows(18, 24, 1, 4, 15*time.Minute)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := query.New(lakeOf(t, tc.reads), nil).Energy(ctx, query.Filter{From: tc.from, To: tc.to}, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, approx); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestEnergyEstimateAcrossIntervalChange: missing reads are estimated at
// the interval of their day: one 30-minute read on the 30-minute day, one
// 15-minute read on the 15-minute day.
func TestEnergyEstimateAcrossIntervalChange(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	d1, d2 := d0.AddDate(0, 0, 1), d0.AddDate(0, 0, 2)
	b := lakeOf(t, every(meter.TypeKW, d0.AddDate(0, 0, -1), d1, 30*time.Minute, 1, d0.Add(12*time.Hour)),
		every(meter.TypeKW, d1, d2.AddDate(0, 0, 1), 15*time.Minute, 1, d1.Add(12*time.Hour)))
	got, _, err := query.New(b, nil).Energy(context.Background(), query.Filter{From: d0, To: d2, Estimate: &vee.Options{}}, query.Day)
	if err != nil {
		t.Fatal(err)
	}
	want := []query.Energy{
		{MeterID: "m", Start: d0, End: d1, KWh: 24, Reads: 47, Estimated: 1, Interval: 30 * time.Minute},
		{MeterID: "m", Start: d1, End: d2, KWh: 24, Reads: 95, Estimated: 1, Interval: 15 * time.Minute},
	}
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
