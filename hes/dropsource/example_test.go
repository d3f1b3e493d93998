package dropsource_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/hes"
	_ "github.com/openmda/mda/hes/dropsource"
)

// Open a drop folder on the local file system by URL.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "drop")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "readings.csv"), []byte("time,arrival_time,device_id,measure_name,load,crrnt,pf,kva,kw,vltg\n"), 0o644)

	src, err := hes.OpenSource(ctx, "drop+file://"+filepath.ToSlash(dir)+"?name=drop1")
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	inbound := memblob.OpenBucket(nil)
	defer inbound.Close()
	keys, err := hes.Fetch(ctx, src, inbound, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(keys)
	_, err = os.Stat(filepath.Join(dir, "archive", "readings.csv"))
	fmt.Println("archived:", err == nil)
	// Output:
	// [inbound/landing/drop1/readings.csv]
	// archived: true
}
