package staging

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// ErrLocked reports a partition that another integrator holds.
var ErrLocked = errors.New("staging: partition locked by another integrator")

// ErrLockLost reports a lock that expired and was broken while its holder
// still worked: the holder stops before it writes.
var ErrLockLost = errors.New("staging: partition lock lost (held past its TTL and broken by another integrator)")

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
}

// acquire takes the lock of a partition: an object created only if it does
// not exist (a conditional write, which S3, GCS, Azure, fileblob and memblob
// all offer), holding its expiry and a token unique to the holder. A lock
// older than its expiry belongs to an integrator that died; it is broken
// (see dropGeneration). acquire waits up to wait for a held lock, then
// returns ErrLocked.
func acquire(ctx context.Context, lake *blob.Bucket, partitionPath string, ttl, wait time.Duration) (*lock, error) {
	key := lockKey(partitionPath)
	deadline := time.Now().Add(wait)
	backoff := 20 * time.Millisecond
	token := make([]byte, 12)
	rand.Read(token)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		content := []byte(time.Now().Add(ttl).UTC().Format(time.RFC3339Nano) + " " + hex.EncodeToString(token))
		// The create runs to completion even if ctx is cancelled meanwhile:
		// a create that reaches the store after its caller gave up would
		// leave a lock that nobody releases, and every integrator would wait
		// for it until it expired, leaving its partition unintegrated.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		err := lake.WriteAll(wctx, key, content, &blob.WriterOptions{IfNotExist: true, ContentType: "text/plain"})
		cancel()
		if err == nil {
			l := &lock{lake: lake, key: key, content: content}
			if err := ctx.Err(); err != nil {
				l.release(ctx)
				return nil, err
			}
			return l, nil
		}
		if gcerrors.Code(err) != gcerrors.FailedPrecondition {
			return nil, fmt.Errorf("staging: lock %s: %w", key, err)
		}
		// Held: break it if it expired.
		seen, rerr := lake.ReadAll(ctx, key)
		switch {
		case gcerrors.Code(rerr) == gcerrors.NotFound:
			continue // released meanwhile
		case rerr == nil && lockExpired(seen):
			if err := dropGeneration(ctx, lake, key, seen); err != nil {
				return nil, err
			}
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, partitionPath)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// lockExpired reports whether a lock's content ("expiry token", or the
// expiry alone, as locks were written before tokens) has expired.
func lockExpired(content []byte) bool {
	expiry, _, _ := strings.Cut(string(content), " ")
	t, err := time.Parse(time.RFC3339Nano, expiry)
	return err == nil && time.Now().After(t)
}

// dropGeneration deletes the lock if it still holds content. Deleting is
// a read and a delete, which two integrators could interleave with a third
// one's create (one breaks the lock, the third takes it, the other deletes
// the third's lock); so whoever deletes a generation must first win the
// conditional create of that generation's marker. Only one integrator wins
// it, and it deletes the lock only if the lock still holds that generation,
// which no one else can then replace, since replacing starts with a delete.
// The marker is removed after the lock. A holder that releases its own lock
// goes through the same election, so it cannot delete a successor's lock.
func dropGeneration(ctx context.Context, lake *blob.Bucket, key string, content []byte) error {
	ctx = context.WithoutCancel(ctx) // a half-done break would hold the partition until the marker is cleared
	marker := breakKey(key, content)
	err := lake.WriteAll(ctx, marker, []byte(time.Now().UTC().Format(time.RFC3339Nano)), &blob.WriterOptions{IfNotExist: true, ContentType: "text/plain"})
	if gcerrors.Code(err) == gcerrors.FailedPrecondition {
		return nil // another integrator is dropping this generation
	}
	if err != nil {
		return fmt.Errorf("staging: break lock %s: %w", key, err)
	}
	defer lake.Delete(ctx, marker)
	cur, err := lake.ReadAll(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("staging: break lock %s: %w", key, err)
	}
	if !bytes.Equal(cur, content) {
		return nil // already another generation
	}
	if err := deleteIfExists(ctx, lake, key); err != nil {
		return fmt.Errorf("staging: break lock %s: %w", key, err)
	}
	return nil
}

// check reports ErrLockLost unless the lock still holds this holder's
// generation: the fence before a compaction's write.
func (l *lock) check(ctx context.Context) error {
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
}

func deleteIfExists(ctx context.Context, b *blob.Bucket, key string) error {
	if err := b.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return err
	}
	return nil
}
