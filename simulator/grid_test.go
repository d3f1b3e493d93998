package simulator_test

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/simulator"
)

func gen(t testing.TB, o simulator.Options) *simulator.Generator {
	t.Helper()
	g, err := simulator.New(&o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestTopology(t *testing.T) {
	tests := []struct {
		name                 string
		meters, first        int
		opts                 *simulator.TopologyOptions
		sts, dts, subs, last int // last: meters of the last service transformer
	}{
		{"defaults", 1000, 1, nil, 167, 4, 4, 4},
		{"guidance-like", 10000, 1, &simulator.TopologyOptions{ServiceTransformersPerDistribution: 278}, 1667, 6, 6, 4},
		{"small", 60, 5, &simulator.TopologyOptions{MetersPerServiceTransformer: 4, ServiceTransformersPerDistribution: 5, DistributionPerSubstation: 2}, 15, 3, 2, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := gen(t, simulator.Options{Meters: tc.meters, FirstMeter: tc.first, Days: 1})
			topo, err := g.Topology(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := []int{len(topo.ServiceTransformers), len(topo.DistributionTransformers), len(topo.Substations)}
			if diff := cmp.Diff([]int{tc.sts, tc.dts, tc.subs}, got); diff != "" {
				t.Errorf("counts STs, DTs, substations (-want +got):\n%s", diff)
			}
			if issues := topo.Check(); len(issues) != 0 {
				t.Errorf("issues: %v", issues[:min(5, len(issues))])
			}
			// Same ids as the generator, in order.
			if diff := cmp.Diff(g.MeterIDs(), topo.IDs(topology.LevelMeter)); diff != "" {
				t.Errorf("meter ids differ")
			}
			if topo.SmartMeters[0].ID != simulator.MeterID(tc.first) {
				t.Errorf("first meter %s", topo.SmartMeters[0].ID)
			}
			lastST := topo.ServiceTransformers[len(topo.ServiceTransformers)-1].ID
			if n := len(topo.Children(topology.LevelServiceTransformer, lastST)); n != tc.last {
				t.Errorf("last ST has %d meters, want %d", n, tc.last)
			}
			// Locations lie within the radius (plus the scatter around
			// transformers) of the centre.
			for _, l := range topo.Locations {
				dLat := (float64(l.Latitude) - simulator.DefaultTopologyLatitude) * 111.32
				dLon := (float64(l.Longitude) - simulator.DefaultTopologyLongitude) * 111.32 * math.Cos(simulator.DefaultTopologyLatitude*math.Pi/180)
				if d := math.Hypot(dLat, dLon); d > simulator.DefaultTopologyRadiusKm+0.2 {
					t.Fatalf("location %s is %.1f km from the centre", l.ID, d)
				}
			}
			again, _ := g.Topology(tc.opts)
			if diff := cmp.Diff(topo, again, cmpopts.IgnoreUnexported(topology.Topology{})); diff != "" {
				t.Errorf("not deterministic")
			}
		})
	}
	if _, err := gen(t, simulator.Options{Meters: 6, Days: 1}).Topology(&simulator.TopologyOptions{RadiusKm: -1}); err == nil {
		t.Error("negative radius accepted")
	}
}

func TestTopologyJSONIsTheGuidancesFormat(t *testing.T) {
	g := gen(t, simulator.Options{Meters: 12, Days: 1})
	topo, _ := g.Topology(nil)
	dir := t.TempDir()
	if err := topo.WriteJSONDir(dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(dir + "/smart_meter.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"id":`, `"locationId":`, `"serviceTransformerId":`} {
		if !bytes.Contains(data, []byte(key)) {
			t.Errorf("smart_meter.json lacks %s", key)
		}
	}
	back, err := topology.ReadJSON(os.DirFS(dir), ".")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(topo, back, cmpopts.IgnoreUnexported(topology.Topology{})); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestWeatherCSV(t *testing.T) {
	g := gen(t, simulator.Options{Meters: 1, Days: 2, Seed: 3})
	var buf bytes.Buffer
	n, err := g.WriteWeatherCSV(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if n != 48 || len(recs) != 49 || strings.Join(recs[0], ",") != simulator.MeteostatHeader {
		t.Fatalf("%d observations, %d records, header %v", n, len(recs), recs[0])
	}
	for i, r := range recs[1:] {
		tm, err := time.Parse(simulator.MeteostatTimeLayout, r[0])
		if err != nil || !tm.Equal(simulator.DefaultStart.Add(time.Duration(i)*time.Hour)) {
			t.Fatalf("row %d time %q", i, r[0])
		}
		// The temperature is the generator's, which drives the load.
		temp, _ := strconv.ParseFloat(r[1], 64)
		if want := math.Round(g.Temperature(tm)*10) / 10; temp != want {
			t.Errorf("%v: temp %v, generator %v", tm, temp, want)
		}
		dwpt, _ := strconv.ParseFloat(r[2], 64)
		rhum, _ := strconv.ParseFloat(r[3], 64)
		if dwpt > temp || rhum < 1 || rhum > 100 {
			t.Errorf("%v: dwpt %v temp %v rhum %v", tm, dwpt, temp, rhum)
		}
		if r[5] != "" || r[8] != "" || r[10] != "" {
			t.Errorf("snow, wpgt, tsun should be missing: %v", r)
		}
	}
	var again bytes.Buffer
	g.WriteWeatherCSV(&again, nil)
	var first bytes.Buffer
	gen(t, simulator.Options{Meters: 50, Days: 2, Seed: 3}).WriteWeatherCSV(&first, nil)
	if !bytes.Equal(first.Bytes(), again.Bytes()) {
		t.Error("weather depends on the number of meters")
	}
	if _, err := g.WriteWeatherCSV(&buf, &simulator.WeatherOptions{From: simulator.DefaultStart, To: simulator.DefaultStart}); err == nil {
		t.Error("empty window accepted")
	}
}

func TestWithOutages(t *testing.T) {
	g := gen(t, simulator.Options{Meters: 24, Days: 1, Seed: 8, DuplicateFraction: 0.05, LateFraction: 0.05, BadFraction: 0.02})
	topo, _ := g.Topology(nil)
	st := topo.ServiceTransformers[1].ID
	start := simulator.DefaultStart
	outages := []simulator.Outage{
		{ID: st, Start: start.Add(2 * time.Hour), End: start.Add(3 * time.Hour), Mode: simulator.OutageSilent},
		{ID: topo.SmartMeters[0].ID, Start: start.Add(5 * time.Hour), End: start.Add(5*time.Hour + 30*time.Minute), Mode: simulator.OutageZeroVoltage},
	}
	og, err := simulator.WithOutages(g, topo, outages)
	if err != nil {
		t.Fatal(err)
	}
	silent := map[string]bool{}
	for _, m := range og.Meters(0) {
		silent[m] = true
	}
	out := func(o simulator.Outage, tm time.Time) bool { return !tm.Before(o.Start) && tm.Before(o.End) }
	// Lines: the generator's, filtered and altered.
	var want []meter.HESLine
	g.Lines(func(l *meter.HESLine) error {
		c := *l
		switch {
		case silent[c.DeviceID] && out(outages[0], c.Time):
			return nil
		case c.DeviceID == outages[1].ID && out(outages[1], c.Time):
			c.Voltage, c.KW, c.KVA, c.Current = 0, 0, 0, 0
		}
		want = append(want, c)
		return nil
	})
	var got []meter.HESLine
	og.Lines(func(l *meter.HESLine) error { got = append(got, *l); return nil })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("lines (-want +got):\n%s", diff)
	}
	if len(og.Meters(0)) != 6 || len(got) >= 24*96+200 {
		t.Errorf("%d meters out, %d lines", len(og.Meters(0)), len(got))
	}
	// WriteCSV holds the same good lines, and its stats count them.
	var buf bytes.Buffer
	st2, err := og.WriteCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte(meter.HESCSVHeader+"\n")) || int64(buf.Len()) != st2.Bytes {
		t.Errorf("CSV of %d bytes, stats say %d", buf.Len(), st2.Bytes)
	}
	if st2.Lines != int64(len(got)) || st2.Reads != 6*st2.Lines || st2.BadLines == 0 {
		t.Errorf("stats %+v, %d lines", st2, len(got))
	}
	// Truth: no reads for the silent hour, zeros for the dead half hour.
	truth, err := og.Truth()
	if err != nil {
		t.Fatal(err)
	}
	for _, rd := range truth {
		if silent[rd.MeterID] && out(outages[0], rd.Time) {
			t.Fatalf("silent meter has a read: %+v", rd)
		}
		if rd.MeterID == outages[1].ID && out(outages[1], rd.Time) && rd.Type == meter.TypeVoltage && rd.Value != 0 {
			t.Fatalf("dead meter has voltage: %+v", rd)
		}
	}
	all, _ := g.Truth()
	if want := len(all) - 6*4*6; len(truth) != want {
		t.Errorf("%d truth reads, want %d", len(truth), want)
	}
	if !slices.IsSortedFunc(truth, meter.Compare) {
		t.Error("truth not sorted")
	}
	for _, bad := range [][]simulator.Outage{
		{{ID: "nope", Start: start, End: start.Add(time.Hour)}},
		{{ID: st, Start: start, End: start}},
		{{ID: st, Start: start, End: start.Add(time.Hour), Mode: 7}},
	} {
		if _, err := simulator.WithOutages(g, topo, bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}
