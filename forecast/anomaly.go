package forecast

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
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
	// Year is the year whose days are scored (in Location); 0 means the
	// year of the last complete day of data.
	Year int
	// End, if set, stops scoring at the day that holds End (exclusive);
	// zero means the last complete day of data.
	End time.Time
	// Location is the time zone of the days: a day runs from midnight to
	// midnight there, Year is a year there, and the anomalies table's ds
	// holds the local date (as midnight UTC of that date, the way a date
	// sits in a timestamp column); nil means UTC. A household lives by
	// local time, and a UTC day is 10:00 to 10:00 in Sydney. The day on
	// which daylight saving time ends counts its repeated hour once with
	// the energy of both (the day's energy is exact) and the day it starts
	// counts its skipped hour as an hour of zero energy; the days stay 24
	// hours long for the detector. In a zone whose offset is not a whole
	// number of hours the grid is finer: half hours in India and South
	// Australia (twice the memory), quarter hours in Nepal (four times),
	// and reads must come at least that often.
	Location *time.Location
	// MeterIDs selects meters; nil means every meter with kW or kWh reads.
	// A run for some meters replaces their rows of the year and keeps the
	// other meters' (a run for all replaces the whole year).
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
	// MinCoverage is the share of a meter's usual reads per hour that an
	// hour needs, and the share of hours a day needs, to be scored (or
	// used as history); 0 means 0.9. A day with missing reads is an outage
	// or a backlog, not a dip.
	MinCoverage float64
	// Detect tunes the event detector (see DetectOptions); the fields
	// above, when set, override its Weeks, MinHistoryDays, Interval and
	// MinCoverage.
	Detect *DetectOptions
	// Weather, if set, makes each day's expected value follow the
	// temperature of the station in the lake's weather table (see
	// DetectOptions.Temperature). It needs 90% of the hours from the
	// history of the year's first day (Weeks before 1 January, or the
	// lake's first reading if later) to the last day scored, more than
	// training does, else an error matching ErrNoWeather. Its BaseTemp,
	// when set, overrides the detector's.
	Weather *Weather
	// MetersPerFile is the number of meters per output file; 0 means 1000.
	MetersPerFile int
	// MemoryBudget bounds the hourly grid kept while scanning (6 bytes per
	// meter-hour: 60 KB per meter for a year and its history); 0 means
	// DefaultMemoryBudget. More meters than fit are scored in passes over
	// the lake.
	MemoryBudget int64
	// Workers is the number of meters scored at once; 0 means GOMAXPROCS.
	Workers int
	// Progress, if set, receives progress reports (never concurrently).
	Progress func(Progress)
}

// AnomalyStats reports a DetectAnomalies run.
type AnomalyStats struct {
	Year int // the year scored (AnomalyOptions.Year, or the default)
	// From and To bound the scored days, [From, To).
	From, To time.Time
	// Meters counts the meters with at least one scored day; Days the
	// scored meter-days (the rows written); Spikes and Dips the days
	// outside the interval.
	Meters       int
	Days         int64
	Spikes, Dips int64 // rows with Anomaly +1 and -1
	// Files are the anomalies table's files (tables.AnomalyRow).
	Files []string
	// Events counts the anomaly events that start in the year, by kind,
	// and EventFiles are their files (tables.AnomalyEventRow).
	Events     map[AnomalyKind]int64
	EventFiles []string
	Bytes      int64 // bytes written to both tables
	// Model is the model column of the rows written, which names the
	// detector and its settings, e.g. "weekday-level-8w-logmad-0.98".
	Model string
	// Weather is the station and balance point the days followed
	// (AnomalyOptions.Weather), nil if none.
	Weather *Weather
	// Passes is the number of scans of the lake (more than one when the
	// meters' hourly grid exceeds the memory budget).
	Passes  int
	Scan    partition.ScanStats // the scans' statistics, added up
	Elapsed time.Duration       // wall-clock time of the run
}

// Dirs returns the directories of the anomalies and anomaly events tables
// that the run wrote, for a catalog's registration
// (catalog.Registrar.RegisterDirs): the year's partition of each table
// that got files, and the table's own directory (which creates the table,
// registering nothing) for one that got none, such as the events table of
// a year without events.
func (st AnomalyStats) Dirs() []string {
	dirs := []string{tables.AnomaliesPrefix, tables.AnomalyEventsPrefix}
	if len(st.Files) > 0 {
		dirs[0] = tables.AnomalyDir(st.Year)
	}
	if len(st.EventFiles) > 0 {
		dirs[1] = tables.AnomalyEventDir(st.Year)
	}
	return dirs
}

