package staging

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/openmda/mda/partition"
)

// IntegrateOptions configures Integrate. Nil means the defaults.
type IntegrateOptions struct {
	// Partitions, if not empty, restricts the run to these partitions (the
	// late-read handler re-integrates exactly the partitions a late batch
	// touched). Such a run compacts but deletes nothing: the next full run
	// consumes the staging files, idempotently.
	Partitions []partition.Key
	// Writer configures the compacted files.
	Writer *partition.WriterOptions
	// Concurrency bounds the partitions merged at once, which hold their
	// reads in memory; default 4.
	Concurrency int
	// CopyConcurrency bounds the partitions copied at once: new partitions
	// (as a listing made before the run says) of one verbatim staged file.
	// A copy holds no reads, and on an object store is a dozen round trips
	// (lock, check, copy, release): four at a time integrated 47 small
	// partitions a second on an S3 whose requests took 5 ms, 32 at a time
	// 120-173 (BenchmarkIntegrateManySmallPartitions). Default 32.
	CopyConcurrency int
	// LockTTL is how long a partition lock holds before another integrator
	// may break it; default 10 minutes. LockWait is how long to wait for
	// a held lock before giving up on the partition for this run; default
	// 1 minute.
	LockTTL, LockWait time.Duration
	// AfterCompact, if set, is called after a partition's compacted file is
	// durable and before anything is deleted; an error aborts the run
	// there. Tests use it to inject a crash.
	AfterCompact func(partition.FileInfo) error
	// Register, if set, is called with the partitions compacted, before
	// any staging file is deleted, e.g. to add them to a catalog
	// (catalog.RegisterReadings). If it fails, the run fails and the next
	// run compacts and registers again.
	Register func(ctx context.Context, keys []partition.Key) error
	// Progress, if set, is called after each partition with the counts so far.
	Progress func(done, total int)
	// Logger receives warnings; nil discards them.
	Logger *slog.Logger
}

// IntegrateStats reports an Integrate run.
type IntegrateStats struct {
	// Commits counts the range commits integrated, Files the staging files
	// merged, Partitions the partitions compacted.
	Commits, Files, Partitions int
	// Inputs counts reads read (lake and staging), Duplicates those
	// dropped, Reads those now in the compacted partitions.
	Inputs, Duplicates, Reads int64
	// Staged counts the reads of the staging files merged (as their
	// commits say), Added the reads the partitions gained: Reads less what
	// they held before. Staged - Added are the staged reads that did not
	// add a read to the lake: copies of reads staged in other files or
	// already in the lake (Duplicates also counts, for a partition that a
	// late-read handler re-integrated earlier, the lake's copies of the
	// staged reads it merged then). A staged file consumed by an earlier
	// run that crashed before it could forget the file counts as added
	// by the run that completes its commit.
	Staged, Added int64
	// PartitionAdded holds Added by partition directory (Key.Path).
	PartitionAdded map[string]int64
	// Bytes is the size of the compacted files.
	Bytes int64
	// Compacted lists the partitions compacted, in key order.
	Compacted []partition.Key
	// Locked counts partitions skipped because another integrator held
	// them; their staging files wait for the next run.
	Locked int
	// Sources counts sources completed (every range integrated and their
	// quarantine line numbers resolved).
	Sources int
	Elapsed time.Duration // wall-clock time of the run
}

// Watermark is the integrator's persistent state: the latest reading time
// it has integrated from the live feed. The late-read policy compares
// reads with it.
//
// Ranges of a backfill (Commit.Backfill) are integrated like any other but
// do not raise it. The watermark stands for how far the live feed has
// come: a read well behind it lands in a partition that was integrated
// and possibly queried already, and is announced as late so that its
// partition is re-integrated at once. History is loaded on purpose, out of
// that order. Raised by a backfill, the watermark could jump ahead of the
// feed (a household's export that runs to today, while the head-end's
// files arrive a few hours behind; an export with a wrong clock or year),
// and then every read of the feed's next files would be late: the flood
// of events that backfill mode exists to prevent, moved onto the live
// data. Left alone, it costs at most this: a feed read that lands behind
// a backfilled period by more than the grace, but not behind the feed's
// own watermark, is not announced, and reaches the lake at the next full
// integration instead of at once; nothing is lost, since integration
// merges every committed range whether late or not. Backfilling an older
// period, the usual case, leaves the watermark where it is either way.
type Watermark struct {
	MaxReadingTime time.Time `json:"max_reading_time"` // UTC; zero until an integration of live data raises it
}

// ReadWatermark returns the lake's watermark (zero if none yet).
func ReadWatermark(ctx context.Context, lake *blob.Bucket) (Watermark, error) {
	var w Watermark
	b, err := lake.ReadAll(ctx, WatermarkKey)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return w, nil
	}
	if err != nil {
		return w, fmt.Errorf("staging: read watermark: %w", err)
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return w, fmt.Errorf("staging: watermark: %w", err)
	}
	return w, nil
}

