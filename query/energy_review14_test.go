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
	"github.com/openmda/mda/vee"
)

func kwh14kwh(tm time.Time, v float64) meter.Reading {
	return meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: tm, Value: v}
}

// kwh14Monthly is meter m's monthly register reads (the hours of each month
// at 1 kW) from Feb 1 to Sep 1 2024 (UTC).
func kwh14Monthly() []meter.Reading {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var kwh []meter.Reading
	for m := from.AddDate(0, 1, 0); !m.After(from.AddDate(0, 8, 0)); m = m.AddDate(0, 1, 0) {
		kwh = append(kwh, kwh14kwh(m, m.Sub(m.AddDate(0, -1, 0)).Hours()))
	}
	return kwh
}

// TestEnergyRegisterKWOutageAfter: kW reads missing in the 26 hours after
// a monthly register read (a kW outage) leave the one at its time: the
// register is set aside, and May counts its kW reads once.
func TestEnergyRegisterKWOutageAfter(t *testing.T) {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	jun1 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	may1 := jun1.AddDate(0, -1, 0)
	// kW reads lost in (Jun 1 00:00, Jun 2 02:15]: a 26 h 15 min outage
	var skip []time.Time
	for tm := jun1.Add(15 * time.Minute); !tm.After(jun1.Add(26*time.Hour + 15*time.Minute)); tm = tm.Add(15 * time.Minute) {
		skip = append(skip, tm)
	}
	kw := every(meter.TypeKW, from, to, 15*time.Minute, 1, skip...)
	l := query.New(lakeOf(t, kw, kwh14Monthly()), nil)
	for _, est := range []bool{false, true} {
		f := query.Filter{From: may1, To: jun1}
		if est {
			f.Estimate = &vee.Options{}
		}
		if got := kwh13Sum(t, l, f, query.Month); math.Abs(got-744) > 1e-6 {
			t.Errorf("estimate=%v: May with a kW outage of the 26 h after the Jun 1 register read: %v kWh, want 744", est, got)
		}
	}
}

// kwFeedBehindLake is the lake at Jun 1 2024 00:30 of a meter with monthly
// register reads (kwh14Monthly up to Jun 1) and 15-minute kW reads of 1 kW
// from Jan 1, loaded up to Jun 1 00:00 only.
func kwFeedBehindLake(t *testing.T) *blob.Bucket {
	return readLake(t, "kW feed behind", func() [][]meter.Reading {
		from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		jun1 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
		return [][]meter.Reading{every(meter.TypeKW, from, jun1, 15*time.Minute, 1), kwh14MonthlyTo(jun1)}
	})
}

// kwh14MonthlyTo is kwh14Monthly up to upTo.
func kwh14MonthlyTo(upTo time.Time) []meter.Reading {
	var kwh []meter.Reading
	for _, r := range kwh14Monthly() {
		if !r.Time.After(upTo) {
			kwh = append(kwh, r)
		}
	}
	return kwh
}

// TestEnergyRegisterKWFeedBehind: a lake whose kW reads are loaded later
// than the kWh register: May, asked for just after it closed, counts its
// kW reads once, as it does once the later kW reads arrive.
func TestEnergyRegisterKWFeedBehind(t *testing.T) {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	jun1 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	may1 := jun1.AddDate(0, -1, 0)
	kwh := kwh14MonthlyTo(jun1)
	// the lake at Jun 1 00:30: kW loaded up to Jun 1 00:00 only
	l := query.New(kwFeedBehindLake(t), nil)
	early := kwh13Sum(t, l, query.Filter{From: may1, To: jun1}, query.Month)
	// the lake at Jun 1 01:00: kW up to 01:00
	kw2 := every(meter.TypeKW, from, jun1.Add(time.Hour), 15*time.Minute, 1)
	l2 := query.New(lakeOf(t, kw2, kwh), nil)
	later := kwh13Sum(t, l2, query.Filter{From: may1, To: jun1}, query.Month)
	if early != 744 || later != 744 {
		t.Errorf("May asked at Jun 1 00:30 (kW up to 00:00): %v kWh; at 01:00: %v; want 744 both", early, later)
	}
}

