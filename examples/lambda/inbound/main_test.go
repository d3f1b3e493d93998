package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"gocloud.dev/pubsub"

	"github.com/openmda/mda"
	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/examples/lambda/internal/lambdatest"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/simulator"
)

// hesCSV is a small simulated head-end export.
func hesCSV(t *testing.T) []byte {
	t.Helper()
	g, err := simulator.New(&simulator.Options{Meters: 4, Days: 1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := g.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func compress(t *testing.T, codec string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch codec {
	case "gzip":
		w := gzip.NewWriter(&buf)
		w.Write(data)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	case "zstd":
		w, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	default:
		return data
	}
	return buf.Bytes()
}

// eventBridge is the testdata EventBridge event with its bucket and key
// replaced, as S3 would send it for that object.
func eventBridge(t *testing.T, bucket, key string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(lambdatest.Testdata(t, "eventbridge-object-created.json"), &ev); err != nil {
		t.Fatal(err)
	}
	d := ev["detail"].(map[string]any)
	d["bucket"].(map[string]any)["name"] = bucket
	d["object"].(map[string]any)["key"] = key
	b, _ := json.Marshal(ev)
	return b
}

// TestInbound invokes the inbound handler with S3 event notifications and
// EventBridge events, as Lambda would, against buckets on an S3 server
// opened by URL and a queue opened by URL, and checks the range messages
// it queues.
func TestInbound(t *testing.T) {
	csv := hesCSV(t)
	tests := []struct {
		name  string
		event func(t *testing.T) []byte
		// put is the object the event is about: its key and codec.
		key, codec string
		// wantSource is the decoded key the messages name; "" means no
		// messages. wantSkipped are the skip reasons of the result.
		wantSource  string
		wantArrival string
		wantSkipped []string
		wantErr     string
	}{{
		name:        "EventBridge Object Created, plain CSV",
		event:       func(t *testing.T) []byte { return lambdatest.Testdata(t, "eventbridge-object-created.json") },
		key:         "data/landing/hes-2024-03-01.csv",
		wantSource:  "data/landing/hes-2024-03-01.csv",
		wantArrival: "2024-03-01T00:20:00Z",
	}, {
		name:        "S3 notification, URL-encoded key, gzip, and a delete",
		event:       func(t *testing.T) []byte { return lambdatest.Testdata(t, "s3-notification.json") },
		key:         "data/landing/hes file=1.csv.gz",
		codec:       "gzip",
		wantSource:  "data/landing/hes file=1.csv.gz",
		wantArrival: "2024-03-01T00:20:00.412Z",
		wantSkipped: []string{"event ObjectRemoved:Delete"},
	}, {
		name:        "EventBridge, zstd",
		event:       func(t *testing.T) []byte { return eventBridge(t, lambdatest.InboundBucket, "data/landing/hes.csv.zst") },
		key:         "data/landing/hes.csv.zst",
		codec:       "zstd",
		wantSource:  "data/landing/hes.csv.zst",
		wantArrival: "2024-03-01T00:20:00Z",
	}, {
		name:        "key with a literal plus sign, sent unencoded",
		event:       func(t *testing.T) []byte { return eventBridge(t, lambdatest.InboundBucket, "data/landing/a+b.csv") },
		key:         "data/landing/a+b.csv",
		wantSource:  "data/landing/a+b.csv",
		wantArrival: "2024-03-01T00:20:00Z",
	}, {
		name:        "S3 test event",
		event:       func(t *testing.T) []byte { return lambdatest.Testdata(t, "s3-test-event.json") },
		wantSkipped: []string{},
	}, {
		name: "the function's own uncompressed copy",
		event: func(t *testing.T) []byte {
			return eventBridge(t, lambdatest.InboundBucket, mda.InboundUncompressedPrefix+"0123456789abcdef.csv")
		},
		key:         mda.InboundUncompressedPrefix + "0123456789abcdef.csv",
		wantSkipped: []string{"uncompressed copy made by this function"},
	}, {
		name:    "another bucket",
		event:   func(t *testing.T) []byte { return eventBridge(t, "someone-elses-bucket", "data/landing/x.csv") },
		wantErr: `event for bucket "someone-elses-bucket", but this function serves "mda-inbound-111122223333"`,
	}, {
		name:    "object gone",
		event:   func(t *testing.T) []byte { return eventBridge(t, lambdatest.InboundBucket, "data/landing/gone.csv") },
		wantErr: "data/landing/gone.csv",
	}, {
		name: "not an S3 event",
		event: func(*testing.T) []byte {
			return []byte(`{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`)
		},
		wantErr: `want "Object Created" from "aws.s3"`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			env := lambdatest.New(t)
			topicURL, sub := lambdatest.Queue(t, "ranges")
			env.Vars["RANGES_TOPIC_URL"] = topicURL
			env.Vars["MIN_CHUNK"] = "2KiB"
			env.Vars["MAX_WORKERS"] = "8"
			if tc.key != "" {
				lambdatest.Put(t, env.Inbound, tc.key, compress(t, tc.codec, csv))
			}
			h, err := handler.NewInbound(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "debug"))
			if err != nil {
				t.Fatal(err)
			}
			out, err := lambdatest.Invoke(ctx, h.Handle, tc.event(t))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var res handler.InboundResult
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("response %s: %v", out, err)
			}
			skipped := []string{}
			for _, p := range res.Objects {
				if p.Skipped != "" {
					skipped = append(skipped, p.Skipped)
				}
			}
			if tc.wantSkipped != nil {
				if diff := cmp.Diff(tc.wantSkipped, skipped); diff != "" {
					t.Errorf("skipped (-want +got):\n%s", diff)
				}
			}
			msgs := decode(t, lambdatest.Drain(t, sub))
			if tc.wantSource == "" {
				if len(msgs) != 0 {
					t.Fatalf("%d messages queued, want none", len(msgs))
				}
				return
			}
			checkRanges(t, env, msgs, tc.wantSource, tc.codec, csv)
			if got := msgs[0].Arrival.Format(time.RFC3339Nano); got != tc.wantArrival {
				t.Errorf("arrival %s, want the event time %s", got, tc.wantArrival)
			}

			// Events arrive at least once: a second delivery plans the
			// same ranges, with the same names for the workers' output.
			if _, err := lambdatest.Invoke(ctx, h.Handle, tc.event(t)); err != nil {
				t.Fatal(err)
			}
			again := decode(t, lambdatest.Drain(t, sub))
			if diff := cmp.Diff(msgs, again); diff != "" {
				t.Errorf("redelivered event planned other ranges (-first +second):\n%s", diff)
			}
		})
	}
}

