//go:build cloudblob

package mda

// The Google Cloud Storage and Azure Blob Storage drivers, for --lake
// gs://bucket and azblob://container: go build -tags cloudblob. They are
// behind a build tag because their SDKs cost every binary that imports this
// package about 34 MB and a cold build about 40% more CPU (measured on the
// mda command: 80 MB and 187 CPU-s without them, 114 MB and 244 CPU-s with).
import (
	_ "gocloud.dev/blob/azureblob" // azblob:// URLs
	_ "gocloud.dev/blob/gcsblob"   // gs:// URLs
)
