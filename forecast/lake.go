package forecast

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

// Progress is a report from a batch job (Train, Run, DetectAnomalies),
// passed to the job's Options.Progress as the job goes. Done and Total
// count the stage's units: hours of reads for "scan", meters for "fit",
// "forecast" and "score". Total is 0 when unknown.
type Progress struct {
	// Stage names the job's step: "discover", "weather", "scan", "fit",
	// "forecast", "score" or, at the end of Train, "done" (meters with a
	// model of meters selected).
	Stage       string
	Done, Total int64 // units done so far, and in all (0 if unknown)
}

// DefaultMemoryBudget bounds the per-meter grid a batch job keeps while it
// scans the lake. 10,000 meters × 56 days of hours take 80 MB; a year of
// hours for 10,000 meters takes 526 MB, just within the default (one pass
// over the lake; 20,000 meters take two).
const DefaultMemoryBudget = 512 << 20

// ErrNoData reports a lake without kW or kWh reads in the requested period.
var ErrNoData = errors.New("forecast: no kW or kWh reads in the lake")

// energyTypes are the reading types the batch jobs read: kW (demand, the
// guidance's HES) and kWh (interval energy: NEM12, Green Button, MRASCo).
var energyTypes = []meter.Type{meter.TypeKW, meter.TypeKWh}

// A cell's count holds its number of reads in its low 15 bits and, in
// its top bit, whether they are kWh reads (interval energy) rather than kW.
const (
	cellKWh   uint16 = 1 << 15
	cellCount uint16 = cellKWh - 1
)

// gridCellBytes is the memory of one meter-interval of a grid.
const gridCellBytes = 6 // float32 sum + uint16 count

// grid accumulates the kW or kWh reads of some meters on a regular grid of
// intervals (hours or days). A read at t covers (t-interval, t] (reading times are
// interval ends), so it belongs to the interval that holds t-1ms, as in
// mda.HourlyEnergy.
//
// It keeps the sum and count of the kW values per cell rather than the sum
// of kW × read interval: the cell's energy is then mean kW × cell length,
// which is right for any read interval that divides the cell, needs no
// interval to be configured, and imputes a missing read of a partly read
// cell with the cell's mean instead of counting it as zero. Exact duplicate
// reads leave the mean unchanged. float32 sums and uint16 counts keep a
// meter-year of hours at 52 KB.
//
// A meter that delivers interval energy (kWh) has its reads summed
// instead (see energy). A cell with both is read from its kWh, the
// meter's own energy register: the first kWh read clears what kW reads
// added to the cell, and later kW reads of it are ignored.
type grid struct {
	ids   []string
	index map[string]int32
	start time.Time // first cell, UTC
	step  time.Duration
	n     int // cells per meter
	sum   []float32
	cnt   []uint16 // reads, with cellKWh for kWh reads
	// unmap, if set, returns sum and cnt to the OS (see newMappedGrid).
	unmap func()
}

func newGrid(ids []string, start time.Time, step time.Duration, n int) *grid {
	return makeGrid(ids, start, step, n, make([]float32, len(ids)*n), make([]uint16, len(ids)*n), nil)
}

func makeGrid(ids []string, start time.Time, step time.Duration, n int, sum []float32, cnt []uint16, unmap func()) *grid {
	g := &grid{ids: ids, index: make(map[string]int32, len(ids)), start: start.UTC(), step: step, n: n,
		sum: sum, cnt: cnt, unmap: unmap}
	for i, id := range ids {
		g.index[id] = int32(i)
	}
	return g
}

// newMappedGrid is newGrid with the cells outside the Go heap where the
// platform allows (anonymous memory mappings), to be released with free.
//
// A grid is the bulk of a batch job's memory and lives as long as the
// job's pass, so on the heap it sets the garbage collector's pace: with
// GOGC=100 the heap grows to twice the live heap between collections, and
// the garbage of fitting 10,000 meters of a year (11 GB over the job)
// fills that second grid's worth (1,169 MB peak heap for a 526 MB grid).
// Outside the heap the grid costs exactly its size and the collector paces
// the small working set of the fit alone. The caller must free the grid
// once, when nothing reads it any more.
func newMappedGrid(ids []string, start time.Time, step time.Duration, n int) *grid {
	sum, cnt, unmap := mapCells(len(ids) * n)
	if unmap == nil {
		return newGrid(ids, start, step, n)
	}
	return makeGrid(ids, start, step, n, sum, cnt, unmap)
}

