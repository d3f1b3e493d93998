package query_test

import (
	"context"
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query"
	"github.com/openmda/mda/vee"
)

// Estimates of kWh interval channels (NEM12, Green Button, wide CSV,
// MRASCo): the intervals a kWh channel's lost reads leave uncovered are
// estimated with package vee, as a kW channel's missing reads are.

// keReads returns meter id's reads of typ every step in (from, to], of
// value v(t), less those lost reports.
func keReads(id string, typ meter.Type, from, to time.Time, step time.Duration, v func(time.Time) float64, lost func(time.Time) bool) []meter.Reading {
	var out []meter.Reading
	for tm := from.Add(step); !tm.After(to); tm = tm.Add(step) {
		if lost == nil || !lost(tm) {
			out = append(out, meter.Reading{MeterID: id, Type: typ, Value: v(tm), Time: tm})
		}
	}
	return out
}

func keConst(x float64) func(time.Time) float64 { return func(time.Time) float64 { return x } }

// keIn reports the times in (a, b].
func keIn(a, b time.Time) func(time.Time) bool {
	return func(t time.Time) bool { return t.After(a) && !t.After(b) }
}

func keAny(fs ...func(time.Time) bool) func(time.Time) bool {
	return func(t time.Time) bool {
		for _, f := range fs {
			if f != nil && f(t) {
				return true
			}
		}
		return false
	}
}

// keRows returns the energy rows of f, failing the test on an error.
func keRows(t *testing.T, l *query.Lake, f query.Filter, p query.Period) []query.Energy {
	t.Helper()
	got, _, err := l.Energy(context.Background(), f, p)
	if err != nil {
		t.Fatalf("%v [%v, %v): %v", p, f.From, f.To, err)
	}
	return got
}

