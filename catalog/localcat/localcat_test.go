package localcat_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/catalog/catalogtest"
	"github.com/openmda/mda/catalog/localcat"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
)

type bucketHarness struct {
	b    *blob.Bucket
	opts *localcat.Options
}

func (h *bucketHarness) MakeCatalog(ctx context.Context) (*catalog.Catalog, error) {
	return localcat.Open(h.b, h.opts)
}
func (h *bucketHarness) Close() { h.b.Close() }

type dirHarness struct {
	dir  string
	opts *localcat.Options
}

func (h *dirHarness) MakeCatalog(ctx context.Context) (*catalog.Catalog, error) {
	return localcat.OpenDir(h.dir, h.opts)
}
func (h *dirHarness) Close() {}

// urlHarness opens every handle by URL.
type urlHarness struct{ url string }

func (h *urlHarness) MakeCatalog(ctx context.Context) (*catalog.Catalog, error) {
	return catalog.OpenCatalog(ctx, h.url)
}
func (h *urlHarness) Close() {}

type bucketAs struct{}

func (bucketAs) Name() string { return "bucket" }
func (bucketAs) CatalogCheck(c *catalog.Catalog) error {
	var b *blob.Bucket
	if !c.As(&b) || b == nil {
		return errors.New("As(**blob.Bucket) failed")
	}
	var s string
	if c.As(&s) {
		return errors.New("As(*string) succeeded on a bucket catalog")
	}
	return nil
}
func (bucketAs) ErrorCheck(c *catalog.Catalog, err error) error {
	var e *catalog.Error
	if !errors.As(err, &e) || e.Code != catalog.NotFound {
		return fmt.Errorf("%v is not a NotFound *catalog.Error", err)
	}
	return nil
}

type dirAs struct{}

func (dirAs) Name() string { return "dir" }
func (dirAs) CatalogCheck(c *catalog.Catalog) error {
	var s string
	if !c.As(&s) {
		return errors.New("As(*string) failed")
	}
	if fi, err := os.Stat(s); err != nil || !fi.IsDir() {
		return fmt.Errorf("As(*string) = %q, not a directory", s)
	}
	return nil
}
func (dirAs) ErrorCheck(c *catalog.Catalog, err error) error {
	if !errors.Is(err, catalog.ErrNotFound) {
		return fmt.Errorf("%v is not ErrNotFound", err)
	}
	return nil
}

func TestConformanceMem(t *testing.T) {
	catalogtest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (catalogtest.Harness, error) {
		return &bucketHarness{b: memblob.OpenBucket(nil)}, nil
	}, &catalogtest.Options{AsTests: []catalogtest.AsTest{bucketAs{}}})
}

func TestConformanceDir(t *testing.T) {
	catalogtest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (catalogtest.Harness, error) {
		return &dirHarness{dir: t.TempDir()}, nil
	}, &catalogtest.Options{AsTests: []catalogtest.AsTest{dirAs{}}})
}

func TestConformanceFileURL(t *testing.T) {
	catalogtest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (catalogtest.Harness, error) {
		return &urlHarness{url: "file://" + filepath.ToSlash(t.TempDir()) + "?metadata=skip"}, nil
	}, nil)
}

// TestConformanceMoreWriters runs the concurrency tests with 32 writers on
// a directory, where every conditional write is a real file system race.
func TestConformanceMoreWriters(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	catalogtest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (catalogtest.Harness, error) {
		return &dirHarness{dir: t.TempDir()}, nil
	}, &catalogtest.Options{Writers: 32})
}

// TestConformancePruneAll runs the suite, concurrent writers and readers
// included, with every version but the latest deleted as soon as a newer
// one is durable: the most pruning, and the most races between readers,
// writers and deletions.
func TestConformancePruneAll(t *testing.T) {
	keep1 := &localcat.Options{KeepVersions: 1}
	t.Run("mem", func(t *testing.T) {
		catalogtest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (catalogtest.Harness, error) {
			return &bucketHarness{b: memblob.OpenBucket(nil), opts: keep1}, nil
		}, nil)
	})
	t.Run("dir", func(t *testing.T) {
		writers := 8
		if !testing.Short() {
			writers = 32
		}
		catalogtest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (catalogtest.Harness, error) {
			return &dirHarness{dir: t.TempDir(), opts: keep1}, nil
		}, &catalogtest.Options{Writers: writers})
	})
}

