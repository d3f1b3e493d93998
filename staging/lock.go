package staging

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// ErrLocked reports a partition that another integrator holds.
var ErrLocked = errors.New("staging: partition locked by another integrator")

// lockKey names the lock of a partition path.
func lockKey(partitionPath string) string {
	return LockPrefix + strings.ReplaceAll(strings.TrimSuffix(partitionPath, "/"), "/", "~") + ".lock"
}

// acquire takes the lock of a partition: an object created only if it does
// not exist (a conditional write, which S3, GCS, Azure, fileblob and memblob
// all offer), holding its expiry. A lock older than its expiry belongs to
// an integrator that died; it is broken. acquire waits up to wait for a
// held lock, then returns ErrLocked.
func acquire(ctx context.Context, lake *blob.Bucket, partitionPath string, ttl, wait time.Duration) (release func(), err error) {
	key := lockKey(partitionPath)
	deadline := time.Now().Add(wait)
	backoff := 20 * time.Millisecond
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		expiry := time.Now().Add(ttl).UTC().Format(time.RFC3339Nano)
		// The create runs to completion even if ctx is cancelled meanwhile:
		// a create that reaches the store after its caller gave up would
		// leave a lock that nobody releases, and every integrator would wait
		// for it until it expired, leaving its partition unintegrated.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		err := lake.WriteAll(wctx, key, []byte(expiry), &blob.WriterOptions{IfNotExist: true, ContentType: "text/plain"})
		cancel()
		if err == nil {
			release := func() { lake.Delete(context.WithoutCancel(ctx), key) }
			if err := ctx.Err(); err != nil {
				release()
				return nil, err
			}
			return release, nil
		}
		if gcerrors.Code(err) != gcerrors.FailedPrecondition {
			return nil, fmt.Errorf("staging: lock %s: %w", key, err)
		}
		// Held: break it if it expired.
		if b, rerr := lake.ReadAll(ctx, key); rerr == nil {
			if t, perr := time.Parse(time.RFC3339Nano, string(b)); perr == nil && time.Now().After(t) {
				lake.Delete(ctx, key)
				continue
			}
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

func deleteIfExists(ctx context.Context, b *blob.Bucket, key string) error {
	if err := b.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return err
	}
	return nil
}
