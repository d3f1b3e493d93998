package staging

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
)

func TestLock(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	const part = "readings/reading_type=kw/year=2024/month=03/day=01/hour=10/"
	l, err := acquire(ctx, b, part, time.Minute, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Held: a second integrator gives up after its wait.
	if _, err := acquire(ctx, b, part, time.Minute, 50*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Fatalf("got %v, want ErrLocked", err)
	}
	l.release(ctx)
	r2, err := acquire(ctx, b, part, time.Millisecond, 0)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	time.Sleep(5 * time.Millisecond)
	// r2 expired: the next integrator breaks it, and r2, still at work,
	// finds its lock lost and cannot release its successor's.
	r3, err := acquire(ctx, b, part, time.Minute, 0)
	if err != nil {
		t.Fatalf("an expired lock was not broken: %v", err)
	}
	if err := r2.check(ctx); !errors.Is(err, ErrLockLost) {
		t.Errorf("the broken holder's check: %v, want ErrLockLost", err)
	}
	r2.release(ctx)
	if err := r3.check(ctx); err != nil {
		t.Errorf("the old holder's release dropped its successor's lock: %v", err)
	}
	if _, err := acquire(ctx, b, part, time.Minute, 10*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Errorf("a third integrator took the partition while the second holds it: %v", err)
	}
	r3.release(ctx)
	// Nothing is left behind: no lock, no break marker.
	if keys := listAll(t, b, LockPrefix); len(keys) != 0 {
		t.Errorf("left behind: %v", keys)
	}
	// A lock written before tokens (its expiry alone) is still broken.
	b.WriteAll(ctx, lockKey(part), []byte(time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)), nil)
	if l, err := acquire(ctx, b, part, time.Minute, 0); err != nil {
		t.Errorf("an expired lock of the old form: %v", err)
	} else {
		l.release(ctx)
	}
}

// TestLockTornAfterCrash: local locks are not synced, so a crash of the
// operating system may leave one empty or torn. Its holder died with the
// system: the next integrator breaks it at once instead of waiting for
// it forever, and a live lock is never mistaken for one.
func TestLockTornAfterCrash(t *testing.T) {
	ctx := context.Background()
	const part = "readings/reading_type=kw/year=2024/month=03/day=01/hour=10/"
	b, err := blob.OpenBucket(ctx, "file://"+t.TempDir()+"?metadata=skip")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, torn := range []string{"", "2024-03-01T1", "\x00\x00\x00"} {
		if err := b.WriteAll(ctx, lockKey(part), []byte(torn), nil); err != nil {
			t.Fatal(err)
		}
		l, err := acquire(ctx, b, part, time.Minute, 0)
		if err != nil {
			t.Fatalf("a torn lock %q: %v", torn, err)
		}
		if _, err := acquire(ctx, b, part, time.Minute, 20*time.Millisecond); !errors.Is(err, ErrLocked) {
			t.Errorf("the lock that replaced a torn one: %v, want ErrLocked", err)
		}
		l.release(ctx)
	}
}

// TestLockBreakRace: integrators that find one expired lock at once break
// it once; never do two of them hold the partition together.
func TestLockBreakRace(t *testing.T) {
	ctx := context.Background()
	const part = "readings/reading_type=kw/year=2024/month=03/day=01/hour=10/"
	trials := 400
	if testing.Short() {
		trials = 100
	}
	for range trials {
		b := memblob.OpenBucket(nil)
		b.WriteAll(ctx, lockKey(part), []byte(time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)+" dead"), nil)
		var holders, most atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 4 {
			wg.Go(func() {
				<-start
				l, err := acquire(ctx, b, part, time.Minute, 0)
				if err != nil {
					return
				}
				n := holders.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(time.Millisecond) // compacting
				holders.Add(-1)
				l.release(ctx)
			})
		}
		close(start)
		wg.Wait()
		b.Close()
		if most.Load() > 1 {
			t.Fatalf("%d integrators held one partition at once", most.Load())
		}
	}
}

func listAll(t *testing.T, b *blob.Bucket, prefix string) []string {
	t.Helper()
	var keys []string
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(context.Background())
		if err == io.EOF {
			return keys
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, o.Key)
	}
}

func TestWatermarkOnlyAdvances(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	t1 := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	for _, ts := range []time.Time{t1, t1.Add(-time.Hour), t1.Add(time.Hour)} {
		if err := advanceWatermark(ctx, b, ts); err != nil {
			t.Fatal(err)
		}
	}
	w, err := ReadWatermark(ctx, b)
	if err != nil || !w.MaxReadingTime.Equal(t1.Add(time.Hour)) {
		t.Fatalf("watermark %v, %v", w, err)
	}
}

