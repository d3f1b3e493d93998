package api_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"

	"github.com/openmda/mda/api"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

func ExampleNew() {
	ctx := context.Background()
	lake, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer lake.Close()
	// One meter drawing 2 kW for an hour, read every 15 minutes (interval
	// ends 10:15 to 11:00).
	w := partition.NewWriter(lake, "example", nil)
	for i := 1; i <= 4; i++ {
		w.Write([]meter.Reading{{MeterID: "m-1", Type: meter.TypeKW, Value: 2,
			Time: time.Date(2024, 3, 1, 10, 15*i, 0, 0, time.UTC)}})
	}
	if _, err := w.Close(ctx); err != nil {
		log.Fatal(err)
	}

	h := api.New(lake, nil) // mount it in any server: http.Handle("/", h)
	for _, target := range []string{
		"/consumption/m-1?reading_date_from=20240301&reading_date_to=20240301&period=day",
		"/consumption/m-1?reading_date_from=20240301",
		"/consumption/m-2?reading_date_from=20240301&reading_date_to=20240301",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		fmt.Print(rec.Code, " ", rec.Body)
	}
	// Output:
	// 200 {"meter_id":"m-1","from":"2024-03-01T00:00:00Z","to":"2024-03-02T00:00:00Z","period":"day","unit":"kWh","data":[{"start":"2024-03-01T00:00:00Z","end":"2024-03-02T00:00:00Z","kwh":2,"reads":4,"interval_seconds":900}]}
	// 400 {"error":"reading_date_to is required (yyyyMMdd)"}
	// 404 {"error":"unknown meter \"m-2\": no kW or kWh reads in the range and not among the meters reporting in the lake's latest hour"}
}

func ExampleAuthenticate() {
	h := api.Authenticate(api.New(nil, nil), []string{"s3cret"}, "/healthz")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/meters", nil))
	fmt.Print(rec.Code, " ", rec.Body)
	// Output:
	// 401 {"error":"missing API key: send \"Authorization: Bearer KEY\""}
}
