package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"

	"gocloud.dev/blob"

	"github.com/openmda/mda"
)

// openLakeToRead opens the lake of a command that only reads it (query,
// grid analyses, serve, the forecast jobs, catalog sync, bench query). A
// file:// lake must exist: mda.OpenBucket creates a missing directory
// (create_dir), which suits writers, but a reader would then show a
// mistyped path as an empty lake, exit 0 and leave the directory behind.
// Other schemes open as with mda.OpenBucket.
func openLakeToRead(ctx context.Context, lakeURL string) (*blob.Bucket, error) {
	u, err := url.Parse(lakeURL)
	if err != nil || u.Scheme != "file" {
		return mda.OpenBucket(ctx, lakeURL)
	}
	q := u.Query()
	if !q.Has("create_dir") {
		// Present but empty: mda.OpenBucket keeps a parameter the URL
		// has, and fileblob creates the directory only for a non-empty
		// create_dir.
		q.Set("create_dir", "")
		u.RawQuery = q.Encode()
	}
	b, err := mda.OpenBucket(ctx, u.String())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("lake %s does not exist (check --lake)", lakeURL)
	}
	return b, err
}