// DetectAnomalies scores every day of a year of every meter's energy
// against what the meter's own recent weeks predict, writes one
// tables.AnomalyRow per scored meter-day under tables.AnomalyDir(year), and
// writes the year's anomaly events (spikes and dips of days and hours,
// flat and zero runs, sustained drops) as tables.AnomalyEventRow under
// tables.AnomalyEventDir(year).
//
// It reads the meters' kW or kWh reads into an hourly grid of energy (mean
// kW times the hour, or the sum of the hour's kWh; an hour with fewer than
// MinCoverage of the meter's usual reads counts as missing) from Weeks weeks before the year to its end,
// and runs Detect on each meter: the daily rows are Detect's day scores,
// the events its events that start in the year. The model is deliberately
// simple and robust, where the guidance refits Prophet per meter (a minute
// of CPU per meter for a yearly fit): a weekday median of the previous
// weeks, corrected by the level of the last week, with an interval in log
// energy from the rule's own recent errors; see Detect. Only data before a
// day explains it, so a day cannot explain itself away.
//
// Days above the interval are spikes (+1), days below it dips (-1): the
// guidance's API returned dips only. Importance is the relative excess
// outside the interval, 0 when y is 0 (see tables.AnomalyRow).
//
// Output files are named by meter chunk and every other file of the year
// is removed from both tables, so a rerun replaces the year's scores and
// events. A run restricted to MeterIDs replaces only those meters' rows:
// it first removes them from the year's files (rewriting each file that
// holds some, one atomic overwrite per file), then writes theirs to files
// of its own; the other meters' rows stay. If it fails in between, the
// selected meters have no rows until it is run again.
func DetectAnomalies(ctx context.Context, lake *blob.Bucket, opts *AnomalyOptions) (AnomalyStats, error) {
	t0 := time.Now()
	var o AnomalyOptions
	if opts != nil {
		o = *opts
	}
	var st AnomalyStats
	var dopt DetectOptions
	if o.Detect != nil {
		dopt = *o.Detect
	}
	if o.Weeks > 0 {
		dopt.Weeks = o.Weeks
	}
	if o.MinHistoryDays > 0 {
		dopt.MinHistoryDays = o.MinHistoryDays
	}
	if o.Interval > 0 && o.Interval < 1 {
		dopt.Interval = o.Interval
	}
	if o.MinCoverage > 0 && o.MinCoverage <= 1 {
		dopt.MinCoverage = o.MinCoverage
	}
	dopt = dopt.withDefaults()
	if o.MetersPerFile <= 0 {
		o.MetersPerFile = 1000
	}
	if o.MemoryBudget <= 0 {
		o.MemoryBudget = DefaultMemoryBudget
	}
	progress := serialProgress(o.Progress)
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	// The days are wall-clock days of loc (see wallClock): wallFrom and
	// wallEnd bound the scored ones, from and end are their instants.
	const day = 24 * time.Hour
	var wallEnd time.Time
	if !o.End.IsZero() {
		wallEnd = wallTime(o.End, loc).Truncate(day)
	}
	if o.End.IsZero() || o.Year == 0 {
		e, err := DataEnd(ctx, lake)
		if err != nil {
			return st, err
		}
		dataEnd := wallTime(e, loc).Truncate(day) // the day holding e is complete only if e is midnight
		if o.End.IsZero() || dataEnd.Before(wallEnd) {
			wallEnd = dataEnd
		}
	}
	if o.Year == 0 {
		o.Year = wallEnd.Add(-day).Year()
	}
	wallFrom := time.Date(o.Year, 1, 1, 0, 0, 0, 0, time.UTC)
	if yearEnd := wallFrom.AddDate(1, 0, 0); wallEnd.After(yearEnd) {
		wallEnd = yearEnd
	}
	if !wallEnd.After(wallFrom) {
		return st, fmt.Errorf("%w: no complete day of %d", ErrNoData, o.Year)
	}
	from, end := instantOf(wallFrom, loc), instantOf(wallEnd, loc)
	st.Year, st.From, st.To = o.Year, from, end

	// The grid of instants: hours from the history's first day, with a
	// margin around the days of a zone (whose midnights time.Date may move
	// by the hour it skips), of the step that the zone's offsets allow.
	wallGridStart := wallFrom.Add(-time.Duration(7*dopt.Weeks) * day)
	gridStart, gridEnd, step := instantOf(wallGridStart, loc), end, time.Hour
	if loc != time.UTC {
		const margin = 3 * time.Hour
		var err error
		if step, err = wallStep(loc, gridStart.Add(-margin), end.Add(margin)); err != nil {
			return st, err
		}
		gridStart = gridStart.Add(-margin).Truncate(step)
		gridEnd = end.Add(margin + step - 1).Truncate(step)
	}
	n := int(gridEnd.Sub(gridStart) / step)
	var wall *wallClock
	if loc != time.UTC {
		wall = newWallClock(loc, gridStart, step, n, wallGridStart, int(wallEnd.Sub(wallGridStart)/step))
	}
	if o.Weather != nil {
		if o.Weather.BaseTemp != 0 {
			dopt.BaseTemp = o.Weather.BaseTemp
		}
		tFrom := gridStart
		temp, err := ReadTemperature(ctx, lake, o.Weather.Station, tFrom, gridEnd)
		if err != nil {
			return st, err
		}
		// Coverage counts from the first kW or kWh data: the history before a
		// lake's first reading needs no weather.
		first, err := dataStart(ctx, lake)
		if err != nil {
			return st, err
		}
		if first.After(tFrom) {
			tFrom = first.Truncate(time.Hour)
		}
		if err := checkTemperature(temp, o.Weather.Station, tFrom, end, "the anomaly scores"); err != nil {
			return st, err
		}
		if wall != nil {
			temp = wallMean(temp, loc)
		}
		dopt.Temperature = &temp
		st.Weather = &Weather{Station: o.Weather.Station, BaseTemp: dopt.BaseTemp}
	}
	st.Model = fmt.Sprintf("weekday-level-%dw-logmad-%g", dopt.Weeks, dopt.Interval)
	if st.Weather != nil {
		st.Model += fmt.Sprintf("-weather-%g", st.Weather.BaseTemp)
	}
	st.Events = map[AnomalyKind]int64{}

	// One dynamic pass finds the meters as it reads them while the grid
	// fits the budget; past it, the meters are listed and read in passes.
	var groups [][]string
	var g *grid
	if len(o.MeterIDs) > 0 {
		groups = passes(slices.Compact(slices.Sorted(slices.Values(o.MeterIDs))), n, o.MetersPerFile, o.MemoryBudget)
	} else {
		var sst partition.ScanStats
		var err error
		g, sst, err = scanHours(ctx, lake, gridStart, step, n, o.MemoryBudget, progress)
		st.Scan.Add(sst)
		st.Passes++
		switch {
		case errors.Is(err, errOverBudget):
			progress(Progress{Stage: "discover"})
			ids, err := meterIDs(ctx, lake, gridStart, gridEnd)
			if err != nil {
				return st, err
			}
			g, groups = nil, passes(ids, n, o.MetersPerFile, o.MemoryBudget)
		case err != nil:
			return st, err
		default:
			groups = [][]string{slices.Sorted(slices.Values(g.ids))}
		}
	}
	defer func() {
		if g != nil {
			g.free()
		}
	}()
	sc := &anomalyScorer{o: &dopt, from: wallFrom, end: wallEnd, model: st.Model, wall: wall}
	keep, keepEvents := map[string]bool{}, map[string]bool{}
	var done int64
	total := 0
	for _, gr := range groups {
		total += len(gr)
	}
	c := 0 // chunk number, over all passes
	subset := len(o.MeterIDs) > 0
	if subset {
		// Replace only the selected meters' rows (see dropMeters).
		ids := make(map[string]bool, len(o.MeterIDs))
		for _, id := range o.MeterIDs {
			ids[id] = true
		}
		if err := dropMeters(ctx, lake, tables.AnomalyDir(o.Year), ids, func(r *tables.AnomalyRow) string { return r.MeterID }); err != nil {
			return st, err
		}
		if err := dropMeters(ctx, lake, tables.AnomalyEventDir(o.Year), ids, func(r *tables.AnomalyEventRow) string { return r.MeterID }); err != nil {
			return st, err
		}
	}
	for _, group := range groups {
		if g == nil {
			var sst partition.ScanStats
			var err error
			g, sst, err = scanGrid(ctx, lake, group, gridStart, step, n, len(groups) > 1 || len(o.MeterIDs) > 0, progress)
			st.Scan.Add(sst)
			st.Passes++
			if err != nil {
				return st, err
			}
		}
		for k := 0; k < len(group); k, c = k+o.MetersPerFile, c+1 {
			chunk := group[k:min(k+o.MetersPerFile, len(group))]
			per := make([]meterAnomalies, len(chunk))
			jobs := make(chan int)
			var wg sync.WaitGroup
			var errOnce sync.Once
			var firstErr error
			for range min(workers(o.Workers), len(chunk)) {
				wg.Go(func() {
					for j := range jobs {
						row, ok := g.index[chunk[j]]
						if !ok {
							continue
						}
						var err error
						if per[j], err = sc.score(g, int(row)); err != nil {
							errOnce.Do(func() { firstErr = err })
						}
					}
				})
			}
			for j := range chunk {
				if ctx.Err() != nil {
					break
				}
				jobs <- j
			}
			close(jobs)
			wg.Wait()
			if err := ctx.Err(); err != nil {
				return st, err
			}
			if firstErr != nil {
				return st, firstErr
			}
			var rows []tables.AnomalyRow
			var events []tables.AnomalyEventRow
			for _, r := range per {
				if len(r.days) > 0 {
					st.Meters++
				}
				for i := range r.days {
					switch r.days[i].Anomaly {
					case 1:
						st.Spikes++
					case -1:
						st.Dips++
					}
				}
				for i := range r.events {
					st.Events[AnomalyKind(r.events[i].Kind)]++
				}
				rows = append(rows, r.days...)
				events = append(events, r.events...)
			}
			done += int64(len(chunk))
			progress(Progress{Stage: "score", Done: done, Total: int64(total)})
			name := fmt.Sprintf("part-%05d.parquet", c)
			if subset {
				name = subsetName(o.MeterIDs, c)
			}
			if len(rows) > 0 {
				dir := tables.AnomalyDir(o.Year)
				nb, err := writeParquet(ctx, lake, dir+name, rows)
				if err != nil {
					return st, err
				}
				keep[name] = true
				st.Files = append(st.Files, dir+name)
				st.Days += int64(len(rows))
				st.Bytes += nb
			}
			if len(events) > 0 {
				dir := tables.AnomalyEventDir(o.Year)
				nb, err := writeParquet(ctx, lake, dir+name, events)
				if err != nil {
					return st, err
				}
				keepEvents[name] = true
				st.EventFiles = append(st.EventFiles, dir+name)
				st.Bytes += nb
			}
		}
		g.free()
		g = nil
	}
	if !subset {
		if err := removeOthers(ctx, lake, tables.AnomalyDir(o.Year), keep); err != nil {
			return st, err
		}
		if err := removeOthers(ctx, lake, tables.AnomalyEventDir(o.Year), keepEvents); err != nil {
			return st, err
		}
	}
	st.Elapsed = time.Since(t0)
	return st, nil
}