func decode(t *testing.T, ms []*pubsub.Message) []ranges.Message {
	t.Helper()
	out := make([]ranges.Message, len(ms))
	for i, m := range ms {
		if err := json.Unmarshal(m.Body, &out[i]); err != nil {
			t.Fatalf("message %s: %v", m.Body, err)
		}
	}
	// The in-memory queue, like SQS, does not keep the order of messages.
	slices.SortFunc(out, func(a, b ranges.Message) int { return a.Range.Index - b.Range.Index })
	return out
}

// checkRanges checks that the messages cover the uncompressed object in
// order, name the original object as their source, and point the workers
// at the inbound bucket by URL.
func checkRanges(t *testing.T, env *lambdatest.Env, msgs []ranges.Message, source, codec string, csv []byte) {
	t.Helper()
	if len(msgs) < 2 {
		t.Fatalf("%d ranges, want several (MIN_CHUNK=2KiB)", len(msgs))
	}
	first := msgs[0]
	if first.Bucket != env.InboundURL || first.Source != source || first.SourceID == "" || first.Size != int64(len(csv)) {
		t.Errorf("message %+v: want bucket %s, source %q, size %d", first, env.InboundURL, source, len(csv))
	}
	if codec == "" && first.Key != source {
		t.Errorf("plain object: ranges over %q, want %q", first.Key, source)
	}
	if codec != "" {
		if !strings.HasPrefix(first.Key, mda.InboundUncompressedPrefix) {
			t.Errorf("compressed object: ranges over %q, want a copy under %s", first.Key, mda.InboundUncompressedPrefix)
		}
		got, err := env.Inbound.ReadAll(context.Background(), first.Key)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, csv) {
			t.Errorf("uncompressed copy differs from the CSV (%d bytes, want %d)", len(got), len(csv))
		}
	}
	var end int64
	for i, m := range msgs {
		if m.Range.Index != i || m.Range.Start != end || m.Ranges != len(msgs) || m.Key != first.Key || m.SourceID != first.SourceID {
			t.Fatalf("range %d: %+v does not follow %d", i, m, end)
		}
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		end = m.Range.End
	}
	if end != first.Size {
		t.Errorf("ranges end at %d, object is %d bytes", end, first.Size)
	}
}

// TestInboundConfig: a misconfigured function fails at start, naming every
// variable that is wrong.
func TestInboundConfig(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want []string
	}{{
		name: "nothing set",
		vars: map[string]string{},
		want: []string{"INBOUND_URL is not set", "LAKE_URL is not set", "RANGES_TOPIC_URL is not set"},
	}, {
		name: "bad numbers",
		vars: map[string]string{"INBOUND_URL": "mem://", "LAKE_URL": "mem://", "RANGES_TOPIC_URL": "mem://x",
			"MAX_WORKERS": "many", "MIN_CHUNK": "-4MiB"},
		want: []string{`MAX_WORKERS="many"`, `MIN_CHUNK="-4MiB"`},
	}, {
		name: "unknown queue scheme",
		vars: map[string]string{"INBOUND_URL": "mem://inbound", "LAKE_URL": "mem://", "RANGES_TOPIC_URL": "sqs://mda-ranges"},
		want: []string{`RANGES_TOPIC_URL: open topic "sqs://mda-ranges"`},
	}, {
		name: "bucket URL without a bucket",
		vars: map[string]string{"INBOUND_URL": "s3://?region=eu-west-1", "LAKE_URL": "mem://", "RANGES_TOPIC_URL": "mem://x"},
		want: []string{"names no bucket"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := handler.NewInbound(context.Background(), lambdaenv.New(lambdaenv.Map(tc.vars)), lambdaenv.Logger(t.Output(), ""))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
