package sortedmem_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"

	"github.com/openmda/mda/internal/sortedmem"
)

type listed struct {
	Key   string
	Size  int64
	MD5   []byte
	IsDir bool
}

func list(t *testing.T, b *blob.Bucket, prefix, delim string, pageSize int) []listed {
	t.Helper()
	ctx := context.Background()
	var out []listed
	token := blob.FirstPageToken
	for {
		objs, next, err := b.ListPage(ctx, token, pageSize, &blob.ListOptions{Prefix: prefix, Delimiter: delim})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if !o.IsDir && o.ModTime.IsZero() {
				t.Errorf("%s: no modification time", o.Key)
			}
			out = append(out, listed{o.Key, o.Size, o.MD5, o.IsDir})
		}
		if next == nil {
			return out
		}
		token = next
	}
}

// TestListsAsMemblob: after the same writes, copies and deletes, every
// listing (prefix, delimiter, page size) is memblob's.
func TestListsAsMemblob(t *testing.T) {
	ctx := context.Background()
	mem, sorted := memblob.OpenBucket(nil), sortedmem.Open()
	defer mem.Close()
	defer sorted.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	parts := []string{"a", "b", "a/", "b/", "x=1/", "x=2/", "/", "c.parquet", "a/b", "ab", "0", "a0", ">", "x=1"}
	var keys []string
	for range 300 {
		k := ""
		for range 1 + rng.IntN(5) {
			k += parts[rng.IntN(len(parts))]
		}
		keys = append(keys, k)
		data := []byte(fmt.Sprint(rng.IntN(1000)))
		for _, b := range []*blob.Bucket{mem, sorted} {
			if err := b.WriteAll(ctx, k, data, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 60 {
		src, dst := keys[rng.IntN(len(keys))], keys[rng.IntN(len(keys))]+"c"
		del := keys[rng.IntN(len(keys))]
		var codes []gcerrors.ErrorCode
		for _, b := range []*blob.Bucket{mem, sorted} {
			codes = append(codes, gcerrors.Code(b.Copy(ctx, dst, src, nil)), gcerrors.Code(b.Delete(ctx, del)))
		}
		if codes[0] != codes[2] || codes[1] != codes[3] {
			t.Errorf("copy %s to %s, delete %s: memblob %v, sortedmem %v", src, dst, del, codes[:2], codes[2:])
		}
	}
	var objects, dirs int
	for _, prefix := range []string{"", "a", "a/", "b/x=1/", "x", "a/b", "zz", "/"} {
		for _, delim := range []string{"", "/", "=", "a/"} {
			for _, size := range []int{1, 3, 1000} {
				want, got := list(t, mem, prefix, delim, size), list(t, sorted, prefix, delim, size)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("prefix %q delimiter %q page size %d: (-memblob +sortedmem)\n%s", prefix, delim, size, diff)
				}
				for _, o := range want {
					objects++
					if o.IsDir {
						dirs++
					}
				}
			}
		}
	}
	if objects < 1000 || dirs < 100 {
		t.Errorf("the listings held %d objects, %d of them directories", objects, dirs)
	}
}

// TestReadWriteAsMemblob: reads, ranges, attributes and the errors of
// missing keys and IfNotExist are memblob's.
func TestReadWriteAsMemblob(t *testing.T) {
	ctx := context.Background()
	b := sortedmem.Open()
	defer b.Close()
	if err := b.WriteAll(ctx, "k", []byte("hello, world"), &blob.WriterOptions{Metadata: map[string]string{"m": "v"}}); err != nil {
		t.Fatal(err)
	}
	r, err := b.NewRangeReader(ctx, "k", 7, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if string(got) != "wor" || r.Size() != 12 {
		t.Errorf("range [7, 10): %q of %d bytes", got, r.Size())
	}
	a, err := b.Attributes(ctx, "k")
	if err != nil || a.Size != 12 || a.Metadata["m"] != "v" || len(a.MD5) != 16 {
		t.Errorf("attributes %+v, %v", a, err)
	}
	if _, err := b.ReadAll(ctx, "nope"); gcerrors.Code(err) != gcerrors.NotFound {
		t.Errorf("missing key: %v", err)
	}
	if err := b.Delete(ctx, "nope"); gcerrors.Code(err) != gcerrors.NotFound {
		t.Errorf("delete of a missing key: %v", err)
	}
	err = b.WriteAll(ctx, "k", []byte("x"), &blob.WriterOptions{IfNotExist: true})
	if gcerrors.Code(err) != gcerrors.FailedPrecondition {
		t.Errorf("IfNotExist on an existing key: %v", err)
	}
	if err := b.WriteAll(ctx, "k2", []byte("x"), &blob.WriterOptions{IfNotExist: true}); err != nil {
		t.Errorf("IfNotExist on a new key: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	w, err := b.NewWriter(cctx, "k3", nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	cancel()
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("write canceled: %v", err)
	}
	if ok, _ := b.Exists(ctx, "k3"); ok {
		t.Error("a canceled write was stored")
	}
}
