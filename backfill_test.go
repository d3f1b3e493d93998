package mda_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/openmda/mda"
	"github.com/openmda/mda/late"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/staging"
)

// olderAndNewer returns two HES exports of the same meters: newer covers
// March 3, older March 2 plus the first overlap data lines of newer
// (an export that runs into the period the lake holds); and the truth of
// their union: every read once.
func olderAndNewer(t *testing.T, overlap int) (older, newer []byte, union []meter.Reading, olderDups int64) {
	t.Helper()
	gNew := newGenerator(t, simulator.Options{Meters: 12, Days: 1, Seed: 21, Start: time.Date(2024, 3, 3, 0, 0, 0, 0, time.UTC)})
	gOld := newGenerator(t, simulator.Options{Meters: 12, Days: 1, Seed: 21, Start: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC), DuplicateFraction: 0.02})
	newer, _ = csvOf(t, gNew)
	old, st := csvOf(t, gOld)
	lines := bytes.SplitAfter(newer, []byte("\n"))[1 : 1+overlap] // after the header
	older = append(bytes.Clone(old), bytes.Join(lines, nil)...)
	union = append(truth(t, gNew), truth(t, gOld)...)
	sortReads(union)
	return older, newer, union, (st.DuplicateLines + int64(overlap)) * int64(len(meter.HESTypes))
}

// TestBackfillOlderAfterNewer: history ingested after newer data, as a
// backfill, has no late reads and sends no late event, leaves the lake
// with exactly the union of both files' reads (none lost, none twice, the
// overlap de-duplicated), and leaves the watermark where the newer file
// put it. The same file ingested without --backfill gives the same lake
// but finds nearly every read late and sends an event per partition.
func TestBackfillOlderAfterNewer(t *testing.T) {
	ctx := context.Background()
	older, newer, union, dups := olderAndNewer(t, 100)
	for _, tc := range []struct {
		name, key string
		backfill  bool
	}{
		{"backfill", "older.csv", true},
		{"historic prefix", mda.HistoricPrefix + "older.csv", false},
		{"without backfill", "older.csv", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lake := openBucket(t, "mem://")
			lake.WriteAll(ctx, "newer.csv", newer, nil)
			lake.WriteAll(ctx, tc.key, older, nil)
			split := &ranges.SplitOptions{Ranges: 3}
			first, err := mda.Ingest(ctx, lake, lake, "newer.csv", &mda.IngestOptions{Split: split})
			if err != nil {
				t.Fatal(err)
			}
			if first.Backfill || first.Late != 0 {
				t.Fatalf("newer file on an empty lake: %+v", first)
			}
			wm, err := staging.ReadWatermark(ctx, lake)
			if err != nil || wm.MaxReadingTime.IsZero() {
				t.Fatalf("watermark %v, %v", wm, err)
			}
			before := len(allReads(t, lake))
			st, err := mda.Ingest(ctx, lake, lake, tc.key, &mda.IngestOptions{Split: split, Backfill: tc.backfill})
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(union, allReads(t, lake)); diff != "" {
				t.Fatalf("lake is not the union of the files (-want +got):\n%s", diff)
			}
			// Every read of the file is counted once: added to the lake, or
			// dropped as a copy (the file's own duplicates and the overlap).
			added := int64(len(union) - before)
			if st.Duplicates != dups || st.Lines*6 != added+dups || st.Integrate.Added+st.LateAdded < added {
				t.Errorf("%d lines, %d duplicates dropped, %d reads added (%d by the integration); want %d duplicates, %d added",
					st.Lines, st.Duplicates, added, st.Integrate.Added, dups, added)
			}
			src, err := staging.ReadSource(ctx, lake, st.SourceID)
			if err != nil || src == nil {
				t.Fatalf("source record %v, %v", src, err)
			}
			after, _ := staging.ReadWatermark(ctx, lake)
			if tc.name == "without backfill" {
				// The flood that backfill mode prevents.
				if st.Backfill || 2*st.Late < st.Staged || st.LateEvents == 0 || src.Backfill {
					t.Errorf("older file without backfill: %+v; want most reads late, events sent", st)
				}
				return
			}
			if !st.Backfill || st.Late != 0 || st.LateEvents != 0 || st.LateAdded != 0 || !src.Backfill || src.Late != 0 {
				t.Errorf("backfill: stats %+v, source %+v; want late detection off", st, src)
			}
			if !after.MaxReadingTime.Equal(wm.MaxReadingTime) {
				t.Errorf("backfill moved the watermark from %v to %v", wm.MaxReadingTime, after.MaxReadingTime)
			}
		})
	}
}

