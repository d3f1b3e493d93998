package catalog

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// LakeLocation returns the root location of a lake, as query engines name
// it, from the lake's gocloud.dev bucket URL: s3://bucket?region=x gives
// s3://bucket/, s3://bucket?prefix=p/ gives s3://bucket/p/, gs:// and
// azblob:// alike, and a file:// URL (absolute, or file://./relative) the
// absolute directory as file:///dir/. Table locations (Tables, Registrar)
// are this root followed by each table's directory.
func LakeLocation(bucketURL string) (string, error) {
	u, err := url.Parse(bucketURL)
	if err != nil {
		return "", fmt.Errorf("catalog: lake URL: %w", err)
	}
	var loc string
	switch u.Scheme {
	case "":
		return "", fmt.Errorf("catalog: lake URL %q has no scheme", bucketURL)
	case "file":
		p := u.Path
		if u.Host == "." {
			p = strings.TrimPrefix(p, "/")
		}
		abs, err := filepath.Abs(filepath.FromSlash(p))
		if err != nil {
			return "", fmt.Errorf("catalog: lake URL %q: %w", bucketURL, err)
		}
		loc = "file://" + filepath.ToSlash(abs)
		if !strings.HasPrefix(loc, "file:///") { // Windows: file:///C:/...
			loc = "file:///" + strings.TrimPrefix(loc, "file://")
		}
	default:
		loc = u.Scheme + "://" + u.Host + u.Path
	}
	if !strings.HasSuffix(loc, "/") {
		loc += "/"
	}
	if p := u.Query().Get("prefix"); p != "" {
		loc += strings.TrimPrefix(p, "/")
		if !strings.HasSuffix(loc, "/") {
			loc += "/"
		}
	}
	return loc, nil
}