// TestPrune: a table keeps its last KeepVersions manifests, or all of
// them with a negative KeepVersions, and the other tables' are left alone.
func TestPrune(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		keep int
		want []string
	}{
		{0, []string{"v00000000000000000008.json", "v00000000000000000009.json", "v00000000000000000010.json", "v00000000000000000011.json"}},
		{2, []string{"v00000000000000000010.json", "v00000000000000000011.json"}},
		{-1, []string{"v00000000000000000001.json", "v00000000000000000002.json", "v00000000000000000003.json",
			"v00000000000000000004.json", "v00000000000000000005.json", "v00000000000000000006.json", "v00000000000000000007.json",
			"v00000000000000000008.json", "v00000000000000000009.json", "v00000000000000000010.json", "v00000000000000000011.json"}},
	} {
		t.Run(fmt.Sprint(tc.keep), func(t *testing.T) {
			dir := t.TempDir()
			c, err := localcat.OpenDir(dir, &localcat.Options{KeepVersions: tc.keep})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			readings, weather := catalog.ReadingsTable("s3://lake/"), catalog.WeatherTable("s3://lake/")
			if err := c.EnsureDatabase(ctx, &catalog.Database{Name: readings.Database}); err != nil {
				t.Fatal(err)
			}
			for _, tb := range []*catalog.Table{readings, weather} {
				if err := c.EnsureTable(ctx, tb); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.AddPartitions(ctx, weather.Database, weather.Name, []catalog.Partition{{Values: []string{"2024-03-01"}}}); err != nil {
				t.Fatal(err)
			}
			for i := range 10 {
				p := catalog.Partition{Values: []string{"kw", "2024", "03", "01", fmt.Sprintf("%02d", i)}}
				if err := c.AddPartitions(ctx, readings.Database, readings.Name, []catalog.Partition{p}); err != nil {
					t.Fatal(err)
				}
			}
			entries, err := os.ReadDir(filepath.Join(dir, "_catalog", readings.Database, readings.Name))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if strings.Join(names, " ") != strings.Join(tc.want, " ") {
				t.Errorf("versions %v, want %v", names, tc.want)
			}
			if entries, _ := os.ReadDir(filepath.Join(dir, "_catalog", weather.Database, weather.Name)); len(entries) != 2 {
				t.Errorf("the weather table has %d versions, want its 2", len(entries))
			}
			ps, err := c.ListPartitions(ctx, readings.Database, readings.Name, nil)
			if err != nil || len(ps) != 10 {
				t.Errorf("%d partitions, %v; want 10", len(ps), err)
			}
		})
	}
}

