package query_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query"
)

func kwh15kwh(tm time.Time, v float64) meter.Reading {
	return meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: tm, Value: v}
}

// Monthly register reads stamped 5 minutes after midnight (off the kW
// reads' 15-minute grid), value = the hours of the month.
func kwh15MonthlyAt(off time.Duration, upTo time.Time) []meter.Reading {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var kwh []meter.Reading
	for m := from.AddDate(0, 1, 0); !m.After(upTo); m = m.AddDate(0, 1, 0) {
		kwh = append(kwh, kwh15kwh(m.Add(off), m.Sub(m.AddDate(0, -1, 0)).Hours()))
	}
	return kwh
}

// TestEnergyRegisterOffGridKWFeedBehind: a monthly register stamped off
// the kW reads' grid (00:05), the kW reads loaded only up to 00:00: May
// counts its kW reads once.
func TestEnergyRegisterOffGridKWFeedBehind(t *testing.T) {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	jun1 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	may1 := jun1.AddDate(0, -1, 0)
	kwh := kwh15MonthlyAt(5*time.Minute, jun1)
	// at-grid, as in TestEnergyRegisterKWFeedBehind (its lake): 744
	kw := every(meter.TypeKW, from, jun1, 15*time.Minute, 1)
	l0 := query.New(kwFeedBehindLake(t), nil)
	on := kwh13Sum(t, l0, query.Filter{From: may1, To: jun1.AddDate(0, 0, 1)}, query.Day)
	// the lake at Jun 1 00:10: kW up to 00:00, register at 00:05
	l := query.New(lakeOf(t, kw, kwh), nil)
	off := kwh13Sum(t, l, query.Filter{From: may1, To: jun1.AddDate(0, 0, 1)}, query.Day)
	// the lake at Jun 1 00:20: kW up to 00:15
	kw2 := every(meter.TypeKW, from, jun1.Add(15*time.Minute), 15*time.Minute, 1)
	l2 := query.New(lakeOf(t, kw2, kwh), nil)
	later := kwh13Sum(t, l2, query.Filter{From: may1, To: jun1.AddDate(0, 0, 1)}, query.Day)
	if on != 744 || math.Abs(off-744) > 1e-6 || math.Abs(later-744.25) > 1e-6 {
		t.Errorf("[May 1, Jun 2): register at 00:00, kW to 00:00: %v; register at 00:05, kW to 00:00: %v (want 744); kW to 00:15: %v (want 744.25)", on, off, later)
	}
}

// TestEnergyRegisterOffGridKWOutageAfter: the same register with a kW
// outage after it counts May once.
func TestEnergyRegisterOffGridKWOutageAfter(t *testing.T) {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	jun1 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	var skip []time.Time
	for tm := jun1.Add(15 * time.Minute); !tm.After(jun1.Add(26*time.Hour + 15*time.Minute)); tm = tm.Add(15 * time.Minute) {
		skip = append(skip, tm)
	}
	kw := every(meter.TypeKW, from, to, 15*time.Minute, 1, skip...)
	l := query.New(lakeOf(t, kw, kwh15MonthlyAt(5*time.Minute, to)), nil)
	got := kwh13Sum(t, l, query.Filter{From: jun1.AddDate(0, -1, 0), To: jun1.AddDate(0, 0, 3)}, query.Day)
	want := 744 + 72 - 26.25
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("[May 1, Jun 4), register at Jun 1 00:05, kW lost (Jun 1 00:00, Jun 2 02:15]: %v kWh, want %v", got, want)
	}
}

