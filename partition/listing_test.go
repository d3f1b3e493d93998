package partition

import (
	"context"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"

	"github.com/openmda/mda/internal/blobio"
	"github.com/openmda/mda/meter"
)

// listingBuckets are the stores Compact's use of a Listing is checked on:
// memblob, and local lakes whose copies are byte copies or hard links.
var listingBuckets = append(slices.Clone(buckets), bucketCase{"file-linked", func(t testing.TB) *blob.Bucket {
	dir := t.TempDir()
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{Metadata: fileblob.MetadataDontWrite, NoTempDir: true, CreateDir: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if !blobio.RegisterDir(b, dir) {
		t.Fatal("RegisterDir refused a fileblob bucket")
	}
	return b
}})

func TestListPartitions(t *testing.T) {
	ctx := context.Background()
	kwh := func(s string) Key { return Key{Type: meter.TypeKWh, Hour: hourOf(s)} }
	var keys []Key
	// A dense month: every hour of its first four days (96 partitions).
	for h := range 96 {
		keys = append(keys, Key{Type: meter.TypeKWh, Hour: hourOf("2024-03-01T00:00:00Z").Add(time.Duration(h) * time.Hour)})
	}
	// A day of three partitions in a sparse month, and a lone partition.
	dayKeys := []Key{kwh("2024-05-07T01:00:00Z"), kwh("2024-05-07T02:00:00Z"), kwh("2024-05-07T23:00:00Z")}
	lone := kwh("2024-05-09T10:00:00Z")
	keys = append(keys, dayKeys...)
	keys = append(keys, lone)
	for _, bc := range buckets {
		t.Run(bc.name, func(t *testing.T) {
			b := bc.open(t)
			put := func(key string) {
				if err := b.WriteAll(ctx, key, []byte("x"), nil); err != nil {
					t.Fatal(err)
				}
			}
			dense := keys[5].Path()
			put(dense + "data.parquet")
			put(dense + "other.parquet")
			put(dense + "_hidden.parquet")   // hidden, as Hive has it
			put(dense + "data.parquet.json") // not Parquet
			put(dense + "sub/x.parquet")     // not in the partition itself
			put(dayKeys[1].Path() + "data.parquet")
			put(lone.Path() + "data.parquet")
			put(kwh("2024-03-01T04:00:00Z").Path()[:len(kwh("2024-03-01T04:00:00Z").Path())-1] + "0/data.parquet") // hour=040, no partition
			l, err := ListPartitions(ctx, b, keys)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				got, ok := l.Files(k)
				var want []string
				switch k {
				case keys[5]:
					want = []string{dense + "data.parquet", dense + "other.parquet"}
				case dayKeys[1]:
					want = []string{dayKeys[1].Path() + "data.parquet"}
				case lone:
					if ok {
						t.Errorf("%s: a lone partition was listed with its month (%v)", k, got)
					}
					continue
				}
				if !ok {
					t.Errorf("%s not covered", k)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: files %v, want %v", k, got, want)
				}
			}
			if _, ok := (*Listing)(nil).Files(lone); ok {
				t.Error("a nil Listing covers a partition")
			}
		})
	}
}

