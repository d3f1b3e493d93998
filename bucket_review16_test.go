package mda_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/openmda/mda"
	"github.com/openmda/mda/staging"
)

// TestReview16OpenBucketPrefixLinks: mda.OpenBucket registers a file://
// lake with a prefix ("?prefix=tenant-a-") for hard links, but the links
// are made at dir/key, without the prefix. Tenant A's integration of a
// source that the unprefixed lake in the same directory has also staged
// (same SourceID, same keys) links the unprefixed tenant's staged file
// into the unprefixed tenant's partition, reports its own partition
// created, then deletes its staged files: its reads are lost.
func TestReview16OpenBucketPrefixLinks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	plain, err := mda.OpenBucket(ctx, "file://"+filepath.ToSlash(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	tenant, err := mda.OpenBucket(ctx, "file://"+filepath.ToSlash(dir)+"?prefix=tenant-a-")
	if err != nil {
		t.Fatal(err)
	}
	defer tenant.Close()
	const part = "readings/reading_type=kwh/year=2024/month=03/day=01/hour=10/"
	const src = "staging/" + part + "0123456789abcdef-00000.parquet"
	// The same staged file in both namespaces (any bytes will do: a copy
	// does not read them).
	if err := plain.WriteAll(ctx, src, []byte("plain tenant's staged file"), nil); err != nil {
		t.Fatal(err)
	}
	if err := tenant.WriteAll(ctx, src, []byte("tenant-a's staged file"), nil); err != nil {
		t.Fatal(err)
	}
	// Its size as written: a copy then takes the commit's word for it.
	c := &staging.Commit{Files: []staging.File{{Key: src, Partition: part, Reads: 1, Bytes: int64(len("tenant-a's staged file")), Verbatim: true}}}
	c.Message.SourceID, c.Message.Source, c.Message.Ranges = "0123456789abcdef", "x.csv", 1
	if err := staging.WriteCommit(ctx, tenant, c); err != nil {
		t.Fatal(err)
	}
	if _, err := staging.Integrate(ctx, tenant, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := tenant.ReadAll(ctx, part+"data.parquet")
	leaked, _ := plain.ReadAll(ctx, part+"data.parquet")
	if string(got) != "tenant-a's staged file" {
		t.Errorf("tenant-a's partition holds %q, want its staged file; the unprefixed tenant's partition holds %q", got, leaked)
	}
}
