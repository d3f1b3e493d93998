package forecast_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda/forecast"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/tables"
)

// TestDetectAnomaliesEvents: the lake job writes the events of the year
// next to the daily scores, replaces them on a rerun and removes the files
// of meters it no longer scores.
func TestDetectAnomaliesEvents(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2023, 11, 25, 0, 0, 0, 0, time.UTC)
	spike := time.Date(2024, 2, 14, 0, 0, 0, 0, time.UTC)
	outage := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	stuck := time.Date(2024, 1, 20, 0, 0, 0, 0, time.UTC)
	drop := time.Date(2024, 1, 25, 0, 0, 0, 0, time.UTC)
	lake := anomalyLake(t, start, 100, func(id string, day time.Time, kw float64) (float64, bool) {
		switch {
		case id == "m1" && day.Equal(spike):
			return 3 * kw, true
		case id == "m3" && day.Equal(outage):
			return 0, true
		case id == "m4" && day.Equal(stuck):
			return 0.7, true // the register repeats one value all day
		case id == "m0" && !day.Before(drop):
			return 0.5 * kw, true
		}
		return kw, true
	})
	st, err := forecast.DetectAnomalies(ctx, lake, &forecast.AnomalyOptions{MetersPerFile: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("events %v in %v", st.Events, st.EventFiles)
	rows, files := readTable[tables.AnomalyEventRow](t, lake, tables.AnomalyEventDir(2024))
	if len(files) != len(st.EventFiles) || len(files) == 0 {
		t.Fatalf("%d event files, stats %v", len(files), st.EventFiles)
	}
	find := func(id, kind string, at time.Time) *tables.AnomalyEventRow {
		for i := range rows {
			r := &rows[i]
			if r.MeterID == id && r.Kind == kind && !r.Start.After(at) && at.Before(r.End) {
				return r
			}
		}
		return nil
	}
	if r := find("m1", "spike", spike); r == nil || r.Resolution != 86400 || !r.Start.Equal(spike) || !(r.Importance > 0.3) || r.Model != st.Model {
		t.Errorf("m1 spike: %+v", r)
	}
	if r := find("m3", "zero", outage); r == nil || r.Resolution != 3600 || !r.Start.Equal(outage) || !r.End.Equal(outage.AddDate(0, 0, 1)) ||
		r.Consumption != 0 || r.Importance != 1 {
		t.Errorf("m3 zero day: %+v", r)
	}
	if r := find("m4", "flat", stuck.Add(12*time.Hour)); r == nil || !r.Start.Equal(stuck) || !r.End.Equal(stuck.AddDate(0, 0, 1)) ||
		math.Abs(r.Consumption-24*0.7) > 1e-4 || r.Upper != nil {
		t.Errorf("m4 stuck day: %+v", r)
	}
	if r := find("m0", "drop", drop.AddDate(0, 0, 3)); r == nil || r.Start.Sub(drop).Abs() > 3*24*time.Hour || math.Abs(r.Importance-0.5) > 0.1 {
		t.Errorf("m0 drop from %v: %+v", drop, r)
	}
	counts := map[string]int64{}
	for _, r := range rows {
		counts[r.Kind]++
		if r.Start.Year() != 2024 || !r.End.After(r.Start) {
			t.Errorf("event outside the year: %+v", r)
		}
	}
	for k, n := range counts {
		if st.Events[forecast.AnomalyKind(k)] != n {
			t.Errorf("%s: %d rows, stats %d", k, n, st.Events[forecast.AnomalyKind(k)])
		}
	}
	// The zero and stuck days are explained: no daily dip or spike events
	// on them, though their scores are flagged.
	if r := find("m3", "dip", outage.Add(time.Hour)); r != nil {
		t.Errorf("dip beside the zero run: %+v", r)
	}
	days, _ := readTable[tables.AnomalyRow](t, lake, tables.AnomalyDir(2024))
	i := slices.IndexFunc(days, func(r tables.AnomalyRow) bool { return r.MeterID == "m3" && r.Day.Equal(outage) })
	if i < 0 || days[i].Anomaly != -1 || days[i].Importance != 0 {
		t.Errorf("m3's zero day scored %+v", days[max(i, 0)])
	}

	// A rerun writes the same files; a subset replaces its meters' events
	// and keeps the others'.
	if _, err := forecast.DetectAnomalies(ctx, lake, &forecast.AnomalyOptions{MetersPerFile: 2}); err != nil {
		t.Fatal(err)
	}
	_, files2 := readTable[tables.AnomalyEventRow](t, lake, tables.AnomalyEventDir(2024))
	for k, v := range files {
		if !bytes.Equal(v, files2[k]) {
			t.Errorf("%s changed on the rerun", k)
		}
	}
	st3, err := forecast.DetectAnomalies(ctx, lake, &forecast.AnomalyOptions{MeterIDs: []string{"m0", "m1"}, MetersPerFile: 2, MemoryBudget: 1})
	if err != nil {
		t.Fatal(err)
	}
	rows3, _ := readTable[tables.AnomalyEventRow](t, lake, tables.AnomalyEventDir(2024))
	if st3.Passes != 1 {
		t.Errorf("subset: %d passes", st3.Passes)
	}
	key := func(r tables.AnomalyEventRow) string {
		return fmt.Sprintf("%s %s %s %s %v", r.MeterID, r.Kind, r.Start.Format(time.RFC3339), r.End.Format(time.RFC3339), r.Consumption)
	}
	count := func(rows []tables.AnomalyEventRow) map[string]int {
		m := map[string]int{}
		for _, r := range rows {
			m[key(r)]++
		}
		return m
	}
	if diff := cmp.Diff(count(rows), count(rows3)); diff != "" {
		t.Errorf("events after the subset rerun (-full +subset):\n%s", diff)
	}
}

// TestDetectAnomaliesPasses: a memory budget smaller than the meters' grid
// reads the lake in passes and writes what one pass writes.
func TestDetectAnomaliesPasses(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2023, 11, 25, 0, 0, 0, 0, time.UTC)
	lake := anomalyLake(t, start, 70, func(id string, day time.Time, kw float64) (float64, bool) { return kw, true })
	one, err := forecast.DetectAnomalies(ctx, lake, &forecast.AnomalyOptions{MetersPerFile: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, files1 := readTable[tables.AnomalyRow](t, lake, tables.AnomalyDir(2024))
	hours := int64(one.To.Sub(one.From.AddDate(0, 0, -56)) / time.Hour)
	three, err := forecast.DetectAnomalies(ctx, lake, &forecast.AnomalyOptions{MetersPerFile: 2, MemoryBudget: 2 * hours * 6})
	if err != nil {
		t.Fatal(err)
	}
	if one.Passes != 1 || three.Passes != 4 { // the dynamic pass stops at its budget, then three
		t.Errorf("passes %d and %d", one.Passes, three.Passes)
	}
	_, files3 := readTable[tables.AnomalyRow](t, lake, tables.AnomalyDir(2024))
	if len(files1) != 3 || len(files3) != 3 {
		t.Fatalf("%d and %d files", len(files1), len(files3))
	}
	for k, v := range files1 {
		if !bytes.Equal(v, files3[k]) {
			t.Errorf("%s differs between one pass and three", k)
		}
	}
}

// TestAnomalyStatsDirs: a table that got no files is ensured, not given an
// empty partition.
func TestAnomalyStatsDirs(t *testing.T) {
	for _, tc := range []struct {
		st   forecast.AnomalyStats
		want []string
	}{
		{forecast.AnomalyStats{Year: 2024, Files: []string{"a"}, EventFiles: []string{"b"}}, []string{tables.AnomalyDir(2024), tables.AnomalyEventDir(2024)}},
		{forecast.AnomalyStats{Year: 2024, Files: []string{"a"}}, []string{tables.AnomalyDir(2024), tables.AnomalyEventsPrefix}},
		{forecast.AnomalyStats{Year: 2024}, []string{tables.AnomaliesPrefix, tables.AnomalyEventsPrefix}},
	} {
		if got := tc.st.Dirs(); !slices.Equal(got, tc.want) {
			t.Errorf("Dirs of %d files, %d event files = %v, want %v", len(tc.st.Files), len(tc.st.EventFiles), got, tc.want)
		}
	}
}

// TestDetectAnomaliesFindsSimulatorFaults: the lake job finds the faults
// the simulator injects into its households (simulator.SampleFaults: a
// stuck register, a zero run and a doubled day) at the meter and time
// they were injected, over 20 simulated neighbourhoods. Every stuck and
// zero run is found; a doubled day is found when the household's own day
// does not hide it (a doubled day of a household that just left on
// holiday reads like an ordinary one, and one after a cold spell is
// within the interval of its heating), at least 12 times in 20.
func TestDetectAnomaliesFindsSimulatorFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 20 x 12 meters x 45 days")
	}
	ctx := context.Background()
	want := map[simulator.FaultKind]string{simulator.FaultStuck: "flat", simulator.FaultZero: "zero", simulator.FaultScale: "spike"}
	found := map[simulator.FaultKind]int{}
	var others, meterDays int64
	const seeds = 20
	for seed := range int64(seeds) {
		o := &simulator.Options{Meters: 12, Days: 45, Interval: 30 * time.Minute, Seed: seed + 1}
		faults, err := simulator.SampleFaults(o, 3)
		if err != nil {
			t.Fatal(err)
		}
		o.Faults = faults
		g, err := simulator.New(o)
		if err != nil {
			t.Fatal(err)
		}
		lake := memBucket(t)
		if _, err := g.WriteTruthLake(ctx, lake, "truth", nil, meter.TypeKW); err != nil {
			t.Fatal(err)
		}
		st, err := forecast.DetectAnomalies(ctx, lake, nil)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := readTable[tables.AnomalyEventRow](t, lake, tables.AnomalyEventDir(2024))
		faulty := map[string]bool{}
		for _, f := range faults {
			faulty[f.MeterID] = true
			hit := false
			for _, r := range rows {
				daily := f.Kind != simulator.FaultScale || r.Resolution == 86400 // a doubled day is a daily spike
				hit = hit || r.MeterID == f.MeterID && r.Kind == want[f.Kind] && daily && r.Start.Before(f.End) && f.Start.Before(r.End)
			}
			if hit {
				found[f.Kind]++
			} else {
				t.Logf("seed %d: %v fault of %s from %v to %v: no %s event", seed+1, f.Kind, f.MeterID, f.Start, f.End, want[f.Kind])
			}
		}
		for _, r := range rows {
			if !faulty[r.MeterID] {
				others++
			}
		}
		meterDays += st.Days * 9 / 12
	}
	t.Logf("found %v of %d each; %d events on %d meter-days of the meters without faults", found, seeds, others, meterDays)
	if found[simulator.FaultStuck] != seeds || found[simulator.FaultZero] != seeds || found[simulator.FaultScale] < 12 {
		t.Errorf("found %v of %d faults of each kind, want every stuck and zero run and 12 doubled days", found, seeds)
	}
	// The simulated households go on holiday (a tenth of the activity for
	// 3 to 14 days): the days they leave and come back are real whole-day
	// dips and spikes, and their evenings make hourly ones. Still, an
	// event is rare.
	if others*40 > meterDays {
		t.Errorf("%d events on %d meter-days without faults: more than one in 40 days", others, meterDays)
	}
}

