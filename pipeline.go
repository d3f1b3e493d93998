package mda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"gocloud.dev/blob"
	"gocloud.dev/pubsub"

	"github.com/openmda/mda/late"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/staging"
)

// Pipeline is the ingest path shared by every host: the CLI runs it in one
// process over an in-process queue, and the Lambda examples run its pieces
// (Enqueue, ProcessRange, staging.Integrate, late.Handler) as separate
// functions fed by S3 events and SQS. Its methods are safe for concurrent use.
type Pipeline struct {
	lake *blob.Bucket
	opts PipelineOptions

	mu      sync.Mutex
	buckets map[string]*blob.Bucket // opened by URL, cached
}

// PipelineOptions configures a Pipeline. Nil means the defaults.
type PipelineOptions struct {
	// Sources maps the bucket names of range messages to open buckets. A
	// name not in the map is opened as a URL with OpenBucket (and kept
	// open). In-process buckets (mem://) must be listed here, since
	// opening "mem://" again gives a new, empty bucket.
	Sources map[string]*blob.Bucket
	// Source is the reading_source of the reads; default "B".
	Source string
	// Writer configures the staged Parquet files; give it the options the
	// integrator uses, so that a partition fed by one staged file is
	// integrated by a copy (staged files are always de-duplicated).
	Writer *partition.WriterOptions
	// Late is the late-read policy.
	Late late.Policy
	// LateTopic, if set, receives one late.Event per source and partition
	// with late reads, once every range of the source has committed (see
	// ProcessRange).
	LateTopic *pubsub.Topic
	// Backfill makes Plan mark every range message as history
	// (ranges.Message.Backfill): whichever worker processes it, no read is
	// checked for lateness, no late event is sent, and the range's commit
	// says Backfill, so that integrating it does not move the watermark
	// (see staging.Watermark). Objects under HistoricPrefix are history
	// without it. The flag travels with the message, so live and backfill
	// ingests can share one queue and its workers.
	Backfill bool
	// NoAlign keeps Plan's cuts where ranges.Split puts them. By default
	// Plan moves each cut to the next change of reading hour (the file is
	// time-ordered, as head-end exports are), so that each (type, hour)
	// partition comes from one range and integration copies it instead of
	// merging several.
	NoAlign bool
	// Formats configures the decoders of formats other than the HES CSV.
	Formats *FormatOptions
	// Strict makes a range with a bad line fail with the first bad line's
	// *meter.ParseError, staging nothing.
	Strict bool
	// Logger receives warnings; nil discards them.
	Logger *slog.Logger
	// BeforeRange, if set, is called when ProcessRange starts, before it
	// reads anything; an error fails the range. Tests count deliveries
	// and inject failures with it.
	BeforeRange func(ranges.Message) error
	// AfterStage, if set, is called after a range's files and quarantine
	// are durable and before its commit is written. Tests inject crashes
	// with it.
	AfterStage func(ranges.Message) error
}

// NewPipeline returns a pipeline that writes to lake.
func NewPipeline(lake *blob.Bucket, opts *PipelineOptions) *Pipeline {
	p := &Pipeline{lake: lake, buckets: make(map[string]*blob.Bucket)}
	if opts != nil {
		p.opts = *opts
	}
	if p.opts.Logger == nil {
		p.opts.Logger = slog.New(slog.DiscardHandler)
	}
	return p
}

// Close closes the buckets the pipeline opened by URL.
func (p *Pipeline) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, b := range p.buckets {
		errs = append(errs, b.Close())
	}
	p.buckets = nil
	return errors.Join(errs...)
}

