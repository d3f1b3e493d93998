// Package sortedmem is a memory bucket for tests: memblob's (mem://) with
// its keys kept sorted. memblob sorts every key of the bucket on each
// listing, so that a scan of a lake of months of hourly partitions, which
// lists each day of the range, spends most of its time sorting; here a
// listing costs the keys it returns. Objects, attributes, errors and pages
// are memblob's.
package sortedmem

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"
)

const defaultPageSize = 1000 // memblob's

var (
	errNotFound       = errors.New("blob not found")
	errNotImplemented = errors.New("not implemented")
	errExists         = errors.New("blob exists")
)

// Open returns a new, empty memory bucket.
func Open() *blob.Bucket {
	return blob.NewBucket(&bucket{blobs: map[string]*entry{}})
}

type entry struct {
	content []byte
	attrs   *driver.Attributes
}

type bucket struct {
	mu    sync.Mutex
	blobs map[string]*entry
	keys  []string // the keys of blobs, sorted
}

func (b *bucket) Close() error { return nil }

func (b *bucket) ErrorCode(err error) gcerrors.ErrorCode {
	switch err {
	case errNotFound:
		return gcerrors.NotFound
	case errNotImplemented:
		return gcerrors.Unimplemented
	case errExists:
		return gcerrors.FailedPrecondition
	default:
		return gcerrors.Unknown
	}
}

func (b *bucket) As(any) bool             { return false }
func (b *bucket) ErrorAs(error, any) bool { return false }
func (b *bucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", errNotImplemented
}

// ListPaged lists as memblob does: keys in order, those under a
// Delimiter collapsed into one directory entry, PageSize at a time.
func (b *bucket) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if opts.BeforeList != nil {
		if err := opts.BeforeList(func(any) bool { return false }); err != nil {
			return nil, err
		}
	}
	token := string(opts.PageToken)
	pageSize := opts.PageSize
	if pageSize == 0 {
		pageSize = defaultPageSize
	}
	var page driver.ListPage
	i, _ := slices.BinarySearch(b.keys, max(opts.Prefix, token))
	for i < len(b.keys) {
		key := b.keys[i]
		if !strings.HasPrefix(key, opts.Prefix) {
			break
		}
		i++
		var obj *driver.ListObject
		if rest := key[len(opts.Prefix):]; opts.Delimiter != "" && strings.Contains(rest, opts.Delimiter) {
			dir := opts.Prefix + rest[:strings.Index(rest, opts.Delimiter)+len(opts.Delimiter)]
			obj = &driver.ListObject{Key: dir, IsDir: true}
			// skip the rest of the directory
			if end, ok := after(dir); ok {
				i, _ = slices.BinarySearch(b.keys, end)
			} else {
				i = len(b.keys)
			}
		} else {
			a := b.blobs[key].attrs
			obj = &driver.ListObject{Key: key, ModTime: a.ModTime, Size: a.Size, MD5: a.MD5}
		}
		if token != "" && obj.Key <= token {
			continue
		}
		if len(page.Objects) == pageSize {
			page.NextPageToken = []byte(page.Objects[pageSize-1].Key)
			return &page, nil
		}
		page.Objects = append(page.Objects, obj)
	}
	return &page, nil
}

// after returns the least string greater than every string that starts
// with p, if there is one.
func after(p string) (string, bool) {
	s := []byte(p)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] < 0xff {
			s[i]++
			return string(s[:i+1]), true
		}
	}
	return "", false
}

func (b *bucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.blobs[key]
	if !ok {
		return nil, errNotFound
	}
	return e.attrs, nil
}

