package blobio

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"weak"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

// lakeBucket opens a fileblob bucket the way mda.OpenBucket does and, if
// register, registers it.
func lakeBucket(t *testing.T, register bool) (*blob.Bucket, string) {
	t.Helper()
	dir := t.TempDir()
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{Metadata: fileblob.MetadataDontWrite, NoTempDir: true, CreateDir: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if register && !RegisterDir(b, dir) {
		t.Fatal("RegisterDir refused a fileblob bucket")
	}
	return b, dir
}

// linked returns the pairs of names under dir that are one file.
func linked(t *testing.T, dir string) [][2]string {
	t.Helper()
	var paths []string
	var infos []os.FileInfo
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		paths, infos = append(paths, p), append(infos, fi)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var pairs [][2]string
	for i := range infos {
		for j := i + 1; j < len(infos); j++ {
			if os.SameFile(infos[i], infos[j]) {
				pairs = append(pairs, [2]string{paths[i], paths[j]})
			}
		}
	}
	return pairs
}

// leftovers returns the temporary and sidecar files under dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var bad []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && (strings.HasSuffix(p, ".tmp") || strings.HasSuffix(p, ".attrs")) {
			bad = append(bad, p)
		}
		return err
	})
	return bad
}

func TestCopy(t *testing.T) {
	ctx := context.Background()
	const src = "staging/readings/reading_type=kw/year=2024/month=03/day=01/hour=10/0123456789abcdef-00001.parquet"
	const dst = "readings/reading_type=kw/year=2024/month=03/day=01/hour=10/data.parquet"
	data := []byte("PAR1 staged bytes PAR1")
	tests := []struct {
		name     string
		bucket   string // "registered", "unregistered" (fileblob) or "mem"
		src, dst string
		before   func(t *testing.T, b *blob.Bucket, dst string) // runs before Copy
		linked   bool
	}{
		{name: "registered", bucket: "registered", src: src, dst: dst, linked: true},
		{name: "registered, top-level keys", bucket: "registered", src: "a", dst: "b-1_x=y.z", linked: true},
		{name: "unregistered", bucket: "unregistered", src: src, dst: dst},
		{name: "mem", bucket: "mem", src: src, dst: dst},
		{name: "overwrite", bucket: "registered", src: src, dst: dst, linked: true,
			before: func(t *testing.T, b *blob.Bucket, dst string) {
				if err := b.WriteAll(ctx, dst, []byte("an older, longer partition file"), nil); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "overwrite unregistered", bucket: "unregistered", src: src, dst: dst,
			before: func(t *testing.T, b *blob.Bucket, dst string) {
				if err := b.WriteAll(ctx, dst, []byte("an older, longer partition file"), nil); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "again", bucket: "registered", src: src, dst: dst, linked: true,
			before: func(t *testing.T, b *blob.Bucket, dst string) {
				// A rerun after a crash between the copy and the deletion of
				// the staged file: dst already is a link to src, where
				// rename(2) does nothing.
				if err := Copy(ctx, b, dst, src); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "onto itself", bucket: "registered", src: src, dst: src},
		{name: "space", bucket: "registered", src: "a b/x.parquet", dst: dst},
		{name: "escape sequence", bucket: "registered", src: src, dst: "x/__0x41__.parquet"},
		{name: "double slash", bucket: "registered", src: src, dst: "x//y.parquet"},
		{name: "dot dot", bucket: "registered", src: "a../b.parquet", dst: dst},
		{name: "dot", bucket: "registered", src: src, dst: "x/./y.parquet"},
		{name: "unicode", bucket: "registered", src: "é.parquet", dst: dst},
		{name: "percent", bucket: "registered", src: src, dst: "x%2Fy.parquet"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b *blob.Bucket
			var dir string
			switch tc.bucket {
			case "mem":
				b = memblob.OpenBucket(nil)
				t.Cleanup(func() { b.Close() })
				if RegisterDir(b, t.TempDir()) {
					t.Fatal("RegisterDir accepted a mem bucket")
				}
			default:
				b, dir = lakeBucket(t, tc.bucket == "registered")
			}
			if err := b.WriteAll(ctx, tc.src, data, nil); err != nil {
				t.Fatal(err)
			}
			if tc.before != nil {
				tc.before(t, b, tc.dst)
			}
			if err := Copy(ctx, b, tc.dst, tc.src); err != nil {
				t.Fatal(err)
			}
			for _, key := range []string{tc.dst, tc.src} {
				got, err := b.ReadAll(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, data) {
					t.Errorf("%s = %q, want %q", key, got, data)
				}
			}
			if dir == "" {
				return
			}
			if bad := leftovers(t, dir); len(bad) > 0 {
				t.Errorf("left behind: %v", bad)
			}
			pairs := linked(t, dir)
			if tc.linked {
				want := [2]string{filepath.Join(dir, filepath.FromSlash(tc.src)), filepath.Join(dir, filepath.FromSlash(tc.dst))}
				if want[0] > want[1] {
					want[0], want[1] = want[1], want[0]
				}
				if len(pairs) != 1 || pairs[0] != want {
					t.Errorf("hard links %v, want %v", pairs, want)
				}
			} else if len(pairs) > 0 {
				t.Errorf("hard links %v, want a copy", pairs)
			}
			// Deleting the source leaves the copy.
			if tc.src != tc.dst {
				if err := b.Delete(ctx, tc.src); err != nil {
					t.Fatal(err)
				}
				if got, err := b.ReadAll(ctx, tc.dst); err != nil || !bytes.Equal(got, data) {
					t.Errorf("after deleting the source, %s = %q, %v", tc.dst, got, err)
				}
			}
		})
	}
}

func TestCopyNotFound(t *testing.T) {
	ctx := context.Background()
	for _, register := range []bool{true, false} {
		b, dir := lakeBucket(t, register)
		err := Copy(ctx, b, "readings/p/data.parquet", "staging/p/gone.parquet")
		if gcerrors.Code(err) != gcerrors.NotFound {
			t.Errorf("registered %v: Copy of a missing source: %v (code %v), want NotFound", register, err, gcerrors.Code(err))
		}
		if _, err := os.Stat(filepath.Join(dir, "readings")); !os.IsNotExist(err) {
			t.Errorf("registered %v: Copy of a missing source created the destination's directory (%v)", register, err)
		}
	}
	// A directory is not an object.
	b, _ := lakeBucket(t, true)
	if err := b.WriteAll(ctx, "staging/p/x.parquet", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	if err := Copy(ctx, b, "y", "staging/p"); gcerrors.Code(err) != gcerrors.NotFound {
		t.Errorf("Copy of a directory: %v, want NotFound", err)
	}
}

func TestCopyReservedSuffix(t *testing.T) {
	// fileblob refuses keys ending in ".attrs"; so does Copy.
	ctx := context.Background()
	b, _ := lakeBucket(t, true)
	if err := b.WriteAll(ctx, "a", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	if err := Copy(ctx, b, "b.attrs", "a"); err == nil {
		t.Error("Copy to b.attrs succeeded")
	}
}

func TestCopyLinkFails(t *testing.T) {
	// A file system without hard links (or a source on another one): Copy
	// copies the bytes.
	ctx := context.Background()
	saved := link
	t.Cleanup(func() { link = saved })
	for _, errno := range []syscall.Errno{syscall.EXDEV, syscall.EPERM, syscall.ENOTSUP, syscall.EEXIST} {
		calls := 0
		link = func(oldname, newname string) error {
			calls++
			return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: errno}
		}
		b, dir := lakeBucket(t, true)
		if err := b.WriteAll(ctx, "s/a", []byte("bytes"), nil); err != nil {
			t.Fatal(err)
		}
		if err := Copy(ctx, b, "d/b", "s/a"); err != nil {
			t.Fatalf("%v: %v", errno, err)
		}
		if calls == 0 {
			t.Errorf("%v: link not tried", errno)
		}
		if got, err := b.ReadAll(ctx, "d/b"); err != nil || string(got) != "bytes" {
			t.Errorf("%v: d/b = %q, %v", errno, got, err)
		}
		if pairs := linked(t, dir); len(pairs) > 0 {
			t.Errorf("%v: hard links %v", errno, pairs)
		}
		if bad := leftovers(t, dir); len(bad) > 0 {
			t.Errorf("%v: left behind %v", errno, bad)
		}
	}
}

func TestCopyConcurrent(t *testing.T) {
	ctx := context.Background()
	b, dir := lakeBucket(t, true)
	for _, k := range []string{"s/1", "s/2", "s/3", "s/4"} {
		if err := b.WriteAll(ctx, k, []byte(k), nil); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, k := range []string{"s/1", "s/2", "s/3", "s/4"} {
		for range 4 {
			wg.Go(func() {
				if err := Copy(ctx, b, "d/x", k); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	got, err := b.ReadAll(ctx, "d/x")
	if err != nil || !strings.HasPrefix(string(got), "s/") {
		t.Errorf("d/x = %q, %v", got, err)
	}
	if bad := leftovers(t, dir); len(bad) > 0 {
		t.Errorf("left behind: %v", bad)
	}
}

func TestCopyNew(t *testing.T) {
	ctx := context.Background()
	const src = "staging/readings/reading_type=kw/year=2024/month=03/day=01/hour=10/0123456789abcdef-00001.parquet"
	const dst = "readings/reading_type=kw/year=2024/month=03/day=01/hour=10/data.parquet"
	data := []byte("PAR1 staged bytes PAR1")
	for _, kind := range []string{"registered", "unregistered", "mem"} {
		t.Run(kind, func(t *testing.T) {
			open := func(t *testing.T) (*blob.Bucket, string) {
				if kind == "mem" {
					b := memblob.OpenBucket(nil)
					t.Cleanup(func() { b.Close() })
					return b, ""
				}
				return lakeBucket(t, kind == "registered")
			}
			b, dir := open(t)
			if err := b.WriteAll(ctx, src, data, nil); err != nil {
				t.Fatal(err)
			}
			copied, err := CopyNew(ctx, b, dst, src)
			if err != nil || !copied {
				t.Fatalf("CopyNew to a new key: %v, %v", copied, err)
			}
			if got, err := b.ReadAll(ctx, dst); err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s = %q, %v", dst, got, err)
			}
			if dir != "" {
				if pairs := linked(t, dir); (len(pairs) == 1) != (kind == "registered") {
					t.Errorf("hard links %v", pairs)
				}
				if bad := leftovers(t, dir); len(bad) > 0 {
					t.Errorf("left behind: %v", bad)
				}
			}

			// dst exists: nothing is copied, and dst is as it was.
			b, _ = open(t)
			old := []byte("the partition's compacted file")
			if err := b.WriteAll(ctx, src, data, nil); err != nil {
				t.Fatal(err)
			}
			if err := b.WriteAll(ctx, dst, old, nil); err != nil {
				t.Fatal(err)
			}
			if copied, err := CopyNew(ctx, b, dst, src); err != nil || copied {
				t.Errorf("CopyNew onto an existing key: %v, %v", copied, err)
			}
			if got, err := b.ReadAll(ctx, dst); err != nil || !bytes.Equal(got, old) {
				t.Errorf("%s = %q, %v; want it unchanged", dst, got, err)
			}

			// A missing source.
			b, _ = open(t)
			if _, err := CopyNew(ctx, b, dst, src); gcerrors.Code(err) != gcerrors.NotFound {
				t.Errorf("CopyNew of a missing source: %v, want NotFound", err)
			}
		})
	}
}

func TestCopyNewLinkFails(t *testing.T) {
	// Without hard links, CopyNew copies; a link that claims dst exists
	// when it does not is not believed.
	ctx := context.Background()
	saved := link
	t.Cleanup(func() { link = saved })
	for _, errno := range []syscall.Errno{syscall.EXDEV, syscall.EPERM, syscall.EEXIST} {
		link = func(oldname, newname string) error {
			return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: errno}
		}
		b, dir := lakeBucket(t, true)
		if err := b.WriteAll(ctx, "s/a", []byte("bytes"), nil); err != nil {
			t.Fatal(err)
		}
		if copied, err := CopyNew(ctx, b, "d/b", "s/a"); err != nil || !copied {
			t.Fatalf("%v: %v, %v", errno, copied, err)
		}
		if got, err := b.ReadAll(ctx, "d/b"); err != nil || string(got) != "bytes" {
			t.Errorf("%v: d/b = %q, %v", errno, got, err)
		}
		if pairs := linked(t, dir); len(pairs) > 0 {
			t.Errorf("%v: hard links %v", errno, pairs)
		}
	}
}

func TestRegisterDir(t *testing.T) {
	dir := t.TempDir()
	b, err := fileblob.OpenBucket(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if RegisterDir(b, t.TempDir()) {
		t.Error("RegisterDir accepted another directory")
	}
	if RegisterDir(b, filepath.Join(dir, "missing")) {
		t.Error("RegisterDir accepted a missing directory")
	}
	if _, ok := registeredDir(b); ok {
		t.Error("refused registrations were recorded")
	}
	if !RegisterDir(b, dir) {
		t.Fatal("RegisterDir refused the bucket's directory")
	}
	if got, _ := registeredDir(b); got != dir {
		t.Errorf("registered %q, want %q", got, dir)
	}
	// The registration goes with the bucket.
	b.Close()
	wp := weak.Make(b)
	b = nil
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		if _, ok := dirs.Load(wp); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("registration kept after the bucket was collected")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSimpleKey(t *testing.T) {
	for key, want := range map[string]bool{
		"readings/reading_type=kw/year=2024/month=03/day=01/hour=10/data.parquet": true,
		"a":               true,
		"a.b-c_d=e/f":     true,
		"":                false,
		"/a":              false,
		"a/":              false,
		"a//b":            false,
		"../a":            false,
		"a/../b":          false,
		"a../b":           false,
		"a/./b":           false,
		".":               false,
		"a b":             false,
		"a\\b":            false,
		"a:b":             false,
		"__0x2f__":        false,
		"x.attrs":         false,
		"é":               false,
		"a\x00b":          false,
		".hidden/file":    true,
		"a.b/c":           true,
		"_commits/x.json": true,
		"a_b__c":          true,
	} {
		if got := simpleKey(key); got != want {
			t.Errorf("simpleKey(%q) = %v, want %v", key, got, want)
		}
	}
}
