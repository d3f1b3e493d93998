package dataflow

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/openmda/mda/tables"
)

// WeatherFileName is the name of every day's file:
// tables.WeatherDir(day)+WeatherFileName.
const WeatherFileName = "weather.parquet"

// WeatherOptions configures a WeatherFlow. Nil means the defaults.
type WeatherOptions struct {
	// Files are the paths in the source to load, in order (later files
	// win over earlier ones for the same station and hour); empty means
	// every *.csv file in the source, recursively, in lexical order.
	Files []string
	// Station is the station of rows from files without a station column
	// (Meteostat's hourly export has none: the guidance loads one
	// station); default "".
	Station string
}

// WeatherStats describes a weather load.
type WeatherStats struct {
	// Files and Rows count the files and data rows read.
	Files, Rows int
	// Duplicates counts rows of the load superseded by a later row of the
	// same load (same station and time).
	Duplicates int
	// Days is the number of day files written.
	Days int
	// Replaced counts rows already in the lake that the load superseded,
	// Kept those it left as they were.
	Replaced, Kept int
	// Written is the number of rows in the day files written.
	Written int64
}

// WeatherFlow loads Meteostat hourly CSV into the lake's weather table.
type WeatherFlow struct {
	opts    WeatherOptions
	rows    []tables.WeatherRow
	days    [][]tables.WeatherRow // by day, sorted
	stats   WeatherStats
	written Written
}

// NewWeatherFlow returns a weather flow.
func NewWeatherFlow(opts *WeatherOptions) *WeatherFlow {
	f := &WeatherFlow{}
	if opts != nil {
		f.opts = *opts
	}
	return f
}

// Name implements Flow.
func (f *WeatherFlow) Name() string { return "weather" }

// Stats returns what the flow did so far.
func (f *WeatherFlow) Stats() WeatherStats { return f.stats }

// Load reads the CSV files (see WeatherOptions.Files) and parses them with
// ParseMeteostatCSV.
func (f *WeatherFlow) Load(ctx context.Context, src fs.FS) error {
	files := f.opts.Files
	if len(files) == 0 {
		err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(strings.ToLower(p), ".csv") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("listing the source: %w", err)
		}
		if len(files) == 0 {
			return errors.New("no .csv files in the source")
		}
	}
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := src.Open(name)
		if err != nil {
			return err
		}
		rows, err := ParseMeteostatCSV(r, f.opts.Station)
		r.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		f.rows = append(f.rows, rows...)
		f.stats.Files++
		f.stats.Rows += len(rows)
	}
	return nil
}

// Meteostat's columns and the guidance's names for them. The parser
// accepts either.
var weatherColumns = []struct{ meteostat, guidance string }{
	{"temp", "temperature"}, {"dwpt", "dew_point"}, {"rhum", "relative_humidity"},
	{"prcp", "precipitation"}, {"snow", "snow_depth"}, {"wdir", "wind_direction"},
	{"wspd", "wind_speed"}, {"wpgt", "wind_gust"}, {"pres", "sealevel_air_pressure"},
	{"tsun", "sunshine_hours"}, {"coco", "weather_condition_code"},
}

