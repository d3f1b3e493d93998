package partition

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"gocloud.dev/blob"
)

// Listing holds what directory listings said of the data files of some
// partitions (see ListPartitions). Compact takes it for a listing of its
// own when it still holds (see CompactOptions.Listing).
type Listing struct {
	files map[Key][]string
}

// Files returns the data files of partition k as listed, sorted, and
// whether a listing covered k. It is safe for concurrent use, and on a nil
// Listing (which covers nothing).
func (l *Listing) Files(k Key) ([]string, bool) {
	if l == nil {
		return nil, false
	}
	paths, ok := l.files[k]
	return paths, ok
}

// A month directory is listed whole for at least monthListMin of the
// partitions asked for, a day directory for at least dayListMin: an eighth
// of their hours (744 and 24), so that, with one file a partition as
// Compact leaves them, a listing returns at most eight entries a partition
// asked for, in one request where each partition took one.
const (
	monthListMin = 93
	dayListMin   = 3
)

// ListPartitions lists the data files of the partitions keys with one
// listing per month or day directory that holds many of them (see
// monthListMin), rather than one per partition: a household's export of
// years touches tens of thousands of hourly partitions, and memblob sorts
// every key of the bucket on every listing, which made a listing per
// partition quadratic (90% of an ingest of 11,161 partitions). Partitions
// too sparse for a shared listing, and those of a directory whose listing
// failed, are left out of the Listing, for their Compact to list; only a
// cancelled ctx fails it.
func ListPartitions(ctx context.Context, b *blob.Bucket, keys []Key) (*Listing, error) {
	l := &Listing{files: make(map[Key][]string)}
	months, byMonth := groupKeys(keys, monthDir)
	for _, m := range months {
		ks := byMonth[m]
		if len(ks) >= monthListMin {
			if err := l.tryList(ctx, b, m, ks); err != nil {
				return nil, err
			}
			continue
		}
		days, byDay := groupKeys(ks, dayDir)
		for _, d := range days {
			if len(byDay[d]) < dayListMin {
				continue
			}
			if err := l.tryList(ctx, b, d, byDay[d]); err != nil {
				return nil, err
			}
		}
	}
	return l, nil
}

// groupKeys groups keys by the directory dirOf cuts from their path, and
// returns the directories sorted.
func groupKeys(keys []Key, dirOf func(path string) string) ([]string, map[string][]Key) {
	by := make(map[string][]Key)
	var dirs []string
	for _, k := range keys {
		d := dirOf(k.Path())
		if by[d] == nil {
			dirs = append(dirs, d)
		}
		by[d] = append(by[d], k)
	}
	slices.Sort(dirs)
	return dirs, by
}

// tryList lists prefix for keys, or leaves them uncovered if the listing
// fails; only a cancelled ctx is an error.
func (l *Listing) tryList(ctx context.Context, b *blob.Bucket, prefix string, keys []Key) error {
	if err := l.list(ctx, b, prefix, keys); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		l.uncover(keys)
	}
	return nil
}

// uncover leaves keys out of the Listing, for their Compact to list under
// its lock. A shared listing is an optimisation and must not fail a run:
// on a local lake, another integrator's temporary file renamed away
// between reading a directory and its lstat fails the walk of a day
// where each partition's own listing, under its lock, sees no writer.
func (l *Listing) uncover(keys []Key) {
	for _, k := range keys {
		delete(l.files, k)
	}
}

// list lists everything under prefix once and records the data files of
// the partitions keys, all under prefix.
func (l *Listing) list(ctx context.Context, b *blob.Bucket, prefix string, keys []Key) error {
	want := make(map[string]Key, len(keys))
	for _, k := range keys {
		want[k.Path()] = k
		l.files[k] = nil // covered, with no file until one is listed
	}
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("partition: listing %s: %w", prefix, err)
		}
		i := strings.LastIndexByte(obj.Key, '/')
		k, ok := want[obj.Key[:i+1]]
		if !ok || obj.IsDir || !dataFileName(obj.Key[i+1:]) {
			continue
		}
		l.files[k] = append(l.files[k], obj.Key)
	}
	for _, k := range keys {
		slices.Sort(l.files[k])
	}
	return nil
}

// monthDir and dayDir cut a partition path ("readings/reading_type=kw/
// year=2024/month=03/day=01/hour=10/") after its month and its day.
func monthDir(path string) string { return path[:strings.Index(path, "/day=")+1] }
func dayDir(path string) string   { return path[:strings.Index(path, "/hour=")+1] }
