package sftpsource_test

import (
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
)

func newInbound(t testing.TB) *blob.Bucket {
	b := memblob.OpenBucket(nil)
	t.Cleanup(func() { b.Close() })
	return b
}
