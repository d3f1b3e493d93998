package ranges

import (
	"encoding/json"
	"fmt"
	"time"
)

// Message is the unit of work of a distributed ingest: one byte range of
// one inbound object. It travels as JSON on a queue (gocloud.dev pubsub:
// mem://, nats://, awssqs://...). Everything a worker needs is in it, and
// its identity (SourceID, Range.Index) names the worker's output, so a
// message delivered twice produces the same objects twice, not twice the
// reads.
//
// JSON form:
//
//	{"bucket":"s3://inbound?region=eu-west-1","key":"data/uncompressed/csv/x.csv",
//	 "version":"\"9b2cf535f27731c974343645a3985328\"","size":1073741824,
//	 "source_id":"4f1c0e6a9d2b7c31","format":"hes-csv",
//	 "range":{"index":3,"start":21474836,"end":28633115},"ranges":150,
//	 "arrival_time":"2024-03-01T10:20:00Z"}
type Message struct {
	// Bucket is the URL of the bucket that holds the object (or a name
	// the worker resolves, for in-process buckets).
	Bucket string `json:"bucket"`
	// Key is the object's key in the bucket.
	Key string `json:"key"`
	// Version is the object version or ETag the ranges were cut from; a
	// worker that finds another version must not process the range.
	Version string `json:"version,omitempty"`
	// Size is the object's size in bytes.
	Size int64 `json:"size"`
	// SourceID is the identity of the original inbound object, which
	// names the output of every range.
	SourceID string `json:"source_id"`
	// Source is the name of the original inbound object, for the
	// quarantine (the range may be cut from a decompressed copy).
	Source string `json:"source,omitempty"`
	// Format names the decoder, e.g. "hes-csv".
	Format string `json:"format"`
	// Range is the byte range [Start, End) and its index.
	Range Range `json:"range"`
	// Ranges is the number of ranges the object was cut into.
	Ranges int `json:"ranges"`
	// Arrival is when the object arrived (the object-created event time).
	Arrival time.Time `json:"arrival_time"`
	// Backfill says the object is history, loaded without late
	// detection: whichever worker takes the range stages it so.
	Backfill bool `json:"backfill,omitempty"`
}

// MarshalJSON writes the range as {"index","start","end"}.
func (r Range) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Index int   `json:"index"`
		Start int64 `json:"start"`
		End   int64 `json:"end"`
	}{r.Index, r.Start, r.End})
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (r *Range) UnmarshalJSON(b []byte) error {
	var v struct {
		Index *int   `json:"index"`
		Start *int64 `json:"start"`
		End   *int64 `json:"end"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Index == nil || v.Start == nil || v.End == nil {
		return fmt.Errorf("ranges: range needs index, start and end: %s", b)
	}
	*r = Range{Index: *v.Index, Start: *v.Start, End: *v.End}
	return nil
}

// Validate checks a message received from a queue.
func (m *Message) Validate() error {
	switch {
	case m.Bucket == "" || m.Key == "":
		return fmt.Errorf("ranges: message without bucket or key")
	case m.SourceID == "":
		return fmt.Errorf("ranges: message for %s without source_id", m.Key)
	case m.Range.Start < 0 || m.Range.End < m.Range.Start || m.Range.End > m.Size:
		return fmt.Errorf("ranges: message for %s: range %v outside [0,%d)", m.Key, m.Range, m.Size)
	case m.Ranges < 1 || m.Range.Index < 0 || m.Range.Index >= m.Ranges:
		return fmt.Errorf("ranges: message for %s: range index %d of %d", m.Key, m.Range.Index, m.Ranges)
	}
	return nil
}

// Messages returns the messages of every range of an object.
func Messages(base Message, rs []Range) []Message {
	out := make([]Message, len(rs))
	for i, r := range rs {
		out[i] = base
		out[i].Range = r
		out[i].Ranges = len(rs)
	}
	return out
}