// free releases a grid from newMappedGrid at once (a heap grid is left to
// the collector); the grid must not be used after.
func (g *grid) free() {
	g.sum, g.cnt = nil, nil
	if g.unmap != nil {
		g.unmap()
		g.unmap = nil
	}
}

// add adds a batch of reads; reads of other meters or types, outside the
// grid, or flagged as having no value are ignored.
func (g *grid) add(reads []meter.Reading) {
	startMs, stepMs := g.start.UnixMilli(), g.step.Milliseconds()
	for i := range reads {
		r := &reads[i]
		var kwh uint16
		switch r.Type {
		case meter.TypeKW:
		case meter.TypeKWh:
			kwh = cellKWh
		default:
			continue
		}
		if r.Quality == meter.QualityNull || math.IsNaN(r.Value) {
			continue
		}
		row, ok := g.index[r.MeterID]
		if !ok {
			continue
		}
		off := r.Time.UnixMilli() - 1 - startMs
		if off < 0 {
			continue
		}
		c := off / stepMs
		if c >= int64(g.n) {
			continue
		}
		k := int(row)*g.n + int(c)
		switch cnt := g.cnt[k]; {
		case cnt&cellKWh == kwh:
		case cnt == 0:
			g.cnt[k] = kwh
		case kwh != 0: // the meter's energy register wins over its kW
			g.sum[k], g.cnt[k] = 0, kwh
		default: // kW of a cell of kWh
			continue
		}
		if g.cnt[k]&cellCount == cellCount {
			continue
		}
		g.sum[k] += float32(r.Value)
		g.cnt[k]++
	}
}

// usualSpan is the span over which a meter's usual count of reads per
// cell is taken (fullCount): a week, so that a day of degraded reads does
// not set its own standard, and a change of read interval upsets one week.
const usualSpan = 7 * 24 * time.Hour

// usualBlocks calls f for each block of usualSpan of n cells of step,
// counted from the end (the latest data, which a forecast starts from and
// the holdout scores, sits in a whole block); a first block shorter than
// usualSpan joins the next, so that no block is short enough to set its
// own standard.
func usualBlocks(n int, step time.Duration, f func(lo, hi int)) {
	per := max(int(usualSpan/step), 1)
	lo := 0
	if r := n % per; r != 0 && n > per {
		f(0, r+per)
		lo = r + per
	}
	for ; lo < n; lo += per {
		f(lo, min(lo+per, n))
	}
}

// energy writes meter row's energy per cell in kWh into dst, NaN for cells
// without reads, and returns dst. A kW cell holds the mean kW times the
// cell's hours (a missing read imputed by the cell's mean). A kWh cell
// holds the sum of its reads if it has the meter's usual count around it
// (fullCount over the week of cells it falls in, counting kWh cells only);
// with fewer it is NaN, missing: a sum scaled up would need the interval
// of the reads, which a meter may change, and a sum left short would read
// as a dip. With more (a batch delivered twice and not yet de-duplicated)
// the sum is scaled down to the usual count, as a kW cell's mean would
// be. A kWh read must cover at most one cell: a daily read on an hourly
// grid makes one cell a day and leaves the others missing.
func (g *grid) energy(row int, dst []float64) []float64 {
	dst = slices.Grow(dst[:0], g.n)[:g.n]
	hours := g.step.Hours()
	sum, cnt := g.sum[row*g.n:(row+1)*g.n], g.cnt[row*g.n:(row+1)*g.n]
	var kwh []uint16
	usualBlocks(g.n, g.step, func(d, e int) {
		full := -1 // the usual count of kWh reads, computed when needed
		for i := d; i < e; i++ {
			c := cnt[i] & cellCount
			switch {
			case c == 0:
				dst[i] = math.NaN()
			case cnt[i]&cellKWh == 0: // kW
				if c == 1 { // the usual hourly read; x/1 is x exactly, without a division
					dst[i] = float64(sum[i]) * hours
				} else {
					dst[i] = float64(sum[i]) / float64(c) * hours
				}
			default:
				if full < 0 {
					kwh = kwh[:0]
					for _, x := range cnt[d:e] {
						if x&cellKWh != 0 {
							kwh = append(kwh, x&cellCount)
						}
					}
					full = fullCount(kwh)
				}
				switch {
				case int(c) == full:
					dst[i] = float64(sum[i])
				case int(c) > full:
					dst[i] = float64(sum[i]) / float64(c) * float64(full)
				default:
					dst[i] = math.NaN()
				}
			}
		}
	})
	return dst
}

