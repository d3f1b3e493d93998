// Package decompress copies a gzip or zstd object to an uncompressed one,
// bucket to bucket, streaming.
//
// Range workers need the uncompressed bytes: a byte range of a compressed
// stream cannot be decoded on its own. mda.Ingest decompresses the same way
// but keeps the helper unexported; the inbound Lambda needs it as a step of
// its own, since there the workers run in other functions, later.
package decompress

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"gocloud.dev/blob"
)

// Codec names a compression format.
type Codec string

// The codecs Sniff recognises. None is an uncompressed object.
const (
	None Codec = ""
	Gzip Codec = "gzip"
	Zstd Codec = "zstd"
)

// Sniff returns the codec of an object from its magic number, not its name:
// head-end exports are not reliably named (".csv" files that are gzip, and
// ".gz" files that a proxy already inflated).
func Sniff(ctx context.Context, b *blob.Bucket, key string) (Codec, error) {
	r, err := b.NewRangeReader(ctx, key, 0, 4, nil)
	if err != nil {
		return None, err
	}
	defer r.Close()
	var magic [4]byte
	n, err := io.ReadFull(r, magic[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return None, err
	}
	switch {
	case n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return Gzip, nil
	case n == 4 && magic == [4]byte{0x28, 0xb5, 0x2f, 0xfd}:
		return Zstd, nil
	}
	return None, nil
}

// Copy decompresses key of in into outKey of out and returns the number of
// uncompressed bytes. The output appears whole or not at all (a blob
// writer commits on Close, and an error cancels it), so a copy that exists
// is a complete one. Concatenated gzip members are read as one stream, as
// gzip(1) does.
func Copy(ctx context.Context, in *blob.Bucket, key string, codec Codec, out *blob.Bucket, outKey string) (int64, error) {
	r, err := in.NewReader(ctx, key, nil)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<20)
	var dr io.Reader
	switch codec {
	case Gzip:
		gz, err := gzip.NewReader(br)
		if err != nil {
			return 0, fmt.Errorf("decompress %s: %w", key, err)
		}
		defer gz.Close()
		dr = gz
	case Zstd:
		zr, err := zstd.NewReader(br)
		if err != nil {
			return 0, fmt.Errorf("decompress %s: %w", key, err)
		}
		defer zr.Close()
		dr = zr
	default:
		return 0, fmt.Errorf("decompress %s: unknown codec %q", key, codec)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := out.NewWriter(wctx, outKey, &blob.WriterOptions{ContentType: "text/csv", BufferSize: 8 << 20})
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(w, dr)
	if err != nil {
		cancel() // abandon the upload: no partial object
		w.Close()
		return n, fmt.Errorf("decompress %s to %s: %w", key, outKey, err)
	}
	if err := w.Close(); err != nil {
		return n, fmt.Errorf("decompress %s to %s: %w", key, outKey, err)
	}
	return n, nil
}
