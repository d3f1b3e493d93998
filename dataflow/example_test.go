package dataflow_test

import (
	"context"
	"fmt"
	"log"
	"testing/fstest"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/grid/topology"
)

func ExampleRun() {
	ctx := context.Background()
	lake, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer lake.Close()
	// Meteostat's hourly CSV, as the guidance's loader stages it.
	src := fstest.MapFS{"weather/weather_data_20220101_20220102.csv": {Data: []byte(
		"time,temp,dwpt,rhum,prcp,snow,wdir,wspd,wpgt,pres,tsun,coco\n" +
			"2022-01-01 23:00:00,4.4,2.2,86.0,0.0,,170.0,11.2,,1015.1,,3.0\n" +
			"2022-01-02 00:00:00,4.0,2.1,88.0,0.3,,180.0,9.4,,1014.8,,7.0\n")}}
	flow := dataflow.NewWeatherFlow(&dataflow.WeatherOptions{Station: "72793"})
	err = dataflow.Run(ctx, flow, src, lake, &dataflow.RunOptions{
		Register: func(_ context.Context, w dataflow.Written) error {
			fmt.Println("register", w.Table, w.Partitions)
			return nil
		}})
	if err != nil {
		log.Fatal(err)
	}
	rows, err := dataflow.ReadWeather(ctx, lake, time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2022, 1, 3, 0, 0, 0, 0, time.UTC))
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rows {
		fmt.Println(r.Time.Format(time.RFC3339), r.Station, r.Temperature, r.Precipitation, r.SnowDepth)
	}
	// Output:
	// register weather [date=2022-01-01/ date=2022-01-02/]
	// 2022-01-01T23:00:00Z 72793 4.4 0 NaN
	// 2022-01-02T00:00:00Z 72793 4 0.3 NaN
}

func ExampleTopologyFlow() {
	ctx := context.Background()
	lake, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer lake.Close()
	src := fstest.MapFS{
		"substation.json":               {Data: []byte(`[{"id":"0D48","name":"Evergreen","status":"active","gridId":"","locationId":""}]`)},
		"distribution_transformer.json": {Data: []byte(`[{"id":"0D48","substationId":"0D48","status":"active","capacity":"40MVA","locationId":"","voltageControlZoneId":""}]`)},
		"service_transformer.json":      {Data: []byte(`[{"id":"st1","distributionTransformerId":"0D48","locationId":"","capacity":"100kva"}]`)},
		"smart_meter.json":              {Data: []byte(`[{"id":"m1","locationId":"","serviceTransformerId":"st1"},{"id":"m2","locationId":"","serviceTransformerId":"st9"}]`)},
	}
	flow := dataflow.NewTopologyFlow(&dataflow.TopologyOptions{SkipReadsCheck: true})
	if err := dataflow.Run(ctx, flow, src, lake, nil); err != nil {
		log.Fatal(err)
	}
	for _, issue := range flow.Report().Issues {
		fmt.Println(issue)
	}
	topo, err := topology.ReadLake(ctx, lake)
	if err != nil {
		log.Fatal(err)
	}
	kva, _ := topo.CapacityKVA(topology.LevelDistributionTransformer, "0D48")
	fmt.Println(len(topo.SmartMeters), "meters; DT capacity", kva, "kVA")
	// Output:
	// distribution_transformer 0D48: id also in substation
	// smart_meter m2: service_transformer "st9" does not exist
	// 2 meters; DT capacity 40000 kVA
}
