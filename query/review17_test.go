package query_test

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"os"

	"testing"
	"time"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query"
	"github.com/openmda/mda/vee"
)

// Review 17 (1a91bf6: kWh interval channels estimated with Filter.Estimate).

// r17Chan returns a channel of meter id of typ, every step in (from, to],
// of a constant power of 1 kW (a kWh read holds step.Hours() kWh, a kW
// read 1), with a share of lost reads, runs of them, and outages; lost
// says which reads are dropped besides.
func r17Chan(rng *rand.Rand, id string, typ meter.Type, from, to time.Time, step time.Duration, pLost float64, maxRun time.Duration, lost func(time.Time) bool) []meter.Reading {
	var out []meter.Reading
	for t := from.Add(step); !t.After(to); t = t.Add(step) {
		if rng != nil {
			switch x := rng.Float64(); {
			case x < pLost:
				continue
			case x < pLost*1.25 && maxRun > 0:
				t = t.Add(time.Duration(rng.Int63n(int64(maxRun/step))) * step)
				continue
			}
		}
		if lost != nil && lost(t) {
			continue
		}
		v := 1.0
		if typ == meter.TypeKWh {
			v = step.Hours()
		}
		out = append(out, meter.Reading{MeterID: id, Type: typ, Time: t, Value: v})
	}
	return out
}

func r17Energy(t *testing.T, l *query.Lake, f query.Filter, p query.Period) ([]query.Energy, query.Stats) {
	t.Helper()
	got, st, err := l.Energy(context.Background(), f, p)
	if err != nil {
		t.Fatalf("%v [%v, %v): %v", p, f.From, f.To, err)
	}
	return got, st
}

func r17Sum(rs []query.Energy) (kwh float64, reads, est int) {
	for _, r := range rs {
		kwh += r.KWh
		reads += r.Reads
		est += r.Estimated
	}
	return
}

// TestR17ConstantPowerNoDoubleCount: a meter that draws 1 kW all the time,
// its kWh channel (15, 30 or 60 minutes) and, for some, a kW channel of
// the same interval or finer, both with lost reads and runs of them. No
// hour may hold more than its hour of energy with estimates: more is an
// interval counted twice (estimated and read, or estimated twice).
func TestR17ConstantPowerNoDoubleCount(t *testing.T) {
	mel, _ := time.LoadLocation("Australia/Melbourne")
	for _, loc := range []*time.Location{time.UTC, mel} {
		start := time.Date(2024, 10, 2, 0, 0, 0, 0, loc)
		for seed := int64(1); seed <= lastSeed(4, 12); seed++ {
			rng := rand.New(rand.NewSource(seed))
			ivs := []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour}
			kwhIv := ivs[rng.Intn(3)]
			reads := r17Chan(rng, "m", meter.TypeKWh, start.AddDate(0, 0, -40), start.AddDate(0, 0, 12), kwhIv, 0.04, 10*time.Hour, nil)
			kwIv := time.Duration(0)
			if seed%3 != 0 {
				kwIv = ivs[rng.Intn(3)]
				if kwIv > kwhIv {
					kwIv = kwhIv
				}
				reads = append(reads, r17Chan(rng, "m", meter.TypeKW, start.AddDate(0, 0, -40), start.AddDate(0, 0, 12), kwIv, 0.04, 10*time.Hour, nil)...)
			}
			l := query.New(lakeOf(t, reads), &query.Options{Location: loc})
			f := query.Filter{From: start, To: start.AddDate(0, 0, 10), Estimate: &vee.Options{}}
			rows, _ := r17Energy(t, l, f, query.Hour)
			bad := 0
			for _, r := range rows {
				if h := r.End.Sub(r.Start).Hours(); r.KWh > h+1e-9 && bad < 5 {
					bad++
					t.Errorf("%s seed %d (kWh %v, kW %v): hour %v: %.4f kWh (%d reads, %d est), at most %.2f",
						loc, seed, kwhIv, kwIv, r.Start.In(loc).Format("01-02 15:04"), r.KWh, r.Reads, r.Estimated, h)
				}
			}
		}
	}
}

