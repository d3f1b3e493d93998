package forecast_test

import (
	"bytes"
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/openmda/mda/forecast"
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

	// A rerun writes the same files; a subset removes the others' files.
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
	rows3, files3 := readTable[tables.AnomalyEventRow](t, lake, tables.AnomalyEventDir(2024))
	if len(files3) != 1 || st3.Passes != 1 {
		t.Errorf("subset: %d event files, %d passes", len(files3), st3.Passes)
	}
	for _, r := range rows3 {
		if r.MeterID != "m0" && r.MeterID != "m1" {
			t.Errorf("subset rerun kept %+v", r)
		}
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
