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
// # Events
//
// Each staged file (one range, one partition) with late reads gives one
// [Event], published after the range's commit, so the staging object it
// names exists. [Handler] re-integrates the event's partition. The
// integrator integrates all staged files anyway; the event makes a late
// correction visible within seconds instead of at the next scheduled run.
package late
