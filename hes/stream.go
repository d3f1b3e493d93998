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
	// DefaultStreamMaxAge is below SQS's default visibility timeout (30
	// s): a message held past its queue's ack deadline is delivered again
	// while it waits.
	DefaultStreamMaxAge = 20 * time.Second
)

// StreamOptions configures LandStream. Nil means the defaults.
type StreamOptions struct {
	// MaxBytes and MaxAge bound an object: it is written once it holds
	// MaxBytes of records (default 32 MiB) or its first message is MaxAge
	// old (default 20 s), whichever comes first. Keep MaxAge below the
	// subscription's ack deadline (SQS's visibility timeout).
	MaxBytes int
	MaxAge   time.Duration
	// Idle makes LandStream return, after landing what it holds, once no
	// message has come for that long; zero means it runs until ctx is
	// done.
	Idle time.Duration
	// Process, if set, is called with each landed object (for example
	// mda.Ingest) before its messages are acknowledged.
	Process ProcessFunc
	// Attempts bounds the tries to write and process an object whose
	// messages cannot be delivered again (an at-most-once subscription
	// such as NATS core, whose messages cannot be nacked); default 5,
	// with a backoff from 1 s.
	Attempts int
	// OnLanded, if set, is called after each object's messages are
	// acknowledged.
	OnLanded func(key string, messages, records int)
	// Now is the clock of the landing keys; default time.Now.
	Now func() time.Time
}

