package partition

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/openmda/mda/meter"
	"gocloud.dev/blob"
)

// meterQuery is the brute-force answer of a query over the reads of a lake
// of one file per partition.
func meterQuery(reads []meter.Reading, f *Filter) []meter.Reading {
	out := scanOrder(bruteForce(reads, f))
	if f.ValuesOnly {
		for i := range out {
			out[i].Source, out[i].Arrival, out[i].Quality = "", time.Time{}, 0
		}
	}
	return out
}

func withValues(reads []meter.Reading, v func(i int) float64) []meter.Reading {
	out := slices.Clone(reads)
	for i := range out {
		out[i].Value = v(i)
	}
	return out
}

// TestFileCacheRewrite overwrites a file the cache holds, with the same size
// and then with another layout, and checks that scans read the new file.
func TestFileCacheRewrite(t *testing.T) {
	ctx := context.Background()
	for _, bc := range buckets {
		t.Run(bc.name, func(t *testing.T) {
			b := bc.open(t)
			hour := hourOf("2024-03-01T10:00:00Z")
			k := Key{meter.TypeKW, hour}
			// Uncompressed, so that new values give a file of the same size.
			opts := &WriterOptions{Compression: "none", RowGroupRows: 200}
			reads := testReads([]meter.Type{meter.TypeKW}, 300, hour, 1, 3)
			v1 := withValues(reads, func(i int) float64 { return float64(i) })
			v2 := withValues(reads, func(i int) float64 { return float64(i) + 0.5 })
			v3 := testReads([]meter.Type{meter.TypeKW}, 120, hour, 1, 4) // other meters, other layout
			ids := []string{reads[7].MeterID, reads[100].MeterID, v3[3].MeterID}

			cache := NewFileCache(16 << 20)
			check := func(what string, want []meter.Reading, wantCached int64) {
				t.Helper()
				for _, id := range ids {
					for _, valuesOnly := range []bool{false, true} {
						f := &Filter{MeterIDs: []string{id}, ValuesOnly: valuesOnly, Cache: cache}
						got, st, err := ReadAll(ctx, b, f)
						if err != nil {
							t.Fatalf("%s: %v", what, err)
						}
						if diff := gocmp.Diff(meterQuery(want, f), got, cmpopts.EquateEmpty()); diff != "" {
							t.Fatalf("%s: meter %s (-want +got):\n%s", what, id, diff)
						}
						if st.CachedFiles != wantCached {
							t.Errorf("%s: CachedFiles = %d, want %d", what, st.CachedFiles, wantCached)
						}
						wantCached = 1 // the first query opened the file
					}
				}
			}
			write := func(reads []meter.Reading) FileInfo {
				info, err := WriteFile(ctx, b, k, "data", reads, opts)
				if err != nil {
					t.Fatal(err)
				}
				return info
			}
			i1 := write(v1)
			check("first version", v1, 0)
			i2 := write(v2)
			if i1.Bytes != i2.Bytes || i1.Path != i2.Path {
				t.Fatalf("the rewrite is not of the same size and path: %+v, %+v", i1, i2)
			}
			check("same size", v2, 0)
			write(v3)
			check("other layout", v3, 0)
			if st := cache.Stats(); st.Entries != 3 || st.Hits == 0 {
				t.Errorf("cache stats %+v, want 3 entries (one per version)", st)
			}
			// A scan of every meter uses the cache and does not fill it.
			got, st, err := ReadAll(ctx, b, &Filter{Cache: cache})
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(scanOrder(v3), got); diff != "" {
				t.Fatalf("ReadAll (-want +got):\n%s", diff)
			}
			if st.CachedFiles != 1 || cache.Stats().Entries != 3 {
				t.Errorf("scan of all: CachedFiles %d, cache %+v", st.CachedFiles, cache.Stats())
			}
		})
	}
}

