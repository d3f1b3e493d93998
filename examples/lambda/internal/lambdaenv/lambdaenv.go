package lambdaenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/pubsub"
	_ "gocloud.dev/pubsub/awssnssqs" // awssqs:// and awssns:// topics
	_ "gocloud.dev/pubsub/mempubsub" // mem:// topics, for tests and local runs

	"github.com/openmda/mda"
)

// Env reads configuration from environment variables and remembers what
// was wrong with them; Err reports it all.
type Env struct {
	getenv func(string) string
	errs   []error
}

// New returns an Env that reads variables with getenv (os.Getenv in a
// function, a map lookup in tests).
func New(getenv func(string) string) *Env { return &Env{getenv: getenv} }

// Map returns a getenv over a map, for tests.
func Map(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// Get returns the variable, or "" if it is unset.
func (e *Env) Get(name string) string { return strings.TrimSpace(e.getenv(name)) }

// Required returns the variable and records an error if it is unset.
func (e *Env) Required(name, what string) string {
	v := e.Get(name)
	if v == "" {
		e.errs = append(e.errs, fmt.Errorf("%s is not set (%s)", name, what))
	}
	return v
}

// Int returns a positive integer variable, or def if it is unset.
func (e *Env) Int(name string, def int) int {
	v := e.Get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want a positive integer", name, v))
		return def
	}
	return n
}

// Bytes returns a positive byte count, or def if it is unset. Suffixes KiB,
// MiB and GiB (and KB, MB, GB, powers of ten) are accepted, since chunk
// sizes are easier to read as "4MiB" than as 4194304.
func (e *Env) Bytes(name string, def int64) int64 {
	v := e.Get(name)
	if v == "" {
		return def
	}
	n, err := parseBytes(v)
	if err != nil || n <= 0 {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want a positive byte count such as 4194304 or 4MiB", name, v))
		return def
	}
	return n
}

func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, err
	}
	if n > (1<<63-1)/mult {
		return 0, errors.New("too large")
	}
	return n * mult, nil
}

// Duration returns a positive duration variable ("90s", "2m"), or def.
func (e *Env) Duration(name string, def time.Duration) time.Duration {
	v := e.Get(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want a positive duration such as 90s", name, v))
		return def
	}
	return d
}

// Fail records an error found while wiring the handler.
func (e *Env) Fail(err error) { e.errs = append(e.errs, err) }

// Err returns every problem recorded so far, or nil.
func (e *Env) Err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return fmt.Errorf("lambda configuration: %w", errors.Join(e.errs...))
}

// Logger returns a JSON logger on w at level ("debug", "info", "warn",
// "error"; default info). JSON, because CloudWatch Logs Insights indexes
// the fields of JSON log lines and the Lambda console shows them as such.
func Logger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil || level == "" {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// OpenBucket opens a bucket by URL with mda.OpenBucket (s3://bucket?region=...).
func OpenBucket(ctx context.Context, name, urlstr string) (*blob.Bucket, error) {
	b, err := mda.OpenBucket(ctx, urlstr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

// OpenTopic opens a topic by URL (awssqs://sqs.<region>.amazonaws.com/<account>/<queue>?region=<region>,
// awssns:///<topic-arn>?region=<region>, or mem://<name> in tests). Opening
// contacts nothing: a wrong queue shows at the first send.
func OpenTopic(ctx context.Context, name, urlstr string) (*pubsub.Topic, error) {
	t, err := pubsub.OpenTopic(ctx, urlstr)
	if err != nil {
		return nil, fmt.Errorf("%s: open topic %q: %w", name, urlstr, err)
	}
	return t, nil
}

// BucketName returns the bucket name of an s3:// (or gs://, azblob://) URL:
// what S3 events call the bucket.
func BucketName(urlstr string) (string, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return "", fmt.Errorf("bad bucket URL %q: %w", urlstr, err)
	}
	if u.Host == "" {
		return "", fmt.Errorf("bucket URL %q names no bucket (want s3://<bucket>?region=<region>)", urlstr)
	}
	return u.Host, nil
}

// LockTTL is how long a partition lock taken during this invocation must
// hold: until the function's deadline (when Lambda stops it, lock held or
// not) plus a margin, and never less than def. A shorter TTL would let
// another integrator break the lock of a live one; a much longer one would
// keep a partition locked long after a timed-out function died.
func LockTTL(ctx context.Context, def time.Duration) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return def
	}
	return max(def, time.Until(dl)+30*time.Second)
}
