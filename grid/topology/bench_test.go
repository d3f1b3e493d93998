package topology_test

import (
	"fmt"
	"testing"

	"github.com/openmda/mda/grid/topology"
)

// bigTopology has the guidance's size: 10,000 meters, 6 per service
// transformer, 6 distribution transformers.
func bigTopology() *topology.Topology {
	t := &topology.Topology{}
	for d := range 6 {
		t.Substations = append(t.Substations, topology.Substation{ID: fmt.Sprint("S", d)})
		t.DistributionTransformers = append(t.DistributionTransformers, topology.DistributionTransformer{ID: fmt.Sprint("D", d), SubstationID: fmt.Sprint("S", d), Capacity: "40MVA"})
	}
	for m := range 10000 {
		st := fmt.Sprint("T", m/6)
		if m%6 == 0 {
			t.ServiceTransformers = append(t.ServiceTransformers, topology.ServiceTransformer{ID: st, DistributionTransformerID: fmt.Sprint("D", m/6%6), Capacity: "100kva"})
		}
		t.SmartMeters = append(t.SmartMeters, topology.SmartMeter{ID: fmt.Sprint("m", m), ServiceTransformerID: st})
	}
	return t.Normalize()
}

func BenchmarkCheck(b *testing.B) {
	for b.Loop() {
		if issues := bigTopology().Check(); len(issues) != 0 {
			b.Fatal(issues)
		}
	}
}

func BenchmarkMetersUnder(b *testing.B) {
	t := bigTopology()
	for b.Loop() {
		if n := len(t.MetersUnder(topology.LevelSubstation, "S3")); n != 278*6 {
			b.Fatal(n)
		}
	}
}