// TestCompactStaleListing: a Listing made before the partition's lock is
// taken may be out of date by the time Compact runs, because another
// integrator compacted the partition meanwhile. Compact must notice and
// keep every read once.
func TestCompactStaleListing(t *testing.T) {
	ctx := context.Background()
	h := hourOf("2024-03-01T10:00:00Z")
	k := Key{Type: meter.TypeKW, Hour: h}
	// Three partitions of one day, so that ListPartitions lists the day.
	keys := []Key{k, {Type: meter.TypeKW, Hour: h.Add(time.Hour)}, {Type: meter.TypeKW, Hour: h.Add(2 * time.Hour)}}
	rd := func(m string, min int, v float64) meter.Reading {
		return meter.Reading{MeterID: m, Type: meter.TypeKW, Value: v, Time: h.Add(time.Duration(min) * time.Minute),
			Source: "B", Arrival: h.Add(time.Duration(min+1) * time.Minute), Quality: meter.QualityActual}
	}
	lakeReads := []meter.Reading{rd("a", 15, 1), rd("b", 15, 2)}
	foreign := []meter.Reading{rd("c", 30, 3)}
	staged := []meter.Reading{rd("a", 15, 1), rd("d", 45, 4)}
	staging := &WriterOptions{Root: "staging/", Dedup: true}

	tests := []struct {
		name string
		// before sets the partition up before the listing, between runs
		// what another integrator did after it.
		before, between func(t *testing.T, b *blob.Bucket)
		want            []meter.Reading
	}{
		{
			name: "listing holds",
			want: staged,
		},
		{
			name: "compacted after the listing",
			between: func(t *testing.T, b *blob.Bucket) {
				mustWrite(t, b, k, "other-00000", lakeReads, staging)
				if _, err := Compact(ctx, b, k, []Source{{Bucket: b, Key: "staging/" + k.Path() + "other-00000.parquet", Verbatim: true}}, nil); err != nil {
					t.Fatal(err)
				}
			},
			want: []meter.Reading{rd("a", 15, 1), rd("b", 15, 2), rd("d", 45, 4)},
		},
		{
			name: "a listed file merged away",
			before: func(t *testing.T, b *blob.Bucket) {
				mustWrite(t, b, k, CompactedName, lakeReads, nil)
				mustWrite(t, b, k, "foreign", foreign, nil)
			},
			between: func(t *testing.T, b *blob.Bucket) {
				if _, err := Compact(ctx, b, k, nil, nil); err != nil {
					t.Fatal(err)
				}
			},
			want: []meter.Reading{rd("a", 15, 1), rd("b", 15, 2), rd("c", 30, 3), rd("d", 45, 4)},
		},
		{
			name: "emptied after the listing",
			before: func(t *testing.T, b *blob.Bucket) {
				mustWrite(t, b, k, CompactedName, lakeReads, nil)
			},
			between: func(t *testing.T, b *blob.Bucket) {
				if err := b.Delete(ctx, k.Path()+CompactedName+".parquet"); err != nil {
					t.Fatal(err)
				}
			},
			want: staged,
		},
	}
	for _, bc := range listingBuckets {
		for _, tc := range tests {
			t.Run(bc.name+"/"+tc.name, func(t *testing.T) {
				b := bc.open(t)
				if tc.before != nil {
					tc.before(t, b)
				}
				l, err := ListPartitions(ctx, b, keys)
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := l.Files(k); !ok {
					t.Fatal("the partition was not listed")
				}
				if tc.between != nil {
					tc.between(t, b)
				}
				info := mustWrite(t, b, k, "src-00000", staged, staging)
				src := Source{Bucket: b, Key: info.Path, Verbatim: true, Rows: info.Rows, MinTime: info.MinTime, MaxTime: info.MaxTime}
				st, err := Compact(ctx, b, k, []Source{src}, &CompactOptions{Listing: l})
				if err != nil {
					t.Fatal(err)
				}
				files, err := listFiles(ctx, b, k.Path())
				if err != nil {
					t.Fatal(err)
				}
				if len(files) != 1 || files[0].path != k.Path()+CompactedName+".parquet" {
					t.Errorf("partition files %v, want only the compacted one", files)
				}
				got, err := ReadFile(ctx, b, k.Path()+CompactedName+".parquet")
				if err != nil {
					t.Fatal(err)
				}
				if diff := gocmp.Diff(tc.want, got); diff != "" {
					t.Errorf("compacted partition (-want +got):\n%s", diff)
				}
				if st.Reads != int64(len(tc.want)) {
					t.Errorf("stats say %d reads, the file holds %d", st.Reads, len(tc.want))
				}
			})
		}
	}
}

// TestCompactCopyTrustsSourceRows: a verbatim copy reports the rows and
// times its source declares, without reading the footer; the copy is
// whole.
func TestCompactCopyTrustsSourceRows(t *testing.T) {
	ctx := context.Background()
	for _, bc := range listingBuckets {
		t.Run(bc.name, func(t *testing.T) {
			b := bc.open(t)
			h := hourOf("2024-03-01T10:00:00Z")
			k := Key{Type: meter.TypeKW, Hour: h}
			reads := []meter.Reading{{MeterID: "a", Type: meter.TypeKW, Value: 1, Time: h.Add(time.Minute), Source: "B", Arrival: h, Quality: meter.QualityActual}}
			info := mustWrite(t, b, k, "src-00000", reads, &WriterOptions{Root: "staging/", Dedup: true})
			l, err := ListPartitions(ctx, b, []Key{k, {Type: k.Type, Hour: h.Add(time.Hour)}, {Type: k.Type, Hour: h.Add(2 * time.Hour)}})
			if err != nil {
				t.Fatal(err)
			}
			st, err := Compact(ctx, b, k, []Source{{Bucket: b, Key: info.Path, Verbatim: true, Rows: info.Rows, MinTime: info.MinTime, MaxTime: info.MaxTime}},
				&CompactOptions{Listing: l})
			if err != nil {
				t.Fatal(err)
			}
			want := FileInfo{Key: k, Path: k.Path() + "data.parquet", Rows: 1, Bytes: info.Bytes, MinTime: info.MinTime, MaxTime: info.MaxTime}
			if st.File != want || st.Reads != 1 || st.Inputs != 1 {
				t.Errorf("stats %+v, want file %+v", st, want)
			}
			got, err := ReadFile(ctx, b, want.Path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(reads, got); diff != "" {
				t.Errorf("copied partition (-want +got):\n%s", diff)
			}
		})
	}
}

func mustWrite(t *testing.T, b *blob.Bucket, k Key, name string, reads []meter.Reading, opts *WriterOptions) FileInfo {
	t.Helper()
	info, err := WriteFile(context.Background(), b, k, name, reads, opts)
	if err != nil {
		t.Fatal(err)
	}
	return info
}
