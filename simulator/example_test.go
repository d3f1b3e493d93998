package simulator_test

import (
	"bufio"
	"bytes"
	"fmt"
	"log"

	"github.com/openmda/mda/simulator"
)

func ExampleMeterID() {
	fmt.Println(simulator.MeterID(1))
	fmt.Println(simulator.MeterID(2))
	// Output:
	// 503d4c60-3ff0-3d2b-9ea0-6fb5b0078031
	// 81cac15d-01d5-3d51-8bde-0f7a383585ae
}

func ExampleGenerator_WriteCSV() {
	g, err := simulator.New(&simulator.Options{Meters: 2, Days: 1, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	st, err := g.WriteCSV(&buf)
	if err != nil {
		log.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	for i := 0; i < 3 && sc.Scan(); i++ {
		fmt.Println(sc.Text())
	}
	fmt.Println(st.Lines, "lines,", st.Reads, "reads")
	// Output:
	// time,arrival_time,device_id,measure_name,load,crrnt,pf,kva,kw,vltg
	// 2024-03-01 00:15:00.000000,2024-03-01 00:17:40.211000,503d4c60-3ff0-3d2b-9ea0-6fb5b0078031,readings,9,2.662,0.95,0.606,0.576,0.22767
	// 2024-03-01 00:15:00.000000,2024-03-01 00:15:41.023000,81cac15d-01d5-3d51-8bde-0f7a383585ae,readings,8,1.214,0.876,0.276,0.242,0.22735
	// 192 lines, 1152 reads
}