// errOverBudget stops a dynamic scan whose grid outgrew its budget.
var errOverBudget = errors.New("forecast: hourly grid over the memory budget")

// scanHours reads the hourly sums and counts of kW and kWh reads of every meter
// over n hours from start, adding meters as the scan meets them, and
// fails with errOverBudget as soon as the grid would exceed budget.
//
// The grid's cells are reserved for the most meters the budget allows in
// one anonymous mapping (see newMappedGrid), whose untouched pages cost
// nothing: a meter met takes the next n cells, where appending to slices
// on the heap would copy the grid at every doubling and hold up to three
// times it at once. The caller frees the grid.
func scanHours(ctx context.Context, lake *blob.Bucket, start time.Time, step time.Duration, n int, budget int64, progress func(Progress)) (*grid, partition.ScanStats, error) {
	g := newGrid(nil, start, step, n)
	if most := budget / (int64(n) * gridCellBytes); most > 0 {
		if sum, cnt, unmap := mapCells(int(most) * n); unmap != nil {
			g = makeGrid(nil, start, step, n, sum[:0], cnt[:0], unmap)
		}
	}
	end := start.Add(time.Duration(n) * step)
	f := &partition.Filter{Types: energyTypes, From: start.Add(time.Millisecond), To: end.Add(time.Millisecond)}
	hp := newHourProgress(start, end)
	st, err := partition.Scan(ctx, lake, f, func(reads []meter.Reading) error {
		for i := range reads {
			if _, ok := g.index[reads[i].MeterID]; !ok {
				if int64(len(g.ids)+1)*int64(n)*gridCellBytes > budget {
					return errOverBudget
				}
				g.index[reads[i].MeterID] = int32(len(g.ids))
				g.ids = append(g.ids, reads[i].MeterID)
				if g.unmap != nil { // zero cells of the mapping
					g.sum, g.cnt = g.sum[:len(g.sum)+n], g.cnt[:len(g.cnt)+n]
				} else {
					g.sum = append(g.sum, make([]float32, n)...)
					g.cnt = append(g.cnt, make([]uint16, n)...)
				}
			}
		}
		g.add(reads)
		if hp.add(reads[0].Time) {
			progress(Progress{Stage: "scan", Done: hp.done, Total: hp.total})
		}
		return nil
	})
	if err != nil {
		g.free()
	}
	if errors.Is(err, errOverBudget) {
		return nil, st, errOverBudget
	}
	if err != nil {
		return nil, st, fmt.Errorf("forecast: scanning kW and kWh reads %v to %v: %w", start, end, err)
	}
	return g, st, nil
}

