package sftpsource_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/pkg/sftp"

	"github.com/openmda/mda/hes"
	"github.com/openmda/mda/hes/drivertest"
	"github.com/openmda/mda/hes/sftpsource"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// rwc joins a reader and a writer into a connection end.
type rwc struct {
	io.Reader
	io.WriteCloser
}

// dial connects a client to an in-process SFTP server over handlers, through
// two pipes: no sshd, no network.
func dial(t testing.TB, handlers sftp.Handlers) *sftp.Client {
	t.Helper()
	cr, sw := io.Pipe() // server to client
	sr, cw := io.Pipe() // client to server
	srv := sftp.NewRequestServer(rwc{sr, sw}, handlers)
	done := make(chan struct{})
	go func() { srv.Serve(); close(done) }()
	c, err := sftp.NewClientPipe(cr, cw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close() // closes the server's writer: the client's reader ends
		c.Close()   // closes the client's writer: Serve returns
		<-done
	})
	return c
}

type harness struct {
	t        testing.TB
	handlers sftp.Handlers
	admin    *sftp.Client // the producer's connection
	clock    *clock
	n        int
}

const claimTimeout = 10 * time.Minute

func (h *harness) MakeSource(ctx context.Context) (*hes.Source, error) {
	return sftpsource.New(dial(h.t, h.handlers), "/outbox", "hes-sftp", &sftpsource.Options{ClaimTimeout: claimTimeout, MaxAttempts: 2, Now: h.clock.Now})
}

func (h *harness) Add(ctx context.Context) ([]string, error) {
	var lines []string
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintln(zw, "time,arrival_time,device_id,measure_name,load,crrnt,pf,kva,kw,vltg")
	for range 3 {
		h.n++
		l := fmt.Sprintf("2024-03-01 00:15:00.000000,2024-03-01 00:16:00.000000,meter-%d,readings,9,2.5,0.95,0.6,0.57,0.229", h.n)
		lines = append(lines, l)
		fmt.Fprintln(zw, l)
	}
	zw.Close()
	if err := h.admin.MkdirAll("/outbox"); err != nil {
		return nil, err
	}
	// Write under a temporary name and rename, as producers should.
	tmp := fmt.Sprintf("/outbox/.part-%04d", h.n)
	f, err := h.admin.Create(tmp)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return lines, h.admin.Rename(tmp, fmt.Sprintf("/outbox/readings-%04d.csv.gz", h.n))
}

func (h *harness) Crashed(ctx context.Context) error {
	h.clock.Add(claimTimeout + time.Second)
	return nil
}
func (h *harness) MaxAttempts() int { return 2 }

// Concurrent is off under the race detector only: pkg/sftp's InMemHandler
// renames a file without holding the lock its listings take (a race in the
// test server, not in this package).
func (h *harness) Concurrent() bool { return !raceEnabled }
func (h *harness) Close()           {}

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (drivertest.Harness, error) {
		handlers := sftp.InMemHandler()
		return &harness{t: t, handlers: handlers, admin: dial(t, handlers), clock: &clock{t: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}}, nil
	})
}

func TestArchiveLayout(t *testing.T) {
	ctx := context.Background()
	handlers := sftp.InMemHandler()
	h := &harness{t: t, handlers: handlers, admin: dial(t, handlers), clock: &clock{t: time.Now()}}
	if _, err := h.Add(ctx); err != nil {
		t.Fatal(err)
	}
	src, err := h.MakeSource(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	in := newInbound(t)
	keys, err := hes.Fetch(ctx, src, in, nil)
	if err != nil || len(keys) != 1 {
		t.Fatalf("Fetch = %v, %v", keys, err)
	}
	var got []string
	for _, dir := range []string{"/outbox", "/outbox/processing", "/outbox/archive", "/outbox/poison"} {
		fis, err := h.admin.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, fi := range fis {
			if fi.Mode().IsRegular() {
				got = append(got, dir+"/"+fi.Name())
			}
		}
	}
	want := []string{"/outbox/archive/readings-0003.csv.gz"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("files after Fetch = %v, want %v", got, want)
	}
	if want := hes.LandingKey("hes-sftp", "readings-0003.csv.gz"); keys[0] != want {
		t.Errorf("landed %q, want %q", keys[0], want)
	}
}
