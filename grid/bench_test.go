package grid_test

import (
	"context"
	"testing"
	"time"

	"github.com/openmda/mda/grid"
	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/simulator"
)

func benchWorld(b *testing.B) *world {
	g0, _ := simulator.New(&simulator.Options{Meters: 300, Days: 2, Seed: 1})
	topo0, _ := g0.Topology(nil)
	return newWorld(b, simulator.Options{Meters: 300, Days: 2, Seed: 1}, nil,
		[]simulator.Outage{{ID: topo0.ServiceTransformers[3].ID, Start: at(10, 0), End: at(14, 0)}})
}

func BenchmarkDetectOutages(b *testing.B) {
	w := benchWorld(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := grid.DetectOutages(ctx, w.lake, w.topo, day0, day0.Add(48*time.Hour), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDetectOutagesLookBack: a 24-hour window that starts during the
// outage (12:00), whose meters the look-back reads; with no topology, the
// look-back reads every meter.
func BenchmarkDetectOutagesLookBack(b *testing.B) {
	w := benchWorld(b)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		topo *topology.Topology
	}{{"topology", w.topo}, {"no-topology", nil}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := grid.DetectOutages(ctx, w.lake, tc.topo, at(12, 0), at(36, 0), nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRollup(b *testing.B) {
	w := benchWorld(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := grid.Rollup(ctx, w.lake, w.topo, topology.LevelServiceTransformer, day0, day0.Add(48*time.Hour), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCVR(b *testing.B) {
	for b.Loop() {
		grid.CVR(216, nil)
	}
}
