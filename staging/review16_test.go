package staging

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/internal/blobio"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
)

// review16Stage stages reads as range 0 of sourceID and writes its commit,
// as Pipeline.ProcessRange does.
func review16Stage(t *testing.T, lake *blob.Bucket, sourceID string, reads []meter.Reading) *Commit {
	t.Helper()
	ctx := context.Background()
	msg := ranges.Message{Bucket: "in", Key: "household.csv", SourceID: sourceID, Source: "household.csv", Size: 1, Ranges: 1,
		Format: "nem12", Range: ranges.Range{Index: 0, Start: 0, End: 1}}
	w := partition.NewWriter(lake, OutputName(msg.SourceID, 0), &partition.WriterOptions{Root: Prefix, Dedup: true})
	if _, err := w.Write(reads); err != nil {
		t.Fatal(err)
	}
	files, err := w.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := &Commit{Message: msg, Records: int64(len(reads)), Lines: int64(len(reads)), Backfill: true, Committed: time.Now().UTC()}
	for _, f := range files {
		c.Files = append(c.Files, File{Key: f.Path, Partition: f.Key.Path(), Reads: f.Rows, MinTime: f.MinTime, MaxTime: f.MaxTime, Verbatim: true})
		c.Reads += f.Rows
	}
	if err := WriteCommit(ctx, lake, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func review16Reads(days int) []meter.Reading {
	start := time.Date(2019, 6, 22, 0, 0, 0, 0, time.UTC)
	arrival := start.AddDate(0, 0, days+1)
	var reads []meter.Reading
	for i := range 48 * days {
		reads = append(reads, meter.Reading{MeterID: "6001260509", Type: meter.TypeKWh, Value: float64(i%700) / 1000,
			Time: start.Add(time.Duration(i) * 30 * time.Minute), Source: "B", Arrival: arrival, Quality: meter.QualityActual})
	}
	return reads
}

// TestReview16TornStagedFileIsNotCopied: a staged file that a crash of the
// operating system left empty (fileblob syncs nothing: a renamed file whose
// data never reached the disk reads as 0 bytes, while the commit written
// after it survived) used to stop integration of its partition: the
// verbatim copy read the file's footer first (fileRows) and failed, so the
// staged file and its commit stayed for a redelivery to repair. Since
// 0e6db97 the copy takes the row count and times from the commit and never
// opens the file: the empty file becomes the partition's data.parquet, the
// run reports the commit's reads as integrated, deletes the staged files
// and marks the commit integrated. The reads are gone for good (the source
// is now "fully integrated", so a redelivery is not late and nothing
// prompts a re-ingest), and the partition is poisoned: every later Compact
// of it and every scan fails on the empty data.parquet.
func TestReview16TornStagedFileIsNotCopied(t *testing.T) {
	for _, store := range []string{"mem", "file", "file-linked"} {
		t.Run(store, func(t *testing.T) {
			ctx := context.Background()
			var lake *blob.Bucket
			dir := t.TempDir()
			if store == "mem" {
				lake = memblob.OpenBucket(nil)
			} else {
				var err error
				lake, err = fileblob.OpenBucket(dir, &fileblob.Options{Metadata: fileblob.MetadataDontWrite, NoTempDir: true, CreateDir: true})
				if err != nil {
					t.Fatal(err)
				}
				if store == "file-linked" && !blobio.RegisterDir(lake, dir) {
					t.Fatal("RegisterDir refused")
				}
			}
			defer lake.Close()
			c := review16Stage(t, lake, "0123456789abcdef", review16Reads(3))
			torn := c.Files[5]
			// The crash: the staged file is empty, its commit intact.
			if err := lake.WriteAll(ctx, torn.Key, nil, nil); err != nil {
				t.Fatal(err)
			}
			st, err := Integrate(ctx, lake, nil)
			keep := torn.Partition + partition.CompactedName + ".parquet"
			if err == nil {
				_, rerr := partition.ReadFile(ctx, lake, keep)
				stagedLeft, _ := lake.Exists(ctx, torn.Key)
				t.Errorf("Integrate of a commit whose staged file %s is empty succeeded (%d reads reported integrated, staged file kept: %v); "+
					"the partition's data.parquet now reads as: %v", torn.Key, st.Reads, stagedLeft, rerr)
				// And the partition is poisoned for every later merge.
				review16Stage(t, lake, "fedcba9876543210", review16Reads(3))
				if _, err := Integrate(ctx, lake, nil); err != nil {
					t.Errorf("a later integration of the same partitions: %v", err)
				}
			}
		})
	}
}

// TestReview16PrefixedLinkCrossesTenants: mda.OpenBucket registers a
// file:// lake for hard links (blobio.RegisterDir) even when its URL has a
// prefix ("file:///d?prefix=tenant-a-", which staging's locks support
// explicitly: see createExclusive). blobio's link paths (tryLink and, new
// in 0e6db97, tryLinkNew behind CopyNew) join the registered directory
// with the key as given, without the bucket's prefix: a tenant's copy links
// another tenant's file into that tenant's partition, and reports its own
// partition as created. Two tenants that stage the same source (same
// SourceID, so the same staged keys) in one directory: tenant A's
// integration writes nothing under its own prefix, deletes its staged
// files and marks its commit integrated: its reads are lost.
func TestReview16PrefixedLinkCrossesTenants(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func(prefix string) *blob.Bucket {
		b, err := fileblob.OpenBucket(dir, &fileblob.Options{Metadata: fileblob.MetadataDontWrite, NoTempDir: true, CreateDir: true})
		if err != nil {
			t.Fatal(err)
		}
		if prefix != "" {
			b = blob.PrefixedBucket(b, prefix)
		}
		// As mda.OpenBucket does for every file:// URL with metadata=skip,
		// whatever its prefix.
		// RegisterDir now refuses the prefixed bucket (its keys are not
		// the files of their names): that tenant copies bytes.
		if got := blobio.RegisterDir(b, dir); got != (prefix == "") {
			t.Fatalf("RegisterDir of the bucket of prefix %q = %v", prefix, got)
		}
		return b
	}
	plain, tenant := open(""), open("tenant-a-")
	defer plain.Close()
	defer tenant.Close()
	reads := review16Reads(3)
	review16Stage(t, plain, "0123456789abcdef", reads)
	c := review16Stage(t, tenant, "0123456789abcdef", reads)
	if _, err := Integrate(ctx, tenant, nil); err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, f := range c.Files {
		if ok, _ := tenant.Exists(ctx, f.Partition+partition.CompactedName+".parquet"); !ok {
			missing++
		}
	}
	if missing > 0 {
		leaked, _ := filepath.Glob(filepath.Join(dir, "readings", "*", "*", "*", "*", "*", "data.parquet"))
		staged, _ := os.ReadDir(filepath.Join(dir, "tenant-a-staging"))
		t.Errorf("tenant-a integrated %d partitions, %d of them have no data.parquet under its prefix; "+
			"%d data.parquet files appeared in the unprefixed tenant's readings/ instead; tenant-a staging left: %v",
			len(c.Files), missing, len(leaked), fmt.Sprint(len(staged)))
	}
}

// TestReview16ConcurrentIntegratorsAndStagers: integrators that reuse
// their listings race each other and range workers that keep staging
// commits for the same partitions (later arrivals, other values). When all
// is integrated, every key holds its latest arrival's value exactly once.
func TestReview16ConcurrentIntegratorsAndStagers(t *testing.T) {
	for _, store := range []string{"mem", "file-linked", "file"} {
		t.Run(store, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			var lake *blob.Bucket
			if store == "mem" {
				lake = memblob.OpenBucket(nil)
			} else {
				var err error
				lake, err = fileblob.OpenBucket(dir, &fileblob.Options{Metadata: fileblob.MetadataDontWrite, NoTempDir: true, CreateDir: true})
				if err != nil {
					t.Fatal(err)
				}
				if store == "file-linked" && !blobio.RegisterDir(lake, dir) {
					t.Fatal("RegisterDir refused")
				}
			}
			defer lake.Close()
			const rounds = 12
			base := review16Reads(2)
			stop := make(chan struct{})
			errc := make(chan error, 8)
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						if _, err := Integrate(ctx, lake, &IntegrateOptions{LockWait: 50 * time.Millisecond}); err != nil {
							// Races with the other integrators' cleanup
							// fail a run; the next one must repair it.
							select {
							case errc <- err:
							default:
							}
						}
					}
				})
			}
			want := map[string]float64{}
			for i := range rounds {
				var rs []meter.Reading
				for j, r := range base {
					// Each round restates a different subset of the keys.
					if (j+i)%3 == 0 || i == 0 {
						r.Value = float64(i*1000 + j)
						r.Arrival = r.Arrival.Add(time.Duration(i) * time.Hour)
						rs = append(rs, r)
						want[r.Time.String()] = r.Value
					}
				}
				review16Stage(t, lake, fmt.Sprintf("%016x", i+1), rs)
			}
			close(stop)
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Logf("a concurrent run failed: %v", err)
			}
			for range 3 {
				if _, err := Integrate(ctx, lake, nil); err != nil {
					t.Fatal(err)
				}
			}
			got := map[string]float64{}
			n := 0
			it := lake.List(&blob.ListOptions{Prefix: "readings/"})
			for {
				obj, err := it.Next(ctx)
				if err != nil {
					break
				}
				rs, err := partition.ReadFile(ctx, lake, obj.Key)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rs {
					n++
					got[r.Time.String()] = r.Value
				}
			}
			if n != len(want) || len(got) != len(want) {
				t.Errorf("lake holds %d rows, %d keys; want %d", n, len(got), len(want))
			}
			bad := 0
			for k, v := range want {
				if got[k] != v {
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("%d keys hold a value other than their latest arrival's", bad)
			}
		})
	}
}

