package localcat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openmda/mda/catalog"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob" // mem:// catalogs
	"gocloud.dev/gcerrors"
)

// DefaultPrefix is where manifests are kept in the bucket. The leading
// underscore makes Athena, Spark, Hive and Trino treat it as hidden, so
// that it is never read as table data, even when the catalog lives in the
// lake's bucket.
const DefaultPrefix = "_catalog/"

// DefaultMaxAttempts bounds the conditional writes of one update.
const DefaultMaxAttempts = 100

// FormatVersion is the "format" field of manifests written by this
// package.
const FormatVersion = "mda-localcat/1"

// Options configures a local catalog. Nil means the defaults.
type Options struct {
	// Prefix is the key prefix of the manifests, ending in '/'; default
	// DefaultPrefix.
	Prefix string
	// MaxAttempts bounds how many times an update re-reads and retries
	// after losing a race to another writer; default DefaultMaxAttempts.
	// An update that loses every time fails with catalog.ErrAborted.
	MaxAttempts int
	// DefaultDatabase is passed to catalog.Options.
	DefaultDatabase string
}

func (o *Options) resolve() (Options, error) {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Prefix == "" {
		r.Prefix = DefaultPrefix
	}
	if !strings.HasSuffix(r.Prefix, "/") || strings.HasPrefix(r.Prefix, "/") {
		return r, fmt.Errorf("localcat: prefix %q must end, and not start, with '/'", r.Prefix)
	}
	if r.MaxAttempts < 0 {
		return r, fmt.Errorf("localcat: negative MaxAttempts %d", r.MaxAttempts)
	}
	if r.MaxAttempts == 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	return r, nil
}

// Open returns a catalog kept in b. b stays the caller's: Close does not
// close it. b must support atomic conditional creation
// (blob.WriterOptions.IfNotExist): memblob, s3blob, gcsblob and azureblob
// do. fileblob's IfNotExist is a check followed by a rename, which two
// writers can both pass, so Open refuses a fileblob bucket: use OpenDir
// (or a file:// URL) for a catalog on a local file system.
func Open(b *blob.Bucket, opts *Options) (*catalog.Catalog, error) {
	var fi os.FileInfo
	if b.As(&fi) {
		return nil, errors.New("localcat: fileblob buckets cannot create files atomically; use OpenDir for a local directory")
	}
	return open(&blobStore{b: b}, opts)
}

// OpenDir returns a catalog kept in the local directory dir (created if
// needed), safe for concurrent writers in any number of processes on one
// machine (manifests are created with hard links, which fail if the name
// exists).
func OpenDir(dir string, opts *Options) (*catalog.Catalog, error) {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("localcat: %w", err)
	}
	return open(&dirStore{dir: dir}, opts)
}

func open(s store, opts *Options) (*catalog.Catalog, error) {
	o, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	return catalog.NewCatalog(&driver{s: s, opts: o}, &catalog.Options{DefaultDatabase: o.DefaultDatabase}), nil
}

// driver implements catalog.Driver on a store.
//
// Layout, under the prefix:
//
//	<db>/database.json                  the database, created once
//	<db>/<table>/v00000000000000000001.json   manifest version 1
//	<db>/<table>/v00000000000000000002.json   version 2, ...
//
// A manifest holds the whole table: its definition and its partitions.
// Versions are immutable; the latest (highest) is the table's state. An
// update reads the latest, version N, applies its change and creates
// version N+1 with a conditional write that fails if N+1 exists. Of
// writers racing from N, one wins; the others re-read (now N+1) and
// retry, so no update is lost. Old versions are kept (the table's
// history); delete them only while no writer runs.
type driver struct {
	s    store
	opts Options
}

// manifest is the content of a version.
type manifest struct {
	Format     string
	Version    int64
	Table      *catalog.Table
	Partitions []catalog.Partition
}

func (d *driver) dbKey(db string) string       { return d.opts.Prefix + db + "/database.json" }
func (d *driver) tableDir(db, t string) string { return d.opts.Prefix + db + "/" + t + "/" }
func versionName(n int64) string               { return fmt.Sprintf("v%020d.json", n) }

