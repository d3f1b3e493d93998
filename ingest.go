package mda

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"gocloud.dev/blob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
)

// Prefixes of the objects that Ingest writes besides the partitions.
const (
	// InboundUncompressedPrefix holds decompressed copies of compressed
	// inputs while they are ingested (the guidance's data/uncompressed/).
	InboundUncompressedPrefix = "inbound/uncompressed/"
	// ErrorsPrefix holds quarantined lines, one JSON object per line.
	ErrorsPrefix = "errors/"
)

// IngestOptions configures Ingest. Nil means the defaults.
type IngestOptions struct {
	// Workers is the number of ranges scanned at once; default GOMAXPROCS.
	Workers int
	// Split chooses the byte ranges; nil means the guidance's rule
	// (see ranges.Split), which depends only on the file's size.
	Split *ranges.SplitOptions
	// Strict stops the ingest at the first bad line (in file order) and
	// returns its *meter.ParseError. By default bad lines are quarantined
	// under ErrorsPrefix and counted.
	Strict bool
	// Source is the reading_source of the reads; default "B".
	Source string
	// Inbound is where a compressed input is decompressed before its ranges
	// are scanned; default the lake bucket. The copy is deleted afterwards.
	Inbound *blob.Bucket
	// Writer configures the Parquet files.
	Writer *partition.WriterOptions
	// MaxAttempts bounds the attempts at one range when reading or writing
	// fails; default 3. A range's output names are deterministic, so a
	// retried range overwrites its own earlier output.
	MaxAttempts int
	// Progress, if set, is called from one goroutine at a time as the
	// ingest advances.
	Progress func(Progress)
	// Logger receives debug and warning logs; nil discards them.
	Logger *slog.Logger
}

// Progress reports how far an ingest has come.
type Progress struct {
	// Stage is "decompress" or "scan".
	Stage string
	// Done and Total count bytes of the stage's input.
	Done, Total int64
	// Reads and Quarantined are the totals so far (stage "scan").
	Reads, Quarantined int64
}

// IngestStats summarises an ingest.
type IngestStats struct {
	// Source is the input object's key and SourceID the identity that
	// names its output files.
	Source, SourceID string
	// Compression is "gzip", "zstd" or "" for a plain input.
	Compression string
	// Bytes is the size of the (uncompressed) input.
	Bytes int64
	// Ranges is the number of byte ranges scanned.
	Ranges int
	// Lines counts data lines read: every line but the header and empty lines.
	Lines int64
	// Reads counts reads written to the lake.
	Reads int64
	// Quarantined counts bad lines written under ErrorsPrefix.
	Quarantined int64
	// Partitions counts distinct partitions written, Files the Parquet
	// files and OutputBytes their total size.
	Partitions, Files int
	OutputBytes       int64
	// Elapsed is the wall time of the whole ingest.
	Elapsed time.Duration
}

// LinesPerSecond is the ingest's throughput in input lines.
func (s IngestStats) LinesPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Lines) / s.Elapsed.Seconds()
}

// Add accumulates o into s, for a summary over several files.
func (s *IngestStats) Add(o IngestStats) {
	s.Bytes += o.Bytes
	s.Ranges += o.Ranges
	s.Lines += o.Lines
	s.Reads += o.Reads
	s.Quarantined += o.Quarantined
	s.Partitions += o.Partitions
	s.Files += o.Files
	s.OutputBytes += o.OutputBytes
	s.Elapsed += o.Elapsed
}

