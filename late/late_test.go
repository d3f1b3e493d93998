package late_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"gocloud.dev/pubsub/mempubsub"

	"github.com/openmda/mda/late"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/staging"
)

func TestTrackerRule(t *testing.T) {
	at := func(s string) time.Time { tm, _ := time.Parse("2006-01-02 15:04", s); return tm }
	tests := []struct {
		name  string
		lake  time.Time
		times []string
		late  []bool
	}{
		// Normal latency: a 10:45 read after 11:00 reads is not late (the
		// guidance's rule flags it).
		{"normal latency", time.Time{}, []string{"2024-03-01 11:00", "2024-03-01 11:15", "2024-03-01 10:45"}, []bool{false, false, false}},
		// Yesterday's read among today's is late.
		{"a day late", time.Time{}, []string{"2024-03-02 10:00", "2024-03-01 10:00"}, []bool{false, true}},
		// The lake's watermark counts from the first read on.
		{"behind the lake", at("2024-03-05 00:00"), []string{"2024-03-01 10:00", "2024-03-04 23:00"}, []bool{true, false}},
		// Exactly at the grace is not late.
		{"at the grace", time.Time{}, []string{"2024-03-01 12:00", "2024-03-01 10:00", "2024-03-01 09:59"}, []bool{false, false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := late.Policy{}.NewTracker(tt.lake)
			for i, s := range tt.times {
				if got := tr.Late(at(s)); got != tt.late[i] {
					t.Errorf("read %s: late %v, want %v", s, got, tt.late[i])
				}
			}
		})
	}
}

func TestPublishOneEventPerLateFile(t *testing.T) {
	ctx := context.Background()
	topic := mempubsub.NewTopic()
	defer topic.Shutdown(ctx)
	sub := mempubsub.NewSubscription(topic, time.Minute)
	defer sub.Shutdown(ctx)
	h := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	c := &staging.Commit{Message: ranges.Message{Source: "f.csv", Arrival: h.Add(26 * time.Hour)}, Files: []staging.File{
		{Key: "staging/a.parquet", Partition: "readings/reading_type=kw/year=2024/month=03/day=01/hour=10/", Late: 3, LateMin: h, LateMax: h.Add(time.Hour)},
		{Key: "staging/b.parquet", Partition: "readings/reading_type=kw/year=2024/month=03/day=02/hour=12/"},
	}}
	n, err := late.Publish(ctx, topic, c)
	if err != nil || n != 1 {
		t.Fatalf("published %d, %v", n, err)
	}
	m, err := sub.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m.Ack()
	var ev late.Event
	if err := json.Unmarshal(m.Body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.StagingKey != "staging/a.parquet" || ev.Reads != 3 || !ev.Earliest.Equal(h) || ev.Source != "f.csv" {
		t.Errorf("event %+v", ev)
	}
}

// TestTrackerLateIn: in a file ordered by series, each series is judged
// against its own latest read and the lake's watermark, never against
// another series' reads.
func TestTrackerLateIn(t *testing.T) {
	at := func(s string) time.Time { tm, _ := time.Parse("2006-01-02 15:04", s); return tm }
	reads := []struct {
		series, time string
		late         bool
	}{
		{"a", "2024-03-01 00:30", false},
		{"a", "2024-03-03 23:30", false},
		{"b", "2024-03-01 00:30", false}, // the next meter starts again: not late
		{"b", "2024-03-03 23:30", false},
		{"a", "2024-03-02 10:00", true}, // a day behind its own series
		{"c", "2024-02-20 10:00", true}, // behind the lake
	}
	tr := late.Policy{}.NewTracker(at("2024-02-25 00:00"))
	for _, r := range reads {
		if got := tr.LateIn(r.series, at(r.time)); got != r.late {
			t.Errorf("series %s at %s: late %v, want %v", r.series, r.time, got, r.late)
		}
	}
}

// TestEventsOnePerSourceAndPartition: the late files of one partition from
// several ranges of a source make one event; another source's make their
// own; integrated commits (no files) and files without late reads make
// none.
func TestEventsOnePerSourceAndPartition(t *testing.T) {
	h := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	const p10, p11 = "readings/reading_type=kw/year=2024/month=03/day=01/hour=10/", "readings/reading_type=kw/year=2024/month=03/day=01/hour=11/"
	commit := func(id string, i int, files ...staging.File) *staging.Commit {
		return &staging.Commit{Message: ranges.Message{SourceID: id, Source: id + ".csv", Ranges: 3, Range: ranges.Range{Index: i}, Arrival: h.Add(26 * time.Hour)}, Files: files}
	}
	file := func(key, part string, n int64, from, to time.Duration) staging.File {
		return staging.File{Key: key, Partition: part, Late: n, LateMin: h.Add(from), LateMax: h.Add(to)}
	}
	evs := late.Events(
		commit("a", 0, file("a0-10", p10, 2, 10*time.Minute, 20*time.Minute), file("a0-11", p11, 0, 0, 0)),
		commit("a", 1, file("a1-10", p10, 3, 5*time.Minute, 15*time.Minute), file("a1-11", p11, 1, 70*time.Minute, 70*time.Minute)),
		&staging.Commit{Message: ranges.Message{SourceID: "a", Ranges: 3, Range: ranges.Range{Index: 2}}, Integrated: true},
		commit("b", 0, file("b0-10", p10, 4, 0, 0)),
	)
	want := []late.Event{
		{Partition: p10, StagingKey: "a0-10", Files: 2, Source: "a.csv", Reads: 5, Earliest: h.Add(5 * time.Minute), Latest: h.Add(20 * time.Minute), Arrival: h.Add(26 * time.Hour)},
		{Partition: p11, StagingKey: "a1-11", Files: 1, Source: "a.csv", Reads: 1, Earliest: h.Add(70 * time.Minute), Latest: h.Add(70 * time.Minute), Arrival: h.Add(26 * time.Hour)},
		{Partition: p10, StagingKey: "b0-10", Files: 1, Source: "b.csv", Reads: 4, Earliest: h, Latest: h, Arrival: h.Add(26 * time.Hour)},
	}
	if len(evs) != len(want) {
		t.Fatalf("%d events: %+v, want %d", len(evs), evs, len(want))
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, evs[i], want[i])
		}
	}
}
