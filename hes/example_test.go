package hes_test

import (
	"context"
	"fmt"
	"log"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

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
