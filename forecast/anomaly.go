package forecast

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/tables"
)

// AnomalyOptions configure DetectAnomalies; nil means the defaults of each
// field.
type AnomalyOptions struct {
	// Year is the year whose days are scored (UTC); 0 means the year of the
	// last complete day of data.
	Year int
	// End, if set, stops scoring at the day that holds End (exclusive);
	// zero means the last complete day of data.
	End time.Time
	// MeterIDs selects meters; nil means every meter with kW reads.
	MeterIDs []string
	// Weeks is the history before each day that its expected value and
	// interval come from; 0 means 8.
	Weeks int
	// MinHistoryDays is the fewest days of history a day needs to be
	// scored; 0 means 14.
	MinHistoryDays int
	// Interval is the probability of the interval; 0 means 0.98, the
	// guidance's Prophet interval_width.
	Interval float64
	// MinCoverage is the share of a meter's usual reads per day that a day
	// needs to be scored (or used as history); 0 means 0.9. A day with
	// missing reads is an outage or a backlog, not a dip.
	MinCoverage float64
	// MetersPerFile is the number of meters per output file; 0 means 1000.
	MetersPerFile int
	// Workers is the number of meters scored at once; 0 means GOMAXPROCS.
	Workers int
	// Progress, if set, receives progress reports (never concurrently).
	Progress func(Progress)
}

// AnomalyStats reports a DetectAnomalies run.
type AnomalyStats struct {
	Year int
	// From and To bound the scored days, [From, To).
	From, To time.Time
	// Meters counts the meters with at least one scored day; Days the
	// scored meter-days (the rows written); Spikes and Dips the anomalies.
	Meters       int
	Days         int64
	Spikes, Dips int64
	Files        []string
	Bytes        int64
	Model        string
	Scan         partition.ScanStats
	Elapsed      time.Duration
}

// DetectAnomalies scores every day of a year of every meter's daily energy
// against what the meter's own recent weeks predict, and writes one
// tables.AnomalyRow per scored meter-day under tables.AnomalyDir(year).
//
// The model is deliberately simple and robust, where the guidance refits
// Prophet per meter (a minute of CPU per meter for a yearly fit): a day's
// expected energy is the median of the same weekday over the previous
// Weeks weeks (of the same kind of day, weekend or weekday, while fewer
// than four such weekdays are known), and its interval is that median ±
// z·σ, where σ is 1.4826 times the median absolute deviation of the
// history's days from their own group's median and z the normal quantile
// of Interval (2.33 for 98%). Medians and MAD ignore past anomalies, which
// would otherwise widen the interval for weeks after a spike; only days
// before the scored day are used, so a day cannot explain itself away. σ
// is at least 1% of the expected value (plus 1 Wh) so that a flat meter
// does not flag rounding.
//
// Days above the interval are spikes (+1), days below it dips (-1): the
// guidance's API returned dips only. Importance is the relative excess
// outside the interval, 0 when y is 0 (see tables.AnomalyRow).
//
// Output files are named by meter chunk and every other file of the year
// is removed, so a rerun replaces the year's scores.
func DetectAnomalies(ctx context.Context, lake *blob.Bucket, opts *AnomalyOptions) (AnomalyStats, error) {
	t0 := time.Now()
	var o AnomalyOptions
	if opts != nil {
		o = *opts
	}
	var st AnomalyStats
	if o.Weeks <= 0 {
		o.Weeks = 8
	}
	if o.MinHistoryDays <= 0 {
		o.MinHistoryDays = 14
	}
	if o.Interval <= 0 || o.Interval >= 1 {
		o.Interval = 0.98
	}
	if o.MinCoverage <= 0 || o.MinCoverage > 1 {
		o.MinCoverage = 0.9
	}
	if o.MetersPerFile <= 0 {
		o.MetersPerFile = 1000
	}
	progress := serialProgress(o.Progress)
	const day = 24 * time.Hour
	end := o.End.UTC().Truncate(day)
	if o.End.IsZero() || o.Year == 0 {
		e, err := DataEnd(ctx, lake)
		if err != nil {
			return st, err
		}
		dataEnd := e.UTC().Truncate(day) // the day holding e is complete only if e is midnight
		if o.End.IsZero() || dataEnd.Before(end) {
			end = dataEnd
		}
	}
	if o.Year == 0 {
		o.Year = end.Add(-day).Year()
	}
	from := time.Date(o.Year, 1, 1, 0, 0, 0, 0, time.UTC)
	if yearEnd := from.AddDate(1, 0, 0); end.After(yearEnd) {
		end = yearEnd
	}
	if !end.After(from) {
		return st, fmt.Errorf("%w: no complete day of %d", ErrNoData, o.Year)
	}
	st.Year, st.From, st.To = o.Year, from, end
	st.Model = fmt.Sprintf("weekday-median-%dw-mad-%g", o.Weeks, o.Interval)
	hist := 7 * o.Weeks
	gridStart := from.Add(-time.Duration(hist) * day)
	n := int(end.Sub(gridStart) / day)

	g, sst, err := scanDays(ctx, lake, o.MeterIDs, gridStart, n, progress)
	st.Scan = sst
	if err != nil {
		return st, err
	}
	order := make([]int, len(g.ids))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return g.ids[order[a]] < g.ids[order[b]] })

	z := math.Sqrt2 * math.Erfinv(o.Interval)
	sc := &scorer{g: g, hist: hist, first: hist, minHist: o.MinHistoryDays, minCov: o.MinCoverage, z: z, model: st.Model}
	dir := tables.AnomalyDir(o.Year)
	keep := map[string]bool{}
	var done int64
	for c := 0; c*o.MetersPerFile < len(order); c++ {
		chunk := order[c*o.MetersPerFile : min((c+1)*o.MetersPerFile, len(order))]
		per := make([][]tables.AnomalyRow, len(chunk))
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range min(workers(o.Workers), len(chunk)) {
			wg.Go(func() {
				for k := range jobs {
					per[k] = sc.score(chunk[k])
				}
			})
		}
		for k := range chunk {
			if ctx.Err() != nil {
				break
			}
			jobs <- k
		}
		close(jobs)
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return st, err
		}
		var rows []tables.AnomalyRow
		for _, r := range per {
			if len(r) > 0 {
				st.Meters++
			}
			for i := range r {
				switch r[i].Anomaly {
				case 1:
					st.Spikes++
				case -1:
					st.Dips++
				}
			}
			rows = append(rows, r...)
		}
		done += int64(len(chunk))
		progress(Progress{Stage: "score", Done: done, Total: int64(len(order))})
		if len(rows) == 0 {
			continue
		}
		name := fmt.Sprintf("part-%05d.parquet", c)
		nb, err := writeParquet(ctx, lake, dir+name, rows)
		if err != nil {
			return st, err
		}
		keep[name] = true
		st.Files = append(st.Files, dir+name)
		st.Days += int64(len(rows))
		st.Bytes += nb
	}
	if err := removeOthers(ctx, lake, dir, keep); err != nil {
		return st, err
	}
	st.Elapsed = time.Since(t0)
	return st, nil
}

