package topology_test

import (
	"fmt"
	"log"

	"github.com/openmda/mda/grid/topology"
)

func ExampleReadJSON() {
	topo, err := topology.ReadJSON(guidanceFS(), ".")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(topo.Counts()[topology.TableSmartMeter], "meters")
	for _, issue := range topo.Check() {
		fmt.Println(issue)
	}
	// Output:
	// 3 meters
	// service_transformer T2: capacity "lots" does not parse
	// distribution_transformer S1: id also in substation
	// smart_meter m2: location "L2" does not exist
	// distribution_transformer D2: substation "S9" does not exist
	// smart_meter m2: service_transformer "T9" does not exist
}

func ExampleParseCapacity() {
	for _, s := range []string{"40MVA", "100kva"} {
		kva, _ := topology.ParseCapacity(s)
		fmt.Println(s, "=", kva, "kVA")
	}
	// Output:
	// 40MVA = 40000 kVA
	// 100kva = 100 kVA
}
