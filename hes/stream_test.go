package hes_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/openmda/mda/hes"
)

func TestAppendRecords(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"one object", `{"meter_id": "a", "reading_value": 1}`, []string{`{"meter_id":"a","reading_value":1}`}},
		{"lines", "{\"a\":1}\n{\"a\":2}\n", []string{`{"a":1}`, `{"a":2}`}},
		{"concatenated, as a Kinesis record aggregates", `{"a":1}{"a":2}{"a":3}`, []string{`{"a":1}`, `{"a":2}`, `{"a":3}`}},
		{"an array", "[{\"a\":1},\n {\"a\":2}]", []string{`{"a":1}`, `{"a":2}`}},
		{"pretty-printed", "{\n  \"a\": 1,\n  \"b\": \"x y\"\n}", []string{`{"a":1,"b":"x y"}`}},
		{"garbage after a good value keeps its bytes", "{\"a\":1}\nnot json\nat all", []string{`{"a":1}`, `not json at all`}},
		{"empty", " \n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, n := hes.AppendRecords(nil, []byte(tc.body))
			var got []string
			if len(out) > 0 {
				got = strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" || n != len(tc.want) {
				t.Errorf("%d lines (-want +got):\n%s", n, diff)
			}
		})
	}
}

// TestLandStream: records published on a topic land as JSON lines objects,
// batched by size and age; every message is acknowledged once its object
// is written and processed. A processing failure nacks the batch, which is
// delivered again and lands under the same name.
func TestLandStream(t *testing.T) {
	ctx := context.Background()
	topic := mempubsub.NewTopic()
	defer topic.Shutdown(ctx)
	sub := mempubsub.NewSubscription(topic, time.Minute)
	defer sub.Shutdown(ctx)
	inbound := memblob.OpenBucket(nil)
	defer inbound.Close()
	send := func(bodies ...string) {
		for _, b := range bodies {
			if err := topic.Send(ctx, &pubsub.Message{Body: []byte(b)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	rec := func(m string, v int) string {
		return `{"meter_id":"` + m + `","reading_type":"kw","reading_value":` + string(rune('0'+v)) + `,"reading_date_time":"2024-03-01 00:15:00"}`
	}
	send(rec("a", 1)+"\n"+rec("b", 2), "["+rec("c", 3)+","+rec("d", 4)+"]")
	now := func() time.Time { return time.Date(2024, 3, 1, 10, 30, 0, 0, time.UTC) }

	// The first run's processing fails: nothing is acknowledged.
	boom := errors.New("ingest failed")
	var processed []string
	_, err := hes.LandStream(ctx, sub, inbound, "stream-1", &hes.StreamOptions{MaxAge: 50 * time.Millisecond, Idle: 200 * time.Millisecond, Now: now,
		Process: func(ctx context.Context, in *blob.Bucket, key string) error {
			processed = append(processed, key)
			return boom
		}})
	if !errors.Is(err, boom) || len(processed) != 1 {
		t.Fatalf("got %v after %v; want the processing error", err, processed)
	}
	// Redelivered: the batch lands again (under the same name if its
	// messages come back in the same order; the queue may reorder them),
	// is processed and acknowledged; then the stream is idle.
	var landed []string
	st, err := hes.LandStream(ctx, sub, inbound, "stream-1", &hes.StreamOptions{MaxAge: 50 * time.Millisecond, Idle: 4 * time.Second, Now: now,
		Process: func(ctx context.Context, in *blob.Bucket, key string) error {
			processed = append(processed, key)
			return nil
		},
		OnLanded: func(key string, messages, records int) { landed = append(landed, key) }})
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages != 2 || st.Records != 4 || st.Objects != 1 || len(landed) != 1 || len(processed) != 2 || processed[1] != landed[0] {
		t.Fatalf("stats %+v, landed %v, processed %v", st, landed, processed)
	}
	if !strings.HasPrefix(landed[0], hes.LandingPrefix+"stream-1/2024/03/01/10/") || !strings.HasSuffix(landed[0], ".jsonl") {
		t.Errorf("key %s", landed[0])
	}
	data, err := inbound.ReadAll(ctx, landed[0])
	if err != nil {
		t.Fatal(err)
	}
	// Each message's records in order, the messages in the order they
	// came.
	ab, cd := rec("a", 1)+"\n"+rec("b", 2)+"\n", rec("c", 3)+"\n"+rec("d", 4)+"\n"
	if string(data) != ab+cd && string(data) != cd+ab {
		t.Errorf("object:\n%s\nwant the lines of\n%s%s", data, ab, cd)
	}
	if landed[0] != hes.StreamKey("stream-1", now(), data) {
		t.Errorf("key %s is not named by its content", landed[0])
	}
	// Nothing is left on the subscription.
	rctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if m, err := sub.Receive(rctx); err == nil {
		t.Errorf("message left: %s", m.Body)
	}

	// Size bounds an object: it lands once it holds MaxBytes. Three
	// records of 97 bytes with a 150-byte bound make two objects.
	send(rec("e", 5), rec("f", 6), rec("g", 7))
	landed = landed[:0]
	st, err = hes.LandStream(ctx, sub, inbound, "stream-1", &hes.StreamOptions{MaxBytes: 150, Idle: 200 * time.Millisecond, Now: now,
		OnLanded: func(key string, messages, records int) { landed = append(landed, key) }})
	if err != nil || st.Objects != 2 || st.Records != 3 || len(landed) != 2 {
		t.Errorf("stats %+v, %v, landed %v", st, err, landed)
	}
	if _, err := hes.LandStream(ctx, sub, inbound, "bad/name", nil); hes.Code(err) != hes.InvalidArgument {
		t.Errorf("bad name: %v", err)
	}
}
