package blobio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
)

func testObject(t testing.TB, size int) (*blob.Bucket, []byte) {
	t.Helper()
	b := memblob.OpenBucket(nil)
	t.Cleanup(func() { b.Close() })
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	if err := b.WriteAll(context.Background(), "obj", data, nil); err != nil {
		t.Fatal(err)
	}
	return b, data
}

func TestReaderAt(t *testing.T) {
	ctx := context.Background()
	const size = 1 << 20
	b, data := testObject(t, size)
	for _, opts := range []*Options{
		nil,
		{Size: size},
		{Tail: -1, ReadAhead: -1},
		{Tail: 100, ReadAhead: 1000},
		{Tail: 2 * size, ReadAhead: 3 * size},
	} {
		r, err := NewReaderAt(ctx, b, "obj", opts)
		if err != nil {
			t.Fatal(err)
		}
		if r.Size() != size {
			t.Fatalf("Size = %d", r.Size())
		}
		for _, tc := range []struct {
			off, n int
			want   int
			err    error
		}{
			{0, 4, 4, nil},
			{size - 8, 8, 8, nil},
			{size - 8, 16, 8, io.EOF},
			{size, 1, 0, io.EOF},
			{size + 10, 1, 0, io.EOF},
			{12345, 100000, 100000, nil},
			{0, size, size, nil},
			{500000, 10, 10, nil},
			{500005, 10, 10, nil},
		} {
			p := make([]byte, tc.n)
			n, err := r.ReadAt(p, int64(tc.off))
			if n != tc.want || !errors.Is(err, tc.err) && !(err == nil && tc.err == nil) {
				t.Fatalf("%+v: ReadAt(%d, %d) = %d, %v; want %d, %v", opts, tc.n, tc.off, n, err, tc.want, tc.err)
			}
			if !bytes.Equal(p[:n], data[min(tc.off, size):min(tc.off, size)+n]) {
				t.Fatalf("%+v: ReadAt(%d, %d): wrong bytes", opts, tc.n, tc.off)
			}
		}
		if _, err := r.ReadAt(make([]byte, 1), -1); err == nil {
			t.Fatal("negative offset: no error")
		}
	}
}

func TestReaderAtRequests(t *testing.T) {
	ctx := context.Background()
	const size = 1 << 20
	b, data := testObject(t, size)
	r, err := NewReaderAt(ctx, b, "obj", &Options{Size: size, Tail: 4096, ReadAhead: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, requests, bytes int64) {
		t.Helper()
		if r.Requests() != requests || r.BytesRead() != bytes {
			t.Fatalf("%s: requests, bytes = %d, %d; want %d, %d", what, r.Requests(), r.BytesRead(), requests, bytes)
		}
	}
	check("open", 1, 4096)
	p := make([]byte, 8)
	r.ReadAt(p, size-8)
	r.ReadAt(p, size-4096)
	check("tail reads", 1, 4096)
	// 64 sequential 1 KiB reads: one read-ahead request.
	q := make([]byte, 1024)
	for i := range 64 {
		r.ReadAt(q, int64(i*1024))
		if !bytes.Equal(q, data[i*1024:(i+1)*1024]) {
			t.Fatal("wrong bytes")
		}
	}
	check("sequential", 2, 4096+64<<10)
	// Prefetch a region, then read it in small pieces: one request.
	if err := r.Prefetch(300000, 200000); err != nil {
		t.Fatal(err)
	}
	for off := 300000; off+1024 <= 500000; off += 1024 {
		r.ReadAt(q, int64(off))
	}
	check("prefetched", 3, 4096+64<<10+200000)
	// A read larger than the read-ahead: exactly its bytes.
	big := make([]byte, 100000)
	r.ReadAt(big, 600000)
	check("large", 4, 4096+64<<10+200000+100000)
	// Prefetch of a cached range: no request.
	r.Prefetch(size-100, 100)
	check("prefetch cached", 4, 4096+64<<10+200000+100000)
	// Prefetch overlapping the tail: only the bytes before it are fetched.
	if err := r.Prefetch(size-10000, 10000); err != nil {
		t.Fatal(err)
	}
	check("prefetch into tail", 5, 4096+64<<10+200000+100000+10000-4096)
	q = make([]byte, 10000)
	if n, err := r.ReadAt(q, size-10000); n != len(q) || err != nil || !bytes.Equal(q, data[size-10000:]) {
		t.Fatalf("ReadAt across window and tail = %d, %v", n, err)
	}
	check("read prefetched", 5, 4096+64<<10+200000+100000+10000-4096)
}

func TestReaderAtMissing(t *testing.T) {
	b := memblob.OpenBucket(nil)
	defer b.Close()
	if _, err := NewReaderAt(context.Background(), b, "nope", nil); err == nil {
		t.Fatal("no error for a missing object")
	}
}

func TestReaderAtEmpty(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	if err := b.WriteAll(ctx, "empty", nil, nil); err != nil {
		t.Fatal(err)
	}
	r, err := NewReaderAt(ctx, b, "empty", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.ReadAt(make([]byte, 4), 0); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
}
