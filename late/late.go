package late

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/pubsub"

	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/staging"
)

// DefaultGrace is the default Policy.Grace.
const DefaultGrace = 2 * time.Hour

// Policy decides which reads are late. The zero value uses DefaultGrace.
type Policy struct {
	// Grace is how far behind the watermark a read may be without being late.
	Grace time.Duration
}

func (p Policy) grace() time.Duration {
	if p.Grace <= 0 {
		return DefaultGrace
	}
	return p.Grace
}

// Tracker applies the policy to one stream (one range), in stream order.
type Tracker struct {
	grace time.Duration
	lake  time.Time // the lake's watermark
	seen  time.Time // the latest reading time seen in the stream
	// seenBy holds the latest reading time per series, for files in
	// series order (LateIn).
	seenBy map[string]time.Time
}

// NewTracker starts a stream whose lake watermark is lake (zero if none).
func (p Policy) NewTracker(lake time.Time) *Tracker {
	return &Tracker{grace: p.grace(), lake: lake}
}

// Late reports whether a read of time t, next in the stream, is late, and
// then counts it as seen.
func (tr *Tracker) Late(t time.Time) bool {
	w := tr.seen
	if tr.lake.After(w) {
		w = tr.lake
	}
	late := !w.IsZero() && t.Before(w.Add(-tr.grace))
	if t.After(tr.seen) {
		tr.seen = t
	}
	return late
}

// LateIn is Late for a file that is ordered by series, not by arrival:
// the household and MDM exports (NEM12, MRASCo, ESPI, the CSV layouts)
// give each meter's and channel's reads in time order, one series after
// another, so the next meter's first day is not late because the last
// meter's final day came before it. A read is late when it is more than
// the grace behind the lake's watermark or behind the latest read of its
// own series in the file; series names one (meter, channel) stream.
func (tr *Tracker) LateIn(series string, t time.Time) bool {
	if tr.seenBy == nil {
		tr.seenBy = make(map[string]time.Time)
	}
	seen := tr.seenBy[series]
	w := seen
	if tr.lake.After(w) {
		w = tr.lake
	}
	late := !w.IsZero() && t.Before(w.Add(-tr.grace))
	if t.After(seen) {
		tr.seenBy[series] = t
	}
	return late
}

// Event announces the late reads of one source in one partition. The
// handler re-integrates the partition: every committed staged file in it,
// of any source, whatever the event's other fields say.
type Event struct {
	// Partition is the partition's path, readings/reading_type=.../hour=HH/.
	Partition string `json:"partition"`
	// StagingKey is a staged Parquet file in the lake bucket with late
	// reads of the source in the partition: that of the first commit
	// given to Events with some (Publish's callers give them in range
	// order: the lowest range's), Files counting them all.
	StagingKey string `json:"staging_key"`
	// Files counts the source's staged files in the partition with late
	// reads (one per range).
	Files int `json:"files,omitempty"`
	// Source is the inbound object the reads came from.
	Source string `json:"source"`
	// Reads counts the late reads; Earliest and Latest bound their times.
	Reads    int64     `json:"reads"`
	Earliest time.Time `json:"earliest"`
	Latest   time.Time `json:"latest"`
	// Arrival is when the inbound object arrived.
	Arrival time.Time `json:"arrival_time"`
}

// Events returns the events that the commits announce: one per source and
// partition with late reads in a staged file not integrated yet, ordered by
// source and partition. The files of one partition from several ranges of
// a source make one event. Integrated commits hold no files, and announce
// nothing: their reads are in the lake.
func Events(cs ...*staging.Commit) []Event {
	type key struct{ source, partition string }
	var order []key
	byKey := make(map[key]*Event)
	for _, c := range cs {
		for _, f := range c.Files {
			if f.Late == 0 {
				continue
			}
			k := key{c.Message.SourceID, f.Partition}
			ev := byKey[k]
			if ev == nil {
				ev = &Event{Partition: f.Partition, StagingKey: f.Key, Source: c.Message.Source,
					Earliest: f.LateMin, Latest: f.LateMax, Arrival: c.Message.Arrival}
				byKey[k] = ev
				order = append(order, k)
			}
			ev.Files++
			ev.Reads += f.Late
			if f.LateMin.Before(ev.Earliest) {
				ev.Earliest = f.LateMin
			}
			if f.LateMax.After(ev.Latest) {
				ev.Latest = f.LateMax
			}
		}
	}
	slices.SortFunc(order, func(a, b key) int {
		if c := strings.Compare(a.source, b.source); c != 0 {
			return c
		}
		return strings.Compare(a.partition, b.partition)
	})
	out := make([]Event, len(order))
	for i, k := range order {
		out[i] = *byKey[k]
	}
	return out
}

