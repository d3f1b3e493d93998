package blobio

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"gocloud.dev/blob"
)

// dirs maps the buckets given to RegisterDir (by weak pointer, so that a
// registration does not keep a bucket alive) to their absolute root
// directories.
var dirs sync.Map // weak.Pointer[blob.Bucket] -> string

// RegisterDir records that b is a gocloud.dev fileblob bucket rooted at the
// directory dir and opened with metadata=skip (fileblob.MetadataDontWrite)
// and the default directory mode, so that [Copy] may make hard links in it
// instead of copying bytes. It reports whether b was registered: it is not
// when an object b writes is not the file of its key in dir (a bucket with
// a key prefix; a read-only one), or when dir does not exist or is not the
// directory b reports (fileblob
// buckets answer As(*os.FileInfo) with their root; other drivers do not).
//
// Only register buckets opened with metadata=skip: a bucket that writes
// ".attrs" sidecar files needs one for each object, which Copy does not
// link. A relative dir is made absolute now, as fileblob does when it
// opens the bucket.
//
// A registration lasts as long as the bucket: it is forgotten when b is
// garbage collected. Closing b does not forget it; do not Copy with a
// closed bucket.
func RegisterDir(b *blob.Bucket, dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	var root os.FileInfo
	if !b.As(&root) {
		return false
	}
	fi, err := os.Stat(abs)
	if err != nil || !os.SameFile(root, fi) {
		return false
	}
	if !keysAreFiles(b, abs) {
		return false
	}
	wp := weak.Make(b)
	if _, loaded := dirs.Swap(wp, abs); !loaded {
		runtime.AddCleanup(b, func(wp weak.Pointer[blob.Bucket]) { dirs.Delete(wp) }, wp)
	}
	return true
}

// keysAreFiles reports whether an object b writes under a simple key is
// the file of that name in dir. A bucket with a key prefix
// (blob.PrefixedBucket, "?prefix=" in a URL) passes As through to the
// fileblob below it but keeps its objects elsewhere: links made at dir/key
// would read and write another lake's files. A bucket that cannot write
// (a read-only lake) makes no copies either.
func keysAreFiles(b *blob.Bucket, dir string) bool {
	ctx := context.Background()
	key := ".mda-link-probe-" + strconv.FormatUint(rand.Uint64(), 36)
	if err := b.WriteAll(ctx, key, []byte("probe"), nil); err != nil {
		return false
	}
	defer b.Delete(ctx, key)
	data, err := os.ReadFile(filepath.Join(dir, key))
	return err == nil && string(data) == "probe"
}

// registeredDir returns the directory RegisterDir recorded for b.
func registeredDir(b *blob.Bucket) (string, bool) {
	v, ok := dirs.Load(weak.Make(b))
	if !ok {
		return "", false
	}
	return v.(string), true
}

// Copy copies the object src of b to dst, like b.Copy(ctx, dst, src, nil).
// On a bucket registered with [RegisterDir] it makes dst a hard link to src
// instead, when both keys are simple (see below): no bytes are read or
// written. fileblob writes every object to a temporary file that it renames
// into place and never changes a file in place, so a link and a copy cannot
// be told apart: overwriting or deleting either key leaves the other as it
// was. Like fileblob, Copy replaces dst atomically (link to a temporary
// name next to dst, then rename).
//
// Keys are simple when they are made of ASCII letters, digits and
// "/_=.-", do not begin or end with "/", contain no "//", no "..", no "."
// path element and no "__0x" (the start of fileblob's escape sequences),
// and do not end in ".attrs": fileblob then stores the key at
// dir/key unchanged. For other keys, and whenever linking fails (a
// missing source, a file system without hard links, a permission
// error), Copy calls b.Copy, so errors are b.Copy's: a missing src
// gives one for which gcerrors.Code is gcerrors.NotFound.
func Copy(ctx context.Context, b *blob.Bucket, dst, src string) error {
	if ctx.Err() == nil && tryLink(b, dst, src) {
		return nil
	}
	return b.Copy(ctx, dst, src, nil)
}

