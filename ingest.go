package mda

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/openmda/mda/late"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/staging"
)

// Prefixes of the objects that Ingest writes besides the partitions.
const (
	// InboundUncompressedPrefix holds decompressed copies of compressed
	// inputs while they are ingested (the guidance's data/uncompressed/).
	InboundUncompressedPrefix = "inbound/uncompressed/"
	// ErrorsPrefix holds quarantined lines, one JSON object per line.
	ErrorsPrefix = staging.ErrorsPrefix
	// HistoricPrefix is where history goes in an inbound bucket: an
	// object under it is a backfill (see IngestOptions.Backfill), whoever
	// ingests it (Ingest, Pipeline.ProcessRange, the Lambda functions).
	// It is the AWS guidance's data/historic/ folder for bulk CSV.
	HistoricPrefix = "data/historic/"
)

// IsHistoric reports whether an inbound object's key is under
// HistoricPrefix.
func IsHistoric(key string) bool { return strings.HasPrefix(key, HistoricPrefix) }

// IngestOptions configures Ingest. Nil means the defaults.
type IngestOptions struct {
	// Workers is the number of ranges scanned at once; default GOMAXPROCS.
	Workers int
	// Split chooses the byte ranges; nil means LocalSplit: ranges of
	// 8 MiB whatever the file's size, so that a worker's memory (it holds
	// its range's reads until it writes them) is the same for 100 MB and
	// 10 GB. The guidance's rule (150 ranges, up to 300 MB each) suits
	// Lambda's per-invocation limits, not one process.
	Split *ranges.SplitOptions
	// Strict stops the ingest at the first bad line (in file order) and
	// returns its *meter.ParseError. By default bad lines are quarantined
	// under ErrorsPrefix and counted.
	Strict bool
	// RequireReads fails an ingest whose input yields no read but bad
	// lines (a wrong Format, a file that is not meter data) with a
	// *NoReadsError, and leaves nothing of it in the lake, so that the
	// corrected ingest of the same file is not "already ingested". By
	// default such a file is quarantined line by line and recorded as
	// ingested, as a stream's batch of bad records must be.
	RequireReads bool
	// Source is the reading_source of HES CSV reads; default "B".
	Source string
	// Format is the input's format (see ParseFormat); "" detects it.
	Format string
	// Formats configures the decoders of formats other than the HES CSV.
	Formats *FormatOptions
	// Inbound is where a compressed input is decompressed before its ranges
	// are scanned; default the lake bucket. The copy is deleted afterwards.
	Inbound *blob.Bucket
	// Writer configures the Parquet files, staged and integrated.
	Writer *partition.WriterOptions
	// Late is the late-read policy (see package late).
	Late late.Policy
	// Backfill ingests the file as history: an older period loaded on
	// purpose, e.g. a household's export or a head-end's archive. Its
	// reads are not checked for lateness (IngestStats.Backfill says so,
	// and its Late is 0) and no late event is sent; the final integration
	// merges every read with the lake's, de-duplicated, as always. It does
	// not move the lake's watermark (see staging.Watermark), so the next
	// files of the live feed are judged as if the backfill had not
	// happened. A key under HistoricPrefix is a backfill without it.
	Backfill bool
	// MaxAttempts bounds the attempts at one range when reading or writing
	// fails; default 3. A range's output names are deterministic, so a
	// retried range overwrites its own earlier output.
	MaxAttempts int
	// Queue carries the range messages; nil means the queue QueueURL
	// names. With an at-most-once queue (NATS core) a lost message is sent
	// again after Redeliver without a commit; with at-least-once queues
	// (SQS, mem) nacks and ack deadlines do it too.
	Queue *Queue
	// QueueURL names the queue when Queue is nil (see OpenQueue): "" or
	// mem:// for an in-process queue (the default), nats://<subject>,
	// awssqs://... The ingest opens it, and shuts it down at the end.
	QueueURL string
	// Redeliver is how long the ingest waits without receiving or handling
	// any of its range messages before it sends the ranges that have not
	// committed again; default 1 minute.
	Redeliver time.Duration
	// Drain makes the ingest wait, before it integrates, until every range
	// message it sent (duplicates and re-sends included) has been received,
	// handled and is gone from the queue, rather than stop when each range
	// has committed once. Tests and drills use it with Duplicate to see
	// every second delivery processed. A message lost by an at-most-once
	// queue, or one that comes back only after its ack deadline, ends the
	// wait once no message has been received or handled for Redeliver.
	Drain bool
	// Force ingests a source that the lake records as fully ingested
	// (staging.ReadSource). By default such an ingest does nothing and
	// returns stats with AlreadyIngested set, unless it is Strict and the
	// source had bad lines: then it runs, to fail on the first. A forced
	// ingest stages and integrates the source again; none of its reads is
	// late (see Pipeline.ProcessRange), and the lake ends as it was.
	Force bool
	// Register, if set, is called with the partitions each integration
	// compacted (see staging.IntegrateOptions.Register); the CLI uses it
	// to keep a catalog current.
	Register func(ctx context.Context, keys []partition.Key) error
	// Faults injects failures, for tests and drills.
	Faults *Faults
	// Duplicate sends every range message twice, to prove (in tests and
	// drills) that redelivery changes nothing.
	Duplicate bool
	// Progress, if set, is called from one goroutine at a time as the
	// ingest advances.
	Progress func(Progress)
	// Logger receives debug and warning logs; nil discards them.
	Logger *slog.Logger
}

