package hes_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/openmda/mda/hes"
	"github.com/openmda/mda/hes/dropsource"
)

// Fetch lands a drop folder's new files in the inbound bucket.
func ExampleFetch() {
	ctx := context.Background()
	drop, inbound := memblob.OpenBucket(nil), memblob.OpenBucket(nil)
	defer drop.Close()
	defer inbound.Close()
	drop.WriteAll(ctx, "outbox/2024-03-01.csv", []byte("time,arrival_time,device_id,measure_name,load,crrnt,pf,kva,kw,vltg\n"), nil)

	src, err := dropsource.New(drop, "outbox/", "utility-a", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	keys, err := hes.Fetch(ctx, src, inbound, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(keys)
	archived, _ := drop.Exists(ctx, "outbox/archive/2024-03-01.csv")
	fmt.Println("archived:", archived)
	// Output:
	// [inbound/landing/utility-a/2024-03-01.csv]
	// archived: true
}

// Pull processes every landed object before acknowledging it; an object
// that keeps failing is quarantined.
func ExamplePull() {
	ctx := context.Background()
	drop, inbound := memblob.OpenBucket(nil), memblob.OpenBucket(nil)
	defer drop.Close()
	defer inbound.Close()
	drop.WriteAll(ctx, "a.csv", []byte("good\n"), nil)
	drop.WriteAll(ctx, "b.csv", []byte("bad\n"), nil)
	src, _ := dropsource.New(drop, "", "drop", &dropsource.Options{MaxAttempts: 2})
	defer src.Close()

	process := func(ctx context.Context, in *blob.Bucket, key string) error {
		data, _ := in.ReadAll(ctx, key)
		if string(data) == "bad\n" {
			return fmt.Errorf("cannot parse %s", key)
		}
		fmt.Println("processed", key)
		return nil
	}
	for range 2 {
		res, err := hes.Pull(ctx, src, inbound, process, nil)
		fmt.Println("quarantined:", res.Quarantined, "error code:", hes.Code(err))
	}
	// Output:
	// processed inbound/landing/drop/a.csv
	// quarantined: [] error code: Processing
	// quarantined: [inbound/poison/drop/b.csv] error code: Unknown
}

// Sources are opened by URL once their driver package is imported.
func ExampleOpenSource() {
	_, err := hes.OpenSource(context.Background(), "ftp://example.com/")
	fmt.Println(hes.Code(err))
	// Output:
	// InvalidArgument
}

// LandStream lands the read records of a subscription as JSON lines
// objects in the inbound bucket, acknowledging each message once its
// object is written (and, with Process, ingested).
func ExampleLandStream() {
	ctx := context.Background()
	topic := mempubsub.NewTopic()
	defer topic.Shutdown(ctx)
	sub := mempubsub.NewSubscription(topic, time.Minute)
	defer sub.Shutdown(ctx)
	inbound := memblob.OpenBucket(nil)
	defer inbound.Close()
	// One message of two records, as a Kinesis record aggregates them.
	topic.Send(ctx, &pubsub.Message{Body: []byte(
		`{"meter_id":"m1","reading_type":"kw","reading_value":"0.62","reading_date_time":"2023-03-01 10:15:00.000"}` +
			`{"meter_id":"m2","reading_type":"kw","reading_value":"1.05","reading_date_time":"2023-03-01 10:15:00.000"}`)})
	st, err := hes.LandStream(ctx, sub, inbound, "ami", &hes.StreamOptions{MaxAge: 100 * time.Millisecond, Idle: 500 * time.Millisecond,
		OnLanded: func(key string, messages, records int) {
			data, _ := inbound.ReadAll(ctx, key)
			fmt.Printf("%d message, %d records:\n%s", messages, records, data)
		}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Objects, "object")
	// Output:
	// 1 message, 2 records:
	// {"meter_id":"m1","reading_type":"kw","reading_value":"0.62","reading_date_time":"2023-03-01 10:15:00.000"}
	// {"meter_id":"m2","reading_type":"kw","reading_value":"1.05","reading_date_time":"2023-03-01 10:15:00.000"}
	// 1 object
}
