package hes_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	natsserver "github.com/nats-io/nats-server/v2/test"
	"github.com/nats-io/nats.go"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/mempubsub"
	"gocloud.dev/pubsub/natspubsub"

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
		{"a bad line keeps its bytes, the next lines are read", "{\"a\":1}\nnot json\nat all", []string{`{"a":1}`, `not json`, `at all`}},
		{"a truncated object between good ones", "{\"a\":1}\n{\"b\":\n{\"c\":3}\n{\"d\":4}\n", []string{`{"a":1}`, `{"b":`, `{"c":3}`, `{"d":4}`}},
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

// TestLandStreamAtMostOnce: on an at-most-once subscription (NATS core,
// which `mda stream` offers) the messages LandStream holds when ctx is
// cancelled are landed before it returns, and a batch whose processing
// fails for a while is tried again rather than dropped: every record lands.
func TestLandStreamAtMostOnce(t *testing.T) {
	srv := natsserver.RunRandClientPortServer()
	defer srv.Shutdown()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx := context.Background()
	rec := func(i int) string {
		return fmt.Sprintf(`{"meter_id":"m%d","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01 00:15:00"}`, i)
	}
	for _, tc := range []string{"cancel", "process error"} {
		t.Run(tc, func(t *testing.T) {
			subj := "review." + map[string]string{"cancel": "a", "process error": "b"}[tc]
			sub, err := natspubsub.OpenSubscription(nc, subj, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Shutdown(ctx)
			topic, _ := natspubsub.OpenTopic(nc, subj, nil)
			defer topic.Shutdown(ctx)
			inbound := memblob.OpenBucket(nil)
			time.Sleep(50 * time.Millisecond)
			for i := 0; i < 5; i++ {
				if err := topic.Send(ctx, &pubsub.Message{Body: []byte(rec(i))}); err != nil {
					t.Fatal(err)
				}
			}
			cctx, cancel := context.WithCancel(ctx)
			var landed int
			o := &hes.StreamOptions{MaxAge: time.Hour, OnLanded: func(_ string, _, records int) { landed += records }}
			if tc == "cancel" {
				time.AfterFunc(300*time.Millisecond, cancel) // e.g. SIGINT to `mda stream`
			} else {
				o.MaxAge = 200 * time.Millisecond
				o.Idle = 500 * time.Millisecond
				fails := 2
				o.Process = func(context.Context, *blob.Bucket, string) error {
					if fails > 0 {
						fails--
						return errors.New("lake briefly unavailable")
					}
					return nil
				}
				o.OnLanded = func(_ string, _, records int) { landed += records }
			}
			_, err = hes.LandStream(cctx, sub, inbound, "s", o)
			cancel()
			if tc == "cancel" && !errors.Is(err, context.Canceled) || tc != "cancel" && err != nil {
				t.Fatalf("LandStream: %v", err)
			}
			if landed != 5 {
				t.Errorf("%s: %d of 5 records landed: the rest are lost (NATS core does not redeliver)", tc, landed)
			}
		})
	}
}

// TestLandStreamRedeliveredWhileHeld: messages held longer than the
// subscription's ack deadline come back while their batch waits; each
// lands once.
func TestLandStreamRedeliveredWhileHeld(t *testing.T) {
	ctx := context.Background()
	topic := mempubsub.NewTopic()
	defer topic.Shutdown(ctx)
	sub := mempubsub.NewSubscription(topic, 300*time.Millisecond)
	defer sub.Shutdown(ctx)
	inbound := memblob.OpenBucket(nil)
	for i := 0; i < 3; i++ {
		topic.Send(ctx, &pubsub.Message{Body: []byte(fmt.Sprintf(`{"meter_id":"m","reading_type":"kw","reading_value":%d,"reading_date_time":"2024-03-01 00:%02d:00"}`, i, 15*i))})
	}
	var landed []string
	st, err := hes.LandStream(ctx, sub, inbound, "s", &hes.StreamOptions{MaxAge: time.Second, Idle: 2 * time.Second,
		OnLanded: func(k string, _, _ int) { landed = append(landed, k) }})
	if err != nil {
		t.Fatal(err)
	}
	// Each batch holds a message once, however often it came while the
	// batch waited. (Under load a redelivery may also come after its
	// batch landed, before the ack reached the queue: it then lands again
	// in a batch of its own, which the lake's de-duplication absorbs.)
	seen := map[string]bool{}
	for _, k := range landed {
		data, err := inbound.ReadAll(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		inObject := map[string]bool{}
		for _, l := range lines {
			if inObject[l] {
				t.Errorf("%s holds %s twice", k, l)
			}
			inObject[l] = true
			seen[l] = true
		}
	}
	if len(seen) != 3 || len(landed) == 0 || st.Records < 3 {
		t.Errorf("3 messages sent: %d distinct records in %d objects (%+v)", len(seen), len(landed), st)
	}
}