// TestR17CostLog logs the cost of a day's all-meter query of many kWh
// meters, without and with Estimate, without and with lost reads.
func TestR17CostLog(t *testing.T) {
	if os.Getenv("MDA_LONG_TESTS") != "1" {
		t.Skip("a cost log, not a check: MDA_LONG_TESTS=1 runs it")
	}
	day := time.Date(2024, 6, 20, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{10, 100, 200} {
		for _, holes := range []int{0, 1, 64, 65, n} {
			if holes > n {
				continue
			}
			var reads []meter.Reading
			for i := 0; i < n; i++ {
				id := fmt.Sprintf("m%03d", i)
				var lost func(time.Time) bool
				if i < holes {
					lost = keIn(day.Add(10*time.Hour), day.Add(11*time.Hour))
				}
				reads = append(reads, r17Chan(nil, id, meter.TypeKWh, day.AddDate(0, 0, -40), day.AddDate(0, 0, 5), 30*time.Minute, 0, 0, lost)...)
			}
			reads = append(reads, r17Chan(nil, "kw", meter.TypeKW, day.AddDate(0, 0, -40), day.AddDate(0, 0, 5), 15*time.Minute, 0, 0, nil)...)
			l := query.New(lakeOf(t, reads), nil)
			f := query.Filter{From: day, To: day.AddDate(0, 0, 1)}
			rows0, st0 := r17Energy(t, l, f, query.Day)
			f.Estimate = &vee.Options{}
			rows1, st1 := r17Energy(t, l, f, query.Day)
			k0, _, _ := r17Sum(rows0)
			k1, _, e1 := r17Sum(rows1)
			t.Logf("n=%d holes=%d: plain %.1f kWh files %d reads %d; estimate %.1f kWh (%d est) files %d reads %d",
				n, holes, k0, st0.Files, st0.Reads, k1, e1, st1.Files, st1.Reads)
		}
	}
}

// TestR17HourlyKWBesideHalfHourKWh: hourly kW reads (1 kW) beside a
// 30-minute kWh channel (0.5 kWh), whose lost reads start at half past:
// the day holds 24 kWh, with estimates or without.
func TestR17HourlyKWBesideHalfHourKWh(t *testing.T) {
	knownLimit(t, "kW reads coarser than the kWh channel: a kW hour counts the half hour a kWh read covers too (DESIGN.md, review 15)")
	jun := func(day int) time.Time { return time.Date(2024, 6, day, 0, 0, 0, 0, time.UTC) }
	at := func(h, m int) time.Time {
		return jun(20).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	hh := 30 * time.Minute
	for _, tc := range []struct {
		name            string
		kwhLost, kwLost func(time.Time) bool
		want            float64
		wantPlain       float64 // without Estimate; 0: not checked
	}{
		// the hole (10:30, 11:00] holds the 11:00 kW read, which holds
		// (10:00, 11:00], of which the 10:30 kWh read holds half
		{name: "kWh 11:00 lost", kwhLost: keIn(at(10, 30), at(11, 0)), want: 24, wantPlain: 24},
		// the hole (10:30, 12:00] is the kW channel's (its 12:00 read);
		// the 11:00 kW read is lost and estimated as kW, for (10:00,
		// 11:00], of which the 10:30 kWh read holds half
		{name: "kWh 11:00-12:00 lost, kW 11:00 lost", kwhLost: keIn(at(10, 30), at(12, 0)), kwLost: keIn(at(10, 30), at(11, 0)), want: 24},
		// aligned: the commit's case
		{name: "kWh 10:30-11:00 lost, kW 11:00 lost", kwhLost: keIn(at(10, 0), at(11, 0)), kwLost: keIn(at(10, 30), at(11, 0)), want: 24},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reads := append(r17Chan(nil, "m", meter.TypeKWh, jun(1).AddDate(0, 0, -35), jun(31), hh, 0, 0, tc.kwhLost),
				r17Chan(nil, "m", meter.TypeKW, jun(1).AddDate(0, 0, -35), jun(31), time.Hour, 0, 0, tc.kwLost)...)
			l := query.New(lakeOf(t, reads), nil)
			f := query.Filter{MeterIDs: []string{"m"}, From: jun(20), To: jun(21)}
			if tc.wantPlain != 0 {
				rows, _ := r17Energy(t, l, f, query.Day)
				if k, n, e := r17Sum(rows); math.Abs(k-tc.wantPlain) > 1e-9 {
					t.Errorf("without estimates: %.3f kWh (%d reads, %d est), want %.3f", k, n, e, tc.wantPlain)
				}
			}
			f.Estimate = &vee.Options{}
			rows, _ := r17Energy(t, l, f, query.Day)
			if k, n, e := r17Sum(rows); math.Abs(k-tc.want) > 1e-9 {
				t.Errorf("with estimates: %.3f kWh (%d reads, %d est), want %.3f", k, n, e, tc.want)
			}
		})
	}
}

