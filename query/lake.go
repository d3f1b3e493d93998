package query

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/vee"
)

// Options configures a Lake. Nil means the defaults.
type Options struct {
	// Interval is the length of the interval a kW read stands for. Zero
	// infers it per meter and local day from the data (see package doc).
	Interval time.Duration
	// Location sets the boundaries of days and months; nil means UTC.
	Location *time.Location
	// Concurrency bounds the day-long scans run at once by one call;
	// default min(GOMAXPROCS, 8), at least 2.
	Concurrency int
	// MaxReads bounds the reads one call may scan; 0 means no limit. A call
	// that would exceed it fails with an error matching ErrTooManyReads.
	MaxReads int
	// MetersTTL is how long Meters keeps its list; default 5 minutes.
	MetersTTL time.Duration
}

// ErrTooManyReads is matched by the error of a call that would scan more
// than Options.MaxReads reads.
var ErrTooManyReads = errors.New("query: too many reads")

// Lake queries a data lake. It is safe for concurrent use.
type Lake struct {
	b    *blob.Bucket
	opts Options

	metersMu sync.Mutex
	meters   *meterIndex
}

// New returns a Lake over b, the bucket of package partition's layout
// and package tables' tables.
func New(b *blob.Bucket, opts *Options) *Lake {
	l := &Lake{b: b}
	if opts != nil {
		l.opts = *opts
	}
	if l.opts.Location == nil {
		l.opts.Location = time.UTC
	}
	if l.opts.Concurrency <= 0 {
		l.opts.Concurrency = max(2, min(runtime.GOMAXPROCS(0), 8))
	}
	if l.opts.MetersTTL <= 0 {
		l.opts.MetersTTL = 5 * time.Minute
	}
	return l
}

// Bucket returns the lake's bucket.
func (l *Lake) Bucket() *blob.Bucket { return l.b }

// Location returns the time zone of days and months.
func (l *Lake) Location() *time.Location { return l.opts.Location }

// Filter selects reads.
type Filter struct {
	// MeterIDs selects meters; empty means all.
	MeterIDs []string
	// Types selects reading types; empty means all. Energy and Voltage
	// choose their own types and ignore it.
	Types []meter.Type
	// From and To bound the time range, half-open [From, To). For Reads
	// they bound reading times; for Energy and Voltage they bound the
	// intervals, whose ends are the reading times (From, To]. Both are
	// required by Energy and Voltage; Reads accepts zero (unbounded).
	From, To time.Time
	// Estimate, if set, makes Energy estimate the missing reads of each
	// meter between its reads (package vee: linear over short gaps,
	// like-day over longer ones, none over gaps longer than
	// Estimate.MaxGap, before a channel's first read or after its last),
	// reading Estimate.History() more history, and count them in
	// Energy.Estimated: the missing kW reads, and the intervals that a kWh
	// interval channel's lost reads leave uncovered (an interval a kWh
	// register or daily read counts whole, or a kW read holds, is not
	// estimated; see Lake.Energy). Other calls ignore it.
	Estimate *vee.Options
	// Export makes Energy sum the energy the meters exported (kwh_export
	// reads: the solar a household sends to the grid) instead of what
	// they imported. Estimate does not apply to it. Other calls ignore it.
	Export bool
}

// Stats reports what a call read. It is the sum of the partition scans'
// statistics.
type Stats = partition.ScanStats

// Reads returns the reads that f selects, ordered by meter, time and
// type (meter.Compare).
func (l *Lake) Reads(ctx context.Context, f Filter) ([]meter.Reading, Stats, error) {
	pf := partition.Filter{MeterIDs: f.MeterIDs, Types: f.Types, From: f.From, To: f.To}
	var out []meter.Reading
	st, err := l.scan(ctx, &pf, func(rs []meter.Reading) error {
		out = append(out, rs...)
		return nil
	})
	if err != nil {
		return nil, st, err
	}
	slices.SortStableFunc(out, meter.Compare)
	return out, st, nil
}

// chunk is the span of the scans that run concurrently.
const chunk = 24 * time.Hour