// receive takes the events sent on sub: at least want of them (waiting up
// to 10 s for them), and any that follow within 100 ms.
func receive(t *testing.T, sub *pubsub.Subscription, want int) []late.Event {
	t.Helper()
	var out []late.Event
	deadline := time.Now().Add(10 * time.Second)
	for {
		wait := 100 * time.Millisecond
		if len(out) < want {
			wait = time.Until(deadline)
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		m, err := sub.Receive(ctx)
		cancel()
		if err != nil {
			return out
		}
		m.Ack()
		var ev late.Event
		if err := json.Unmarshal(m.Body, &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
}

// meterMajor reorders a HES CSV by meter, then time, so that every range
// of it holds reads of every hour: the late reads of one partition are in
// every range.
func meterMajor(data []byte) []byte {
	lines := bytes.SplitAfter(data, []byte("\n"))
	head, body := lines[0], lines[1:]
	if len(body) > 0 && len(body[len(body)-1]) == 0 {
		body = body[:len(body)-1]
	}
	field := func(l []byte, i int) []byte { return bytes.Split(l, []byte(","))[i] }
	slices.SortStableFunc(body, func(a, b []byte) int {
		return cmp.Or(bytes.Compare(field(a, 2), field(b, 2)), bytes.Compare(field(a, 0), field(b, 0))) // device_id, time
	})
	return append(bytes.Clone(head), bytes.Join(body, nil)...)
}

// TestLateEventsPerSourceAndPartition: a source of several ranges whose
// late reads of each partition are spread over all of them announces each
// late partition once, when its last range commits, and never before;
// the handler's re-integration of those events and the full integration
// then leave exactly the file's reads in the lake. A backfill of the same
// source sends nothing.
func TestLateEventsPerSourceAndPartition(t *testing.T) {
	ctx := context.Background()
	g := newGenerator(t, simulator.Options{Meters: 8, Days: 1, Seed: 5})
	data, _ := csvOf(t, g)
	data = meterMajor(data)
	want := truth(t, g)
	for _, backfill := range []bool{false, true} {
		lake := openBucket(t, "mem://")
		lake.WriteAll(ctx, "in.csv", data, nil)
		// The lake has integrated the next day: every read of the file is late.
		lake.WriteAll(ctx, staging.WatermarkKey, []byte(`{"max_reading_time":"2024-03-03T00:00:00Z"}`), nil)
		topic := mempubsub.NewTopic()
		defer topic.Shutdown(ctx)
		sub := mempubsub.NewSubscription(topic, time.Minute)
		defer sub.Shutdown(ctx)
		p := mda.NewPipeline(lake, &mda.PipelineOptions{Sources: map[string]*blob.Bucket{"in": lake}, LateTopic: topic, NoAlign: true, Backfill: backfill})
		defer p.Close()
		msgs, err := p.Plan(ctx, "in", "in.csv", &mda.PlanOptions{Split: &ranges.SplitOptions{Ranges: 4}})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 4 {
			t.Fatalf("%d ranges, want 4", len(msgs))
		}
		var commits []*staging.Commit
		var events []late.Event
		// Out of order, as parallel workers finish.
		for i, r := range []int{2, 0, 3, 1} {
			c, err := p.ProcessRange(ctx, msgs[r])
			if err != nil {
				t.Fatal(err)
			}
			commits = append(commits, c)
			if i < len(msgs)-1 {
				if evs := receive(t, sub, 0); len(evs) != 0 {
					t.Fatalf("%d events after %d of %d ranges committed; want none before the last", len(evs), i+1, len(msgs))
				}
			}
		}
		if !backfill {
			events = receive(t, sub, 25*6)
		} else {
			events = receive(t, sub, 0)
		}
		var nlate, lateFiles int64
		parts := map[string]int{}
		for _, c := range commits {
			nlate += c.Late
			if c.Backfill != backfill {
				t.Errorf("commit of range %d: backfill %v, want %v", c.Message.Range.Index, c.Backfill, backfill)
			}
			for _, f := range c.Files {
				if f.Late > 0 {
					lateFiles++
					parts[f.Partition]++
				}
			}
		}
		if backfill {
			if nlate != 0 || len(events) != 0 {
				t.Errorf("backfill: %d late reads, %d events; want none", nlate, len(events))
			}
		} else {
			// 25 partition hours (a day's reads run from 00:15 to the
			// next midnight, which lies in the next day's first hour)
			// and 6 types, each hour in every range.
			if len(parts) != 25*6 || lateFiles != int64(len(msgs))*25*6 {
				t.Fatalf("%d late files in %d partitions; want every partition in every range", lateFiles, len(parts))
			}
			if len(events) != len(parts) {
				t.Errorf("%d events for %d late partitions (%d late files); want one per partition", len(events), len(parts), lateFiles)
			}
			var reads int64
			for _, ev := range events {
				reads += ev.Reads
				if ev.Files != parts[ev.Partition] || ev.Source != "in.csv" || !strings.HasPrefix(ev.StagingKey, staging.Prefix) || ev.Earliest.After(ev.Latest) {
					t.Errorf("event %+v: want the %d files of its partition", ev, parts[ev.Partition])
				}
			}
			if reads != nlate || nlate != int64(len(want)) {
				t.Errorf("events count %d late reads, commits %d, the file has %d reads", reads, nlate, len(want))
			}
			// The handler re-integrates the partitions (a partial run).
			h := late.NewHandler(lake, nil)
			if _, err := h.Handle(ctx, events); err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(want, allReads(t, lake)); diff != "" {
				t.Fatalf("lake after the late handler (-want +got):\n%s", diff)
			}
		}
		if _, err := staging.Integrate(ctx, lake, nil); err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(want, allReads(t, lake)); diff != "" {
			t.Fatalf("backfill %v: lake after integration (-want +got):\n%s", backfill, diff)
		}
		wm, _ := staging.ReadWatermark(ctx, lake)
		if got := wm.MaxReadingTime.Format(time.RFC3339); got != "2024-03-03T00:00:00Z" {
			t.Errorf("watermark %s after an older file", got)
		}
	}
}

// TestBackfillPastTheFeed: history that runs past what the live feed has
// delivered (an export up to today) is ingested as a backfill without
// moving the watermark, though the lake then holds later reads: the next
// live file is not late behind it. Without backfill the watermark moves.
func TestBackfillPastTheFeed(t *testing.T) {
	ctx := context.Background()
	history := newGenerator(t, simulator.Options{Meters: 4, Days: 3, Seed: 3, Start: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}) // to March 3
	historyCSV, _ := csvOf(t, history)
	// The live feed has delivered March 2 (the lines that mention it).
	lines := bytes.SplitAfter(historyCSV, []byte("\n"))
	liveCSV := bytes.Clone(lines[0])
	for _, l := range lines[1:] {
		if bytes.Contains(l, []byte("2024-03-02")) {
			liveCSV = append(liveCSV, l...)
		}
	}
	for _, backfill := range []bool{true, false} {
		lake := openBucket(t, "mem://")
		lake.WriteAll(ctx, "live.csv", liveCSV, nil)
		lake.WriteAll(ctx, "history.csv", historyCSV, nil)
		if _, err := mda.Ingest(ctx, lake, lake, "live.csv", nil); err != nil {
			t.Fatal(err)
		}
		wm, _ := staging.ReadWatermark(ctx, lake)
		st, err := mda.Ingest(ctx, lake, lake, "history.csv", &mda.IngestOptions{Backfill: backfill})
		if err != nil {
			t.Fatal(err)
		}
		after, _ := staging.ReadWatermark(ctx, lake)
		want := truth(t, history)
		if diff := gocmp.Diff(want, allReads(t, lake)); diff != "" {
			t.Fatalf("backfill %v: lake (-want +got):\n%s", backfill, diff)
		}
		if backfill != after.MaxReadingTime.Equal(wm.MaxReadingTime) {
			t.Errorf("backfill %v (stats backfill %v): watermark %v before, %v after; want it moved only without backfill",
				backfill, st.Backfill, wm.MaxReadingTime, after.MaxReadingTime)
		}
	}
}

// TestBackfillTravelsWithTheMessage: a range planned as a backfill is one
// whichever pipeline processes it (workers of a shared queue), and a live
// range planned by a live pipeline is live even on a backfill pipeline.
func TestBackfillTravelsWithTheMessage(t *testing.T) {
	ctx := context.Background()
	g := newGenerator(t, simulator.Options{Meters: 4, Days: 1, Seed: 9})
	data, _ := csvOf(t, g)
	for _, plannedBackfill := range []bool{true, false} {
		lake := openBucket(t, "mem://")
		lake.WriteAll(ctx, "in.csv", data, nil)
		// Every read of the file is behind the watermark.
		lake.WriteAll(ctx, staging.WatermarkKey, []byte(`{"max_reading_time":"2024-03-05T00:00:00Z"}`), nil)
		sources := map[string]*blob.Bucket{"in": lake}
		planner := mda.NewPipeline(lake, &mda.PipelineOptions{Sources: sources, Backfill: plannedBackfill})
		worker := mda.NewPipeline(lake, &mda.PipelineOptions{Sources: sources, Backfill: !plannedBackfill})
		msgs, err := planner.Plan(ctx, "in", "in.csv", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			b, _ := json.Marshal(m)
			var back ranges.Message
			if err := json.Unmarshal(b, &back); err != nil || back.Backfill != plannedBackfill {
				t.Fatalf("message %s: backfill lost on the wire (%v)", b, err)
			}
			c, err := worker.ProcessRange(ctx, back)
			if err != nil {
				t.Fatal(err)
			}
			if c.Backfill != plannedBackfill || (c.Late == 0) != plannedBackfill {
				t.Errorf("planned backfill %v, processed by a pipeline with backfill %v: commit backfill %v, %d late",
					plannedBackfill, !plannedBackfill, c.Backfill, c.Late)
			}
		}
		planner.Close()
		worker.Close()
	}
}