// Progress reports how far an ingest has come.
type Progress struct {
	// Stage is "decompress", "scan" or "integrate" (Done and Total count
	// partitions).
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
	// Compression is "gzip", "zstd" or "" for a plain input, Format the
	// input's format.
	Compression, Format string
	// Bytes is the size of the (uncompressed) input.
	Bytes int64
	// Ranges is the number of byte ranges scanned.
	Ranges int
	// Lines counts the input's records: for the HES CSV its data lines
	// (every line but the header and empty lines, six reads each), for
	// the formats read whole (NEM12, wide CSV, ...) the reads decoded and
	// the bad records, since a line of those holds a day of reads.
	Lines int64
	// Staged counts reads staged by the range workers; Reads the reads
	// in the partitions the ingest touched after integration (with what
	// they held before, less duplicates).
	Staged, Reads int64
	// Duplicates counts the input's reads that did not add a read to the
	// lake because another read with the same meter, type and time won:
	// copies within a range (dropped when staging), copies across ranges
	// and reads the lake already held (dropped when integrating). For a
	// new file on a lake that does not hold its reads, it is the number
	// of duplicate reads in the file. It is exact when the integration
	// merged only this ingest's staged files (Integrate.Staged equals
	// Staged): other sources' reads that it merged count as this
	// ingest's additions.
	Duplicates int64
	// Backfill says that late detection was off: the ingest was a
	// backfill (IngestOptions.Backfill, or a key under HistoricPrefix), so
	// Late and LateEvents are 0 whatever the reads' times, and this
	// ingest's reads did not move the watermark (the final integration
	// may merge other sources' live ranges, which do). Over several files
	// (Add) it says that at least one was a backfill; Backfills counts
	// them.
	Backfill  bool
	Backfills int
	// Late counts staged reads that the late policy found late, and
	// LateEvents the partitions with late reads, which the late events
	// announced: one event each (more if a range was processed twice,
	// which sends its source's events again). LateAdded counts the reads that the partitions with late
	// reads gained: late reads that the lake already held (a file sent
	// again under another name, or a correction of a value) add none.
	Late       int64
	LateEvents int
	LateAdded  int64
	// Processed counts the range messages that workers handled (committed,
	// failed or died on), Resent those that the ingest sent again because
	// their range had not committed after Redeliver.
	Processed, Resent int
	// AlreadyIngested is the lake's record of the source when the ingest
	// did nothing because the source was fully ingested before (see
	// IngestOptions.Force); nil otherwise.
	AlreadyIngested *staging.Source
	// Quarantined counts bad lines written under ErrorsPrefix.
	Quarantined int64
	// Partitions counts distinct partitions written, Files the Parquet
	// files and OutputBytes their total size.
	Partitions, Files int
	OutputBytes       int64
	// Elapsed is the wall time of the whole ingest.
	Elapsed time.Duration
	// Integrate reports the integration that ended the ingest.
	Integrate staging.IntegrateStats
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
	s.Staged += o.Staged
	s.Reads += o.Reads
	s.Duplicates += o.Duplicates
	s.Backfill = s.Backfill || o.Backfill
	s.Backfills += o.Backfills
	s.Late += o.Late
	s.LateEvents += o.LateEvents
	s.LateAdded += o.LateAdded
	s.Processed += o.Processed
	s.Resent += o.Resent
	s.Quarantined += o.Quarantined
	s.Partitions += o.Partitions
	s.Files += o.Files
	s.OutputBytes += o.OutputBytes
	s.Elapsed += o.Elapsed
}