// scanDays reads daily sums and counts of kW reads of ids (all meters if
// ids is empty) over n days from start. A day grid is 6 bytes per meter-day
// (2.5 KB per meter for a year and its history), so one pass holds 100,000s
// of meters, and meters are added as the scan meets them.
func scanDays(ctx context.Context, lake *blob.Bucket, ids []string, start time.Time, n int, progress func(Progress)) (*grid, partition.ScanStats, error) {
	const day = 24 * time.Hour
	want := slices.Compact(slices.Sorted(slices.Values(ids)))
	g := newGrid(want, start, day, n)
	dynamic := len(want) == 0
	end := start.Add(time.Duration(n) * day)
	f := &partition.Filter{Types: []meter.Type{meter.TypeKW}, From: start.Add(time.Millisecond), To: end.Add(time.Millisecond), MeterIDs: want}
	total := int64(end.Sub(start)/time.Hour) + 1
	var done int64
	var last time.Time
	st, err := partition.Scan(ctx, lake, f, func(reads []meter.Reading) error {
		if dynamic {
			for i := range reads {
				if _, ok := g.index[reads[i].MeterID]; !ok {
					g.index[reads[i].MeterID] = int32(len(g.ids))
					g.ids = append(g.ids, reads[i].MeterID)
					g.sum = append(g.sum, make([]float32, n)...)
					g.cnt = append(g.cnt, make([]uint16, n)...)
				}
			}
		}
		g.add(reads)
		if h := reads[0].Time.Truncate(time.Hour); !h.Equal(last) {
			last = h
			done++
			progress(Progress{Stage: "scan", Done: done, Total: total})
		}
		return nil
	})
	if err != nil {
		return nil, st, fmt.Errorf("forecast: scanning kW reads %v to %v: %w", start, end, err)
	}
	return g, st, nil
}

// scorer scores the days of one meter.
type scorer struct {
	g       *grid
	hist    int // days of history per scored day
	first   int // first scored cell
	minHist int
	minCov  float64
	z       float64
	model   string
}