// anomalyScorer turns one meter's row of an hourly grid into its rows of
// the two anomaly tables.
type anomalyScorer struct {
	o         *DetectOptions
	from, end time.Time // the scored days, on the wall clock if wall is set
	model     string
	// wall, if set, re-lays the grid on the days of a time zone.
	wall *wallClock
}

// meterAnomalies are one meter's rows.
type meterAnomalies struct {
	days   []tables.AnomalyRow
	events []tables.AnomalyEventRow
}

func (s *anomalyScorer) score(g *grid, row int) (meterAnomalies, error) {
	var out meterAnomalies
	cnt := g.counts(row, nil)
	if !slices.ContainsFunc(cnt, func(c uint16) bool { return c > 0 }) {
		return out, nil
	}
	// The meter's full hour is its most frequent high count over the week
	// (robust to an hour with a duplicated batch, and to a change of read
	// interval, which upsets one week); an hour with fewer reads than
	// MinCoverage of it is missing.
	vals := g.energy(row, nil)
	usualBlocks(g.n, g.step, func(lo, hi int) {
		full := fullCount(cnt[lo:hi])
		for i := lo; i < hi; i++ {
			if float64(cnt[i]) < s.o.MinCoverage*float64(full) {
				vals[i] = math.NaN()
			}
		}
	})
	series := Series{Start: g.start, Step: g.step, Values: vals}
	if s.wall != nil {
		series = s.wall.series(s.wall.energy(vals, nil))
	}
	det, err := Detect(series, s.o)
	if err != nil {
		return out, fmt.Errorf("forecast: meter %s: %w", g.ids[row], err)
	}
	id := g.ids[row]
	for _, d := range det.Days {
		if d.Day.Before(s.from) || !d.Day.Before(s.end) {
			continue
		}
		out.days = append(out.days, tables.AnomalyRow{MeterID: id, Day: d.Day, Consumption: d.Energy, Expected: d.Expected,
			Lower: d.Lower, Upper: d.Upper, Anomaly: d.Flag, Importance: d.Importance, Model: s.model})
	}
	for _, e := range det.Events {
		if e.Start.Before(s.from) || !e.Start.Before(s.end) {
			continue
		}
		if s.wall != nil {
			e.Start, e.End = instantOf(e.Start, s.wall.loc), instantOf(e.End, s.wall.loc)
		}
		out.events = append(out.events, tables.AnomalyEventRow{MeterID: id, Kind: string(e.Kind), Start: e.Start, End: e.End,
			Resolution: int32(e.Resolution / time.Second), Consumption: e.Observed, Expected: tables.Optional(e.Expected),
			Lower: tables.Optional(e.Lower), Upper: tables.Optional(e.Upper), Importance: e.Importance, Model: s.model})
	}
	return out, nil
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
