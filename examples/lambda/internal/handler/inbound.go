package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
	"gocloud.dev/pubsub"

	"github.com/openmda/mda"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/ranges"
)

// Inbound is the inbound-object function: for every object created in the
// inbound bucket it plans the object's byte ranges (mda.Pipeline.Plan) and
// sends one range message per range to the ranges queue (mda.Enqueue), where
// the worker function picks them up.
//
// A compressed object (gzip or zstd, by magic number) cannot be cut into
// byte ranges, so it is first decompressed into the same bucket, under
// mda.InboundUncompressedPrefix ("inbound/uncompressed/<id>.csv", the
// guidance's data/uncompressed/ area), and the ranges are planned over that
// copy; the messages still name the original object as their source. An
// S3 lifecycle rule (see template.yaml) deletes the copies once no message
// can refer to them any more.
//
// Events arrive at least once, and a retried invocation plans the same
// ranges with the same source ID again: the workers' output names derive
// from them, so a duplicate costs work, never correctness.
//
// Objects under mda.HistoricPrefix (data/historic/, the guidance's folder
// for bulk history) are a backfill: they are planned like any other, and
// the worker function stages their ranges without late detection, because
// the range messages name the object (mda.Pipeline.ProcessRange): no late
// event is sent for history, and its integration leaves the watermark.
// The EventBridge rule must let that prefix through besides data/landing/
// (objects put by the head-end or by hand) and hes.LandingPrefix (those the
// fetch function lands).
type Inbound struct {
	// Pipeline plans the ranges; its Sources map BucketURL to Bucket.
	Pipeline *mda.Pipeline
	// Lake, if set, is where the handler looks up whether an object was
	// ingested before (staging.ReadSource): such an object is skipped. The
	// function's role needs s3:GetObject and s3:ListBucket on the lake;
	// without them it plans every object, as before.
	Lake *blob.Bucket
	// Bucket is the inbound bucket, BucketName its name in S3 events and
	// BucketURL the URL the range messages carry for the workers.
	Bucket     *blob.Bucket
	BucketName string
	BucketURL  string
	// Ranges receives the range messages.
	Ranges *pubsub.Topic
	// Split chooses the ranges (MAX_WORKERS, MIN_CHUNK).
	Split  *ranges.SplitOptions
	Logger *slog.Logger
}

// NewInbound wires an Inbound from the environment:
//
//	INBOUND_URL       the inbound bucket, s3://<bucket>?region=<region> (required)
//	LAKE_URL          the lake bucket (required; the pipeline reads nothing there
//	                  when planning, but it is the pipeline's home)
//	RANGES_TOPIC_URL  the ranges queue, awssqs://sqs.<region>.amazonaws.com/<account>/<queue>?region=<region> (required)
//	MAX_WORKERS       ranges per object, before the chunk limits (default 150)
//	MIN_CHUNK         smallest range in bytes, e.g. 4MiB (default 4 MiB)
//	MAX_CHUNK         largest range in bytes (default 300 MB)
func NewInbound(ctx context.Context, env *lambdaenv.Env, logger *slog.Logger) (*Inbound, error) {
	inURL := env.Required("INBOUND_URL", "the inbound bucket, s3://<bucket>?region=<region>")
	lakeURL := env.Required("LAKE_URL", "the lake bucket, s3://<bucket>?region=<region>")
	topicURL := env.Required("RANGES_TOPIC_URL", "the ranges queue, awssqs://sqs.<region>.amazonaws.com/<account>/<queue>?region=<region>")
	split := &ranges.SplitOptions{
		MaxWorkers: env.Int("MAX_WORKERS", 0),
		MinChunk:   env.Bytes("MIN_CHUNK", 0),
		MaxChunk:   env.Bytes("MAX_CHUNK", 0),
	}
	if err := env.Err(); err != nil {
		return nil, err
	}
	name, err := lambdaenv.BucketName(inURL)
	if err != nil {
		return nil, fmt.Errorf("lambda configuration: INBOUND_URL: %w", err)
	}
	in, err := lambdaenv.OpenBucket(ctx, "INBOUND_URL", inURL)
	if err != nil {
		return nil, err
	}
	lake, err := lambdaenv.OpenBucket(ctx, "LAKE_URL", lakeURL)
	if err != nil {
		return nil, err
	}
	topic, err := lambdaenv.OpenTopic(ctx, "RANGES_TOPIC_URL", topicURL)
	if err != nil {
		return nil, err
	}
	return &Inbound{
		Pipeline:   mda.NewPipeline(lake, &mda.PipelineOptions{Sources: map[string]*blob.Bucket{inURL: in}, Logger: logger}),
		Lake:       lake,
		Bucket:     in,
		BucketName: name,
		BucketURL:  inURL,
		Ranges:     topic,
		Split:      split,
		Logger:     logger,
	}, nil
}

