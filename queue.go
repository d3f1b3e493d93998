package mda

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"gocloud.dev/pubsub"
	_ "gocloud.dev/pubsub/awssnssqs" // awssqs:// (and awssns:// topics)
	"gocloud.dev/pubsub/mempubsub"
	_ "gocloud.dev/pubsub/natspubsub" // nats://, server from NATS_SERVER_URL
)

// DefaultQueueURL is the range queue of an ingest unless told otherwise: an
// in-process queue.
const DefaultQueueURL = "mem://"

// Queue is a topic and a subscription that receives what is sent on it.
type Queue struct {
	Topic        *pubsub.Topic
	Subscription *pubsub.Subscription
}

// OpenQueue opens a queue of range messages by URL, the topic and the
// subscription from the same URL:
//
//   - "" or mem://...: a new in-process queue (at least once: a message not
//     acknowledged within 10 minutes is delivered again). Each call gives a
//     new queue, whatever the name.
//   - nats://<subject>: NATS core through gocloud.dev/pubsub/natspubsub, on
//     the server named by the environment variable NATS_SERVER_URL (e.g.
//     nats://127.0.0.1:4222), connected once per process. NATS core is at
//     most once: Ingest re-sends the ranges that do not commit (see
//     IngestOptions.Redeliver). Every subscriber of a subject receives every
//     message; ?queue=<group> makes the subscribers of a group share them.
//   - awssqs://sqs.<region>.amazonaws.com/<account>/<queue>?region=<region>:
//     an SQS queue (at least once; the visibility timeout redelivers).
//
// Any other scheme registered with gocloud.dev's pubsub URL mux works too.
// A queue carries the messages of one ingest at a time: ranges of another
// source received on it are processed but not counted, and their owner
// sends them again. Shut the queue down when done.
func OpenQueue(ctx context.Context, urlstr string) (*Queue, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return nil, fmt.Errorf("mda: bad queue URL %q: %w", urlstr, err)
	}
	if urlstr == "" || u.Scheme == mempubsub.Scheme {
		// Not through the URL mux: it keeps mem:// topics by name for the
		// life of the process, and a topic once shut down cannot be
		// opened again.
		topic := mempubsub.NewTopic()
		return &Queue{Topic: topic, Subscription: mempubsub.NewSubscription(topic, 10*time.Minute)}, nil
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("mda: queue URL %q has no scheme (want mem://, nats://subject or awssqs://...)", urlstr)
	}
	// The subscription first: NATS core delivers only to subscribers that
	// exist when a message is sent.
	sub, err := pubsub.OpenSubscription(ctx, urlstr)
	if err != nil {
		return nil, fmt.Errorf("mda: open queue %q: %w", urlstr, err)
	}
	topicURL := urlstr
	if q := u.Query(); u.Scheme == "nats" && q.Has("queue") {
		// A queue group is the subscribers' business; the topic rejects it.
		q.Del("queue")
		tu := *u
		tu.RawQuery = q.Encode()
		topicURL = tu.String()
	}
	topic, err := pubsub.OpenTopic(ctx, topicURL)
	if err != nil {
		sub.Shutdown(ctx)
		return nil, fmt.Errorf("mda: open queue %q: %w", urlstr, err)
	}
	return &Queue{Topic: topic, Subscription: sub}, nil
}

// Shutdown flushes the topic and shuts both ends down.
func (q *Queue) Shutdown(ctx context.Context) error {
	return errors.Join(q.Topic.Shutdown(ctx), q.Subscription.Shutdown(ctx))
}