// score returns the rows of meter row's scored days.
func (s *scorer) score(row int) []tables.AnomalyRow {
	g := s.g
	cnt := g.cnt[row*g.n : (row+1)*g.n]
	// The meter's full day is its most frequent high count: the mode of
	// the counts at or above half the maximum (robust to a day with a
	// duplicated batch).
	full := fullCount(cnt)
	if full == 0 {
		return nil
	}
	y := g.energy(row, nil)
	for i := range y {
		if float64(cnt[i]) < s.minCov*float64(full) {
			y[i] = math.NaN()
		}
	}
	var rows []tables.AnomalyRow
	var vals, res []float64
	var groups [7][]float64
	var classes [2][]float64 // weekend, weekday
	w0 := int(g.start.Weekday())
	for d := s.first; d < g.n; d++ {
		if math.IsNaN(y[d]) {
			continue
		}
		day := g.start.Add(time.Duration(d) * 24 * time.Hour)
		for k := range groups {
			groups[k] = groups[k][:0]
		}
		nh := 0
		for j := d - s.hist; j < d; j++ {
			if j >= 0 && !math.IsNaN(y[j]) {
				wd := (w0 + j) % 7 // weekday of cell j
				groups[wd] = append(groups[wd], y[j])
				nh++
			}
		}
		if nh < s.minHist {
			continue
		}
		// Per-weekday medians if every weekday has four samples, else
		// weekend/weekday medians.
		perDay := true
		for _, gr := range groups {
			if len(gr) < 4 {
				perDay = false
			}
		}
		used := groups[:]
		if !perDay {
			we := append(append(classes[0][:0], groups[0]...), groups[6]...)
			wd := classes[1][:0]
			for k := 1; k <= 5; k++ {
				wd = append(wd, groups[k]...)
			}
			classes[0], classes[1] = we, wd
			used = classes[:]
		}
		// σ from leave-one-out residuals: each history day against the
		// median of the other days of its group, which is the error the
		// rule makes on a new day (in-sample deviations from a median of
		// eight are a third too small, and would flag one day in ten).
		res = res[:0]
		var med [2]float64
		for k, gr := range used {
			slices.Sort(gr)
			if len(gr) > 0 {
				if !perDay {
					med[k] = quantile(gr, 0.5)
				}
			}
			for r := range gr {
				if len(gr) > 1 {
					res = append(res, math.Abs(gr[r]-looMedian(gr, r)))
				}
			}
		}
		var exp float64
		switch wd := int(day.Weekday()); {
		case perDay:
			exp = quantile(groups[wd], 0.5)
		case wd == 0 || wd == 6:
			exp = med[0]
			if len(used[0]) == 0 {
				exp = med[1]
			}
		default:
			exp = med[1]
			if len(used[1]) == 0 {
				exp = med[0]
			}
		}
		sigma := 1.4826 * median(res, &vals)
		sigma = math.Max(sigma, 0.01*math.Abs(exp)+0.001)
		lo, hi := math.Max(exp-s.z*sigma, 0), exp+s.z*sigma
		r := tables.AnomalyRow{MeterID: g.ids[row], Day: day, Consumption: y[d], Expected: exp,
			Lower: lo, Upper: hi, Model: s.model}
		switch v := y[d]; {
		case v > hi:
			r.Anomaly = 1
			if v > 0 {
				r.Importance = (v - hi) / v
			}
		case v < lo:
			r.Anomaly = -1
			if v > 0 {
				r.Importance = (lo - v) / v
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// looMedian is the median of sorted xs without element r.
func looMedian(sorted []float64, r int) float64 {
	n := len(sorted) - 1
	at := func(i int) float64 { // element i of sorted without r
		if i >= r {
			i++
		}
		return sorted[i]
	}
	if n%2 == 1 {
		return at(n / 2)
	}
	return (at(n/2-1) + at(n/2)) / 2
}

// median returns the median of xs (NaN if empty) using buf as scratch;
// xs is not modified.
func median(xs []float64, buf *[]float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	b := append((*buf)[:0], xs...)
	slices.Sort(b)
	*buf = b
	return quantile(b, 0.5)
}

// fullCount is the number of reads of a complete day for a meter: the most
// frequent count among days with at least half the maximum count.
func fullCount(cnt []uint16) int {
	var mx uint16
	for _, c := range cnt {
		mx = max(mx, c)
	}
	if mx == 0 {
		return 0
	}
	freq := map[uint16]int{}
	best, bestN := mx, 0
	for _, c := range cnt {
		if c >= (mx+1)/2 {
			freq[c]++
			if n := freq[c]; n > bestN || n == bestN && c > best {
				best, bestN = c, n
			}
		}
	}
	return int(best)
}
