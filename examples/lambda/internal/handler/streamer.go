package handler

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"gocloud.dev/blob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/hes"
)

// Streamer lands the read records of a Kinesis stream in the inbound
// bucket, one JSON lines object per batch the event source mapping
// delivers (its batch size and window bound it, as Firehose's buffer did),
// under hes.StreamKey: the inbound bucket's object-created events then
// start the inbound function, which ingests it (format json, detected).
// Each record's data is one or more JSON values (newline-delimited,
// concatenated as the guidance's range worker aggregated them, or an
// array); see hes.AppendRecords. Records the Kinesis Producer Library
// aggregated (its protocol buffer format, which Lambda does not take
// apart) are taken apart into their user records.
//
// An object is named by its content, so the retry of a failed batch (the
// mapping delivers the same records again) overwrites it. It replaces the
// guidance's Firehose delivery stream, which landed the records for a
// Glue crawler and job.
type Streamer struct {
	Inbound *blob.Bucket
	// Name is the stream's landing folder under hes.LandingPrefix.
	Name   string
	Now    func() time.Time
	Logger *slog.Logger
}

// StreamerResult is a run's summary.
type StreamerResult struct {
	Records int    `json:"records"` // Kinesis records
	Lines   int    `json:"lines"`   // JSON values landed
	Key     string `json:"key,omitempty"`
}

// NewStreamer wires a Streamer from the environment:
//
//	INBOUND_URL  the inbound bucket (required)
//	STREAM_NAME  the landing folder (default "kinesis")
func NewStreamer(ctx context.Context, env *lambdaenv.Env, logger *slog.Logger) (*Streamer, error) {
	inboundURL := env.Required("INBOUND_URL", "the inbound bucket, s3://<bucket>?region=<region>")
	name := cmp.Or(env.Get("STREAM_NAME"), "kinesis")
	if err := env.Err(); err != nil {
		return nil, err
	}
	if !validStreamName(name) {
		return nil, fmt.Errorf("STREAM_NAME %q: want letters, digits, '.', '_' or '-'", name)
	}
	inbound, err := mda.OpenBucket(ctx, inboundURL)
	if err != nil {
		return nil, fmt.Errorf("INBOUND_URL: %w", err)
	}
	return &Streamer{Inbound: inbound, Name: name, Now: time.Now, Logger: logger}, nil
}

func validStreamName(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return s != "" && s != "." && s != ".."
}

// Handle lands one batch. An error fails the batch, which the event source
// mapping delivers again.
func (s *Streamer) Handle(ctx context.Context, ev events.KinesisEvent) (StreamerResult, error) {
	var res StreamerResult
	var buf []byte
	for _, r := range ev.Records {
		var n int
		buf, n = hes.AppendRecords(buf, r.Kinesis.Data)
		res.Records++
		res.Lines += n
	}
	if len(buf) == 0 {
		return res, nil
	}
	res.Key = hes.StreamKey(s.Name, s.Now(), buf)
	if err := s.Inbound.WriteAll(ctx, res.Key, buf, &blob.WriterOptions{ContentType: "application/x-ndjson"}); err != nil {
		return res, fmt.Errorf("landing %s: %w", res.Key, err)
	}
	s.Logger.InfoContext(ctx, "landed", "key", res.Key, "records", res.Records, "lines", res.Lines, "bytes", len(buf))
	return res, nil
}
