package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/api"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

func lakeOf(t *testing.T, rs []meter.Reading) *blob.Bucket {
	t.Helper()
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	w := partition.NewWriter(b, "t", nil)
	w.Write(rs)
	if _, err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return b
}

func everyStep(id string, typ meter.Type, from, to time.Time, step time.Duration, v float64) []meter.Reading {
	var rs []meter.Reading
	for tm := from.Add(step); !tm.After(to); tm = tm.Add(step) {
		rs = append(rs, meter.Reading{MeterID: id, Type: typ, Value: v, Time: tm})
	}
	return rs
}

// A day whose local midnight does not exist: 1 kW all along, so a day's kWh
// is its length in hours.
func TestConsumptionDaySkippedMidnight(t *testing.T) {
	for _, tc := range []struct {
		zone, day string
		hours     float64
	}{
		{"America/Santiago", "20240908", 23}, // 00:00 -04 -> 01:00 -03
		{"America/Santiago", "20240907", 24},
		{"Asia/Beirut", "20240331", 23}, // 00:00 +02 -> 01:00 +03
		{"Africa/Cairo", "20240426", 23},
	} {
		t.Run(tc.zone+"/"+tc.day, func(t *testing.T) {
			loc, _ := time.LoadLocation(tc.zone)
			d, _ := time.Parse("20060102", tc.day)
			b := lakeOf(t, everyStep("m", meter.TypeKW, d.AddDate(0, 0, -3), d.AddDate(0, 0, 3), 15*time.Minute, 1))
			h := api.New(b, &api.Options{Location: loc})
			w := get(h, "/consumption/m?reading_date_from="+tc.day+"&reading_date_to="+tc.day+"&period=day")
			if w.Code != http.StatusOK {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			var c api.Consumption
			json.Unmarshal(w.Body.Bytes(), &c)
			total := 0.0
			for _, e := range c.Data {
				total += float64(e.KWh)
				t.Logf("%v .. %v %v kWh", e.Start, e.End, e.KWh)
			}
			if len(c.Data) != 1 || total != tc.hours {
				t.Errorf("from %v to %v: %d rows, %v kWh; want 1 row of %v kWh", c.From, c.To, len(c.Data), total, tc.hours)
			}
		})
	}
}
