package querytest

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/tables"
)

// Options configures Build. Nil means the defaults.
type Options struct {
	// Meters, Days and Seed configure the simulator; defaults 5 meters, 3
	// days, seed 1. The window starts at simulator.DefaultStart with
	// 15-minute reads.
	Meters, Days int
	Seed         int64
	// RowGroupRows is the lake files' row group size (partition's default
	// if 0).
	RowGroupRows int
	// KWOnly writes the kW reads only, straight from the simulator's truth
	// through a partition.Writer, day by day, instead of ingesting the
	// full CSV: much faster for large benchmark lakes, and the kW files are
	// the same.
	KWOnly bool
	// NoTables leaves out the forecasts and anomalies tables.
	NoTables bool
}

// ForecastModel is the model_name of the forecast run Build writes.
const ForecastModel = "seasonal_naive"

// AnomalyModel is the model of the anomaly scores Build writes.
const AnomalyModel = "median_band"

// Lake describes a lake Build made.
type Lake struct {
	Gen *simulator.Generator
	// MeterIDs are the meters, sorted.
	MeterIDs []string
	// Start is the first reading time; End the time after the last
	// reading (Start + Days).
	Start, End time.Time
	// ForecastStart is the start of the forecast run: the beginning of the
	// last day. The run forecasts that day hour by hour.
	ForecastStart time.Time
}

// Build fills b with a simulated lake.
func Build(ctx context.Context, b *blob.Bucket, opts *Options) (*Lake, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	l, err := Describe(&o)
	if err != nil {
		return nil, err
	}
	g := l.Gen
	wo := &partition.WriterOptions{RowGroupRows: o.RowGroupRows}
	if o.KWOnly {
		_, err = g.WriteTruthLake(ctx, b, "querytest", wo, meter.TypeKW)
	} else {
		err = ingest(ctx, b, g, wo)
	}
	if err != nil {
		return nil, err
	}
	if o.NoTables {
		return l, nil
	}
	hourly, err := l.HourlyKWh()
	if err != nil {
		return nil, err
	}
	if err := writeForecasts(ctx, b, l, hourly); err != nil {
		return nil, err
	}
	if err := writeAnomalies(ctx, b, l, hourly); err != nil {
		return nil, err
	}
	return l, nil
}

func ingest(ctx context.Context, b *blob.Bucket, g *simulator.Generator, wo *partition.WriterOptions) error {
	var buf bytes.Buffer
	if _, err := g.WriteCSV(&buf); err != nil {
		return err
	}
	const key = "inbound/querytest.csv"
	if err := b.WriteAll(ctx, key, buf.Bytes(), nil); err != nil {
		return err
	}
	if _, err := mda.Ingest(ctx, b, b, key, &mda.IngestOptions{Writer: wo}); err != nil {
		return err
	}
	return b.Delete(ctx, key)
}