// TestEnergyLateDailyReadKWOutageAfter: a daily kWh read 3 hours late,
// with the kW reads of the 26 hours after it lost: it is set aside, and
// its 27 hours count their kW reads once.
func TestEnergyLateDailyReadKWOutageAfter(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	late := d0.AddDate(0, 0, 10).Add(3 * time.Hour)
	var skip []time.Time
	for tm := late.Add(15 * time.Minute); !tm.After(late.Add(26*time.Hour + 15*time.Minute)); tm = tm.Add(15 * time.Minute) {
		skip = append(skip, tm)
	}
	kw := every(meter.TypeKW, d0, d0.AddDate(0, 0, 30), 15*time.Minute, 1, skip...)
	l := query.New(lakeOf(t, kw, lateDailyKWh(d0, late)), nil)
	// Jun 6 - Jun 11 00:00: all of it in kW reads or daily reads; the
	// late read's 27 h are (Jun 9 00:00, Jun 10 03:00].
	a, b := d0.AddDate(0, 0, 5), d0.AddDate(0, 0, 10).Add(3*time.Hour)
	if got, want := kwh13Sum(t, l, query.Filter{From: a, To: b}, query.Day), b.Sub(a).Hours(); math.Abs(got-want) > 1e-6 {
		t.Errorf("[Jun 6, Jun 10 03:00): %v kWh, want %v", got, want)
	}
}

// TestEnergyFifteenMinuteToDailyKWh: a kWh channel that goes from
// 15-minute reads to daily ones: the first daily read, while the next is
// not yet in the lake, covers its day (its 24-hour gap is no lost
// 15-minute read: the gaps on its two sides do not agree).
func TestEnergyFifteenMinuteToDailyKWh(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	kw := every(meter.TypeKW, d0.AddDate(0, 0, -5), d0.AddDate(0, 0, 5), 15*time.Minute, 1)
	kwh := every(meter.TypeKWh, d0.AddDate(0, 0, -5), d0, 15*time.Minute, 0.25)
	kwh = append(kwh, kwh13kwh(d0.AddDate(0, 0, 1), 24))
	l := query.New(lakeOf(t, kw, kwh), nil)
	got := kwh13Sum(t, l, query.Filter{From: d0, To: d0.AddDate(0, 0, 1)}, query.Day)
	kwh2 := append(kwh, kwh13kwh(d0.AddDate(0, 0, 2), 24))
	l2 := query.New(lakeOf(t, kw, kwh2), nil)
	got2 := kwh13Sum(t, l2, query.Filter{From: d0, To: d0.AddDate(0, 0, 1)}, query.Day)
	if got != 24 || got2 != 24 {
		t.Errorf("Jun 1, its daily read the channel's first: %v kWh before the next daily read, %v after; want 24", got, got2)
	}
}

// TestEnergyNearScansManyMetersConsistent: weekly registers of 70 meters
// (kW and kWh), an hour's query at the register reads' time: all meters,
// the 70 listed, one listed, and the 10 days agree; meters 0-9 lose their
// kW reads in the 26 h before the read, 10-19 in the 26 h after it.
func TestEnergyNearScansManyMetersConsistent(t *testing.T) {
	mon := time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)
	var kw, kwh []meter.Reading
	const n = 70
	var ids []string
	for i := range n {
		id := fmt.Sprintf("m%03d", i)
		ids = append(ids, id)
		var skip []time.Time
		switch {
		case i < 10:
			for tm := mon.Add(-26*time.Hour + 15*time.Minute); !tm.After(mon); tm = tm.Add(15 * time.Minute) {
				skip = append(skip, tm)
			}
		case i < 20:
			for tm := mon.Add(15 * time.Minute); !tm.After(mon.Add(26 * time.Hour)); tm = tm.Add(15 * time.Minute) {
				skip = append(skip, tm)
			}
		}
		for _, r := range every(meter.TypeKW, mon.AddDate(0, 0, -6), mon.AddDate(0, 0, 6), 15*time.Minute, 1, skip...) {
			r.MeterID = id
			kw = append(kw, r)
		}
		for w := mon.AddDate(0, 0, -14); !w.After(mon.AddDate(0, 0, 14)); w = w.AddDate(0, 0, 7) {
			r := kwh13kwh(w, 168)
			r.MeterID = id
			kwh = append(kwh, r)
		}
	}
	l := query.New(lakeOf(t, kw, kwh), nil)
	byMeter := func(f query.Filter) map[string]float64 {
		out := map[string]float64{}
		for _, e := range e10Energy(t, l, f, query.Hour) {
			if e.Start.Equal(mon.Add(-time.Hour)) || e.Start.Equal(mon) {
				out[e.MeterID+e.Start.Format("15")] += e.KWh
			}
		}
		return out
	}
	whole := byMeter(query.Filter{From: mon.AddDate(0, 0, -5), To: mon.AddDate(0, 0, 5)})
	for _, c := range []struct {
		name string
		f    query.Filter
	}{
		{"all", query.Filter{From: mon.Add(-time.Hour), To: mon.Add(time.Hour)}},
		{"listed", query.Filter{From: mon.Add(-time.Hour), To: mon.Add(time.Hour), MeterIDs: ids}},
		{"hour before", query.Filter{From: mon.Add(-time.Hour), To: mon}},
		{"hour after", query.Filter{From: mon, To: mon.Add(time.Hour)}},
	} {
		got := byMeter(c.f)
		for k, v := range got {
			if math.Abs(whole[k]-v) > 1e-9 {
				t.Errorf("%s: %s = %v, in the 10 days %v", c.name, k, v, whole[k])
			}
		}
	}
	for _, id := range []string{"m005", "m015", "m030"} {
		got := byMeter(query.Filter{From: mon.Add(-time.Hour), To: mon, MeterIDs: []string{id}})
		for k, v := range got {
			if math.Abs(whole[k]-v) > 1e-9 {
				t.Errorf("%s alone: %s = %v, in the 10 days %v", id, k, v, whole[k])
			}
		}
	}
	_ = context.Background
}

