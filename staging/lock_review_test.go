package staging

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
)

// TestLockLeakedBreakMarker: a breaker (or a releasing holder) that dies
// between creating the break marker and deleting the lock leaves both
// behind. While the marker is fresh, another acquire waits its wait, with
// backoff, and gives up with ErrLocked; once the marker is stale it is
// removed and the expired lock broken.
func TestLockLeakedBreakMarker(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	const part = "readings/reading_type=kw/year=2024/month=03/day=01/hour=10/"
	l, err := acquire(ctx, b, part, time.Millisecond, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The holder's release crashed right after the marker's create.
	b.WriteAll(ctx, breakKey(l.key, l.content), []byte(time.Now().UTC().Format(time.RFC3339Nano)), nil)
	time.Sleep(5 * time.Millisecond)
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err = acquire(cctx, b, part, time.Minute, 50*time.Millisecond)
	if !errors.Is(err, ErrLocked) || time.Since(start) > time.Second {
		t.Errorf("acquire: %v after %v, want ErrLocked after ~50ms", err, time.Since(start))
	}
	b.WriteAll(ctx, breakKey(l.key, l.content), []byte(time.Now().Add(-2*markerTTL).UTC().Format(time.RFC3339Nano)), nil)
	l2, err := acquire(cctx, b, part, time.Minute, 50*time.Millisecond)
	if err != nil {
		t.Fatalf("a stale marker was not cleared: %v", err)
	}
	l2.release(ctx)
}

// TestLockFileblobRace: fileblob's IfNotExist is a Stat then a rename,
// which two writers can both pass; locks on a local bucket are hard links,
// and two integrators never hold one partition.
func TestLockFileblobRace(t *testing.T) {
	ctx := context.Background()
	const part = "readings/reading_type=kw/year=2024/month=03/day=01/hour=10/"
	both := 0
	trials := 300
	if testing.Short() {
		trials = 50
	}
	for range trials {
		// A bucket of its own per integrator, as separate processes have:
		// this process's lock table does not see across them.
		dir := t.TempDir()
		var holders, most atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 4 {
			b, err := fileblob.OpenBucket(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			wg.Go(func() {
				<-start
				l, err := acquire(ctx, b, part, time.Minute, 0)
				if err != nil {
					return
				}
				n := holders.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(time.Millisecond)
				holders.Add(-1)
				l.release(ctx)
			})
		}
		close(start)
		wg.Wait()
		if most.Load() > 1 {
			both++
		}
	}
	if both > 0 {
		t.Errorf("fileblob: in %d of %d trials two integrators held one partition", both, trials)
	}
}

// TestIntegrateLeakedBreakMarker: a partition whose expired lock and a
// garbled break marker were left by an integrator killed inside release
// is integrated by the next run, with the other partition, within its
// wait; nothing hangs.
func TestIntegrateLeakedBreakMarker(t *testing.T) {
	ctx := context.Background()
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	live := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	stage := func(id string, at time.Time) partition.Key {
		k := partition.Key{Type: meter.TypeKW, Hour: at.Truncate(time.Hour)}
		r := meter.Reading{MeterID: "m", Type: meter.TypeKW, Value: 1, Time: at, Source: "B", Arrival: at, Quality: meter.QualityActual}
		info, err := partition.WriteFile(ctx, lake, k, OutputName(id, 0), []meter.Reading{r}, &partition.WriterOptions{Root: Prefix, Dedup: true})
		if err != nil {
			t.Fatal(err)
		}
		c := &Commit{Message: ranges.Message{SourceID: id, Ranges: 1, Range: ranges.Range{End: 10}, Size: 10}, Reads: 1,
			Files: []File{{Key: info.Path, Partition: k.Path(), Reads: 1, MinTime: info.MinTime, MaxTime: info.MaxTime, Verbatim: true}}}
		if err := WriteCommit(ctx, lake, c); err != nil {
			t.Fatal(err)
		}
		return k
	}
	stage("a", live)
	k := stage("b", live.Add(time.Hour))
	l, err := acquire(ctx, lake, k.Path(), time.Millisecond, 0)
	if err != nil {
		t.Fatal(err)
	}
	lake.WriteAll(ctx, breakKey(l.key, l.content), []byte("x"), nil) // killed inside release
	time.Sleep(5 * time.Millisecond)
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	start := time.Now()
	st, err := Integrate(cctx, lake, &IntegrateOptions{LockWait: 100 * time.Millisecond})
	if err != nil || st.Locked != 0 || st.Partitions != 2 || time.Since(start) > 2*time.Second {
		t.Errorf("Integrate after %v: %+v, %v; want both partitions integrated", time.Since(start).Round(time.Millisecond), st, err)
	}
}

// TestLockFenceExpired: the fence refuses a lock that has expired, which
// another integrator may break at any moment.
func TestLockFenceExpired(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	l, err := acquire(ctx, b, "readings/reading_type=kw/year=2024/month=03/day=01/hour=10/", time.Millisecond, 0)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if err := l.check(ctx); !errors.Is(err, ErrLockLost) {
		t.Errorf("check of a lock that expired %v ago: %v, want ErrLockLost", 4*time.Millisecond, err)
	}
}
