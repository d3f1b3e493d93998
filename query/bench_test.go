package query_test

import (
	"context"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/query"
	"github.com/openmda/mda/query/querytest"
)

// BenchmarkEnergyOneMeterWeek: one meter's hourly energy over a week, in a
// memory lake of 200 meters (kW only).
func BenchmarkEnergyOneMeterWeek(b *testing.B) {
	ctx := context.Background()
	for _, rg := range []int{0, 8192} {
		name := "rowgroup=default"
		if rg > 0 {
			name = "rowgroup=8192"
		}
		b.Run(name, func(b *testing.B) {
			bk, _ := blob.OpenBucket(ctx, "mem://")
			defer bk.Close()
			l, err := querytest.Build(ctx, bk, &querytest.Options{Meters: 200, Days: 7, KWOnly: true, NoTables: true, RowGroupRows: rg})
			if err != nil {
				b.Fatal(err)
			}
			q := query.New(bk, nil)
			f := query.Filter{From: l.Start, To: l.End}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				f.MeterIDs = []string{l.MeterIDs[i%len(l.MeterIDs)]}
				rows, _, err := q.Energy(ctx, f, query.Hour)
				if err != nil || len(rows) != 7*24 {
					b.Fatalf("%d rows, %v", len(rows), err)
				}
			}
		})
	}
}

// BenchmarkEnergyAllMetersDay: every meter's hourly energy over one day
// of a 200-meter, 3-day memory lake (kW only): a UTC day, and the same
// length cut mid-day (as a local day of another zone is), whose two edge
// days' other hours Energy also reads to infer those days' intervals.
func BenchmarkEnergyAllMetersDay(b *testing.B) {
	ctx := context.Background()
	bk, _ := blob.OpenBucket(ctx, "mem://")
	defer bk.Close()
	l, err := querytest.Build(ctx, bk, &querytest.Options{Meters: 200, Days: 3, KWOnly: true, NoTables: true})
	if err != nil {
		b.Fatal(err)
	}
	q := query.New(bk, nil)
	for _, tc := range []struct {
		name string
		from time.Time
	}{
		{"utc-day", l.Start.Add(24 * time.Hour)},
		{"mid-day", l.Start.Add(29 * time.Hour)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f := query.Filter{From: tc.from, To: tc.from.Add(24 * time.Hour)}
			for b.Loop() {
				rows, _, err := q.Energy(ctx, f, query.Hour)
				if err != nil || len(rows) != 200*24 {
					b.Fatalf("%d rows, %v", len(rows), err)
				}
			}
		})
	}
}

// BenchmarkEnergyAllMetersOneHour: every meter's energy of one hour in the
// middle of a day of a 300-meter, 3-day memory lake (kW only), the query of
// a "last hour" dashboard: the hour's days' intervals must not cost reading
// the whole days. It reports the rows each call reads.
func BenchmarkEnergyAllMetersOneHour(b *testing.B) {
	ctx := context.Background()
	bk, _ := blob.OpenBucket(ctx, "mem://")
	defer bk.Close()
	l, err := querytest.Build(ctx, bk, &querytest.Options{Meters: 300, Days: 3, KWOnly: true, NoTables: true})
	if err != nil {
		b.Fatal(err)
	}
	q := query.New(bk, nil)
	from := l.Start.Add(36 * time.Hour)
	f := query.Filter{From: from, To: from.Add(time.Hour)}
	for b.Loop() {
		rows, st, err := q.Energy(ctx, f, query.Hour)
		if err != nil || len(rows) != 300 {
			b.Fatalf("%d rows, %v", len(rows), err)
		}
		b.ReportMetric(float64(st.Rows), "rows/op")
	}
}
