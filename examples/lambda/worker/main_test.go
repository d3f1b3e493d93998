package main

import (
	"context"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/pubsub"

	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/examples/lambda/internal/lambdatest"
	"github.com/openmda/mda/late"
	"github.com/openmda/mda/staging"
)

// The testdata range message is range 0 of 1 of this object.
const (
	csvFile  = "hes-2024-03-01.csv"
	csvKey   = "data/landing/hes-2024-03-01.csv"
	sourceID = "4f1c0e6a9d2b7c31"
	goodID   = "059f36b4-87a3-44ab-83d2-661975830a7d"
	badID    = "2e1424d4-f796-459a-8184-9c92662be6da"
	oldID    = "c80e8021-a70a-42c7-a470-796e1057ba9f"
	csvReads = 48 * 6 // 48 lines of six reads
)

// event reads a testdata SQS event and points its range messages at the
// test's inbound bucket.
func event(t *testing.T, env *lambdatest.Env, name string) []byte {
	t.Helper()
	// The URL sits in a JSON string inside a JSON string; the test URL
	// has nothing that needs escaping in either.
	return []byte(strings.ReplaceAll(string(lambdatest.Testdata(t, name)), lambdatest.TestdataInboundURL, env.InboundURL))
}

// TestWorker invokes the worker with SQS events as the event source
// mapping delivers them and checks the partial batch responses and what
// the ranges left in the lake.
func TestWorker(t *testing.T) {
	csv := lambdatest.Testdata(t, csvFile)
	// The testdata message names the object's version (its ETag, the MD5
	// of its bytes): editing the CSV means editing the message too.
	if v := fmt.Sprintf("%x", md5.Sum(csv)); !strings.Contains(string(lambdatest.Testdata(t, "sqs-two-records.json")), v) || len(csv) != 6497 {
		t.Fatalf("testdata/sqs-two-records.json does not describe testdata/%s (md5 %s, %d bytes)", csvFile, v, len(csv))
	}
	tests := []struct {
		name  string
		event string
		// setup prepares the buckets; nil puts the CSV.
		setup func(t *testing.T, env *lambdatest.Env)
		late  bool // announce late reads on a topic
		// want are the failed message IDs, per invocation of the same event.
		want      [][]string
		wantReads int64 // reads staged for sourceID
		wantLate  bool
	}{{
		name:      "one range and one malformed message",
		event:     "sqs-two-records.json",
		want:      [][]string{{badID}},
		wantReads: csvReads,
	}, {
		name:  "a message in the AWS guidance's format",
		event: "sqs-guidance-message.json",
		want:  [][]string{{oldID}},
	}, {
		name:  "object changed since the range was planned: dropped, not retried",
		event: "sqs-two-records.json",
		setup: func(t *testing.T, env *lambdatest.Env) {
			lambdatest.Put(t, env.Inbound, csvKey, append(lambdatest.Testdata(t, csvFile), "\n"...))
		},
		want: [][]string{{badID}},
	}, {
		name:  "object missing",
		event: "sqs-two-records.json",
		setup: func(*testing.T, *lambdatest.Env) {},
		want:  [][]string{{goodID, badID}},
	}, {
		name:  "S3 fails once: the range fails, and succeeds on redelivery",
		event: "sqs-two-records.json",
		setup: func(t *testing.T, env *lambdatest.Env) {
			lambdatest.Put(t, env.Inbound, csvKey, csv)
			env.S3.FailNext(http.MethodGet, "/"+lambdatest.InboundBucket+"/"+csvKey, lambdatest.SDKAttempts)
		},
		want:      [][]string{{goodID, badID}, {badID}},
		wantReads: csvReads,
	}, {
		name:  "late reads are announced",
		event: "sqs-two-records.json",
		setup: func(t *testing.T, env *lambdatest.Env) {
			lambdatest.Put(t, env.Inbound, csvKey, csv)
			// The lake has integrated reads of a day later: every read
			// of the file is late.
			lambdatest.Put(t, env.Lake, staging.WatermarkKey, []byte(`{"max_reading_time":"2024-03-02T12:00:00Z"}`))
		},
		late:      true,
		want:      [][]string{{badID}},
		wantReads: csvReads,
		wantLate:  true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			env := lambdatest.New(t)
			if tc.setup == nil {
				lambdatest.Put(t, env.Inbound, csvKey, csv)
			} else {
				tc.setup(t, env)
			}
			if tc.late {
				u, sub := lambdatest.Queue(t, "late")
				env.Vars["LATE_TOPIC_URL"] = u
				defer func() {
					evs := lambdatest.Drain(t, sub)
					checkLate(t, env, evs, tc.wantLate)
				}()
			}
			h, err := handler.NewWorker(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "debug"))
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tc.want {
				out, err := lambdatest.Invoke(ctx, h.Handle, event(t, env, tc.event))
				if err != nil {
					t.Fatalf("invocation %d: %v (a worker must answer with a partial batch response, not fail)", i+1, err)
				}
				if diff := cmp.Diff(want, lambdatest.Failures(t, out)); diff != "" {
					t.Errorf("invocation %d: failed messages (-want +got):\n%s", i+1, diff)
				}
			}
			commits, err := staging.ListCommits(ctx, env.Lake, sourceID)
			if err != nil {
				t.Fatal(err)
			}
			var reads int64
			for _, c := range commits {
				reads += c.Reads
			}
			if reads != tc.wantReads {
				t.Errorf("%d reads staged in %d commits, want %d", reads, len(commits), tc.wantReads)
			}
		})
	}
}

// checkLate checks that the late events name the staged files of the
// commit, one event per file.
func checkLate(t *testing.T, env *lambdatest.Env, msgs []*pubsub.Message, want bool) {
	t.Helper()
	commits, err := staging.ListCommits(context.Background(), env.Lake, sourceID)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, c := range commits {
		for _, f := range c.Files {
			files[f.Key] = true
		}
	}
	if !want {
		if len(msgs) != 0 {
			t.Errorf("%d late events, want none", len(msgs))
		}
		return
	}
	if len(msgs) != len(files) || len(files) == 0 {
		t.Fatalf("%d late events for %d staged files", len(msgs), len(files))
	}
	for _, m := range msgs {
		var ev late.Event
		if err := json.Unmarshal(m.Body, &ev); err != nil {
			t.Fatal(err)
		}
		if !files[ev.StagingKey] || ev.Reads == 0 || ev.Source != csvKey {
			t.Errorf("late event %+v names no staged file of the range", ev)
		}
	}
}

// TestWorkerConfig: LAKE_URL is required; a late topic that cannot be
// opened fails the start.
func TestWorkerConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"no lake", map[string]string{}, "LAKE_URL is not set"},
		{"bad lake URL", map[string]string{"LAKE_URL": "lake"}, `bucket URL "lake" has no scheme`},
		{"unknown late topic scheme", map[string]string{"LAKE_URL": "mem://", "LATE_TOPIC_URL": "carrierpigeon://late"}, "LATE_TOPIC_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := handler.NewWorker(context.Background(), lambdaenv.New(lambdaenv.Map(tc.vars)), lambdaenv.Logger(t.Output(), ""))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