// Object is one created object, as an event names it.
type Object struct {
	Bucket string
	// Key is the key as the event carries it: URL-encoded in S3
	// notifications ("hes+file%3D1.csv" for "hes file=1.csv").
	Key string
	// Size, ETag and VersionID are what the event says; the handler reads
	// the object's own attributes rather than trusting them.
	Size      int64
	ETag      string
	VersionID string
	// Time is when the object was created: the range messages' arrival time.
	Time time.Time
}

// Planned reports what the handler did with one object.
type Planned struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	// Skipped says why the object was not planned, if it was not.
	Skipped string `json:"skipped,omitempty"`
	// Compression is "gzip" or "zstd" for a compressed object, whose ranges
	// were planned over the uncompressed copy Planned.
	Compression  string `json:"compression,omitempty"`
	Uncompressed string `json:"uncompressed,omitempty"`
	SourceID     string `json:"source_id,omitempty"`
	Size         int64  `json:"size,omitempty"`
	Ranges       int    `json:"ranges,omitempty"`
	// Backfill says that the object is history (under
	// mda.HistoricPrefix): its ranges are staged without late detection.
	Backfill bool `json:"backfill,omitempty"`
}

// InboundResult is the function's response (visible in synchronous and
// test invocations; EventBridge and S3 invoke asynchronously and drop it).
type InboundResult struct {
	Objects []Planned `json:"objects"`
}

// Handle accepts either shape of "object created" event, told apart by
// their fields: an S3 event notification ({"Records":[...]}, what a bucket
// notification configuration sends) or an EventBridge event
// ({"detail-type":"Object Created","source":"aws.s3",...}, what the AWS
// guidance and template.yaml use). The one function serves both, so that
// the deployment can pick either without a rebuild.
//
// An object that fails makes the invocation fail, after the other objects
// of the event are handled; Lambda's asynchronous retries then plan the
// event again, and the objects that succeeded the first time produce
// duplicate range messages, which the workers absorb.
func (h *Inbound) Handle(ctx context.Context, raw json.RawMessage) (*InboundResult, error) {
	var probe struct {
		Records    json.RawMessage `json:"Records"`
		DetailType string          `json:"detail-type"`
		Source     string          `json:"source"`
		Event      string          `json:"Event"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("inbound: event is not a JSON object: %w", err)
	}
	switch {
	case probe.Records != nil:
		var ev events.S3Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("inbound: S3 event notification: %w", err)
		}
		return h.HandleS3(ctx, ev)
	case probe.DetailType != "":
		var ev events.EventBridgeEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("inbound: EventBridge event: %w", err)
		}
		return h.HandleEventBridge(ctx, ev)
	case probe.Event == "s3:TestEvent":
		// S3 sends this once when a notification configuration is saved.
		h.Logger.Info("S3 test event ignored")
		return &InboundResult{}, nil
	}
	return nil, fmt.Errorf("inbound: neither an S3 event notification nor an EventBridge event: %.200s", raw)
}

// HandleS3 handles an S3 event notification. Records other than
// ObjectCreated:* (a notification configuration may send deletes too) are
// skipped.
func (h *Inbound) HandleS3(ctx context.Context, ev events.S3Event) (*InboundResult, error) {
	var objs []Object
	res := &InboundResult{}
	for _, r := range ev.Records {
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			res.Objects = append(res.Objects, Planned{Bucket: r.S3.Bucket.Name, Key: r.S3.Object.URLDecodedKey, Skipped: "event " + r.EventName})
			continue
		}
		objs = append(objs, Object{Bucket: r.S3.Bucket.Name, Key: r.S3.Object.Key, Size: r.S3.Object.Size,
			ETag: r.S3.Object.ETag, VersionID: r.S3.Object.VersionID, Time: r.EventTime})
	}
	return h.handle(ctx, objs, res)
}

// objectCreated is the detail of an EventBridge "Object Created" event.
type objectCreated struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"etag"`
		VersionID string `json:"version-id"`
	} `json:"object"`
	Reason string `json:"reason"`
}

