package handler_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openmda/mda"
	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/examples/lambda/internal/lambdatest"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/staging"
)

// TestWorkerLateGrace: LATE_GRACE sets the worker's late-read policy; a
// range delivered again after its source was integrated has no late reads
// and sends no late event, whatever the grace.
func TestWorkerLateGrace(t *testing.T) {
	ctx := context.Background()
	env := lambdatest.New(t)
	csv, _ := lambdatest.CSV(t, simulator.Options{Meters: 5, Days: 2, Seed: 3, LateFraction: 0.05, LateOffset: 24 * time.Hour})
	const key = "data/landing/late.csv"
	lambdatest.Put(t, env.Inbound, key, csv)
	p := mda.NewPipeline(env.Lake, nil)
	defer p.Close()
	msgs, err := p.Plan(ctx, env.InboundURL, key, &mda.PlanOptions{Split: &ranges.SplitOptions{Ranges: 1}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	event := lambdatest.SQSEvent(t, []lambdatest.Record{{ID: "r0", Body: string(body)}})
	logger := lambdaenv.Logger(t.Output(), "warn")
	process := func(grace string) (*staging.Commit, int) {
		t.Helper()
		vars := map[string]string{}
		for k, v := range env.Vars {
			vars[k] = v
		}
		lateURL, lateSub := lambdatest.Queue(t, "late")
		vars["LATE_TOPIC_URL"] = lateURL
		if grace != "" {
			vars["LATE_GRACE"] = grace
		}
		w, err := handler.NewWorker(ctx, lambdaenv.New(lambdaenv.Map(vars)), logger)
		if err != nil {
			t.Fatal(err)
		}
		out, err := lambdatest.Invoke(ctx, w.Handle, event)
		if err != nil {
			t.Fatal(err)
		}
		if f := lambdatest.Failures(t, out); len(f) != 0 {
			t.Fatalf("grace %q: failed %v", grace, f)
		}
		c, err := staging.ReadCommit(ctx, env.Lake, msgs[0].SourceID, 0)
		if err != nil || c == nil {
			t.Fatalf("grace %q: no commit: %v", grace, err)
		}
		return c, len(lambdatest.Drain(t, lateSub))
	}
	if c, events := process(""); c.Late == 0 || events == 0 || c.Redelivery {
		t.Errorf("default grace: %d late reads, %d late events; want some", c.Late, events)
	}
	if c, events := process("48h"); c.Late != 0 || events != 0 {
		t.Errorf("LATE_GRACE=48h, reads 24 h late: %d late reads, %d late events; want none", c.Late, events)
	}
	if _, err := staging.Integrate(ctx, env.Lake, nil); err != nil {
		t.Fatal(err)
	}
	if c, events := process("1h"); c.Late != 0 || events != 0 || !c.Redelivery {
		t.Errorf("range delivered again after integration: %d late reads, %d late events, redelivery %v; want none, true", c.Late, events, c.Redelivery)
	}
	if _, err := handler.NewWorker(ctx, lambdaenv.New(lambdaenv.Map(map[string]string{"LAKE_URL": env.LakeURL, "LATE_GRACE": "soon"})), logger); err == nil || !strings.Contains(err.Error(), "LATE_GRACE") {
		t.Errorf("LATE_GRACE=soon: %v, want an error naming it", err)
	}
}

// TestInboundSkipsIngested: an object-created event for an object whose
// reads the lake has integrated (the same key, size and ETag) plans nothing.
func TestInboundSkipsIngested(t *testing.T) {
	ctx := context.Background()
	env := lambdatest.New(t)
	rangesURL, rangesSub := lambdatest.Queue(t, "ranges")
	env.Vars["RANGES_TOPIC_URL"] = rangesURL
	h, err := handler.NewInbound(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "warn"))
	if err != nil {
		t.Fatal(err)
	}
	csv, _ := lambdatest.CSV(t, simulator.Options{Meters: 3, Days: 1, Seed: 9})
	const key = "data/landing/hes.csv"
	obj := handler.Object{Bucket: lambdatest.InboundBucket, Key: key, Time: time.Date(2024, 3, 2, 0, 20, 0, 0, time.UTC)}
	lambdatest.Put(t, env.Inbound, key, csv)
	p, err := h.Plan(ctx, obj)
	if err != nil || p.Skipped != "" || p.Ranges == 0 {
		t.Fatalf("first event: %+v, %v", p, err)
	}
	if n := len(lambdatest.Drain(t, rangesSub)); n != p.Ranges {
		t.Fatalf("%d messages for %d ranges", n, p.Ranges)
	}
	env.Stage(t, key, csv, nil) // the workers (the same bytes: the same object)
	if _, err := staging.Integrate(ctx, env.Lake, nil); err != nil {
		t.Fatal(err)
	}
	again, err := h.Plan(ctx, obj)
	if err != nil || !strings.HasPrefix(again.Skipped, "already ingested") || again.SourceID != p.SourceID {
		t.Errorf("event after integration: %+v, %v; want it skipped as already ingested", again, err)
	}
	if n := len(lambdatest.Drain(t, rangesSub)); n != 0 {
		t.Errorf("%d range messages sent for an ingested object", n)
	}
}
