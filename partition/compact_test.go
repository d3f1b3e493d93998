package partition_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

func TestCompactDedup(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	h := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	k := partition.Key{Type: meter.TypeKW, Hour: h}
	rd := func(m string, min int, v float64, arrMin int) meter.Reading {
		return meter.Reading{MeterID: m, Type: meter.TypeKW, Value: v, Time: h.Add(time.Duration(min) * time.Minute),
			Source: "B", Arrival: h.Add(time.Duration(arrMin) * time.Minute), Quality: meter.QualityActual}
	}
	// The lake already holds a file; two staging files bring a duplicate,
	// a correction (later arrival) and new reads.
	if _, err := partition.WriteFile(ctx, b, k, "old-1", []meter.Reading{rd("a", 15, 1, 16), rd("b", 15, 2, 16)}, nil); err != nil {
		t.Fatal(err)
	}
	s1 := partition.Key{Type: meter.TypeKW, Hour: h}
	if _, err := partition.WriteFile(ctx, b, s1, "s1", []meter.Reading{rd("a", 15, 1, 16), rd("a", 30, 3, 31)}, nil); err != nil {
		t.Fatal(err)
	}
	stage := "staging/" + k.Path() + "s2.parquet"
	staged := []meter.Reading{rd("b", 15, 2.5, 60*24), rd("c", 45, 4, 46)}
	if _, err := partition.WriteFile(ctx, b, k, "tmp", staged, nil); err != nil {
		t.Fatal(err)
	}
	data, _ := b.ReadAll(ctx, k.Path()+"tmp.parquet")
	b.Delete(ctx, k.Path()+"tmp.parquet")
	b.WriteAll(ctx, stage, data, nil)

	crash := errors.New("crash")
	_, err := partition.Compact(ctx, b, k, []partition.Source{{Bucket: b, Key: stage}, {Bucket: b, Key: "staging/" + k.Path() + "gone.parquet"}},
		&partition.CompactOptions{AfterWrite: func(partition.FileInfo) error { return crash }})
	if !errors.Is(err, crash) {
		t.Fatalf("got %v, want the injected crash", err)
	}
	// Rerun after the crash: same result as a clean run.
	st, err := partition.Compact(ctx, b, k, []partition.Source{{Bucket: b, Key: stage}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []meter.Reading{rd("a", 15, 1, 16), rd("a", 30, 3, 31), rd("b", 15, 2.5, 60*24), rd("c", 45, 4, 46)}
	got, _, err := partition.ReadAll(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("compacted partition (-want +got):\n%s", diff)
	}
	// The rerun reads what the crashed run wrote, the two old files and the staging file.
	if st.Reads != 4 || st.Inputs != 4+2+2+2 || st.Replaced != 2 {
		t.Errorf("stats %+v", st)
	}
	// Compacting again changes nothing.
	before, _ := b.ReadAll(ctx, k.Path()+"data.parquet")
	if _, err := partition.Compact(ctx, b, k, []partition.Source{{Bucket: b, Key: stage}}, nil); err != nil {
		t.Fatal(err)
	}
	after, _ := b.ReadAll(ctx, k.Path()+"data.parquet")
	if string(before) != string(after) {
		t.Error("a second compaction changed the file")
	}
}

func TestDedupTieBreakIsOrderIndependent(t *testing.T) {
	h := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	a := meter.Reading{MeterID: "m", Type: meter.TypeKW, Value: 1, Time: h, Arrival: h}
	b := a
	b.Value = 2
	x := partition.Dedup([]meter.Reading{a, b})
	y := partition.Dedup([]meter.Reading{b, a})
	if len(x) != 1 || len(y) != 1 || x[0] != y[0] || x[0].Value != 2 {
		t.Fatalf("got %v and %v", x, y)
	}
}

func TestScanGivenKeys(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	h := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	var keys []partition.Key
	for i := range 3 {
		k := partition.Key{Type: meter.TypeKW, Hour: h.Add(time.Duration(i) * time.Hour)}
		keys = append(keys, k)
		r := meter.Reading{MeterID: "m", Type: meter.TypeKW, Value: float64(i), Time: k.Hour.Add(15 * time.Minute), Arrival: k.Hour.Add(16 * time.Minute)}
		if _, err := partition.WriteFile(ctx, b, k, "f", []meter.Reading{r}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Only the keys given are read (a catalog that does not know hour 11
	// hides it), and keys outside the time range are pruned.
	got, st, err := partition.ReadAll(ctx, b, &partition.Filter{Keys: []partition.Key{keys[0], keys[2]}, To: h.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Value != 0 || st.PartitionsPruned != 1 {
		t.Fatalf("got %v, stats %+v", got, st)
	}
}

func TestScanValuesOnly(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	h := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	k := partition.Key{Type: meter.TypeKW, Hour: h}
	r := meter.Reading{MeterID: "m", Type: meter.TypeKW, Value: 2.5, Time: h.Add(15 * time.Minute), Source: "B", Arrival: h.Add(16 * time.Minute), Quality: meter.QualityEstimated}
	if _, err := partition.WriteFile(ctx, b, k, "f", []meter.Reading{r}, nil); err != nil {
		t.Fatal(err)
	}
	got, _, err := partition.ReadAll(ctx, b, &partition.Filter{ValuesOnly: true, MeterIDs: []string{"m"}})
	if err != nil {
		t.Fatal(err)
	}
	want := meter.Reading{MeterID: "m", Type: meter.TypeKW, Value: 2.5, Time: r.Time, Arrival: time.UnixMilli(time.Time{}.UnixMilli()).UTC()}
	if len(got) != 1 || got[0].MeterID != want.MeterID || got[0].Value != want.Value || !got[0].Time.Equal(want.Time) || got[0].Source != "" || got[0].Quality != 0 {
		t.Fatalf("got %+v", got)
	}
}