// parseObjectCreated checks that ev is an S3 "Object Created" event and
// returns its detail, which names a bucket and a key. The rules in
// template.yaml let only these through; anything else is a misconfigured
// rule, which should be seen, not ignored.
func parseObjectCreated(ev events.EventBridgeEvent) (objectCreated, error) {
	var d objectCreated
	if ev.Source != "aws.s3" || ev.DetailType != "Object Created" {
		return d, fmt.Errorf("EventBridge event %q from %q: want \"Object Created\" from \"aws.s3\"", ev.DetailType, ev.Source)
	}
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return d, fmt.Errorf("EventBridge event %s: detail: %w", ev.ID, err)
	}
	if d.Bucket.Name == "" || d.Object.Key == "" {
		return d, fmt.Errorf("EventBridge event %s names no bucket or key", ev.ID)
	}
	return d, nil
}

// HandleEventBridge handles an EventBridge "Object Created" event from S3.
func (h *Inbound) HandleEventBridge(ctx context.Context, ev events.EventBridgeEvent) (*InboundResult, error) {
	d, err := parseObjectCreated(ev)
	if err != nil {
		return nil, fmt.Errorf("inbound: %w", err)
	}
	obj := Object{Bucket: d.Bucket.Name, Key: d.Object.Key, Size: d.Object.Size, ETag: d.Object.ETag,
		VersionID: d.Object.VersionID, Time: ev.Time}
	return h.handle(ctx, []Object{obj}, &InboundResult{})
}

func (h *Inbound) handle(ctx context.Context, objs []Object, res *InboundResult) (*InboundResult, error) {
	var errs []error
	for _, o := range objs {
		p, err := h.Plan(ctx, o)
		if err != nil {
			h.Logger.Error("object not planned", "bucket", o.Bucket, "key", o.Key, "err", err)
			errs = append(errs, err)
			continue
		}
		if p.Skipped != "" {
			h.Logger.Info("object skipped", "bucket", p.Bucket, "key", p.Key, "reason", p.Skipped)
		} else {
			h.Logger.Info("object planned", "bucket", p.Bucket, "key", p.Key, "source_id", p.SourceID,
				"compression", p.Compression, "size", p.Size, "ranges", p.Ranges, "backfill", p.Backfill)
		}
		res.Objects = append(res.Objects, p)
	}
	return res, errors.Join(errs...)
}

