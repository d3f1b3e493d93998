package staging

import (
	"context"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
)

// TestCommittedSource: a source's commits are returned only once every
// one of its ranges has one; other sources' commits do not count.
func TestCommittedSource(t *testing.T) {
	ctx := context.Background()
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	commit := func(id string, i, n int) {
		t.Helper()
		c := &Commit{Message: ranges.Message{SourceID: id, Ranges: n, Range: ranges.Range{Index: i}}, Reads: int64(i)}
		if err := WriteCommit(ctx, lake, c); err != nil {
			t.Fatal(err)
		}
	}
	commit("s10", 0, 3) // "s1" is a prefix of its id
	commit("s10", 1, 3)
	commit("s10", 2, 3)
	commit("s1", 2, 3)
	commit("s1", 0, 3)
	if cs, err := CommittedSource(ctx, lake, "s1", 3); cs != nil || err != nil {
		t.Fatalf("2 of 3 ranges committed: %d commits, %v; want none", len(cs), err)
	}
	commit("s1", 1, 3)
	cs, err := CommittedSource(ctx, lake, "s1", 3)
	if err != nil || len(cs) != 3 {
		t.Fatalf("every range committed: %d commits, %v", len(cs), err)
	}
	for i, c := range cs {
		if c.Message.SourceID != "s1" || c.Message.Range.Index != i {
			t.Errorf("commit %d: %+v", i, c.Message)
		}
	}
	if _, err := CommittedSource(ctx, lake, "", 3); err == nil {
		t.Error("no error for a source without an id")
	}
}

// TestBackfillLeavesWatermark: integrating a backfill's commits merges
// their reads but does not raise the watermark; the live feed's do.
func TestBackfillLeavesWatermark(t *testing.T) {
	ctx := context.Background()
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	live := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	stage := func(id string, at time.Time, backfill bool) {
		t.Helper()
		k := partition.Key{Type: meter.TypeKW, Hour: at.Truncate(time.Hour)}
		r := meter.Reading{MeterID: "m", Type: meter.TypeKW, Value: 1, Time: at, Source: "B", Arrival: at, Quality: meter.QualityActual}
		info, err := partition.WriteFile(ctx, lake, k, OutputName(id, 0), []meter.Reading{r}, &partition.WriterOptions{Root: Prefix, Dedup: true})
		if err != nil {
			t.Fatal(err)
		}
		c := &Commit{Message: ranges.Message{SourceID: id, Ranges: 1, Range: ranges.Range{End: 10}, Size: 10}, Backfill: backfill, Reads: 1,
			Files: []File{{Key: info.Path, Partition: k.Path(), Reads: 1, MinTime: info.MinTime, MaxTime: info.MaxTime, Verbatim: true}}}
		if err := WriteCommit(ctx, lake, c); err != nil {
			t.Fatal(err)
		}
	}
	stage("live", live, false)
	// History, one older and one that runs past the feed.
	stage("old", live.Add(-48*time.Hour), true)
	stage("ahead", live.Add(30*time.Hour), true)
	st, err := Integrate(ctx, lake, nil)
	if err != nil || st.Added != 3 || st.Sources != 3 {
		t.Fatalf("integrate: %+v, %v", st, err)
	}
	w, _ := ReadWatermark(ctx, lake)
	if !w.MaxReadingTime.Equal(live) {
		t.Errorf("watermark %v, want the live feed's %v", w.MaxReadingTime, live)
	}
	for id, want := range map[string]bool{"live": false, "old": true, "ahead": true} {
		if s, err := ReadSource(ctx, lake, id); err != nil || s == nil || s.Backfill != want {
			t.Errorf("source %s: %+v, %v; want backfill %v", id, s, err, want)
		}
	}
}