// TestEnergyKWhEstimate: with Filter.Estimate, the intervals a kWh
// interval channel's lost reads leave uncovered are estimated (linear up
// to 2 hours, like-day up to 7 days) and counted apart; an interval a
// coarse kWh read counts whole, or that a kW read holds, is not; without
// Estimate nothing changes.
func TestEnergyKWhEstimate(t *testing.T) {
	utc := time.UTC
	mel, err := time.LoadLocation("Australia/Melbourne")
	if err != nil {
		t.Fatal(err)
	}
	const hh = 30 * time.Minute
	d := func(loc *time.Location, y int, m time.Month, day int) time.Time {
		return time.Date(y, m, day, 0, 0, 0, 0, loc)
	}
	jun := func(day int) time.Time { return d(utc, 2024, 6, day) }
	at := func(day int, h, m int) time.Time {
		return jun(day).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	e := func(id string, from, to time.Time, kwh float64, reads, est int, iv time.Duration) query.Energy {
		return query.Energy{MeterID: id, Start: from, End: to, KWh: kwh, Reads: reads, Estimated: est, Interval: iv}
	}
	// 0.5 kWh each half hour until June 5, then 1 kWh: a lost read
	// between two 1 kWh reads is linear, 1 kWh; one of a long gap on June
	// 20 like-day, the mean of June 13 and 6 (1 kWh) and May 30 and 23
	// (0.5 kWh).
	step := func(tm time.Time) float64 {
		if tm.After(jun(6)) {
			return 1
		}
		return 0.5
	}
	kwh := func(lost ...func(time.Time) bool) []meter.Reading {
		return keReads("m", meter.TypeKWh, jun(1).AddDate(0, 0, -35), jun(31), hh, step, keAny(lost...))
	}
	halves := func(lost ...func(time.Time) bool) []meter.Reading {
		return keReads("m", meter.TypeKWh, jun(1).AddDate(0, 0, -35), jun(31), hh, keConst(0.5), keAny(lost...))
	}
	kw := func(lost ...func(time.Time) bool) []meter.Reading {
		return keReads("m", meter.TypeKW, jun(1).AddDate(0, 0, -35), jun(31), 15*time.Minute, keConst(1), keAny(lost...))
	}
	hourlyKW := keReads("m", meter.TypeKW, jun(1).AddDate(0, 0, -35), jun(31), time.Hour, keConst(1), nil)
	// daily kWh reads at midnight of 24 kWh; the read after a lost one
	// holds both days
	daily := func(lost time.Time) []meter.Reading {
		var out []meter.Reading
		for tm := jun(1).AddDate(0, 0, -35); !tm.After(jun(30)); tm = tm.AddDate(0, 0, 1) {
			switch {
			case tm.Equal(lost):
			case tm.Equal(lost.AddDate(0, 0, 1)):
				out = append(out, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: tm, Value: 48})
			default:
				out = append(out, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: tm, Value: 24})
			}
		}
		return out
	}
	// weekly register reads of 168 kWh on Mondays until June 3, then
	// 30-minute reads of 0.5 kWh, the first (00:30) lost
	weekly := func() []meter.Reading {
		var out []meter.Reading
		for tm := jun(3).AddDate(0, 0, -35); !tm.After(jun(3)); tm = tm.AddDate(0, 0, 7) {
			out = append(out, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: tm, Value: 168})
		}
		return append(out, keReads("m", meter.TypeKWh, jun(3), jun(10), hh, keConst(0.5), keIn(jun(3), at(3, 0, 30)))...)
	}
	// an interval channel that stops for 36 hours, until a register read
	// that holds them (18 kWh), then goes on
	stop := append(halves(keIn(at(10, 12, 0), at(12, 0, 0))), meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: at(12, 0, 0), Value: 18})

	// Melbourne: 2024-04-07 has 25 hours (50 half hours), 2024-10-06 23
	// (46); each lost whole, on 30-minute reads of 0.5 kWh.
	aut, spr := d(mel, 2024, 4, 7), d(mel, 2024, 10, 6)
	melReads := append(keReads("m", meter.TypeKWh, aut.AddDate(0, 0, -35), aut.AddDate(0, 0, 3), hh, keConst(0.5), keIn(aut, aut.AddDate(0, 0, 1))),
		keReads("m", meter.TypeKWh, spr.AddDate(0, 0, -35), spr.AddDate(0, 0, 3), hh, keConst(0.5), keIn(spr, spr.AddDate(0, 0, 1)))...)
	// NEM time (AEST all year): the same day lost is 48 half hours.
	nem := d(meter.NEMTime, 2024, 10, 6)
	nemReads := keReads("m", meter.TypeKWh, nem.AddDate(0, 0, -35), nem.AddDate(0, 0, 3), hh, keConst(0.5), keIn(nem, nem.AddDate(0, 0, 1)))

	for _, tc := range []struct {
		name     string
		reads    []meter.Reading
		loc      *time.Location
		est      *vee.Options
		ids      []string // nil: all meters
		from, to time.Time
		p        query.Period
		plain    []query.Energy // without Estimate; nil: not checked
		want     []query.Energy
	}{
		{
			name:  "a lost read, linear",
			reads: kwh(func(tm time.Time) bool { return tm.Equal(at(20, 12, 30)) }),
			from:  jun(20), to: jun(21), p: query.Day,
			plain: []query.Energy{e("m", jun(20), jun(21), 47, 47, 0, 0)},
			want:  []query.Energy{e("m", jun(20), jun(21), 48, 47, 1, 0)},
		},
		{
			name: "two lost reads and twelve, the audit's day",
			// 10:30 and 11:00 linear (1 kWh), 14:00 to 19:30 like-day
			// from the four weeks before (2 at 1 kWh, 2 at 0.5).
			reads: kwh(keIn(at(20, 10, 0), at(20, 11, 0)), keIn(at(20, 13, 30), at(20, 19, 30))),
			from:  jun(20), to: jun(21), p: query.Day,
			plain: []query.Energy{e("m", jun(20), jun(21), 34, 34, 0, 0)},
			want:  []query.Energy{e("m", jun(20), jun(21), 34+2+12*0.75, 34, 14, 0)},
		},
		{
			name:  "MaxGap: a gap longer is not estimated",
			reads: kwh(keIn(at(20, 10, 0), at(20, 11, 0)), keIn(at(20, 13, 30), at(20, 19, 30))),
			est:   &vee.Options{MaxGap: 2 * time.Hour},
			from:  jun(20), to: jun(21), p: query.Day,
			want: []query.Energy{e("m", jun(20), jun(21), 36, 34, 2, 0)},
		},
		{
			name: "the reads after a channel's last are not estimated",
			// the last read of the lake is June 30 24:00: 23:30 and
			// 24:00 are lost with nothing after them
			reads: kwh(keIn(at(30, 23, 0), jun(31))),
			from:  jun(30), to: jun(31), p: query.Day,
			want: []query.Energy{e("m", jun(30), jun(30).Add(24*time.Hour), 46, 46, 0, 0)},
		},
		{
			name:  "a whole day lost in a month",
			reads: halves(keIn(jun(15), jun(16))),
			from:  jun(1), to: jun(31), p: query.Month,
			plain: []query.Energy{e("m", jun(1), jun(31), 696, 1392, 0, 0)},
			want:  []query.Energy{e("m", jun(1), jun(31), 720, 1392, 48, 0)},
		},
		{
			name:  "a whole day lost, the day alone",
			reads: halves(keIn(jun(15), jun(16))),
			ids:   []string{"m"},
			from:  jun(15), to: jun(16), p: query.Day,
			want: []query.Energy{e("m", jun(15), jun(16), 24, 0, 48, 0)},
		},
		{
			name:  "a whole day lost, the day alone, all meters",
			reads: halves(keIn(jun(15), jun(16))),
			from:  jun(15), to: jun(16), p: query.Day,
			want: []query.Energy{e("m", jun(15), jun(16), 24, 0, 48, 0)},
		},
		{
			name:  "a lost daily read: the next holds both days",
			reads: daily(jun(15)),
			from:  jun(14), to: jun(18), p: query.Day,
			want: []query.Energy{e("m", jun(15), jun(16), 48, 1, 0, 0), e("m", jun(16), jun(17), 24, 1, 0, 0), e("m", jun(17), jun(18), 24, 1, 0, 0)},
		},
		{
			name: "a weekly register read, then a channel whose first read was lost",
			// the register counts its week whole; the lost first
			// interval of the channel has no interval reads before it
			reads: weekly(),
			from:  jun(2), to: jun(4), p: query.Day,
			want: []query.Energy{e("m", jun(2), jun(3), 168, 1, 0, 0), e("m", jun(3), jun(4), 23.5, 47, 0, 0)},
		},
		{
			name:  "36 hours before a register read that holds them",
			reads: stop,
			from:  jun(10), to: jun(13), p: query.Day,
			want: []query.Energy{e("m", jun(10), jun(11), 12, 24, 0, 0), e("m", jun(11), jun(12), 18, 1, 0, 0), e("m", jun(12), jun(13), 24, 48, 0, 0)},
		},
		{
			name:  "kW and kWh both lost: estimated once, as kWh",
			reads: append(halves(keIn(at(20, 10, 0), at(20, 12, 0))), kw(keIn(at(20, 10, 0), at(20, 12, 0)))...),
			from:  jun(20), to: jun(21), p: query.Day,
			plain: []query.Energy{e("m", jun(20), jun(21), 22, 44, 0, 0)},
			want:  []query.Energy{e("m", jun(20), jun(21), 24, 44, 4, 0)},
		},
		{
			name:  "kWh lost, kW reads there: they count",
			reads: append(halves(keIn(at(20, 10, 0), at(20, 12, 0))), kw()...),
			from:  jun(20), to: jun(21), p: query.Day,
			plain: []query.Energy{e("m", jun(20), jun(21), 24, 52, 0, 0)},
			want:  []query.Energy{e("m", jun(20), jun(21), 24, 52, 0, 0)},
		},
		{
			name:  "kWh lost, one kW read lost there: estimated once, as kW",
			reads: append(halves(keIn(at(20, 10, 0), at(20, 12, 0))), kw(keIn(at(20, 10, 15), at(20, 10, 30)))...),
			from:  jun(20), to: jun(21), p: query.Day,
			want: []query.Energy{e("m", jun(20), jun(21), 24, 51, 1, 0)},
		},
		{
			name:  "kW lost where kWh reads are: nothing to estimate",
			reads: append(halves(), kw(keIn(at(20, 10, 15), at(20, 10, 30)))...),
			from:  jun(20), to: jun(21), p: query.Day,
			want: []query.Energy{e("m", jun(20), jun(21), 24, 48, 0, 0)},
		},
		{
			name: "hourly kW beside 30-minute kWh: the kW read holds its hour",
			// the kW read of 11:00 holds both lost half hours
			reads: append(halves(keIn(at(20, 10, 0), at(20, 11, 0))), hourlyKW...),
			from:  jun(20), to: jun(21), p: query.Day,
			want: []query.Energy{e("m", jun(20), jun(21), 24, 47, 0, 0)},
		},
		{
			name: "hourly kW beside 30-minute kWh: the half hour after the kW read is estimated",
			// 11:00 holds 10:00-11:00; 11:30 is estimated; the kW read
			// of 12:00 is the kWh read's
			reads: append(halves(keIn(at(20, 10, 0), at(20, 11, 30))), hourlyKW...),
			from:  jun(20), to: jun(21), p: query.Day,
			want: []query.Energy{e("m", jun(20), jun(21), 24, 46, 1, 0)},
		},
		{
			name:  "kW and kWh both lost, hours",
			reads: append(halves(keIn(at(20, 10, 0), at(20, 12, 0))), kw(keIn(at(20, 10, 0), at(20, 12, 0)))...),
			from:  at(20, 10, 0), to: at(20, 12, 0), p: query.Hour,
			want: []query.Energy{e("m", at(20, 10, 0), at(20, 11, 0), 1, 0, 2, 0), e("m", at(20, 11, 0), at(20, 12, 0), 1, 0, 2, 0)},
		},
		{
			name:  "Melbourne, a 25-hour day lost",
			reads: melReads, loc: mel,
			from: aut, to: aut.AddDate(0, 0, 1), p: query.Day,
			want: []query.Energy{e("m", aut, aut.AddDate(0, 0, 1), 25, 0, 50, 0)},
		},
		{
			name:  "Melbourne, a 23-hour day lost",
			reads: melReads, loc: mel,
			from: spr, to: spr.AddDate(0, 0, 1), p: query.Day,
			want: []query.Energy{e("m", spr, spr.AddDate(0, 0, 1), 23, 0, 46, 0)},
		},
		{
			name:  "Melbourne, the days around a 23-hour day lost",
			reads: melReads, loc: mel,
			from: spr.AddDate(0, 0, -1), to: spr.AddDate(0, 0, 2), p: query.Day,
			want: []query.Energy{
				e("m", spr.AddDate(0, 0, -1), spr, 24, 48, 0, 0),
				e("m", spr, spr.AddDate(0, 0, 1), 23, 0, 46, 0),
				e("m", spr.AddDate(0, 0, 1), spr.AddDate(0, 0, 2), 24, 48, 0, 0),
			},
		},
		{
			name:  "NEM time, the same day lost",
			reads: nemReads, loc: meter.NEMTime,
			from: nem, to: nem.AddDate(0, 0, 1), p: query.Day,
			want: []query.Energy{e("m", nem, nem.AddDate(0, 0, 1), 24, 0, 48, 0)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := &query.Options{Location: tc.loc}
			if tc.loc == nil {
				opts.Location = utc
			}
			l := query.New(lakeOf(t, tc.reads), opts)
			f := query.Filter{MeterIDs: tc.ids, From: tc.from, To: tc.to}
			if tc.plain != nil {
				if diff := cmp.Diff(tc.plain, keRows(t, l, f, tc.p), approx); diff != "" {
					t.Errorf("without estimates (-want +got):\n%s", diff)
				}
			}
			f.Estimate = tc.est
			if f.Estimate == nil {
				f.Estimate = &vee.Options{}
			}
			if diff := cmp.Diff(tc.want, keRows(t, l, f, tc.p), approx); diff != "" {
				t.Errorf("with estimates (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEnergyKWhEstimateAudit: the consumer audit's finding 1, as it ran.
// 35 days of 30-minute kWh reads of 0.5 kWh (a NEM12 meter); the last day
// lost the reads of 10:30 and 11:00 and of 14:00 to 19:30. With estimates
// it holds 24 kWh: 34 reads and 14 estimates (2 linear, 12 like-day).
func TestEnergyKWhEstimateAudit(t *testing.T) {
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	last := start.AddDate(0, 0, 35)
	day := last.Add(-24 * time.Hour)
	lost := func(t time.Time) bool {
		return t.After(day) && (t.Hour() == 10 && t.Minute() == 30 || t.Hour() == 11 && t.Minute() == 0 || t.Hour() >= 14 && t.Hour() < 20)
	}
	l := query.New(lakeOf(t, keReads("nmi-E1", meter.TypeKWh, start, last, 30*time.Minute, keConst(0.5), lost)), nil)
	f := query.Filter{MeterIDs: []string{"nmi-E1"}, From: day, To: last}
	want := []query.Energy{{MeterID: "nmi-E1", Start: day, End: last, KWh: 17, Reads: 34}}
	if diff := cmp.Diff(want, keRows(t, l, f, query.Day), approx); diff != "" {
		t.Errorf("without estimates (-want +got):\n%s", diff)
	}
	f.Estimate = &vee.Options{}
	want[0].KWh, want[0].Estimated = 24, 14
	if diff := cmp.Diff(want, keRows(t, l, f, query.Day), approx); diff != "" {
		t.Errorf("with estimates (-want +got):\n%s", diff)
	}
	// The API's default range for the day (From at midnight, To the next
	// midnight) is this one; an hour's query within the gap estimates its
	// two intervals.
	f.From, f.To = day.Add(15*time.Hour), day.Add(16*time.Hour)
	want = []query.Energy{{MeterID: "nmi-E1", Start: f.From, End: f.To, KWh: 1, Estimated: 2}}
	if diff := cmp.Diff(want, keRows(t, l, f, query.Hour), approx); diff != "" {
		t.Errorf("15:00-16:00 (-want +got):\n%s", diff)
	}
}

// TestEnergyKWhEstimateEdges: a gap across a range's edge (22:00 to 02:00
// across midnight, and a whole day) is estimated the same whatever range
// holds it: each day's row is the same in ranges of that day, of two days,
// of a week, and cut at any half hour inside the gap.
func TestEnergyKWhEstimateEdges(t *testing.T) {
	jun := func(day int) time.Time { return time.Date(2024, 6, day, 0, 0, 0, 0, time.UTC) }
	v := func(tm time.Time) float64 { return 0.25 + float64(tm.Hour())/48 } // a profile over the day
	lost := keAny(keIn(jun(14).Add(22*time.Hour), jun(15).Add(2*time.Hour)), keIn(jun(17), jun(18)),
		keIn(jun(18).Add(23*time.Hour), jun(19).Add(30*time.Minute)))
	kwh := keReads("m", meter.TypeKWh, jun(1).AddDate(0, 0, -35), jun(30), 30*time.Minute, v, lost)
	l := query.New(lakeOf(t, kwh), nil)
	est := &vee.Options{}
	wide := keRows(t, l, query.Filter{From: jun(8), To: jun(28), Estimate: est}, query.Hour)
	byStart := map[int64]query.Energy{}
	var n int
	for _, r := range wide {
		byStart[r.Start.UnixMilli()] = r
		n += r.Estimated
	}
	// 4 + 4 half hours across June 14-15, 48 of June 17, 2 + 1 across
	// June 18-19
	if n != 59 {
		t.Fatalf("%d estimates in June 8-27, want 59", n)
	}
	check := func(f query.Filter) {
		t.Helper()
		f.Estimate = est
		for _, g := range keRows(t, l, f, query.Hour) {
			if hs, he := query.Hour.Bucket(g.Start, time.UTC); !hs.Equal(g.Start) || !he.Equal(g.End) {
				continue // a part of an hour
			}
			if diff := cmp.Diff(byStart[g.Start.UnixMilli()], g, approx); diff != "" {
				t.Errorf("[%v, %v): hour %v (-in June 8-27 +here):\n%s", f.From, f.To, g.Start, diff)
			}
		}
	}
	for _, day := range []int{14, 15, 17, 18, 19} {
		check(query.Filter{From: jun(day), To: jun(day + 1)})
		check(query.Filter{MeterIDs: []string{"m"}, From: jun(day), To: jun(day + 1)})
		check(query.Filter{From: jun(day - 1), To: jun(day + 1)})
		check(query.Filter{From: jun(day), To: jun(day + 7)})
	}
	for m := 0; m <= 5*60; m += 30 {
		cut := jun(14).Add(21*time.Hour + time.Duration(m)*time.Minute)
		check(query.Filter{From: jun(14), To: cut})
		check(query.Filter{From: cut, To: jun(16)})
		check(query.Filter{From: cut.Add(-time.Hour), To: cut.Add(time.Hour)})
	}
	// Days: a day's row is the same alone and in the month.
	month := keRows(t, l, query.Filter{From: jun(1), To: jun(30), Estimate: est}, query.Day)
	for _, r := range month {
		alone := keRows(t, l, query.Filter{From: r.Start, To: r.End, Estimate: est}, query.Day)
		if diff := cmp.Diff([]query.Energy{r}, alone, approx); diff != "" {
			t.Errorf("%v alone (-in the month +alone):\n%s", r.Start, diff)
		}
	}
}

// keRandomKWh is a random kWh interval channel of meter m over [start-40d,
// start+20d]: 30-minute (or hourly) reads, 3% lost, runs of lost reads of
// up to 8 hours, whole lost days, and some runs of up to 40 hours.
func keRandomKWh(seed int64, start time.Time, step time.Duration) []meter.Reading {
	rng := rand.New(rand.NewSource(seed))
	var out []meter.Reading
	for t := start.AddDate(0, 0, -40).Add(step); t.Before(start.AddDate(0, 0, 20)); t = t.Add(step) {
		switch x := rng.Float64(); {
		case x < 0.03:
			continue
		case x < 0.036:
			t = t.Add(time.Duration(rng.Intn(16)) * step)
			continue
		case x < 0.037:
			t = t.Add(24 * time.Hour)
			continue
		case x < 0.0375:
			t = t.Add(time.Duration(rng.Intn(40)) * time.Hour)
			continue
		}
		out = append(out, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: t, Value: float64(1+rng.Intn(8)) * step.Hours() / 4})
	}
	return out
}

// TestEnergyKWhEstimateRangeIndependence: on random kWh interval channels
// (lost reads, runs of them, lost days, outages), some beside a random kW
// channel (TestEnergyRangeIndependence's), around DST changes, every
// whole hour of a random sub-range has the energy, reads and estimates it
// has in the ten days around it, and random tilings of the ten days sum to
// them.
func TestEnergyKWhEstimateRangeIndependence(t *testing.T) {
	ctx := context.Background()
	for _, zone := range []string{"UTC", "Australia/Melbourne", "America/New_York"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2024, 10, 1, 0, 0, 0, 0, loc)
		if zone == "America/New_York" {
			start = time.Date(2024, 10, 30, 0, 0, 0, 0, loc)
		}
		for seed := int64(1); seed <= lastSeed(2, 6); seed++ {
			step := 30 * time.Minute
			if seed%3 == 0 {
				step = time.Hour
			}
			reads := keRandomKWh(seed*31+int64(len(zone)), start, step)
			if seed%2 == 0 { // a kW channel beside it, with its own lost reads and outages
				reads = append(reads, randomMeter(seed*7+int64(len(zone)), start, 0.0005)...)
			}
			l := query.New(lakeOf(t, reads), &query.Options{Location: loc})
			base := query.Filter{From: start, To: start.AddDate(0, 0, 10), Estimate: &vee.Options{}}
			all := keRows(t, l, base, query.Hour)
			want := map[int64]query.Energy{}
			wk, wn := 0.0, 0
			for _, e := range all {
				want[e.Start.UnixMilli()] = e
				wk += e.KWh
				wn += e.Estimated
			}
			if wn == 0 && seed%2 != 0 {
				t.Fatalf("%s seed %d: nothing estimated", zone, seed)
			}
			rng := rand.New(rand.NewSource(seed))
			fails := 0
			trials := 12
			if testing.Short() {
				trials = 4
			}
			for trial := 0; trial < trials && fails < 3; trial++ {
				n := int(base.To.Sub(base.From) / (30 * time.Minute))
				a := rng.Intn(n)
				b := a + 1 + rng.Intn(min(n-a, 96))
				f := base
				f.From = base.From.Add(time.Duration(a) * 30 * time.Minute)
				f.To = base.From.Add(time.Duration(b) * 30 * time.Minute)
				for _, g := range keRows(t, l, f, query.Hour) {
					if hs, he := query.Hour.Bucket(g.Start, loc); !hs.Equal(g.Start) || !he.Equal(g.End) {
						continue
					}
					if w := want[g.Start.UnixMilli()]; math.Abs(w.KWh-g.KWh) > 1e-9 || w.Estimated != g.Estimated || w.Reads != g.Reads {
						fails++
						t.Errorf("%s seed %d [%s, %s): hour %s: %v kWh (%d reads, %d est), in the 10 days %v kWh (%d reads, %d est)",
							zone, seed, f.From.In(loc).Format("01-02 15:04"), f.To.In(loc).Format("01-02 15:04"), g.Start.In(loc).Format("01-02 15:04 MST"),
							g.KWh, g.Reads, g.Estimated, w.KWh, w.Reads, w.Estimated)
					}
				}
			}
			// a tiling cut at any minute
			sk, sn := 0.0, 0
			for from := base.From; from.Before(base.To); {
				to := from.Add(time.Duration(1+rng.Intn(36*60)) * time.Minute)
				if to.After(base.To) {
					to = base.To
				}
				f := base
				f.From, f.To = from, to
				rows, _, err := l.Energy(ctx, f, query.Day)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					sk += r.KWh
					sn += r.Estimated
				}
				from = to
			}
			if math.Abs(sk-wk) > 1e-6 || sn != wn {
				t.Errorf("%s seed %d: a tiling sums to %.4f kWh (%d est), the ten days %.4f (%d est)", zone, seed, sk, sn, wk, wn)
			}
		}
	}
}
