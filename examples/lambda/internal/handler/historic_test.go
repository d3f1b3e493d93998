package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda"
	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/examples/lambda/internal/lambdatest"
	"github.com/openmda/mda/late"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/staging"
)

// TestInboundHistoric: an object under data/historic/ (the guidance's
// folder for bulk history) is planned as a backfill, and the worker
// function stages its ranges without late detection: no late event,
// although the lake's watermark is a day ahead of every read, and the
// integration leaves the watermark where it was. The same bytes under
// data/landing/ are all late, and announced once per late partition (a
// file this small is one range; TestLateEventsPerSourceAndPartition in the
// mda package tests the grouping of several ranges' files).
func TestInboundHistoric(t *testing.T) {
	ctx := context.Background()
	csv, g := lambdatest.CSV(t, simulator.Options{Meters: 4, Days: 1, Seed: 8})
	const watermark = `{"max_reading_time":"2024-03-02T12:00:00Z"}`
	for _, key := range []string{mda.HistoricPrefix + "household.csv", "data/landing/household.csv"} {
		t.Run(key, func(t *testing.T) {
			env := lambdatest.New(t)
			rangesURL, rangesSub := lambdatest.Queue(t, "ranges")
			lateURL, lateSub := lambdatest.Queue(t, "late")
			env.Vars["RANGES_TOPIC_URL"] = rangesURL
			env.Vars["LATE_TOPIC_URL"] = lateURL
			env.Vars["MIN_CHUNK"] = "4KiB"
			logger := lambdaenv.Logger(t.Output(), "warn")
			inbound, err := handler.NewInbound(ctx, lambdaenv.New(env.Getenv), logger)
			if err != nil {
				t.Fatal(err)
			}
			worker, err := handler.NewWorker(ctx, lambdaenv.New(env.Getenv), logger)
			if err != nil {
				t.Fatal(err)
			}
			lambdatest.Put(t, env.Inbound, key, csv)
			lambdatest.Put(t, env.Lake, staging.WatermarkKey, []byte(watermark))
			historic := mda.IsHistoric(key)

			p, err := inbound.Plan(ctx, handler.Object{Bucket: lambdatest.InboundBucket, Key: key, Time: time.Date(2024, 3, 2, 13, 0, 0, 0, time.UTC)})
			if err != nil || p.Ranges < 3 || p.Backfill != historic {
				t.Fatalf("planned %+v, %v; want several ranges, backfill %v", p, err, historic)
			}
			var recs []lambdatest.Record
			for i, m := range lambdatest.Drain(t, rangesSub) {
				recs = append(recs, lambdatest.Record{ID: fmt.Sprintf("r%d", i), Body: string(m.Body)})
			}
			out, err := lambdatest.Invoke(ctx, worker.Handle, lambdatest.SQSEvent(t, recs))
			if err != nil {
				t.Fatal(err)
			}
			if f := lambdatest.Failures(t, out); len(f) != 0 {
				t.Fatalf("ranges failed: %v", f)
			}
			commits, err := staging.ListCommits(ctx, env.Lake, p.SourceID)
			if err != nil || len(commits) != p.Ranges {
				t.Fatalf("%d commits for %d ranges, %v", len(commits), p.Ranges, err)
			}
			var nlate int64
			parts := map[string]bool{}
			for _, c := range commits {
				nlate += c.Late
				if c.Backfill != historic {
					t.Errorf("range %d: backfill %v, want %v", c.Message.Range.Index, c.Backfill, historic)
				}
				for _, f := range c.Files {
					if f.Late > 0 {
						parts[f.Partition] = true
					}
				}
			}
			events := lambdatest.Drain(t, lateSub)
			if historic {
				if nlate != 0 || len(events) != 0 {
					t.Errorf("history: %d late reads, %d late events; want none", nlate, len(events))
				}
			} else {
				if nlate == 0 || len(events) != len(parts) {
					t.Errorf("live feed: %d late reads, %d late events for %d late partitions; want one event per partition", nlate, len(events), len(parts))
				}
				seen := map[string]bool{}
				for _, m := range events {
					var ev late.Event
					if err := json.Unmarshal(m.Body, &ev); err != nil {
						t.Fatal(err)
					}
					if !parts[ev.Partition] || seen[ev.Partition] {
						t.Errorf("event for %s: not a late partition, or a second one", ev.Partition)
					}
					seen[ev.Partition] = true
				}
			}
			if _, err := staging.Integrate(ctx, env.Lake, nil); err != nil {
				t.Fatal(err)
			}
			truth, err := g.Truth()
			if err != nil {
				t.Fatal(err)
			}
			lambdatest.SortReads(truth)
			if diff := cmp.Diff(truth, lambdatest.Lake(t, env.Lake)); diff != "" {
				t.Errorf("lake differs from the file's truth (-want +got):\n%s", diff)
			}
			if b, _ := env.Lake.ReadAll(ctx, staging.WatermarkKey); string(b) != watermark {
				t.Errorf("watermark %s after an older file, want %s", b, watermark)
			}
		})
	}
}
