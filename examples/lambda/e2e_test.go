package lambda_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"

	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/examples/lambda/internal/lambdatest"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/staging"
)

// sqsQueue stands in for an SQS standard queue with a redrive policy, as
// the event source mapping of template.yaml drives it: batches of up to
// batchSize messages, failed messages (from the partial batch response)
// delivered again, and a message received maxReceiveCount times without
// success moved to the dead-letter queue.
type sqsQueue struct {
	visible []*lambdatest.Record
	dlq     []string
}

const (
	batchSize       = 4
	maxReceiveCount = 5
)

func (q *sqsQueue) send(id, body string) {
	q.visible = append(q.visible, &lambdatest.Record{ID: id, Body: body})
}

// drain delivers batches to fn until the queue is empty, and returns the
// IDs that failed on their first delivery.
func (q *sqsQueue) drain(t *testing.T, fn any) (firstFailures []string) {
	t.Helper()
	for round := 0; len(q.visible) > 0; round++ {
		if round > 1000 {
			t.Fatal("the queue does not drain")
		}
		n := min(batchSize, len(q.visible))
		batch := q.visible[:n]
		q.visible = q.visible[n:]
		recs := make([]lambdatest.Record, n)
		for i, r := range batch {
			r.Receives++
			recs[i] = *r
		}
		out, err := lambdatest.Invoke(context.Background(), fn, lambdatest.SQSEvent(t, recs))
		if err != nil {
			t.Fatalf("invocation failed as a whole: %v", err)
		}
		failed := map[string]bool{}
		for _, id := range lambdatest.Failures(t, out) {
			failed[id] = true
		}
		for _, r := range batch {
			switch {
			case !failed[r.ID]:
				// deleted
			case r.Receives >= maxReceiveCount:
				q.dlq = append(q.dlq, r.ID)
			default:
				if r.Receives == 1 {
					firstFailures = append(firstFailures, r.ID)
				}
				q.visible = append(q.visible, r)
			}
		}
	}
	return firstFailures
}

// TestEndToEnd runs the whole Lambda pipeline on one simulated head-end
// export, gzip-compressed under a key that S3 notifications URL-encode:
// the inbound function (invoked with an S3 notification) decompresses it
// and queues its ranges; the worker function drains the queue in SQS
// batches, with one S3 failure and one poison message; the late-read
// function handles the late events; the integrator runs on schedule. The
// lake must then hold exactly the simulator's truth.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	env := lambdatest.New(t)
	csv, g := lambdatest.CSV(t, simulator.Options{Meters: 10, Days: 1, Seed: 42,
		LateFraction: 0.03, LateOffset: 6 * time.Hour, DuplicateFraction: 0.02, BadFraction: 0.005})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(csv)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	lambdatest.Put(t, env.Inbound, "data/landing/hes file=1.csv.gz", gz.Bytes())

	rangesURL, rangesSub := lambdatest.Queue(t, "ranges")
	lateURL, lateSub := lambdatest.Queue(t, "late")
	env.Vars["RANGES_TOPIC_URL"] = rangesURL
	env.Vars["LATE_TOPIC_URL"] = lateURL
	env.Vars["MIN_CHUNK"] = "16KiB"
	env.Vars["MAX_WORKERS"] = "8"
	logger := lambdaenv.Logger(t.Output(), "warn")
	vars := lambdaenv.New(env.Getenv)
	inbound, err := handler.NewInbound(ctx, vars, logger)
	if err != nil {
		t.Fatal(err)
	}
	worker, err := handler.NewWorker(ctx, vars, logger)
	if err != nil {
		t.Fatal(err)
	}
	lateFn, err := handler.NewLate(ctx, vars, logger)
	if err != nil {
		t.Fatal(err)
	}
	integrator, err := handler.NewIntegrator(ctx, vars, logger)
	if err != nil {
		t.Fatal(err)
	}

	// 1. The object-created notification.
	event, err := os.ReadFile("inbound/testdata/s3-notification.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lambdatest.Invoke(ctx, inbound.Handle, event); err != nil {
		t.Fatal(err)
	}

	// 2. The range messages, through a simulated SQS queue, plus a poison
	// message; the first read of the uncompressed copy fails.
	q := &sqsQueue{}
	msgs := lambdatest.Drain(t, rangesSub)
	if len(msgs) < 3 {
		t.Fatalf("%d ranges, want several", len(msgs))
	}
	for i, m := range msgs {
		q.send(fmt.Sprintf("range-%02d", i), string(m.Body))
	}
	q.send("poison", `{"bucket":"s3://nowhere","key":`)
	env.S3.FailNext(http.MethodGet, "/"+lambdatest.InboundBucket+"/inbound/uncompressed/", lambdatest.SDKAttempts)
	first := q.drain(t, worker.Handle)
	if diff := cmp.Diff([]string{"poison"}, q.dlq); diff != "" {
		t.Errorf("dead-letter queue (-want +got):\n%s", diff)
	}
	if len(first) != 2 || env.S3.Injected() != lambdatest.SDKAttempts {
		t.Errorf("first deliveries that failed: %v, want the poison and the range that met the S3 fault", first)
	}

	// 3. The late events.
	lq := &sqsQueue{}
	for i, m := range lambdatest.Drain(t, lateSub) {
		lq.send(fmt.Sprintf("late-%03d", i), string(m.Body))
	}
	if len(lq.visible) == 0 {
		t.Error("no late events, but the file has late lines")
	}
	lq.drain(t, lateFn.Handle)
	if len(lq.dlq) != 0 {
		t.Errorf("late events dead-lettered: %v", lq.dlq)
	}

	// 4. The scheduled integration.
	out, err := lambdatest.Invoke(ctx, integrator.Handle, []byte(`{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	var res handler.IntegratorResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if res.Locked != 0 || res.Sources != 1 || res.Commits != len(msgs) {
		t.Errorf("integration %+v: want every range of the one source integrated", res)
	}

	if diff := lambdatest.TruthDiff(t, g, env.Lake); diff != "" {
		t.Fatalf("lake differs from the truth (-want +got):\n%s", diff)
	}
	// Every bad line is in the quarantine, with its line number in the file.
	st, err := g.WriteCSV(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var bad int64
	for _, key := range lambdatest.Keys(t, env.Lake, staging.ErrorsPrefix) {
		lines, err := staging.ReadBadLines(ctx, env.Lake, key)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if l.Line < 2 || l.Source != "data/landing/hes file=1.csv.gz" {
				t.Errorf("quarantined line without its file line or source: %+v", l)
			}
		}
		bad += int64(len(lines))
	}
	if bad != st.BadLines || bad == 0 {
		t.Errorf("%d lines quarantined, the file has %d bad lines", bad, st.BadLines)
	}
	for _, prefix := range []string{staging.Prefix + "readings/", staging.CommitPrefix} {
		if left := lambdatest.Keys(t, env.Lake, prefix); len(left) != 0 {
			t.Errorf("left under %s after integration: %v", prefix, left)
		}
	}
}
