package hes_test

import (
	"context"
	"errors"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/test"
	"github.com/nats-io/nats.go"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/natspubsub"

	"github.com/openmda/mda/hes"
)

// TestLandStreamCancelDuringProcess: on NATS core, whose messages cannot
// come back, a stop (SIGINT) that arrives while a batch is written and
// processed does not cut them short: the batch is processed.
func TestLandStreamCancelDuringProcess(t *testing.T) {
	srv := natsserver.RunRandClientPortServer()
	defer srv.Shutdown()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx := context.Background()
	sub, _ := natspubsub.OpenSubscription(nc, "stream.cancel", nil)
	defer sub.Shutdown(ctx)
	topic, _ := natspubsub.OpenTopic(nc, "stream.cancel", nil)
	defer topic.Shutdown(ctx)
	inbound := memblob.OpenBucket(nil)
	time.Sleep(50 * time.Millisecond)
	topic.Send(ctx, &pubsub.Message{Body: []byte(`{"meter_id":"m","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01 00:15:00"}`)})
	cctx, cancel := context.WithCancel(ctx)
	processed := 0
	o := &hes.StreamOptions{MaxBytes: 1, MaxAge: time.Hour, Process: func(pctx context.Context, _ *blob.Bucket, _ string) error {
		time.AfterFunc(50*time.Millisecond, cancel) // SIGINT while ingesting
		select {
		case <-pctx.Done():
			return pctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		processed++
		return nil
	}}
	_, err = hes.LandStream(cctx, sub, inbound, "s", o)
	cancel()
	t.Logf("LandStream: %v", err)
	if processed != 1 || !errors.Is(err, context.Canceled) {
		t.Errorf("processed %d of 1 batches; err %v", processed, err)
	}
}