var weatherTimeLayouts = []string{"2006-01-02 15:04:05", time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04"}

// ParseMeteostatCSV parses hourly observations in Meteostat's CSV: a
// header naming the columns (time is required; temp, dwpt, rhum, prcp,
// snow, wdir, wspd, wpgt, pres, tsun and coco, or the guidance's names for
// them, temperature, dew_point, ...; an optional station column; others
// are ignored), in any order. Times are UTC ("2006-01-02 15:04:05" or RFC
// 3339); an empty value is missing (NaN). Rows without a station column
// get station. Errors give the line number.
func ParseMeteostatCSV(r io.Reader, station string) ([]tables.WeatherRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty file: no header")
	}
	if err != nil {
		return nil, err
	}
	header = slices.Clone(header) // the reader reuses its record
	timeCol, stationCol := -1, -1
	cols := make([]int, len(weatherColumns)) // CSV column of each field, -1 if none
	for i := range cols {
		cols[i] = -1
	}
	for c, name := range header {
		name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
		switch name {
		case "time":
			timeCol = c
		case "station":
			stationCol = c
		}
		for i, wc := range weatherColumns {
			if name == wc.meteostat || name == wc.guidance {
				cols[i] = c
			}
		}
	}
	if timeCol < 0 {
		return nil, fmt.Errorf("line 1: no time column in header %q", strings.Join(header, ","))
	}
	var out []tables.WeatherRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(header) {
			return nil, fmt.Errorf("line %d: %d fields, header has %d", line, len(rec), len(header))
		}
		row := tables.WeatherRow{Station: station}
		ts := strings.TrimSpace(rec[timeCol])
		ok := false
		for _, layout := range weatherTimeLayouts {
			if t, err := time.Parse(layout, ts); err == nil {
				row.Time, ok = t.UTC().Truncate(time.Millisecond), true
				break
			}
		}
		if !ok {
			return nil, fmt.Errorf("line %d: bad time %q", line, ts)
		}
		if stationCol >= 0 {
			row.Station = strings.TrimSpace(rec[stationCol])
		}
		fields := row.Values()
		for i, c := range cols {
			v := math.NaN()
			if c >= 0 {
				if s := strings.TrimSpace(rec[c]); s != "" {
					x, err := strconv.ParseFloat(s, 64)
					if err != nil {
						return nil, fmt.Errorf("line %d: column %s: bad number %q", line, header[c], s)
					}
					v = x
				}
			}
			*fields[i] = v
		}
		out = append(out, row)
	}
}

type weatherKey struct {
	station string
	ms      int64
}

// Prepare de-duplicates the load (the last row for a station and time
// wins) and groups it by UTC day.
func (f *WeatherFlow) Prepare(ctx context.Context) error {
	latest := make(map[weatherKey]int, len(f.rows))
	for i, r := range f.rows {
		k := weatherKey{r.Station, r.Time.UnixMilli()}
		if _, dup := latest[k]; dup {
			f.stats.Duplicates++
		}
		latest[k] = i
	}
	rows := make([]tables.WeatherRow, 0, len(latest))
	for i, r := range f.rows {
		if latest[weatherKey{r.Station, r.Time.UnixMilli()}] == i {
			rows = append(rows, r)
		}
	}
	sortWeather(rows)
	f.days = nil
	for i := 0; i < len(rows); {
		j := i
		day := dayOf(rows[i].Time)
		for j < len(rows) && dayOf(rows[j].Time).Equal(day) {
			j++
		}
		f.days = append(f.days, rows[i:j])
		i = j
	}
	f.rows = nil
	return nil
}

func dayOf(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

func sortWeather(rows []tables.WeatherRow) {
	slices.SortStableFunc(rows, func(a, b tables.WeatherRow) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Station, b.Station)
	})
}

// Store merges every day of the load with the rows the lake already has
// for that day (every Parquet file in its directory) by station and time,
// the load's rows winning, and writes the day as one file,
// tables.WeatherDir(day)+WeatherFileName, replacing the directory's other
// files. The day file appears atomically: a reader sees the old day or the
// new one. Loading the same data again writes the same bytes. Missing
// values are written as NULL (tables.WeatherParquetRow), also those of
// the rows kept from files written when the table held NaN for them.
func (f *WeatherFlow) Store(ctx context.Context, lake *blob.Bucket) error {
	f.written = Written{Table: "weather", Location: tables.WeatherPrefix}
	for _, rows := range f.days {
		day := dayOf(rows[0].Time)
		dir := tables.WeatherDir(day)
		files, err := listParquet(ctx, lake, dir)
		if err != nil {
			return err
		}
		merged := make(map[weatherKey]tables.WeatherRow, len(rows))
		for _, key := range files {
			old, err := readParquet[tables.WeatherParquetRow](ctx, lake, key)
			if err != nil {
				return err
			}
			for i := range old {
				r := old[i].Row()
				r.Time = r.Time.UTC()
				merged[weatherKey{r.Station, r.Time.UnixMilli()}] = r
			}
		}
		for _, r := range rows {
			k := weatherKey{r.Station, r.Time.UnixMilli()}
			if _, ok := merged[k]; ok {
				f.stats.Replaced++
			}
			merged[k] = r
		}
		f.stats.Kept += len(merged) - len(rows)
		all := make([]tables.WeatherRow, 0, len(merged))
		for _, r := range merged {
			all = append(all, r)
		}
		sortWeather(all)
		key := dir + WeatherFileName
		stored := make([]tables.WeatherParquetRow, len(all))
		for i := range all {
			stored[i] = all[i].Parquet()
		}
		if err := writeParquet(ctx, lake, key, stored); err != nil {
			return err
		}
		for _, old := range files {
			if old != key {
				if err := lake.Delete(ctx, old); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
					return fmt.Errorf("deleting %s: %w", old, err)
				}
			}
		}
		f.stats.Days++
		f.stats.Written += int64(len(all))
		f.written.Partitions = append(f.written.Partitions, strings.TrimPrefix(dir, tables.WeatherPrefix))
		f.written.Files = append(f.written.Files, key)
		f.written.Rows += int64(len(all))
	}
	return nil
}

