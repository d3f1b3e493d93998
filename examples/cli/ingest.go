package main

import (
	"context"
	"fmt"
	"github.com/openmda/mda/meter"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/late"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/staging"
)

func runIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ingest", "[flags] FILE...", stderr)
	lakeURL := fs.String("lake", mda.DefaultLakeURL, "lake bucket URL (file://, mem://, s3://, gs://, azblob://...)")
	queueURL := fs.String("queue", mda.DefaultQueueURL, "range queue URL: mem:// (in-process), nats://SUBJECT (server from NATS_SERVER_URL) or awssqs://...")
	lateGrace := fs.Duration("late-grace", late.DefaultGrace, "a read more than this behind the latest reading time seen is late")
	force := fs.Bool("force", false, "ingest a file again even if the lake records it as ingested")
	backfill := fs.Bool("backfill", false, "the files are history (an older period, a household's export): check no read for lateness, send no late event, leave the watermark")
	workers := fs.Int("workers", 0, "parallel range workers (default: number of CPUs)")
	nranges := fs.Int("ranges", 0, "split each file into exactly this many ranges (default: the guidance's rule)")
	strict := fs.Bool("strict", false, "stop at the first bad line with its error, instead of quarantining it")
	compression := fs.String("compression", partition.DefaultCompression, "Parquet compression: zstd, snappy or none")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	format := fs.String("format", "", "input format: hes-csv, nem12, d0010, d0275, espi, lcl, wide, csv, json (JSON lines: the guidance's staging records) or quickstart (the AWS Quickstart's pipe format) (default: detected from the content)")
	tz := fs.String("tz", "", "time zone of formats in wall-clock time (IANA name, e.g. Europe/London); default each format's own")
	mapping := fs.String("map", "", "column mapping for --format csv, e.g. 'meter=1,time=2,value=3,header,layout=2006-01-02 15:04:05,type=kwh,scale=0.001,interval=30m,ending'")
	var cf catalogFlags
	cf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError(fs, "no FILE to ingest")
	}
	lake, err := mda.OpenBucket(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer lake.Close()
	register, closeCat, err := cf.open(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer closeCat()
	if *lateGrace <= 0 {
		return fmt.Errorf("--late-grace %s: want a positive duration", *lateGrace)
	}
	opts := &mda.IngestOptions{Workers: *workers, Strict: *strict, RequireReads: true, Writer: &partition.WriterOptions{Compression: *compression}, Register: register,
		QueueURL: *queueURL, Late: late.Policy{Grace: *lateGrace}, Force: *force, Backfill: *backfill}
	if *format != "" {
		if opts.Format, err = mda.ParseFormat(*format); err != nil {
			return err
		}
	}
	fo := &mda.FormatOptions{}
	if *tz != "" {
		if fo.Location, err = time.LoadLocation(*tz); err != nil {
			return fmt.Errorf("--tz: %w", err)
		}
	}
	if *mapping != "" {
		if fo.Mapped, err = parseMapping(*mapping); err != nil {
			return fmt.Errorf("--map: %w", err)
		}
	}
	opts.Formats = fo
	if *nranges > 0 {
		opts.Split = &ranges.SplitOptions{Ranges: *nranges}
	}
	var total mda.IngestStats
	t0 := time.Now()
	for _, file := range fs.Args() {
		var pw io.Writer = stderr
		if *quiet {
			pw = nil
		}
		st, err := ingestFile(ctx, lake, file, opts, pw)
		if err != nil {
			return err
		}
		printIngestStats(stdout, st)
		total.Add(st)
	}
	if fs.NArg() > 1 {
		total.Source = fmt.Sprintf("%d files", fs.NArg())
		total.Elapsed = time.Since(t0)
		// The total is a backfill's only if every file was one: else it
		// shows the live files' late reads, and how many were backfills.
		total.Backfill = total.Backfills == fs.NArg()
		printIngestStats(stdout, total)
	}
	return nil
}

// ingestFile ingests a local file through a bucket over its directory.
func ingestFile(ctx context.Context, lake *blob.Bucket, file string, opts *mda.IngestOptions, progress io.Writer) (mda.IngestStats, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return mda.IngestStats{}, fmt.Errorf("%s: %w", file, err)
	}
	dir, err := fileblob.OpenBucket(filepath.Dir(abs), &fileblob.Options{Metadata: fileblob.MetadataDontWrite})
	if err != nil {
		return mda.IngestStats{}, fmt.Errorf("%s: %w", file, err)
	}
	defer dir.Close()
	return ingestObject(ctx, lake, dir, filepath.Base(abs), opts, progress)
}

func ingestObject(ctx context.Context, lake, in *blob.Bucket, key string, opts *mda.IngestOptions, progress io.Writer) (mda.IngestStats, error) {
	o := *opts
	p := newProgress(progress)
	o.Progress = p.ingest
	st, err := mda.Ingest(ctx, lake, in, key, &o)
	p.done()
	return st, err
}