// TestEnergyNearScansMaxReads: the near scans count against MaxReads: a
// query at the weekly register reads of 70 meters succeeds with MaxReads
// = its Stats.Reads and fails with one less, listed or not.
func TestEnergyNearScansMaxReads(t *testing.T) {
	mon := time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)
	var kw, kwh []meter.Reading
	var ids []string
	for i := range 70 {
		id := fmt.Sprintf("m%03d", i)
		ids = append(ids, id)
		for _, r := range every(meter.TypeKW, mon.AddDate(0, 0, -3), mon.AddDate(0, 0, 3), 15*time.Minute, 1) {
			r.MeterID = id
			kw = append(kw, r)
		}
		for w := mon.AddDate(0, 0, -14); !w.After(mon.AddDate(0, 0, 14)); w = w.AddDate(0, 0, 7) {
			r := kwh13kwh(w, 168)
			r.MeterID = id
			kwh = append(kwh, r)
		}
	}
	b := lakeOf(t, kw, kwh)
	ctx := context.Background()
	for _, f := range []query.Filter{
		{From: mon.Add(-time.Hour), To: mon.Add(time.Hour)},
		{From: mon.Add(-time.Hour), To: mon.Add(time.Hour), MeterIDs: ids},
		{From: mon.Add(-time.Hour), To: mon.Add(time.Hour), MeterIDs: ids[:3]},
	} {
		_, st, err := query.New(b, nil).Energy(ctx, f, query.Hour)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d ids: %d reads, %d files", len(f.MeterIDs), st.Reads, st.Files)
		if _, _, err := query.New(b, &query.Options{MaxReads: int(st.Reads)}).Energy(ctx, f, query.Hour); err != nil {
			t.Errorf("%d ids: MaxReads = Stats.Reads %d: %v", len(f.MeterIDs), st.Reads, err)
		}
		if _, _, err := query.New(b, &query.Options{MaxReads: int(st.Reads) - 1}).Energy(ctx, f, query.Hour); err == nil {
			t.Errorf("%d ids: MaxReads = Stats.Reads-1 = %d: no error", len(f.MeterIDs), st.Reads-1)
		}
	}
}

// TestEnergyKWhTilingExactEdges: tilings cut exactly at kWh read times and
// 26 h / 52 h before and after them, with kW outages of up to 30 h, sum to
// the whole.
func TestEnergyKWhTilingExactEdges(t *testing.T) {
	for _, zone := range []string{"UTC", "Australia/Sydney", "America/Santiago"} {
		loc, _ := time.LoadLocation(zone)
		start := time.Date(2024, 10, 1, 0, 0, 0, 0, loc)
		if zone == "America/Santiago" {
			start = time.Date(2024, 9, 3, 0, 0, 0, 0, loc)
		}
		for seed := int64(1); seed <= 4; seed++ {
			kw := randomMeter(seed*31+int64(len(zone)), start, 0.003)
			kwh := kwh13KWh(seed*37+int64(len(zone)), start, loc)
			l := query.New(lakeOf(t, kw, kwh), &query.Options{Location: loc})
			base := query.Filter{From: start, To: start.AddDate(0, 0, 10)}
			wk, _ := daySum(t, l, base)
			for _, k := range []time.Duration{0, 26 * time.Hour, -26 * time.Hour, 52 * time.Hour, -52 * time.Hour} {
				var cuts []time.Time
				last := base.From
				cuts = append(cuts, last)
				for _, r := range kwh {
					c := r.Time.Add(k)
					if c.After(last.Add(3*time.Hour)) && c.Before(base.To) {
						cuts = append(cuts, c)
						last = c
					}
				}
				cuts = append(cuts, base.To)
				if sk, _ := tiledSum(t, l, base, cuts); math.Abs(sk-wk) > 1e-6 {
					t.Errorf("%s seed %d shift %v: %d pieces %.4f, whole %.4f", zone, seed, k, len(cuts)-1, sk, wk)
				}
			}
		}
	}
}
