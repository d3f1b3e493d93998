package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/query"
)

func runQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("query", "--meter ID [--type kw] [--from DATE] [--to DATE] [flags]", stderr)
	lakeURL := fs.String("lake", mda.DefaultLakeURL, "lake bucket URL")
	meterID := fs.String("meter", "", "meter id (required)")
	types := fs.String("type", "kw", "reading types, comma-separated, or 'all' (--hourly chooses kw or kwh itself)")
	from := fs.String("from", "", "first day YYYY-MM-DD, or an RFC 3339 instant")
	to := fs.String("to", "", "last day YYYY-MM-DD (the whole day), or an RFC 3339 instant; the reads stamped in (from, to]\n"+
		"count, since a read ends its interval: a day's reads run from 00:15 to the next midnight")
	format := fs.String("format", "csv", "output format: csv or json")
	hourly := fs.Bool("hourly", false, "print energy per hour in kWh instead of reads: kwh reads summed, else kw reads times the interval,\n"+
		"each counted in the hour its interval falls in (a read stamped 10:00 ends the interval 09:45-10:00)")
	interval := fs.Duration("interval", 0, "interval each kw read stands for, for --hourly (default: inferred from the data)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *meterID == "":
		return usageError(fs, "--meter is required")
	case *format != "csv" && *format != "json":
		return usageError(fs, "unknown --format %q: want csv or json", *format)
	case *interval < 0:
		return usageError(fs, "--interval must not be negative, got %v", *interval)
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *hourly {
		typeSet := false
		fs.Visit(func(f *flag.Flag) { typeSet = typeSet || f.Name == "type" })
		if typeSet {
			return fmt.Errorf("--type with --hourly: the energy comes from kwh reads, else kw reads, whichever the meter has")
		}
	}
	f := &partition.Filter{MeterIDs: []string{*meterID}}
	var err error
	if f.From, err = parseWhen(*from, false); err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	if f.To, err = parseWhen(*to, true); err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if *types != "all" && !*hourly {
		for _, t := range strings.Split(*types, ",") {
			t = strings.TrimSpace(t)
			if _, ok := meter.LookupType(meter.Type(t)); !ok {
				return fmt.Errorf("--type: unknown reading type %q", t)
			}
			f.Types = append(f.Types, meter.Type(t))
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return fmt.Errorf("--from %s --to %s is an empty range", *from, *to)
	}
	lake, err := openLakeToRead(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer lake.Close()
	if *hourly {
		return queryHourly(ctx, lake, *meterID, f.From, f.To, *interval, *format, stdout, stderr)
	}
	// Reads stamped in (from, to], as /reads and --hourly count them.
	if !f.From.IsZero() {
		f.From = f.From.Add(time.Millisecond)
	}
	if !f.To.IsZero() {
		f.To = f.To.Add(time.Millisecond)
	}
	reads, stats, err := partition.ReadAll(ctx, lake, f)
	if err != nil {
		return err
	}
	if err := printReads(stdout, reads, *format); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d reads from %d partitions (%d pruned), %d files, %d row groups (%d pruned)\n",
		len(reads), stats.Partitions, stats.PartitionsPruned, stats.Files, stats.RowGroups, stats.RowGroupsPruned)
	return nil
}

// queryHourly prints a meter's energy per hour over the intervals in
// [from, to) (zero: unbounded), as query.Lake.Energy computes it for the
// API's /consumption route: reading times are interval ends, kwh reads
// are summed, kw reads are multiplied by the interval (iv, or inferred
// from the data if 0).
func queryHourly(ctx context.Context, b *blob.Bucket, id string, from, to time.Time, iv time.Duration, format string, stdout, stderr io.Writer) error {
	// Energy needs a bounded range; a meter's query is one scan whatever
	// its span (the listing prunes the years without data), so the
	// bounds of the unbounded flags cost nothing.
	if from.IsZero() {
		from = time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC) // the lake's first year (1 ns: the zero time means unset)
	}
	if to.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	es, st, err := query.New(b, &query.Options{Interval: iv}).Energy(ctx, query.Filter{MeterIDs: []string{id}, From: from, To: to}, query.Hour)
	if err != nil {
		return err
	}
	if err := printEnergy(stdout, es, format); err != nil {
		return err
	}
	if len(es) == 0 {
		fmt.Fprintf(stderr, "no kw or kwh reads of meter %s in the range (%d partitions scanned)\n", id, st.Partitions)
		return nil
	}
	var total float64
	reads := 0
	for _, e := range es {
		total += e.KWh
		reads += e.Reads
	}
	basis := "kwh reads"
	if iv := es[0].Interval; iv > 0 {
		basis = fmt.Sprintf("kw reads x %v", iv)
	}
	fmt.Fprintf(stderr, "%d hours, %.4f kWh from %d %s; %d partitions (%d pruned), %d row groups (%d pruned)\n",
		len(es), total, reads, basis, st.Partitions, st.PartitionsPruned, st.RowGroups, st.RowGroupsPruned)
	return nil
}

// parseWhen parses a day or an instant. A day as an upper bound means the
// end of that day, so that a range of days includes its last day.
func parseWhen(s string, upper bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse("2006-01-02", s); err == nil {
		if upper {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want YYYY-MM-DD or RFC 3339, got %q", s)
	}
	return t.UTC(), nil
}

type readJSON struct {
	MeterID string    `json:"meter_id"`
	Type    string    `json:"reading_type"`
	Time    time.Time `json:"reading_date_time"`
	Value   float64   `json:"reading_value"`
	Unit    string    `json:"unit"`
	Source  string    `json:"reading_source"`
	Arrival time.Time `json:"arrival_time"`
	Quality string    `json:"quality"`
}

func printReads(w io.Writer, reads []meter.Reading, format string) error {
	if format == "json" {
		out := make([]readJSON, len(reads))
		for i, r := range reads {
			info, _ := meter.LookupType(r.Type)
			out[i] = readJSON{r.MeterID, string(r.Type), r.Time, r.Value, info.Unit, r.Source, r.Arrival, r.Quality.String()}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"meter_id", "reading_type", "reading_date_time", "reading_value", "unit", "reading_source", "arrival_time", "quality"})
	for _, r := range reads {
		info, _ := meter.LookupType(r.Type)
		cw.Write([]string{r.MeterID, string(r.Type), r.Time.Format(time.RFC3339Nano), strconv.FormatFloat(r.Value, 'f', -1, 64),
			info.Unit, r.Source, r.Arrival.Format(time.RFC3339Nano), r.Quality.String()})
	}
	cw.Flush()
	return cw.Error()
}

// printEnergy prints energy per hour: meter, hour (its start), kWh and
// the number of reads that contributed.
func printEnergy(w io.Writer, es []query.Energy, format string) error {
	if format == "json" {
		type row struct {
			MeterID string    `json:"meter_id"`
			Hour    time.Time `json:"hour"`
			KWh     float64   `json:"kwh"`
			Reads   int       `json:"reads"`
		}
		out := make([]row, len(es))
		for i, e := range es {
			out[i] = row{e.MeterID, e.Start, e.KWh, e.Reads}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"meter_id", "hour", "kwh", "reads"})
	for _, e := range es {
		cw.Write([]string{e.MeterID, e.Start.Format(time.RFC3339), strconv.FormatFloat(e.KWh, 'f', 4, 64), strconv.Itoa(e.Reads)})
	}
	cw.Flush()
	return cw.Error()
}