func TestOpenRefusesFileblob(t *testing.T) {
	b, err := fileblob.OpenBucket(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := localcat.Open(b, nil); err == nil || !strings.Contains(err.Error(), "OpenDir") {
		t.Errorf("Open(fileblob bucket): got %v, want an error pointing to OpenDir", err)
	}
}

func TestLayout(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	c, err := localcat.OpenDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tbl := catalog.ReadingsTable("s3://lake/")
	if err := c.EnsureDatabase(ctx, &catalog.Database{Name: tbl.Database}); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureTable(ctx, tbl); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		p := catalog.Partition{Values: []string{"kw", "2024", "03", "01", fmt.Sprintf("%02d", i)}}
		if err := c.AddPartitions(ctx, tbl.Database, tbl.Name, []catalog.Partition{p, p}); err != nil {
			t.Fatal(err)
		}
	}
	// Re-adding changes nothing, so writes no version.
	if err := c.AddPartitions(ctx, tbl.Database, tbl.Name, []catalog.Partition{{Values: []string{"kw", "2024", "03", "01", "00"}}}); err != nil {
		t.Fatal(err)
	}
	var files []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"_catalog/mda_database_integrated/database.json",
		"_catalog/mda_database_integrated/meter_readings_integrated_parquet/v00000000000000000001.json",
		"_catalog/mda_database_integrated/meter_readings_integrated_parquet/v00000000000000000002.json",
		"_catalog/mda_database_integrated/meter_readings_integrated_parquet/v00000000000000000003.json",
		"_catalog/mda_database_integrated/meter_readings_integrated_parquet/v00000000000000000004.json",
	}
	if strings.Join(files, "\n") != strings.Join(want, "\n") {
		t.Errorf("files:\n%s\nwant:\n%s", strings.Join(files, "\n"), strings.Join(want, "\n"))
	}
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(want[4])))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"Format": "mda-localcat/1"`, `"Version": 4`, `"Location": "s3://lake/readings/reading_type=kw/year=2024/month=03/day=01/hour=02/"`} {
		if !strings.Contains(string(data), s) {
			t.Errorf("manifest lacks %s:\n%s", s, data)
		}
	}
}

func TestURLs(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	tests := []struct {
		url    string
		db     string
		errSub string
	}{
		{url: "mem://", db: catalog.DatabaseIntegrated},
		{url: "mem://?database=mydb", db: "mydb"},
		{url: "file://" + filepath.ToSlash(dir) + "?metadata=skip&create_dir=true&catalog_prefix=meta/", db: catalog.DatabaseIntegrated},
		{url: "file://" + filepath.ToSlash(dir) + "?bogus=1", errSub: `invalid query parameter "bogus"`},
		{url: "mem://?bogus=1", errSub: "bogus"},
		{url: "mem://?catalog_prefix=/x/", errSub: "prefix"},
		{url: "nope://x", errSub: "unknown scheme"},
	}
	for _, tc := range tests {
		c, err := catalog.OpenCatalog(ctx, tc.url)
		if tc.errSub != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errSub) {
				t.Errorf("OpenCatalog(%q): got %v, want error with %q", tc.url, err, tc.errSub)
			}
			if c != nil {
				c.Close()
			}
			continue
		}
		if err != nil {
			t.Errorf("OpenCatalog(%q): %v", tc.url, err)
			continue
		}
		if got := c.DefaultDatabase(); got != tc.db {
			t.Errorf("OpenCatalog(%q).DefaultDatabase() = %q, want %q", tc.url, got, tc.db)
		}
		if err := c.EnsureDatabase(ctx, &catalog.Database{Name: "x"}); err != nil {
			t.Errorf("OpenCatalog(%q): EnsureDatabase: %v", tc.url, err)
		}
		c.Close()
	}
	if _, err := os.Stat(filepath.Join(dir, "meta", "x", "database.json")); err != nil {
		t.Errorf("catalog_prefix not applied: %v", err)
	}
}

func TestAborted(t *testing.T) {
	// Writers allowed a single attempt either win their race or give up
	// with ErrAborted; none reports success without its partition.
	ctx := t.Context()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	c, err := localcat.Open(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	tbl := catalog.ReadingsTable("s3://lake/")
	if err := c.EnsureDatabase(ctx, &catalog.Database{Name: tbl.Database}); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureTable(ctx, tbl); err != nil {
		t.Fatal(err)
	}
	const writers = 16
	errs := make(chan error, writers)
	start := make(chan struct{})
	for i := range writers {
		go func() {
			w, err := localcat.Open(b, &localcat.Options{MaxAttempts: 1})
			if err != nil {
				errs <- err
				return
			}
			<-start
			errs <- w.AddPartitions(ctx, tbl.Database, tbl.Name, []catalog.Partition{{Values: []string{"kw", "2024", "01", "01", fmt.Sprintf("%02d", i)}}})
		}()
	}
	close(start)
	var aborted, ok int
	for range writers {
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.Is(err, catalog.ErrAborted):
			aborted++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	ps, err := c.ListPartitions(ctx, tbl.Database, tbl.Name, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok == 0 || len(ps) != ok {
		t.Errorf("%d partitions for %d successful writers (%d aborted)", len(ps), ok, aborted)
	}
	t.Logf("%d won, %d aborted", ok, aborted)
}
