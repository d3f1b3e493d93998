package hes

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/pubsub"
)

// Defaults of StreamOptions.
const (
	DefaultStreamMaxBytes = 32 << 20
	DefaultStreamMaxAge   = time.Minute
)

// StreamOptions configures LandStream. Nil means the defaults.
type StreamOptions struct {
	// MaxBytes and MaxAge bound an object: it is written once it holds
	// MaxBytes of records (default 32 MiB) or its first message is MaxAge
	// old (default 1 minute, Firehose's buffer interval), whichever comes
	// first.
	MaxBytes int
	MaxAge   time.Duration
	// Idle makes LandStream return, after landing what it holds, once no
	// message has come for that long; zero means it runs until ctx is
	// done.
	Idle time.Duration
	// Process, if set, is called with each landed object (for example
	// mda.Ingest) before its messages are acknowledged; an error nacks
	// them and stops LandStream.
	Process ProcessFunc
	// OnLanded, if set, is called after each object's messages are
	// acknowledged.
	OnLanded func(key string, messages, records int)
	// Now is the clock of the landing keys; default time.Now.
	Now func() time.Time
}

// StreamStats reports what LandStream did.
type StreamStats struct {
	Messages int64 // messages received and acknowledged
	Records  int64 // JSON values landed (a malformed rest of a message counts as one)
	Objects  int64 // objects landed
	Bytes    int64 // bytes landed
}

// StreamKey is the key of a landed stream object: under the source's
// landing folder, by the hour it landed in (as Firehose's prefixes), and
// named by its content, so that a batch landed again after a crash
// overwrites itself.
func StreamKey(name string, landed time.Time, content []byte) string {
	sum := sha256.Sum256(content)
	return LandingKey(name, landed.UTC().Format("2006/01/02/15/")+hex.EncodeToString(sum[:12])+".jsonl")
}

// LandStream lands the read records that arrive on sub (any gocloud.dev
// pubsub subscription: kafka://, nats://, awssqs://, mem://) in the
// inbound bucket, as JSON lines objects under StreamKey(name, ...): what
// the guidance's Kinesis stream and Firehose delivery do. A message holds
// one or more JSON values, one after another (newline-delimited, or
// concatenated as a Kinesis record aggregates them) or in an array; each
// value becomes one line, compacted. A message that is not valid JSON from
// some point on keeps that rest as one line, its line ends made spaces, so
// that the decoder quarantines it with its bytes (package meter's
// JSONLinesReader reads the objects; format "json" of mda.Ingest).
//
// Messages are acknowledged only after the object that holds them is
// written (and processed, with Process): a crash before that lands them
// again, in an object of the same name if they come back in the same
// batch and order (queues may reorder redeliveries), and de-duplication in
// the lake keeps each read once either way. Lines keep the order of the
// messages, so that each meter's reads stay in time order for the late
// check. LandStream
// returns ctx's error when ctx is done, without landing what it holds
// (those messages are delivered again), or nil after Idle.
func LandStream(ctx context.Context, sub *pubsub.Subscription, inbound *blob.Bucket, name string, opts *StreamOptions) (StreamStats, error) {
	var st StreamStats
	o := StreamOptions{}
	if opts != nil {
		o = *opts
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultStreamMaxBytes
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultStreamMaxAge
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if !validName(name) {
		return st, &Error{Code: InvalidArgument, Op: "stream", Err: fmt.Errorf("invalid source name %q", name)}
	}
	var (
		buf     []byte
		msgs    []*pubsub.Message
		records int
		first   time.Time // when the first message of buf came
		last    = time.Now()
	)
	land := func() error {
		if len(msgs) == 0 {
			return nil
		}
		key := StreamKey(name, o.Now(), buf)
		err := inbound.WriteAll(ctx, key, buf, &blob.WriterOptions{ContentType: "application/x-ndjson"})
		if err == nil && o.Process != nil {
			err = o.Process(ctx, inbound, key)
		}
		if err != nil {
			for _, m := range msgs {
				if m.Nackable() {
					m.Nack()
				}
			}
			return &Error{Code: ctxCode(ctx, Unknown), Op: "stream", Object: key, Err: err}
		}
		for _, m := range msgs {
			m.Ack()
		}
		st.Messages += int64(len(msgs))
		st.Records += int64(records)
		st.Objects++
		st.Bytes += int64(len(buf))
		if o.OnLanded != nil {
			o.OnLanded(key, len(msgs), records)
		}
		buf, msgs, records = buf[:0], msgs[:0], 0
		return nil
	}
	for {
		// Wait for the next message until the batch is due or the
		// stream has been idle long enough.
		var deadline time.Time
		if len(msgs) > 0 {
			deadline = first.Add(o.MaxAge)
		}
		if o.Idle > 0 && (deadline.IsZero() || last.Add(o.Idle).Before(deadline)) {
			deadline = last.Add(o.Idle)
		}
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if !deadline.IsZero() {
			rctx, cancel = context.WithDeadline(ctx, deadline)
		}
		m, err := sub.Receive(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return st, ctx.Err()
			}
			if !errors.Is(rctx.Err(), context.DeadlineExceeded) {
				return st, &Error{Code: Unknown, Op: "stream", Err: fmt.Errorf("receive: %w", err)}
			}
			now := time.Now()
			if len(msgs) > 0 && !now.Before(first.Add(o.MaxAge)) || o.Idle > 0 && !now.Before(last.Add(o.Idle)) {
				if err := land(); err != nil {
					return st, err
				}
			}
			if o.Idle > 0 && !now.Before(last.Add(o.Idle)) {
				return st, nil
			}
			continue
		}
		last = time.Now()
		if len(msgs) == 0 {
			first = last
		}
		var n int
		buf, n = AppendRecords(buf, m.Body)
		msgs = append(msgs, m)
		records += n
		if len(buf) >= o.MaxBytes {
			if err := land(); err != nil {
				return st, err
			}
		}
	}
}

// AppendRecords appends the JSON values of a message body to dst, one
// compacted value per line (the elements of an array each on its own), and
// returns how many lines it appended. The rest of a body that is not valid
// JSON is appended as one line, its line ends replaced by spaces.
func AppendRecords(dst, body []byte) ([]byte, int) {
	dec := json.NewDecoder(bytes.NewReader(body))
	n := 0
	for {
		start := dec.InputOffset()
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return dst, n
		}
		if err != nil {
			rest := bytes.TrimSpace(body[start:])
			if len(rest) == 0 {
				return dst, n
			}
			for _, c := range rest {
				if c == '\n' || c == '\r' {
					c = ' '
				}
				dst = append(dst, c)
			}
			return append(dst, '\n'), n + 1
		}
		if raw[0] == '[' {
			var elems []json.RawMessage
			if json.Unmarshal(raw, &elems) == nil {
				for _, e := range elems {
					dst = appendCompact(dst, e)
					n++
				}
				continue
			}
		}
		dst = appendCompact(dst, raw)
		n++
	}
}

// appendCompact appends a valid JSON value on one line.
func appendCompact(dst []byte, v json.RawMessage) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		b.Reset()
		b.Write(bytes.ReplaceAll(bytes.ReplaceAll(v, []byte{'\n'}, []byte{' '}), []byte{'\r'}, []byte{' '}))
	}
	dst = append(dst, b.Bytes()...)
	return append(dst, '\n')
}
