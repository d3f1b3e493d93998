package localcat

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// DefaultKeepVersions is how many of a table's latest manifest versions
// are kept; older ones are deleted once a newer one is durable.
const DefaultKeepVersions = 4

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
	// KeepVersions is how many of a table's latest manifest versions an
	// update keeps: after writing version N it deletes the versions up to
	// N-KeepVersions. 0 means DefaultKeepVersions; a negative value keeps
	// every version (the table's whole history).
	KeepVersions int
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
	if r.KeepVersions == 0 {
		r.KeepVersions = DefaultKeepVersions
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
// retry, so no update is lost.
//
// Pruning. Once version N is durable, its writer deletes the versions up
// to N-KeepVersions. Readers are safe: the latest version is never
// deleted, and a reader whose listed latest is deleted before it reads it
// (KeepVersions newer ones were written meanwhile) lists again. Writers
// need one more rule: a writer that read version M long ago, while M+1
// and later were written and M+1 pruned, would create M+1 again, below the
// latest, where no reader looks, and its change would be lost. So each
// version records the SHA-256 of the version it was derived from (Prev),
// and a writer that created N+1 confirms it: it is confirmed if it is
// the highest version, or if version N+2 was derived from it. A version
// N+2 derived from another N+1 means that N+1 was an orphan in a pruned
// slot; and if N+2 has been pruned too, the writer cannot tell. In both
// cases it reapplies its change to the latest version, which writes
// nothing if the change is already there (changes are idempotent).
type driver struct {
	s    store
	opts Options

	mu sync.Mutex
	// seen is the highest version each table (db + "/" + table) has been
	// read at through this handle: its reads never go back below it.
	seen map[string]int64
}

// manifest is the content of a version.
type manifest struct {
	Format  string
	Version int64
	// Prev is the hex SHA-256 of the version this one was derived from
	// (empty for version 1, and in manifests of older writers).
	Prev       string `json:",omitempty"`
	Table      *catalog.Table
	Partitions []catalog.Partition
}

func (d *driver) dbKey(db string) string       { return d.opts.Prefix + db + "/database.json" }
func (d *driver) tableDir(db, t string) string { return d.opts.Prefix + db + "/" + t + "/" }
func versionName(n int64) string               { return fmt.Sprintf("v%020d.json", n) }

func checksum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// version is a manifest version's number and key.
type version struct {
	n   int64
	key string
}

// versions lists a table's manifest versions, in ascending order.
func (d *driver) versions(ctx context.Context, db, table string) ([]version, error) {
	keys, err := d.s.list(ctx, d.tableDir(db, table)+"v")
	if err != nil {
		return nil, err
	}
	var out []version
	for _, k := range keys {
		name := path.Base(k)
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(name[1:], ".json"), 10, 64)
		if err == nil && n > 0 {
			out = append(out, version{n, k})
		}
	}
	slices.SortFunc(out, func(a, b version) int { return cmp.Compare(a.n, b.n) })
	return out, nil
}

// readVersion reads and checks version v; its error matches
// fs.ErrNotExist if v is gone. It also returns the manifest's checksum.
func (d *driver) readVersion(ctx context.Context, v version) (*manifest, string, error) {
	data, err := d.s.read(ctx, v.key)
	if err != nil {
		return nil, "", err
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, "", fmt.Errorf("localcat: %s: %w", v.key, err)
	}
	if m.Format != FormatVersion || m.Version != v.n || m.Table == nil {
		return nil, "", fmt.Errorf("localcat: %s: not a %s manifest of version %d", v.key, FormatVersion, v.n)
	}
	return &m, checksum(data), nil
}

// maxReadAttempts bounds the listings of one read whose latest version is
// pruned before it is read (which takes KeepVersions newer versions each
// time).
const maxReadAttempts = 1000

// latest reads the table's latest manifest and its checksum; a nil
// manifest if it has none.
//
// With confirm (readers), the version read is confirmed by a second
// listing. A slot pruned between the listing and the read may have been
// filled again by a writer that started from an old version (an orphan,
// which that writer then reapplies; see driver): its content is not the
// table's state. Slot v is pruned only once version v+KeepVersions exists,
// and the latest version is never pruned, so a second listing whose latest
// is below v+KeepVersions proves the content read (with KeepVersions < 0
// nothing is pruned and no check is needed). Writers need no check: their
// conditional create fails on a stale start, and confirm catches orphans.
//
// A listing of a directory that writers add to and prune at the same
// time may also miss the newest versions where it takes more than one
// read of the directory (and an object store's may lag): latest lists
// again, for a few attempts, while the result is older than what this
// handle has read before, or empty for a table it has read, so that a
// handle's reads do not go back in time. Past them it takes what it finds
// (a table deleted and made again outside the handle starts over).
func (d *driver) latest(ctx context.Context, db, table string, confirm bool) (*manifest, string, error) {
	var last int64
	key := db + "/" + table
	d.mu.Lock()
	seen := d.seen[key]
	d.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if attempt >= maxReadAttempts {
			return nil, "", catalog.Errorf(catalog.Aborted, "table %s.%s: no confirmed read in %d listings while writers change it", db, table, attempt)
		}
		if attempt >= 8 {
			// Jittered backoff, growing to 10ms, to meet a quiet moment.
			wait := time.Duration(rand.Int64N(int64(min(attempt-7, 10))*int64(time.Millisecond) + 1))
			select {
			case <-ctx.Done():
				return nil, "", ctx.Err()
			case <-time.After(wait):
			}
		}
		vs, err := d.versions(ctx, db, table)
		if err != nil {
			return nil, "", err
		}
		if len(vs) == 0 {
			if seen > 0 && attempt < staleAttempts {
				continue // a listing that missed every version of a table read before
			}
			return nil, "", nil
		}
		v := vs[len(vs)-1]
		m, sum, err := d.readVersion(ctx, v)
		// Pruned between list and read, so newer versions exist: list
		// again, as long as the listing moves on.
		if errors.Is(err, fs.ErrNotExist) && (v.n > last || attempt < 3) {
			last = max(last, v.n)
			continue
		}
		if err != nil {
			return nil, "", err
		}
		if confirm && d.opts.KeepVersions > 0 {
			again, err := d.versions(ctx, db, table)
			if err != nil {
				return nil, "", err
			}
			if len(again) > 0 && again[len(again)-1].n >= v.n+int64(d.opts.KeepVersions) {
				continue
			}
		}
		if v.n < seen && attempt < staleAttempts {
			continue
		}
		d.mu.Lock()
		if d.seen == nil {
			d.seen = map[string]int64{}
		}
		d.seen[key] = v.n
		d.mu.Unlock()
		return m, sum, nil
	}
}

