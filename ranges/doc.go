// Package ranges splits a large line-oriented text file (CSV, NDJSON, ...)
// into byte ranges for parallel workers, and scans each range so that every
// record of the file is processed by exactly one worker.
//
// It replaces the ScanRange parameter of Amazon S3 Select
// (SelectObjectContent), which AWS no longer offers to new customers: instead
// of asking S3 to return the records of a byte range, a worker issues a
// plain ranged GET (or any io.Reader / io.ReaderAt over the file) and lets a
// Scanner find the records itself.
//
// # Ownership rule
//
// Records are separated by '\n' (a '\r' before it is kept in the record).
// A record belongs to the range in which its first byte lies, whatever the
// cut points:
//
//   - a record that starts inside [Start, End) is emitted by that range's
//     scanner, completely, even if it ends far beyond End;
//   - a record that starts before Start is skipped, even if most of it lies
//     inside the range;
//   - a range in which no record starts (for example one inside a long
//     line) emits nothing.
//
// Since every record has exactly one first byte, and ranges from Split tile
// the file, every record is emitted exactly once, and concatenating the
// ranges' records in range order reproduces the file.
//
// # Why half-open ranges
//
// A Range is half-open, [Start, End): End is the next range's Start, and no
// byte belongs to two ranges. The AWS guidance for splitting files for S3
// Select computes inclusive ranges [0,c], [c,2c], ..., where adjacent
// ranges share their boundary byte; a line that starts exactly on a
// boundary is then claimed by both ranges and processed twice. With
// half-open ranges the boundary byte belongs to exactly one range. Split
// keeps the guidance's knobs (MaxWorkers, MaxChunk, MaxRanges) and fixes
// the boundaries.
//
// # Why ReadFrom is Start-1
//
// A record starts at offset p > 0 exactly when the byte at p-1 is '\n'.
// To know whether a record starts at Start itself, a scanner must see the
// byte before it, which belongs to the previous range. So a scanner reads
// from Range.ReadFrom() = Start-1 (or 0 for the first range), skips up to
// and including the first '\n', and from there emits every record that
// starts before End. It stops reading as soon as the last such record is
// complete, so a worker needs a read of [Start-1, end of file) but consumes
// only about one record past End.
//
// # Typical use
//
//	rs := ranges.Split(objectSize, nil) // one work item per range
//	// in each worker:
//	body := getObjectRange(key, rng.ReadFrom()) // bytes from ReadFrom to EOF
//	sc := ranges.NewScanner(body, rng, &ranges.ScanOptions{SkipHeader: true})
//	for sc.Scan() {
//		process(sc.Offset(), sc.Record())
//	}
//	if err := sc.Err(); err != nil { ... }
package ranges
