package dataflow_test

import (
	"context"
	"io"
	"io/fs"
	"os"
	"testing"

	"gocloud.dev/blob"
)

func osDirFS(dir string) fs.FS { return os.DirFS(dir) }

func listKeys(t testing.TB, b *blob.Bucket, prefix string) []string {
	t.Helper()
	var keys []string
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(context.Background())
		if err == io.EOF {
			return keys
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
}