// TestEnergyCoarseKWFineKWhChannelStart: 15-minute kWh reads starting
// beside hourly or 30-minute kW reads: the day holds its energy once.
func TestEnergyCoarseKWFineKWhChannelStart(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, iv := range []time.Duration{time.Hour, 30 * time.Minute} {
		kw := every(meter.TypeKW, d0.AddDate(0, 0, -3), d0.AddDate(0, 0, 3), iv, 1)
		kwh := every(meter.TypeKWh, d0, d0.AddDate(0, 0, 3), 15*time.Minute, 0.25)
		l := query.New(lakeOf(t, kw, kwh), &query.Options{Interval: iv})
		got := kwh13Sum(t, l, query.Filter{From: d0, To: d0.AddDate(0, 0, 1)}, query.Day)
		if math.Abs(got-24) > 1e-9 {
			t.Errorf("kW every %v, 15-min kWh from 00:15: Jun 1 %v kWh, want 24", iv, got)
		}
	}
}

// kwh15KWh: like kwh13KWh, with 15-minute runs, reads late or early by a
// few minutes, reads off the grid (:05), and channel stops of hours.
func kwh15KWh(seed int64, start time.Time, loc *time.Location) []meter.Reading {
	rng := rand.New(rand.NewSource(seed))
	var out []meter.Reading
	t := start.AddDate(0, 0, -10)
	end := start.AddDate(0, 0, 20)
	kind := rng.Intn(5)
	for t.Before(end) {
		if rng.Float64() < 0.01 {
			kind = rng.Intn(5)
		}
		var next time.Time
		switch kind {
		case 0:
			next = t.Truncate(15 * time.Minute).Add(15 * time.Minute)
		case 1:
			next = t.Truncate(time.Hour).Add(time.Hour)
		case 2:
			y, m, d := t.In(loc).Date()
			next = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		case 3:
			y, m, d := t.In(loc).Date()
			next = time.Date(y, m, d+2+rng.Intn(6), 0, 0, 0, 0, loc)
		case 4: // a stop of some hours
			next = t.Add(time.Duration(1+rng.Intn(40)) * time.Hour).Truncate(time.Hour)
			kind = rng.Intn(3)
		}
		t = next
		if rng.Float64() < 0.05 {
			continue
		}
		tm := t
		switch x := rng.Float64(); {
		case x < 0.1:
			tm = tm.Add(time.Duration(rng.Intn(15)-7) * time.Minute)
		case x < 0.15:
			tm = tm.Add(5 * time.Minute)
		}
		if len(out) > 0 && !tm.After(out[len(out)-1].Time) {
			continue
		}
		out = append(out, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: tm, Value: float64(1 + rng.Intn(30))})
	}
	return out
}

// TestEnergyKWhRangeIndependenceJitter: range independence with random
// kWh channels whose reads come a few minutes early or late, at :05, or
// stop for hours, in several zones.
func TestEnergyKWhRangeIndependenceJitter(t *testing.T) {
	zones := []struct {
		zone     string
		y, mo, d int
	}{{"America/Santiago", 2024, 4, 1}, {"America/Santiago", 2024, 9, 3}, {"America/New_York", 2024, 3, 5}, {"Australia/Sydney", 2024, 3, 31}, {"UTC", 2024, 6, 1}}
	for _, z := range zones {
		loc, _ := time.LoadLocation(z.zone)
		start := time.Date(z.y, time.Month(z.mo), z.d, 0, 0, 0, 0, loc)
		for seed := int64(20); seed < 23; seed++ {
			kw := randomMeter(seed*11+int64(z.mo), start, 0.0005*float64(seed%2))
			var kwh []meter.Reading
			if seed%2 == 0 {
				kwh = kwh15KWh(seed*19+int64(z.mo), start, loc)
			} else {
				kwh = kwh13KWh(seed*19+int64(z.mo), start, loc)
			}
			b := lakeOf(t, kw, kwh)
			for _, est := range []bool{false, true} {
				l := query.New(b, &query.Options{Location: loc})
				base := propWindow(start, est)
				rng := rand.New(rand.NewSource(seed))
				// a range of up to 3 days cut at any minute, or one that
				// starts or ends at a kWh read, 26 h before it or after it
				pick := func() query.Filter {
					f := slotRange(rng, base, time.Minute, 3*24*60)
					if rng.Intn(2) == 0 { // cut at a kWh read ± 26 h
						r := kwh[rng.Intn(len(kwh))]
						c := r.Time.Add(time.Duration(rng.Intn(3)-1) * 26 * time.Hour)
						if c.After(base.From) && c.Before(base.To) {
							if rng.Intn(2) == 0 {
								f.From = c
								f.To = minTime13(c.Add(time.Duration(1+rng.Intn(72))*time.Hour), base.To)
							} else {
								f.To = c
								f.From = c.Add(-time.Duration(1+rng.Intn(72)) * time.Hour)
								if f.From.Before(base.From) {
									f.From = base.From
								}
							}
						}
					}
					return f
				}
				checkHoursIndependent(t, l, loc, base, 10, pick, fmt.Sprintf("%s seed %d est=%v", z.zone, seed, est))
			}
		}
	}
}

