package query_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query"
	"github.com/openmda/mda/vee"
)

// total is what a list of rows adds up to.
type total struct {
	KWh              float64
	Reads, Estimated int
}

func sumOf(rows []query.Energy) total {
	var t total
	for _, r := range rows {
		t.KWh += r.KWh
		t.Reads += r.Reads
		t.Estimated += r.Estimated
	}
	return t
}

// TestEnergyPeriodsAreSumsOfHours: kWh or kW is chosen per hour, so a
// day, week or month is the sum of its hours whatever the range, also for
// a meter that moved from its kW channel to kWh mid-month or whose kWh
// channel has a gap of days that its kW reads cover.
func TestEnergyPeriodsAreSumsOfHours(t *testing.T) {
	ctx := context.Background()
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return d0.AddDate(0, 0, n) }
	june := [2]time.Time{d0, day(30)}
	week := [2]time.Time{day(16), day(23)} // Monday June 17
	billing := [2]time.Time{day(14).Add(9 * time.Hour), day(29)}
	var kwhGap []meter.Reading // both channels; the kWh one lost June 10-14
	for _, r := range every(meter.TypeKWh, d0, june[1], 15*time.Minute, 0.25) {
		if !r.Time.After(day(9)) || r.Time.After(day(14)) {
			kwhGap = append(kwhGap, r)
		}
	}
	tests := []struct {
		name   string
		reads  []meter.Reading
		ranges [][2]time.Time
		want   map[[2]time.Time]total // the range's hours, days, weeks and months
	}{
		{"kW then kWh from June 21", concat(every(meter.TypeKW, d0, day(20), 15*time.Minute, 1), every(meter.TypeKWh, day(20), june[1], 15*time.Minute, 0.25)),
			[][2]time.Time{june, week, billing},
			map[[2]time.Time]total{june: {720, 2880, 0}, week: {168, 672, 0}, billing: {14*24 + 24 - 9, (14*24 + 24 - 9) * 4, 0}}},
		{"kW and kWh, the kWh with a gap of days", concat(every(meter.TypeKW, d0, june[1], 15*time.Minute, 1), kwhGap),
			[][2]time.Time{june, week, billing},
			map[[2]time.Time]total{june: {720, 2880, 0}, week: {168, 672, 0}, billing: {14*24 + 24 - 9, (14*24 + 24 - 9) * 4, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := query.New(lakeOf(t, tc.reads), nil)
			for _, rg := range tc.ranges {
				f := query.Filter{From: rg[0], To: rg[1]}
				hours, _, err := l.Energy(ctx, f, query.Hour)
				if err != nil {
					t.Fatal(err)
				}
				got := map[query.Period]total{query.Hour: sumOf(hours)}
				for _, p := range []query.Period{query.Day, query.Week, query.Month} {
					rows, _, err := l.Energy(ctx, f, p)
					if err != nil {
						t.Fatal(err)
					}
					got[p] = sumOf(rows)
				}
				want := tc.want[rg]
				if diff := cmp.Diff(map[query.Period]total{query.Hour: want, query.Day: want, query.Week: want, query.Month: want}, got, approx); diff != "" {
					t.Errorf("[%v, %v) (-want +got):\n%s", rg[0], rg[1], diff)
				}
			}
		})
	}
}

// TestEnergyEstimateGapAcrossIntervalChange: reads lost for four hours
// across the midnight at which the meter went from 30- to 15-minute reads
// are estimated on both sides as if it had not changed: the 30-minute
// history counts for both of the 15-minute slots each read covers.
func TestEnergyEstimateGapAcrossIntervalChange(t *testing.T) {
	ctx := context.Background()
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return d0.AddDate(0, 0, n) }
	lost := func(rs []meter.Reading) []meter.Reading {
		var out []meter.Reading
		for _, r := range rs {
			if !r.Time.After(day(2).Add(-2*time.Hour)) || r.Time.After(day(2).Add(2*time.Hour)) {
				out = append(out, r)
			}
		}
		return out
	}
	row := func(n, reads, estimated int, iv time.Duration) query.Energy {
		return query.Energy{MeterID: "m", Start: day(n), End: day(n + 1), KWh: 24, Reads: reads, Estimated: estimated, Interval: iv}
	}
	changed := row(2, 88, 8, 15*time.Minute)
	tests := []struct {
		name  string
		reads []meter.Reading
		want  []query.Energy // June 2 and 3
	}{
		{"30 then 15 minutes", lost(concat(every(meter.TypeKW, day(-30), day(2), 30*time.Minute, 1), every(meter.TypeKW, day(2), day(6), 15*time.Minute, 1))),
			[]query.Energy{row(1, 44, 4, 30*time.Minute), changed}},
		{"15 minutes throughout", lost(every(meter.TypeKW, day(-30), day(6), 15*time.Minute, 1)),
			[]query.Energy{row(1, 88, 8, 15*time.Minute), changed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := query.New(lakeOf(t, tc.reads), nil)
			for _, rg := range [][2]int{{1, 3}, {1, 2}, {2, 3}} {
				got, _, err := l.Energy(ctx, query.Filter{From: day(rg[0]), To: day(rg[1]), Estimate: &vee.Options{}}, query.Day)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want[rg[0]-1:rg[1]-1], got, approx); diff != "" {
					t.Errorf("days %v (-want +got):\n%s", rg, diff)
				}
			}
		})
	}
}

// TestEnergyMaxReadsPerCall: MaxReads bounds the reads of all of a call's
// scans together (the range, the windows of its edge days), not each of
// them.
func TestEnergyMaxReadsPerCall(t *testing.T) {
	ctx := context.Background()
	d0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	b := lakeOf(t, every(meter.TypeKW, d0.AddDate(0, 0, -40), d0.AddDate(0, 0, 3), 15*time.Minute, 1, d0.Add(40*time.Hour)))
	// 94 reads in the range, and 12 in each of the windows of its edge
	// days that tell their intervals (00:00-03:00 of June 2, 21:00-24:00
	// of June 3): each scan less than 100, all of them more.
	midDay := query.Filter{From: d0.Add(36 * time.Hour), To: d0.Add(60*time.Hour - 15*time.Minute)}
	tests := []struct {
		name     string
		f        query.Filter
		maxReads int
		wantErr  bool
	}{
		{"the range and its edge days' windows", midDay, 100, true},
		{"enough for all", midDay, 200, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := query.New(b, &query.Options{MaxReads: tc.maxReads})
			_, st, err := l.Energy(ctx, tc.f, query.Hour)
			if got := errors.Is(err, query.ErrTooManyReads); got != tc.wantErr {
				t.Errorf("MaxReads %d: err %v after %d reads; want ErrTooManyReads %v", tc.maxReads, err, st.Reads, tc.wantErr)
			}
		})
	}
}