// advanceWatermark raises the watermark to t. A lost race between two
// integrators can only leave it lower than it could be, which makes the
// late policy flag fewer reads; it never loses reads.
func advanceWatermark(ctx context.Context, lake *blob.Bucket, t time.Time) error {
	w, err := ReadWatermark(ctx, lake)
	if err != nil {
		return err
	}
	if !t.After(w.MaxReadingTime) {
		return nil
	}
	w.MaxReadingTime = t.UTC()
	b, _ := json.Marshal(w)
	return lake.WriteAll(ctx, WatermarkKey, b, &blob.WriterOptions{ContentType: "application/json"})
}

// Integrate merges committed staging files into the lake's partitions.
// See the package documentation for why this loses and doubles nothing.
func Integrate(ctx context.Context, lake *blob.Bucket, opts *IntegrateOptions) (IntegrateStats, error) {
	start := time.Now()
	var st IntegrateStats
	o := IntegrateOptions{}
	if opts != nil {
		o = *opts
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.CopyConcurrency <= 0 {
		o.CopyConcurrency = 32
	}
	if o.LockTTL <= 0 {
		o.LockTTL = 10 * time.Minute
	}
	if o.LockWait <= 0 {
		o.LockWait = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	only := make(map[string]bool)
	for _, k := range o.Partitions {
		only[k.Path()] = true
	}
	partial := len(only) > 0

	commits, err := ListCommits(ctx, lake, "")
	if err != nil {
		return st, err
	}
	// Group the committed staging files by partition.
	byPart := make(map[string][]partition.Source)
	stagedRows := make(map[string]int64)
	var maxTime time.Time
	for _, c := range commits {
		if c.integrated() {
			continue
		}
		for _, f := range c.Files {
			if partial && !only[f.Partition] {
				continue
			}
			// The commit says what the file holds: a verbatim copy need
			// not read its footer for it.
			byPart[f.Partition] = append(byPart[f.Partition], partition.Source{Bucket: lake, Key: f.Key, Verbatim: f.Verbatim,
				Rows: f.Reads, Bytes: f.Bytes, MinTime: f.MinTime, MaxTime: f.MaxTime})
			stagedRows[f.Partition] += f.Reads
			// A backfill does not move the watermark: see Watermark.
			if !c.Backfill && f.MaxTime.After(maxTime) {
				maxTime = f.MaxTime
			}
		}
	}
	parts := make([]string, 0, len(byPart))
	for p := range byPart {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	keys := make([]partition.Key, len(parts))
	for i, p := range parts {
		if keys[i], err = partition.ParseKey(p); err != nil {
			return st, fmt.Errorf("staging: commit names partition %q: %w", p, err)
		}
	}
	// One listing per month or day of many partitions, not one per
	// partition: each Compact checks, under its lock, that it still holds.
	listing, err := partition.ListPartitions(ctx, lake, keys)
	if err != nil {
		return st, fmt.Errorf("staging: integrate: %w", err)
	}

	// Compact the partitions, a few merges and more copies at a time. A
	// partition that the listing found empty and gets one verbatim file
	// will most likely be copied; if it is merged after all (another
	// integrator filled it meanwhile), it is one of a few.
	var (
		mu       sync.Mutex
		done     = make(map[string]bool)
		errs     []error
		wg       sync.WaitGroup
		mergeSem = make(chan struct{}, o.Concurrency)
		copySem  = make(chan struct{}, o.CopyConcurrency)
		finish   int
	)
	for i, p := range parts {
		k := keys[i]
		sem := mergeSem
		if files, ok := listing.Files(k); ok && len(files) == 0 && len(byPart[p]) == 1 && byPart[p][0].Verbatim {
			sem = copySem
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cst, err := compactLocked(ctx, lake, k, byPart[p], listing, &o)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrLocked), errors.Is(err, ErrLockLost):
				// Another integrator has the partition (or took it over
				// from this one, which stopped before writing): its staged
				// files stay for the next run.
				st.Locked++
				o.Logger.Warn("partition locked; left for the next run", "partition", p, "err", err)
			case err != nil:
				errs = append(errs, fmt.Errorf("staging: integrate %s: %w", p, err))
			default:
				done[p] = true
				st.Compacted = append(st.Compacted, k)
				st.Partitions++
				st.Files += len(byPart[p])
				st.Inputs += cst.Inputs
				st.Duplicates += cst.Duplicates
				st.Reads += cst.Reads
				st.Bytes += cst.File.Bytes
				// The partition held Inputs less the staged reads before.
				st.Staged += stagedRows[p]
				st.Added += cst.Reads - (cst.Inputs - stagedRows[p])
				if st.PartitionAdded == nil {
					st.PartitionAdded = map[string]int64{}
				}
				st.PartitionAdded[p] = cst.Reads - (cst.Inputs - stagedRows[p])
			}
			finish++
			if o.Progress != nil {
				o.Progress(finish, len(parts))
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return st, errors.Join(errs...)
	}
	slices.SortFunc(st.Compacted, partition.Key.Compare)
	if o.Register != nil && len(st.Compacted) > 0 {
		if err := o.Register(ctx, st.Compacted); err != nil {
			return st, fmt.Errorf("staging: register partitions: %w", err)
		}
	}
	if partial {
		st.Elapsed = time.Since(start)
		return st, nil
	}
	if !maxTime.IsZero() && st.Locked == 0 {
		if err := advanceWatermark(ctx, lake, maxTime); err != nil {
			return st, err
		}
	}
	// Forget what was consumed: staging files, then the commit, which is
	// kept in a small "integrated" form until its source is complete, for
	// line numbering.
	for i := range commits {
		c := &commits[i]
		if c.integrated() {
			continue
		}
		all := true
		for _, f := range c.Files {
			all = all && done[f.Partition]
		}
		if !all {
			continue
		}
		if err := deleteFiles(ctx, lake, c.Files); err != nil {
			return st, err
		}
		c.Files = nil
		c.Integrated = true
		if err := WriteCommit(ctx, lake, c); err != nil {
			return st, err
		}
		st.Commits++
	}
	n, err := completeSources(ctx, lake, commits)
	st.Sources = n
	st.Elapsed = time.Since(start)
	return st, err
}

// deleteConcurrency bounds the staging files deleted at once: a delete
// is a round trip on an object store, and a household's export stages
// tens of thousands of files in one commit.
const deleteConcurrency = 16

// deleteFiles deletes staging files, a few at a time, and returns the
// first error.
func deleteFiles(ctx context.Context, lake *blob.Bucket, files []File) error {
	var (
		wg   sync.WaitGroup
		once sync.Once
		ferr error
		sem  = make(chan struct{}, deleteConcurrency)
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := deleteIfExists(ctx, lake, f.Key); err != nil {
				once.Do(func() {
					ferr = fmt.Errorf("staging: delete %s: %w", f.Key, err)
					cancel()
				})
			}
		})
	}
	wg.Wait()
	if ferr == nil {
		ferr = ctx.Err()
	}
	return ferr
}

func compactLocked(ctx context.Context, lake *blob.Bucket, k partition.Key, sources []partition.Source, listing *partition.Listing, o *IntegrateOptions) (partition.CompactStats, error) {
	l, err := acquire(ctx, lake, k.Path(), o.LockTTL, o.LockWait)
	if err != nil {
		return partition.CompactStats{}, err
	}
	defer l.release(ctx)
	// The fence: a holder whose lock expired and was broken (a process
	// paused past LockTTL) must not overwrite what the new holder writes.
	return partition.Compact(ctx, lake, k, sources, &partition.CompactOptions{Writer: o.Writer, AfterWrite: o.AfterCompact,
		BeforeWrite: func() error { return l.check(ctx) }, Listing: listing})
}

// completeSources resolves the quarantine line numbers of every source
// whose ranges are all integrated, records the source as integrated (see
// Source), then deletes its commits.
func completeSources(ctx context.Context, lake *blob.Bucket, commits []Commit) (int, error) {
	bySource := make(map[string][]*Commit)
	for i := range commits {
		c := &commits[i]
		bySource[c.Message.SourceID] = append(bySource[c.Message.SourceID], c)
	}
	n := 0
	for _, cs := range bySource {
		want := cs[0].Message.Ranges
		if len(cs) != want {
			continue
		}
		complete := true
		for i, c := range cs { // sorted by range index
			complete = complete && c.integrated() && c.Message.Range.Index == i
		}
		if !complete {
			continue
		}
		var base int64
		for _, c := range cs {
			if c.Errors != "" && c.Message.Range.Index > 0 {
				if err := resolveLines(ctx, lake, c.Errors, base); err != nil {
					return n, err
				}
			}
			base += c.Records
		}
		// The record of the source goes first: a crash before the commits
		// are gone leaves them, and the next run completes the source and
		// writes the record again.
		if err := writeSource(ctx, lake, cs); err != nil {
			return n, err
		}
		for _, c := range cs {
			if err := deleteIfExists(ctx, lake, CommitKey(c.Message.SourceID, c.Message.Range.Index)); err != nil {
				return n, err
			}
		}
		n++
	}
	return n, nil
}

// resolveLines sets Line = base + RangeLine in a quarantine file.
func resolveLines(ctx context.Context, lake *blob.Bucket, key string, base int64) error {
	bad, err := ReadBadLines(ctx, lake, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	for i := range bad {
		bad[i].Line = base + bad[i].RangeLine
	}
	return WriteBadLines(ctx, lake, key, bad)
}