func (b *bucket) NewRangeReader(ctx context.Context, key string, offset, length int64, opts *driver.ReaderOptions) (driver.Reader, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.blobs[key]
	if !ok {
		return nil, errNotFound
	}
	if opts.BeforeRead != nil {
		if err := opts.BeforeRead(func(any) bool { return false }); err != nil {
			return nil, err
		}
	}
	r := bytes.NewReader(e.content)
	if offset > 0 {
		if _, err := r.Seek(offset, io.SeekStart); err != nil {
			return nil, err
		}
	}
	var ior io.Reader = r
	if length >= 0 {
		ior = io.LimitReader(r, length)
	}
	return &reader{r: ior, attrs: driver.ReaderAttributes{ContentType: e.attrs.ContentType, ModTime: e.attrs.ModTime, Size: e.attrs.Size}}, nil
}

type reader struct {
	r     io.Reader
	attrs driver.ReaderAttributes
}

func (r *reader) Read(p []byte) (int, error)           { return r.r.Read(p) }
func (r *reader) Close() error                         { return nil }
func (r *reader) Attributes() *driver.ReaderAttributes { return &r.attrs }
func (r *reader) As(any) bool                          { return false }

func (b *bucket) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	if key == "" {
		return nil, errors.New("invalid key (empty string)")
	}
	if opts.BeforeWrite != nil {
		if err := opts.BeforeWrite(func(any) bool { return false }); err != nil {
			return nil, err
		}
	}
	return &writer{ctx: ctx, b: b, key: key, contentType: contentType, opts: opts, metadata: maps.Clone(opts.Metadata)}, nil
}

type writer struct {
	ctx         context.Context
	b           *bucket
	key         string
	contentType string
	opts        *driver.WriterOptions
	metadata    map[string]string
	buf         bytes.Buffer
}

func (w *writer) Write(p []byte) (int, error) { return w.buf.Write(p) }

func (w *writer) Close() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	content := w.buf.Bytes()
	sum := md5.Sum(content)
	now := time.Now()
	md := w.metadata
	if md == nil {
		md = map[string]string{}
	}
	e := &entry{content: content, attrs: &driver.Attributes{
		CacheControl:       w.opts.CacheControl,
		ContentDisposition: w.opts.ContentDisposition,
		ContentEncoding:    w.opts.ContentEncoding,
		ContentLanguage:    w.opts.ContentLanguage,
		ContentType:        w.contentType,
		Metadata:           md,
		Size:               int64(len(content)),
		CreateTime:         now,
		ModTime:            now,
		MD5:                sum[:],
		ETag:               fmt.Sprintf("\"%x-%x\"", now.UnixNano(), len(content)),
	}}
	w.b.mu.Lock()
	defer w.b.mu.Unlock()
	if prev := w.b.blobs[w.key]; prev != nil {
		if w.opts.IfNotExist {
			return errExists
		}
		e.attrs.CreateTime = prev.attrs.CreateTime
	}
	w.b.put(w.key, e)
	return nil
}

// put sets key's entry, adding key to the sorted keys if it is new.
func (b *bucket) put(key string, e *entry) {
	if _, ok := b.blobs[key]; !ok {
		i, _ := slices.BinarySearch(b.keys, key)
		b.keys = slices.Insert(b.keys, i, key)
	}
	b.blobs[key] = e
}

func (b *bucket) Copy(ctx context.Context, dstKey, srcKey string, opts *driver.CopyOptions) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if opts.BeforeCopy != nil {
		if err := opts.BeforeCopy(func(any) bool { return false }); err != nil {
			return err
		}
	}
	src := b.blobs[srcKey]
	if src == nil {
		return errNotFound
	}
	attrs := *src.attrs
	attrs.Metadata = maps.Clone(src.attrs.Metadata)
	b.put(dstKey, &entry{content: src.content, attrs: &attrs})
	return nil
}

func (b *bucket) Delete(ctx context.Context, key string, opts *driver.DeleteOptions) error {
	if opts.BeforeDelete != nil {
		if err := opts.BeforeDelete(func(any) bool { return false }); err != nil {
			return err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.blobs[key] == nil {
		return errNotFound
	}
	delete(b.blobs, key)
	i, _ := slices.BinarySearch(b.keys, key)
	b.keys = slices.Delete(b.keys, i, i+1)
	return nil
}