// scan runs partition.Scan over f, split into day-long pieces scanned
// concurrently when f has a bounded time range and selects every meter.
// fn is called from one goroutine at a time, with each piece's reads in
// scan order, pieces in any order. Its reads count against MaxReads alone:
// a call that runs several scans uses scanCounted.
func (l *Lake) scan(ctx context.Context, f *partition.Filter, fn func([]meter.Reading) error) (Stats, error) {
	return l.scanCounted(ctx, f, new(atomic.Int64), fn)
}

// scanCounted is scan with the reads counted in total, which the other
// scans of the same call share, so that MaxReads bounds the call as
// documented rather than each of its scans (Energy reads the range, the
// rest of its edge days, the days around, and the estimates' history).
func (l *Lake) scanCounted(ctx context.Context, f *partition.Filter, total *atomic.Int64, fn func([]meter.Reading) error) (Stats, error) {
	limit := int64(l.opts.MaxReads)
	var mu sync.Mutex
	guarded := func(rs []meter.Reading) error {
		if limit > 0 && total.Add(int64(len(rs))) > limit {
			return fmt.Errorf("%w: more than %d", ErrTooManyReads, limit)
		}
		mu.Lock()
		defer mu.Unlock()
		return fn(rs)
	}
	// A meter query is one scan: partition.Scan reads its partitions
	// concurrently already, and one scan lists the lake's directories once.
	if len(f.MeterIDs) > 0 || f.From.IsZero() || f.To.IsZero() || f.To.Sub(f.From) <= chunk || l.opts.Concurrency == 1 {
		st, err := partition.Scan(ctx, l.b, f, guarded)
		return st, wrap(err)
	}
	// Pieces aligned to UTC days, so that each lists whole day directories.
	var pieces []partition.Filter
	for from := f.From; from.Before(f.To); {
		to := from.UTC().Truncate(chunk).Add(chunk)
		if to.After(f.To) {
			to = f.To
		}
		p := *f
		p.From, p.To = from, to
		pieces = append(pieces, p)
		from = to
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stats := make([]Stats, len(pieces))
	errs := make([]error, len(pieces))
	sem := make(chan struct{}, l.opts.Concurrency)
	var wg sync.WaitGroup
	for i := range pieces {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			stats[i], errs[i] = partition.Scan(ctx, l.b, &pieces[i], guarded)
			if errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	var st Stats
	for _, s := range stats {
		st.Partitions += s.Partitions
		st.PartitionsPruned += s.PartitionsPruned
		st.Files += s.Files
		st.RowGroups += s.RowGroups
		st.RowGroupsPruned += s.RowGroupsPruned
		st.Rows += s.Rows
		st.Reads += s.Reads
		st.BytesRead += s.BytesRead
		st.Requests += s.Requests
	}
	// Report the first real error, not the cancellations it caused.
	var first error
	for _, err := range errs {
		if err != nil && (first == nil || errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled)) {
			first = err
		}
	}
	return st, wrap(first)
}

// wrap prefixes errors that do not already name the package that made them.
func wrap(err error) error {
	if err == nil || errors.Is(err, ErrTooManyReads) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("query: %w", err)
}

// checkRange checks the bounded range that Energy and Voltage need.
func checkRange(f Filter) error {
	if f.From.IsZero() || f.To.IsZero() {
		return errors.New("query: From and To are required")
	}
	if !f.From.Before(f.To) {
		return fmt.Errorf("query: empty range [%v, %v)", f.From, f.To)
	}
	return nil
}

// endFilter is the partition filter of the reads whose interval ends lie
// in (From, To]: reading times are stored at millisecond precision.
func endFilter(f Filter, types ...meter.Type) partition.Filter {
	return partition.Filter{MeterIDs: f.MeterIDs, Types: types, ValuesOnly: true,
		From: f.From.Add(time.Millisecond), To: f.To.Add(time.Millisecond)}
}

// bucketKey identifies an aggregate's bucket.
type bucketKey struct {
	meter string
	start int64 // Unix ms
}

func compareKeys(a, b bucketKey) int {
	if c := cmp.Compare(a.meter, b.meter); c != 0 {
		return c
	}
	return cmp.Compare(a.start, b.start)
}

// clip returns the part of [start, end) within [from, to).
func clip(start, end, from, to time.Time) (time.Time, time.Time) {
	if start.Before(from) {
		start = from
	}
	if end.After(to) {
		end = to
	}
	return start, end
}