// latest reads the table's latest manifest; a nil manifest if it has none.
func (d *driver) latest(ctx context.Context, db, table string) (*manifest, error) {
	dir := d.tableDir(db, table)
	for attempt := 0; ; attempt++ {
		keys, err := d.s.list(ctx, dir+"v")
		if err != nil {
			return nil, err
		}
		var best int64
		var bestKey string
		for _, k := range keys {
			name := path.Base(k)
			if !strings.HasSuffix(name, ".json") {
				continue
			}
			n, err := strconv.ParseInt(strings.TrimSuffix(name[1:], ".json"), 10, 64)
			if err == nil && n > best {
				best, bestKey = n, k
			}
		}
		if bestKey == "" {
			return nil, nil
		}
		data, err := d.s.read(ctx, bestKey)
		if errors.Is(err, fs.ErrNotExist) && attempt < 3 {
			continue // deleted between list and read: list again
		}
		if err != nil {
			return nil, err
		}
		var m manifest
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("localcat: %s: %w", bestKey, err)
		}
		if m.Format != FormatVersion || m.Version != best || m.Table == nil {
			return nil, fmt.Errorf("localcat: %s: not a %s manifest of version %d", bestKey, FormatVersion, best)
		}
		return &m, nil
	}
}

func (d *driver) write(ctx context.Context, db, table string, m *manifest) (bool, error) {
	slices.SortFunc(m.Partitions, func(a, b catalog.Partition) int { return slices.Compare(a.Values, b.Values) })
	data, err := json.MarshalIndent(m, "", "\t")
	if err != nil {
		return false, err
	}
	return d.s.create(ctx, d.tableDir(db, table)+versionName(m.Version), append(data, '\n'))
}

// update applies fn to the latest manifest and writes it as the next
// version, retrying from the new latest when another writer got there
// first. fn returns false if nothing changed, and must be repeatable.
func (d *driver) update(ctx context.Context, db, table string, fn func(*manifest) (bool, error)) error {
	for attempt := 0; attempt < d.opts.MaxAttempts; attempt++ {
		if attempt > 0 {
			// Jittered backoff, growing to 50ms, so that losers spread out.
			wait := time.Duration(rand.Int64N(int64(min(attempt, 50))*int64(time.Millisecond) + 1))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		m, err := d.latest(ctx, db, table)
		if err != nil {
			return err
		}
		if m == nil {
			return catalog.Errorf(catalog.NotFound, "table %s.%s not found", db, table)
		}
		changed, err := fn(m)
		if err != nil || !changed {
			return err
		}
		m.Version++
		created, err := d.write(ctx, db, table, m)
		if err != nil || created {
			return err
		}
	}
	return catalog.Errorf(catalog.Aborted, "table %s.%s: lost %d races with other writers", db, table, d.opts.MaxAttempts)
}

func (d *driver) CreateDatabase(ctx context.Context, db *catalog.Database) error {
	data, err := json.MarshalIndent(struct {
		Format string
		*catalog.Database
	}{FormatVersion, db}, "", "\t")
	if err != nil {
		return err
	}
	created, err := d.s.create(ctx, d.dbKey(db.Name), append(data, '\n'))
	if err == nil && !created {
		return catalog.Errorf(catalog.AlreadyExists, "database %s exists", db.Name)
	}
	return err
}

func (d *driver) GetTable(ctx context.Context, db, name string) (*catalog.Table, error) {
	m, err := d.latest(ctx, db, name)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, catalog.Errorf(catalog.NotFound, "table %s.%s not found", db, name)
	}
	return m.Table, nil
}

func (d *driver) CreateTable(ctx context.Context, t *catalog.Table) error {
	if _, err := d.s.read(ctx, d.dbKey(t.Database)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return catalog.Errorf(catalog.NotFound, "database %s not found", t.Database)
		}
		return err
	}
	created, err := d.write(ctx, t.Database, t.Name, &manifest{Format: FormatVersion, Version: 1, Table: t})
	if err == nil && !created {
		return catalog.Errorf(catalog.AlreadyExists, "table %s exists", t.QualifiedName())
	}
	return err
}

func (d *driver) UpdateTable(ctx context.Context, t *catalog.Table) error {
	return d.update(ctx, t.Database, t.Name, func(m *manifest) (bool, error) {
		m.Table = t
		return true, nil
	})
}

func valuesKey(v []string) string { return strings.Join(v, "\x00") }

func (d *driver) AddPartitions(ctx context.Context, t *catalog.Table, parts []catalog.Partition) error {
	return d.update(ctx, t.Database, t.Name, func(m *manifest) (bool, error) {
		have := make(map[string]bool, len(m.Partitions))
		for _, p := range m.Partitions {
			have[valuesKey(p.Values)] = true
		}
		changed := false
		for _, p := range parts {
			if !have[valuesKey(p.Values)] {
				m.Partitions = append(m.Partitions, p)
				changed = true
			}
		}
		return changed, nil
	})
}