// staleAttempts bounds the listings of a read that keeps finding a version
// older than the handle has read.
const staleAttempts = 20

func (d *driver) write(ctx context.Context, db, table string, m *manifest) (created bool, sum string, err error) {
	slices.SortFunc(m.Partitions, func(a, b catalog.Partition) int { return slices.Compare(a.Values, b.Values) })
	data, err := json.MarshalIndent(m, "", "\t")
	if err != nil {
		return false, "", err
	}
	data = append(data, '\n')
	created, err = d.s.create(ctx, d.tableDir(db, table)+versionName(m.Version), data)
	return created, checksum(data), err
}

// confirm checks that version n, with checksum sum, which this writer
// has just created, is in the table's history (see driver), and prunes
// the versions up to n-KeepVersions. It reports false if n is, or may
// be, an orphan in a pruned slot.
func (d *driver) confirm(ctx context.Context, db, table string, n int64, sum string) (bool, error) {
	vs, err := d.versions(ctx, db, table)
	if err != nil {
		return false, err
	}
	confirmed := true
	if len(vs) > 0 && vs[len(vs)-1].n > n {
		confirmed = false
		if i := slices.IndexFunc(vs, func(v version) bool { return v.n == n+1 }); i >= 0 {
			next, _, err := d.readVersion(ctx, vs[i])
			switch {
			case err == nil:
				confirmed = next.Prev == sum
			case !errors.Is(err, fs.ErrNotExist):
				return false, err
			}
		}
	}
	return confirmed, d.prune(ctx, vs, n)
}

// prune deletes the versions of vs up to n-KeepVersions.
func (d *driver) prune(ctx context.Context, vs []version, n int64) error {
	if d.opts.KeepVersions > 0 {
		for _, v := range vs {
			if v.n > n-int64(d.opts.KeepVersions) {
				break
			}
			// Best effort: another writer may prune it first, and a
			// version left behind is deleted by the next update.
			_ = d.s.remove(ctx, v.key)
		}
	}
	return nil
}

// update applies fn to the latest manifest and writes it as the next
// version, retrying from the new latest when another writer got there
// first. fn returns false if nothing changed, and must be repeatable.
// Before giving up after MaxAttempts writes, it reads the latest version
// once more: if fn finds nothing to change there (the change was made,
// by this writer's unconfirmed write or by another), the update is done.
func (d *driver) update(ctx context.Context, db, table string, fn func(*manifest) (bool, error)) error {
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			// Jittered backoff, growing to 50ms, so that losers spread out.
			wait := time.Duration(rand.Int64N(int64(min(attempt, 50))*int64(time.Millisecond) + 1))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		m, prev, err := d.latest(ctx, db, table, false)
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
		if attempt >= d.opts.MaxAttempts {
			return catalog.Errorf(catalog.Aborted, "table %s.%s: lost %d races with other writers", db, table, d.opts.MaxAttempts)
		}
		m.Version++
		m.Prev = prev
		created, sum, err := d.write(ctx, db, table, m)
		if err != nil {
			return err
		}
		if !created {
			continue
		}
		confirmed, err := d.confirm(ctx, db, table, m.Version, sum)
		if err != nil || confirmed {
			return err
		}
		// An orphan, or maybe one: reapply to the latest, which changes
		// nothing if the change is there.
	}
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
	m, _, err := d.latest(ctx, db, name, true)
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
	created, _, err := d.write(ctx, t.Database, t.Name, &manifest{Format: FormatVersion, Version: 1, Table: t})
	if err == nil && !created {
		return catalog.Errorf(catalog.AlreadyExists, "table %s exists", t.QualifiedName())
	}
	return err
}

func (d *driver) UpdateTable(ctx context.Context, t *catalog.Table) error {
	return d.update(ctx, t.Database, t.Name, func(m *manifest) (bool, error) {
		if reflect.DeepEqual(m.Table, t) {
			return false, nil
		}
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
	m, _, err := d.latest(ctx, db, table, true)
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