// counts returns meter row's count of reads per cell into dst.
func (g *grid) counts(row int, dst []uint16) []uint16 {
	dst = append(dst[:0], g.cnt[row*g.n:(row+1)*g.n]...)
	for i := range dst {
		dst[i] &= cellCount
	}
	return dst
}

// scanGrid fills a grid for ids over n cells of step from start with one
// scan of the lake's kW and kWh partitions. filterIDs restricts the scan itself
// (worth it when ids are a fraction of the lake's meters). The grid is a
// newMappedGrid: the caller frees it.
func scanGrid(ctx context.Context, lake *blob.Bucket, ids []string, start time.Time, step time.Duration, n int,
	filterIDs bool, progress func(Progress)) (*grid, partition.ScanStats, error) {
	g := newMappedGrid(ids, start, step, n)
	st, err := g.scan(ctx, lake, filterIDs, nil, progress)
	if err != nil {
		g.free()
		return nil, st, err
	}
	return g, st, nil
}

// scan adds the grid's kW and kWh reads from one scan of the lake's partitions.
// cache is the file cache of a filtered scan; nil means
// partition.DefaultFileCache.
func (g *grid) scan(ctx context.Context, lake *blob.Bucket, filterIDs bool, cache *partition.FileCache,
	progress func(Progress)) (partition.ScanStats, error) {
	ids, start, n := g.ids, g.start, g.n
	end := start.Add(time.Duration(n) * g.step)
	f := &partition.Filter{Types: energyTypes,
		From: start.Add(time.Millisecond), To: end.Add(time.Millisecond)}
	if filterIDs {
		f.MeterIDs, f.Cache = ids, cache
	}
	hp := newHourProgress(start, end)
	st, err := partition.Scan(ctx, lake, f, func(reads []meter.Reading) error {
		g.add(reads)
		if hp.add(reads[0].Time) && progress != nil {
			progress(Progress{Stage: "scan", Done: hp.done, Total: hp.total})
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("forecast: scanning kW and kWh reads %v to %v: %w", start, end, err)
	}
	return st, nil
}

// hourProgress counts the distinct hours a scan has read. A batch holds
// one partition's reads, so partitions count as hours; a scan of both
// reading types reads every kW hour, then every kWh hour, and an hour read
// twice counts once.
type hourProgress struct {
	start       time.Time // the first hour
	seen        []bool
	done, total int64
	last        time.Time
}

func newHourProgress(start, end time.Time) *hourProgress {
	start = start.Truncate(time.Hour)
	n := int(end.Sub(start)/time.Hour) + 1
	return &hourProgress{start: start, seen: make([]bool, n), total: int64(n)}
}

// add counts the hour of a batch's first read, and reports whether it is
// one not counted before.
func (p *hourProgress) add(t time.Time) bool {
	h := t.Truncate(time.Hour) // the partition's hour
	if h.Equal(p.last) {
		return false
	}
	p.last = h
	i := int(h.Sub(p.start) / time.Hour)
	if i < 0 || i >= len(p.seen) || p.seen[i] {
		return false
	}
	p.seen[i] = true
	p.done++
	return true
}

// passes splits sorted ids into consecutive groups whose grid of n cells
// fits budget, each a whole number of chunks of chunk ids (so that a file
// of chunk meters never spans two passes).
func passes(ids []string, n, chunk int, budget int64) [][]string {
	if budget <= 0 {
		budget = DefaultMemoryBudget
	}
	per := int(budget / int64(max(n, 1)*gridCellBytes))
	if chunk > 0 {
		per = max(per/chunk, 1) * chunk
	}
	per = max(per, 1)
	var out [][]string
	for len(ids) > 0 {
		k := min(per, len(ids))
		out = append(out, ids[:k])
		ids = ids[k:]
	}
	return out
}

// DataEnd returns the end of the lake's kW and kWh data: the latest
// reading time, found by descending each type's partition directories to
// the last hour (a handful of listings, whatever the lake's size) and
// scanning that one partition.
func DataEnd(ctx context.Context, lake *blob.Bucket) (time.Time, error) {
	k, err := edgePartition(ctx, lake, true)
	if err != nil {
		return time.Time{}, err
	}
	var end time.Time
	_, err = partition.Scan(ctx, lake, &partition.Filter{Types: energyTypes, From: k.Hour, To: k.Hour.Add(time.Hour)},
		func(reads []meter.Reading) error {
			for i := range reads {
				if reads[i].Time.After(end) {
					end = reads[i].Time
				}
			}
			return nil
		})
	if err != nil {
		return time.Time{}, fmt.Errorf("forecast: scanning %s: %w", k.Path(), err)
	}
	if end.IsZero() {
		return time.Time{}, fmt.Errorf("%w: last partition %s is empty", ErrNoData, k.Path())
	}
	return end.UTC(), nil
}

// DataStart returns the start of the lake's kW and kWh data: the earliest
// reading time, found as DataEnd finds the latest, in the first hour
// partition.
func DataStart(ctx context.Context, lake *blob.Bucket) (time.Time, error) {
	k, err := edgePartition(ctx, lake, false)
	if err != nil {
		return time.Time{}, err
	}
	var start time.Time
	_, err = partition.Scan(ctx, lake, &partition.Filter{Types: energyTypes, From: k.Hour, To: k.Hour.Add(time.Hour)},
		func(reads []meter.Reading) error {
			for i := range reads {
				if start.IsZero() || reads[i].Time.Before(start) {
					start = reads[i].Time
				}
			}
			return nil
		})
	if err != nil {
		return time.Time{}, fmt.Errorf("forecast: scanning %s: %w", k.Path(), err)
	}
	if start.IsZero() {
		return time.Time{}, fmt.Errorf("%w: first partition %s is empty", ErrNoData, k.Path())
	}
	return start.UTC(), nil
}

// dataStart returns the hour of the lake's first kW or kWh partition.
func dataStart(ctx context.Context, lake *blob.Bucket) (time.Time, error) {
	k, err := edgePartition(ctx, lake, false)
	return k.Hour, err
}

// edgePartition returns the last (or first) hour partition of the kW and
// kWh reads: the later (earlier) of each type's, found by descending its
// partition directories, a handful of listings whatever the lake's size.
func edgePartition(ctx context.Context, lake *blob.Bucket, last bool) (partition.Key, error) {
	var edge partition.Key
	found := false
	for _, t := range energyTypes {
		k, ok, err := typeEdge(ctx, lake, t, last)
		if err != nil {
			return k, err
		}
		if ok && (!found || k.Hour.After(edge.Hour) == last && !k.Hour.Equal(edge.Hour)) {
			edge, found = k, true
		}
	}
	if !found {
		return partition.Key{}, ErrNoData
	}
	return edge, nil
}

// typeEdge descends type t's partition directories to the last hour (or
// the first); ok is false if t has none.
func typeEdge(ctx context.Context, lake *blob.Bucket, t meter.Type, last bool) (k partition.Key, ok bool, err error) {
	prefix := partition.Prefix + "reading_type=" + string(t) + "/"
	for _, level := range []string{"year=", "month=", "day=", "hour="} {
		dirs, err := partition.ListDirs(ctx, lake, prefix)
		if err != nil {
			return k, false, err
		}
		var best string
		for _, d := range dirs {
			if strings.HasPrefix(d, level) && (best == "" || (d > best) == last) {
				best = d
			}
		}
		if best == "" {
			return k, false, nil
		}
		prefix += best + "/"
	}
	k, err = partition.ParseKey(prefix)
	if err != nil {
		return k, false, fmt.Errorf("forecast: edge partition: %w", err)
	}
	return k, true, nil
}

// completeHoursEnd is the end of the last complete hour of energy at data
// end e: a read at e ends the interval before it, so the hour that starts at
// e.Truncate(hour) is complete only if e is on the hour.
func completeHoursEnd(e time.Time) time.Time { return e.UTC().Truncate(time.Hour) }

// meterIDs returns the sorted ids of the meters with kW or kWh reads in
// (from, to]. It is how a job finds "all meters" without a meter table: the
// meters that reported recently.
func meterIDs(ctx context.Context, lake *blob.Bucket, from, to time.Time) ([]string, error) {
	seen := map[string]struct{}{}
	_, err := partition.Scan(ctx, lake, &partition.Filter{Types: energyTypes,
		From: from.Add(time.Millisecond), To: to.Add(time.Millisecond)}, func(reads []meter.Reading) error {
		for i := range reads {
			seen[reads[i].MeterID] = struct{}{}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("forecast: listing meters: %w", err)
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// selectIDs returns the sorted, distinct ids of want (or of all if want is
// empty), cut to the first limit if limit > 0.
func selectIDs(all, want []string, limit int) []string {
	var ids []string
	if len(want) > 0 {
		ids = slices.Compact(slices.Sorted(slices.Values(want)))
	} else {
		ids = all
	}
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	return ids
}

func workers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}
