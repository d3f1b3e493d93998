package meter

import "errors"

// Reasons a record of a utility delivery format is rejected, in addition to
// those of errors.go; a ParseError's Err wraps one of them.
var (
	// ErrStructure reports a record out of place in a hierarchical format:
	// a NEM12 300 record before any 200, a 400 that follows no 300 of
	// quality V, a DTC 030 outside an 026/028 group.
	ErrStructure = errors.New("record out of place")
	// ErrUnit reports a unit of measure the decoder cannot map to a reading
	// type.
	ErrUnit = errors.New("unsupported unit")
	// ErrQuality reports an unknown quality or method flag.
	ErrQuality = errors.New("bad quality flag")
	// ErrRecordType reports an unknown record indicator.
	ErrRecordType = errors.New("unknown record type")
	// ErrReadingType reports a reading type that is not registered (see
	// RegisterType).
	ErrReadingType = errors.New("unknown reading type")
	// ErrMeterError reports a read that holds the error code a meter
	// reported (the Quickstart's ERR reads) instead of a value.
	ErrMeterError = errors.New("meter reported an error")
	// ErrJSON reports a JSON lines record that is not a JSON object of the
	// expected shape.
	ErrJSON = errors.New("bad JSON record")
)
