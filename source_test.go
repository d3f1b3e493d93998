package mda_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda"
)

func TestSniffAndDecompress(t *testing.T) {
	data := []byte(strings.Repeat("time,arrival_time,device_id,measure_name,load,crrnt,pf,kva,kw,vltg\n", 1000))
	var gz, twoMembers, zs bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(data)
	w.Close()
	for _, half := range [][]byte{data[:len(data)/2], data[len(data)/2:]} {
		w := gzip.NewWriter(&twoMembers)
		w.Write(half)
		w.Close()
	}
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(data)
	zw.Close()
	tests := []struct {
		name, want, wantErr string
		in                  []byte
	}{
		{"plain", "", "", data},
		{"tiny", "", "", []byte("a")},
		{"empty", "", "", nil},
		{"gzip", "gzip", "", gz.Bytes()},
		{"concatenated gzip members", "gzip", "", twoMembers.Bytes()},
		{"zstd", "zstd", "", zs.Bytes()},
		{"truncated gzip", "gzip", "unexpected EOF", gz.Bytes()[:gz.Len()/2]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			b := memblob.OpenBucket(nil)
			defer b.Close()
			if err := b.WriteAll(ctx, "in", tc.in, nil); err != nil {
				t.Fatal(err)
			}
			c, err := mda.SniffCompression(ctx, b, "in")
			if err != nil || c != tc.want {
				t.Fatalf("SniffCompression = %q, %v; want %q", c, err, tc.want)
			}
			if c == "" {
				return
			}
			var progressed int64
			n, err := mda.Decompress(ctx, b, "in", c, b, "out", func(done int64) { progressed = done })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if ok, _ := b.Exists(ctx, "out"); ok {
					t.Error("a failed decompression left a partial copy")
				}
				return
			}
			got, _ := b.ReadAll(ctx, "out")
			if err != nil || n != int64(len(data)) || !bytes.Equal(got, data) || progressed != int64(len(tc.in)) {
				t.Fatalf("Decompress: %d bytes, %v, progress %d", n, err, progressed)
			}
		})
	}
}
