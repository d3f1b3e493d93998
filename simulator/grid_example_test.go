package simulator_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log"
	"testing"
	"time"

	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/simulator"
)

func ExampleGenerator_WriteWeatherCSV() {
	g, err := simulator.New(&simulator.Options{Meters: 1, Days: 1, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := g.WriteWeatherCSV(&buf, nil)
	if err != nil {
		log.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	for i := 0; i < 3 && sc.Scan(); i++ {
		fmt.Println(sc.Text())
	}
	fmt.Println(n, "hourly observations")
	// Output:
	// time,temp,dwpt,rhum,prcp,snow,wdir,wspd,wpgt,pres,tsun,coco
	// 2024-03-01 00:00:00,3,1.7,91,0,,247,14.4,,1003.8,,2
	// 2024-03-01 01:00:00,2.9,2.1,94,0,,250,19.7,,1003.3,,2
	// 24 hourly observations
}

func ExampleGenerator_Topology() {
	g, err := simulator.New(&simulator.Options{Meters: 100, Days: 1})
	if err != nil {
		log.Fatal(err)
	}
	topo, err := g.Topology(&simulator.TopologyOptions{ServiceTransformersPerDistribution: 5})
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range topology.TableNames {
		fmt.Println(name, topo.Counts()[name])
	}
	p, _ := topo.Path(simulator.MeterID(1))
	fmt.Println(p.ServiceTransformer == simulator.TopologyID("service_transformer", 1))
	fmt.Println(topo.ServiceTransformers[0].Capacity, topo.DistributionTransformers[0].Capacity)
	// Output:
	// power_grid 1
	// substation 4
	// distribution_transformer 4
	// service_transformer 17
	// smart_meter 100
	// location 125
	// voltage_control_zone 4
	// true
	// 100kva 40MVA
}

func ExampleWithOutages() {
	g, err := simulator.New(&simulator.Options{Meters: 12, Days: 1})
	if err != nil {
		log.Fatal(err)
	}
	topo, err := g.Topology(nil)
	if err != nil {
		log.Fatal(err)
	}
	start := simulator.DefaultStart
	og, err := simulator.WithOutages(g, topo, []simulator.Outage{{
		ID:    topo.ServiceTransformers[0].ID, // six meters
		Start: start.Add(8 * time.Hour), End: start.Add(10 * time.Hour),
		Mode: simulator.OutageSilent,
	}})
	if err != nil {
		log.Fatal(err)
	}
	full, _ := g.WriteCSV(io.Discard)
	st, err := og.WriteCSV(io.Discard)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(full.Lines-st.Lines, "lines silenced") // 6 meters x 8 reads
	// Output:
	// 48 lines silenced
}

func BenchmarkWithOutagesWriteCSV(b *testing.B) {
	g, _ := simulator.New(&simulator.Options{Meters: 200, Days: 2})
	topo, _ := g.Topology(nil)
	og, _ := simulator.WithOutages(g, topo, []simulator.Outage{{ID: topo.DistributionTransformers[0].ID,
		Start: simulator.DefaultStart.Add(time.Hour), End: simulator.DefaultStart.Add(30 * time.Hour)}})
	for b.Loop() {
		if _, err := og.WriteCSV(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTopology(b *testing.B) {
	g, _ := simulator.New(&simulator.Options{Meters: 10000, Days: 1})
	for b.Loop() {
		if _, err := g.Topology(nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteWeatherCSV(b *testing.B) {
	g, _ := simulator.New(&simulator.Options{Meters: 1, Days: 365})
	for b.Loop() {
		if _, err := g.WriteWeatherCSV(io.Discard, nil); err != nil {
			b.Fatal(err)
		}
	}
}
