package mda_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	natsserver "github.com/nats-io/nats-server/v2/test"
	"github.com/nats-io/nats.go"
	"gocloud.dev/pubsub/natspubsub"

	"github.com/openmda/mda"
	"github.com/openmda/mda/internal/s3test"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/staging"
)

// TestGoldenFaults is the exactly-once proof: on s3:// (gofakes3 through
// the real AWS SDK) with range messages on NATS (an embedded server), it
// ingests a simulated file with late and duplicate lines while injecting
// faults, reruns what failed, and checks that the lake equals the
// generator's truth: every read once, none lost.
func TestGoldenFaults(t *testing.T) {
	ctx := context.Background()
	g := newGenerator(t, simulator.Options{Meters: 25, Days: 3, Seed: 42,
		LateFraction: 0.03, LateOffset: 24 * time.Hour, DuplicateFraction: 0.02, BadFraction: 0.002})
	data, st := csvOf(t, g)
	want := truth(t, g)

	s3 := s3test.New(t)
	lake := s3.Bucket(t, "lake")
	inbound := s3.Bucket(t, "inbound")
	var gz []byte
	{
		var buf writerBuf
		w := gzip.NewWriter(&buf)
		w.Write(data)
		w.Close()
		gz = buf.b
	}
	if err := inbound.WriteAll(ctx, "data/landing/hes.csv.gz", gz, nil); err != nil {
		t.Fatal(err)
	}

	srv := natsserver.RunRandClientPortServer()
	defer srv.Shutdown()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	topic, err := natspubsub.OpenTopicV2(nc, "mda.ranges", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer topic.Shutdown(ctx)
	sub, err := natspubsub.OpenSubscriptionV2(nc, "mda.ranges", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Shutdown(ctx)

	// Faults: a staging write that fails once (an S3 500 with SDK retries
	// off); a worker that dies after staging, before its commit, on two
	// ranges; a worker that dies after its commit, before its ack; and a
	// crash between writing a compacted partition and deleting what it
	// replaces. On top, every range message is delivered twice.
	s3.FailNext(http.MethodPut, "/lake/staging/readings/reading_type=kw/", 1)
	var staged, acked, compacted atomic.Int64
	var mu sync.Mutex
	diedBeforeCommit := map[int]bool{}
	faults := &mda.Faults{
		AfterStage: func(m ranges.Message) error {
			staged.Add(1)
			mu.Lock()
			defer mu.Unlock()
			if (m.Range.Index == 1 || m.Range.Index == 4) && !diedBeforeCommit[m.Range.Index] {
				diedBeforeCommit[m.Range.Index] = true
				return errors.New("injected: worker died after staging, before its commit")
			}
			return nil
		},
		BeforeAck: func(c *staging.Commit) bool {
			return acked.Add(1) != 3 // the third worker to commit dies before acking
		},
		AfterCompact: func(partition.FileInfo) error {
			if compacted.Add(1) == 5 {
				return errors.New("injected: crash after writing a compacted partition")
			}
			return nil
		},
	}
	opts := &mda.IngestOptions{
		Workers: 3, Split: &ranges.SplitOptions{Ranges: 7}, Inbound: inbound,
		Queue: &mda.Queue{Topic: topic, Subscription: sub}, Duplicate: true,
		Redeliver: 500 * time.Millisecond, MaxAttempts: 5, Faults: faults,
	}
	_, err = mda.Ingest(ctx, lake, inbound, "data/landing/hes.csv.gz", opts)
	if err == nil {
		t.Fatal("the crash during integration did not surface")
	}
	// Rerun to completion: the scheduled integrator's next run.
	ist, err := staging.Integrate(ctx, lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ist.Locked != 0 {
		t.Fatalf("%d partitions left locked: a lock outlived its integrator", ist.Locked)
	}
	got := allReads(t, lake)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("lake differs from the truth (-want +got):\n%s", diff)
	}
	keys := map[meter.Key]bool{}
	for _, r := range got {
		keys[r.Key()] = true
	}
	if len(got) != len(keys) || int64(len(got)) != st.Reads-st.DuplicateLines*6 {
		t.Errorf("count %d, distinct keys %d, expected %d", len(got), len(keys), st.Reads-st.DuplicateLines*6)
	}
	if s3.Injected() != 1 || len(diedBeforeCommit) != 2 || compacted.Load() < 5 {
		t.Errorf("faults fired: s3 %d, died before commit %d, compactions %d", s3.Injected(), len(diedBeforeCommit), compacted.Load())
	}
	// Nothing is left in staging; the quarantine holds every bad line with its file line number.
	if left := listKeys(t, lake, staging.Prefix+"readings/"); len(left) != 0 {
		t.Errorf("staging not empty after integration: %v", left)
	}
	if left := listKeys(t, lake, staging.CommitPrefix); len(left) != 0 {
		t.Errorf("commits left after integration: %v", left)
	}
	var bad int64
	for _, key := range listKeys(t, lake, staging.ErrorsPrefix) {
		lines, err := staging.ReadBadLines(ctx, lake, key)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if l.Line < 2 {
				t.Errorf("bad line without a file line number: %+v", l)
			}
		}
		bad += int64(len(lines))
	}
	if bad != st.BadLines {
		t.Errorf("%d quarantined, want %d", bad, st.BadLines)
	}
	t.Logf("integrate rerun: %+v; staged %d times, %d acks", ist, staged.Load(), acked.Load())

	// A second ingest of the same object leaves the lake unchanged.
	before := listKeys(t, lake, partition.Prefix)
	if _, err := mda.Ingest(ctx, lake, inbound, "data/landing/hes.csv.gz", &mda.IngestOptions{Inbound: inbound, Split: &ranges.SplitOptions{Ranges: 7}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, allReads(t, lake)); diff != "" {
		t.Fatalf("second ingest changed the lake (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, listKeys(t, lake, partition.Prefix)); diff != "" {
		t.Errorf("second ingest changed the files:\n%s", diff)
	}
}

type writerBuf struct{ b []byte }

func (w *writerBuf) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