// r17Mixed is a lake of several meters over [start-40d, start+16d]: kWh
// channels of 15, 30 or 60 minutes with lost reads, runs of up to 20 hours
// and outages of up to 40, some beside a kW channel (finer, the same, or
// coarser), some reads a few minutes late.
func r17Mixed(seed int64, start time.Time, meters int) []meter.Reading {
	return r17MixedKW(seed, start, meters, true)
}

func r17MixedKW(seed int64, start time.Time, meters int, withKW bool) []meter.Reading {
	rng := rand.New(rand.NewSource(seed))
	ivs := []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour}
	var out []meter.Reading
	from, to := start.AddDate(0, 0, -40), start.AddDate(0, 0, 16)
	for m := 0; m < meters; m++ {
		id := fmt.Sprintf("m%d", m)
		kwhIv := ivs[rng.Intn(3)]
		var ch []meter.Reading
		for t := from.Add(kwhIv); !t.After(to); t = t.Add(kwhIv) {
			switch x := rng.Float64(); {
			case x < 0.03:
				continue
			case x < 0.04:
				t = t.Add(time.Duration(rng.Int63n(int64(20*time.Hour/kwhIv))) * kwhIv)
				continue
			case x < 0.042:
				t = t.Add(time.Duration(rng.Int63n(int64(40*time.Hour/kwhIv))) * kwhIv)
				continue
			}
			tm := t
			if rng.Float64() < 0.01 {
				tm = t.Add(time.Duration(1+rng.Intn(6)) * time.Minute)
			}
			ch = append(ch, meter.Reading{MeterID: id, Type: meter.TypeKWh, Time: tm, Value: float64(1+rng.Intn(6)) * kwhIv.Hours() / 2})
		}
		out = append(out, ch...)
		if rng.Intn(2) == 0 && withKW {
			kwIv := ivs[rng.Intn(3)]
			for t := from.Add(kwIv); !t.After(to); t = t.Add(kwIv) {
				switch x := rng.Float64(); {
				case x < 0.03:
					continue
				case x < 0.035:
					t = t.Add(time.Duration(rng.Int63n(int64(20*time.Hour/kwIv))) * kwIv)
					continue
				}
				out = append(out, meter.Reading{MeterID: id, Type: meter.TypeKW, Time: t, Value: float64(1 + rng.Intn(4))})
			}
		}
	}
	return out
}