// Faults are hooks that inject failures at the moments that matter for
// exactly-once: each returns an error (or false) to make that step fail.
type Faults struct {
	// BeforeRange runs when a worker has received a range, before it
	// reads anything; an error fails that delivery.
	BeforeRange func(ranges.Message) error
	// AfterStage runs when a range's files are durable, before its commit.
	AfterStage func(ranges.Message) error
	// BeforeAck runs after a range's commit; false makes the worker die
	// there: it neither reports the commit to the ingest nor acks the
	// message, so the ingest sends the range again after Redeliver (and
	// an at-least-once queue delivers it again after its ack deadline).
	BeforeAck func(*staging.Commit) bool
	// AfterCompact runs when a partition's compacted file is durable,
	// before the files it replaces are deleted.
	AfterCompact func(partition.FileInfo) error
}

// LocalSplit is Ingest's default split: fixed 8 MiB ranges (the last
// absorbs the remainder), within the guidance's limit of 50,000 ranges.
var LocalSplit = ranges.SplitOptions{MaxWorkers: 1, MinChunk: 8 << 20, MaxChunk: 8 << 20}

// QuarantinedLine is the JSON object written under ErrorsPrefix for every
// bad line.
type QuarantinedLine = staging.BadLine

// Ingest reads the object key of bucket in (plain, gzip or zstd; in any
// format of ParseFormat, detected from its first bytes unless opts.Format
// names it, else an error matching ErrUnknownFormat) into the lake, in one
// process: it splits the object into byte ranges,
// sends one message per range on a queue (in-process unless opts.Queue or
// opts.QueueURL say otherwise), lets opts.Workers workers stage the ranges
// (Pipeline.Work), and integrates the staged files into the lake's
// partitions (staging.Integrate) once every range has committed. Late
// reads are announced on an in-process topic and their partitions
// re-integrated at once by a late.Handler; a backfill (opts.Backfill) has
// none.
//
// Output names derive from the input's identity (key, size and content, see
// ContentSourceID) and
// the range, and integration de-duplicates, so ingesting the same object
// again would leave the lake unchanged; the lake also records the sources
// it has integrated, so a second ingest of the same object does nothing
// and says so (IngestStats.AlreadyIngested; opts.Force ingests it again,
// and finds none of its reads late). Bad lines never stop the ingest (unless
// opts.Strict): they are written under ErrorsPrefix with their line number,
// byte offset and reason, and counted.
//
// Each Ingest integrates what it staged: every hourly partition its reads
// touch is merged and rewritten. For many small files (one per meter or
// per day, as NEM12 exports often come) that rewrites the same partitions
// again and again; stage each file instead (Pipeline.Plan, then
// Pipeline.ProcessRange per message, as the Lambda examples' inbound and
// worker functions do) and integrate once for all of them on a schedule
// (staging.Integrate, the integrator function).
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
	if o.Split == nil {
		split := LocalSplit
		o.Split = &split
	}
	backfill := o.Backfill || IsHistoric(key)
	stats := IngestStats{Source: key, Backfill: backfill}
	if backfill {
		stats.Backfills = 1
	}

	attrs, err := in.Attributes(ctx, key)
	if err != nil {
		return stats, fmt.Errorf("mda: ingest %s: %w", key, err)
	}
	if stats.SourceID, err = ContentSourceID(ctx, in, key, attrs); err != nil {
		return stats, fmt.Errorf("mda: ingest %s: %w", key, err)
	}
	if !o.Force {
		// The same object again (same key, size and content): its reads are in
		// the lake already. Doing nothing is what an exactly-once ingest
		// owes it; staging it again would only rewrite the same partitions.
		done, err := IntegratedSource(ctx, lake, stats.SourceID, key, attrs)
		if err != nil {
			return stats, fmt.Errorf("mda: ingest %s: %w", key, err)
		}
		// A strict ingest owes the first bad line of a source that had
		// some: it runs again, to fail as the first strict one would.
		if done != nil && !(o.Strict && done.Quarantined > 0) {
			stats.AlreadyIngested = done
			stats.Format, stats.Ranges = done.Format, done.Ranges
			stats.Elapsed = time.Since(start)
			return stats, nil
		}
	}
	codec, err := SniffCompression(ctx, in, key)
	if err != nil {
		return stats, fmt.Errorf("mda: ingest %s: %w", key, err)
	}
	stats.Compression = codec

	src, srcKey := in, key
	if codec != "" {
		srcKey = InboundUncompressedPrefix + stats.SourceID + ".csv"
		var progress func(int64)
		if o.Progress != nil {
			progress = func(done int64) { o.Progress(Progress{Stage: "decompress", Done: done, Total: attrs.Size}) }
		}
		if _, err := Decompress(ctx, in, key, codec, o.Inbound, srcKey, progress); err != nil {
			return stats, fmt.Errorf("mda: ingest %s: decompress: %w", key, err)
		}
		src = o.Inbound
		defer func() {
			if err := o.Inbound.Delete(context.WithoutCancel(ctx), srcKey); err != nil {
				o.Logger.Warn("could not delete uncompressed copy", "key", srcKey, "err", err)
			}
		}()
	}

	lateTopic := mempubsub.NewTopic()
	defer lateTopic.Shutdown(context.WithoutCancel(ctx))
	lateSub := mempubsub.NewSubscription(lateTopic, time.Minute)
	defer lateSub.Shutdown(context.WithoutCancel(ctx))
	p := NewPipeline(lake, &PipelineOptions{
		Sources:   map[string]*blob.Bucket{"inbound": src},
		Source:    o.Source,
		Writer:    o.Writer,
		Late:      o.Late,
		LateTopic: lateTopic,
		Backfill:  backfill,
		Strict:    o.Strict,
		Formats:   o.Formats,
		Logger:    o.Logger,
	})
	if o.Faults != nil {
		p.opts.BeforeRange = o.Faults.BeforeRange
		p.opts.AfterStage = o.Faults.AfterStage
	}
	defer p.Close()
	// The output is named after the inbound object, not the copy. It
	// arrived when it was written (as an object-created event says on a
	// cloud), not when this ingest runs: reads that do not carry their
	// own delivery time take it, and the later file wins de-duplication
	// whatever order files are ingested in.
	arrival := attrs.ModTime
	if arrival.IsZero() {
		arrival = time.Now()
	}
	msgs, err := p.Plan(ctx, "inbound", srcKey, &PlanOptions{Source: key, SourceID: stats.SourceID, Split: o.Split, Arrival: arrival, Format: o.Format})
	if err != nil {
		return stats, err
	}
	stats.Bytes = msgs[0].Size
	stats.Format = msgs[0].Format
	stats.Ranges = len(msgs)

	run, err := runRanges(ctx, p, msgs, lateSub, lake, &o)
	if err != nil {
		var pe *meter.ParseError
		if errors.As(err, &pe) && o.Strict {
			// Report the first bad line in file order, with its line number
			// in the file, and leave nothing of this source staged.
			if derr := staging.Discard(context.WithoutCancel(ctx), lake, stats.SourceID); derr != nil {
				o.Logger.Warn("could not discard staged output", "source_id", stats.SourceID, "err", derr)
			}
			if stats.Format != meter.HESCSVFormat {
				return stats, pe // one range: its line numbers are the file's
			}
			return stats, firstBadLine(ctx, src, srcKey, err)
		}
		return stats, fmt.Errorf("mda: ingest %s: %w", key, err)
	}
	stats.Processed, stats.Resent = run.processed, run.resent
	var stagingDups int64
	latePartitions := map[string]bool{}
	for _, c := range run.commits {
		stats.Lines += c.Lines
		stats.Staged += c.Reads
		stats.Quarantined += c.Quarantined
		stats.Late += c.Late
		stagingDups += c.Duplicates
		for _, f := range c.Files {
			if f.Late > 0 {
				latePartitions[f.Partition] = true
			}
		}
	}
	// What ProcessRange published: one event per partition with late
	// reads, when the last range committed.
	stats.LateEvents = len(latePartitions)
	if o.RequireReads && stats.Staged == 0 && stats.Quarantined > 0 {
		nr := &NoReadsError{Source: key, Format: stats.Format, Quarantined: stats.Quarantined}
		for _, c := range run.commits {
			if c.Errors == "" {
				continue
			}
			if bad, err := staging.ReadBadLines(ctx, lake, c.Errors); err == nil && len(bad) > 0 {
				nr.First = bad[0]
				break
			}
		}
		if err := staging.Discard(context.WithoutCancel(ctx), lake, stats.SourceID); err != nil {
			return stats, errors.Join(nr, fmt.Errorf("could not discard its staged output: %w", err))
		}
		return stats, nr
	}
	var afterCompact func(partition.FileInfo) error
	if o.Faults != nil {
		afterCompact = o.Faults.AfterCompact
	}
	ist, err := staging.Integrate(ctx, lake, &staging.IntegrateOptions{Writer: o.Writer, Logger: o.Logger, AfterCompact: afterCompact, Register: o.Register,
		Progress: func(done, total int) {
			if o.Progress != nil {
				o.Progress(Progress{Stage: "integrate", Done: int64(done), Total: int64(total), Reads: stats.Staged, Quarantined: stats.Quarantined})
			}
		}})
	if err != nil {
		return stats, fmt.Errorf("mda: ingest %s: %w", key, err)
	}
	if ist.Locked > 0 {
		return stats, fmt.Errorf("mda: ingest %s: %d partitions locked by another integrator; run mda integrate later", key, ist.Locked)
	}
	stats.Integrate = ist
	stats.Reads = ist.Reads
	// What staging dropped, and the staged reads that integration (the
	// late handler's and the final run) did not add to the lake.
	stats.Duplicates = max(0, stagingDups+stats.Staged-ist.Added-run.lateAdded)
	// The late handler may have compacted some late partitions before the
	// final run (which then found nothing to add there), or not.
	stats.LateAdded = run.lateAdded
	for p := range latePartitions {
		stats.LateAdded += ist.PartitionAdded[p]
	}
	stats.Partitions = ist.Partitions
	stats.Files = ist.Partitions
	stats.OutputBytes = ist.Bytes
	stats.Elapsed = time.Since(start)
	return stats, nil
}