// StreamStats reports what LandStream did.
type StreamStats struct {
	Messages int64 // messages received and acknowledged
	Records  int64 // JSON values landed (each malformed line counts as one)
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
// concatenated as a Kinesis record aggregates them) or in an array, or is
// an aggregate of the Kinesis Producer Library of such bodies; each
// value becomes one line, compacted (see AppendRecords). Package meter's
// JSONLinesReader reads the objects (format "json" of mda.Ingest, chosen
// by their .jsonl name).
//
// Messages are acknowledged only after the object that holds them is
// written (and processed, with Process). On a queue that redelivers
// (SQS, Kafka, mem://), a failure nacks the batch and LandStream returns
// the error: the messages come back, in an object of the same name if
// they come back in the same batch and order, and de-duplication in the
// lake keeps each read once either way. A message delivered again while
// its batch waits (held past the ack deadline) is kept once. On an
// at-most-once subscription (NATS core), whose messages cannot come back,
// the write and Process are tried Attempts times; if they still fail,
// LandStream returns an error naming the object, which is in the inbound
// bucket if the write succeeded (ingest it from there). Lines keep the
// order of the messages, so that each meter's reads stay in time order for
// the late check.
//
// When ctx is done LandStream lands what it holds (with a minute to do
// it) and returns ctx's error; after Idle without messages it lands what
// it holds and returns nil.
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
	if o.Attempts <= 0 {
		o.Attempts = 5
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
		held    = map[string]int{} // LoggableID to index in msgs
		records int
		first   time.Time // when the first message of buf came
		last    = time.Now()
	)
	land := func(ctx context.Context) error {
		if len(msgs) == 0 {
			return nil
		}
		redeliverable := true
		for _, m := range msgs {
			redeliverable = redeliverable && m.Nackable()
		}
		key := StreamKey(name, o.Now(), buf)
		if !redeliverable {
			// These messages cannot come back: a stop must not cut their
			// write or ingest short.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
		}
		var err error
		for attempt, wait := 1, time.Second; ; attempt, wait = attempt+1, 2*wait {
			err = inbound.WriteAll(ctx, key, buf, &blob.WriterOptions{ContentType: "application/x-ndjson"})
			if err == nil && o.Process != nil {
				err = o.Process(ctx, inbound, key)
			}
			if err == nil || redeliverable || attempt >= o.Attempts || ctx.Err() != nil {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
		if err != nil {
			if redeliverable {
				for _, m := range msgs {
					m.Nack()
				}
				return &Error{Code: ctxCode(ctx, Unknown), Op: "stream", Object: key, Err: err}
			}
			for _, m := range msgs {
				m.Ack() // a no-op where messages cannot come back
			}
			return &Error{Code: ctxCode(ctx, Unknown), Op: "stream", Object: key,
				Err: fmt.Errorf("the subscription cannot deliver these %d messages again; %d records are in this object if it was written: %w", len(msgs), records, err)}
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
		clear(held)
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
				// Land what is held: on an at-most-once subscription it
				// would be lost, elsewhere it saves a redelivery.
				lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
				lerr := land(lctx)
				cancel()
				return st, errors.Join(ctx.Err(), lerr)
			}
			if !errors.Is(rctx.Err(), context.DeadlineExceeded) {
				return st, &Error{Code: Unknown, Op: "stream", Err: fmt.Errorf("receive: %w", err)}
			}
			now := time.Now()
			if len(msgs) > 0 && !now.Before(first.Add(o.MaxAge)) || o.Idle > 0 && !now.Before(last.Add(o.Idle)) {
				if err := land(ctx); err != nil {
					return st, err
				}
			}
			if o.Idle > 0 && !now.Before(last.Add(o.Idle)) {
				return st, nil
			}
			continue
		}
		last = time.Now()
		if i, ok := held[m.LoggableID]; ok && m.LoggableID != "" {
			// Delivered again while its batch waited: keep the newer
			// delivery's handle (the older one's ack would be refused),
			// and its records once.
			msgs[i] = m
			continue
		}
		if len(msgs) == 0 {
			first = last
		}
		var n int
		buf, n = AppendRecords(buf, m.Body)
		if m.LoggableID != "" {
			held[m.LoggableID] = len(msgs)
		}
		msgs = append(msgs, m)
		records += n
		if len(buf) >= o.MaxBytes {
			if err := land(ctx); err != nil {
				return st, err
			}
		}
	}
}

// AppendRecords appends the JSON values of a message body to dst, one
// compacted value per line (the elements of an array each on its own), and
// returns how many lines it appended. Where the body is not valid JSON,
// the line that holds the bad value is appended as it is, and decoding
// resumes at the next line.
//
// A body that the Kinesis Producer Library aggregated (its magic number,
// protocol buffer and MD5 checksum) is taken apart: each user record's
// data is read as a body of its own, in order. One whose checksum or
// protocol buffer is bad is not: it is appended whole as one bad line (its
// line breaks made spaces), which the ingest quarantines.
func AppendRecords(dst, body []byte) ([]byte, int) {
	if records, ok := kplRecords(body); ok {
		n := 0
		for _, r := range records {
			var m int
			dst, m = appendJSONValues(dst, r)
			n += m
		}
		return dst, n
	}
	if bytes.HasPrefix(body, kplMagic) {
		// A damaged aggregate: its parts cannot be trusted, so none is
		// read; it lands whole on one line, to be quarantined.
		line := bytes.ReplaceAll(bytes.ReplaceAll(body, []byte{'\n'}, []byte{' '}), []byte{'\r'}, []byte{' '})
		return append(append(dst, line...), '\n'), 1
	}
	return appendJSONValues(dst, body)
}

// appendJSONValues is AppendRecords for a body of JSON values.
func appendJSONValues(dst, body []byte) ([]byte, int) {
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
			// The bad value's line is one line of its own, which the
			// decoder quarantines with its bytes; decoding resumes at the
			// next line, as a file of these lines would be read.
			rest := body[start:]
			line := rest
			if i := bytes.IndexByte(rest, '\n'); i >= 0 {
				line, rest = rest[:i], rest[i+1:]
			} else {
				rest = nil
			}
			if line = bytes.TrimSpace(line); len(line) > 0 {
				dst = append(append(dst, bytes.ReplaceAll(line, []byte{'\r'}, []byte{' '})...), '\n')
				n++
			}
			if len(rest) == 0 {
				return dst, n
			}
			more, m := appendJSONValues(dst, rest)
			return more, n + m
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
