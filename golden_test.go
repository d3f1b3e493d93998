package mda_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	natsserver "github.com/nats-io/nats-server/v2/test"

	"github.com/openmda/mda"
	"github.com/openmda/mda/internal/s3test"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/staging"
)

// TestGoldenFaults is the exactly-once proof: on s3:// (gofakes3 through
// the real AWS SDK) with range messages on NATS (an embedded server, opened
// by nats:// URL as any host would), it ingests a simulated file with late
// and duplicate lines while injecting faults, reruns what failed, and
// checks that the lake equals the generator's truth: every read once, none
// lost.
//
// The fault matrix, and what each fault is proven to do:
//
//   - Every range message is sent twice (IngestOptions.Duplicate), and the
//     ingest drains the queue before it integrates (Drain): every range is
//     processed at least twice, and every range whose deliveries all
//     succeeded committed at least twice, each time with the same files
//     and counts.
//   - A staging PUT fails once (an S3 500, SDK retries off): that delivery
//     fails and the range's other delivery commits.
//   - A worker dies after staging, before its commit, on ranges 1 and 4:
//     nothing of those deliveries is integrated; the other copies commit.
//   - A worker dies after its commit, before its ack, on both deliveries of
//     range 2. NATS core is at most once, so no ack is missed and nothing
//     is redelivered by the queue: what the death loses is the report of
//     the commit. The ingest's sweeper must send the range again after
//     Redeliver; the test asserts that it did (Resent, a third delivery of
//     range 2) and that the re-sent range committed the same files.
//   - The integration crashes between writing a compacted partition and
//     deleting what it replaces: the ingest fails, and the next scheduled
//     integration (staging.Integrate) completes it.
//
// Exactly 3 deliveries fail (the PUT and the two deaths before commit);
// every other delivery commits.
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
	queueURL := "nats://mda.golden.ranges"
	embeddedNATS(t)

	const nranges, diesAfterCommit = 7, 2
	s3.FailNext(http.MethodPut, "/lake/staging/readings/reading_type=kw/", 1)
	var (
		mu               sync.Mutex
		compacted        atomic.Int64
		processed        = map[int]int{}              // deliveries a worker started
		commits          = map[int][]staging.Commit{} // commits written, by range
		diedBeforeCommit = map[int]bool{}
		diedAfterCommit  int
	)
	faults := &mda.Faults{
		BeforeRange: func(m ranges.Message) error {
			mu.Lock()
			defer mu.Unlock()
			processed[m.Range.Index]++
			return nil
		},
		AfterStage: func(m ranges.Message) error {
			mu.Lock()
			defer mu.Unlock()
			if (m.Range.Index == 1 || m.Range.Index == 4) && !diedBeforeCommit[m.Range.Index] {
				diedBeforeCommit[m.Range.Index] = true
				return errors.New("injected: worker died after staging, before its commit")
			}
			return nil
		},
		BeforeAck: func(c *staging.Commit) bool {
			mu.Lock()
			defer mu.Unlock()
			i := c.Message.Range.Index
			commits[i] = append(commits[i], *c)
			if i == diesAfterCommit && diedAfterCommit < 2 {
				diedAfterCommit++
				return false // died after its commit, before its ack
			}
			return true
		},
		AfterCompact: func(partition.FileInfo) error {
			if compacted.Add(1) == 5 {
				return errors.New("injected: crash after writing a compacted partition")
			}
			return nil
		},
	}
	opts := &mda.IngestOptions{
		Workers: 3, Split: &ranges.SplitOptions{Ranges: nranges}, Inbound: inbound,
		QueueURL: queueURL, Duplicate: true, Drain: true,
		Redeliver: 500 * time.Millisecond, MaxAttempts: 5, Faults: faults,
	}
	ingest, err := mda.Ingest(ctx, lake, inbound, "data/landing/hes.csv.gz", opts)
	if err == nil {
		t.Fatal("the crash during integration did not surface")
	}

	// Every range was delivered twice and both deliveries were processed;
	// the deliveries that did not fail committed the same output.
	var nproc, ncommits int
	for i := range nranges {
		p, cs := processed[i], commits[i]
		nproc += p
		ncommits += len(cs)
		failed := p - len(cs)
		switch {
		case p < 2:
			t.Errorf("range %d: processed %d times, want both deliveries processed", i, p)
		case len(cs) == 0:
			t.Errorf("range %d never committed", i)
		case failed == 0 && len(cs) < 2:
			t.Errorf("range %d: %d deliveries, none failed, but %d commits", i, p, len(cs))
		case (i == 1 || i == 4) && failed < 1:
			t.Errorf("range %d: the death before its commit did not fail a delivery", i)
		}
		for k := 1; k < len(cs); k++ {
			a, b := cs[0], cs[k]
			a.Committed, b.Committed = time.Time{}, time.Time{}
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("range %d: delivery %d committed other output (-first +again):\n%s", i, k+1, diff)
			}
		}
	}
	if nproc-ncommits != 3 || s3.Injected() != 1 || len(diedBeforeCommit) != 2 {
		t.Errorf("%d deliveries failed, want 3 (s3 faults %d, deaths before commit %d)", nproc-ncommits, s3.Injected(), len(diedBeforeCommit))
	}
	if ingest.Processed != nproc {
		t.Errorf("the ingest handled %d deliveries, the workers started %d: it did not drain the queue", ingest.Processed, nproc)
	}
	// The worker of range 2 died after both of its first two commits; only
	// the sweeper's re-send can have made the third.
	if diedAfterCommit != 2 || len(commits[diesAfterCommit]) < 3 || processed[diesAfterCommit] < 3 || ingest.Resent < 1 {
		t.Errorf("range %d: died after commit %d times, %d commits, %d deliveries, %d ranges re-sent; want 2 deaths and a re-sent range that committed",
			diesAfterCommit, diedAfterCommit, len(commits[diesAfterCommit]), processed[diesAfterCommit], ingest.Resent)
	}
	if compacted.Load() < 5 {
		t.Errorf("the crash during integration did not happen: %d compactions", compacted.Load())
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
	if diff := diffReads(want, got); diff != "" {
		t.Fatalf("lake differs from the truth (-want +got):\n%s", diff)
	}
	keys := map[meter.Key]bool{}
	for _, r := range got {
		keys[r.Key()] = true
	}
	if len(got) != len(keys) || int64(len(got)) != st.Reads-st.DuplicateLines*6 {
		t.Errorf("count %d, distinct keys %d, expected %d", len(got), len(keys), st.Reads-st.DuplicateLines*6)
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
	t.Logf("ingest: %d deliveries processed, %d re-sent; integrate rerun: %d commits, %d files, %d partitions, %d reads, %d sources",
		ingest.Processed, ingest.Resent, ist.Commits, ist.Files, ist.Partitions, ist.Reads, ist.Sources)

	// A second ingest of the same object is a no-op that says so, and
	// leaves every object of the lake as it was.
	before := objectStates(t, lake, partition.Prefix)
	again, err := mda.Ingest(ctx, lake, inbound, "data/landing/hes.csv.gz", &mda.IngestOptions{Inbound: inbound, Split: &ranges.SplitOptions{Ranges: nranges}, QueueURL: queueURL})
	if err != nil {
		t.Fatal(err)
	}
	if again.AlreadyIngested == nil || again.Late != 0 || again.Processed != 0 {
		t.Errorf("second ingest: %+v, want a no-op", again)
	}
	if diff := diffReads(want, allReads(t, lake)); diff != "" {
		t.Fatalf("second ingest changed the lake (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, objectStates(t, lake, partition.Prefix)); diff != "" {
		t.Errorf("second ingest changed the files:\n%s", diff)
	}
}

var natsOnce struct {
	sync.Once
	url string
}

// embeddedNATS starts a NATS server for the whole test binary, once, and
// points NATS_SERVER_URL at it: gocloud.dev's natspubsub opens nats:// URLs
// on the server that variable names, connecting once per process.
func embeddedNATS(t testing.TB) string {
	t.Helper()
	natsOnce.Do(func() {
		srv := natsserver.RunRandClientPortServer()
		natsOnce.url = srv.ClientURL()
		os.Setenv("NATS_SERVER_URL", natsOnce.url)
	})
	if os.Getenv("NATS_SERVER_URL") != natsOnce.url {
		t.Fatalf("NATS_SERVER_URL is %q, not the embedded server %s", os.Getenv("NATS_SERVER_URL"), natsOnce.url)
	}
	return natsOnce.url
}

type writerBuf struct{ b []byte }

func (w *writerBuf) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
