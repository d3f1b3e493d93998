package staging

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"weak"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/openmda/mda/internal/atomicfile"
)

// ErrLocked reports a partition that another integrator holds.
var ErrLocked = errors.New("staging: partition locked by another integrator")

// ErrLockLost reports a lock that expired (and may have been broken)
// while its holder still worked: the holder stops before it writes.
var ErrLockLost = errors.New("staging: partition lock lost (held past its TTL)")

// markerTTL is how old a break marker must be before it is taken for the
// leftover of a breaker that died: a break takes a read and a delete.
const markerTTL = time.Minute

// lockKey names the lock of a partition path.
func lockKey(partitionPath string) string {
	return LockPrefix + strings.ReplaceAll(strings.TrimSuffix(partitionPath, "/"), "/", "~") + ".lock"
}

// breakKey names the marker whose conditional create elects the one
// integrator that may delete a given generation of a lock (its content).
func breakKey(lock string, content []byte) string {
	sum := sha256.Sum256(content)
	return lock + ".break-" + hex.EncodeToString(sum[:8])
}

// lock is a held partition lock.
type lock struct {
	lake    *blob.Bucket
	key     string
	content []byte // expiry and a token of this holder's own
	expiry  time.Time
	local   *localHolder
}

// localHolder is a lock's entry in this process's table.
type localHolder struct{ expiry time.Time }

// localLocks holds the partition locks of this process, by bucket and key:
// the integrators of one process (a scheduled run, a late-read handler)
// exclude each other without a round trip, whatever the store.
var localLocks = struct {
	sync.Mutex
	m map[localKey]*localHolder
}{m: map[localKey]*localHolder{}}

type localKey struct {
	b   *blob.Bucket
	key string
}

// takeLocal takes key in this process's table unless a holder whose lock
// has not expired has it.
func takeLocal(b *blob.Bucket, key string, expiry time.Time) *localHolder {
	localLocks.Lock()
	defer localLocks.Unlock()
	k := localKey{b, key}
	if h := localLocks.m[k]; h != nil && time.Now().Before(h.expiry) {
		return nil
	}
	h := &localHolder{expiry: expiry}
	localLocks.m[k] = h
	return h
}

// renewLocal moves a held entry's expiry.
func renewLocal(h *localHolder, expiry time.Time) {
	localLocks.Lock()
	defer localLocks.Unlock()
	h.expiry = expiry
}

func dropLocal(b *blob.Bucket, key string, h *localHolder) {
	localLocks.Lock()
	defer localLocks.Unlock()
	if k := (localKey{b, key}); localLocks.m[k] == h {
		delete(localLocks.m, k)
	}
}

