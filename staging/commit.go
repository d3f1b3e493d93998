package staging

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/openmda/mda/ranges"
)

// Layout of the staging area in the lake bucket.
const (
	// Prefix is the root of staged Parquet files; below it the layout is
	// the lake's (readings/reading_type=...).
	Prefix = "staging/"
	// CommitPrefix holds one Commit per processed range.
	CommitPrefix = "staging/_commits/"
	// LockPrefix holds partition locks.
	LockPrefix = "staging/_locks/"
	// WatermarkKey holds the Watermark.
	WatermarkKey = "staging/_state/watermark.json"
	// SourcesPrefix holds one [Source] record per fully integrated source.
	SourcesPrefix = "staging/_sources/"
)

// Commit records that one range's output is durable. A worker writes it
// last, and acknowledges its message only after.
type Commit struct {
	// Message is the range's work message: its source, byte range and
	// format.
	Message ranges.Message `json:"message"`
	// Files are the staged Parquet files, one per partition.
	Files []File `json:"files"`
	// Errors is the key of the range's quarantine file, if it had bad lines.
	Errors string `json:"errors,omitempty"`
	// Records counts every line of the range (for line numbering), Lines
	// the data lines, Reads the reads staged, Quarantined the bad lines
	// and Late the reads found late. Duplicates counts the reads the
	// range held more than once (same meter, type and time), which its
	// staged files keep once (partition.WriterOptions.Dedup).
	Records, Lines, Reads, Quarantined, Late int64
	Duplicates                               int64 `json:",omitempty"`
	// Redelivery marks a range processed again after it (or its whole
	// source) had been integrated: its reads are already in the lake, so
	// none of them is late (Late is 0 and no late event is sent).
	Redelivery bool `json:"redelivery,omitempty"`
	// Backfill marks a range of history (a backfill: an older period
	// loaded on purpose): its reads were not checked for lateness (Late
	// is 0 and no late event is sent), and integrating it does not move
	// the watermark (see Integrate).
	Backfill bool `json:"backfill,omitempty"`
	// Committed is when the worker finished.
	Committed time.Time `json:"committed"`
	// Integrated is set once Integrate consumed the files; the commit is
	// kept, without its files, until every range of its source is
	// integrated, so that quarantined lines can get absolute numbers.
	Integrated bool `json:"integrated,omitempty"`
}

func (c *Commit) integrated() bool { return c.Integrated }

// File is one staged Parquet file.
type File struct {
	Key string `json:"key"` // the file's key in the lake bucket, under Prefix
	// Partition is the partition's path, readings/reading_type=.../hour=HH/.
	Partition string `json:"partition"`
	Reads     int64  `json:"reads"` // reads in the file
	// Bytes is the file's size as written; 0 in commits written before
	// it was kept. Integration trusts Reads, MinTime and MaxTime instead
	// of the file's footer only while the file still has this size.
	Bytes   int64     `json:"bytes,omitempty"`
	Late    int64     `json:"late"`     // of them, the reads found late
	MinTime time.Time `json:"min_time"` // earliest reading time in the file
	MaxTime time.Time `json:"max_time"` // latest reading time in the file
	// Verbatim marks a file that is sorted, de-duplicated and written with
	// the lake's options, which integration may copy as it is.
	Verbatim bool `json:"verbatim,omitempty"`
	// LateMin and LateMax bound the times of the late reads, if any.
	LateMin time.Time `json:"late_min,omitzero"`
	LateMax time.Time `json:"late_max,omitzero"`
}

// CommitKey is where the commit of one range is kept.
func CommitKey(sourceID string, rangeIndex int) string {
	return fmt.Sprintf("%ssource=%s/%05d.json", CommitPrefix, sourceID, rangeIndex)
}

// OutputName is the file stem of everything one range writes.
func OutputName(sourceID string, rangeIndex int) string {
	return fmt.Sprintf("%s-%05d", sourceID, rangeIndex)
}

// WriteCommit writes c; call it only when every file it names is durable.
func WriteCommit(ctx context.Context, lake *blob.Bucket, c *Commit) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	key := CommitKey(c.Message.SourceID, c.Message.Range.Index)
	if err := lake.WriteAll(ctx, key, b, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return fmt.Errorf("staging: write commit %s: %w", key, err)
	}
	return nil
}

// ReadCommit returns the commit of one range, or nil if there is none.
func ReadCommit(ctx context.Context, lake *blob.Bucket, sourceID string, rangeIndex int) (*Commit, error) {
	key := CommitKey(sourceID, rangeIndex)
	b, err := lake.ReadAll(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("staging: read commit %s: %w", key, err)
	}
	var c Commit
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("staging: commit %s: %w", key, err)
	}
	return &c, nil
}

