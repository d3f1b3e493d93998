package query

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

// meterIndex is a cached list of meters.
type meterIndex struct {
	ids     []string // sorted
	hour    time.Time
	expires time.Time
}

// MeterList is the answer of Meters.
type MeterList struct {
	// IDs are the meter ids, sorted.
	IDs []string
	// Hour is the latest partition hour they were read from (zero if the
	// lake has no kW or kWh reads).
	Hour time.Time
}

// meterTypes are the reading types whose latest hour Meters lists: kW for
// meters that report demand (the guidance's HES), kWh for those that
// deliver interval energy (NEM12, Green Button, MRASCo).
var meterTypes = []meter.Type{meter.TypeKW, meter.TypeKWh}

// Meters returns the meters that reported in the latest hour of the lake's
// kW reads or in the latest hour of its kWh reads (the union, for a lake
// fed by both kinds of meter): it finds each latest partition by listing
// one directory per level (the latest year, month, day and hour) and reads
// it. The answer is kept for Options.MetersTTL. Meters that stopped
// reporting before that hour are not listed; use Reads for history.
func (l *Lake) Meters(ctx context.Context) (MeterList, error) {
	l.metersMu.Lock()
	defer l.metersMu.Unlock()
	now := time.Now()
	if ix := l.meters; ix != nil && now.Before(ix.expires) {
		return MeterList{IDs: ix.ids, Hour: ix.hour}, nil
	}
	ix := &meterIndex{expires: now.Add(l.opts.MetersTTL)}
	seen := make(map[string]struct{})
	for _, t := range meterTypes {
		hour, ok, err := latestHour(ctx, l.b, t)
		if err != nil {
			return MeterList{}, err
		}
		if !ok {
			continue
		}
		if hour.After(ix.hour) {
			ix.hour = hour
		}
		f := partition.Filter{Types: []meter.Type{t}, From: hour, To: hour.Add(time.Hour)}
		if _, err := partition.Scan(ctx, l.b, &f, func(rs []meter.Reading) error {
			for _, r := range rs {
				seen[r.MeterID] = struct{}{}
			}
			return nil
		}); err != nil {
			return MeterList{}, wrap(err)
		}
	}
	ix.ids = make([]string, 0, len(seen))
	for id := range seen {
		ix.ids = append(ix.ids, id)
	}
	slices.Sort(ix.ids)
	l.meters = ix
	return MeterList{IDs: ix.ids, Hour: ix.hour}, nil
}

// KnownMeter reports whether id is among Meters.
func (l *Lake) KnownMeter(ctx context.Context, id string) (bool, error) {
	ml, err := l.Meters(ctx)
	if err != nil {
		return false, err
	}
	_, found := slices.BinarySearch(ml.IDs, id)
	return found, nil
}

// LatestHour returns the latest partition hour of the reads of type t in
// lake b (the start of a UTC hour, whose reads are timed in [hour,
// hour+1h)), and false if there are none. It lists one directory per level
// (the latest year, month, day and hour), as Meters does; it reads no
// partition.
func LatestHour(ctx context.Context, b *blob.Bucket, t meter.Type) (time.Time, bool, error) {
	return latestHour(ctx, b, t)
}

// latestHour finds the latest partition hour of type t.
func latestHour(ctx context.Context, b *blob.Bucket, t meter.Type) (time.Time, bool, error) {
	prefix := partition.Prefix + "reading_type=" + string(t) + "/"
	var v [4]int
	for i, level := range [...]struct {
		name   string
		digits int
	}{{"year=", 4}, {"month=", 2}, {"day=", 2}, {"hour=", 2}} {
		dirs, err := partition.ListDirs(ctx, b, prefix)
		if err != nil {
			return time.Time{}, false, err
		}
		best, found := -1, ""
		for _, d := range dirs {
			s, ok := strings.CutPrefix(d, level.name)
			if !ok || len(s) != level.digits {
				continue
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				continue
			}
			if n > best {
				best, found = n, d
			}
		}
		if best < 0 {
			return time.Time{}, false, nil
		}
		v[i] = best
		prefix += found + "/"
	}
	k, err := partition.ParseKey(prefix)
	if err != nil {
		return time.Time{}, false, nil
	}
	return k.Hour, true, nil
}

// listFiles returns the Parquet files directly under dir, by name, leaving
// out hidden ones (names starting with '.' or '_').
func listFiles(ctx context.Context, b *blob.Bucket, dir string) ([]*blob.ListObject, error) {
	it := b.List(&blob.ListOptions{Prefix: dir, Delimiter: "/"})
	var out []*blob.ListObject
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("query: listing %s: %w", dir, err)
		}
		name := strings.TrimPrefix(obj.Key, dir)
		if obj.IsDir || name == "" || name[0] == '.' || name[0] == '_' || !strings.HasSuffix(name, ".parquet") {
			continue
		}
		out = append(out, obj)
	}
	slices.SortFunc(out, func(a, b *blob.ListObject) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}
