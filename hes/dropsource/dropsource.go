package dropsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// buckets
	_ "gocloud.dev/blob/memblob"  // mem:// buckets
	_ "gocloud.dev/blob/s3blob"   // s3:// buckets
	"gocloud.dev/gcerrors"

	"github.com/openmda/mda/hes"
	"github.com/openmda/mda/hes/driver"
	"github.com/openmda/mda/hes/internal/folder"
)

// Scheme is the scheme prefix registered on hes.DefaultURLMux: "drop+"
// followed by any bucket scheme.
const Scheme = "drop+"

func init() { hes.DefaultURLMux.RegisterSource(Scheme, new(URLOpener)) }

// Subdirectories of the folder, under its prefix.
const (
	ProcessingDir = folder.ProcessingDir
	ArchiveDir    = folder.ArchiveDir
	PoisonDir     = folder.PoisonDir
)

// Options configures a drop folder. A nil *Options, and every zero field,
// mean the defaults.
type Options struct {
	// ClaimTimeout is the age after which a claim is taken over, because
	// its fetcher must have died; default 15 minutes. It must exceed the
	// time to fetch and process the largest file.
	ClaimTimeout time.Duration
	// MaxAttempts is how many failed processing attempts quarantine a
	// file in poison/; default 3.
	MaxAttempts int
	// DeleteAcked deletes acknowledged files instead of moving them to
	// archive/.
	DeleteAcked bool
	// Now is the clock of claims; default time.Now.
	Now func() time.Time
}

func (o *Options) folder() *folder.Options {
	if o == nil {
		return nil
	}
	return &folder.Options{ClaimTimeout: o.ClaimTimeout, MaxAttempts: o.MaxAttempts, DeleteAcked: o.DeleteAcked, Now: o.Now}
}

// New returns a source named name over the drop folder at prefix ("" or
// ending in "/") in b. Closing the source does not close b.
func New(b *blob.Bucket, prefix, name string, opts *Options) (*hes.Source, error) {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return hes.NewSource(folder.New(&blobFS{b: b, prefix: prefix}, opts.folder()), name)
}

// URLOpener opens drop folders from URLs of the form "drop+" + a bucket
// URL:
//
//	drop+file:///var/hes/drop?max_attempts=5
//	drop+s3://bucket/hes/drop?region=eu-west-1&claim_timeout=30m
//	drop+mem://
//
// For file URLs the path is the folder's directory; for other schemes
// the host is the bucket and the path the folder's prefix in it.
// Parameters claim_timeout (a Go duration), max_attempts, delete (true:
// delete acknowledged files) and name (the source's name) are the
// folder's; any other parameter goes to the bucket URL.
type URLOpener struct {
	Options Options
}

// OpenSourceURL implements hes.SourceURLOpener.
func (o *URLOpener) OpenSourceURL(ctx context.Context, u *url.URL) (*hes.Source, error) {
	opts := o.Options
	bu := *u
	bu.Scheme = strings.TrimPrefix(u.Scheme, Scheme)
	q := u.Query()
	bad := func(k string, err error) error {
		return &hes.Error{Code: hes.InvalidArgument, Op: "OpenSource", Err: fmt.Errorf("%s: parameter %s: %w", u.Redacted(), k, err)}
	}
	fo := folder.Options{ClaimTimeout: opts.ClaimTimeout, MaxAttempts: opts.MaxAttempts, DeleteAcked: opts.DeleteAcked}
	if k, err := fo.ParseQuery(q); err != nil {
		return nil, bad(k, err)
	}
	opts.ClaimTimeout, opts.MaxAttempts, opts.DeleteAcked = fo.ClaimTimeout, fo.MaxAttempts, fo.DeleteAcked
	name := hes.NameFromURL(u)
	for _, k := range folder.QueryParams {
		q.Del(k)
	}
	q.Del("name")
	prefix := ""
	if bu.Scheme == "file" {
		if !q.Has("create_dir") {
			q.Set("create_dir", "true")
		}
		if !q.Has("metadata") {
			q.Set("metadata", "skip")
		}
	} else {
		prefix = strings.TrimPrefix(bu.Path, "/")
		bu.Path = ""
	}
	bu.RawQuery = q.Encode()
	b, err := blob.OpenBucket(ctx, bu.String())
	if err != nil {
		return nil, &hes.Error{Code: hes.InvalidArgument, Op: "OpenSource", Err: fmt.Errorf("%s: %w", u.Redacted(), err)}
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return hes.NewSource(folder.New(&blobFS{b: b, prefix: prefix, owned: true}, opts.folder()), name)
}

// blobFS is a folder.FS over a bucket prefix.
type blobFS struct {
	b      *blob.Bucket
	prefix string
	owned  bool // close b on Close
}

func (f *blobFS) List(ctx context.Context, dir string) ([]folder.Entry, error) {
	p := f.prefix
	if dir != "" {
		p += dir + "/"
	}
	it := f.b.List(&blob.ListOptions{Prefix: p, Delimiter: "/"})
	var out []folder.Entry
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if obj.IsDir {
			continue
		}
		out = append(out, folder.Entry{Name: strings.TrimPrefix(obj.Key, p), Size: obj.Size})
	}
}

func (f *blobFS) Open(ctx context.Context, path string) (io.ReadCloser, error) {
	return f.b.NewReader(ctx, f.prefix+path, nil)
}

func (f *blobFS) Stat(ctx context.Context, path string) (int64, time.Time, error) {
	a, err := f.b.Attributes(ctx, f.prefix+path)
	if err != nil {
		return 0, time.Time{}, err
	}
	return a.Size, a.ModTime, nil
}

func (f *blobFS) ReadFile(ctx context.Context, path string) ([]byte, error) {
	return f.b.ReadAll(ctx, f.prefix+path)
}

func (f *blobFS) WriteFile(ctx context.Context, path string, data []byte, exclusive bool) error {
	return f.b.WriteAll(ctx, f.prefix+path, data, &blob.WriterOptions{IfNotExist: exclusive, ContentType: "application/json"})
}

func (f *blobFS) Move(ctx context.Context, src, dst string) error {
	if err := f.b.Copy(ctx, f.prefix+dst, f.prefix+src, nil); err != nil {
		return err
	}
	return f.Remove(ctx, src)
}

func (f *blobFS) Remove(ctx context.Context, path string) error {
	if err := f.b.Delete(ctx, f.prefix+path); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return err
	}
	return nil
}

func (f *blobFS) IsNotExist(err error) bool {
	return err != nil && gcerrors.Code(err) == gcerrors.NotFound
}

func (f *blobFS) IsExist(err error) bool {
	return err != nil && (gcerrors.Code(err) == gcerrors.FailedPrecondition || gcerrors.Code(err) == gcerrors.AlreadyExists)
}

func (f *blobFS) Code(err error) driver.ErrorCode {
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return driver.NotFound
	case gcerrors.PermissionDenied:
		return driver.PermissionDenied
	case gcerrors.InvalidArgument:
		return driver.InvalidArgument
	case gcerrors.Internal:
		return driver.Internal
	case gcerrors.ResourceExhausted, gcerrors.DeadlineExceeded:
		return driver.Unavailable
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) {
		return driver.Unavailable
	}
	return driver.Unknown
}

func (f *blobFS) Close() error {
	if f.owned {
		return f.b.Close()
	}
	return nil
}
