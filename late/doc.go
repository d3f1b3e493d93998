// Package late detects late-arriving reads, announces them as events on a
// gocloud.dev pubsub topic, and handles the events by re-integrating
// exactly the partitions they name.
//
// # The rule
//
// A read is late when it lands in a partition that has already been
// integrated. The detector cannot ask the integrator, which runs elsewhere
// and later, so it uses a watermark: the latest reading time seen, either
// integrated before (the lake's [staging.Watermark]) or earlier in the same
// stream (the range being scanned, in file order, which is arrival order
// for a head-end export). A read is late when its reading time is more than
// Grace before that watermark:
//
//	late(r) = r.Time < max(lake watermark, max time seen before r) - Grace
//
// The default Grace is two hours: normal pipeline latency (a read of 10:45
// that arrives at 11:05) is never late, and a read of yesterday that arrives
// with today's data always is. The AWS guidance instead calls a read late
// when its partition hour began more than 60 minutes before the detector
// runs, which flags the 10:45 read above, and which depends on when the
// detector happens to run; this rule depends only on the data.
//
// Re-delivered data is not late data. A range delivered again after its
// source was fully integrated (the lake keeps a [staging.Source] record of
// it), or after its own commit was integrated, has reads far behind the
// watermark that the lake already holds: the pipeline stages it without
// applying the rule (its commit says Redelivery), so it reports no late
// reads and sends no event. Grace is configurable: Policy.Grace, `mda
// ingest --late-grace`, LATE_GRACE for the Lambda worker.
//
// A backfill is not late data either. History loaded on purpose (`mda
// ingest --backfill`, mda.IngestOptions.Backfill, or an object under the
// inbound bucket's data/historic/ prefix on the Lambda path, the AWS
// guidance's folder for bulk history) is staged without the rule: its
// commits say Backfill, no read is late and no event is sent, and its
// integration does not move the watermark (see staging.Watermark). Without
// it, history ingested after newer data is late almost read for read, and
// sends an event for every partition it touches (a simulated 60-day
// export of one meter after a newer week: 34,560 of 34,560 reads late,
// 8,640 events), for reads that the next integration merges anyway.
//
// # Events
//
// An [Event] names one partition with late reads of one source. A range
// stages one file per partition, so a source of one range (every format but
// the HES CSV, and small HES files) gives one event per staged file with
// late reads. A source of several ranges gives one per partition, not one
// per range and partition: each range's worker publishes, after its commit,
// only if every range of the source has committed by then
// (staging.CommittedSource), and then announces the late partitions of all
// of them ([Events]). Of ranges that commit at about the same time, the
// last to commit sees all the commits, on a store whose listing is
// strongly consistent (S3, GCS, Azure, local files) and if its listing,
// reading and publishing succeed (a failure fails the range, which is
// processed again and publishes then); two may see them all, and send the
// same events twice. Once a source has committed, a range of it processed
// again (a duplicate message, a retry) sends all of the source's events
// again: harmless, for the reason below.
//
// This loses nothing, because an event is only a shortcut. [Handler]
// re-integrates the event's partition: every committed staged file in it,
// of any source, merged into the lake's file with de-duplication, deleting
// nothing (staging.Integrate with Partitions). Only the full integration,
// scheduled or at the end of `mda ingest`, consumes staged files, and it
// merges every committed range, late or not. So an event handled twice, or
// one event for several ranges' files, has the effect of one; an event
// never sent (a source whose last range never commits) only waits for the
// next full integration. What the grouping costs is time: a source's late
// partitions are announced when its last range commits, not as each range
// commits. Within `mda ingest` that is the end of the file, just before
// its own full integration, so the in-process handler seldom has anything
// left to do; on the Lambda deployment the late function re-integrates a
// source's partitions as soon as its last range has committed.
package late