// QuarantinedLine is the JSON object written under ErrorsPrefix for every
// bad line.
type QuarantinedLine struct {
	Source   string `json:"source"`
	SourceID string `json:"source_id"`
	Format   string `json:"format"`
	// Line is the 1-based line number in the (uncompressed) source file.
	Line int64 `json:"line"`
	// Offset is the byte offset of the line's first byte in that file.
	Offset int64  `json:"offset"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
	// Raw is the line as text (at most 4 KiB); RawBase64 replaces it when
	// the line is not valid UTF-8, so that no byte is lost.
	Raw       string `json:"raw,omitempty"`
	RawBase64 []byte `json:"raw_base64,omitempty"`
}

const maxRawQuarantine = 4 << 10

// Ingest reads the HES CSV object key of bucket in (plain, gzip or zstd),
// splits it into byte ranges, scans the ranges with a pool of workers fed by
// an in-process queue, and writes the reads into the lake's partitions.
//
// Output files are named from the input's identity (key, size and ETag)
// and the range, so ingesting the same object again overwrites the same
// files instead of adding new ones. Bad lines never stop the ingest (unless
// opts.Strict): they are written under ErrorsPrefix with their line number,
// byte offset and reason, and counted.
func Ingest(ctx context.Context, lake, in *blob.Bucket, key string, opts *IngestOptions) (IngestStats, error) {
	start := time.Now()
	o := IngestOptions{}
	if opts != nil {
		o = *opts
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.Inbound == nil {
		o.Inbound = lake
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	stats := IngestStats{Source: key}

	attrs, err := in.Attributes(ctx, key)
	if err != nil {
		return stats, fmt.Errorf("mda: ingest %s: %w", key, err)
	}
	stats.SourceID = sourceID(key, attrs)
	codec, err := sniffCompression(ctx, in, key, attrs.Size)
	if err != nil {
		return stats, fmt.Errorf("mda: ingest %s: %w", key, err)
	}
	stats.Compression = codec

	src, srcKey, size := in, key, attrs.Size
	if codec != "" {
		srcKey = InboundUncompressedPrefix + stats.SourceID + ".csv"
		size, err = decompress(ctx, in, key, codec, o.Inbound, srcKey, attrs.Size, o.Progress)
		if err != nil {
			return stats, fmt.Errorf("mda: ingest %s: decompress: %w", key, err)
		}
		src = o.Inbound
		defer func() {
			if err := o.Inbound.Delete(context.WithoutCancel(ctx), srcKey); err != nil {
				o.Logger.Warn("could not delete uncompressed copy", "key", srcKey, "err", err)
			}
		}()
	}
	stats.Bytes = size

	rs := ranges.Split(size, o.Split)
	stats.Ranges = len(rs)
	ing := &ingestion{ctx: ctx, lake: lake, src: src, srcKey: srcKey, source: key, id: stats.SourceID, opts: &o, total: size}
	if err := ing.run(rs); err != nil {
		return stats, fmt.Errorf("mda: ingest %s: %w", key, err)
	}
	stats.Lines = ing.lines
	stats.Reads = ing.reads.Load()
	stats.Quarantined = ing.quarantined.Load()
	stats.Files = len(ing.files)
	parts := make(map[partition.Key]bool)
	for _, f := range ing.files {
		parts[f.Key] = true
		stats.OutputBytes += f.Bytes
	}
	stats.Partitions = len(parts)
	stats.Elapsed = time.Since(start)
	return stats, nil
}

// sourceID names an input object from its key, size and ETag (or
// modification time), so that the same object always yields the same
// output names and a changed object yields new ones.
func sourceID(key string, attrs *blob.Attributes) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%s\x00%x", key, attrs.Size, attrs.ETag, attrs.MD5)
	if attrs.ETag == "" && len(attrs.MD5) == 0 {
		fmt.Fprintf(h, "\x00%d", attrs.ModTime.UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func sniffCompression(ctx context.Context, b *blob.Bucket, key string, size int64) (string, error) {
	if size < 4 {
		return "", nil
	}
	r, err := b.NewRangeReader(ctx, key, 0, 4, nil)
	if err != nil {
		return "", err
	}
	defer r.Close()
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return "", err
	}
	switch {
	case magic[0] == 0x1f && magic[1] == 0x8b:
		return "gzip", nil
	case magic == [4]byte{0x28, 0xb5, 0x2f, 0xfd}:
		return "zstd", nil
	}
	return "", nil
}

// countingReader counts the compressed bytes consumed, for progress.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func decompress(ctx context.Context, in *blob.Bucket, key, codec string, out *blob.Bucket, outKey string, size int64, progress func(Progress)) (int64, error) {
	r, err := in.NewReader(ctx, key, nil)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	cr := &countingReader{r: bufio.NewReaderSize(r, 1<<20)}
	var dr io.Reader
	switch codec {
	case "gzip":
		gz, err := gzip.NewReader(cr)
		if err != nil {
			return 0, err
		}
		defer gz.Close()
		dr = gz
	case "zstd":
		zr, err := zstd.NewReader(cr)
		if err != nil {
			return 0, err
		}
		defer zr.Close()
		dr = zr
	default:
		return 0, fmt.Errorf("unknown compression %q", codec)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := out.NewWriter(wctx, outKey, &blob.WriterOptions{ContentType: "text/csv", BufferSize: 8 << 20})
	if err != nil {
		return 0, err
	}
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, rerr := dr.Read(buf)
		if k > 0 {
			if _, err := w.Write(buf[:k]); err != nil {
				cancel()
				w.Close()
				return n, err
			}
			n += int64(k)
			if progress != nil {
				progress(Progress{Stage: "decompress", Done: cr.n.Load(), Total: size})
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			cancel()
			w.Close()
			return n, rerr
		}
	}
	return n, w.Close()
}

// ingestion is the state of one Ingest call.
type ingestion struct {
	ctx                context.Context
	lake, src          *blob.Bucket
	srcKey, source, id string
	opts               *IngestOptions
	total              int64
	reads, quarantined atomic.Int64
	done               atomic.Int64
	lines              int64
	files              []partition.FileInfo
	progressMu         sync.Mutex
}

// rangeResult is what a worker hands back for one range.
type rangeResult struct {
	rng     ranges.Range
	records int64 // lines in the range, all counted, for line numbering
	lines   int64 // data lines
	bad     []QuarantinedLine
	files   []partition.FileInfo
	err     error
}

// run scans every range with opts.Workers workers. Results are put in file
// order, so that the quarantine gets absolute line numbers (the sum of the
// lines of the ranges before) and strict mode reports the first bad line.
func (g *ingestion) run(rs []ranges.Range) error {
	ctx, cancel := context.WithCancel(g.ctx)
	defer cancel()
	queue := make(chan ranges.Range)
	results := make(chan rangeResult)
	var wg sync.WaitGroup
	for range min(g.opts.Workers, len(rs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rng := range queue {
				res := g.scanWithRetry(ctx, rng)
				select {
				case results <- res:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(queue)
		for _, rng := range rs {
			select {
			case queue <- rng:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	pending := make(map[int]rangeResult)
	next := 0
	var lineBase int64
	var firstErr error
	for res := range results {
		if res.err != nil && firstErr == nil {
			firstErr = fmt.Errorf("range %d [%d,%d): %w", res.rng.Index, res.rng.Start, res.rng.End, res.err)
			cancel()
		}
		if firstErr != nil {
			continue
		}
		pending[res.rng.Index] = res
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			for i := range r.bad {
				r.bad[i].Line += lineBase
			}
			lineBase += r.records
			g.lines += r.lines
			g.files = append(g.files, r.files...)
			if len(r.bad) > 0 {
				if g.opts.Strict {
					b := r.bad[0]
					firstErr = &meter.ParseError{Format: b.Format, Line: b.Line, Offset: b.Offset, Column: b.Column, Err: errors.New(b.Reason)}
					cancel()
					break
				}
				if err := g.writeQuarantine(ctx, r.rng, r.bad); err != nil {
					firstErr = err
					cancel()
					break
				}
			}
		}
	}
	if firstErr != nil {
		return firstErr
	}
	if err := g.ctx.Err(); err != nil {
		return err
	}
	slices.SortFunc(g.files, func(a, b partition.FileInfo) int { return cmpString(a.Path, b.Path) })
	return nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (g *ingestion) outputName(rng ranges.Range) string {
	return g.id + "-" + fmt.Sprintf("%05d", rng.Index)
}

func (g *ingestion) scanWithRetry(ctx context.Context, rng ranges.Range) rangeResult {
	var res rangeResult
	for attempt := 1; attempt <= g.opts.MaxAttempts; attempt++ {
		res = g.scan(ctx, rng)
		if res.err == nil || ctx.Err() != nil {
			break
		}
		g.opts.Logger.Warn("range failed, retrying", "key", g.source, "range_off", rng.Start, "range_len", rng.Len(), "attempt", attempt, "err", res.err)
	}
	if res.err == nil {
		g.reads.Add(countReads(res.files))
		g.quarantined.Add(int64(len(res.bad)))
		done := g.done.Add(rng.Len())
		g.report(Progress{Stage: "scan", Done: done, Total: g.total, Reads: g.reads.Load(), Quarantined: g.quarantined.Load()})
	}
	return res
}

func countReads(files []partition.FileInfo) int64 {
	var n int64
	for _, f := range files {
		n += f.Rows
	}
	return n
}

func (g *ingestion) report(p Progress) {
	if g.opts.Progress == nil {
		return
	}
	g.progressMu.Lock()
	defer g.progressMu.Unlock()
	g.opts.Progress(p)
}

// scan decodes one range and writes its partitions.
func (g *ingestion) scan(ctx context.Context, rng ranges.Range) (res rangeResult) {
	res.rng = rng
	rc, err := g.src.NewRangeReader(ctx, g.srcKey, rng.ReadFrom(), -1, nil)
	if err != nil {
		res.err = err
		return res
	}
	defer rc.Close()
	sc := ranges.NewScanner(rc, rng, &ranges.ScanOptions{MaxRecordBytes: 1 << 20})
	dec := meter.NewHESCSVDecoder(&meter.HESCSVOptions{Source: g.opts.Source})
	w := partition.NewWriter(g.lake, g.outputName(rng), g.opts.Writer)
	const batchSize = 8192
	batch := make([]meter.Reading, 0, batchSize+len(meter.HESTypes))
	for sc.Scan() {
		rec := sc.Record()
		if sc.TooLong() {
			res.lines++
			res.bad = append(res.bad, quarantined(g, sc.Line(), sc.Offset(), "", fmt.Errorf("%w: more than 1 MiB", meter.ErrTooLong), rec))
			continue
		}
		if len(bytes.TrimSuffix(rec, []byte{'\r'})) == 0 || (sc.Offset() == 0 && meter.IsHESCSVHeader(rec)) {
			continue
		}
		res.lines++
		batch, err = dec.DecodeLine(batch, rec, sc.Line(), sc.Offset())
		if err != nil {
			var pe *meter.ParseError
			if !errors.As(err, &pe) {
				res.err = err
				return res
			}
			res.bad = append(res.bad, quarantined(g, pe.Line, pe.Offset, pe.Column, pe.Err, rec))
			continue
		}
		if len(batch) >= batchSize {
			if _, err := w.Write(batch); err != nil {
				res.err = err
				return res
			}
			batch = batch[:0]
		}
	}
	if err := sc.Err(); err != nil {
		res.err = err
		return res
	}
	res.records = sc.Line()
	if _, err := w.Write(batch); err != nil {
		res.err = err
		return res
	}
	res.files, res.err = w.Close(ctx)
	return res
}

func quarantined(g *ingestion, line, offset int64, column string, reason error, raw []byte) QuarantinedLine {
	q := QuarantinedLine{Source: g.source, SourceID: g.id, Format: meter.HESCSVFormat, Line: line, Offset: offset, Column: column, Reason: reason.Error()}
	raw = bytes.TrimSuffix(raw, []byte{'\r'})
	if len(raw) > maxRawQuarantine {
		raw = raw[:maxRawQuarantine]
	}
	if utf8.Valid(raw) {
		q.Raw = string(raw)
	} else {
		q.RawBase64 = bytes.Clone(raw)
	}
	return q
}

// writeQuarantine writes one range's bad lines as JSON lines, named like
// the range's Parquet files so that a retry overwrites them.
func (g *ingestion) writeQuarantine(ctx context.Context, rng ranges.Range, bad []QuarantinedLine) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range bad {
		if err := enc.Encode(&bad[i]); err != nil {
			return err
		}
	}
	key := path.Join(ErrorsPrefix, "source="+g.id, g.outputName(rng)+".jsonl")
	if err := g.lake.WriteAll(ctx, key, buf.Bytes(), &blob.WriterOptions{ContentType: "application/x-ndjson"}); err != nil {
		return fmt.Errorf("write quarantine %s: %w", key, err)
	}
	return nil
}
