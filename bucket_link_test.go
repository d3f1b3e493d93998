package mda_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openmda/mda"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/staging"
)

// TestOpenBucketLinks checks that integrating a partition's only staged
// file into a file:// lake opened by OpenBucket makes a hard link, not a
// copy, and that the lake reads the same either way.
func TestOpenBucketLinks(t *testing.T) {
	abs := t.TempDir()
	for _, tc := range []struct {
		name   string
		url    string
		dir    string // the lake's directory
		chdir  string
		linked bool
	}{
		{name: "absolute", url: "file://" + filepath.ToSlash(abs) + "/lake", dir: filepath.Join(abs, "lake"), linked: true},
		{name: "relative", url: "file://./rel/lake", chdir: abs, dir: filepath.Join(abs, "rel", "lake"), linked: true},
		// Sidecar metadata: an .attrs file per object, so copy.
		{name: "sidecar", url: "file://" + filepath.ToSlash(abs) + "/sidecar?metadata=", dir: filepath.Join(abs, "sidecar")},
		{name: "dir_file_mode", url: "file://" + filepath.ToSlash(abs) + "/mode?dir_file_mode=0750", dir: filepath.Join(abs, "mode")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.chdir != "" {
				t.Chdir(tc.chdir)
			}
			ctx := context.Background()
			lake, err := mda.OpenBucket(ctx, tc.url)
			if err != nil {
				t.Fatal(err)
			}
			defer lake.Close()
			h := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
			k := partition.Key{Type: meter.TypeKW, Hour: h}
			reads := []meter.Reading{
				{MeterID: "m1", Type: meter.TypeKW, Value: 1.5, Time: h.Add(15 * time.Minute), Source: "B", Arrival: h.Add(16 * time.Minute)},
				{MeterID: "m2", Type: meter.TypeKW, Value: 0.7, Time: h.Add(15 * time.Minute), Source: "B", Arrival: h.Add(16 * time.Minute)},
			}
			staged, err := partition.WriteFile(ctx, lake, k, staging.OutputName("0123456789abcdef", 0), reads,
				&partition.WriterOptions{Root: staging.Prefix, Dedup: true})
			if err != nil {
				t.Fatal(err)
			}
			st, err := partition.Compact(ctx, lake, k, []partition.Source{{Bucket: lake, Key: staged.Path, Verbatim: true}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if st.File.Path == staged.Path || st.Reads != 2 {
				t.Fatalf("Compact: %+v", st)
			}
			a, err := os.Stat(filepath.Join(tc.dir, filepath.FromSlash(staged.Path)))
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.Stat(filepath.Join(tc.dir, filepath.FromSlash(st.File.Path)))
			if err != nil {
				t.Fatal(err)
			}
			if os.SameFile(a, b) != tc.linked {
				t.Errorf("staged file and partition file are one file: %v, want %v", os.SameFile(a, b), tc.linked)
			}
			if err := lake.Delete(ctx, staged.Path); err != nil {
				t.Fatal(err)
			}
			got, _, err := partition.ReadAll(ctx, lake, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(reads) {
				t.Errorf("the lake has %d reads, want %d", len(got), len(reads))
			}
		})
	}
}
