package simulator_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/openmda/mda/simulator"
)

// Serve the guidance's head-end API over a generator, with a clock.
func ExampleNewHES() {
	g, err := simulator.New(&simulator.Options{Meters: 3, Days: 1})
	if err != nil {
		log.Fatal(err)
	}
	now := g.Options().Start.Add(time.Hour) // only reads that arrived by then exist
	srv := httptest.NewServer(simulator.NewHES(g, &simulator.HESOptions{Now: func() time.Time { return now }}))
	defer srv.Close()

	q := url.Values{"start_date": {"2024-03-01 00:30:00"}, "page_size": {"2"}}
	resp, err := srv.Client().Get(srv.URL + "/readings?" + q.Encode())
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var r simulator.HESReadings
	json.NewDecoder(resp.Body).Decode(&r)
	fmt.Println("records:", r.Results.RecordsTotal, "next offset:", r.Results.LastOffset)
	for _, rec := range r.Records {
		fmt.Println(rec.Offset, rec.Time, rec.DeviceID)
	}
	// Output:
	// records: 6 next offset: 2
	// 1 2024-03-01 00:30:00.000000 503d4c60-3ff0-3d2b-9ea0-6fb5b0078031
	// 2 2024-03-01 00:30:00.000000 ce09d866-a134-35a8-88b8-e4f08b21af3a
}
