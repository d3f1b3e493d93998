// Package hes brings head-end system (HES) data into the inbound bucket,
// in the style of gocloud.dev: a portable type, Source, over a small driver
// interface (package hes/driver), opened by URL through a mux:
//
//	hes+http://host:port/?api_key_env=HES_API_KEY   the guidance's HES API (package hes/httpsource)
//	drop+file:///var/drop, drop+s3://bucket/prefix  a drop folder in any bucket (package hes/dropsource)
//	sftp://user@host:22/outbox?key=FILE             an SFTP directory (package hes/sftpsource)
//
// A stream of read records (a gocloud.dev pubsub subscription: NATS,
// SQS, Kafka, ...) is landed by LandStream, which batches the records
// into JSON lines objects as the guidance's Kinesis stream and Firehose
// delivery did, and acknowledges messages only once their object is
// written and processed.
//
// Import the driver packages for their URL schemes. Fetch lands a source's
// new objects under LandingPrefix in the inbound bucket and acknowledges
// them; Pull also processes each landed object (for example with
// mda.Ingest, which decompresses it into mda.InboundUncompressedPrefix and
// deletes that copy after use) before acknowledging it; Run pulls forever,
// backing off after failures.
//
// What the guidance's downloader got wrong, and how this package does it:
//
//   - Its watermark jumped by the window, not by what was received. Here
//     the HTTP source's watermark moves to the end of the window whose file
//     was landed (and processed) completely, checked against record_count.
//   - Its windows were inclusive at both ends (duplicates at the
//     boundaries). Here they are half-open, [start, end).
//   - An empty window stalled it forever. Here an empty ("skipped")
//     window is acknowledged like any other and the watermark moves on.
//   - One failure stopped the integration for good. Here a failed request
//     is retried with backoff, a failed pull is retried by Run, and an
//     object that fails processing again and again is quarantined under
//     PoisonPrefix, so the source never stays dead.
//
// The state of a source (the HTTP API's watermark) is a JSON object at
// StateKey in the inbound bucket, written only after the object it
// accounts for is durable there. A crash at any point loses nothing: the
// object is fetched again, to the same key, and processing must be
// idempotent (mda.Ingest is: the lake de-duplicates). Drop folders claim
// files with a conditional write, so several fetchers can share one; a
// HES API source takes one fetcher at a time.
//
// Errors are *Error values with an ErrorCode; see Code.
package hes
