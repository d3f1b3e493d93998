package query_test

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query"
	"github.com/openmda/mda/vee"
)

// The harness of the energy property tests (TestEnergyRangeIndependence
// here, the reviews' random channels, jitter and tilings): a random meter
// around a DST change, its lake built once and read with and without
// estimates, and two checks, that an hour is the same in any range that
// holds it (checkHoursIndependent) and that ranges that tile a window sum
// to it (tiledSum).

// randomMeter is meter m's kW reads over [start-10d, start+20d]: interval
// changes at random reads (15, 30, 5 and 60 minutes), 3% of reads lost,
// and with outageP, outages of up to 30 hours.
func randomMeter(seed int64, start time.Time, outageP float64) []meter.Reading {
	rng := rand.New(rand.NewSource(seed))
	var out []meter.Reading
	t := start.AddDate(0, 0, -10)
	end := start.AddDate(0, 0, 20)
	ivs := []time.Duration{15 * time.Minute, 30 * time.Minute, 5 * time.Minute, time.Hour}
	iv := ivs[rng.Intn(2)]
	for t.Before(end) {
		if rng.Float64() < 0.002 { // change interval at a random read
			iv = ivs[rng.Intn(len(ivs))]
			t = t.Truncate(iv)
		}
		t = t.Add(iv)
		if rng.Float64() < 0.03 {
			continue // lost read
		}
		if rng.Float64() < outageP { // outage of some hours
			t = t.Add(time.Duration(rng.Intn(30)) * time.Hour)
			continue
		}
		out = append(out, meter.Reading{MeterID: "m", Type: meter.TypeKW, Time: t, Value: 1 + float64(rng.Intn(4))})
	}
	return out
}

// propWindow is the 10 days from start, with estimates or without.
func propWindow(start time.Time, est bool) query.Filter {
	f := query.Filter{From: start, To: start.AddDate(0, 0, 10)}
	if est {
		f.Estimate = &vee.Options{}
	}
	return f
}

// slotRange is a random sub-range of base of 1 to maxSlots whole slots
// (counted from base.From), drawn from rng.
func slotRange(rng *rand.Rand, base query.Filter, slot time.Duration, maxSlots int) query.Filter {
	n := int(base.To.Sub(base.From) / slot)
	a := rng.Intn(n)
	b := a + 1 + rng.Intn(min(n-a, maxSlots))
	f := base
	f.From = base.From.Add(time.Duration(a) * slot)
	f.To = base.From.Add(time.Duration(b) * slot)
	return f
}

// checkHoursIndependent checks that every whole hour (a bucket of
// query.Hour in loc) of the ranges pick draws has the energy, reads and
// estimates it has in base, the query of the whole window: trials ranges,
// or until three hours differ. what names the case in errors.
func checkHoursIndependent(t *testing.T, l *query.Lake, loc *time.Location, base query.Filter, trials int, pick func() query.Filter, what string) {
	t.Helper()
	ctx := context.Background()
	all, _, err := l.Energy(ctx, base, query.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]query.Energy{}
	for _, e := range all {
		want[e.Start.UnixMilli()] = e
	}
	fails := 0
	for trial := 0; trial < trials && fails < 3; trial++ {
		f := pick()
		got, _, err := l.Energy(ctx, f, query.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range got {
			// whole hours only
			hs, he := query.Hour.Bucket(g.Start, loc)
			if !hs.Equal(g.Start) || !he.Equal(g.End) {
				continue
			}
			w, ok := want[g.Start.UnixMilli()]
			if !ok || math.Abs(w.KWh-g.KWh) > 1e-9 || w.Estimated != g.Estimated || w.Reads != g.Reads {
				fails++
				t.Errorf("%s range [%s, %s): hour %s: %v kWh (%d reads, %d est, %v), in the whole window %v kWh (%d reads, %d est, %v)",
					what, f.From.In(loc).Format("01-02 15:04"), f.To.In(loc).Format("01-02 15:04"), g.Start.In(loc).Format("01-02 15:04 MST"),
					g.KWh, g.Reads, g.Estimated, g.Interval, w.KWh, w.Reads, w.Estimated, w.Interval)
			}
		}
	}
}

// daySum is the kWh and estimates of f's rows by day.
func daySum(t *testing.T, l *query.Lake, f query.Filter) (kwh float64, est int) {
	t.Helper()
	k, _, e := e10Sum(e10Energy(t, l, f, query.Day))
	return k, e
}

// tiledSum is the sum of daySum over the ranges of base between
// consecutive cuts.
func tiledSum(t *testing.T, l *query.Lake, base query.Filter, cuts []time.Time) (kwh float64, est int) {
	t.Helper()
	for i := 0; i+1 < len(cuts); i++ {
		f := base
		f.From, f.To = cuts[i], cuts[i+1]
		k, e := daySum(t, l, f)
		kwh += k
		est += e
	}
	return kwh, est
}

// TestEnergyRangeIndependence: on random meters around DST changes (and
// Lord Howe's half hour, Kathmandu's quarter), every whole hour of a
// random sub-range has the energy, reads and estimates it has in the ten
// days around it, with and without estimates and outages.
func TestEnergyRangeIndependence(t *testing.T) {
	for _, zone := range []string{"UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "Asia/Kathmandu"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		// around a DST change where there is one
		start := time.Date(2024, 10, 25, 0, 0, 0, 0, loc)
		if zone == "Australia/Lord_Howe" {
			start = time.Date(2024, 9, 30, 0, 0, 0, 0, loc)
		}
		if zone == "America/New_York" {
			start = time.Date(2024, 10, 30, 0, 0, 0, 0, loc)
		}
		for seed := int64(11); seed <= lastSeed(12, 14); seed++ {
			outageP := 0.0
			if seed%2 == 0 {
				outageP = 0.0005
			}
			b := lakeOf(t, randomMeter(seed*7+int64(len(zone)), start, outageP))
			for _, est := range []bool{false, true} {
				l := query.New(b, &query.Options{Location: loc})
				base := propWindow(start, est)
				rng := rand.New(rand.NewSource(seed))
				trials := 15
				if testing.Short() {
					trials = 4
				}
				// random sub-ranges of whole half hours (offsets are whole or half hours)
				checkHoursIndependent(t, l, loc, base, trials, func() query.Filter { return slotRange(rng, base, 30*time.Minute, 96) },
					fmt.Sprintf("%s seed %d est=%v", zone, seed, est))
			}
		}
	}
}
