package query_test

import (
	"context"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/query"
)

func constantLake(t *testing.T, id string, from, to time.Time, step time.Duration, val func(time.Time) float64, typ meter.Type) *blob.Bucket {
	t.Helper()
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	var rs []meter.Reading
	for tm := from.Add(step); !tm.After(to); tm = tm.Add(step) {
		rs = append(rs, meter.Reading{MeterID: id, Type: typ, Value: val(tm), Time: tm})
	}
	w := partition.NewWriter(b, "t", nil)
	w.Write(rs)
	if _, err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return b
}

// Santiago: 2024-09-08 00:00 -04 jumps to 01:00 -03 (04:00Z). Local Sep 7
// is [04:00Z Sep 7, 04:00Z Sep 8): 24 h; Sep 8 is [04:00Z Sep 8, 03:00Z Sep 9): 23 h.

// Santiago: 2024-09-08 00:00 -04 jumps to 01:00 -03 (04:00Z). Local Sep 7
// is [04:00Z Sep 7, 04:00Z Sep 8): 24 h; Sep 8 is [04:00Z Sep 8, 03:00Z Sep 9): 23 h.
func TestDayBucketsSkippedMidnight(t *testing.T) {
	loc, _ := time.LoadLocation("America/Santiago")
	one := func(time.Time) float64 { return 1 }
	b := constantLake(t, "m", time.Date(2024, 9, 5, 0, 0, 0, 0, time.UTC), time.Date(2024, 9, 12, 0, 0, 0, 0, time.UTC), 15*time.Minute, one, meter.TypeKW)
	from := time.Date(2024, 9, 7, 4, 0, 0, 0, time.UTC)
	to := time.Date(2024, 9, 9, 3, 0, 0, 0, time.UTC)
	got, _, err := query.New(b, &query.Options{Location: loc}).Energy(context.Background(), query.Filter{From: from, To: to}, query.Day)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		t.Logf("%v .. %v  %.2f kWh  %d reads", e.Start, e.End, e.KWh, e.Reads)
	}
	want := []struct {
		s, e time.Time
		kwh  float64
	}{{from, time.Date(2024, 9, 8, 4, 0, 0, 0, time.UTC), 24}, {time.Date(2024, 9, 8, 4, 0, 0, 0, time.UTC), to, 23}}
	if len(got) != 2 {
		t.Fatalf("got %d rows", len(got))
	}
	for i, w := range want {
		if !got[i].Start.Equal(w.s) || !got[i].End.Equal(w.e) || got[i].KWh != w.kwh {
			t.Errorf("row %d: %v..%v %v kWh; want %v..%v %v", i, got[i].Start.UTC(), got[i].End.UTC(), got[i].KWh, w.s, w.e, w.kwh)
		}
	}
}

// A meter reprogrammed from 30-minute to 15-minute reads: 1 kW all along,
