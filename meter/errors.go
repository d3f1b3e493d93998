package meter

import (
	"errors"
	"fmt"
)

// ParseError reports a record that a decoder could not turn into reads.
// Decoders return it (wrapped or not) so that callers can quarantine the
// record and carry on; use errors.As to get it.
type ParseError struct {
	// Format names the decoder, e.g. "hes-csv".
	Format string
	// Line is the 1-based line number in the decoded input, or 0 if unknown.
	// A decoder that starts in the middle of a file (a byte range) counts
	// lines from the start of its input; see Offset for the exact position.
	Line int64
	// Offset is the byte offset of the record's first byte in the source.
	Offset int64
	// Column names the offending field, if one is to blame.
	Column string
	// Err is the reason.
	Err error
}

func (e *ParseError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("%s: line %d (byte %d): column %s: %v", e.Format, e.Line, e.Offset, e.Column, e.Err)
	}
	return fmt.Sprintf("%s: line %d (byte %d): %v", e.Format, e.Line, e.Offset, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Reasons a record is rejected; a ParseError's Err wraps one of them.
var (
	ErrColumnCount = errors.New("wrong number of columns")
	ErrNumber      = errors.New("bad number")
	ErrTimestamp   = errors.New("bad timestamp")
	ErrMeterID     = errors.New("bad meter id")
	ErrHeader      = errors.New("bad header")
	ErrTooLong     = errors.New("record too long")
	ErrEncoding    = errors.New("not valid text")
)
