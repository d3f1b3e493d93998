package query_test

import (
	"context"
	"testing"

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