// TestDetectAnomaliesWeather: on simulated neighbourhoods of households
// that heat and cool with the weather, the temperature of the weather
// table (AnomalyOptions.Weather) takes the weather out of the daily
// scores: over three of them, fewer days outside the interval and fewer
// spike and dip events. (Where no cold snap or heat wave happens, it
// changes little either way: it helps when the weather moves.)
func TestDetectAnomaliesWeather(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 3 x 200 meters x 45 days")
	}
	ctx := context.Background()
	var plainFlags, plainEvents, weatherFlags, weatherEvents int
	for seed := int64(1); seed <= 3; seed++ {
		o := &simulator.Options{Meters: 200, Days: 45, Seed: seed}
		g, err := simulator.New(o)
		if err != nil {
			t.Fatal(err)
		}
		lake := memBucket(t)
		if _, err := g.WriteTruthLake(ctx, lake, "truth", nil, meter.TypeKW); err != nil {
			t.Fatal(err)
		}
		start := g.Options().Start
		count := func(weather *forecast.Weather) (flags, events int) {
			st, err := forecast.DetectAnomalies(ctx, lake, &forecast.AnomalyOptions{Weather: weather})
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := readTable[tables.AnomalyRow](t, lake, tables.AnomalyDir(2024))
			for _, r := range rows {
				if r.Anomaly != 0 {
					flags++
				}
			}
			if weather != nil && !strings.HasSuffix(st.Model, "-weather-18") {
				t.Errorf("model %q does not say it followed the weather", st.Model)
			}
			return flags, int(st.Events[forecast.KindSpike] + st.Events[forecast.KindDip])
		}
		if seed == 1 {
			if _, err := forecast.DetectAnomalies(ctx, lake, &forecast.AnomalyOptions{Weather: &forecast.Weather{}}); !errors.Is(err, forecast.ErrNoWeather) {
				t.Fatalf("weather asked of a lake without a weather table: %v, want ErrNoWeather", err)
			}
		}
		pf, pe := count(nil)
		loadWeather(t, lake, g, start.Add(-time.Hour), start.AddDate(0, 0, o.Days))
		wf, we := count(&forecast.Weather{})
		t.Logf("seed %d: days outside the interval %d without the temperature, %d with it; spike and dip events %d and %d", seed, pf, wf, pe, we)
		plainFlags, plainEvents, weatherFlags, weatherEvents = plainFlags+pf, plainEvents+pe, weatherFlags+wf, weatherEvents+we
	}
	if 10*weatherFlags > 9*plainFlags || 10*weatherEvents > 7*plainEvents {
		t.Errorf("with the temperature %d days outside the interval and %d events, without %d and %d: want a tenth fewer days and 30%% fewer events",
			weatherFlags, weatherEvents, plainFlags, plainEvents)
	}
}