// rangeRun is what runRanges reports.
type rangeRun struct {
	// commits holds the last commit of each range.
	commits []*staging.Commit
	// processed counts this source's range messages handled, resent those
	// the sweeper sent again.
	processed, resent int
	// lateAdded counts the reads that the late handler's re-integrations
	// added to the lake.
	lateAdded int64
}

// runRanges enqueues the messages and works them off with opts.Workers
// workers, handling late events alongside, until every range has
// committed (and, with opts.Drain, every message sent is consumed).
// A range that fails opts.MaxAttempts times fails the ingest.
func runRanges(ctx context.Context, p *Pipeline, msgs []ranges.Message, lateSub *pubsub.Subscription, lake *blob.Bucket, o *IngestOptions) (*rangeRun, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	q := o.Queue
	if q == nil {
		oq, err := OpenQueue(ctx, o.QueueURL)
		if err != nil {
			return nil, err
		}
		defer oq.Shutdown(context.WithoutCancel(ctx))
		q = oq
	}
	redeliver := o.Redeliver
	if redeliver <= 0 {
		redeliver = time.Minute
	}
	sourceID := msgs[0].SourceID

	var (
		mu       sync.Mutex
		run      = &rangeRun{commits: make([]*staging.Commit, len(msgs))}
		left     = len(msgs)
		failures = make(map[int]int)
		sent     int // messages sent or being sent
		consumed int // messages gone from the queue
		inflight int // messages received and not yet handled
		done     int64
		reads    int64
		bad      int64
		fatal    error
		// lastActivity is when a message of this ingest was last received
		// or handled.
		lastActivity = time.Now()
	)
	// ours tells this ingest's ranges from others' on a shared queue: a
	// worker processes those too (their commits are as good as any), but
	// they are not counted here; their owner sends them again.
	ours := func(m ranges.Message) bool {
		return m.SourceID == sourceID && m.Range.Index >= 0 && m.Range.Index < len(msgs) && m.Range == msgs[m.Range.Index].Range
	}
	// finish stops the workers once every range has committed and, when
	// draining, every message sent is gone from the queue. Call it with
	// mu held.
	finish := func() {
		if left == 0 && (!o.Drain || consumed >= sent) {
			cancel()
		}
	}
	// send enqueues ms. They are counted as sent before they go, so that a
	// fast worker never sees more consumed than sent.
	send := func(ms []ranges.Message) (int, error) {
		mu.Lock()
		sent += len(ms)
		mu.Unlock()
		for i := range ms {
			if err := Enqueue(ctx, q.Topic, ms[i:i+1]); err != nil {
				mu.Lock()
				sent -= len(ms) - i
				mu.Unlock()
				return i, err
			}
		}
		return len(ms), nil
	}
	if _, err := send(msgs); err != nil {
		return nil, err
	}
	if o.Duplicate {
		if _, err := send(msgs); err != nil {
			return nil, err
		}
	}

	handler := late.NewHandler(lake, &late.HandlerOptions{
		Integrate: &staging.IntegrateOptions{Writer: o.Writer, Register: o.Register},
		Logger:    o.Logger,
		OnHandle: func(_ late.Event, st staging.IntegrateStats, _ error) {
			mu.Lock()
			defer mu.Unlock()
			run.lateAdded += st.Added
		},
	})
	lateDone := make(chan error, 1)
	go func() { lateDone <- handler.Run(ctx, lateSub) }()
	// The sweeper: when no message of this ingest has been received or
	// handled for Redeliver, the ranges not committed yet are sent again:
	// their messages were lost (NATS core), their workers died, or hang.
	// Their names are deterministic, so a range processed twice costs
	// time, never correctness.
	go func() {
		tick := time.NewTicker(redeliver / 4)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			mu.Lock()
			var again []ranges.Message
			idle := time.Since(lastActivity) >= redeliver
			if left > 0 && idle {
				for i, c := range run.commits {
					if c == nil {
						again = append(again, msgs[i])
					}
				}
				lastActivity = time.Now()
			}
			if left == 0 && o.Drain && inflight <= 0 && idle {
				o.Logger.Warn("messages lost: stop draining", "sent", sent, "consumed", consumed)
				cancel()
			}
			mu.Unlock()
			if len(again) > 0 {
				o.Logger.Warn("re-sending uncommitted ranges", "ranges", len(again))
				n, err := send(again)
				if err != nil && ctx.Err() == nil {
					o.Logger.Warn("re-send failed", "err", err)
				}
				mu.Lock()
				run.resent += n
				mu.Unlock()
			}
		}
	}()

	var beforeAck func(*staging.Commit) bool
	if o.Faults != nil {
		beforeAck = o.Faults.BeforeAck
	}
	err := p.Work(ctx, q.Subscription, &WorkOptions{
		Workers:   o.Workers,
		BeforeAck: beforeAck,
		OnReceive: func(m ranges.Message) {
			mu.Lock()
			defer mu.Unlock()
			if ours(m) {
				inflight++
				lastActivity = time.Now()
			}
		},
		OnDone: func(m ranges.Message, gone bool) {
			mu.Lock()
			defer mu.Unlock()
			if !ours(m) {
				return
			}
			run.processed++
			inflight--
			if gone {
				consumed++
			}
			lastActivity = time.Now()
			finish()
		},
		OnCommit: func(c *staging.Commit) {
			mu.Lock()
			defer mu.Unlock()
			if !ours(c.Message) {
				return
			}
			i := c.Message.Range.Index
			if run.commits[i] == nil {
				left--
				done += c.Message.Range.Len()
				reads += c.Reads
				bad += c.Quarantined
			}
			run.commits[i] = c
			if o.Progress != nil {
				o.Progress(Progress{Stage: "scan", Done: done, Total: c.Message.Size, Reads: reads, Quarantined: bad})
			}
		},
		OnError: func(m ranges.Message, err error) error {
			var pe *meter.ParseError
			if errors.As(err, &pe) && o.Strict {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if !ours(m) {
				o.Logger.Warn("a message not of this ingest failed", "key", m.Key, "source_id", m.SourceID, "range", m.Range.Index, "err", err)
				return nil
			}
			if ctx.Err() != nil || run.commits[m.Range.Index] != nil {
				return nil // stopping, or a copy of a range that committed
			}
			failures[m.Range.Index]++
			o.Logger.Warn("range failed", "key", m.Key, "range", m.Range.Index, "attempt", failures[m.Range.Index], "err", err)
			if failures[m.Range.Index] >= o.MaxAttempts {
				fatal = err
				return err
			}
			return nil
		},
	})
	cancel()
	<-lateDone
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		return nil, err
	}
	if fatal != nil {
		return nil, fatal
	}
	if left > 0 {
		return nil, fmt.Errorf("%d of %d ranges not committed: %w", left, len(msgs), context.Cause(ctx))
	}
	return run, nil
}

