// Package blobio adapts gocloud.dev blob buckets to the random-access
// interfaces that file formats such as Parquet need.
//
// A [*blob.Reader] reads one byte range front to back and has no ReadAt.
// [ReaderAt] turns ranged reads of one object into an [io.ReaderAt], and
// keeps the round trips down: Parquet readers make many small reads (the
// footer length, the footer, bloom filter headers, one page header after
// another), and against an object store each uncached read is a request.
// ReaderAt therefore
//
//   - reads the tail of the object (where Parquet keeps its footer, page index
//     and, as the partition package writes them, its bloom filters) in one
//     request when it is opened,
//   - lets the caller [ReaderAt.Prefetch] a byte range it is about to read
//     (a row group it decided not to prune) in one request, and
//   - reads ahead on other misses, so that sequential small reads become a
//     few large ones.
//
// Bytes that no read touches are never downloaded.
package blobio
