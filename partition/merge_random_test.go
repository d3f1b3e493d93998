package partition

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
	"gocloud.dev/blob/memblob"
)

// TestMergeRandom: random multi-file partitions (3-4 files, overlapping keys, random
// arrivals, small row groups): every scan equals Dedup of the file reads,
// filtered.
func TestMergeRandom(t *testing.T) {
	ctx := context.Background()
	hour := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	k := Key{meter.TypeKW, hour}
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 7))
		b := memblob.OpenBucket(nil)
		var all []meter.Reading
		nf := 3 + rng.IntN(2)
		for f := range nf {
			var rs []meter.Reading
			seen := map[string]bool{}
			for range 200 + rng.IntN(300) {
				m := fmt.Sprintf("m%03d", rng.IntN(60))
				tm := hour.Add(time.Duration(rng.IntN(60)) * time.Minute)
				if seen[m+tm.String()] && rng.IntN(2) == 0 {
					continue
				}
				seen[m+tm.String()] = true
				rs = append(rs, meter.Reading{MeterID: m, Type: meter.TypeKW, Value: float64(rng.IntN(5)), Time: tm, Source: "B",
					Arrival: hour.Add(time.Duration(rng.IntN(3)) * time.Hour), Quality: meter.QualityActual})
			}
			all = append(all, rs...)
			if _, err := WriteFile(ctx, b, k, fmt.Sprintf("f%d", f), rs, &WriterOptions{RowGroupRows: 64}); err != nil {
				t.Fatal(err)
			}
		}
		want := Dedup(slices.Clone(all))
		filters := []Filter{{}, {ValuesOnly: true},
			{MeterIDs: []string{"m005", "m030", "m059"}}, {MeterIDs: []string{"m005", "m030"}, ValuesOnly: true},
			{From: hour.Add(10 * time.Minute), To: hour.Add(20 * time.Minute)},
			{From: hour.Add(10 * time.Minute), To: hour.Add(20 * time.Minute), MeterIDs: []string{"m010", "m011"}, ValuesOnly: true}}
		for fi, f := range filters {
			f.Cache = NewFileCache(0)
			got, st, err := ReadAll(ctx, b, &f)
			if err != nil {
				t.Fatal(err)
			}
			var exp []meter.Reading
			for _, r := range want {
				if f.MeterIDs != nil && !slices.Contains(f.MeterIDs, r.MeterID) {
					continue
				}
				if !f.From.IsZero() && (r.Time.Before(f.From) || !r.Time.Before(f.To)) {
					continue
				}
				if f.ValuesOnly {
					r.Source, r.Arrival, r.Quality = "", time.Time{}, 0
				}
				exp = append(exp, r)
			}
			if st.Reads != int64(len(got)) {
				t.Errorf("seed %d filter %d: stats reads %d, got %d", seed, fi, st.Reads, len(got))
			}
			if len(got) != len(exp) {
				t.Errorf("seed %d filter %d: %d reads, want %d", seed, fi, len(got), len(exp))
				continue
			}
			for i := range got {
				g, e := got[i], exp[i]
				if g.MeterID != e.MeterID || !g.Time.Equal(e.Time) || g.Value != e.Value || !g.Arrival.Equal(e.Arrival) || g.Source != e.Source || g.Quality != e.Quality {
					t.Errorf("seed %d filter %d: read %d = %+v, want %+v", seed, fi, i, g, e)
					break
				}
			}
		}
		b.Close()
	}
}
