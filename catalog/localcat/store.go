package localcat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/openmda/mda/internal/atomicfile"
)

// store holds the manifests: small immutable objects, created at most once.
type store interface {
	// create writes key if it does not exist, atomically: of writers
	// racing for one key, exactly one gets created == true.
	create(ctx context.Context, key string, data []byte) (created bool, err error)
	// read returns key's content, or an error matching fs.ErrNotExist.
	read(ctx context.Context, key string) ([]byte, error)
	// list returns the keys that start with prefix and have no '/' after
	// it, sorted.
	list(ctx context.Context, prefix string) ([]string, error)
	// remove deletes key; a key that does not exist is not an error.
	remove(ctx context.Context, key string) error
	as(i any) bool
	errorAs(err error, i any) bool
	close() error
}

// blobStore keeps manifests in a bucket, relying on WriterOptions.IfNotExist
// (a conditional put on S3, GCS and Azure; a locked check in memblob).
type blobStore struct {
	b     *blob.Bucket
	owned bool // close b on close
}

func (s *blobStore) create(ctx context.Context, key string, data []byte) (bool, error) {
	err := s.b.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: "application/json", IfNotExist: true})
	if gcerrors.Code(err) == gcerrors.FailedPrecondition {
		return false, nil
	}
	return err == nil, err
}

func (s *blobStore) read(ctx context.Context, key string) ([]byte, error) {
	data, err := s.b.ReadAll(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	}
	return data, err
}

func (s *blobStore) list(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	it := s.b.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		if !obj.IsDir {
			keys = append(keys, obj.Key)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

func (s *blobStore) remove(ctx context.Context, key string) error {
	if err := s.b.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return err
	}
	return nil
}

func (s *blobStore) as(i any) bool {
	p, ok := i.(**blob.Bucket)
	if ok {
		*p = s.b
	}
	return ok
}

func (s *blobStore) errorAs(err error, i any) bool { return s.b.ErrorAs(err, i) }

func (s *blobStore) close() error {
	if s.owned {
		return s.b.Close()
	}
	return nil
}

// dirStore keeps manifests in a local directory. It does not use fileblob,
// whose IfNotExist checks and then renames, which two processes can both
// pass: it writes a temporary file and hard-links it to its name, which
// fails if the name exists, atomically.
type dirStore struct {
	dir string
}

func (s *dirStore) path(key string) string { return filepath.Join(s.dir, filepath.FromSlash(key)) }

func (s *dirStore) create(ctx context.Context, key string, data []byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return atomicfile.CreateExclusive(s.path(key), data)
}

func (s *dirStore) read(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return os.ReadFile(s.path(key))
}

func (s *dirStore) list(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir, base := path.Split(prefix)
	entries, err := os.ReadDir(s.path(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && strings.HasPrefix(n, base) && !strings.HasPrefix(n, ".") {
			keys = append(keys, dir+n)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

func (s *dirStore) remove(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(s.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (s *dirStore) as(i any) bool {
	p, ok := i.(*string)
	if ok {
		*p = s.dir
	}
	return ok
}

func (s *dirStore) errorAs(err error, i any) bool { return errors.As(err, i) }

func (s *dirStore) close() error { return nil }
