package partition

import (
	"context"
	"os"
	"sync"
	"weak"

	"gocloud.dev/blob"
)

// DefaultFileCacheBytes is the memory bound of DefaultFileCache.
const DefaultFileCacheBytes = 64 << 20

// DefaultFileCache is the FileCache of the scans whose Filter names none.
// Resize it with SetLimit; SetLimit(0) turns it off.
var DefaultFileCache = NewFileCache(DefaultFileCacheBytes)

// FileCache keeps the opened metadata of the lake's Parquet files (footer,
// page index and bloom filters, parsed), so that a meter query that meets
// a file again reads only the few pages it needs: no request for the
// file's tail, no parsing. A one-meter week reads 168 hourly files; with
// their metadata cached it makes one request per needed column page instead
// of a tail read and a parse first.
//
// Entries are keyed by the bucket (the *blob.Bucket value, held weakly),
// the object's key and the identity the partition's listing reports for
// the object: its size, modification time and MD5 (S3, GCS and memblob
// give it for objects uploaded in one part) and, on file:// buckets under
// Linux, its inode and change time. Scans list each partition before they
// read it, so a rewritten file (Compact replaces a partition's file in
// one PUT or rename) shows up with a new identity and is opened afresh;
// its stale entry is never served, and ages out. The identity costs no
// request: it comes from the listing a scan makes anyway. (Asking the
// bucket for each file's Attributes would add a stat per file, cheap on
// file:// but a HEAD request on S3, more than the cache saves.) What the
// listing cannot tell apart is a rewrite with the same size within the
// store's modification-time resolution when the store gives no MD5: S3
// objects uploaded in several parts (larger than the uploader's part
// size, 5 MiB by default) rewritten within the same second. Hourly files
// are far below that; a lake of larger files that are rewritten within
// seconds of being read should turn the cache off (NewFileCache(0), or
// DefaultFileCache.SetLimit(0)).
//
// The cache is bounded by an estimate of the memory its entries hold
// (the bytes of their footers, page indexes and bloom filters, and the
// structures parsed from them), and evicts the least recently used. A scan
// of every meter reads through the cache but does not fill it, so that a
// scan of the whole lake does not push out the files that meter queries
// keep using. A FileCache is safe for concurrent use; concurrent scans that
// miss the same file open it once.
type FileCache struct {
	mu      sync.Mutex
	limit   int64
	bytes   int64
	entries map[fileID]*cacheEntry
	lru     cacheEntry // sentinel: lru.next is the most recently used
	loading map[fileID]*cacheLoad

	hits, misses, evictions int64
}

// FileCacheStats reports the state of a FileCache.
type FileCacheStats struct {
	Entries                 int
	Bytes, Limit            int64
	Hits, Misses, Evictions int64
}

// fileID identifies a version of an object of a bucket.
type fileID struct {
	bucket weak.Pointer[blob.Bucket]
	path   string
	size   int64
	mod    int64  // modification time, Unix nanoseconds
	md5    string // empty if the store gave none
	ino    uint64 // file:// on Linux: inode and change time
	ctime  int64
}

type cacheEntry struct {
	id         fileID
	meta       *fileMeta
	prev, next *cacheEntry
}

// cacheLoad is an open in progress, which other scans wait for.
type cacheLoad struct {
	done chan struct{}
	meta *fileMeta
	err  error
}

// NewFileCache returns a cache that holds up to about maxBytes of file
// metadata. A cache with maxBytes <= 0 holds nothing.
func NewFileCache(maxBytes int64) *FileCache {
	c := &FileCache{limit: max(maxBytes, 0), entries: make(map[fileID]*cacheEntry), loading: make(map[fileID]*cacheLoad)}
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	return c
}

// SetLimit changes the memory bound, evicting entries to meet it. A limit
// <= 0 empties the cache and turns it off.
func (c *FileCache) SetLimit(maxBytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit = max(maxBytes, 0)
	c.evictLocked()
}

