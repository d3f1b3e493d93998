package mda

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// URLs
	_ "gocloud.dev/blob/memblob"  // mem:// URLs
	_ "gocloud.dev/blob/s3blob"   // s3:// URLs

	"github.com/openmda/mda/internal/blobio"
)

// CloudBlobTag is the build tag that registers the gs:// (Google Cloud
// Storage) and azblob:// (Azure Blob Storage) drivers with OpenBucket; see
// bucket_cloud.go. file://, mem:// and s3:// are always registered.
const CloudBlobTag = "cloudblob"

// DefaultLakeURL is where commands keep the lake unless told otherwise.
const DefaultLakeURL = "file://./mda-data"

// OpenBucket opens a bucket by URL, like blob.OpenBucket, with defaults that
// suit a data lake on a local file system. For file:// URLs it creates the
// directory if needed (create_dir), writes no ".attrs" sidecar files
// (metadata=skip), because query engines such as Athena and Spark would try
// to read them as data, and writes temporary files next to their final
// names (no_tmp_dir), so that the final rename stays on one file system and
// is atomic. Parameters present in the URL win.
//
// A file:// bucket with metadata=skip and the default dir_file_mode is
// registered with blobio.RegisterDir, so that integration's copies of
// staged files into the lake are hard links rather than byte copies.
func OpenBucket(ctx context.Context, urlstr string) (*blob.Bucket, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return nil, fmt.Errorf("mda: bad bucket URL %q: %w", urlstr, err)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("mda: bucket URL %q has no scheme (want e.g. file://./mda-data, mem://, s3://bucket)", urlstr)
	}
	if (u.Scheme == "gs" || u.Scheme == "azblob") && !blob.DefaultURLMux().ValidBucketScheme(u.Scheme) {
		return nil, fmt.Errorf("mda: open bucket %q: %s:// needs a build with -tags %s (see bucket_cloud.go)", urlstr, u.Scheme, CloudBlobTag)
	}
	link := false
	if u.Scheme == "file" {
		q := u.Query()
		for k, v := range map[string]string{"create_dir": "true", "metadata": "skip", "no_tmp_dir": "true"} {
			if !q.Has(k) {
				q.Set(k, v)
			}
		}
		u.RawQuery = q.Encode()
		// Hard links name files by their path in the directory, which a
		// bucket with a key prefix (?prefix=tenant-a/) would not add: its
		// copies would land in another lake's partitions.
		link = q.Get("metadata") == "skip" && !q.Has("dir_file_mode") && !q.Has("prefix")
	}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("mda: open bucket %q: %w", urlstr, err)
	}
	if link {
		// RegisterDir checks that this is the directory the bucket has;
		// if it is not, copies stay byte copies.
		blobio.RegisterDir(b, fileDir(u))
	}
	return b, nil
}

// fileDir is the directory of a file:// URL, as gocloud.dev/blob/fileblob's
// URLOpener resolves it: the host is ignored unless it is ".", which marks
// a relative path ("file://./mda-data" is "mda-data"), and on Windows the
// leading "/" is dropped. RegisterDir makes it absolute, as fileblob does.
func fileDir(u *url.URL) string {
	path := u.Path
	if u.Host == "." || os.PathSeparator != '/' {
		path = strings.TrimPrefix(path, "/")
	}
	return filepath.FromSlash(path)
}