// firstBadLine finds the first bad line of the source by decoding it in
// order, so that strict mode reports the same line whatever the ranges.
func firstBadLine(ctx context.Context, b *blob.Bucket, key string, fallback error) error {
	r, err := b.NewReader(ctx, key, nil)
	if err != nil {
		return fallback
	}
	defer r.Close()
	hr := meter.NewHESCSVReader(r, &meter.HESCSVReaderOptions{MaxLineBytes: maxLineBytes})
	buf := make([]meter.Reading, 4096)
	for {
		_, err := hr.Read(buf)
		if err == io.EOF {
			return fallback
		}
		if err != nil {
			return err
		}
	}
}

// NoReadsError reports an input that yielded no read, only bad lines (see
// IngestOptions.RequireReads): most often the wrong format.
type NoReadsError struct {
	Source, Format string
	// Quarantined counts its bad lines; First is the first one a range
	// rejected (its Line may be 0, its RangeLine and Offset are set).
	Quarantined int64
	First       staging.BadLine
}

func (e *NoReadsError) Error() string {
	msg := fmt.Sprintf("mda: ingest %s: no reads, %d bad lines, read as %s", e.Source, e.Quarantined, e.Format)
	if e.First.Reason != "" {
		msg += fmt.Sprintf(" (the first, at byte %d: %s)", e.First.Offset, e.First.Reason)
	}
	return msg + "; is the format right? Nothing was ingested"
}