// ListCommits returns every commit in the lake, by source and range. If
// sourceID is not empty, only that source's.
func ListCommits(ctx context.Context, lake *blob.Bucket, sourceID string) ([]Commit, error) {
	keys, err := commitKeys(ctx, lake, sourceID)
	if err != nil {
		return nil, err
	}
	return readCommits(ctx, lake, keys)
}

// CommittedSource returns the commits of a source of n ranges if every
// range, 0 to n-1, has one (integrated or not), sorted by range, and nil
// if some range has none yet; it reads no commit then, so that asking is
// one listing. The lake's listing is strongly consistent (S3, GCS,
// Azure, local files): of several ranges that commit at about the same
// time, each lists after its own commit is durable, so the one whose
// commit completes last lists them all (more than one may), provided its
// listing and reading succeed. A commit that vanishes between the listing
// and the reading was consumed by an integration that completed the
// source: then there is nothing left to announce, and the result is nil.
func CommittedSource(ctx context.Context, lake *blob.Bucket, sourceID string, n int) ([]Commit, error) {
	if sourceID == "" || n <= 0 {
		return nil, fmt.Errorf("staging: committed source %q of %d ranges", sourceID, n)
	}
	keys, err := commitKeys(ctx, lake, sourceID)
	for try := 0; try < 3 && gcerrors.Code(err) == gcerrors.NotFound; try++ {
		// On a local bucket a commit being written is a temporary file
		// beside the others, which the listing may see and find gone
		// by the time it looks at it: list again.
		keys, err = commitKeys(ctx, lake, sourceID)
	}
	if err != nil {
		return nil, err
	}
	var mine []string
	for _, k := range keys {
		i, err := strconv.Atoi(strings.TrimSuffix(k[strings.LastIndexByte(k, '/')+1:], ".json"))
		if err == nil && i >= 0 && i < n && k == CommitKey(sourceID, i) {
			mine = append(mine, k)
		}
	}
	if len(mine) < n {
		return nil, nil
	}
	cs, err := readCommits(ctx, lake, mine)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, nil
	}
	return cs, err
}

// commitKeys lists the keys of the commits of a source, or of every
// source if sourceID is "".
func commitKeys(ctx context.Context, lake *blob.Bucket, sourceID string) ([]string, error) {
	prefix := CommitPrefix
	if sourceID != "" {
		prefix += "source=" + sourceID + "/"
	}
	it := lake.List(&blob.ListOptions{Prefix: prefix})
	var keys []string
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return keys, nil
		}
		if err != nil {
			return nil, fmt.Errorf("staging: list commits: %w", err)
		}
		if !obj.IsDir && strings.HasSuffix(obj.Key, ".json") {
			keys = append(keys, obj.Key)
		}
	}
}

// readCommits reads commits, a few at a time (a source of 150 ranges is
// 150 small GETs on S3), sorted by source and range.
func readCommits(ctx context.Context, lake *blob.Bucket, keys []string) ([]Commit, error) {
	out := make([]Commit, len(keys))
	errs := make([]error, len(keys))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, key := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			b, err := lake.ReadAll(ctx, key)
			if err != nil {
				errs[i] = fmt.Errorf("staging: read commit %s: %w", key, err)
				return
			}
			if err := json.Unmarshal(b, &out[i]); err != nil {
				errs[i] = fmt.Errorf("staging: commit %s: %w", key, err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Commit) int {
		if c := strings.Compare(a.Message.SourceID, b.Message.SourceID); c != 0 {
			return c
		}
		return a.Message.Range.Index - b.Message.Range.Index
	})
	return out, nil
}

// Discard deletes everything staged for a source: files, quarantine files
// and commits (the commits last). Use it to abandon a source, e.g. when a
// strict ingest fails.
func Discard(ctx context.Context, lake *blob.Bucket, sourceID string) error {
	commits, err := ListCommits(ctx, lake, sourceID)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range commits {
		for _, f := range c.Files {
			errs = append(errs, deleteIfExists(ctx, lake, f.Key))
		}
		if c.Errors != "" {
			errs = append(errs, deleteIfExists(ctx, lake, c.Errors))
		}
		errs = append(errs, deleteIfExists(ctx, lake, CommitKey(c.Message.SourceID, c.Message.Range.Index)))
	}
	return errors.Join(errs...)
}