func printIngestStats(w io.Writer, st mda.IngestStats) {
	if done := st.AlreadyIngested; done != nil {
		late := fmt.Sprintf("%d late", done.Late)
		if done.Backfill {
			late = "backfill"
		}
		fmt.Fprintf(w, "already ingested %s (source %s, integrated %s: %d lines, %d reads staged, %s, %d quarantined); nothing to do, --force ingests it again\n",
			st.Source, st.SourceID, done.Integrated.Format(time.RFC3339), done.Lines, done.Reads, late, done.Quarantined)
		return
	}
	fmt.Fprintf(w, "ingested %s\n", st.Source)
	unit := "lines"
	if st.Format != "" && st.Format != meter.HESCSVFormat {
		unit = "records" // a read, or a bad record, of a format read whole
	}
	fmt.Fprintf(w, "  records read       %12d %s (%s, %d ranges)\n", st.Lines, unit, mb(st.Bytes), st.Ranges)
	if !st.Backfill || st.Late > 0 || st.LateEvents > 0 { // live, or a total with live files
		backfills := ""
		if st.Backfills > 0 {
			backfills = fmt.Sprintf("; late detection off for %d backfill files", st.Backfills)
		}
		fmt.Fprintf(w, "  reads staged       %12d (%d late%s)\n", st.Staged, st.Late, backfills)
		fmt.Fprintf(w, "  late events        %12d (one per late partition, re-integrated at once, adding %d reads to the lake)\n", st.LateEvents, st.LateAdded)
		if st.Late > 0 && 2*st.Late > st.Staged {
			fmt.Fprintf(w, "  note: most reads were behind the lake's watermark; if the file is history, --backfill loads it without late events\n")
		}
	} else {
		fmt.Fprintf(w, "  reads staged       %12d (backfill: late detection off)\n", st.Staged)
		fmt.Fprintf(w, "  late events        %12d (backfill: none sent; its reads do not move the watermark)\n", st.LateEvents)
	}
	fmt.Fprintf(w, "  reads written      %12d (all the reads of the partitions touched; %d of this input's were duplicates, dropped)\n", st.Reads, st.Duplicates)
	fmt.Fprintf(w, "  lines quarantined  %12d\n", st.Quarantined)
	fmt.Fprintf(w, "  partitions         %12d\n", st.Partitions)
	fmt.Fprintf(w, "  files              %12d (%s)\n", st.Files, mb(st.OutputBytes))
	fmt.Fprintf(w, "  elapsed            %12s\n", st.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "  records/s          %12.0f (%.0f reads/s)\n", st.LinesPerSecond(), float64(st.Staged)/st.Elapsed.Seconds())
}

func runIntegrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("integrate", "[flags]", stderr)
	lakeURL := fs.String("lake", mda.DefaultLakeURL, "lake bucket URL")
	compression := fs.String("compression", partition.DefaultCompression, "Parquet compression: zstd, snappy or none")
	var cf catalogFlags
	cf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	lake, err := mda.OpenBucket(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer lake.Close()
	register, closeCat, err := cf.open(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer closeCat()
	st, err := staging.Integrate(ctx, lake, &staging.IntegrateOptions{Writer: &partition.WriterOptions{Compression: *compression}, Register: register})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "integrated %d range commits, %d staged files into %d partitions: %d reads (%d duplicates dropped), %d partitions locked, %d sources completed, in %s\n",
		st.Commits, st.Files, st.Partitions, st.Reads, st.Duplicates, st.Locked, st.Sources, st.Elapsed.Round(time.Millisecond))
	if st.Locked > 0 {
		return fmt.Errorf("%d partitions were locked by another integrator; run again", st.Locked)
	}
	return nil
}

// parseMapping reads --map: comma-separated key=value pairs (and bare
// flags) describing a CSV of one read per line.
func parseMapping(s string) (*meter.MappedCSVOptions, error) {
	m := &meter.MappedCSVOptions{}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		var err error
		switch k {
		case "meter":
			m.MeterColumn, err = strconv.Atoi(v)
		case "time":
			m.TimeColumn, err = strconv.Atoi(v)
		case "value":
			m.ValueColumn, err = strconv.Atoi(v)
		case "quality":
			m.QualityColumn, err = strconv.Atoi(v)
		case "typecol":
			m.TypeColumn, err = strconv.Atoi(v)
		case "type":
			if _, ok := meter.LookupType(meter.Type(v)); !ok {
				return nil, fmt.Errorf("unknown reading type %q", v)
			}
			m.Type = meter.Type(v)
		case "layout":
			m.TimeLayout = v
		case "scale":
			m.Scale, err = strconv.ParseFloat(v, 64)
		case "interval":
			m.Interval, err = time.ParseDuration(v)
		case "delim":
			if len(v) != 1 {
				return nil, fmt.Errorf("delim must be one byte, got %q", v)
			}
			m.Delimiter = v[0]
		case "header":
			m.Header = true
		case "ending":
			m.IntervalEnding = true
		case "source":
			m.Source = v
		default:
			return nil, fmt.Errorf("unknown key %q (want meter, time, value, quality, typecol, type, layout, scale, interval, delim, header, ending, source)", k)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	return m, nil
}
