package query

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/openmda/mda/meter"
)

// Voltage holds the voltage statistics of one meter over one period.
type Voltage struct {
	MeterID string
	// Start and End bound the period, [Start, End), clipped to the query's
	// range.
	Start, End time.Time
	// Min, Avg and Max are in volts, as stored (type vltg).
	Min, Avg, Max float64
	// Reads is the number of reads.
	Reads int
}

// Voltage returns the minimum, mean and maximum voltage of the meters that
// f selects per period, over the reads stamped in (f.From, f.To] (the same
// buckets as Energy), ordered by meter and start. NaN values are skipped.
func (l *Lake) Voltage(ctx context.Context, f Filter, p Period) ([]Voltage, Stats, error) {
	if err := checkRange(f); err != nil {
		return nil, Stats{}, err
	}
	if !p.valid() {
		return nil, Stats{}, errInvalidPeriod(p)
	}
	pf := endFilter(f, meter.TypeVoltage)
	type acc struct {
		v   Voltage
		sum float64
	}
	accs := make(map[bucketKey]*acc)
	loc := l.opts.Location
	st, err := l.scan(ctx, &pf, func(rs []meter.Reading) error {
		for _, r := range rs {
			if math.IsNaN(r.Value) {
				continue
			}
			start, end := p.Bucket(r.Time.Add(-time.Millisecond), loc)
			k := bucketKey{r.MeterID, start.UnixMilli()}
			a := accs[k]
			if a == nil {
				s, e := clip(start, end, f.From.In(loc), f.To.In(loc))
				a = &acc{v: Voltage{MeterID: r.MeterID, Start: s, End: e, Min: r.Value, Max: r.Value}}
				accs[k] = a
			}
			a.v.Min = min(a.v.Min, r.Value)
			a.v.Max = max(a.v.Max, r.Value)
			a.sum += r.Value
			a.v.Reads++
		}
		return nil
	})
	if err != nil {
		return nil, st, err
	}
	keys := slices.SortedFunc(maps.Keys(accs), compareKeys)
	out := make([]Voltage, len(keys))
	for i, k := range keys {
		a := accs[k]
		a.v.Avg = a.sum / float64(a.v.Reads)
		out[i] = a.v
	}
	return out, st, nil
}

func errInvalidPeriod(p Period) error { return fmt.Errorf("query: invalid period %v", p) }
