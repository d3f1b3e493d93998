package sftpsource_test

import (
	"context"
	"fmt"
	"io"
	"log"

	"github.com/pkg/sftp"
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/hes"
	"github.com/openmda/mda/hes/sftpsource"
)

// Fetch from an SFTP directory; here an in-process server over pipes. In
// production, open "sftp://user@host/dir?key=FILE" with hes.OpenSource.
func Example() {
	ctx := context.Background()
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	srv := sftp.NewRequestServer(rwc{sr, sw}, sftp.InMemHandler())
	go srv.Serve()
	client, err := sftp.NewClientPipe(cr, cw)
	if err != nil {
		log.Fatal(err)
	}
	defer func() { srv.Close(); client.Close() }()

	client.MkdirAll("/exports")
	f, _ := client.Create("/exports/req-1.csv.gz")
	f.Write([]byte("time,arrival_time,device_id,measure_name,load,crrnt,pf,kva,kw,vltg\n"))
	f.Close()

	src, err := sftpsource.New(client, "/exports", "hes-sftp", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	inbound := memblob.OpenBucket(nil)
	defer inbound.Close()
	keys, err := hes.Fetch(ctx, src, inbound, nil)
	fmt.Println(keys, err)
	// Output:
	// [inbound/landing/hes-sftp/req-1.csv.gz] <nil>
}