// Publish sends the events of the commits (see Events): one per source and
// partition with late reads. Pass every commit of a source, once all its
// ranges have committed (staging.CommittedSource), to announce each of its
// late partitions once, however many of its ranges had reads there
// (mda.Pipeline.ProcessRange does); a single commit gives one event per
// staged file with late reads, since a range stages one file per
// partition.
func Publish(ctx context.Context, topic *pubsub.Topic, cs ...*staging.Commit) (int, error) {
	n := 0
	for _, ev := range Events(cs...) {
		body, err := json.Marshal(ev)
		if err != nil {
			return n, err
		}
		if err := topic.Send(ctx, &pubsub.Message{Body: body, Metadata: map[string]string{"partition": ev.Partition}}); err != nil {
			return n, fmt.Errorf("late: publish: %w", err)
		}
		n++
	}
	return n, nil
}

// HandlerOptions configures a Handler. Nil means the defaults.
type HandlerOptions struct {
	// Integrate configures the re-integrations (its Partitions are set
	// per batch).
	Integrate *staging.IntegrateOptions
	// Register, if set, is called with the partitions each re-integration
	// compacted, before it returns, to register them in a catalog
	// (catalog.Registrar.RegisterReadings), as staging.IntegrateOptions'
	// Register, which it replaces. If it fails, so does Handle (Run nacks
	// the event, for redelivery), and the next run compacts and registers
	// again.
	Register func(ctx context.Context, keys []partition.Key) error
	Logger   *slog.Logger
	// OnHandle, if set, is called by Run after each event, with what its
	// re-integration did (a failed one may have compacted some
	// partitions) and its error.
	OnHandle func(Event, staging.IntegrateStats, error)
}

// Handler re-integrates the partitions named by late events.
type Handler struct {
	lake *blob.Bucket
	opts HandlerOptions
}

// NewHandler returns a handler for the lake.
func NewHandler(lake *blob.Bucket, opts *HandlerOptions) *Handler {
	h := &Handler{lake: lake}
	if opts != nil {
		h.opts = *opts
	}
	if h.opts.Logger == nil {
		h.opts.Logger = slog.New(slog.DiscardHandler)
	}
	return h
}

// Handle re-integrates the partitions of a batch of events and registers
// those it compacted (HandlerOptions.Register).
func (h *Handler) Handle(ctx context.Context, events []Event) (staging.IntegrateStats, error) {
	var keys []partition.Key
	seen := make(map[string]bool)
	for _, ev := range events {
		if seen[ev.Partition] {
			continue
		}
		seen[ev.Partition] = true
		k, err := partition.ParseKey(ev.Partition)
		if err != nil {
			return staging.IntegrateStats{}, fmt.Errorf("late: event names partition %q: %w", ev.Partition, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return staging.IntegrateStats{}, nil
	}
	o := staging.IntegrateOptions{}
	if h.opts.Integrate != nil {
		o = *h.opts.Integrate
	}
	o.Partitions = keys
	if h.opts.Register != nil {
		o.Register = h.opts.Register
	}
	return staging.Integrate(ctx, h.lake, &o)
}

// Run receives events from sub and handles them one by one until ctx is
// done or the subscription fails, acknowledging each event once its
// partition is re-integrated. A malformed event is logged and acked (a
// retry cannot fix it); a failed integration is nacked, for redelivery.
func (h *Handler) Run(ctx context.Context, sub *pubsub.Subscription) error {
	for {
		msg, err := sub.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("late: receive: %w", err)
		}
		var ev Event
		if err := json.Unmarshal(msg.Body, &ev); err != nil {
			h.opts.Logger.Warn("malformed late event", "err", err)
			msg.Ack()
			continue
		}
		st, err := h.Handle(ctx, []Event{ev})
		if h.opts.OnHandle != nil {
			h.opts.OnHandle(ev, st, err)
		}
		if err != nil {
			h.opts.Logger.Warn("re-integration failed", "partition", ev.Partition, "err", err)
			if msg.Nackable() {
				msg.Nack()
			}
			if errors.Is(err, context.Canceled) {
				return nil
			}
			continue
		}
		msg.Ack()
	}
}
