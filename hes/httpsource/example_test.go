package httpsource_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/hes"
	"github.com/openmda/mda/hes/httpsource"
	"github.com/openmda/mda/simulator"
)

// Download a day of a simulated head-end's reads in 6-hour windows.
func Example() {
	ctx := context.Background()
	g, err := simulator.New(&simulator.Options{Meters: 2, Days: 1})
	if err != nil {
		log.Fatal(err)
	}
	start := g.Options().Start
	now := func() time.Time { return start.Add(24 * time.Hour) } // the head-end's and the client's clock
	srv := httptest.NewServer(simulator.NewHES(g, &simulator.HESOptions{Now: now}))
	defer srv.Close()

	src, err := httpsource.New(srv.URL, "hes", &httpsource.Options{Start: start, Window: 6 * time.Hour,
		Lag: time.Minute, Now: now, PollInterval: time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	inbound := memblob.OpenBucket(nil)
	defer inbound.Close()
	keys, err := hes.Fetch(ctx, src, inbound, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, k := range keys {
		fmt.Println(k)
	}
	st, _ := hes.ReadState(ctx, inbound, "hes")
	fmt.Println(string(st.Cursor))
	// Output:
	// inbound/landing/hes/20240301T000000.000Z_20240301T060000.000Z.csv.gz
	// inbound/landing/hes/20240301T060000.000Z_20240301T120000.000Z.csv.gz
	// inbound/landing/hes/20240301T120000.000Z_20240301T180000.000Z.csv.gz
	// inbound/landing/hes/20240301T180000.000Z_20240301T235900.000Z.csv.gz
	// {"watermark":"2024-03-01T23:59:00Z"}
}
