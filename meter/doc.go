// Package meter defines the canonical smart-meter read, the registry of
// reading types and their units, io-shaped batch readers and writers of
// reads, and the decoders that turn the formats utilities deliver into reads.
//
// # The canonical read
//
// A [Reading] is one value of one reading type from one meter at one instant:
// the columns of the lake's integrated table (meter_id, reading_value,
// reading_date_time, reading_source, arrival_time, quality, reading_type).
// Times are UTC with millisecond precision. Values are in the unit of their
// [Type] (see [LookupType]): voltage is stored in volts even where a source
// delivers kilovolts, and energy is never obtained by summing power samples.
//
// # Batches
//
// [Reader] and [Writer] move reads in batches, shaped like [io.Reader] and
// [io.Writer]: Read fills a caller-owned slice and returns [io.EOF] at the
// end, so a pipeline reuses one buffer and allocates nothing per read.
//
// # Decoders and errors
//
// [HESCSVDecoder] decodes the head-end system CSV of AWS's Guidance for Meter
// Data Analytics (one line, six reads). The other formats utilities deliver
// each have a streaming Reader: AEMO NEM12 ([NewNEM12Reader]), UK MRASCo
// D0010 and D0275 ([NewMRASCoReader]), Green Button / NAESB ESPI XML
// ([NewESPIReader]), the "Smart meters in London" CSV in both its layouts
// ([NewLondonReader]), retailer "wide" CSV with one row per day
// ([NewWideCSVReader]), and a configurable column mapping for everything
// else ([NewMappedCSVReader]). Every decoder reports a bad record as a
// [*ParseError] carrying the format, line, byte offset and reason, so that a
// caller can quarantine the record and carry on, or stop on the first one.
//
// # Local time
//
// Formats in local wall-clock time are converted to UTC with [WallClock]:
// in the autumn hour that repeats, a repeated wall time of one meter is the
// later instant (the series is in time order), so no read is merged or
// lost; a wall time in the spring gap is an error ([ErrNonexistentTime]).
//
// CSV formats with one record per line can be split into byte ranges (see
// package ranges; the RecordStart predicates recognise headers). NEM12,
// MRASCo flows and ESPI XML are hierarchical: a file is one unit.
//
// This package imports nothing outside the standard library.
package meter