// Register implements Flow: one call for the weather table, with the
// days written as partitions.
func (f *WeatherFlow) Register(ctx context.Context, register RegisterFunc) error {
	if len(f.written.Files) == 0 {
		return nil
	}
	return register(ctx, f.written)
}

// listParquet returns the visible Parquet files directly under dir.
func listParquet(ctx context.Context, b *blob.Bucket, dir string) ([]string, error) {
	it := b.List(&blob.ListOptions{Prefix: dir, Delimiter: "/"})
	var out []string
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			slices.Sort(out)
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", dir, err)
		}
		name := path.Base(obj.Key)
		if obj.IsDir || name == "" || name[0] == '.' || name[0] == '_' || !strings.HasSuffix(name, ".parquet") {
			continue
		}
		out = append(out, obj.Key)
	}
}

func readParquet[T any](ctx context.Context, b *blob.Bucket, key string) ([]T, error) {
	data, err := b.ReadAll(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	rows, err := parquet.Read[T](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", key, err)
	}
	return rows, nil
}

func writeParquet[T any](ctx context.Context, b *blob.Bucket, key string, rows []T) error {
	var buf bytes.Buffer
	pw := parquet.NewGenericWriter[T](&buf, parquet.Compression(&parquet.Snappy), parquet.CreatedBy("openmda", "", ""))
	if _, err := pw.Write(rows); err != nil {
		return fmt.Errorf("encoding %s: %w", key, err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("encoding %s: %w", key, err)
	}
	if err := b.WriteAll(ctx, key, buf.Bytes(), &blob.WriterOptions{ContentType: "application/vnd.apache.parquet"}); err != nil {
		return fmt.Errorf("writing %s: %w", key, err)
	}
	return nil
}

// ReadWeather returns the lake's weather observations with from <= time <
// to, sorted by time and station, reading only the day directories of the
// range. Missing values (NULL, or NaN in files written before the columns
// were optional) are NaN.
func ReadWeather(ctx context.Context, lake *blob.Bucket, from, to time.Time) ([]tables.WeatherRow, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("dataflow: weather range [%v, %v) is empty", from, to)
	}
	if to.Sub(from) > 100*366*24*time.Hour {
		return nil, fmt.Errorf("dataflow: weather range [%v, %v) is too long", from, to)
	}
	var out []tables.WeatherRow
	for day := dayOf(from); day.Before(to); day = day.Add(24 * time.Hour) {
		files, err := listParquet(ctx, lake, tables.WeatherDir(day))
		if err != nil {
			return nil, fmt.Errorf("dataflow: %w", err)
		}
		for _, key := range files {
			rows, err := readParquet[tables.WeatherParquetRow](ctx, lake, key)
			if err != nil {
				return nil, fmt.Errorf("dataflow: %w", err)
			}
			for i := range rows {
				r := rows[i].Row()
				r.Time = r.Time.UTC()
				if !r.Time.Before(from) && r.Time.Before(to) {
					out = append(out, r)
				}
			}
		}
	}
	sortWeather(out)
	return out, nil
}
