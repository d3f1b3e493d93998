package lambdatest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"
	"gocloud.dev/pubsub"
	_ "gocloud.dev/pubsub/mempubsub"

	"github.com/openmda/mda"
	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/internal/s3test"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/staging"
)

// The bucket names of the testdata events, and the inbound URL their range
// messages carry (which tests replace with the test server's URL).
const (
	InboundBucket      = "mda-inbound-111122223333"
	LakeBucket         = "mda-lake-111122223333"
	TestdataInboundURL = "s3://mda-inbound-111122223333?region=eu-west-1"
	// QueueARN is the event source of the SQS events built here.
	QueueARN = "arn:aws:sqs:eu-west-1:111122223333:mda-ranges"
)

// SDKAttempts is how many times the SDK tries a request to a bucket opened
// by URL.
const SDKAttempts = 3

// Env is an S3 server with the two buckets, and the environment variables
// that point the handlers at them.
type Env struct {
	S3                  *s3test.Server
	Inbound, Lake       *blob.Bucket
	InboundURL, LakeURL string
	// Vars are the handlers' environment: LAKE_URL and INBOUND_URL, plus
	// what the test adds.
	Vars map[string]string
}

// New starts the server. It sets the AWS variables the SDK reads when
// s3blob opens a bucket by URL (so tests using it cannot be parallel), and
// points the SDK's shared config away from the developer's own.
//
// Buckets opened by URL retry like any production client (gocloud.dev
// installs the SDK's standard retryer, three attempts, whatever
// AWS_MAX_ATTEMPTS says): a fault meant to reach a handler must be
// injected SDKAttempts times.
func New(t testing.TB) *Env {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(t.TempDir(), "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		if tt, ok := t.(interface{ Setenv(string, string) }); ok {
			tt.Setenv(k, v)
		}
	}
	s := s3test.New(t)
	e := &Env{S3: s, Inbound: s.Bucket(t, InboundBucket), Lake: s.Bucket(t, LakeBucket),
		InboundURL: s.BucketURL(InboundBucket), LakeURL: s.BucketURL(LakeBucket)}
	e.Vars = map[string]string{"LAKE_URL": e.LakeURL, "INBOUND_URL": e.InboundURL}
	return e
}

// Getenv returns the handlers' environment as a getenv function.
func (e *Env) Getenv(name string) string { return e.Vars[name] }