// Purge removes every entry.
func (c *FileCache) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.lru.next; e != &c.lru; e = e.next {
		delete(c.entries, e.id)
	}
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	c.bytes = 0
}

// Stats returns the cache's counters.
func (c *FileCache) Stats() FileCacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return FileCacheStats{Entries: len(c.entries), Bytes: c.bytes, Limit: c.limit,
		Hits: c.hits, Misses: c.misses, Evictions: c.evictions}
}

// lookup returns the entry of id, or nil.
func (c *FileCache) lookup(id *fileID) *fileMeta {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[*id]
	if e == nil {
		c.misses++
		return nil
	}
	c.hits++
	c.unlink(e)
	c.pushFront(e)
	return e.meta
}

// get returns the entry of id, calling open to make it if there is none
// (once for all the callers that miss it at the same time). cached reports
// whether the answer came from the cache or another caller's open.
func (c *FileCache) get(ctx context.Context, id *fileID, open func() (*fileMeta, error)) (m *fileMeta, cached bool, err error) {
	c.mu.Lock()
	if c.limit <= 0 {
		c.mu.Unlock()
		m, err = open()
		return m, false, err
	}
	if e := c.entries[*id]; e != nil {
		c.hits++
		c.unlink(e)
		c.pushFront(e)
		c.mu.Unlock()
		return e.meta, true, nil
	}
	c.misses++
	if l := c.loading[*id]; l != nil {
		c.mu.Unlock()
		select {
		case <-l.done:
			if l.err == nil {
				return l.meta, true, nil
			}
			// The other open failed, perhaps for its own context: try ours.
			m, err = open()
			return m, false, err
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
	l := &cacheLoad{done: make(chan struct{})}
	c.loading[*id] = l
	c.mu.Unlock()

	defer func() {
		if r := recover(); r != nil {
			l.err = errOpenPanicked
			c.finishLoad(id, l)
			panic(r)
		}
	}()
	l.meta, l.err = open()
	c.finishLoad(id, l)
	return l.meta, false, l.err
}

// finishLoad publishes a finished open.
func (c *FileCache) finishLoad(id *fileID, l *cacheLoad) {
	c.mu.Lock()
	delete(c.loading, *id)
	if l.err == nil && l.meta.cost <= c.limit && c.entries[*id] == nil {
		l.meta.cache, l.meta.id = c, *id
		e := &cacheEntry{id: *id, meta: l.meta}
		c.entries[*id] = e
		c.pushFront(e)
		c.bytes += e.meta.cost
		c.evictLocked()
	}
	c.mu.Unlock()
	close(l.done)
}

// grow adds delta bytes to the account of m, if m is still cached.
func (c *FileCache) grow(m *fileMeta, delta int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[m.id]; e != nil && e.meta == m {
		m.cost += delta
		c.bytes += delta
		c.evictLocked()
	}
}

func (c *FileCache) evictLocked() {
	for c.bytes > c.limit && c.lru.prev != &c.lru {
		e := c.lru.prev
		c.unlink(e)
		delete(c.entries, e.id)
		c.bytes -= e.meta.cost
		c.evictions++
	}
}

func (c *FileCache) unlink(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (c *FileCache) pushFront(e *cacheEntry) {
	e.prev, e.next = &c.lru, c.lru.next
	c.lru.next.prev = e
	c.lru.next = e
}

type openPanicError struct{}

func (openPanicError) Error() string { return "partition: opening a file panicked" }

var errOpenPanicked error = openPanicError{}

// fileIDOf returns the cache key of a listed object, or false if the
// listing gave too little to identify its version (no modification time).
func fileIDOf(b *blob.Bucket, obj *blob.ListObject) (fileID, bool) {
	if obj.ModTime.IsZero() {
		return fileID{}, false
	}
	id := fileID{bucket: weak.Make(b), path: obj.Key, size: obj.Size, mod: obj.ModTime.UnixNano(), md5: string(obj.MD5)}
	var fi os.FileInfo
	if obj.As(&fi) && fi != nil {
		id.ino, id.ctime = statIdentity(fi)
	}
	return id, true
}