// TestFileCacheConcurrent runs meter queries from many goroutines through a
// cache too small for the lake (entries come and go), with the cache
// resized and purged meanwhile and, on file://, files rewritten: each
// partition must read whole as one of its versions. Run it with -race.
func TestFileCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	for _, bc := range buckets {
		t.Run(bc.name, func(t *testing.T) {
			b := bc.open(t)
			start := hourOf("2024-03-01T00:00:00Z")
			const hours, meters = 6, 200
			opts := &WriterOptions{RowGroupRows: 150}
			base := testReads([]meter.Type{meter.TypeKW}, meters, start, hours, 5)
			// Two versions of each hour: values v and v+1000.
			versions := [2][]meter.Reading{base, withValues(base, func(i int) float64 { return base[i].Value + 1000 })}
			byHour := func(reads []meter.Reading) map[time.Time][]meter.Reading {
				m := make(map[time.Time][]meter.Reading)
				for _, r := range reads {
					h := r.Time.Truncate(time.Hour)
					m[h] = append(m[h], r)
				}
				return m
			}
			hourVersions := [2]map[time.Time][]meter.Reading{byHour(versions[0]), byHour(versions[1])}
			write := func(h time.Time, v int) {
				if _, err := WriteFile(ctx, b, Key{meter.TypeKW, h}, "data", hourVersions[v][h], opts); err != nil {
					t.Error(err)
				}
			}
			for h := range hourVersions[0] {
				write(h, 0)
			}
			var ids []string
			for _, r := range base {
				ids = append(ids, r.MeterID)
			}
			slices.Sort(ids)
			ids = slices.Compact(ids)

			cache := NewFileCache(3 * 20 << 10) // a few files' worth
			rewrite := bc.name == "file"        // see rangeReader.openLocal
			var stop atomic.Bool
			var wg sync.WaitGroup
			if rewrite {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(1, 1))
					for i := 0; !stop.Load(); i++ {
						write(start.Add(time.Duration(rng.IntN(hours))*time.Hour), 1-i%2)
					}
				})
			}
			wg.Go(func() {
				for i := 0; !stop.Load(); i++ {
					switch i % 3 {
					case 0:
						cache.SetLimit(int64(i%7) * 20 << 10)
					case 1:
						cache.Purge()
					default:
						cache.Stats()
					}
					time.Sleep(time.Millisecond)
				}
			})
			var readers sync.WaitGroup
			for g := range 8 {
				readers.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(g), 2))
					for range 25 {
						want := []string{ids[rng.IntN(len(ids))]}
						if rng.IntN(3) == 0 {
							want = append(want, ids[rng.IntN(len(ids))])
						}
						f := &Filter{MeterIDs: want, ValuesOnly: rng.IntN(2) == 0, Cache: cache,
							From: start.Add(time.Duration(rng.IntN(60)) * time.Minute)}
						got, _, err := ReadAll(ctx, b, f)
						if err != nil {
							t.Error(err)
							return
						}
						// Each hour read whole, as one version or the other.
						gotHours := byHour(got)
						for h := range hourVersions[0] {
							ok := false
							for v := range 2 {
								if gocmp.Equal(meterQuery(hourVersions[v][h], f), gotHours[h], cmpopts.EquateEmpty()) {
									ok = true
								}
							}
							if !ok {
								t.Errorf("meters %v, hour %v: got %d reads of neither version", want, h, len(gotHours[h]))
								return
							}
						}
					}
				})
			}
			readers.Wait()
			stop.Store(true)
			wg.Wait()
			t.Logf("%+v", cache.Stats())
		})
	}
}

