package decompress

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"gocloud.dev/blob/memblob"
)

func TestSniffAndCopy(t *testing.T) {
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
		name    string
		in      []byte
		want    Codec
		wantErr string
	}{
		{"plain", data, None, ""},
		{"tiny", []byte("a"), None, ""},
		{"empty", nil, None, ""},
		{"gzip", gz.Bytes(), Gzip, ""},
		{"concatenated gzip members", twoMembers.Bytes(), Gzip, ""},
		{"zstd", zs.Bytes(), Zstd, ""},
		{"truncated gzip", gz.Bytes()[:gz.Len()/2], Gzip, "unexpected EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			b := memblob.OpenBucket(nil)
			defer b.Close()
			if err := b.WriteAll(ctx, "in", tc.in, nil); err != nil {
				t.Fatal(err)
			}
			c, err := Sniff(ctx, b, "in")
			if err != nil || c != tc.want {
				t.Fatalf("Sniff = %q, %v; want %q", c, err, tc.want)
			}
			if c == None {
				return
			}
			n, err := Copy(ctx, b, "in", c, b, "out")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if ok, _ := b.Exists(ctx, "out"); ok {
					t.Error("a failed copy left a partial object")
				}
				return
			}
			got, rerr := b.ReadAll(ctx, "out")
			if err != nil || rerr != nil || n != int64(len(data)) || !bytes.Equal(got, data) {
				t.Fatalf("Copy = %d, %v; read %d bytes, %v; want %d bytes back", n, err, len(got), rerr, len(data))
			}
		})
	}
}
