package mda

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/staging"
)

func sampleCSV(t *testing.T) []byte {
	t.Helper()
	g, err := simulator.New(&simulator.Options{Meters: 2, Days: 1, Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := g.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestLegacySourceRecord: an object integrated under the id that versions
// before the content-first SourceID gave it (key, size, ETag and MD5
// hashed together) is still known after an upgrade: ingesting it again is
// a reported no-op, not a file of late reads.
func TestLegacySourceRecord(t *testing.T) {
	ctx := context.Background()
	lake, err := OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer lake.Close()
	if err := lake.WriteAll(ctx, "in.csv", sampleCSV(t), nil); err != nil {
		t.Fatal(err)
	}
	attrs, err := lake.Attributes(ctx, "in.csv")
	if err != nil {
		t.Fatal(err)
	}
	old := legacySourceID("in.csv", attrs)
	if old == SourceID("in.csv", attrs) {
		t.Fatalf("the legacy id %s is the current one: the test proves nothing", old)
	}
	rec, _ := json.Marshal(staging.Source{SourceID: old, Source: "in.csv", Key: "in.csv", Size: attrs.Size, Lines: 96, Reads: 576})
	if err := lake.WriteAll(ctx, staging.SourceKey(old), rec, nil); err != nil {
		t.Fatal(err)
	}
	st, err := Ingest(ctx, lake, lake, "in.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.AlreadyIngested == nil || st.AlreadyIngested.SourceID != old || st.Staged != 0 || st.Late != 0 {
		t.Errorf("ingest of an object recorded under its legacy id: %+v", st)
	}
}

// TestStaleSidecarMD5: with fileblob's side files on (metadata not
// skipped), a file rewritten in place by another program keeps the MD5 of
// its previous bytes in the side file. The source id must follow the
// bytes, or new data under an old id would be skipped as already ingested.
func TestStaleSidecarMD5(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lake, err := OpenBucket(ctx, "file://"+filepath.ToSlash(dir)+"?metadata=")
	if err != nil {
		t.Fatal(err)
	}
	defer lake.Close()
	data := sampleCSV(t)
	if err := lake.WriteAll(ctx, "in.csv", data, nil); err != nil {
		t.Fatal(err)
	}
	if a, err := lake.Attributes(ctx, "in.csv"); err != nil || len(a.MD5) == 0 {
		t.Fatalf("no side-file MD5 (%v): the test proves nothing", err)
	}
	s1, err := Ingest(ctx, lake, lake, "in.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Same size, other bytes: a value changed in place.
	changed := bytes.Clone(data)
	i := bytes.LastIndexByte(changed, '.') // a decimal digit follows
	changed[i+1] = '0' + (changed[i+1]-'0'+1)%10
	if err := os.WriteFile(filepath.Join(dir, "in.csv"), changed, 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := Ingest(ctx, lake, lake, "in.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s2.SourceID == s1.SourceID || s2.AlreadyIngested != nil || s2.Staged == 0 {
		t.Errorf("a file rewritten in place with other bytes: %+v, want a new source", s2)
	}
}
