package grid_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/grid"
	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

func ExampleCVR() {
	// The guidance's constants: 220 V set point, CVR factor 0.8, ...
	s := grid.CVR(216, nil)
	fmt.Printf("voltage reduction %.9f %%\n", s.PctVoltageReduction)
	fmt.Printf("energy savings    %.9f %%\n", s.PctEnergySavings)
	fmt.Printf("cost avoided      %.9f\n", s.CostAvoided)
	fmt.Printf("carbon            %.9f lbs\n", s.CarbonReductionLbs)
	// Output:
	// voltage reduction 0.151515152 %
	// energy savings    0.121212121 %
	// cost avoided      0.000925926
	// carbon            0.007575758 lbs
}

// exampleLake writes four meters' reads under two service transformers,
// every 15 minutes from 00:15 to 03:00; the two meters of st1 are silent
// from 01:00 to 01:45, and m3 reads zero voltage at 02:00.
func exampleLake(ctx context.Context) (*blob.Bucket, *topology.Topology) {
	lake, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var reads []meter.Reading
	for k := 1; k <= 12; k++ {
		tm := start.Add(time.Duration(k) * 15 * time.Minute)
		for i, id := range []string{"m1", "m2", "m3", "m4"} {
			if i < 2 && tm.Hour() == 1 {
				continue
			}
			v := 230.0
			if id == "m3" && tm.Hour() == 2 && tm.Minute() == 0 {
				v = 0
			}
			reads = append(reads,
				meter.Reading{MeterID: id, Type: meter.TypeKW, Time: tm, Value: float64(i + 1)},
				meter.Reading{MeterID: id, Type: meter.TypeVoltage, Time: tm, Value: v})
		}
	}
	w := partition.NewWriter(lake, "example", nil)
	if _, err := w.Write(reads); err != nil {
		log.Fatal(err)
	}
	if _, err := w.Close(ctx); err != nil {
		log.Fatal(err)
	}
	return lake, handTopology()
}

func ExampleDetectOutages() {
	ctx := context.Background()
	lake, topo := exampleLake(ctx)
	defer lake.Close()
	from := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	events, err := grid.DetectOutages(ctx, lake, topo, from, from.Add(3*time.Hour), nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range events {
		fmt.Println(e.Level, e.ID, e.Start.Format("15:04"), e.End.Format("15:04"), e.Kind, e.MeterIDs)
	}
	// Output:
	// service_transformer st1 01:00 02:00 silent [m1 m2]
	// meter m3 02:00 02:15 zero_voltage [m3]
}

func ExampleRollup() {
	ctx := context.Background()
	lake, topo := exampleLake(ctx)
	defer lake.Close()
	from := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	loads, err := grid.Rollup(ctx, lake, topo, topology.LevelServiceTransformer, from, from.Add(3*time.Hour), nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range loads {
		fmt.Printf("%s %s %.2f kWh, peak %.1f kW, %d meters\n", l.ID, l.Hour.Format("15:04"), l.KWh, l.MaxKW, l.Meters)
	}
	// Output:
	// st1 00:00 2.25 kWh, peak 3.0 kW, 2 meters
	// st1 01:00 0.75 kWh, peak 3.0 kW, 2 meters
	// st1 02:00 3.00 kWh, peak 3.0 kW, 2 meters
	// st2 00:00 7.00 kWh, peak 7.0 kW, 2 meters
	// st2 01:00 7.00 kWh, peak 7.0 kW, 2 meters
	// st2 02:00 7.00 kWh, peak 7.0 kW, 2 meters
}

func ExampleNewHandler() {
	ctx := context.Background()
	lake, topo := exampleLake(ctx)
	defer lake.Close()
	srv := httptest.NewServer(grid.NewHandler(lake, &grid.HandlerOptions{Topology: topo}))
	defer srv.Close()
	for _, path := range []string{"/outage?from=2024-03-01T00:00:00Z&to=2024-03-01T03:00:00Z", "/outage?from=tomorrow", "/voltvar/dt?at=2024-03-01T03:00:00Z"} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode, path)
	}
	// Output:
	// 200 /outage?from=2024-03-01T00:00:00Z&to=2024-03-01T03:00:00Z
	// 400 /outage?from=tomorrow
	// 200 /voltvar/dt?at=2024-03-01T03:00:00Z
}