func (d *driver) ListPartitions(ctx context.Context, db, table string, f *catalog.Filter) ([]catalog.Partition, error) {
	m, err := d.latest(ctx, db, table)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, catalog.Errorf(catalog.NotFound, "table %s.%s not found", db, table)
	}
	keys := m.Table.PartitionKeyNames()
	out := make([]catalog.Partition, 0, len(m.Partitions))
	for _, p := range m.Partitions {
		if f.Match(keys, p.Values) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (d *driver) DropPartitions(ctx context.Context, t *catalog.Table, values [][]string) error {
	drop := make(map[string]bool, len(values))
	for _, v := range values {
		drop[valuesKey(v)] = true
	}
	return d.update(ctx, t.Database, t.Name, func(m *manifest) (bool, error) {
		n := len(m.Partitions)
		m.Partitions = slices.DeleteFunc(m.Partitions, func(p catalog.Partition) bool { return drop[valuesKey(p.Values)] })
		return len(m.Partitions) != n, nil
	})
}

func (d *driver) Limits() catalog.Limits { return catalog.Limits{} }

func (d *driver) ErrorCode(err error) catalog.ErrorCode {
	switch {
	case errors.Is(err, fs.ErrNotExist), gcerrors.Code(err) == gcerrors.NotFound:
		return catalog.NotFound
	case gcerrors.Code(err) == gcerrors.InvalidArgument:
		return catalog.InvalidArgument
	}
	return catalog.Unknown
}

func (d *driver) As(i any) bool                 { return d.s.as(i) }
func (d *driver) ErrorAs(err error, i any) bool { return d.s.errorAs(err, i) }
func (d *driver) Close() error                  { return d.s.close() }

// Schemes registered with catalog.DefaultURLMux. For s3, gs and azblob
// the program must also import the gocloud.dev blob driver (s3blob, ...).
var Schemes = []string{"mem", "file", "s3", "gs", "azblob"}

func init() {
	for _, s := range Schemes {
		catalog.DefaultURLMux().RegisterCatalog(s, new(URLOpener))
	}
}

// URLOpener opens local catalogs by URL:
//
//	mem://                    a new in-memory catalog
//	file:///path/to/dir       a catalog in a directory (OpenDir);
//	                          file://./rel for a relative one
//	s3://bucket?region=...    a catalog in a bucket (Open), by blob URL
//
// The URL's query parameters are the blob URL's (fileblob's create_dir,
// metadata and no_tmp_dir are accepted and ignored for file:// URLs),
// plus these, which localcat removes first:
//
//	database  catalog.Options.DefaultDatabase
//	catalog_prefix  the manifests' prefix (Options.Prefix)
type URLOpener struct {
	// Options are the defaults that URL parameters override.
	Options Options
}

// OpenCatalogURL implements catalog.CatalogURLOpener.
func (o *URLOpener) OpenCatalogURL(ctx context.Context, u *url.URL) (*catalog.Catalog, error) {
	opts := o.Options
	q := u.Query()
	if q.Has("database") {
		opts.DefaultDatabase = q.Get("database")
		q.Del("database")
	}
	if q.Has("catalog_prefix") {
		opts.Prefix = q.Get("catalog_prefix")
		q.Del("catalog_prefix")
	}
	if u.Scheme == "file" {
		for k := range q {
			switch k {
			case "create_dir", "metadata", "no_tmp_dir":
			default:
				return nil, fmt.Errorf("localcat: invalid query parameter %q", k)
			}
		}
		p := u.Path
		if u.Host == "." {
			p = strings.TrimPrefix(p, "/")
		} else if u.Host != "" {
			return nil, fmt.Errorf("localcat: file URL %q has host %q (want file:///abs or file://./rel)", u, u.Host)
		}
		if p == "" {
			p = "."
		}
		return OpenDir(p, &opts)
	}
	bu := *u
	bu.RawQuery = q.Encode()
	b, err := blob.OpenBucket(ctx, bu.String())
	if err != nil {
		return nil, err
	}
	var fi os.FileInfo
	if b.As(&fi) {
		b.Close()
		return nil, errors.New("localcat: fileblob buckets cannot create files atomically")
	}
	c, err := open(&blobStore{b: b, owned: true}, &opts)
	if err != nil {
		b.Close()
		return nil, err
	}
	return c, nil
}
