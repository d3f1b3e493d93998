package catalog_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/catalog/localcat"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
)

func writeHours(t *testing.T, b *blob.Bucket, typ meter.Type, start time.Time, n int) []partition.Key {
	t.Helper()
	var keys []partition.Key
	for i := range n {
		at := start.Add(time.Duration(i) * time.Hour)
		r := meter.Reading{MeterID: "m1", Type: typ, Value: 1, Time: at, Source: "B", Arrival: at}
		k := partition.KeyOf(r)
		if _, err := partition.WriteFile(t.Context(), b, k, "part-0", []meter.Reading{r}, nil); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

func TestSyncReadings(t *testing.T) {
	ctx := t.Context()
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	// The catalog lives in the lake's bucket, under _catalog/, which
	// partition.Partitions (like Athena) does not see.
	cat, err := localcat.Open(lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	const db, loc = "mda_test", "s3://lake/"
	start := time.Date(2024, 3, 1, 22, 0, 0, 0, time.UTC)
	kw := writeHours(t, lake, meter.TypeKW, start, 4)
	kwh := writeHours(t, lake, meter.TypeKWh, start, 2)

	listKeys := func() []partition.Key {
		ps, err := cat.ListPartitions(ctx, db, catalog.ReadingsTableName, nil)
		if err != nil {
			t.Fatal(err)
		}
		var keys []partition.Key
		for _, p := range ps {
			k, err := catalog.ReadingsKey(p.Values)
			if err != nil {
				t.Fatal(err)
			}
			if want := loc + k.Path(); p.Location != want {
				t.Errorf("location %q, want %q", p.Location, want)
			}
			keys = append(keys, k)
		}
		return keys
	}

	steps := []struct {
		name        string
		setup       func()
		opts        *catalog.SyncOptions
		added, drop int
		want        []partition.Key
	}{
		{name: "dry run", opts: &catalog.SyncOptions{DryRun: true}, added: 6},
		{name: "first", added: 6, want: append(append([]partition.Key{}, kw...), kwh...)},
		{name: "again", added: 0, want: append(append([]partition.Key{}, kw...), kwh...)},
		{name: "new hour, kwh only", setup: func() { writeHours(t, lake, meter.TypeKWh, start.Add(2*time.Hour), 1) },
			opts: &catalog.SyncOptions{Filter: &partition.Filter{Types: []meter.Type{meter.TypeKWh}}}, added: 1,
			want: append(append([]partition.Key{}, kw...), append(kwh, partition.Key{Type: meter.TypeKWh, Hour: start.Add(2 * time.Hour)})...)},
		{name: "deleted files kept without Drop", setup: func() {
			for _, k := range kw[:2] {
				if err := lake.Delete(ctx, k.Path()+"part-0.parquet"); err != nil {
					t.Fatal(err)
				}
			}
		}, want: append(append([]partition.Key{}, kw...), append(kwh, partition.Key{Type: meter.TypeKWh, Hour: start.Add(2 * time.Hour)})...)},
		{name: "drop, limited to a time range", opts: &catalog.SyncOptions{Drop: true, Filter: &partition.Filter{From: start, To: start.Add(time.Hour)}},
			drop: 1, want: append(append([]partition.Key{}, kw[1:]...), append(kwh, partition.Key{Type: meter.TypeKWh, Hour: start.Add(2 * time.Hour)})...)},
		{name: "drop all", opts: &catalog.SyncOptions{Drop: true},
			drop: 1, want: append(append([]partition.Key{}, kw[2:]...), append(kwh, partition.Key{Type: meter.TypeKWh, Hour: start.Add(2 * time.Hour)})...)},
	}
	for _, s := range steps {
		if s.setup != nil {
			s.setup()
		}
		st, err := catalog.SyncReadings(ctx, cat, lake, db, loc, s.opts)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if len(st.Added) != s.added || len(st.Dropped) != s.drop {
			t.Errorf("%s: added %v, dropped %v; want %d and %d", s.name, st.Added, st.Dropped, s.added, s.drop)
		}
		if s.opts != nil && s.opts.DryRun {
			if _, err := cat.GetTable(ctx, db, catalog.ReadingsTableName); !errors.Is(err, catalog.ErrNotFound) {
				t.Errorf("dry run created the table: %v", err)
			}
			continue
		}
		got := listKeys()
		sortKeys(s.want)
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("%s: catalog (-want +got):\n%s", s.name, diff)
		}
	}
}

func sortKeys(keys []partition.Key) {
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j].Compare(keys[j-1]) < 0; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}

func TestReadingsFilter(t *testing.T) {
	h := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return v
	}
	keys := []string{"year", "month", "day", "hour"}
	tests := []struct {
		name string
		f    *partition.Filter
		want *catalog.Filter
	}{
		{"nil", nil, nil},
		{"meters only", &partition.Filter{MeterIDs: []string{"m"}}, nil},
		{"types", &partition.Filter{Types: []meter.Type{"kw", "pf"}}, &catalog.Filter{Values: map[string][]string{"reading_type": {"kw", "pf"}}}},
		{"from mid-hour", &partition.Filter{From: h("2024-03-01T10:30:00Z")},
			&catalog.Filter{Range: &catalog.Range{Keys: keys, From: []string{"2024", "03", "01", "10"}}}},
		{"to on the hour", &partition.Filter{To: h("2024-03-01T10:00:00Z")},
			&catalog.Filter{Range: &catalog.Range{Keys: keys, To: []string{"2024", "03", "01", "10"}}}},
		{"to mid-hour, across a year", &partition.Filter{To: h("2024-12-31T23:00:01Z")},
			&catalog.Filter{Range: &catalog.Range{Keys: keys, To: []string{"2025", "01", "01", "00"}}}},
		{"other zone", &partition.Filter{From: h("2024-03-01T01:00:00+02:00")},
			&catalog.Filter{Range: &catalog.Range{Keys: keys, From: []string{"2024", "02", "29", "23"}}}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, catalog.ReadingsFilter(tc.f)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestReadingsKey(t *testing.T) {
	k := partition.Key{Type: meter.TypeKW, Hour: time.Date(2024, 2, 29, 7, 0, 0, 0, time.UTC)}
	v := catalog.ReadingsValues(k)
	if diff := cmp.Diff([]string{"kw", "2024", "02", "29", "07"}, v); diff != "" {
		t.Errorf("ReadingsValues (-want +got):\n%s", diff)
	}
	back, err := catalog.ReadingsKey(v)
	if err != nil || back != k {
		t.Errorf("ReadingsKey(%v) = %v, %v", v, back, err)
	}
	for _, bad := range [][]string{{"kw", "2023", "02", "29", "07"}, {"kw", "2024", "2", "01", "07"}, {"KW", "2024", "02", "01", "07"}, {"kw"}} {
		if _, err := catalog.ReadingsKey(bad); err == nil {
			t.Errorf("ReadingsKey(%v): no error", bad)
		}
	}
}

func TestErrors(t *testing.T) {
	err := error(&catalog.Error{Code: catalog.NotFound, Op: "GetTable", Target: "db.t", Err: fmt.Errorf("boom")})
	wrapped := fmt.Errorf("sync: %w", err)
	tests := []struct {
		target error
		want   bool
	}{
		{catalog.ErrNotFound, true},
		{catalog.ErrAlreadyExists, false},
		{catalog.ErrInvalidArgument, false},
	}
	for _, tc := range tests {
		if got := errors.Is(wrapped, tc.target); got != tc.want {
			t.Errorf("errors.Is(%v, %v) = %v", wrapped, tc.target, got)
		}
	}
	if catalog.Code(wrapped) != catalog.NotFound || catalog.Code(errors.New("x")) != catalog.Unknown {
		t.Error("Code")
	}
	if got, want := err.Error(), "catalog: GetTable db.t: boom"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
