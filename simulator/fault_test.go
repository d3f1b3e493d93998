package simulator_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/simulator"
)

// linesByKey returns the generator's lines by meter and time.
func linesByKey(t *testing.T, g *simulator.Generator) map[string]meter.HESLine {
	t.Helper()
	out := map[string]meter.HESLine{}
	if err := g.Lines(func(l *meter.HESLine) error {
		out[l.DeviceID+"@"+l.Time.Format(time.RFC3339)] = *l
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFaults(t *testing.T) {
	start := simulator.DefaultStart
	base := simulator.Options{Meters: 4, Days: 3, Seed: 7, DuplicateFraction: 0.05, LateFraction: 0.05}
	ids := []string{simulator.MeterID(1), simulator.MeterID(2), simulator.MeterID(3)}
	faults := []simulator.Fault{
		{MeterID: ids[0], Kind: simulator.FaultStuck, Start: start.Add(10 * time.Hour), End: start.Add(22 * time.Hour)},
		{MeterID: ids[1], Kind: simulator.FaultZero, Start: start.Add(24 * time.Hour), End: start.Add(30 * time.Hour)},
		{MeterID: ids[2], Kind: simulator.FaultScale, Factor: 2, Start: start.Add(48 * time.Hour), End: start.Add(72 * time.Hour)},
		{MeterID: ids[0], Kind: simulator.FaultScale, Factor: 0.5, Start: start.Add(40 * time.Hour), End: start.Add(44 * time.Hour)},
	}
	faulty := base
	faulty.Faults = faults
	clean, bad := linesByKey(t, gen(t, base)), linesByKey(t, gen(t, faulty))
	if len(clean) != len(bad) {
		t.Fatalf("%d lines with faults, %d without", len(bad), len(clean))
	}
	in := func(f simulator.Fault, l meter.HESLine) bool {
		// A fault covers the intervals that start in [Start, End): the
		// reads stamped in (Start, End].
		return l.DeviceID == f.MeterID && l.Time.After(f.Start) && !l.Time.After(f.End)
	}
	var stuck *meter.HESLine
	counts := map[simulator.FaultKind]int{}
	for k, c := range clean {
		b := bad[k]
		var f *simulator.Fault
		for i := range faults {
			if in(faults[i], c) {
				f = &faults[i]
			}
		}
		if f == nil {
			if diff := cmp.Diff(c, b); diff != "" {
				t.Fatalf("line %s outside every fault changed (-clean +faulty):\n%s", k, diff)
			}
			continue
		}
		counts[f.Kind]++
		// The supply stays live, and the line keeps its place and arrival.
		if b.Voltage != c.Voltage || !b.Arrival.Equal(c.Arrival) || b.Load != c.Load {
			t.Fatalf("%s under a %v fault: voltage, arrival or load changed: %+v vs %+v", k, f.Kind, b, c)
		}
		switch f.Kind {
		case simulator.FaultStuck:
			if stuck == nil {
				first := clean[c.DeviceID+"@"+f.Start.Add(15*time.Minute).Format(time.RFC3339)]
				stuck = &first
			}
			if b.KW != stuck.KW || b.KVA != stuck.KVA || b.PF != stuck.PF {
				t.Fatalf("%s stuck: kw %v kva %v pf %v, want the first values %v %v %v", k, b.KW, b.KVA, b.PF, stuck.KW, stuck.KVA, stuck.PF)
			}
		case simulator.FaultZero:
			if b.KW != 0 || b.KVA != 0 || b.Current != 0 {
				t.Fatalf("%s zero: kw %v kva %v crrnt %v", k, b.KW, b.KVA, b.Current)
			}
		case simulator.FaultScale:
			want := float64(int64(c.KW*f.Factor*1000+0.5)) / 1000
			if d := b.KW - want; d > 1e-9 || d < -1e-9 {
				t.Fatalf("%s scaled by %v: kw %v, want %v", k, f.Factor, b.KW, want)
			}
		}
	}
	if diff := cmp.Diff(map[simulator.FaultKind]int{simulator.FaultStuck: 48, simulator.FaultZero: 24, simulator.FaultScale: 96 + 16}, counts); diff != "" {
		t.Errorf("lines under each kind of fault (-want +got):\n%s", diff)
	}

	// The truth carries the faults: it is what the lake must hold.
	g := gen(t, faulty)
	truth := map[string]float64{}
	if err := g.TruthReads(func(r meter.Reading) error {
		if r.Type == meter.TypeKW {
			truth[r.MeterID+"@"+r.Time.Format(time.RFC3339)] = r.Value
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for k, l := range bad {
		if truth[k] != l.KW {
			t.Fatalf("%s: truth kw %v, line kw %v", k, truth[k], l.KW)
		}
	}
}

func TestFaultsInvalid(t *testing.T) {
	start := simulator.DefaultStart
	id := simulator.MeterID(1)
	for _, tc := range []struct {
		name  string
		fault []simulator.Fault
		want  string
	}{
		{"unknown meter", []simulator.Fault{{MeterID: "nope", Kind: simulator.FaultZero, Start: start, End: start.Add(time.Hour)}}, "not one of the generated meters"},
		{"unknown kind", []simulator.Fault{{MeterID: id, Start: start, End: start.Add(time.Hour)}}, "unknown kind"},
		{"empty span", []simulator.Fault{{MeterID: id, Kind: simulator.FaultZero, Start: start, End: start}}, "is not after start"},
		{"zero factor", []simulator.Fault{{MeterID: id, Kind: simulator.FaultScale, Start: start, End: start.Add(time.Hour)}}, "not positive"},
		{"outside the window", []simulator.Fault{{MeterID: id, Kind: simulator.FaultZero, Start: start.AddDate(0, 0, 1), End: start.AddDate(0, 0, 2)}}, "outside the window"},
		{"overlap", []simulator.Fault{
			{MeterID: id, Kind: simulator.FaultZero, Start: start, End: start.Add(2 * time.Hour)},
			{MeterID: id, Kind: simulator.FaultStuck, Start: start.Add(time.Hour), End: start.Add(3 * time.Hour)}}, "overlap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := simulator.New(&simulator.Options{Meters: 2, Days: 1, Faults: tc.fault})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestSampleFaults(t *testing.T) {
	o := &simulator.Options{Meters: 10, Days: 40, Seed: 3}
	fs, err := simulator.SampleFaults(o, 5)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := simulator.SampleFaults(o, 5)
	if diff := cmp.Diff(fs, again); diff != "" {
		t.Fatalf("SampleFaults is not deterministic:\n%s", diff)
	}
	kinds := []simulator.FaultKind{simulator.FaultStuck, simulator.FaultZero, simulator.FaultScale, simulator.FaultScale, simulator.FaultStuck}
	end := simulator.DefaultStart.AddDate(0, 0, 40)
	seen := map[string]bool{}
	for k, f := range fs {
		if f.Kind != kinds[k] || seen[f.MeterID] {
			t.Errorf("fault %d: kind %v on %s (want %v, distinct meters)", k, f.Kind, f.MeterID, kinds[k])
		}
		seen[f.MeterID] = true
		last := end.AddDate(0, 0, -1)
		if f.Kind == simulator.FaultScale && f.Factor < 1 {
			last = end // the bypass lasts to the end
		}
		if f.Start.Before(simulator.DefaultStart.AddDate(0, 0, 14)) || f.End.After(last) || !f.End.After(f.Start) {
			t.Errorf("fault %d: [%v, %v) is not after 14 whole days of history and within the window", k, f.Start, f.End)
		}
	}
	// They are valid options.
	o.Faults = fs
	if _, err := simulator.New(o); err != nil {
		t.Fatal(err)
	}
	if _, err := simulator.SampleFaults(o, 11); err == nil {
		t.Error("11 faults for 10 meters: no error")
	}
	short, err := simulator.SampleFaults(&simulator.Options{Meters: 4, Days: 4}, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range short {
		if f.Start.Before(simulator.DefaultStart.AddDate(0, 0, 2)) || f.End.After(simulator.DefaultStart.AddDate(0, 0, 4)) {
			t.Errorf("4-day window: fault [%v, %v) not in its second half", f.Start, f.End)
		}
	}
	if _, err := simulator.SampleFaults(&simulator.Options{Meters: 4, Days: 3}, 1); err == nil {
		t.Error("a three-day window: no error")
	}
}

// TestFaultsStuckInARow: two stuck faults back to back on one meter each
// repeat their own first values, also at the Unix epoch (a start of 0 ms).
func TestFaultsStuckInARow(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	id := simulator.MeterID(1)
	o := simulator.Options{Meters: 1, Days: 1, Interval: time.Hour, Start: epoch, Faults: []simulator.Fault{
		{MeterID: id, Kind: simulator.FaultStuck, Start: epoch, End: epoch.Add(4 * time.Hour)},
		{MeterID: id, Kind: simulator.FaultStuck, Start: epoch.Add(4 * time.Hour), End: epoch.Add(8 * time.Hour)},
	}}
	clean := o
	clean.Faults = nil
	// Reads are stamped at interval ends: the faults hold the reads
	// stamped in (0, 4h] and (4h, 8h].
	want := map[time.Time]float64{}
	for _, l := range linesByKey(t, gen(t, clean)) {
		if !l.Time.After(epoch.Add(8 * time.Hour)) {
			want[l.Time] = l.KW
		}
	}
	for _, l := range linesByKey(t, gen(t, o)) {
		if l.Time.After(epoch.Add(8 * time.Hour)) {
			continue
		}
		first := epoch.Add(time.Hour)
		if l.Time.After(epoch.Add(4 * time.Hour)) {
			first = epoch.Add(5 * time.Hour)
		}
		if l.KW != want[first] {
			t.Errorf("%v: kw %v, want the value at %v, %v", l.Time, l.KW, first, want[first])
		}
	}
	if want[epoch.Add(time.Hour)] == want[epoch.Add(5*time.Hour)] {
		t.Fatalf("the two stuck values are equal (%v): the test cannot tell them apart", want[epoch.Add(time.Hour)])
	}
}

// A stuck register, found in the reads: the meter repeats one value.
func ExampleFault() {
	start := simulator.DefaultStart
	id := simulator.MeterID(1)
	g, err := simulator.New(&simulator.Options{Meters: 1, Days: 1, Interval: time.Hour, Faults: []simulator.Fault{
		{MeterID: id, Kind: simulator.FaultStuck, Start: start.Add(6 * time.Hour), End: start.Add(12 * time.Hour)},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	var run, longest int
	var last float64
	err = g.Lines(func(l *meter.HESLine) error {
		if l.KW == last {
			run++
		} else {
			run, last = 1, l.KW
		}
		longest = max(longest, run)
		return nil
	})
	fmt.Println(longest, "hours of the same kW reading, error:", err)
	// Output: 6 hours of the same kW reading, error: <nil>
}