// TestFileCacheGet checks that concurrent misses of one file open it once,
// that a failed open is not cached, and the memory bound.
func TestFileCacheGet(t *testing.T) {
	ctx := context.Background()
	c := NewFileCache(1000)
	b := openBucket(t, "mem://")
	id := func(i int) *fileID {
		obj := &blob.ListObject{Key: fmt.Sprint("f", i), Size: 10, ModTime: time.Unix(int64(i), 0)}
		id, ok := fileIDOf(b, obj)
		if !ok {
			t.Fatal("no id")
		}
		return &id
	}
	var opens atomic.Int32
	release := make(chan struct{})
	open := func() (*fileMeta, error) {
		opens.Add(1)
		<-release
		return &fileMeta{cost: 300}, nil
	}
	var wg sync.WaitGroup
	metas := make([]*fileMeta, 10)
	for i := range metas {
		wg.Go(func() {
			m, _, err := c.get(ctx, id(1), open)
			if err != nil {
				t.Error(err)
			}
			metas[i] = m
		})
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if opens.Load() != 1 {
		t.Fatalf("%d opens, want 1", opens.Load())
	}
	for _, m := range metas {
		if m != metas[0] {
			t.Fatal("different entries")
		}
	}
	// A failed open is not kept.
	boom := errors.New("boom")
	if _, _, err := c.get(ctx, id(2), func() (*fileMeta, error) { return nil, boom }); err != boom {
		t.Fatal(err)
	}
	if m, cached, err := c.get(ctx, id(2), func() (*fileMeta, error) { return &fileMeta{cost: 300}, nil }); err != nil || cached || m == nil {
		t.Fatalf("after a failure: %v, %v, %v", m, cached, err)
	}
	// 300 bytes each, 1000 at most: the least recently used goes.
	if _, cached, _ := c.get(ctx, id(1), open); !cached {
		t.Fatal("entry 1 lost")
	}
	c.get(ctx, id(3), func() (*fileMeta, error) { return &fileMeta{cost: 300}, nil })
	c.get(ctx, id(4), func() (*fileMeta, error) { return &fileMeta{cost: 300}, nil })
	if st := c.Stats(); st.Entries != 3 || st.Bytes != 900 || st.Evictions != 1 {
		t.Fatalf("stats %+v", st)
	}
	if m := c.lookup(id(2)); m != nil {
		t.Fatal("entry 2 (least recently used) not evicted")
	}
	// Too large to keep.
	c.get(ctx, id(5), func() (*fileMeta, error) { return &fileMeta{cost: 2000}, nil })
	if c.lookup(id(5)) != nil {
		t.Fatal("kept an entry over the limit")
	}
	// Off.
	c.SetLimit(0)
	if st := c.Stats(); st.Entries != 0 || st.Bytes != 0 {
		t.Fatalf("after SetLimit(0): %+v", st)
	}
	c.get(ctx, id(6), func() (*fileMeta, error) { return &fileMeta{cost: 1}, nil })
	if c.Stats().Entries != 0 {
		t.Fatal("a cache turned off kept an entry")
	}
	// Another bucket, same key: another entry.
	b2 := openBucket(t, "mem://")
	obj := &blob.ListObject{Key: "f1", Size: 10, ModTime: time.Unix(1, 0)}
	i1, _ := fileIDOf(b, obj)
	i2, _ := fileIDOf(b2, obj)
	if i1 == i2 {
		t.Fatal("two buckets share ids")
	}
}

// TestFileCacheMemory checks metaCost against the heap the cached files
// hold: within a factor of two.
func TestFileCacheMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 20 large files")
	}
	ctx := context.Background()
	b := openBucket(t, "mem://")
	start := hourOf("2024-03-01T00:00:00Z")
	const n = 20
	for h := range n {
		reads := weekLakeHour(start.Add(time.Duration(h) * time.Hour))
		if _, err := WriteFile(ctx, b, KeyOf(reads[0]), "data", reads, nil); err != nil {
			t.Fatal(err)
		}
	}
	cache := NewFileCache(1 << 30)
	id := weekLakeHour(start)[5].MeterID
	heap := func() uint64 {
		runtime.GC() // twice: sync.Pools keep their buffers for a cycle
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	if _, _, err := ReadAll(ctx, b, &Filter{MeterIDs: []string{id}, Cache: cache}); err != nil {
		t.Fatal(err)
	}
	held := heap() - before
	runtime.KeepAlive(cache)
	st := cache.Stats()
	t.Logf("%d files cached: estimated %d bytes, heap grew %d bytes", st.Entries, st.Bytes, held)
	if st.Entries != n || float64(st.Bytes) < float64(held)/2 || float64(st.Bytes) > 2*float64(held) {
		t.Errorf("estimate %d bytes for %d files, heap grew %d", st.Bytes, st.Entries, held)
	}
}

// weekLakeHour returns an hour of kW reads of 12,000 meters (UUID-like
// ids, the same every hour) every quarter-hour, in the order a head-end
// export lists them: by time, then meter.
func weekLakeHour(hour time.Time) []meter.Reading {
	const meters, quarters = 12000, 4
	rng := rand.New(rand.NewPCG(7, 7))
	ids := make([]string, meters)
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xfff,
			0x8000|rng.Uint32()&0x3fff, rng.Uint64()&(1<<48-1))
	}
	rng = rand.New(rand.NewPCG(uint64(hour.Unix()), 7))
	reads := make([]meter.Reading, 0, meters*quarters)
	for q := range quarters {
		t := hour.Add(time.Duration(q) * 15 * time.Minute)
		for _, id := range ids {
			reads = append(reads, meter.Reading{MeterID: id, Type: meter.TypeKW, Value: float64(rng.IntN(20000)) / 1000,
				Time: t, Source: "B", Arrival: t.Add(5 * time.Minute), Quality: meter.QualityActual})
		}
	}
	return reads
}
