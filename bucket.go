package mda

import (
	"context"
	"fmt"
	"net/url"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// URLs
	_ "gocloud.dev/blob/memblob"  // mem:// URLs
	_ "gocloud.dev/blob/s3blob"   // s3:// URLs
)

// DefaultLakeURL is where commands keep the lake unless told otherwise.
const DefaultLakeURL = "file://./mda-data"

// OpenBucket opens a bucket by URL, like blob.OpenBucket, with defaults that
// suit a data lake on a local file system. For file:// URLs it creates the
// directory if needed (create_dir), writes no ".attrs" sidecar files
// (metadata=skip), because query engines such as Athena and Spark would try
// to read them as data, and writes temporary files next to their final
// names (no_tmp_dir), so that the final rename stays on one file system and
// is atomic. Parameters present in the URL win.
func OpenBucket(ctx context.Context, urlstr string) (*blob.Bucket, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return nil, fmt.Errorf("mda: bad bucket URL %q: %w", urlstr, err)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("mda: bucket URL %q has no scheme (want e.g. file://./mda-data, mem://, s3://bucket)", urlstr)
	}
	if u.Scheme == "file" {
		q := u.Query()
		for k, v := range map[string]string{"create_dir": "true", "metadata": "skip", "no_tmp_dir": "true"} {
			if !q.Has(k) {
				q.Set(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("mda: open bucket %q: %w", urlstr, err)
	}
	return b, nil
}