// TestR17DayTotalsRangeIndependent: on r17Mixed lakes, in UTC and in
// Melbourne across both DST changes, each local day's total (kWh, reads
// and estimates of every meter) is the same in a 12-day query, in the
// day's own query (all meters and listed), and in random tilings of the
// 12 days cut at any minute.
func TestR17DayTotalsRangeIndependent(t *testing.T) {
	mel, _ := time.LoadLocation("Australia/Melbourne")
	type tot struct {
		kwh        float64
		reads, est int
	}
	for _, c := range []struct {
		loc   *time.Location
		start time.Time
		kw    bool
	}{
		{time.UTC, time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), true},
		// kW too since vee's History covers a 169-hour week
		// (TestR17KWLikeDayAfterAutumnDST)
		{mel, time.Date(2024, 4, 1, 0, 0, 0, 0, mel), true},
		{mel, time.Date(2024, 9, 30, 0, 0, 0, 0, mel), true},
	} {
		for seed := int64(1); seed <= lastSeed(1, 4); seed++ {
			for _, est := range []*vee.Options{{}, {MaxGap: 3 * time.Hour, MaxLinear: time.Hour}} {
				loc := c.loc
				reads := r17MixedKW(seed*13+int64(c.start.Month()), c.start, 4, c.kw)
				l := query.New(lakeOf(t, reads), &query.Options{Location: loc})
				ids := []string{"m0", "m1", "m2", "m3"}
				byDay := func(f query.Filter, into map[int64]*tot) {
					for _, r := range keRows(t, l, f, query.Day) {
						ds, _ := query.Day.Bucket(r.Start, loc)
						x := into[ds.UnixMilli()]
						if x == nil {
							x = &tot{}
							into[ds.UnixMilli()] = x
						}
						x.kwh += r.KWh
						x.reads += r.Reads
						x.est += r.Estimated
					}
				}
				base := query.Filter{From: c.start, To: c.start.AddDate(0, 0, 12), Estimate: est}
				want := map[int64]*tot{}
				byDay(base, want)
				nEst := 0
				for _, w := range want {
					nEst += w.est
				}
				if nEst == 0 {
					t.Fatalf("seed %d: nothing estimated", seed)
				}
				check := func(what string, got map[int64]*tot, only map[int64]bool) {
					fails := 0
					for k, w := range want {
						if only != nil && !only[k] {
							continue
						}
						g := got[k]
						if g == nil {
							g = &tot{}
						}
						if (math.Abs(g.kwh-w.kwh) > 1e-6 || g.est != w.est || g.reads != w.reads) && fails < 3 {
							fails++
							t.Errorf("%s %v seed %d est %+v: %s: day %s: %.4f kWh (%d reads, %d est), in the 12 days %.4f (%d reads, %d est)",
								c.loc, c.start.Format("01-02"), seed, *est, what, time.UnixMilli(k).In(loc).Format("01-02"), g.kwh, g.reads, g.est, w.kwh, w.reads, w.est)
						}
					}
				}
				for d := 0; d < 12; d++ {
					f := base
					f.From, f.To = c.start.AddDate(0, 0, d), c.start.AddDate(0, 0, d+1)
					got := map[int64]*tot{}
					byDay(f, got)
					only := map[int64]bool{f.From.UnixMilli(): true}
					check("alone", got, only)
					f.MeterIDs = ids
					got = map[int64]*tot{}
					byDay(f, got)
					check("alone, listed", got, only)
				}
				rng := rand.New(rand.NewSource(seed))
				for tiling := 0; tiling < 2; tiling++ {
					got := map[int64]*tot{}
					for from := base.From; from.Before(base.To); {
						to := from.Add(time.Duration(1+rng.Intn(30*60)) * time.Minute)
						if to.After(base.To) {
							to = base.To
						}
						f := base
						f.From, f.To = from, to
						byDay(f, got)
						from = to
					}
					check(fmt.Sprintf("tiling %d", tiling), got, nil)
				}
			}
		}
	}
}

// TestR17KWLikeDayAfterAutumnDST: a kW meter in Melbourne that lost four
// hours of 2024-04-12 (like-day estimates: the same hours of the four
// weeks before). The fourth week back, March 15, lies 28 days and one hour
// before (April 7 had 25 hours), which Estimate.History() (28 days) from
// the day's own From does not reach: the day alone estimates from three
// weeks, the same day in a longer range from four. Found by
// TestR17DayTotalsRangeIndependent; the parent of 1a91bf6 does the same.
func TestR17KWLikeDayAfterAutumnDST(t *testing.T) {
	mel, err := time.LoadLocation("Australia/Melbourne")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2024, 4, 12, 0, 0, 0, 0, mel)
	// 1 kW, but 5 kW in the week of March 15
	v := func(tm time.Time) float64 {
		if tm.After(time.Date(2024, 3, 14, 0, 0, 0, 0, mel)) && !tm.After(time.Date(2024, 3, 16, 0, 0, 0, 0, mel)) {
			return 5
		}
		return 1
	}
	reads := keReads("m", meter.TypeKW, day.AddDate(0, 0, -40), day.AddDate(0, 0, 5), time.Hour, v, keIn(day, day.Add(4*time.Hour)))
	l := query.New(lakeOf(t, reads), &query.Options{Location: mel})
	est := &vee.Options{}
	alone, _ := r17Energy(t, l, query.Filter{MeterIDs: []string{"m"}, From: day, To: day.AddDate(0, 0, 1), Estimate: est}, query.Day)
	wide, _ := r17Energy(t, l, query.Filter{MeterIDs: []string{"m"}, From: day.AddDate(0, 0, -3), To: day.AddDate(0, 0, 1), Estimate: est}, query.Day)
	ka, _, ea := r17Sum(alone)
	var kw float64
	var ew int
	for _, r := range wide {
		if r.Start.Equal(day) {
			kw, ew = r.KWh, r.Estimated
		}
	}
	// four weeks: (5+1+1+1)/4 = 2 kW for each of the 4 hours
	if math.Abs(ka-kw) > 1e-9 || ea != ew {
		t.Errorf("April 12 alone: %.4f kWh (%d est); in April 9-12: %.4f kWh (%d est); want equal (28 with four weeks of like-day)", ka, ea, kw, ew)
	}
}