// TestDetectAnomaliesFindsSimulatorDrops: the simulator's bypass (the load
// halved to the end of a 60-day window, from 28 days or more before its
// end) is found as a drop on most simulated neighbourhoods.
func TestDetectAnomaliesFindsSimulatorDrops(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 10 x 8 meters x 60 days")
	}
	ctx := context.Background()
	const seeds = 10
	drops := 0
	for seed := range int64(seeds) {
		o := &simulator.Options{Meters: 8, Days: 60, Interval: time.Hour, Seed: seed + 1}
		faults, err := simulator.SampleFaults(o, 4)
		if err != nil {
			t.Fatal(err)
		}
		bypass := faults[3]
		if bypass.Factor != 0.5 || bypass.End.Sub(bypass.Start) < simulator.DropDays*24*time.Hour {
			t.Fatalf("seed %d: the bypass %+v does not run %d days", seed+1, bypass, simulator.DropDays)
		}
		o.Faults = faults[3:]
		g, err := simulator.New(o)
		if err != nil {
			t.Fatal(err)
		}
		lake := memBucket(t)
		if _, err := g.WriteTruthLake(ctx, lake, "truth", nil, meter.TypeKW); err != nil {
			t.Fatal(err)
		}
		if _, err := forecast.DetectAnomalies(ctx, lake, nil); err != nil {
			t.Fatal(err)
		}
		rows, _ := readTable[tables.AnomalyEventRow](t, lake, tables.AnomalyEventDir(2024))
		found := false
		for _, r := range rows {
			found = found || r.MeterID == bypass.MeterID && r.Kind == "drop" && r.Start.Before(bypass.End) && bypass.Start.Before(r.End)
		}
		if found {
			drops++
		} else {
			t.Logf("seed %d: bypass of %s from %v: no drop event", seed+1, bypass.MeterID, bypass.Start)
		}
	}
	if drops < 8 {
		t.Errorf("%d of %d bypasses found as drops, want 8", drops, seeds)
	}
}
