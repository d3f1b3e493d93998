package staging

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// URLs
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
)

const lockPart = "readings/reading_type=kw/year=2024/month=03/day=01/hour=10/"

// TestLockPrefixedFileblob: on a local bucket opened with a prefix that is
// not a directory (?prefix=tenant-a-), locks are where the bucket reads
// them: taken, checked, released, and waited for.
func TestLockPrefixedFileblob(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, err := blob.OpenBucket(ctx, "file://"+dir+"?prefix=tenant-a-")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	l, err := acquire(ctx, b, lockPart, time.Minute, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.check(ctx); err != nil {
		t.Errorf("check right after acquire: %v", err)
	}
	l.release(ctx)
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	l2, err := acquire(cctx, b, lockPart, time.Minute, 50*time.Millisecond)
	if err != nil {
		t.Errorf("re-acquire after release: %v after %v", err, time.Since(start))
		return
	}
	l2.release(ctx)
}

// TestLockLocalExpiryRace: goroutines of one process acquiring while
// another process holds the lock (run with -race).
func TestLockLocalExpiryRace(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	other := memblob.OpenBucket(nil)
	_ = other
	// a foreign holder: another process's lock, fresh
	key := lockKey(lockPart)
	b.WriteAll(ctx, key, []byte(time.Now().Add(time.Minute).UTC().Format(time.RFC3339Nano)+" abc"), nil)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			_, err := acquire(ctx, b, lockPart, time.Minute, 200*time.Millisecond)
			if !errors.Is(err, ErrLocked) {
				t.Errorf("acquire: %v", err)
			}
		})
	}
	wg.Wait()
}

// TestIntegratePrefixedFileblob: the same lake integrates its partition at
// once, and the next run finds nothing left.
func TestIntegratePrefixedFileblob(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lake, err := blob.OpenBucket(ctx, "file://"+dir+"?prefix=tenant-a-")
	if err != nil {
		t.Fatal(err)
	}
	defer lake.Close()
	live := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	k := partition.Key{Type: meter.TypeKW, Hour: live}
	r := meter.Reading{MeterID: "m", Type: meter.TypeKW, Value: 1, Time: live, Source: "B", Arrival: live, Quality: meter.QualityActual}
	info, err := partition.WriteFile(ctx, lake, k, OutputName("a", 0), []meter.Reading{r}, &partition.WriterOptions{Root: Prefix, Dedup: true})
	if err != nil {
		t.Fatal(err)
	}
	c := &Commit{Message: ranges.Message{SourceID: "a", Ranges: 1, Range: ranges.Range{End: 10}, Size: 10}, Reads: 1,
		Files: []File{{Key: info.Path, Partition: k.Path(), Reads: 1, MinTime: info.MinTime, MaxTime: info.MaxTime, Verbatim: true}}}
	if err := WriteCommit(ctx, lake, c); err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		start := time.Now()
		st, err := Integrate(cctx, lake, &IntegrateOptions{LockWait: 100 * time.Millisecond})
		cancel()
		t.Logf("run %d after %v: partitions %d locked %d commits %d err %v", run, time.Since(start).Round(time.Millisecond), st.Partitions, st.Locked, st.Commits, err)
		if err != nil || st.Locked != 0 || st.Partitions != 1-run || time.Since(start) > 2*time.Second {
			t.Errorf("run %d: want the partition integrated by the first run, nothing left for the second", run)
		}
	}
}