// TestR17KWhLikeDayAfterAutumnDST: the kWh side of
// TestR17KWLikeDayAfterAutumnDST. A 30-minute kWh channel in Melbourne lost
// 10:30 to 14:00 of 2024-04-12 (8 half hours, like-day). Each is the mean
// of its half hour of the four weeks before (0.5 kWh, 2.5 in the week of
// March 15: 1 kWh); the hole's history reaches Estimate.History() back
// from its first half hour only, so that half hour, 28 days and an hour
// after March 15's, gets the mean of three weeks (0.5).
func TestR17KWhLikeDayAfterAutumnDST(t *testing.T) {
	mel, err := time.LoadLocation("Australia/Melbourne")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2024, 4, 12, 0, 0, 0, 0, mel)
	v := func(tm time.Time) float64 {
		if tm.After(time.Date(2024, 3, 14, 0, 0, 0, 0, mel)) && !tm.After(time.Date(2024, 3, 16, 0, 0, 0, 0, mel)) {
			return 2.5
		}
		return 0.5
	}
	reads := keReads("m", meter.TypeKWh, day.AddDate(0, 0, -40), day.AddDate(0, 0, 5), 30*time.Minute, v, keIn(day.Add(10*time.Hour), day.Add(14*time.Hour)))
	l := query.New(lakeOf(t, reads), &query.Options{Location: mel})
	rows, _ := r17Energy(t, l, query.Filter{MeterIDs: []string{"m"}, From: day, To: day.AddDate(0, 0, 1), Estimate: &vee.Options{}}, query.Day)
	// 40 reads of 0.5, 8 estimates of (2.5+0.5*3)/4 = 1
	if k, n, e := r17Sum(rows); math.Abs(k-28) > 1e-9 || e != 8 {
		t.Errorf("April 12: %.4f kWh (%d reads, %d est), want 28 (40 reads, 8 est)", k, n, e)
	}
}

// TestR17LostReadBeforeLatestRead: a 30-minute kWh channel whose latest
// read (the lake as it stands, or the channel's last) comes after a lost
// read. The rule (a fine read after a gap of 1.5 intervals covers one
// interval, the rest is estimated) is not applied: with only the
// previous gap known, the read covers its whole gap, so the lost half
// hour is neither read nor estimated, until the next read arrives
// (review 15 #2, now also an estimate that appears later).
func TestR17LostReadBeforeLatestRead(t *testing.T) {
	knownLimit(t, "a lost read just before the lake's latest read is neither read nor estimated until the next read arrives (DESIGN.md, review 15)")
	jun := func(day int) time.Time { return time.Date(2024, 6, day, 0, 0, 0, 0, time.UTC) }
	lost := keIn(jun(20).Add(23*time.Hour), jun(20).Add(23*time.Hour+30*time.Minute))
	for _, last := range []time.Time{jun(21), jun(21).Add(30 * time.Minute)} {
		reads := r17Chan(nil, "m", meter.TypeKWh, jun(1).AddDate(0, 0, -35), last, 30*time.Minute, 0, 0, lost)
		l := query.New(lakeOf(t, reads), nil)
		rows, _ := r17Energy(t, l, query.Filter{MeterIDs: []string{"m"}, From: jun(20), To: jun(21), Estimate: &vee.Options{}}, query.Day)
		if k, n, e := r17Sum(rows); math.Abs(k-24) > 1e-9 || e != 1 {
			t.Errorf("latest read %v: June 20 holds %.2f kWh (%d reads, %d est), want 24 (47 reads, 1 est)", last.Format("01-02 15:04"), k, n, e)
		}
	}
}

