// Package staging holds what range workers write before integration, and
// integrates it into the lake with an exactly-once effect.
//
// A worker writes, for its range, one Parquet file per partition under
// Prefix (staging/readings/reading_type=.../hour=HH/<source-id>-<range>.parquet),
// its bad lines under errors/, and last a [Commit] under CommitPrefix that
// lists them. Names derive from the source object's identity and the range,
// so a redelivered range overwrites its own output. Only committed output is
// integrated: a worker that dies before its commit leaves files that the
// redelivery overwrites and that integration never reads.
//
// [Integrate] merges the committed files of each partition into the lake's
// one file per partition (partition.Compact: de-duplication on meter, type
// and time, latest arrival wins, and an atomic overwrite, so a reader never
// sees a partition half-written or doubled), then deletes the staging files
// and commits it consumed. A crash anywhere leaves either the staging files
// (integrated again, idempotently) or nothing to do. Partitions are locked
// while they are compacted, so a late-read handler and the scheduled
// integrator can run at once without losing each other's work. The
// partitions of a run are listed a month or a day at a time before they are
// locked (partition.ListPartitions), and each Compact checks under its
// lock that the listing still holds; a new partition fed by one staged
// file is a copy, and copies run many at once, merges a few.
//
// Integrate raises the lake's [Watermark] to the latest reading time it
// merged, except that of backfill commits (history loaded on purpose, see
// Commit.Backfill), which the watermark, standing for the live feed's
// progress, ignores. [CommittedSource] tells a range's worker whether
// every range of its source has committed: the last one announces the
// source's late partitions (package late).
//
// When every range of a source is integrated, Integrate writes a small
// [Source] record under SourcesPrefix and forgets the source's commits.
// The record is how a later delivery of the same object (same key, size
// and ETag) is known for a re-delivery: `mda ingest` and the inbound Lambda
// skip it, and a range of it processed anyway has no late reads.
package staging