// CopyNew copies the object src of b to dst as Copy does, unless dst
// exists, and reports whether it did. On a bucket registered with
// [RegisterDir], with simple keys, it makes dst a hard link to src at
// once, which fails if dst exists: one system call, where Copy's link and
// rename and a check of dst before it took six. Elsewhere it checks dst
// and then copies, so the caller must keep other writers off dst
// meanwhile (Compact holds the partition's lock). A missing src gives an
// error for which gcerrors.Code is gcerrors.NotFound, unless dst exists.
func CopyNew(ctx context.Context, b *blob.Bucket, dst, src string) (bool, error) {
	if ctx.Err() == nil {
		switch tryLinkNew(b, dst, src) {
		case linkMade:
			return true, nil
		case linkExists:
			return false, nil
		}
	}
	exists, err := b.Exists(ctx, dst)
	if err != nil || exists {
		return false, err
	}
	if err := b.Copy(ctx, dst, src, nil); err != nil {
		return false, err
	}
	return true, nil
}

type linkResult int

const (
	linkNotTried linkResult = iota // or failed, having changed nothing visible
	linkMade
	linkExists // dst exists
)

// tryLinkNew makes dst a hard link to src if b is registered, the keys
// are simple and dst does not exist.
func tryLinkNew(b *blob.Bucket, dst, src string) linkResult {
	dir, ok := registeredDir(b)
	if !ok || !simpleKey(dst) || !simpleKey(src) {
		return linkNotTried
	}
	srcPath := filepath.Join(dir, filepath.FromSlash(src))
	dstPath := filepath.Join(dir, filepath.FromSlash(dst))
	// As tryLink: a missing source, a directory or a symbolic link is left
	// to the copy.
	fi, err := os.Lstat(srcPath)
	if err != nil || !fi.Mode().IsRegular() {
		return linkNotTried
	}
	if err := os.MkdirAll(filepath.Dir(dstPath), 0o777); err != nil {
		return linkNotTried
	}
	// The source is whole (fileblob renames finished files into place), so
	// dst appears whole, as fileblob's own rename would make it appear.
	switch err := link(srcPath, dstPath); {
	case err == nil:
		return linkMade
	case errors.Is(err, os.ErrExist):
		if _, err := os.Lstat(dstPath); err == nil {
			return linkExists
		}
	}
	return linkNotTried
}

// link is os.Link; tests replace it to simulate file systems without hard
// links.
var link = os.Link

// tmpSeq makes temporary names unique within the process.
var tmpSeq atomic.Uint64

// tryLink makes dst a hard link to src if b is registered and the keys are
// simple. It reports false, having changed nothing visible, when it did not.
func tryLink(b *blob.Bucket, dst, src string) bool {
	dir, ok := registeredDir(b)
	if !ok || !simpleKey(dst) || !simpleKey(src) {
		return false
	}
	srcPath := filepath.Join(dir, filepath.FromSlash(src))
	dstPath := filepath.Join(dir, filepath.FromSlash(dst))
	// Check the source before creating dst's directory, so that a missing
	// source changes nothing. fileblob treats a directory as not found and
	// follows symbolic links, which a hard link would not: copy those.
	fi, err := os.Lstat(srcPath)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	if err := os.MkdirAll(filepath.Dir(dstPath), 0o777); err != nil { // fileblob's default DirFileMode
		return false
	}
	// The temporary name follows fileblob's (no_tmp_dir): path.<hex>.tmp.
	var tmp string
	for try := 0; ; try++ {
		tmp = dstPath + "." + strconv.FormatInt(time.Now().UnixNano(), 16) + strconv.FormatUint(tmpSeq.Add(1), 16) + ".tmp"
		err = link(srcPath, tmp)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) || try == 10 {
			return false
		}
	}
	err = os.Rename(tmp, dstPath)
	// Remove tmp even after a successful rename: when dst already was a link
	// to src, rename(2) does nothing and leaves both names.
	_ = os.Remove(tmp)
	return err == nil
}

// simpleKey reports whether fileblob stores key at dir/key without escaping
// it (see gocloud.dev/blob/fileblob's escapeKey and path).
func simpleKey(key string) bool {
	if key == "" || key[0] == '/' || key[len(key)-1] == '/' ||
		strings.Contains(key, "//") || strings.Contains(key, "..") || strings.Contains(key, "__0x") ||
		strings.HasSuffix(key, ".attrs") {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '/', c == '_', c == '=', c == '.', c == '-':
		default:
			return false
		}
	}
	// ".." anywhere is excluded above: fileblob escapes the "/" after any
	// "..", also in "a../b".
	for elem := range strings.SplitSeq(key, "/") {
		if elem == "." {
			return false
		}
	}
	return true
}