// TestReview16DayListingRacesOtherWriters: Integrate now lists whole days
// or months (partition.ListPartitions) before it takes any lock, so the
// listing walks partitions that other integrators are writing at that
// moment. On a file:// lake fileblob's List lstat()s every entry it read
// from the directory, and a temporary file (fileblob's own
// "name.<hex>.tmp" under no_tmp_dir, or blobio.Copy's link-then-rename
// one) renamed away in between makes the whole listing fail with
// NotFound, and the whole Integrate run with it: every partition of every
// commit waits for the next run, however unrelated to the one being
// written. Before 0e6db97 each partition was listed under its own lock,
// where no other integrator writes.
func TestReview16DayListingRacesOtherWriters(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lake, err := fileblob.OpenBucket(dir, &fileblob.Options{Metadata: fileblob.MetadataDontWrite, NoTempDir: true, CreateDir: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lake.Close()
	reads := review16Reads(1) // one day: 24 partitions, listed as one day
	stop := make(chan struct{})
	var wg sync.WaitGroup
	// Another integrator writing one partition of the same day, under its
	// own lock, again and again (as a long run or a late-read handler).
	other := "readings/reading_type=kwh/year=2019/month=06/day=22/hour=07/data.parquet"
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			lake.WriteAll(ctx, other, make([]byte, 1400), nil)
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	failed, runs := 0, 0
	var first error
	for i := 0; time.Now().Before(deadline); i++ {
		review16Stage(t, lake, fmt.Sprintf("%016x", i+1), reads[:8]) // hours 00-03
		runs++
		if _, err := Integrate(ctx, lake, nil); err != nil {
			failed++
			if first == nil {
				first = err
			}
		}
	}
	close(stop)
	wg.Wait()
	if failed > 0 {
		t.Errorf("%d of %d Integrate runs failed while another integrator wrote hour 07 of the same day; first: %v", failed, runs, first)
	}
}