// acquire takes the lock of a partition: an object created only if it does
// not exist, holding its expiry and a token unique to the holder. The
// create is atomic: a conditional write on object stores (S3, GCS, Azure,
// memblob) and a hard link on a local directory (fileblob's own
// IfNotExist checks and then renames, which two writers can both pass). A
// lock older than its expiry belongs to an integrator that died; it is
// broken (see dropGeneration). acquire waits up to wait for a held lock,
// then returns ErrLocked.
func acquire(ctx context.Context, lake *blob.Bucket, partitionPath string, ttl, wait time.Duration) (*lock, error) {
	key := lockKey(partitionPath)
	deadline := time.Now().Add(wait)
	backoff := 20 * time.Millisecond
	token := make([]byte, 12)
	rand.Read(token)
	var local *localHolder
	for {
		if err := ctx.Err(); err != nil {
			if local != nil {
				dropLocal(lake, key, local)
			}
			return nil, err
		}
		expiry := time.Now().Add(ttl).UTC()
		if local == nil {
			local = takeLocal(lake, key, expiry)
		} else {
			renewLocal(local, expiry)
		}
		if local != nil {
			content := []byte(expiry.Format(time.RFC3339Nano) + " " + hex.EncodeToString(token))
			// The create runs to completion even if ctx is cancelled
			// meanwhile: a create that reaches the store after its caller
			// gave up would leave a lock that nobody releases.
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			created, err := createExclusive(wctx, lake, key, content)
			cancel()
			if err != nil {
				dropLocal(lake, key, local)
				return nil, fmt.Errorf("staging: lock %s: %w", key, err)
			}
			if created {
				l := &lock{lake: lake, key: key, content: content, expiry: expiry, local: local}
				if err := ctx.Err(); err != nil {
					l.release(ctx)
					return nil, err
				}
				return l, nil
			}
			// Held by another process: break it if it expired.
			seen, rerr := lake.ReadAll(ctx, key)
			switch {
			case gcerrors.Code(rerr) == gcerrors.NotFound:
				// Released meanwhile: the next try, after the backoff,
				// may take it (a lock that reads as missing at once again
				// must not make this spin).
			case rerr == nil && lockExpired(seen):
				dropped, err := dropGeneration(ctx, lake, key, seen)
				if err != nil {
					dropLocal(lake, key, local)
					return nil, err
				}
				if dropped {
					continue
				}
			}
		}
		if time.Now().After(deadline) {
			if local != nil {
				dropLocal(lake, key, local)
			}
			return nil, fmt.Errorf("%w: %s", ErrLocked, partitionPath)
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// lockExpired reports whether a lock's content ("expiry token", or the
// expiry alone, as locks were written before tokens) has expired. Content
// that does not parse has: a lock is whole when it appears (see
// createExclusive), so only a crash of the operating system leaves a torn
// one, and its holder ended with it.
func lockExpired(content []byte) bool {
	expiry, _, _ := strings.Cut(string(content), " ")
	t, err := time.Parse(time.RFC3339Nano, expiry)
	return err != nil || time.Now().After(t)
}

// dropGeneration deletes the lock if it still holds content, and reports
// whether it did. Deleting is a read and a delete, which two integrators
// could interleave with a third one's create (one breaks the lock, the
// third takes it, the other deletes the third's lock); so whoever deletes a
// generation must first win the exclusive create of that generation's
// marker. Only one integrator wins it, and it deletes the lock only if the
// lock still holds that generation, which no one else can then replace,
// since replacing starts with a delete. The marker is removed after the
// lock. A holder that releases its own lock goes through the same
// election, so it cannot delete a successor's lock. A marker older than
// markerTTL is the leftover of a breaker that died between the two: it is
// removed, and the election held again.
func dropGeneration(ctx context.Context, lake *blob.Bucket, key string, content []byte) (bool, error) {
	ctx = context.WithoutCancel(ctx) // a half-done break holds the partition until the marker is stale
	marker := breakKey(key, content)
	won, err := createExclusive(ctx, lake, marker, []byte(time.Now().UTC().Format(time.RFC3339Nano)))
	if err != nil {
		return false, fmt.Errorf("staging: break lock %s: %w", key, err)
	}
	if !won {
		if b, err := lake.ReadAll(ctx, marker); err == nil {
			if t, perr := time.Parse(time.RFC3339Nano, string(b)); perr != nil || time.Since(t) > markerTTL {
				deleteIfExists(ctx, lake, marker)
			}
		}
		return false, nil // another integrator is dropping this generation
	}
	defer lake.Delete(ctx, marker)
	cur, err := lake.ReadAll(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("staging: break lock %s: %w", key, err)
	}
	if !bytes.Equal(cur, content) {
		return false, nil // already another generation
	}
	if err := deleteIfExists(ctx, lake, key); err != nil {
		return false, fmt.Errorf("staging: break lock %s: %w", key, err)
	}
	return true, nil
}

// check reports ErrLockLost unless the lock is still this holder's and
// has not expired: the fence before a compaction's write. An expired lock
// may be broken at any moment, so its holder must not start a write.
func (l *lock) check(ctx context.Context) error {
	if !time.Now().Before(l.expiry) {
		return fmt.Errorf("%w: %s expired at %v", ErrLockLost, l.key, l.expiry)
	}
	cur, err := l.lake.ReadAll(ctx, l.key)
	if gcerrors.Code(err) == gcerrors.NotFound || err == nil && !bytes.Equal(cur, l.content) {
		return fmt.Errorf("%w: %s", ErrLockLost, l.key)
	}
	if err != nil {
		return fmt.Errorf("staging: check lock %s: %w", l.key, err)
	}
	return nil
}

// release drops the lock if it is still this holder's.
func (l *lock) release(ctx context.Context) {
	dropGeneration(ctx, l.lake, l.key, l.content)
	dropLocal(l.lake, l.key, l.local)
}

func deleteIfExists(ctx context.Context, b *blob.Bucket, key string) error {
	if err := b.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return err
	}
	return nil
}

// createExclusive writes key unless it exists, atomically, and reports
// whether it did. Readers see the object whole or not at all. On a local
// bucket it is not synced: locks and break markers are worthless after a
// crash of the operating system, and their readers take a torn one (which
// only such a crash leaves) for an expired or stale one; fileblob does not
// sync the lake's data files either.
func createExclusive(ctx context.Context, b *blob.Bucket, key string, data []byte) (bool, error) {
	root, err := localRoot(ctx, b)
	if err != nil {
		return false, err
	}
	if root == "" {
		err := b.WriteAll(ctx, key, data, &blob.WriterOptions{IfNotExist: true, ContentType: "text/plain"})
		if gcerrors.Code(err) == gcerrors.FailedPrecondition {
			return false, nil
		}
		return err == nil, err
	}
	// A temporary file linked to its name: the link fails if the name
	// exists, atomically, in every process.
	// root is the probe's path less its key: the bucket's directory with
	// any prefix of its own ("file:///d?prefix=tenant-a-"), so the key
	// is appended, not joined.
	return atomicfile.CreateExclusiveNoSync(root+filepath.FromSlash(key), data)
}

// localRoots caches the directories of local (fileblob) buckets; "" for
// other buckets. Weak keys: a closed bucket is not kept alive.
var localRoots sync.Map // weak.Pointer[blob.Bucket] -> string

// localRoot returns the directory of a fileblob bucket, "" for others.
// fileblob does not tell it, but its readers give their *os.File: the
// path of a probe object, less its key, is the root. The probe checks that
// the bucket maps a lock key to the same path.
func localRoot(ctx context.Context, b *blob.Bucket) (string, error) {
	wk := weak.Make(b)
	if v, ok := localRoots.Load(wk); ok {
		return v.(string), nil
	}
	var fi os.FileInfo
	if !b.As(&fi) {
		localRoots.Store(wk, "")
		return "", nil
	}
	// A name of its own: integrators of one process probe at once.
	nonce := make([]byte, 8)
	rand.Read(nonce)
	probe := LockPrefix + "_probe-" + hex.EncodeToString(nonce) + "~reading_type=kw.lock"
	if err := b.WriteAll(ctx, probe, []byte("probe"), nil); err != nil {
		return "", fmt.Errorf("staging: probing the local bucket: %w", err)
	}
	var f *os.File
	r, err := b.NewRangeReader(ctx, probe, 0, 0, &blob.ReaderOptions{BeforeRead: func(as func(any) bool) error {
		as(&f)
		return nil
	}})
	if err != nil {
		return "", fmt.Errorf("staging: probing the local bucket: %w", err)
	}
	name := ""
	if f != nil {
		name = f.Name()
	}
	r.Close()
	b.Delete(ctx, probe)
	root, ok := strings.CutSuffix(name, filepath.FromSlash(probe))
	if !ok || root == "" {
		return "", fmt.Errorf("staging: the local bucket keeps %s at %q, not under a root: locks cannot be created atomically", probe, name)
	}
	localRoots.Store(wk, root)
	return root, nil
}
