// Package mda is a library for smart-meter data analytics: it does what AWS's
// "Guidance for Meter Data Analytics" does, as portable Go that runs on one
// laptop by default and on any cloud at scale.
//
// The path of the data:
//
//  1. [github.com/openmda/mda/simulator] generates realistic meter data in the
//     guidance's head-end system (HES) CSV format.
//  2. [github.com/openmda/mda/meter] decodes inbound formats into the canonical
//     read, [meter.Reading].
//  3. [github.com/openmda/mda/ranges] splits a big inbound file into byte ranges
//     that parallel workers scan; a record belongs to the range where it starts.
//  4. [github.com/openmda/mda/partition] writes and reads the lake:
//     Hive-partitioned Parquet (reading_type/year/month/day/hour) on any
//     gocloud.dev blob store.
//
// This package holds what hosts share: [Ingest], which runs that path for one
// inbound file with a pool of workers over an in-process queue, and
// [OpenBucket], which opens a lake or inbound bucket by URL with local
// defaults that suit a lake.
//
// # URLs
//
// Every bucket is a gocloud.dev URL: file:///abs/dir, file://./relative/dir,
// mem://, s3://bucket?region=..., gs://bucket, azblob://container. The default
// lake is file://./mda-data.
package mda
