package partition

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/openmda/mda/internal/blobio"
	"github.com/openmda/mda/meter"
	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/memblob"

	gocmp "github.com/google/go-cmp/cmp"
)

func hourOf(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestKeyPath(t *testing.T) {
	for _, tc := range []struct {
		key  Key
		path string
	}{
		{Key{meter.TypeKW, hourOf("2024-03-01T10:00:00Z")}, "readings/reading_type=kw/year=2024/month=03/day=01/hour=10/"},
		{Key{meter.TypeVoltage, hourOf("1999-12-31T23:00:00Z")}, "readings/reading_type=vltg/year=1999/month=12/day=31/hour=23/"},
		{Key{"a_1", hourOf("0099-01-01T00:00:00Z")}, "readings/reading_type=a_1/year=0099/month=01/day=01/hour=00/"},
		{Key{meter.TypeKWh, hourOf("2024-02-29T05:00:00Z")}, "readings/reading_type=kwh/year=2024/month=02/day=29/hour=05/"},
	} {
		if got := tc.key.Path(); got != tc.path {
			t.Errorf("%v.Path() = %q, want %q", tc.key, got, tc.path)
		}
		for _, p := range []string{tc.path, strings.TrimSuffix(tc.path, "/"), tc.path + "x.parquet", tc.path + "part-00000-a1b2.c000.snappy.parquet"} {
			got, err := ParseKey(p)
			if err != nil {
				t.Errorf("ParseKey(%q): %v", p, err)
				continue
			}
			if got != tc.key {
				t.Errorf("ParseKey(%q) = %v, want %v", p, got, tc.key)
			}
			if err := got.Valid(); err != nil {
				t.Errorf("ParseKey(%q).Valid(): %v", p, err)
			}
		}
	}
}

func TestKeyOf(t *testing.T) {
	loc := time.FixedZone("X", -5*3600)
	r := meter.Reading{MeterID: "m", Type: meter.TypeKW, Time: time.Date(2024, 3, 1, 5, 59, 59, 999e6, loc)}
	want := Key{meter.TypeKW, hourOf("2024-03-01T10:00:00Z")}
	if got := KeyOf(r); got != want {
		t.Fatalf("KeyOf = %v, want %v", got, want)
	}
	if err := want.Valid(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []Key{
		{"KW", want.Hour},
		{meter.TypeKW, want.Hour.Add(time.Minute)},
		{meter.TypeKW, want.Hour.In(loc)},
		{meter.TypeKW, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{meter.TypeKW, time.Time{}.Add(-time.Hour)},
	} {
		if k.Valid() == nil {
			t.Errorf("%v.Valid() = nil", k)
		}
	}
}

func TestParseKeyRejects(t *testing.T) {
	for _, p := range []string{
		"",
		"readings/",
		"readings",
		"other/reading_type=kw/year=2024/month=03/day=01/hour=10/",
		"/readings/reading_type=kw/year=2024/month=03/day=01/hour=10/",
		"readings/reading_type=kw/year=2024/month=3/day=01/hour=10/",   // unpadded month
		"readings/reading_type=kw/year=2024/month=003/day=01/hour=10/", // overpadded
		"readings/reading_type=kw/year=24/month=03/day=01/hour=10/",
		"readings/reading_type=kw/year=2024/month=03/day=01/hour=24/",
		"readings/reading_type=kw/year=2024/month=03/day=1/hour=10/",
		"readings/reading_type=kw/year=2024/month=13/day=01/hour=10/",
		"readings/reading_type=kw/year=2024/month=00/day=01/hour=10/",
		"readings/reading_type=kw/year=2023/month=02/day=29/hour=10/", // not a leap year
		"readings/reading_type=kw/year=2024/month=04/day=31/hour=10/",
		"readings/reading_type=kw/year=0000/month=01/day=01/hour=10/",
		"readings/reading_type=kw/year=2024/month=03/day=00/hour=10/",
		"readings/reading_type=kw/year=-024/month=03/day=01/hour=10/",
		"readings/reading_type=kw/year=+024/month=03/day=01/hour=10/",
		"readings/reading_type=KW/year=2024/month=03/day=01/hour=10/", // bad type
		"readings/reading_type=/year=2024/month=03/day=01/hour=10/",
		"readings/reading_type=1kw/year=2024/month=03/day=01/hour=10/",
		"readings/reading_type=k-w/year=2024/month=03/day=01/hour=10/",
		"readings/reading_type=../year=2024/month=03/day=01/hour=10/",
		"readings/reading_type=kw/../reading_type=kw/year=2024/month=03/day=01/hour=10/", // traversal
		"readings/reading_type=kw/year=2024/month=03/day=01/hour=10/..",
		"readings/reading_type=kw/year=2024/month=03/day=01/hour=10/.",
		"readings/reading_type=kw/year=2024/month=03/day=01/hour=10/../x.parquet",
		"readings/reading_type=kw/year=2024/month=03/day=01/hour=10/sub/x.parquet",
		"readings/reading_type=kw/year=2024/month=03/day=01/hour=10//",
		"readings/reading_type=kw/year=2024/month=03/day=01/hour=10/a b.parquet",
		"readings/reading_type=kw/year=2024/month=03/day=01/hour=10/a\\b.parquet",
		"readings/reading_type=kw/month=03/year=2024/day=01/hour=10/", // order
		"readings/type=kw/year=2024/month=03/day=01/hour=10/",
		"readings/reading_type=kw/year=2024/month=03/day=01/",
		"readings/reading_type=kw/year=2024/month=03/day=01/hour=1a/",
	} {
		k, err := ParseKey(p)
		if err == nil {
			t.Errorf("ParseKey(%q) = %v, want an error", p, k)
			continue
		}
		var pe *PathError
		if !errors.As(err, &pe) || pe.Path != p || !errors.Is(err, ErrBadPath) {
			t.Errorf("ParseKey(%q) error %v (%T) is not a *PathError of the path", p, err, err)
		}
	}
}

// testReads returns reads of the given types of nMeters meters every 15
// minutes from start for the given number of hours, shuffled.
func testReads(types []meter.Type, nMeters int, start time.Time, hours int, seed uint64) []meter.Reading {
	rng := rand.New(rand.NewPCG(seed, 7))
	qualities := []meter.Quality{meter.QualityActual, meter.QualityActual, meter.QualityEstimated, meter.QualitySubstituted, meter.QualityFinal, meter.QualityNull, 0}
	var out []meter.Reading
	for _, typ := range types {
		for m := range nMeters {
			id := fmt.Sprintf("%08x-0000-4000-8000-%012d", m*2654435761%(1<<32), m)
			for q := range hours * 4 {
				tm := start.Add(time.Duration(q)*15*time.Minute + time.Duration(rng.IntN(1000))*time.Millisecond)
				out = append(out, meter.Reading{
					MeterID: id,
					Type:    typ,
					Value:   float64(rng.IntN(100000)) / 1000,
					Time:    tm,
					Source:  []string{"B", "S", ""}[rng.IntN(3)],
					Arrival: tm.Add(time.Duration(rng.IntN(3600000)) * time.Millisecond),
					Quality: qualities[rng.IntN(len(qualities))],
				})
			}
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// scanOrder sorts reads into the order Scan returns them.
func scanOrder(reads []meter.Reading) []meter.Reading {
	out := slices.Clone(reads)
	slices.SortStableFunc(out, func(a, b meter.Reading) int {
		if c := KeyOf(a).Compare(KeyOf(b)); c != 0 {
			return c
		}
		return meter.Compare(a, b)
	})
	return out
}

type bucketCase struct {
	name string
	open func(t testing.TB) *blob.Bucket
}

func openBucket(t testing.TB, u string) *blob.Bucket {
	t.Helper()
	b, err := blob.OpenBucket(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

var buckets = []bucketCase{
	{"mem", func(t testing.TB) *blob.Bucket { return openBucket(t, "mem://") }},
	{"file", func(t testing.TB) *blob.Bucket {
		u := url.URL{Scheme: "file", Path: filepath.ToSlash(t.TempDir()), RawQuery: "metadata=skip"}
		return openBucket(t, u.String())
	}},
}

func TestWriteFileRoundTrip(t *testing.T) {
	ctx := context.Background()
	hour := hourOf("2024-03-01T10:00:00Z")
	k := Key{meter.TypeKW, hour}
	reads := testReads([]meter.Type{meter.TypeKW}, 300, hour, 1, 1)
	want := scanOrder(reads)
	for _, bc := range buckets {
		for _, opts := range []*WriterOptions{
			nil,
			{Compression: "zstd"},
			{Compression: "none", NoBloomFilter: true},
			{Compression: "snappy", RowGroupRows: 100},
		} {
			t.Run(fmt.Sprintf("%s/%+v", bc.name, opts), func(t *testing.T) {
				b := bc.open(t)
				in := slices.Clone(reads)
				info, err := WriteFile(ctx, b, k, "part-0", in, opts)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(in, reads) {
					t.Fatal("WriteFile modified its input")
				}
				attrs, err := b.Attributes(ctx, info.Path)
				if err != nil {
					t.Fatal(err)
				}
				wantInfo := FileInfo{Key: k, Path: k.Path() + "part-0.parquet", Rows: int64(len(reads)), Bytes: attrs.Size,
					MinTime: want[0].Time, MaxTime: want[0].Time}
				for _, r := range reads {
					if r.Time.Before(wantInfo.MinTime) {
						wantInfo.MinTime = r.Time
					}
					if r.Time.After(wantInfo.MaxTime) {
						wantInfo.MaxTime = r.Time
					}
				}
				if diff := gocmp.Diff(wantInfo, info); diff != "" {
					t.Errorf("FileInfo (-want +got):\n%s", diff)
				}
				got, st, err := ReadAll(ctx, b, nil)
				if err != nil {
					t.Fatal(err)
				}
				if diff := gocmp.Diff(want, got); diff != "" {
					t.Fatalf("ReadAll (-want +got):\n%s", diff)
				}
				for i, r := range got {
					if r.Time.Location() != time.UTC || r.Arrival.Location() != time.UTC {
						t.Fatalf("read %d: times not UTC", i)
					}
				}
				if st.Files != 1 || st.Partitions != 1 || st.Rows != int64(len(reads)) || st.Reads != int64(len(reads)) || st.BytesRead > info.Bytes+64<<10 {
					t.Errorf("stats %+v", st)
				}
				// Rewriting gives the same bytes, whatever the input order.
				first, err := b.ReadAll(ctx, info.Path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := WriteFile(ctx, b, k, "part-0", scanOrder(reads), opts); err != nil {
					t.Fatal(err)
				}
				second, err := b.ReadAll(ctx, info.Path)
				if err != nil {
					t.Fatal(err)
				}
				if string(first) != string(second) {
					t.Fatal("rewriting the same reads gave different bytes")
				}
			})
		}
	}
}

func TestWriteFileSameBytesEverywhere(t *testing.T) {
	ctx := context.Background()
	hour := hourOf("2024-03-01T10:00:00Z")
	k := Key{meter.TypeKW, hour}
	reads := testReads([]meter.Type{meter.TypeKW}, 100, hour, 1, 3)
	var files []string
	for _, bc := range buckets {
		b := bc.open(t)
		info, err := WriteFile(ctx, b, k, "x", reads, nil)
		if err != nil {
			t.Fatal(err)
		}
		data, err := b.ReadAll(ctx, info.Path)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, string(data))
	}
	if files[0] != files[1] {
		t.Fatal("mem and file buckets hold different bytes")
	}
}

func TestWriteFileErrors(t *testing.T) {
	ctx := context.Background()
	hour := hourOf("2024-03-01T10:00:00Z")
	k := Key{meter.TypeKW, hour}
	good := meter.Reading{MeterID: "m1", Type: meter.TypeKW, Value: 1, Time: hour.Add(time.Minute), Quality: meter.QualityActual}
	with := func(f func(r *meter.Reading)) []meter.Reading {
		r := good
		f(&r)
		return []meter.Reading{good, r}
	}
	for _, tc := range []struct {
		name  string
		key   Key
		file  string
		reads []meter.Reading
		opts  *WriterOptions
	}{
		{"other type", k, "x", with(func(r *meter.Reading) { r.Type = meter.TypeKVA }), nil},
		{"other hour", k, "x", with(func(r *meter.Reading) { r.Time = hour.Add(time.Hour) }), nil},
		{"before hour", k, "x", with(func(r *meter.Reading) { r.Time = hour.Add(-time.Millisecond) }), nil},
		{"bad quality", k, "x", with(func(r *meter.Reading) { r.Quality = 'Z' }), nil},
		{"bad utf8", k, "x", with(func(r *meter.Reading) { r.MeterID = "\xff" }), nil},
		{"bad key", Key{"KW", hour}, "x", nil, nil},
		{"unaligned key", Key{meter.TypeKW, hour.Add(time.Second)}, "x", nil, nil},
		{"empty name", k, "", nil, nil},
		{"slash", k, "a/b", nil, nil},
		{"dotdot", k, "..", nil, nil},
		{"hidden", k, ".x", nil, nil},
		{"underscore", k, "_SUCCESS", nil, nil},
		{"compression", k, "x", nil, &WriterOptions{Compression: "lzo"}},
		{"row groups", k, "x", nil, &WriterOptions{RowGroupRows: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := openBucket(t, "mem://")
			if _, err := WriteFile(ctx, b, tc.key, tc.file, tc.reads, tc.opts); err == nil {
				t.Fatal("no error")
			}
			if list, _ := b.List(nil).Next(ctx); list != nil {
				t.Fatalf("an object was written: %s", list.Key)
			}
		})
	}
}

func TestWriteFileEmpty(t *testing.T) {
	ctx := context.Background()
	b := openBucket(t, "mem://")
	k := Key{meter.TypeKW, hourOf("2024-03-01T10:00:00Z")}
	info, err := WriteFile(ctx, b, k, "empty", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.Rows != 0 || info.Bytes == 0 || !info.MinTime.IsZero() {
		t.Fatalf("info %+v", info)
	}
	got, st, err := ReadAll(ctx, b, nil)
	if err != nil || len(got) != 0 || st.Files != 1 {
		t.Fatalf("ReadAll = %v, %+v, %v", got, st, err)
	}
}

func TestWriter(t *testing.T) {
	ctx := context.Background()
	start := hourOf("2024-02-28T22:00:00Z")
	reads := testReads([]meter.Type{meter.TypeKW, meter.TypeVoltage}, 20, start, 5, 2)
	b := openBucket(t, "mem://")
	w := NewWriter(b, "batch-1", &WriterOptions{Concurrency: 3})
	var _ meter.Writer = w
	// Write in uneven batches.
	for rest := reads; len(rest) > 0; {
		n := min(len(rest), 37)
		if got, err := w.Write(rest[:n]); got != n || err != nil {
			t.Fatalf("Write = %d, %v", got, err)
		}
		rest = rest[n:]
	}
	infos, err := w.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 10 {
		t.Fatalf("%d files, want 10", len(infos))
	}
	if !slices.IsSortedFunc(infos, func(a, b FileInfo) int { return cmp.Compare(a.Path, b.Path) }) {
		t.Fatal("files not sorted by path")
	}
	var rows int64
	for _, fi := range infos {
		rows += fi.Rows
		if !strings.HasSuffix(fi.Path, "/batch-1.parquet") || !strings.HasPrefix(fi.Path, fi.Key.Path()) {
			t.Errorf("bad path %s", fi.Path)
		}
	}
	if rows != int64(len(reads)) {
		t.Fatalf("%d rows, want %d", rows, len(reads))
	}
	got, _, err := ReadAll(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(scanOrder(reads), got); diff != "" {
		t.Fatalf("ReadAll (-want +got):\n%s", diff)
	}
	if _, err := w.Write(reads[:1]); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}

	// Bad reads stop Write at the first one.
	w = NewWriter(b, "batch-2", nil)
	bad := slices.Clone(reads[:5])
	bad[3].Type = "Bad"
	if n, err := w.Write(bad); n != 3 || err == nil {
		t.Fatalf("Write = %d, %v; want 3 and an error", n, err)
	}
	if _, err := NewWriter(b, "_x", nil).Write(reads[:1]); err == nil {
		t.Fatal("bad name: no error")
	}
}

// lake writes a lake of several types, hours and meters with small row
// groups, and returns its reads.
func lake(t testing.TB, b *blob.Bucket, opts *WriterOptions) []meter.Reading {
	t.Helper()
	ctx := context.Background()
	// 30 hours across a month and a year boundary.
	start := hourOf("2023-12-31T12:00:00Z")
	reads := testReads([]meter.Type{meter.TypeKW, meter.TypeVoltage, meter.TypeKWh}, 40, start, 30, 5)
	// Two files in some partitions.
	w1 := NewWriter(b, "a", opts)
	w2 := NewWriter(b, "b", opts)
	for _, r := range reads {
		w := w1
		if lakeFile(r) == "b" {
			w = w2
		}
		if _, err := w.Write([]meter.Reading{r}); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range []*Writer{w1, w2} {
		if _, err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return reads
}

// lakeFile returns the file of the lake that holds r: "b" for some meters'
// reads in even hours, "a" for the others.
func lakeFile(r meter.Reading) string {
	if r.MeterID[len(r.MeterID)-1]%3 == 0 && r.Time.Hour()%2 == 0 {
		return "b"
	}
	return "a"
}

// lakeOrder sorts reads of the lake into the order Scan returns them:
// by partition, then meter, time and arrival (a partition of several
// files is merged).
func lakeOrder(reads []meter.Reading) []meter.Reading {
	out := slices.Clone(reads)
	slices.SortStableFunc(out, func(a, b meter.Reading) int {
		if c := KeyOf(a).Compare(KeyOf(b)); c != 0 {
			return c
		}
		return meter.Compare(a, b)
	})
	return out
}

func bruteForce(reads []meter.Reading, f *Filter) []meter.Reading {
	var out []meter.Reading
	for _, r := range reads {
		if len(f.Types) > 0 && !slices.Contains(f.Types, r.Type) {
			continue
		}
		if !f.From.IsZero() && r.Time.Before(f.From) || !f.To.IsZero() && !r.Time.Before(f.To) {
			continue
		}
		if len(f.MeterIDs) > 0 && !slices.Contains(f.MeterIDs, r.MeterID) {
			continue
		}
		out = append(out, r)
	}
	return lakeOrder(out)
}

func TestScan(t *testing.T) {
	ctx := context.Background()
	b := openBucket(t, "mem://")
	reads := lake(t, b, &WriterOptions{RowGroupRows: 16})
	// The lake's reads at millisecond precision, as Scan returns them.
	ids := func() []string {
		var ids []string
		for _, r := range reads {
			ids = append(ids, r.MeterID)
		}
		slices.Sort(ids)
		return slices.Compact(ids)
	}()
	day := hourOf("2024-01-01T00:00:00Z")
	for _, tc := range []struct {
		name string
		f    Filter
		// Expected pruning: partitions and row groups pruned at least.
		partsPruned, groupsPruned bool
	}{
		{name: "all"},
		{name: "one type", f: Filter{Types: []meter.Type{meter.TypeVoltage}}},
		{name: "two types", f: Filter{Types: []meter.Type{meter.TypeKWh, meter.TypeKW, meter.TypeKW}}},
		{name: "absent type", f: Filter{Types: []meter.Type{"pf"}}},
		{name: "one day", f: Filter{From: day, To: day.Add(24 * time.Hour)}, partsPruned: true},
		{name: "from", f: Filter{From: day.Add(5 * time.Hour)}, partsPruned: true},
		{name: "to", f: Filter{To: day}, partsPruned: true},
		{name: "sub-hour", f: Filter{From: day.Add(20 * time.Minute), To: day.Add(50 * time.Minute)}, partsPruned: true},
		{name: "sub-ms", f: Filter{From: day.Add(15*time.Minute + 100*time.Microsecond), To: day.Add(15*time.Minute + 500*time.Millisecond + 1)}, partsPruned: true},
		{name: "empty range", f: Filter{From: day, To: day}, partsPruned: true},
		{name: "one meter", f: Filter{MeterIDs: ids[7:8]}, groupsPruned: true},
		{name: "first meter", f: Filter{MeterIDs: ids[:1]}, groupsPruned: true},
		{name: "last meter", f: Filter{MeterIDs: ids[len(ids)-1:]}, groupsPruned: true},
		{name: "absent meter", f: Filter{MeterIDs: []string{"nope"}}, groupsPruned: true},
		{name: "absent meter within bounds", f: Filter{MeterIDs: []string{ids[3] + "x"}}, groupsPruned: true},
		{name: "three meters", f: Filter{MeterIDs: []string{ids[30], ids[2], ids[11]}}, groupsPruned: true},
		{name: "meter, type, hour", f: Filter{Types: []meter.Type{meter.TypeKW}, From: day.Add(2 * time.Hour), To: day.Add(3 * time.Hour), MeterIDs: ids[5:6]},
			partsPruned: true, groupsPruned: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := bruteForce(reads, &tc.f)
			var got []meter.Reading
			st, err := Scan(ctx, b, &tc.f, func(batch []meter.Reading) error {
				for _, r := range batch[1:] {
					if KeyOf(r) != KeyOf(batch[0]) {
						t.Fatal("batch spans partitions")
					}
				}
				got = append(got, batch...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("Scan (-want +got):\n%s", diff)
			}
			if st.Reads != int64(len(want)) || st.Rows < st.Reads || st.RowGroupsPruned > st.RowGroups {
				t.Errorf("inconsistent stats %+v", st)
			}
			if tc.partsPruned != (st.PartitionsPruned > 0) {
				t.Errorf("PartitionsPruned = %d, want > 0: %v", st.PartitionsPruned, tc.partsPruned)
			}
			if tc.groupsPruned && st.RowGroupsPruned == 0 {
				t.Errorf("no row groups pruned: %+v", st)
			}
			t.Logf("%+v", st)
			keys, err := Partitions(ctx, b, &tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(keys)) != st.Partitions || !slices.IsSortedFunc(keys, Key.Compare) {
				t.Errorf("Partitions = %d keys, Scan scanned %d", len(keys), st.Partitions)
			}
		})
	}
}

func TestScanBytes(t *testing.T) {
	// One meter of many: pruned row groups are not downloaded.
	ctx := context.Background()
	b := openBucket(t, "mem://")
	hour := hourOf("2024-03-01T10:00:00Z")
	reads := testReads([]meter.Type{meter.TypeKW}, 20000, hour, 1, 9)
	info, err := WriteFile(ctx, b, KeyOf(reads[0]), "f", reads, &WriterOptions{RowGroupRows: 4000})
	if err != nil {
		t.Fatal(err)
	}
	id := reads[1234].MeterID
	got, st, err := ReadAll(ctx, b, &Filter{MeterIDs: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	// Requests: the tail (footer, bloom filters), the page index if the
	// tail did not hold it, and the one row group kept.
	if len(got) != 4 || st.RowGroups != 20 || st.RowGroupsPruned != 19 || st.Requests > 3 {
		t.Fatalf("got %d reads, stats %+v", len(got), st)
	}
	if st.BytesRead > info.Bytes/4 {
		t.Fatalf("read %d of %d bytes", st.BytesRead, info.Bytes)
	}
	t.Logf("file %d bytes; %+v", info.Bytes, st)
}

func TestScanStop(t *testing.T) {
	ctx := context.Background()
	b := openBucket(t, "mem://")
	lake(t, b, nil)
	stop := errors.New("stop")
	calls := 0
	_, err := Scan(ctx, b, nil, func([]meter.Reading) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("Scan = %v after %d calls", err, calls)
	}
	if _, err := Partitions(ctx, b, &Filter{Types: []meter.Type{"Bad"}}); err == nil {
		t.Fatal("bad type: no error")
	}
}

func TestScanIgnoresOtherObjects(t *testing.T) {
	ctx := context.Background()
	b := openBucket(t, "mem://")
	reads := lake(t, b, nil)
	for _, key := range []string{
		"readings/_SUCCESS",
		"readings/reading_type=kw/_temporary/0/x.parquet",
		"readings/reading_type=kw/year=2024/month=01/day=01/hour=00/_committed_123",
		"readings/reading_type=kw/year=2024/month=01/day=01/hour=00/.x.parquet.crc",
		"readings/reading_type=kw/year=2024/month=01/day=01/hour=00/notes.txt",
		"readings/reading_type=kw/year=2024/month=1/day=01/hour=00/x.parquet",
		"readings/reading_type=kw/year=2024/month=01/day=01/hour=99/x.parquet",
		"readings/reading_type=Bad/year=2024/month=01/day=01/hour=00/x.parquet",
		"other/x.parquet",
	} {
		if err := b.WriteAll(ctx, key, []byte("junk"), nil); err != nil {
			t.Fatal(err)
		}
	}
	got, _, err := ReadAll(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(lakeOrder(reads), got); diff != "" {
		t.Fatalf("ReadAll (-want +got):\n%s", diff)
	}
}

// TestBlobioRequests measures what internal/blobio's caching saves: the
// ranged requests to open a file, check its bloom filters and read every
// row group, with and without the tail cache, prefetch and read-ahead.
func TestBlobioRequests(t *testing.T) {
	ctx := context.Background()
	b := openBucket(t, "mem://")
	hour := hourOf("2024-03-01T10:00:00Z")
	reads := testReads([]meter.Type{meter.TypeKW}, 12000, hour, 1, 4)
	info, err := WriteFile(ctx, b, KeyOf(reads[0]), "f", reads, &WriterOptions{RowGroupRows: 12000})
	if err != nil {
		t.Fatal(err)
	}
	count := func(opts *blobio.Options, prefetch bool) int64 {
		ra, err := blobio.NewReaderAt(ctx, b, info.Path, opts)
		if err != nil {
			t.Fatal(err)
		}
		pf, err := parquet.OpenFile(ra, ra.Size(), parquet.SkipMagicBytes(true), parquet.SkipPageIndex(true))
		if err != nil {
			t.Fatal(err)
		}
		layout, err := layoutOf(pf)
		if err != nil {
			t.Fatal(err)
		}
		s := newScanner(&plan{fromMs: math.MinInt64, toMs: math.MaxInt64}, func([]meter.Reading) error { return nil }, &ScanStats{})
		for g, rg := range pf.RowGroups() {
			if bf := rg.ColumnChunks()[0].(*parquet.FileColumnChunk).BloomFilter(); bf == nil {
				t.Fatal("no bloom filter")
			} else if _, err := bf.Check(parquet.ByteArrayValue([]byte("x"))); err != nil {
				t.Fatal(err)
			}
			if prefetch {
				ra.Prefetch(rowGroupRange(&pf.Metadata().RowGroups[g], &layout))
			}
			if err := s.readRowGroup(KeyOf(reads[0]), rg, &layout); err != nil {
				t.Fatal(err)
			}
		}
		return ra.Requests()
	}
	plain := count(&blobio.Options{Size: info.Bytes, Tail: -1, ReadAhead: -1}, false)
	tail := count(&blobio.Options{Size: info.Bytes, ReadAhead: -1}, false)
	ahead := count(&blobio.Options{Size: info.Bytes}, false)
	full := count(&blobio.Options{Size: info.Bytes}, true)
	t.Logf("file %d bytes, 4 row groups: requests uncached %d, tail cache %d, +read-ahead %d, +prefetch %d", info.Bytes, plain, tail, ahead, full)
	if full != 5 || plain < 10*full {
		t.Errorf("requests: uncached %d, cached %d", plain, full)
	}
}