// TestR17EveryOtherReadLost: a 30-minute kWh channel that lost 10:30,
// 11:30 and 12:30 (flaky comms): nothing is estimated, the day reads 22.5
// (review 15 #5: the gaps around each read disagree).
func TestR17EveryOtherReadLost(t *testing.T) {
	knownLimit(t, "every other read lost: no interval the neighbouring gaps agree on, so nothing is estimated (DESIGN.md, review 15)")
	jun := func(day int) time.Time { return time.Date(2024, 6, day, 0, 0, 0, 0, time.UTC) }
	at := func(h, m int) time.Time {
		return jun(20).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	lost := keAny(keIn(at(10, 0), at(10, 30)), keIn(at(11, 0), at(11, 30)), keIn(at(12, 0), at(12, 30)))
	reads := r17Chan(nil, "m", meter.TypeKWh, jun(1).AddDate(0, 0, -35), jun(25), 30*time.Minute, 0, 0, lost)
	l := query.New(lakeOf(t, reads), nil)
	rows, _ := r17Energy(t, l, query.Filter{MeterIDs: []string{"m"}, From: jun(20), To: jun(21), Estimate: &vee.Options{}}, query.Day)
	if k, n, e := r17Sum(rows); math.Abs(k-24) > 1e-9 || e != 3 {
		t.Errorf("June 20 holds %.2f kWh (%d reads, %d est), want 24 (45 reads, 3 est)", k, n, e)
	}
}

// TestR17HistoryScanCliff: an all-meter day query with Estimate of 200
// 30-minute kWh meters, of which 64 or 65 lost an hour that day. The
// reads the estimates add (against MaxReads) should grow with the meters
// that need history: at 64 they are those 64 meters' 31 days, at 65
// estimateKWh scans every meter's (scanIDs = f.MeterIDs, nil), 2.6 times as
// many for one more meter, and the whole lake's month on a large lake.
func TestR17HistoryScanCliff(t *testing.T) {
	knownLimit(t, "past 64 meters with lost reads, the estimates' history scan reads every meter (DESIGN.md)")
	day := time.Date(2024, 6, 20, 0, 0, 0, 0, time.UTC)
	extra := map[int]int64{}
	for _, holes := range []int{64, 65} {
		var reads []meter.Reading
		for i := 0; i < 200; i++ {
			var lost func(time.Time) bool
			if i < holes {
				lost = keIn(day.Add(10*time.Hour), day.Add(11*time.Hour))
			}
			reads = append(reads, r17Chan(nil, fmt.Sprintf("m%03d", i), meter.TypeKWh, day.AddDate(0, 0, -40), day.AddDate(0, 0, 5), 30*time.Minute, 0, 0, lost)...)
		}
		l := query.New(lakeOf(t, reads), nil)
		f := query.Filter{From: day, To: day.AddDate(0, 0, 1)}
		_, st0 := r17Energy(t, l, f, query.Day)
		f.Estimate = &vee.Options{}
		_, st1 := r17Energy(t, l, f, query.Day)
		extra[holes] = st1.Reads - st0.Reads
	}
	if extra[65] > extra[64]*3/2 {
		t.Errorf("the estimates read %d more reads for 64 meters with lost reads, %d for 65 (of 200)", extra[64], extra[65])
	}
}

// knownLimit skips a test of a documented limit, which fails today, unless
// MDA_KNOWN_LIMITS=1: it states what the rule should do, for whoever
// lifts the limit.
func knownLimit(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("MDA_KNOWN_LIMITS") != "1" {
		t.Skipf("known limit: %s; MDA_KNOWN_LIMITS=1 runs it", why)
	}
}