func (p *Pipeline) bucket(ctx context.Context, name string) (*blob.Bucket, error) {
	if b, ok := p.opts.Sources[name]; ok {
		return b, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.buckets[name]; ok {
		return b, nil
	}
	b, err := OpenBucket(ctx, name)
	if err != nil {
		return nil, err
	}
	p.buckets[name] = b
	return b, nil
}

// PlanOptions configures Plan. Nil means the defaults.
type PlanOptions struct {
	// Source names the original inbound object when the planned object is
	// a decompressed copy of it; default the planned key.
	Source string
	// SourceID is the identity that names the output; default
	// ContentSourceID of the planned object, or SourceID(Source,
	// attributes of the planned object) for a copy. Give the
	// original's when planning a copy, so that a new copy of the same
	// inbound object writes the same names.
	SourceID string
	// Split chooses the byte ranges; nil means the guidance's rule.
	Split *ranges.SplitOptions
	// Arrival is when the object arrived (the object-created event time);
	// default now.
	Arrival time.Time
	// Format is the object's format (see ParseFormat); "" detects it from
	// the first bytes (DetectFormat). Only the HES CSV, in UTC and one
	// record per line, is cut into ranges; the other formats are one
	// range each: hierarchical formats (NEM12, MRASCo, ESPI) cannot be cut,
	// and wall-clock formats need each meter's reads in order to tell the
	// two halves of a DST fall-back hour apart.
	Format string
}

// Plan returns the range messages of an object: its identity and ranges.
// bucketName is what workers will resolve (a URL, or a key of
// PipelineOptions.Sources).
func (p *Pipeline) Plan(ctx context.Context, bucketName, key string, opts *PlanOptions) ([]ranges.Message, error) {
	o := PlanOptions{}
	if opts != nil {
		o = *opts
	}
	b, err := p.bucket(ctx, bucketName)
	if err != nil {
		return nil, err
	}
	attrs, err := b.Attributes(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("mda: plan %s: %w", key, err)
	}
	if o.Source == "" {
		o.Source = key
	}
	switch {
	case o.SourceID != "":
	case o.Source == key:
		if o.SourceID, err = ContentSourceID(ctx, b, key, attrs); err != nil {
			return nil, fmt.Errorf("mda: plan %s: %w", key, err)
		}
	default: // a copy, named after its source
		o.SourceID = SourceID(o.Source, attrs)
	}
	if o.Arrival.IsZero() {
		o.Arrival = time.Now()
	}
	if o.Format == "" {
		o.Format = formatByName(o.Source)
	}
	if o.Format == "" {
		head := make([]byte, min(attrs.Size, 8<<10))
		if len(head) > 0 {
			r, err := b.NewRangeReader(ctx, key, 0, int64(len(head)), nil)
			if err != nil {
				return nil, fmt.Errorf("mda: plan %s: %w", key, err)
			}
			_, err = io.ReadFull(r, head)
			r.Close()
			if err != nil {
				return nil, fmt.Errorf("mda: plan %s: %w", key, err)
			}
		}
		if o.Format, err = DetectFormat(head); err != nil {
			if attrs.Size > 0 {
				return nil, fmt.Errorf("mda: plan %s: %w", key, err)
			}
			o.Format = meter.HESCSVFormat // an empty file is empty in any format
		}
	}
	base := ranges.Message{Bucket: bucketName, Key: key, Version: version(attrs), Size: attrs.Size,
		SourceID: o.SourceID, Source: o.Source, Format: o.Format, Arrival: o.Arrival.UTC(),
		Backfill: p.opts.Backfill || IsHistoric(o.Source) || IsHistoric(key)}
	if o.Format != meter.HESCSVFormat {
		return ranges.Messages(base, []ranges.Range{{Index: 0, Start: 0, End: attrs.Size}}), nil
	}
	rs := ranges.Split(attrs.Size, o.Split)
	if !p.opts.NoAlign && len(rs) > 1 {
		rs, err = ranges.Align(&bucketReaderAt{ctx: ctx, b: b, key: key}, attrs.Size, rs, hesHourKey, nil)
		if err != nil {
			return nil, fmt.Errorf("mda: plan %s: %w", key, err)
		}
	}
	return ranges.Messages(base, rs), nil
}

// hesHourKey keys a HES CSV line by its reading hour, "yyyy-MM-dd HH".
func hesHourKey(line []byte) ([]byte, bool) {
	if len(line) < 19 || line[4] != '-' || line[10] != ' ' || line[13] != ':' {
		return nil, false
	}
	return line[:13], true
}

// bucketReaderAt reads an object with one range request per ReadAt; safe
// for concurrent use.
type bucketReaderAt struct {
	ctx context.Context
	b   *blob.Bucket
	key string
}

func (r *bucketReaderAt) ReadAt(p []byte, off int64) (int, error) {
	rr, err := r.b.NewRangeReader(r.ctx, r.key, off, int64(len(p)), nil)
	if err != nil {
		return 0, err
	}
	defer rr.Close()
	return io.ReadFull(rr, p)
}

// version is what identifies one version of an object: its ETag, else its
// MD5, else its modification time.
func version(a *blob.Attributes) string {
	switch {
	case a.ETag != "":
		return a.ETag
	case len(a.MD5) > 0:
		return fmt.Sprintf("md5:%x", a.MD5)
	}
	return fmt.Sprintf("mtime:%d", a.ModTime.UnixNano())
}

// Enqueue sends messages to a topic as JSON.
func Enqueue(ctx context.Context, topic *pubsub.Topic, msgs []ranges.Message) error {
	for i := range msgs {
		body, err := json.Marshal(&msgs[i])
		if err != nil {
			return err
		}
		if err := topic.Send(ctx, &pubsub.Message{Body: body}); err != nil {
			return fmt.Errorf("mda: enqueue range %d of %s: %w", msgs[i].Range.Index, msgs[i].Key, err)
		}
	}
	return nil
}

// ErrSourceChanged reports a range message whose object has changed since
// the message was made; processing it would mix two versions.
var ErrSourceChanged = errors.New("mda: source object changed since the range was planned")

// ProcessRange scans one range, stages its reads (one Parquet file per
// partition under staging/), quarantines its bad lines, writes its commit
// and publishes its late events. It is idempotent: every name it writes
// derives from the message, so processing a message twice leaves what
// processing it once leaves. Acknowledge the message only after it returns
// nil.
//
// A range that is a re-delivery of integrated data (its source is recorded
// as fully integrated, staging.ReadSource, or its own commit is marked
// integrated) is staged again, but none of its reads is late: they are in
// the lake already, and re-delivered data is not late data. Its commit
// says Redelivery, and no late event is sent. Nor is any read of a
// backfill late (a message that says Backfill, see
// PipelineOptions.Backfill, or a source object under HistoricPrefix): its
// commit says Backfill.
//
// Late events go out once per source and partition (see package late):
// after its commit, a range of a source of several ranges lists the
// source's commits, and if every range has committed, it publishes the
// late partitions of them all. A source of one range publishes its own.
func (p *Pipeline) ProcessRange(ctx context.Context, msg ranges.Message) (*staging.Commit, error) {
	if err := msg.Validate(); err != nil {
		return nil, err
	}
	if p.opts.BeforeRange != nil {
		if err := p.opts.BeforeRange(msg); err != nil {
			return nil, err
		}
	}
	src, err := p.bucket(ctx, msg.Bucket)
	if err != nil {
		return nil, err
	}
	if msg.Version != "" {
		attrs, err := src.Attributes(ctx, msg.Key)
		if err != nil {
			return nil, fmt.Errorf("mda: range %d of %s: %w", msg.Range.Index, msg.Key, err)
		}
		if v := version(attrs); v != msg.Version {
			return nil, fmt.Errorf("%w: %s is %s, message says %s", ErrSourceChanged, msg.Key, v, msg.Version)
		}
	}
	redelivery, err := p.redelivery(ctx, msg)
	if err != nil {
		return nil, err
	}
	backfill := msg.Backfill || IsHistoric(msgSource(msg))
	name := staging.OutputName(msg.SourceID, msg.Range.Index)
	wopts := partition.WriterOptions{}
	if p.opts.Writer != nil {
		wopts = *p.opts.Writer
	}
	wopts.Root = staging.Prefix
	wopts.Dedup = true
	c := &staging.Commit{Message: msg, Redelivery: redelivery, Backfill: backfill}
	var tracker *late.Tracker // nil: no read is late
	if !redelivery && !backfill {
		wm, err := staging.ReadWatermark(ctx, p.lake)
		if err != nil {
			return nil, err
		}
		tracker = p.opts.Late.NewTracker(wm.MaxReadingTime)
	}
	scan := p.scan
	if msg.Format != "" && msg.Format != meter.HESCSVFormat {
		if msg.Range.Start != 0 || msg.Range.End != msg.Size {
			return nil, fmt.Errorf("mda: %s is %s, which is read whole, but the message holds range %v", msg.Key, msg.Format, msg.Range)
		}
		scan = p.scanWhole
	}
	bad, lateParts, err := scan(ctx, src, msg, name, &wopts, tracker, c)
	if err != nil {
		return nil, fmt.Errorf("mda: range %d [%d,%d) of %s: %w", msg.Range.Index, msg.Range.Start, msg.Range.End, msg.Key, err)
	}
	if len(bad) > 0 {
		if p.opts.Strict {
			b := bad[0]
			reason := b.Err // the decoder's, so that errors.Is(err, meter.ErrNumber) holds
			if reason == nil {
				reason = errors.New(b.Reason)
			}
			return nil, &meter.ParseError{Format: b.Format, Line: b.Line, Offset: b.Offset, Column: b.Column, Err: reason}
		}
		c.Errors = staging.ErrorsKey(msg.SourceID, msg.Range.Index)
		if err := staging.WriteBadLines(ctx, p.lake, c.Errors, bad); err != nil {
			return nil, err
		}
	}
	for i := range c.Files {
		if lp := lateParts[c.Files[i].Partition]; lp != nil {
			c.Files[i].Late, c.Files[i].LateMin, c.Files[i].LateMax = lp.n, lp.min, lp.max
		}
	}
	if p.opts.AfterStage != nil {
		if err := p.opts.AfterStage(msg); err != nil {
			return nil, err
		}
	}
	c.Committed = time.Now().UTC()
	if err := staging.WriteCommit(ctx, p.lake, c); err != nil {
		return nil, err
	}
	if p.opts.LateTopic != nil && !redelivery && !backfill {
		if err := p.publishLate(ctx, c); err != nil {
			// The commit stands and integration will carry the reads; the
			// event only made it faster. Retrying the range republishes.
			return nil, err
		}
	}
	return c, nil
}

// publishLate sends the late events of c's source if every range of it has
// committed: one per partition with late reads, over all its ranges.
func (p *Pipeline) publishLate(ctx context.Context, c *staging.Commit) error {
	if c.Message.Ranges <= 1 {
		if c.Late == 0 {
			return nil
		}
		_, err := late.Publish(ctx, p.opts.LateTopic, c)
		return err
	}
	// Another range may have had late reads even if this one had none,
	// and this one may be the last to commit.
	cs, err := staging.CommittedSource(ctx, p.lake, c.Message.SourceID, c.Message.Ranges)
	if err != nil || cs == nil {
		return err // not complete: a range still to commit will publish
	}
	all := make([]*staging.Commit, len(cs))
	for i := range cs {
		all[i] = &cs[i]
		if cs[i].Message.Range.Index == c.Message.Range.Index {
			all[i] = c // ours, as just written
		}
	}
	_, err = late.Publish(ctx, p.opts.LateTopic, all...)
	return err
}

// msgSource is the key of the object a range message comes from: its
// Source, or its Key for messages that do not say (the guidance's).
func msgSource(m ranges.Message) string {
	if m.Source != "" {
		return m.Source
	}
	return m.Key
}

// redelivery tells whether msg re-delivers data already integrated: its
// source is recorded as fully integrated, or its range's commit is marked
// integrated.
func (p *Pipeline) redelivery(ctx context.Context, msg ranges.Message) (bool, error) {
	done, err := staging.ReadSource(ctx, p.lake, msg.SourceID)
	if err != nil || done != nil {
		return done != nil, err
	}
	c, err := staging.ReadCommit(ctx, p.lake, msg.SourceID, msg.Range.Index)
	if err != nil {
		return false, err
	}
	return c != nil && c.Integrated && c.Message.Range == msg.Range, nil
}

type lateStat struct {
	n        int64
	min, max time.Time
}

// scan decodes one range into staged Parquet files and bad lines.
func (p *Pipeline) scan(ctx context.Context, src *blob.Bucket, msg ranges.Message, name string, wopts *partition.WriterOptions,
	tracker *late.Tracker, c *staging.Commit) ([]staging.BadLine, map[string]*lateStat, error) {
	rc, err := src.NewRangeReader(ctx, msg.Key, msg.Range.ReadFrom(), -1, nil)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	sc := ranges.NewScanner(rc, msg.Range, &ranges.ScanOptions{MaxRecordBytes: maxLineBytes})
	dec := meter.NewHESCSVDecoder(&meter.HESCSVOptions{Source: p.opts.Source})
	w := partition.NewWriter(p.lake, name, wopts)
	lateParts := make(map[string]*lateStat)
	if _, err := w.Write(nil); err != nil {
		return nil, nil, err // the writer's options are invalid
	}
	var bad []staging.BadLine
	var written int64 // reads given to the writer, duplicates included
	types, source := meter.HESTypes[:], dec.Source()
	for sc.Scan() {
		rec := sc.Record()
		if sc.Offset() == 0 {
			rec = meter.StripBOM(rec)
		}
		if sc.TooLong() {
			c.Lines++
			bad = append(bad, badLine(msg, sc.Line(), sc.Offset(), "", fmt.Errorf("%w: more than %d bytes", meter.ErrTooLong, maxLineBytes), rec))
			if p.opts.Strict {
				break
			}
			continue
		}
		if len(bytes.TrimSuffix(rec, []byte{'\r'})) == 0 || (sc.Offset() == 0 && meter.IsHESCSVHeader(rec)) {
			continue
		}
		c.Lines++
		// Lines go to the writer's columns as records, without a
		// meter.Reading per read.
		r, ok, err := dec.DecodeRecord(rec, sc.Line(), sc.Offset())
		if err != nil {
			var pe *meter.ParseError
			if !errors.As(err, &pe) {
				return nil, nil, err
			}
			bad = append(bad, badLine(msg, pe.Line, pe.Offset, pe.Column, pe.Err, rec))
			if p.opts.Strict {
				break
			}
			continue
		}
		if !ok {
			continue // a header inside the file
		}
		if err := w.WriteRecord(r.MeterID, r.Time, r.Arrival, types, r.Values[:], source, meter.QualityActual); err != nil {
			if errors.Is(err, partition.ErrClosed) {
				return nil, nil, err
			}
			// A read the lake cannot hold (a year outside 1 to 9999):
			// the line is bad, not the range.
			bad = append(bad, badLine(msg, sc.Line(), sc.Offset(), "time", err, rec))
			if p.opts.Strict {
				break
			}
			continue
		}
		written += int64(len(types))
		if t := time.UnixMilli(r.Time).UTC(); tracker != nil && tracker.Late(t) {
			// One line, one time: all its reads are late together.
			for k, typ := range types {
				noteLate(lateParts, &meter.Reading{MeterID: r.MeterID, Type: typ, Value: r.Values[k], Time: t})
				c.Late++
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	c.Records = sc.Line()
	if len(bad) > 0 && p.opts.Strict {
		return bad, nil, nil
	}
	files, err := w.Close(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range files {
		c.Files = append(c.Files, staging.File{Key: f.Path, Partition: f.Key.Path(), Reads: f.Rows, Bytes: f.Bytes, MinTime: f.MinTime, MaxTime: f.MaxTime, Verbatim: true})
		c.Reads += f.Rows
	}
	c.Duplicates = written - c.Reads // the writer keeps one read per key
	c.Quarantined = int64(len(bad))
	return bad, lateParts, nil
}

// scanWhole decodes an object of a format that is read whole.
func (p *Pipeline) scanWhole(ctx context.Context, src *blob.Bucket, msg ranges.Message, name string, wopts *partition.WriterOptions,
	tracker *late.Tracker, c *staging.Commit) ([]staging.BadLine, map[string]*lateStat, error) {
	rc, err := src.NewReader(ctx, msg.Key, nil)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	var bad []staging.BadLine
	onError := func(pe *meter.ParseError, raw []byte) error {
		bad = append(bad, badLine(msg, pe.Line, pe.Offset, pe.Column, pe.Err, raw))
		if p.opts.Strict {
			return pe
		}
		return nil
	}
	dec, err := p.opts.Formats.decoder(msg.Format, rc, p.opts.Source, onError)
	if err != nil {
		return nil, nil, err
	}
	w := partition.NewWriter(p.lake, name, wopts)
	lateParts := make(map[string]*lateStat)
	buf := make([]meter.Reading, 8192)
	var written int64
	for {
		n, rerr := dec.Read(buf)
		// A read the lake cannot hold (a year outside 1 to 9999) would
		// fail the writer, and the whole object with it: it is
		// quarantined, described, since a record-oriented decoder does
		// not say which line it came from.
		kept := buf[:0]
		for _, r := range buf[:n] {
			if y := r.Time.Year(); y < 1 || y > 9999 {
				bad = append(bad, badLine(msg, 0, -1, "time", fmt.Errorf("%w: year %d is outside 1 to 9999", meter.ErrTimestamp, y), []byte(r.String())))
				if p.opts.Strict {
					return bad, nil, nil
				}
				continue
			}
			kept = append(kept, r)
		}
		n = len(kept)
		for i := range buf[:n] {
			// A read whose format does not say when it was delivered (the
			// wide CSV, LCL, ESPI, a NEM12 day without an update time)
			// arrived with its object: so that a corrected file delivered
			// later wins de-duplication over the one it corrects, instead
			// of a tie of zero times.
			if buf[i].Arrival.IsZero() {
				buf[i].Arrival = msg.Arrival
			}
			// These formats are in series order, not arrival order.
			if tracker != nil && tracker.LateIn(buf[i].MeterID+"\x00"+string(buf[i].Type), buf[i].Time) {
				noteLate(lateParts, &buf[i])
				c.Late++
			}
		}
		if _, err := w.Write(buf[:n]); err != nil {
			return nil, nil, err
		}
		written += int64(n)
		c.Lines += int64(n)
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			var pe *meter.ParseError
			if errors.As(rerr, &pe) && p.opts.Strict {
				return bad, nil, nil
			}
			return nil, nil, rerr
		}
	}
	c.Lines += int64(len(bad)) // a record is a read here, or a bad record
	files, err := w.Close(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range files {
		c.Files = append(c.Files, staging.File{Key: f.Path, Partition: f.Key.Path(), Reads: f.Rows, Bytes: f.Bytes, MinTime: f.MinTime, MaxTime: f.MaxTime, Verbatim: true})
		c.Reads += f.Rows
	}
	c.Duplicates = written - c.Reads // the writer keeps one read per key
	c.Quarantined = int64(len(bad))
	return bad, lateParts, nil
}

func noteLate(lateParts map[string]*lateStat, r *meter.Reading) {
	k := partition.KeyOf(*r).Path()
	ls := lateParts[k]
	if ls == nil {
		ls = &lateStat{min: r.Time, max: r.Time}
		lateParts[k] = ls
	}
	ls.n++
	ls.min = minTime(ls.min, r.Time)
	ls.max = maxTime(ls.max, r.Time)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

const (
	maxLineBytes     = 1 << 20
	maxRawQuarantine = 4 << 10
)

func badLine(msg ranges.Message, line, offset int64, column string, reason error, raw []byte) staging.BadLine {
	b := staging.BadLine{Source: msg.Source, SourceID: msg.SourceID, Format: msg.Format, RangeLine: line, Range: msg.Range.Index,
		Offset: offset, Column: column, Reason: reason.Error(), Err: reason}
	if msg.Range.Index == 0 {
		b.Line = line // the first range's lines are the file's
	}
	raw = bytes.TrimSuffix(raw, []byte{'\r'})
	if len(raw) > maxRawQuarantine {
		raw = raw[:maxRawQuarantine]
	}
	if utf8.Valid(raw) {
		b.Raw = string(raw)
	} else {
		b.RawBase64 = bytes.Clone(raw)
	}
	return b
}

// WorkOptions configures Work. Nil means the defaults.
type WorkOptions struct {
	// Workers is the number of messages processed at once; default 1.
	Workers int
	// OnReceive, if set, is called when a range message has been received
	// and decoded, before it is processed.
	OnReceive func(ranges.Message)
	// OnDone, if set, is called when Work is done with a received range
	// message, after OnCommit or OnError: consumed says whether the
	// message is gone from the queue (acknowledged, or received from an
	// at-most-once queue) or will be delivered again (nacked, or left
	// unacknowledged by a worker that died).
	OnDone func(msg ranges.Message, consumed bool)
	// OnCommit, if set, is called after each range is committed (and
	// BeforeAck let it live), before its message is acknowledged.
	OnCommit func(*staging.Commit)
	// OnError, if set, is called when a range fails; its message is
	// nacked (or left to time out) for redelivery. If OnError returns an
	// error, Work stops with it.
	OnError func(ranges.Message, error) error
	// BeforeAck, if set, is called after each commit and can kill the
	// worker there: false skips OnCommit and the acknowledgement (tests
	// simulate a worker that dies after its commit and before its ack).
	BeforeAck func(*staging.Commit) bool
}

// Work receives range messages from sub and processes them until ctx is
// done, acknowledging each message only after its commit is durable. A
// message that is not valid JSON is acknowledged and reported to OnError:
// redelivery cannot fix it.
func (p *Pipeline) Work(ctx context.Context, sub *pubsub.Subscription, opts *WorkOptions) error {
	o := WorkOptions{}
	if opts != nil {
		o = *opts
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		stopErr error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		errOnce.Do(func() { stopErr = err; cancel() })
	}
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, err := sub.Receive(ctx)
				if err != nil {
					if ctx.Err() == nil {
						fail(fmt.Errorf("mda: receive: %w", err))
					}
					return
				}
				var msg ranges.Message
				if err := json.Unmarshal(m.Body, &msg); err != nil {
					m.Ack()
					if o.OnError != nil {
						if err := o.OnError(msg, fmt.Errorf("mda: malformed range message: %w", err)); err != nil {
							fail(err)
						}
					}
					continue
				}
				if o.OnReceive != nil {
					o.OnReceive(msg)
				}
				c, err := p.ProcessRange(ctx, msg)
				if err != nil {
					if m.Nackable() {
						m.Nack()
					} else {
						// At-most-once queues (NATS core) have nothing to
						// nack: the message is gone either way, and the
						// sender re-sends ranges that never commit.
						m.Ack()
					}
					if o.OnError != nil {
						if err := o.OnError(msg, err); err != nil {
							fail(err)
						}
					}
					if o.OnDone != nil {
						o.OnDone(msg, !m.Nackable())
					}
					continue
				}
				if o.BeforeAck != nil && !o.BeforeAck(c) {
					// The worker "died" after its commit: nothing reported,
					// no ack; the queue or the sender delivers it again.
					if o.OnDone != nil {
						o.OnDone(msg, !m.Nackable())
					}
					continue
				}
				if o.OnCommit != nil {
					o.OnCommit(c)
				}
				m.Ack()
				if o.OnDone != nil {
					o.OnDone(msg, true)
				}
			}
		}()
	}
	wg.Wait()
	return stopErr
}
