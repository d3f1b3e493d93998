package mda

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/zeebo/xxh3"
	"gocloud.dev/blob"

	"github.com/openmda/mda/staging"
)

// SourceID names an input object from its key, size and content: the
// MD5 where the store gives it, else the ETag, else the modification
// time. The same object always yields the same output names and a changed
// object yields new ones; the same bytes uploaded again under the same key
// are the same source, a re-delivery, wherever the store reports their
// MD5. The ETag cannot tell that: Google Cloud Storage and Azure give
// every upload a new one, and the local file system's follows the
// modification time (S3's is the MD5 of a single-part upload anyway).
// ContentSourceID also recognises a local file copied again.
func SourceID(key string, attrs *blob.Attributes) string {
	switch {
	case len(attrs.MD5) > 0:
		return sourceID(key, attrs.Size, fmt.Sprintf("md5:%x", attrs.MD5))
	case attrs.ETag != "":
		return sourceID(key, attrs.Size, "etag:"+attrs.ETag)
	}
	return sourceID(key, attrs.Size, fmt.Sprintf("mtime:%d", attrs.ModTime.UnixNano()))
}

func sourceID(key string, size int64, content string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%s", key, size, content)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// ContentSourceID is SourceID, except for an object that is a local file
// (file://, where mda.OpenBucket keeps no MD5 and the ETag follows the
// modification time): it reads the file once and names it by a 128-bit
// XXH3 digest of its bytes (several GB/s: a fraction of a second for a
// gigabyte), so that the same bytes copied there again are recognised as
// a re-delivery instead of being taken for a new file of late reads. An
// MD5 that a local bucket reports is not trusted: fileblob keeps it in a
// side file that a program writing the file directly leaves stale. A file
// that changes while it is read is an error.
func ContentSourceID(ctx context.Context, b *blob.Bucket, key string, attrs *blob.Attributes) (string, error) {
	var fi os.FileInfo
	if !attrs.As(&fi) {
		return SourceID(key, attrs), nil
	}
	r, err := b.NewReader(ctx, key, nil)
	if err != nil {
		return "", fmt.Errorf("mda: reading %s: %w", key, err)
	}
	defer r.Close()
	h := xxh3.New128()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", fmt.Errorf("mda: reading %s: %w", key, err)
	}
	after, err := b.Attributes(ctx, key)
	if err != nil {
		return "", fmt.Errorf("mda: %s: %w", key, err)
	}
	if n != attrs.Size || after.Size != attrs.Size || !after.ModTime.Equal(attrs.ModTime) {
		return "", fmt.Errorf("mda: %s changed while it was read (%d bytes modified %v, then %d bytes read, %d modified %v)",
			key, attrs.Size, attrs.ModTime, n, after.Size, after.ModTime)
	}
	sum := h.Sum128().Bytes()
	return sourceID(key, n, fmt.Sprintf("xxh3-128:%x", sum)), nil
}

// legacySourceID is the id versions before the content-first SourceID
// gave an object: its key, size, ETag and MD5 hashed together.
func legacySourceID(key string, attrs *blob.Attributes) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%s\x00%x", key, attrs.Size, attrs.ETag, attrs.MD5)
	if attrs.ETag == "" && len(attrs.MD5) == 0 {
		fmt.Fprintf(h, "\x00%d", attrs.ModTime.UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// IntegratedSource returns the lake's record (staging.ReadSource) of the
// object key, of source id id, if it was fully integrated before: under
// id, or under the id that versions before the content-first SourceID
// gave it, so that an object ingested before an upgrade is still known.
// It returns nil if neither is recorded.
func IntegratedSource(ctx context.Context, lake *blob.Bucket, id, key string, attrs *blob.Attributes) (*staging.Source, error) {
	done, err := staging.ReadSource(ctx, lake, id)
	if err != nil || done != nil {
		return done, err
	}
	if old := legacySourceID(key, attrs); old != id {
		return staging.ReadSource(ctx, lake, old)
	}
	return nil, nil
}

// SniffCompression tells a compressed object by its first bytes, not its
// name: "gzip", "zstd", or "" for anything else (plain text).
func SniffCompression(ctx context.Context, b *blob.Bucket, key string) (string, error) {
	r, err := b.NewRangeReader(ctx, key, 0, 4, nil)
	if err != nil {
		return "", err
	}
	defer r.Close()
	var magic [4]byte
	n, err := io.ReadFull(r, magic[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	switch {
	case n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return "gzip", nil
	case n == 4 && magic == [4]byte{0x28, 0xb5, 0x2f, 0xfd}:
		return "zstd", nil
	}
	return "", nil
}

// countingReader counts the compressed bytes consumed, for progress.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Decompress writes the decompressed content of key (codec "gzip", with
// concatenated members, or "zstd") to outKey in out, and returns its size.
// The copy is written whole or not at all. progress, if set, is called as
// compressed bytes are consumed.
func Decompress(ctx context.Context, in *blob.Bucket, key, codec string, out *blob.Bucket, outKey string, progress func(done int64)) (int64, error) {
	r, err := in.NewReader(ctx, key, nil)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	cr := &countingReader{r: bufio.NewReaderSize(r, 1<<20)}
	var dr io.Reader
	switch codec {
	case "gzip":
		gz, err := gzip.NewReader(cr)
		if err != nil {
			return 0, fmt.Errorf("decompress %s: %w", key, err)
		}
		defer gz.Close()
		dr = gz
	case "zstd":
		zr, err := zstd.NewReader(cr)
		if err != nil {
			return 0, fmt.Errorf("decompress %s: %w", key, err)
		}
		defer zr.Close()
		dr = zr
	default:
		return 0, fmt.Errorf("unknown compression %q", codec)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := out.NewWriter(wctx, outKey, &blob.WriterOptions{ContentType: "text/csv", BufferSize: 8 << 20})
	if err != nil {
		return 0, err
	}
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, rerr := dr.Read(buf)
		if k > 0 {
			if _, err := w.Write(buf[:k]); err != nil {
				cancel()
				w.Close()
				return n, err
			}
			n += int64(k)
			if progress != nil {
				progress(cr.n.Load())
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			cancel() // abandon the upload: no partial object
			w.Close()
			return n, fmt.Errorf("decompress %s: %w", key, rerr)
		}
	}
	return n, w.Close()
}
