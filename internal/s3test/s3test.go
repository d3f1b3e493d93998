package s3test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
)

// Server is an in-process S3 endpoint.
type Server struct {
	URL string
	srv *httptest.Server

	latency atomic.Int64 // nanoseconds each request waits

	mu     sync.Mutex
	faults []*fault
}

type fault struct {
	method, keyPart string
	left            int
	hit             int
}

// New starts a server; it stops when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	faker := gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true))
	s := &Server{}
	inner := faker.Server()
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := s.latency.Load(); d > 0 {
			time.Sleep(time.Duration(d))
		}
		if s.inject(r) {
			http.Error(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected fault</Message></Error>`, http.StatusInternalServerError)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// SetLatency makes every request wait d before it is served, as if it
// crossed a network to a real store: for benchmarks of code whose cost is
// its round trips.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// FailNext makes the next n requests with the given method whose path
// contains keyPart fail with a 500 InternalError.
func (s *Server) FailNext(method, keyPart string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{method: method, keyPart: keyPart, left: n})
}

// Injected reports how many faults have fired.
func (s *Server) Injected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.faults {
		n += f.hit
	}
	return n
}

func (s *Server) inject(r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.left > 0 && r.Method == f.method && strings.Contains(r.URL.Path, f.keyPart) {
			f.left--
			f.hit++
			return true
		}
	}
	return false
}

// Client returns an S3 client for the server. Retries are off, so that an
// injected fault reaches the caller instead of being hidden by the SDK.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(s.URL),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	})
}

// Bucket opens a bucket on the server through s3blob (created on first use).
func (s *Server) Bucket(t testing.TB, name string) *blob.Bucket {
	t.Helper()
	b, err := s3blob.OpenBucket(context.Background(), s.Client(), name, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// BucketURL is the s3:// URL of a bucket on the server, for code that opens
// buckets by URL (AWS credentials come from the environment; set
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the test).
func (s *Server) BucketURL(name string) string {
	return "s3://" + name + "?endpoint=" + s.URL + "&use_path_style=true&region=us-east-1&disable_https=true"
}