// HourlyKWh returns the truth's energy per meter and hour (interval-end
// convention, 15-minute kW reads), computed with mda.HourlyEnergy.
func (l *Lake) HourlyKWh() ([]mda.Energy, error) {
	var kw []meter.Reading
	err := l.Gen.TruthReads(func(r meter.Reading) error {
		if r.Type == meter.TypeKW {
			kw = append(kw, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return mda.HourlyEnergy(kw, l.Gen.Options().Interval), nil
}

// writeForecasts writes a seasonal-naive run made at the start of the last
// day: each hour's P50 is the same hour's energy the day before, P10 and
// P90 are 80% and 120% of it. ForecastTime is the end of the hour.
func writeForecasts(ctx context.Context, b *blob.Bucket, l *Lake, hourly []mda.Energy) error {
	prev := l.ForecastStart.AddDate(0, 0, -1)
	var rows []tables.ForecastRow
	for _, e := range hourly {
		if e.Start.Before(prev) || !e.Start.Before(l.ForecastStart) {
			continue
		}
		rows = append(rows, tables.ForecastRow{MeterID: e.MeterID, ForecastTime: e.Start.Add(25 * time.Hour),
			P10: 0.8 * e.KWh, P50: e.KWh, P90: 1.2 * e.KWh, ModelVersion: "v1"})
	}
	return writeParquet(ctx, b, tables.ForecastDir(ForecastModel, l.ForecastStart)+"part-0.parquet", rows)
}

// DailyKWh sums hourly energy per meter and UTC day.
func DailyKWh(hourly []mda.Energy) []mda.Energy {
	var out []mda.Energy
	for _, e := range hourly {
		d := e.Start.Truncate(24 * time.Hour)
		if n := len(out); n > 0 && out[n-1].MeterID == e.MeterID && out[n-1].Start.Equal(d) {
			out[n-1].KWh += e.KWh
			out[n-1].Reads += e.Reads
			continue
		}
		out = append(out, mda.Energy{MeterID: e.MeterID, Start: d, KWh: e.KWh, Reads: e.Reads})
	}
	return out
}

// writeAnomalies scores each meter's days in [Start, End) against a band of ±5% around
// the median of its daily energy: above is a spike, below a dip.
func writeAnomalies(ctx context.Context, b *blob.Bucket, l *Lake, hourly []mda.Energy) error {
	var inside []mda.Energy // the hour before Start holds the first read
	for _, e := range hourly {
		if !e.Start.Before(l.Start) {
			inside = append(inside, e)
		}
	}
	daily := DailyKWh(inside)
	byYear := make(map[int][]tables.AnomalyRow)
	for i := 0; i < len(daily); {
		j := i
		for j < len(daily) && daily[j].MeterID == daily[i].MeterID {
			j++
		}
		vals := make([]float64, 0, j-i)
		for _, d := range daily[i:j] {
			vals = append(vals, d.KWh)
		}
		slices.Sort(vals)
		med := vals[len(vals)/2]
		lo, hi := 0.95*med, 1.05*med
		for _, d := range daily[i:j] {
			r := tables.AnomalyRow{MeterID: d.MeterID, Day: d.Start, Consumption: d.KWh, Expected: med,
				Lower: lo, Upper: hi, Model: AnomalyModel}
			switch {
			case d.KWh > hi:
				r.Anomaly = 1
				r.Importance = (d.KWh - hi) / d.KWh
			case d.KWh < lo:
				r.Anomaly = -1
				if d.KWh != 0 {
					r.Importance = (lo - d.KWh) / d.KWh
				}
			}
			if math.IsNaN(r.Importance) {
				r.Importance = 0
			}
			byYear[d.Start.Year()] = append(byYear[d.Start.Year()], r)
		}
		i = j
	}
	for y, rows := range byYear {
		if err := writeParquet(ctx, b, tables.AnomalyDir(y)+"part-0.parquet", rows); err != nil {
			return err
		}
	}
	return nil
}

func writeParquet[T any](ctx context.Context, b *blob.Bucket, key string, rows []T) error {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf)
	if _, err := w.Write(rows); err != nil {
		return fmt.Errorf("querytest: %s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("querytest: %s: %w", key, err)
	}
	return b.WriteAll(ctx, key, buf.Bytes(), nil)
}

// Describe returns the Lake that Build would make with opts, without
// writing anything: for reopening a lake built earlier.
func Describe(opts *Options) (*Lake, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	g, err := simulator.New(&simulator.Options{Meters: cmp.Or(o.Meters, 5), Days: cmp.Or(o.Days, 3), Seed: cmp.Or(o.Seed, 1)})
	if err != nil {
		return nil, err
	}
	so := g.Options()
	l := &Lake{Gen: g, MeterIDs: g.MeterIDs(), Start: so.Start, End: so.Start.AddDate(0, 0, so.Days)}
	slices.Sort(l.MeterIDs)
	l.ForecastStart = l.End.AddDate(0, 0, -1)
	return l, nil
}