// Put writes an object to a bucket.
func Put(t testing.TB, b *blob.Bucket, key string, data []byte) {
	t.Helper()
	if err := b.WriteAll(context.Background(), key, data, nil); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// Invoke calls a handler function as the Lambda runtime does: the payload
// is decoded into the function's input type by aws-lambda-go, and the
// output encoded back to JSON.
func Invoke(ctx context.Context, fn any, payload []byte) ([]byte, error) {
	return lambda.NewHandler(fn).Invoke(ctx, payload)
}

// Testdata reads testdata/name of the calling test's package.
func Testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var queues atomic.Int64

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9]+`)

// Queue opens a new in-memory topic by URL and a subscription to it, and
// returns the URL for the handler under test to open the same topic.
// mem:// topics are process-wide by name, and a subscription receives only
// what is sent after it exists: hence a fresh name, and the subscription
// first.
func Queue(t testing.TB, name string) (string, *pubsub.Subscription) {
	t.Helper()
	ctx := context.Background()
	u := fmt.Sprintf("mem://%s-%s-%d", name, unsafeName.ReplaceAllString(t.Name(), "-"), queues.Add(1))
	topic, err := pubsub.OpenTopic(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := pubsub.OpenSubscription(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sub.Shutdown(context.Background())
		topic.Shutdown(context.Background())
	})
	return u, sub
}

// Drain receives and acknowledges every message waiting on sub.
func Drain(t testing.TB, sub *pubsub.Subscription) []*pubsub.Message {
	t.Helper()
	var out []*pubsub.Message
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		m, err := sub.Receive(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		m.Ack()
		out = append(out, m)
	}
}

// Record is one message of an SQS event.
type Record struct {
	ID, Body string
	// Receives is the ApproximateReceiveCount SQS reports.
	Receives int
}

// SQSEvent returns the JSON of an SQS event carrying records, as the event
// source mapping of a standard queue delivers it.
func SQSEvent(t testing.TB, recs []Record) []byte {
	t.Helper()
	ev := events.SQSEvent{}
	for _, r := range recs {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: r.ID, ReceiptHandle: "handle-" + r.ID, Body: r.Body,
			Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(max(r.Receives, 1)),
				"SentTimestamp": "1709251200000", "SenderId": "AROAEXAMPLE:mda-inbound",
				"ApproximateFirstReceiveTimestamp": "1709251200100"},
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSourceARN:    QueueARN, EventSource: "aws:sqs", AWSRegion: "eu-west-1",
		})
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Failures decodes a partial batch response into the failed message IDs,
// sorted.
func Failures(t testing.TB, resp []byte) []string {
	t.Helper()
	var r events.SQSEventResponse
	if err := json.Unmarshal(resp, &r); err != nil {
		t.Fatalf("response %s: %v", resp, err)
	}
	ids := []string{}
	for _, f := range r.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

// Lake returns every read in the lake's partitions, sorted by meter.Compare.
func Lake(t testing.TB, lake *blob.Bucket) []meter.Reading {
	t.Helper()
	reads, _, err := partition.ReadAll(context.Background(), lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	SortReads(reads)
	return reads
}

// TruthDiff returns the difference between the simulator's true reads
// and the lake's (-want +got), "" if none.
func TruthDiff(t testing.TB, g *simulator.Generator, lake *blob.Bucket) string {
	t.Helper()
	truth, err := g.Truth()
	if err != nil {
		t.Fatal(err)
	}
	SortReads(truth)
	return cmp.Diff(truth, Lake(t, lake))
}

// SortReads sorts reads by meter.Compare, the order Lake returns.
func SortReads(reads []meter.Reading) { slices.SortStableFunc(reads, meter.Compare) }

// Keys lists the keys under prefix.
func Keys(t testing.TB, b *blob.Bucket, prefix string) []string {
	t.Helper()
	var keys []string
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return keys
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
}

// CSV returns a simulated head-end export and its generator, whose Truth
// is what the lake must hold once the export is ingested.
func CSV(t testing.TB, opts simulator.Options) ([]byte, *simulator.Generator) {
	t.Helper()
	g, err := simulator.New(&opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := g.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), g
}

// Stage puts data at key in the inbound bucket and stages all its ranges
// with a pipeline of its own, as the inbound and worker functions would:
// the fixture of the late-read and integrator tests.
func (e *Env) Stage(t testing.TB, key string, data []byte, split *ranges.SplitOptions) []*staging.Commit {
	t.Helper()
	ctx := context.Background()
	Put(t, e.Inbound, key, data)
	p := mda.NewPipeline(e.Lake, nil)
	defer p.Close()
	msgs, err := p.Plan(ctx, e.InboundURL, key, &mda.PlanOptions{Split: split, Arrival: time.Date(2024, 3, 2, 0, 20, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var out []*staging.Commit
	for _, m := range msgs {
		c, err := p.ProcessRange(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// HoldLock makes another integrator hold the lock of a partition until
// release is called: a real staging.Integrate of that partition, stopped
// after its compacted file is written and before it lets go. The partition
// must have staged files, or there is nothing to hold it for.
func HoldLock(t testing.TB, lake *blob.Bucket, path string) (release func()) {
	t.Helper()
	k, err := partition.ParseKey(path)
	if err != nil {
		t.Fatal(err)
	}
	held, done, resume := make(chan struct{}), make(chan error, 1), make(chan struct{})
	go func() {
		_, err := staging.Integrate(context.Background(), lake, &staging.IntegrateOptions{
			Partitions: []partition.Key{k},
			AfterCompact: func(partition.FileInfo) error {
				close(held)
				<-resume
				return nil
			},
		})
		done <- err
	}()
	select {
	case <-held:
	case err := <-done:
		t.Fatalf("the lock holder ended before taking the lock of %s: %v", path, err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(resume)
			if err := <-done; err != nil {
				t.Errorf("the lock holder failed: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// Ingest runs objects landed in the inbound bucket through the rest of the
// pipeline, as the template wires it: an "Object Created" event per key to
// the inbound function, its range messages to the worker, then the
// integrator. It sets RANGES_TOPIC_URL.
func (e *Env) Ingest(t testing.TB, keys []string) {
	t.Helper()
	ctx := context.Background()
	rangesURL, rangesSub := Queue(t, "ranges")
	e.Vars["RANGES_TOPIC_URL"] = rangesURL
	vars := lambdaenv.New(e.Getenv)
	logger := lambdaenv.Logger(io.Discard, "error")
	inbound, err := handler.NewInbound(ctx, vars, logger)
	if err != nil {
		t.Fatal(err)
	}
	worker, err := handler.NewWorker(ctx, vars, logger)
	if err != nil {
		t.Fatal(err)
	}
	integrator, err := handler.NewIntegrator(ctx, vars, logger)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		ev := fmt.Sprintf(`{"version":"0","id":"ev-%s","detail-type":"Object Created","source":"aws.s3","time":"2024-03-03T00:00:00Z",`+
			`"detail":{"bucket":{"name":%q},"object":{"key":%q},"reason":"PutObject"}}`, k, InboundBucket, k)
		out, err := Invoke(ctx, inbound.Handle, []byte(ev))
		if err != nil {
			t.Fatalf("inbound %s: %v", k, err)
		}
		var res handler.InboundResult
		if err := json.Unmarshal(out, &res); err != nil || len(res.Objects) != 1 || res.Objects[0].Skipped != "" {
			t.Fatalf("inbound %s: %s (%v); want it planned", k, out, err)
		}
	}
	var recs []Record
	for i, m := range Drain(t, rangesSub) {
		recs = append(recs, Record{ID: fmt.Sprintf("range-%03d", i), Body: string(m.Body)})
	}
	if len(recs) < len(keys) {
		t.Fatalf("%d range messages for %d objects", len(recs), len(keys))
	}
	out, err := Invoke(ctx, worker.Handle, SQSEvent(t, recs))
	if err != nil || len(Failures(t, out)) != 0 {
		t.Fatalf("worker: %s, %v", out, err)
	}
	if _, err := Invoke(ctx, integrator.Handle, []byte(`{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`)); err != nil {
		t.Fatal(err)
	}
}