func TestIntegrateResolvesLinesAndForgets(t *testing.T) {
	ctx := context.Background()
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	h := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	k := partition.Key{Type: meter.TypeKW, Hour: h}
	rd := func(m string, v float64) meter.Reading {
		return meter.Reading{MeterID: m, Type: meter.TypeKW, Value: v, Time: h.Add(15 * time.Minute), Source: "B", Arrival: h.Add(16 * time.Minute), Quality: meter.QualityActual}
	}
	// Two ranges of one source: range 0 has 10 lines, range 1 a bad line
	// at its 3rd line, which is the file's 13th.
	for i, reads := range [][]meter.Reading{{rd("a", 1)}, {rd("b", 2)}} {
		msg := ranges.Message{Bucket: "in", Key: "f.csv", SourceID: "s1", Source: "f.csv", Size: 100, Ranges: 2,
			Range: ranges.Range{Index: i, Start: int64(i * 50), End: int64(i*50 + 50)}}
		info, err := partition.WriteFile(ctx, lake, k, OutputName("s1", i), reads, &partition.WriterOptions{Root: Prefix, Dedup: true})
		if err != nil {
			t.Fatal(err)
		}
		c := &Commit{Message: msg, Records: 10, Files: []File{{Key: info.Path, Partition: k.Path(), Reads: 1, MaxTime: info.MaxTime, Verbatim: true}}}
		if i == 1 {
			c.Errors = ErrorsKey("s1", 1)
			if err := WriteBadLines(ctx, lake, c.Errors, []BadLine{{SourceID: "s1", RangeLine: 3, Range: 1, Reason: "bad"}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := WriteCommit(ctx, lake, c); err != nil {
			t.Fatal(err)
		}
	}
	// A partial run (a late handler) compacts but forgets nothing.
	pst, err := Integrate(ctx, lake, &IntegrateOptions{Partitions: []partition.Key{k}})
	if err != nil {
		t.Fatal(err)
	}
	if pst.Staged != 2 || pst.Added != 2 || pst.Duplicates != 0 {
		t.Errorf("partial run: %+v, want 2 reads staged and added", pst)
	}
	if cs, _ := ListCommits(ctx, lake, ""); len(cs) != 2 {
		t.Fatalf("partial run forgot commits: %d left", len(cs))
	}
	if s, err := ReadSource(ctx, lake, "s1"); s != nil || err != nil {
		t.Fatalf("source recorded as integrated by a partial run: %+v, %v", s, err)
	}
	st, err := Integrate(ctx, lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The full run merges the lake's copies of the staged reads again:
	// they are duplicates, and nothing is added.
	if st.Commits != 2 || st.Sources != 1 || st.Reads != 2 || len(st.Compacted) != 1 || st.Staged != 2 || st.Added != 0 || st.Duplicates != 2 {
		t.Errorf("stats %+v", st)
	}
	src, err := ReadSource(ctx, lake, "s1")
	if err != nil || src == nil {
		t.Fatalf("no record of the integrated source: %v", err)
	}
	if src.Source != "f.csv" || src.Ranges != 2 || src.Size != 100 || src.Integrated.IsZero() {
		t.Errorf("source record %+v", src)
	}
	if err := ForgetSource(ctx, lake, "s1"); err != nil {
		t.Fatal(err)
	}
	if src, err := ReadSource(ctx, lake, "s1"); src != nil || err != nil {
		t.Errorf("after ForgetSource: %+v, %v", src, err)
	}
	if cs, _ := ListCommits(ctx, lake, ""); len(cs) != 0 {
		t.Errorf("%d commits left after the source completed", len(cs))
	}
	bad, err := ReadBadLines(ctx, lake, ErrorsKey("s1", 1))
	if err != nil || len(bad) != 1 || bad[0].Line != 13 {
		t.Errorf("quarantine after integration: %+v, %v", bad, err)
	}
	got, _, err := partition.ReadAll(ctx, lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]meter.Reading{rd("a", 1), rd("b", 2)}, got); diff != "" {
		t.Errorf("lake (-want +got):\n%s", diff)
	}
	w, _ := ReadWatermark(ctx, lake)
	if !w.MaxReadingTime.Equal(h.Add(15 * time.Minute)) {
		t.Errorf("watermark %v", w)
	}
}
