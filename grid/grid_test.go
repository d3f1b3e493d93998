package grid_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/grid"
	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/simulator"
)

var day0 = simulator.DefaultStart // 2024-03-01T00:00:00Z

func at(h, m int) time.Time {
	return day0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// world is a simulated grid: a generator, its topology, outages injected,
// and a lake holding what the outage generator wrote, ingested.
type world struct {
	g    *simulator.Generator
	topo *topology.Topology
	og   *simulator.OutageGenerator
	lake *blob.Bucket
}

func newWorld(t testing.TB, gopts simulator.Options, topts *simulator.TopologyOptions, outages []simulator.Outage) *world {
	t.Helper()
	ctx := context.Background()
	g, err := simulator.New(&gopts)
	if err != nil {
		t.Fatal(err)
	}
	topo, err := g.Topology(topts)
	if err != nil {
		t.Fatal(err)
	}
	og, err := simulator.WithOutages(g, topo, outages)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := og.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	lake, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lake.Close() })
	if err := lake.WriteAll(ctx, "inbound/readings.csv", buf.Bytes(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := mda.Ingest(ctx, lake, lake, "inbound/readings.csv", &mda.IngestOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	return &world{g: g, topo: topo, og: og, lake: lake}
}

// smallGrid: 60 meters, 10 service transformers of 6, 3 per distribution
// transformer (4 DTs, the last with one ST), 2 DTs per substation.
var smallGrid = &simulator.TopologyOptions{ServiceTransformersPerDistribution: 3, DistributionPerSubstation: 2}

func TestDetectOutagesFindsInjected(t *testing.T) {
	g0, _ := simulator.New(&simulator.Options{Meters: 60, Days: 2, Seed: 9})
	topo0, _ := g0.Topology(smallGrid)
	st2 := topo0.ServiceTransformers[2].ID
	dt1 := topo0.DistributionTransformers[1].ID
	lone := topo0.SmartMeters[45].ID // under ST 7, DT 2
	outages := []simulator.Outage{
		{ID: st2, Start: at(10, 0), End: at(12, 30), Mode: simulator.OutageSilent},
		{ID: dt1, Start: at(27, 0), End: at(28, 15), Mode: simulator.OutageZeroVoltage},
		{ID: lone, Start: at(20, 0), End: at(20, 45), Mode: simulator.OutageSilent},
	}
	w := newWorld(t, simulator.Options{Meters: 60, Days: 2, Seed: 9, LateFraction: 0.01, LateOffset: 2 * time.Hour,
		DuplicateFraction: 0.01}, smallGrid, outages)
	got, err := grid.DetectOutages(context.Background(), w.lake, w.topo, day0, day0.Add(48*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	sorted := func(ids []string) []string { return slices.Sorted(slices.Values(ids)) }
	want := []grid.OutageEvent{
		{Level: topology.LevelServiceTransformer, ID: st2, Start: at(10, 0), End: at(12, 30), Kind: grid.OutageSilent,
			MeterIDs: sorted(w.og.Meters(0))},
		{Level: topology.LevelMeter, ID: lone, Start: at(20, 0), End: at(20, 45), Kind: grid.OutageSilent, MeterIDs: []string{lone}},
		{Level: topology.LevelDistributionTransformer, ID: dt1, Start: at(27, 0), End: at(28, 15), Kind: grid.OutageZeroVoltage,
			MeterIDs: sorted(w.og.Meters(1))},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(grid.OutageEvent{}, "Latitude", "Longitude")); diff != "" {
		t.Errorf("outages (-want +got):\n%s", diff)
	}
	for _, e := range got {
		if e.Level != topology.LevelMeter && (e.Latitude == nil || e.Longitude == nil) {
			t.Errorf("%s %s has no location", e.Level, e.ID)
		}
	}
	if len(w.og.Meters(1)) != 18 {
		t.Errorf("DT outage affects %d meters, want 18", len(w.og.Meters(1)))
	}
}

func TestDetectOutagesGrouping(t *testing.T) {
	g0, _ := simulator.New(&simulator.Options{Meters: 60, Days: 1, Seed: 2})
	topo0, _ := g0.Topology(smallGrid)
	st := topo0.ServiceTransformers[4]
	meters := topo0.MetersUnder(topology.LevelServiceTransformer, st.ID)
	sub := topo0.Substations[0].ID
	tests := []struct {
		name    string
		outages []simulator.Outage
		want    []struct {
			level topology.Level
			id    string
		}
	}{
		{"5 of 6 meters is the transformer", func() []simulator.Outage {
			var o []simulator.Outage
			for _, m := range meters[:5] {
				o = append(o, simulator.Outage{ID: m, Start: at(5, 0), End: at(6, 0)})
			}
			return o
		}(), []struct {
			level topology.Level
			id    string
		}{{topology.LevelServiceTransformer, st.ID}}},
		{"2 of 6 meters are meters", []simulator.Outage{
			{ID: meters[0], Start: at(5, 0), End: at(6, 0)}, {ID: meters[3], Start: at(5, 0), End: at(6, 0)},
		}, []struct {
			level topology.Level
			id    string
		}{{topology.LevelMeter, meters[0]}, {topology.LevelMeter, meters[3]}}},
		{"a substation", []simulator.Outage{{ID: sub, Level: topology.LevelSubstation, Start: at(5, 0), End: at(6, 0)}},
			[]struct {
				level topology.Level
				id    string
			}{{topology.LevelSubstation, sub}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, simulator.Options{Meters: 60, Days: 1, Seed: 2}, smallGrid, tc.outages)
			got, err := grid.DetectOutages(context.Background(), w.lake, w.topo, day0, day0.Add(24*time.Hour), nil)
			if err != nil {
				t.Fatal(err)
			}
			type li = struct {
				level topology.Level
				id    string
			}
			var ids []li
			for _, e := range got {
				ids = append(ids, li{e.Level, e.ID})
				if !e.Start.Equal(at(5, 0)) || !e.End.Equal(at(6, 0)) {
					t.Errorf("%s %s: %v-%v, want 05:00-06:00", e.Level, e.ID, e.Start, e.End)
				}
			}
			slices.SortFunc(ids, func(a, b li) int { return strings.Compare(a.id, b.id) })
			want := slices.Clone(tc.want)
			slices.SortFunc(want, func(a, b li) int { return strings.Compare(a.id, b.id) })
			if diff := cmp.Diff(want, ids, cmp.AllowUnexported(li{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDetectOutagesIgnoresDataHorizon(t *testing.T) {
	w := newWorld(t, simulator.Options{Meters: 12, Days: 1, Seed: 1}, nil, nil)
	// A window reaching far past the data: no outage is invented.
	got, err := grid.DetectOutages(context.Background(), w.lake, w.topo, day0.Add(-24*time.Hour), day0.Add(72*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("outages in clean data: %+v", got)
	}
	if _, err := grid.DetectOutages(context.Background(), w.lake, w.topo, day0, day0, nil); !errors.Is(err, grid.ErrBadRequest) {
		t.Errorf("empty window: %v, want ErrBadRequest", err)
	}
}

// truthByNode is the independent computation of a roll-up from the
// simulator's truth: for every node and hour, kWh, coincident peak kW,
// meters and reads.
func truthByNode(t *testing.T, w *world, level topology.Level, typ meter.Type, from, to time.Time) map[string]grid.Load {
	t.Helper()
	reads, err := w.og.Truth()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]grid.Load{}
	inst := map[string]float64{}
	meters := map[string]map[string]bool{}
	for _, r := range reads {
		if r.Type != typ {
			continue
		}
		// The 15-minute interval ending at r.Time: the hour of r.Time-1ms.
		hour := r.Time.Add(-time.Millisecond).Truncate(time.Hour)
		if hour.Before(from) || !hour.Before(to) {
			continue
		}
		p, _ := w.topo.Path(r.MeterID)
		id := p.At(level)
		k := id + "|" + hour.Format(time.RFC3339)
		l := out[k]
		l.Level, l.ID, l.Hour = level, id, hour
		l.KWh += r.Value / 4
		l.AvgKW = l.KWh
		l.Reads++
		if meters[k] == nil {
			meters[k] = map[string]bool{}
		}
		meters[k][r.MeterID] = true
		l.Meters = len(meters[k])
		ik := id + "|" + r.Time.String()
		inst[ik] += r.Value
		l.MaxKW = math.Max(l.MaxKW, inst[ik])
		out[k] = l
	}
	return out
}

func TestRollupEqualsSumOfMeters(t *testing.T) {
	g0, _ := simulator.New(&simulator.Options{Meters: 60, Days: 1, Seed: 4})
	topo0, _ := g0.Topology(smallGrid)
	outages := []simulator.Outage{{ID: topo0.ServiceTransformers[1].ID, Start: at(3, 0), End: at(5, 0)}}
	w := newWorld(t, simulator.Options{Meters: 60, Days: 1, Seed: 4, DuplicateFraction: 0.02}, smallGrid, outages)
	from, to := day0, day0.Add(24*time.Hour)
	for _, level := range []topology.Level{topology.LevelMeter, topology.LevelServiceTransformer,
		topology.LevelDistributionTransformer, topology.LevelSubstation} {
		t.Run(string(level), func(t *testing.T) {
			got, err := grid.Rollup(context.Background(), w.lake, w.topo, level, from, to, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := truthByNode(t, w, level, meter.TypeKW, from, to)
			gotMap := map[string]grid.Load{}
			for _, l := range got {
				gotMap[l.ID+"|"+l.Hour.Format(time.RFC3339)] = l
			}
			if diff := cmp.Diff(want, gotMap, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("roll-up differs from the truth (-want +got):\n%s", diff)
			}
			// 24 hours per node (the read at 00:00 closes the previous
			// hour, the read at 00:15 opens hour 0, the last hour has three
			// reads), less the hour 03:00 of the silent transformer, whose
			// reads 03:15 to 04:00 are all missing.
			missing := map[topology.Level]int{topology.LevelMeter: 6, topology.LevelServiceTransformer: 1}[level]
			if nodes := len(w.topo.IDs(level)); len(got) != nodes*24-missing {
				t.Errorf("%d rows, want %d", len(got), nodes*24-missing)
			}
		})
	}
	// The levels agree with each other: total energy is the same.
	var totals []float64
	for _, level := range []topology.Level{topology.LevelMeter, topology.LevelServiceTransformer, topology.LevelSubstation} {
		rows, _ := grid.Rollup(context.Background(), w.lake, w.topo, level, from, to, nil)
		s := 0.0
		for _, r := range rows {
			s += r.KWh
		}
		totals = append(totals, s)
	}
	if math.Abs(totals[0]-totals[1]) > 1e-6 || math.Abs(totals[0]-totals[2]) > 1e-6 {
		t.Errorf("totals differ by level: %v", totals)
	}
}

func TestTransformerLoading(t *testing.T) {
	topts := *smallGrid
	topts.ServiceTransformerKVA = 8 // small enough for evening peaks to overload
	w := newWorld(t, simulator.Options{Meters: 60, Days: 1, Seed: 5}, &topts, nil)
	from, to := day0, day0.Add(24*time.Hour)
	got, err := grid.TransformerLoading(context.Background(), w.lake, w.topo, topology.LevelServiceTransformer, from, to,
		&grid.LoadingOptions{Threshold: 0.9, OnlyOverloaded: true})
	if err != nil {
		t.Fatal(err)
	}
	want := truthByNode(t, w, topology.LevelServiceTransformer, meter.TypeKVA, from, to)
	var wantKeys []string
	for k, l := range want {
		if l.MaxKW/8 > 0.9 {
			wantKeys = append(wantKeys, k)
		}
	}
	var gotKeys []string
	for _, l := range got {
		gotKeys = append(gotKeys, l.ID+"|"+l.Hour.Format(time.RFC3339))
		if !l.Overloaded || l.CapacityKVA != 8 || math.Abs(l.Utilization-l.PeakKVA/8) > 1e-12 {
			t.Errorf("bad row %+v", l)
		}
		if wl := want[l.ID+"|"+l.Hour.Format(time.RFC3339)]; math.Abs(wl.MaxKW-l.PeakKVA) > 1e-9 {
			t.Errorf("%s %v: peak %v kVA, truth %v", l.ID, l.Hour, l.PeakKVA, wl.MaxKW)
		}
	}
	if len(wantKeys) == 0 {
		t.Fatal("the test's grid has no overload")
	}
	slices.Sort(wantKeys)
	slices.Sort(gotKeys)
	if diff := cmp.Diff(wantKeys, gotKeys); diff != "" {
		t.Errorf("overloads (-want +got):\n%s", diff)
	}
	if _, err := grid.TransformerLoading(context.Background(), w.lake, w.topo, topology.LevelSubstation, from, to, nil); !errors.Is(err, grid.ErrBadRequest) {
		t.Errorf("substation loading: %v, want ErrBadRequest", err)
	}
}

func TestCVRHandComputed(t *testing.T) {
	// V = 216 V against the 220 V set point:
	//   pct_volt_red   = (220-216)*100/(220*12)     = 0.1515151515...
	//   pct_energy     = 0.1515.. * 0.8             = 0.1212121212...
	//   actual         = 0.1212.. * 1 / 1200        = 0.0001010101...
	//   cost_avoided   = 0.11 * actual * 1000 / 12  = 0.0009259259...
	//   cust_savings   = 11 * actual * 1000/(12*1000) = 0.0000925925...
	//   carbon_lbs     = 900 * actual / 12          = 0.0075757575...
	tests := []struct {
		name string
		v    float64
		opts *grid.VoltVarOptions
		want grid.CVRSavings
	}{
		{"guidance constants", 216, nil, grid.CVRSavings{MeanVoltage: 216, PctVoltageReduction: 0.151515152, PctEnergySavings: 0.121212121,
			ActualEnergySavings: 0.000101010, CostAvoided: 0.000925926, CustDollarSavings: 0.000092593, CarbonReductionLbs: 0.007575758}},
		{"at the set point", 220, nil, grid.CVRSavings{MeanVoltage: 220}},
		// 230 V nominal, 2 MW, 500 customers, no rounding:
		// pct = (230-225)*100/(230*12) = 500/2760; energy = pct*0.7; actual = energy*2/1200.
		{"options", 225, &grid.VoltVarOptions{SetPointV: 230, CVRFactor: 0.7, MWLevel: 2, Customers: 500, Decimals: -1},
			func() grid.CVRSavings {
				pct := 500.0 / 2760
				e := pct * 0.7
				a := e * 2 / 1200
				return grid.CVRSavings{MeanVoltage: 225, PctVoltageReduction: pct, PctEnergySavings: e, ActualEnergySavings: a,
					CostAvoided: 0.11 * a * 1000 / 12, CustDollarSavings: 11 * a * 1000 / (12 * 500), CarbonReductionLbs: 900 * a / 12}
			}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := grid.CVR(tc.v, tc.opts)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateApprox(0, 1e-15)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// handTopology is a distribution transformer with two service transformers
// of two meters each.
func handTopology() *topology.Topology {
	return (&topology.Topology{
		Substations:              []topology.Substation{{ID: "sub"}},
		DistributionTransformers: []topology.DistributionTransformer{{ID: "dt", SubstationID: "sub", Capacity: "1MVA"}},
		ServiceTransformers: []topology.ServiceTransformer{
			{ID: "st1", DistributionTransformerID: "dt", Capacity: "100kva"},
			{ID: "st2", DistributionTransformerID: "dt", Capacity: "100kva"}},
		SmartMeters: []topology.SmartMeter{{ID: "m1", ServiceTransformerID: "st1"}, {ID: "m2", ServiceTransformerID: "st1"},
			{ID: "m3", ServiceTransformerID: "st2"}, {ID: "m4", ServiceTransformerID: "st2"}},
	}).Normalize()
}

func writeReads(t *testing.T, lake *blob.Bucket, reads []meter.Reading) {
	t.Helper()
	w := partition.NewWriter(lake, "test", nil)
	if _, err := w.Write(reads); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestVoltVarFromLake(t *testing.T) {
	ctx := context.Background()
	lake, _ := blob.OpenBucket(ctx, "mem://")
	defer lake.Close()
	ref := at(12, 0)
	v := func(id string, tm time.Time, volts float64) meter.Reading {
		return meter.Reading{MeterID: id, Type: meter.TypeVoltage, Time: tm, Value: volts, Source: "B"}
	}
	writeReads(t, lake, []meter.Reading{
		v("m1", at(11, 15), 214), v("m1", at(12, 0), 218), // in (11:00, 12:00]
		v("m2", at(11, 30), 216), v("m3", at(11, 45), 0), // a dead read: left out
		v("m4", at(11, 0), 100), v("m4", at(12, 15), 100), // outside the window
		v("other", at(11, 30), 100), // not under the transformer
	})
	got, err := grid.VoltVar(ctx, lake, handTopology(), topology.LevelDistributionTransformer, "dt", ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := grid.VoltVarResult{Level: topology.LevelDistributionTransformer, TransformerID: "dt", From: at(11, 0), To: ref,
		Meters: 2, Reads: 3, CVRSavings: grid.CVR(216, nil)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := grid.VoltVar(ctx, lake, handTopology(), topology.LevelDistributionTransformer, "nope", ref, nil); !errors.Is(err, grid.ErrNotFound) {
		t.Errorf("unknown transformer: %v", err)
	}
	if _, err := grid.VoltVar(ctx, lake, handTopology(), topology.LevelDistributionTransformer, "dt", at(20, 0), nil); !errors.Is(err, grid.ErrNoReads) {
		t.Errorf("no reads: %v", err)
	}
}