// TestEnergyKWhTilingJitter: random tilings of the same channels sum to
// the whole.
func TestEnergyKWhTilingJitter(t *testing.T) {
	for _, z := range []struct {
		zone     string
		y, mo, d int
	}{{"America/Santiago", 2024, 9, 3}, {"America/Santiago", 2024, 4, 2}, {"America/New_York", 2024, 11, 1}, {"Australia/Sydney", 2024, 10, 2}} {
		loc, _ := time.LoadLocation(z.zone)
		start := time.Date(z.y, time.Month(z.mo), z.d, 0, 0, 0, 0, loc)
		for seed := int64(30); seed < 32; seed++ {
			kw := randomMeter(seed*13+int64(z.mo), start, 0.001)
			kwh := kwh15KWh(seed*23+int64(z.mo), start, loc)
			l := query.New(lakeOf(t, kw, kwh), &query.Options{Location: loc})
			base := query.Filter{From: start, To: start.AddDate(0, 0, 10)}
			wk, _ := daySum(t, l, base)
			rng := rand.New(rand.NewSource(seed))
			for trial := 0; trial < 3; trial++ {
				cuts := []time.Time{base.From}
				for tm := base.From; tm.Before(base.To); {
					next := tm.Add(time.Duration(1+rng.Intn(30*60)) * time.Minute)
					if r := kwh[rng.Intn(len(kwh))]; rng.Intn(2) == 0 {
						if c := r.Time.Add(time.Duration(rng.Intn(3)-1) * 26 * time.Hour); c.After(tm) && c.Sub(tm) < 72*time.Hour {
							next = c
						}
					}
					tm = minTime13(next, base.To)
					cuts = append(cuts, tm)
				}
				if sk, _ := tiledSum(t, l, base, cuts); math.Abs(sk-wk) > 1e-6 {
					t.Errorf("%s seed %d: %d pieces %.4f, whole %.4f", z.zone, seed, len(cuts)-1, sk, wk)
				}
			}
		}
	}
}

// TestEnergyReplacedKWChannel: a kW channel replaced by a kWh one of 15
// or 60 minutes counts every interval once.
func TestEnergyReplacedKWChannel(t *testing.T) {
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	T := d0.Add(12 * time.Hour)
	for _, kiv := range []time.Duration{15 * time.Minute, time.Hour} {
		for _, first := range []time.Time{T, T.Add(kiv)} {
			kw := every(meter.TypeKW, d0.AddDate(0, 0, -3), T, 15*time.Minute, 1)
			kwh := every(meter.TypeKWh, first.Add(-kiv), d0.AddDate(0, 0, 3), kiv, kiv.Hours())
			l := query.New(lakeOf(t, kw, kwh), nil)
			for _, f := range []query.Filter{{From: d0, To: d0.AddDate(0, 0, 1)}, {From: T.Add(-time.Hour), To: T.Add(time.Hour)}} {
				got := kwh13Sum(t, l, f, query.Day)
				if want := f.To.Sub(f.From).Hours(); math.Abs(got-want) > 1e-9 {
					t.Errorf("kWh every %v from %s: [%s, %s) %v kWh, want %v", kiv, first.Format("15:04"), f.From.Format("15:04"), f.To.Format("15:04"), got, want)
				}
			}
		}
	}
}