// Plan decompresses the object if needed, plans its ranges and sends them.
func (h *Inbound) Plan(ctx context.Context, o Object) (Planned, error) {
	p := Planned{Bucket: o.Bucket, Key: o.Key}
	if o.Bucket != h.BucketName {
		// One function serves one inbound bucket: its messages carry that
		// bucket's URL, and its role may read only that bucket.
		return p, fmt.Errorf("inbound: event for bucket %q, but this function serves %q (INBOUND_URL)", o.Bucket, h.BucketName)
	}
	key, attrs, err := h.resolve(ctx, o.Key)
	p.Key = key
	if err != nil {
		return p, err
	}
	p.Backfill = mda.IsHistoric(key)
	switch {
	case strings.HasSuffix(key, "/"):
		p.Skipped = "folder marker"
		return p, nil
	case strings.HasPrefix(key, mda.InboundUncompressedPrefix):
		// Our own copy; its ranges were planned when it was made.
		p.Skipped = "uncompressed copy made by this function"
		return p, nil
	}
	codec, err := mda.SniffCompression(ctx, h.Bucket, key)
	if err != nil {
		return p, fmt.Errorf("inbound: %s: %w", key, err)
	}
	src := key
	id, err := mda.ContentSourceID(ctx, h.Bucket, key, attrs)
	if err != nil {
		return p, fmt.Errorf("inbound: %s: %w", key, err)
	}
	if h.Lake != nil {
		// The same object again (same key, size and content: an event
		// delivered again, or a copy of identical bytes over it), after
		// its reads were integrated: there is nothing new to ingest.
		done, err := mda.IntegratedSource(ctx, h.Lake, id, key, attrs)
		switch {
		case gcerrors.Code(err) == gcerrors.PermissionDenied:
			// A role without read access to the lake: plan as before; the
			// workers find the ranges re-delivered and flag nothing late.
			h.Logger.Warn("cannot read the lake's record of ingested sources (s3:GetObject and s3:ListBucket on the lake); planning the object anyway",
				"key", key, "source_id", id, "err", err)
		case err != nil:
			return p, fmt.Errorf("inbound: %s: %w", key, err)
		}
		if done != nil {
			p.SourceID = id
			p.Skipped = "already ingested (integrated " + done.Integrated.Format(time.RFC3339) + ")"
			return p, nil
		}
	}
	if codec != "" {
		p.Compression = codec
		src = mda.InboundUncompressedPrefix + id + ".csv"
		p.Uncompressed = src
		if err := h.decompress(ctx, key, codec, src); err != nil {
			return p, err
		}
	}
	msgs, err := h.Pipeline.Plan(ctx, h.BucketURL, src, &mda.PlanOptions{Source: key, SourceID: id, Split: h.Split, Arrival: o.Time})
	if err != nil {
		return p, fmt.Errorf("inbound: %w", err)
	}
	if err := mda.Enqueue(ctx, h.Ranges, msgs); err != nil {
		return p, fmt.Errorf("inbound: %w", err)
	}
	p.SourceID, p.Size, p.Ranges = msgs[0].SourceID, msgs[0].Size, len(msgs)
	return p, nil
}

// resolve decodes an event's key and reads the object's attributes.
//
// S3 event notifications URL-encode keys in query style ('+' for a space,
// %XX for the rest); the AWS guidance decodes EventBridge keys the same way
// (unquote_plus). Decoding a key that was not encoded would corrupt one
// with a literal '+' or '%', so when the decoded key does not exist and the
// key as sent does, the key as sent wins.
func (h *Inbound) resolve(ctx context.Context, key string) (string, *blob.Attributes, error) {
	k, attrs, err := resolveKey(ctx, h.Bucket, key)
	if err != nil {
		return k, nil, fmt.Errorf("inbound: %s: %w", k, err)
	}
	return k, attrs, nil
}

// resolveKey is Inbound.resolve for any bucket (see there).
func resolveKey(ctx context.Context, b *blob.Bucket, key string) (string, *blob.Attributes, error) {
	decoded, derr := url.QueryUnescape(key)
	if derr != nil {
		decoded = key // not valid encoding, so not encoded
	}
	attrs, err := b.Attributes(ctx, decoded)
	if err == nil {
		return decoded, attrs, nil
	}
	if decoded != key && gcerrors.Code(err) == gcerrors.NotFound {
		if a, rerr := b.Attributes(ctx, key); rerr == nil {
			return key, a, nil
		}
	}
	return decoded, nil, err
}

// decompress makes the uncompressed copy, unless it exists: a copy is
// written whole or not at all, and its name derives from the compressed
// object's identity, so an existing copy is the right one, and rewriting
// it under workers that are reading it would only cost time.
func (h *Inbound) decompress(ctx context.Context, key, codec, dst string) error {
	ok, err := h.Bucket.Exists(ctx, dst)
	if err != nil {
		return fmt.Errorf("inbound: %s: %w", dst, err)
	}
	if ok {
		h.Logger.Info("uncompressed copy exists", "key", key, "copy", dst)
		return nil
	}
	start := time.Now()
	n, err := mda.Decompress(ctx, h.Bucket, key, codec, h.Bucket, dst, nil)
	if err != nil {
		return fmt.Errorf("inbound: %w", err)
	}
	h.Logger.Info("decompressed", "key", key, "copy", dst, "codec", codec, "bytes", n, "elapsed_ms", time.Since(start).Milliseconds())
	return nil
}
