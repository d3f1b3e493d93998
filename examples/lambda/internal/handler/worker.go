package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"gocloud.dev/pubsub"

	"github.com/openmda/mda"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/late"
	"github.com/openmda/mda/ranges"
)

// Worker is the range-worker function: the SQS event source mapping of the
// ranges queue hands it batches of range messages, and it stages each range
// with mda.Pipeline.ProcessRange.
//
// It answers with a partial batch response: the messages whose ranges
// failed are listed in BatchItemFailures and stay on the queue, to be
// retried after their visibility timeout; the others are deleted. A range
// that keeps failing reaches the dead-letter queue after the queue's
// maxReceiveCount. This needs FunctionResponseTypes: [ReportBatchItemFailures]
// on the event source mapping; without it Lambda ignores the response and
// deletes the whole batch on success.
type Worker struct {
	Pipeline *mda.Pipeline
	Logger   *slog.Logger
}

// NewWorker wires a Worker from the environment:
//
//	LAKE_URL        the lake bucket (required)
//	LATE_TOPIC_URL  where late-read events go (optional; without it, late
//	                reads wait for the scheduled integrator)
//	LATE_GRACE      how far behind the latest reading time seen (in the lake
//	                or earlier in the range) a read may be without being
//	                late, e.g. 2h or 36h (default 2h, late.DefaultGrace)
//
// Range messages carry the URL of their inbound bucket, which the pipeline
// opens (once per URL, kept across warm invocations).
func NewWorker(ctx context.Context, env *lambdaenv.Env, logger *slog.Logger) (*Worker, error) {
	lakeURL := env.Required("LAKE_URL", "the lake bucket, s3://<bucket>?region=<region>")
	lateURL := env.Get("LATE_TOPIC_URL")
	grace := env.Duration("LATE_GRACE", late.DefaultGrace)
	if err := env.Err(); err != nil {
		return nil, err
	}
	lake, err := lambdaenv.OpenBucket(ctx, "LAKE_URL", lakeURL)
	if err != nil {
		return nil, err
	}
	var lateTopic *pubsub.Topic
	if lateURL != "" {
		if lateTopic, err = lambdaenv.OpenTopic(ctx, "LATE_TOPIC_URL", lateURL); err != nil {
			return nil, err
		}
	}
	// The staged files are written with the default writer options, which
	// are the integrator's defaults too (see PipelineOptions.Writer).
	return &Worker{
		Pipeline: mda.NewPipeline(lake, &mda.PipelineOptions{LateTopic: lateTopic, Late: late.Policy{Grace: grace}, Logger: logger}),
		Logger:   logger,
	}, nil
}

// Handle processes a batch of range messages, one after the other (a range
// is sized to keep a function busy on its own), and reports the ones that
// failed. It never returns an error: an error would fail the whole batch,
// and make SQS redeliver the ranges that did commit.
//
// A message that is not a valid range message is reported as failed, so
// that it ends in the dead-letter queue where someone sees it, rather than
// being dropped with a log line (what mda.Pipeline.Work does, having no
// dead-letter queue). A range whose object changed since it was planned
// (mda.ErrSourceChanged) is dropped: the new version has its own event and
// its own ranges, and retrying the old ones can never succeed.
func (w *Worker) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	fail := func(id string) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	for _, rec := range ev.Records {
		log := w.Logger.With("message_id", rec.MessageId, "receive_count", rec.Attributes["ApproximateReceiveCount"])
		if err := ctx.Err(); err != nil {
			// Out of time: leave the rest for redelivery instead of
			// starting ranges that the timeout would cut short.
			log.Warn("range not started", "err", err)
			fail(rec.MessageId)
			continue
		}
		msg, err := decodeRange(rec.Body)
		if err != nil {
			log.Error("malformed range message", "err", err, "body", truncate(rec.Body, 512))
			fail(rec.MessageId)
			continue
		}
		log = log.With("key", msg.Key, "source_id", msg.SourceID, "range", msg.Range.Index, "ranges", msg.Ranges)
		start := time.Now()
		c, err := w.Pipeline.ProcessRange(ctx, msg)
		switch {
		case errors.Is(err, mda.ErrSourceChanged):
			log.Warn("range dropped: its object changed since it was planned", "err", err)
		case err != nil:
			log.Error("range failed", "err", err)
			fail(rec.MessageId)
		default:
			log.Info("range committed", "lines", c.Lines, "reads", c.Reads, "quarantined", c.Quarantined,
				"late", c.Late, "duplicates", c.Duplicates, "redelivery", c.Redelivery, "files", len(c.Files), "elapsed_ms", time.Since(start).Milliseconds())
		}
	}
	return resp, nil
}

// decodeRange reads and checks a range message.
func decodeRange(body string) (ranges.Message, error) {
	var m ranges.Message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return m, fmt.Errorf("not a range message: %w", err)
	}
	if err := m.Validate(); err != nil {
		return m, err
	}
	return m, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
