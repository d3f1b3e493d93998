package staging

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"gocloud.dev/blob"
)

// ErrorsPrefix holds quarantined lines, one JSON object per line.
const ErrorsPrefix = "errors/"

// BadLine is the JSON object written under ErrorsPrefix for every line a
// decoder rejected.
type BadLine struct {
	Source   string `json:"source"`    // the inbound object's key
	SourceID string `json:"source_id"` // the source's identity (see Source)
	Format   string `json:"format"`    // the decoder's name, e.g. "hes-csv"
	// Line is the 1-based line number in the (uncompressed) source. A
	// worker knows only RangeLine, the line number within its range;
	// Line is filled in when every range of the source has committed
	// (by Integrate, or at once for the first range). 0 means not yet.
	Line      int64 `json:"line,omitempty"`
	RangeLine int64 `json:"range_line"` // 1-based line number within the range; 0 if unknown
	Range     int   `json:"range"`      // the range's index
	// Offset is the byte offset of the line's first byte in the source.
	Offset int64  `json:"offset"`
	Column string `json:"column,omitempty"` // the field to blame (meter.ParseError.Column), if any
	Reason string `json:"reason"`           // the decoder's error message
	// Raw is the line as text (at most 4 KiB); RawBase64 replaces it when
	// the line is not valid UTF-8, so that no byte is lost.
	Raw       string `json:"raw,omitempty"`
	RawBase64 []byte `json:"raw_base64,omitempty"` // base64 in JSON
	// Err is Reason as the decoder's error, for errors.Is and errors.As
	// in the process that rejected the line (a strict ingest returns it);
	// it is not stored.
	Err error `json:"-"`
}

// ErrorsKey is where one range's bad lines are kept.
func ErrorsKey(sourceID string, rangeIndex int) string {
	return fmt.Sprintf("%ssource=%s/%s.jsonl", ErrorsPrefix, sourceID, OutputName(sourceID, rangeIndex))
}

// WriteBadLines writes a range's bad lines as JSON lines to key.
func WriteBadLines(ctx context.Context, lake *blob.Bucket, key string, bad []BadLine) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range bad {
		if err := enc.Encode(&bad[i]); err != nil {
			return err
		}
	}
	if err := lake.WriteAll(ctx, key, buf.Bytes(), &blob.WriterOptions{ContentType: "application/x-ndjson"}); err != nil {
		return fmt.Errorf("staging: write quarantine %s: %w", key, err)
	}
	return nil
}

// ReadBadLines reads a quarantine file.
func ReadBadLines(ctx context.Context, lake *blob.Bucket, key string) ([]BadLine, error) {
	b, err := lake.ReadAll(ctx, key)
	if err != nil {
		return nil, err
	}
	var out []BadLine
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var l BadLine
		if err := dec.Decode(&l); err == io.EOF {
			return out, nil
		} else if err != nil {
			return out, fmt.Errorf("staging: %s: %w", key, err)
		}
		out = append(out, l)
	}
}
