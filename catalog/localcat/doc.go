// Package localcat is a catalog driver that keeps the catalog as JSON
// manifests in a gocloud.dev bucket or a local directory: no service, no
// account, and the catalog can live in the lake's own bucket.
//
// # Layout and concurrency
//
// Under the prefix (default "_catalog/", which Athena, Spark, Hive and
// Trino treat as hidden because of the leading underscore):
//
//	_catalog/<db>/database.json
//	_catalog/<db>/<table>/v00000000000000000001.json
//	_catalog/<db>/<table>/v00000000000000000002.json
//	...
//
// Each version is an immutable manifest of the whole table: definition and
// partitions. The highest version, found by listing the table's directory,
// is the table's state. To change a table, a writer reads the latest
// version N, applies its change and creates version N+1 with a write that
// fails if N+1 exists (blob.WriterOptions.IfNotExist; a hard link in a
// directory). Of writers racing from N, exactly one wins; each loser waits
// a short random time, re-reads (now N+1 or later) and reapplies its
// change. Changes are idempotent (add the partitions that are missing,
// drop those present), so reapplying is safe, and no update is lost.
// An update that loses Options.MaxAttempts races fails with
// catalog.ErrAborted. Updates that change nothing write nothing.
//
// Once version N is durable, its writer deletes the versions up to
// N-Options.KeepVersions (default 4), so that a table's manifests do not
// grow with every update (each version holds every partition, about 200
// bytes each). This is safe with any number of readers and writers: the
// latest version is never deleted; a reader that listed a version that
// is deleted before it reads it lists again; and each version records the
// checksum of the version it was derived from, so that a writer that
// read an old version, and recreates a version number that was pruned
// (below the latest, where no reader looks), finds out and reapplies its
// change to the latest version. A negative KeepVersions keeps every
// version, the table's whole history.
//
// Atomic conditional creation is what makes this safe: memblob, s3blob
// (S3 conditional writes, If-None-Match), gcsblob and azureblob provide
// it. fileblob does not (it checks, then renames), so Open refuses
// fileblob buckets, and file:// URLs and OpenDir use the directory
// directly, creating each version with a hard link that fails if the name
// exists.
//
// # URLs
//
// localcat registers mem, file, s3, gs and azblob with
// catalog.DefaultURLMux (see URLOpener); for s3, gs and azblob, also import
// the gocloud.dev blob driver. The URL of the lake's bucket thus opens a
// catalog kept inside it.
//
// # As
//
// localcat exposes these types for As:
//   - Catalog: **blob.Bucket (Open and bucket URLs); *string, the
//     directory (OpenDir and file:// URLs)
//   - Error: whatever the bucket's ErrorAs supports; for directories, the
//     os package's errors (*fs.PathError).
package localcat
