package httpsource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/openmda/mda/hes"
	"github.com/openmda/mda/hes/driver"
)

// Schemes registered on hes.DefaultURLMux.
var Schemes = []string{"hes+http", "hes+https", "http", "https"}

func init() {
	for _, s := range Schemes {
		hes.DefaultURLMux.RegisterSource(s, new(URLOpener))
	}
}

// TimeLayout is the layout of the API's times (the guidance's
// %Y-%m-%d %H:%M:%S.%f, UTC).
const TimeLayout = "2006-01-02 15:04:05.000000"

// Options configures a source. A nil *Options, and every zero field, mean
// the defaults.
type Options struct {
	// APIKey, if set, is sent as the "x-api-key" header.
	APIKey string
	// Client is the HTTP client; default one with a 5-minute timeout.
	Client *http.Client
	// Start is the first window's start when the source has no state yet;
	// default the start of the last whole Window before Now()-Lag (or
	// before End).
	Start time.Time
	// End, if set, is where the windows stop, when it is before
	// Now()-Lag: a backfill of a past period ends there instead of
	// walking the (empty) windows up to the present. A source whose
	// watermark is at or past End has nothing to list.
	End time.Time
	// Window is the longest window one file request covers; default 1h.
	Window time.Duration
	// Lag is how far behind the clock the windows stop, to let the
	// head-end receive what arrived last; default 15m. A window is
	// requested only once its end is at or before Now()-Lag, so that a
	// window's content no longer changes when it is fetched.
	Lag time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// PollInterval is the longest pause between status requests; default
	// 2s. The first status request comes after a sixteenth of it and the
	// pause doubles from there, so a small or empty window, which a HES
	// answers at once, costs a fraction of a second instead of a full
	// interval.
	PollInterval time.Duration
	// MaxPolls bounds the status requests for one file; default 1800.
	MaxPolls int
	// Retries is how many times a request that fails transiently (network
	// error, 5xx, 429) is sent again, and how many times a window whose
	// export ended "failed" is requested again, before Open gives up
	// (the next Pull tries again); default 5.
	Retries int
	// Backoff is the first pause before a retry, doubled every time up
	// to 30s; default 250ms.
	Backoff time.Duration
	// MaxAttempts is how many times a window's file may fail processing
	// before it is quarantined and the watermark steps over it; default 5.
	MaxAttempts int
}

// URLOpener opens sources from URLs of the form
//
//	hes+http://host:port/base/path?api_key_env=HES_API_KEY&window=1h&lag=15m&start=2024-03-01T00:00:00Z&end=2024-04-01T00:00:00Z&name=hes1
//
// (hes+https, http and https too). The base URL is the URL without the
// "hes+" prefix and the query. Parameters: api_key_env names an
// environment variable holding the API key; window, lag, poll (the poll
// interval) are Go durations; start and end are RFC 3339, the API's
// layout (UTC) or a day YYYY-MM-DD (its midnight, UTC);
// max_attempts and retries are integers; name is the source's name
// (default derived from host and path). Options, if set, gives the other
// defaults.
type URLOpener struct {
	Options Options
}

// OpenSourceURL implements hes.SourceURLOpener.
func (o *URLOpener) OpenSourceURL(ctx context.Context, u *url.URL) (*hes.Source, error) {
	opts := o.Options
	q := u.Query()
	bad := func(k string, err error) error {
		return &hes.Error{Code: hes.InvalidArgument, Op: "OpenSource", Err: fmt.Errorf("%s: parameter %s: %w", u.Redacted(), k, err)}
	}
	for k := range q {
		switch k {
		case "api_key_env", "window", "lag", "poll", "start", "end", "max_attempts", "retries", "name":
		default:
			return nil, bad(k, errors.New("unknown parameter"))
		}
	}
	if v := q.Get("api_key_env"); v != "" {
		key, ok := os.LookupEnv(v)
		if !ok {
			return nil, bad("api_key_env", fmt.Errorf("environment variable %s is not set", v))
		}
		opts.APIKey = key
	}
	for k, d := range map[string]*time.Duration{"window": &opts.Window, "lag": &opts.Lag, "poll": &opts.PollInterval} {
		if v := q.Get(k); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil {
				return nil, bad(k, err)
			}
			*d = x
		}
	}
	for k, n := range map[string]*int{"max_attempts": &opts.MaxAttempts, "retries": &opts.Retries} {
		if v := q.Get(k); v != "" {
			x, err := strconv.Atoi(v)
			if err != nil {
				return nil, bad(k, err)
			}
			*n = x
		}
	}
	for k, t := range map[string]*time.Time{"start": &opts.Start, "end": &opts.End} {
		if v := q.Get(k); v != "" {
			x, err := parseTime(v)
			if err != nil {
				return nil, bad(k, err)
			}
			*t = x
		}
	}
	base := *u
	base.Scheme = strings.TrimPrefix(u.Scheme, "hes+")
	base.RawQuery = ""
	base.Fragment = ""
	return New(base.String(), hes.NameFromURL(u), &opts)
}

// parseTime parses a start= or end= parameter: RFC 3339, the API's
// layout (UTC), or a day (its midnight, UTC).
func parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", v, time.UTC); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, time.UTC); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: want RFC 3339 (2024-03-01T00:00:00Z), the API's layout (2024-03-01 00:00:00.000000, UTC) or a day (2024-03-01, its midnight UTC)", v)
}

// New returns a source named name over the HES API at baseURL (the URL
// to which "/readings/file" is appended).
func New(baseURL, name string, opts *Options) (*hes.Source, error) {
	d, err := newDriver(baseURL, opts)
	if err != nil {
		return nil, err
	}
	return hes.NewSource(d, name)
}

type source struct {
	base *url.URL
	o    Options
}

func newDriver(baseURL string, opts *Options) (*source, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &hes.Error{Code: hes.InvalidArgument, Op: "New", Err: fmt.Errorf("bad base URL %q: want http(s)://host[:port][/path]", baseURL)}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	s := &source{base: u}
	if opts != nil {
		s.o = *opts
	}
	o := &s.o
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 5 * time.Minute}
	}
	if o.Window <= 0 {
		o.Window = time.Hour
	}
	if o.Lag < 0 {
		return nil, &hes.Error{Code: hes.InvalidArgument, Op: "New", Err: fmt.Errorf("negative Lag %v", o.Lag)}
	}
	if o.Lag == 0 {
		o.Lag = 15 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.MaxPolls <= 0 {
		o.MaxPolls = 1800
	}
	if o.Retries <= 0 {
		o.Retries = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = 250 * time.Millisecond
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	return s, nil
}

// Cursor is the source's saved position.
type Cursor struct {
	// Watermark: every read that arrived before it has been delivered.
	Watermark time.Time `json:"watermark"`
	// Attempts counts the failed processing attempts of the window that
	// starts at Watermark.
	Attempts int `json:"attempts,omitempty"`
}

// window is an object's Private.
type window struct{ start, end time.Time }

// ObjectName names the file of the window [start, end).
func ObjectName(start, end time.Time) string {
	const f = "20060102T150405.000Z"
	return start.UTC().Format(f) + "_" + end.UTC().Format(f) + ".csv.gz"
}

func (s *source) cursor(raw []byte) (Cursor, error) {
	var c Cursor
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil {
			return c, fmt.Errorf("bad cursor %q: %w", raw, err)
		}
		return c, nil
	}
	c.Watermark = s.o.Start
	if c.Watermark.IsZero() {
		c.Watermark = s.limit().Truncate(s.o.Window).Add(-s.o.Window)
	}
	c.Watermark = c.Watermark.UTC().Truncate(time.Millisecond)
	return c, nil
}

// limit is the end of the last window that may be requested now: Now()-Lag,
// or End if before.
func (s *source) limit() time.Time {
	l := s.o.Now().Add(-s.o.Lag).UTC().Truncate(time.Millisecond)
	if !s.o.End.IsZero() && s.o.End.Before(l) {
		l = s.o.End.UTC().Truncate(time.Millisecond)
	}
	return l
}

// List implements driver.Source: the windows from the watermark to
// Now()-Lag, each at most Window long. It sends no request.
func (s *source) List(ctx context.Context, raw []byte, max int) ([]*driver.Object, error) {
	c, err := s.cursor(raw)
	if err != nil {
		return nil, err
	}
	limit := s.limit()
	var out []*driver.Object
	for wm := c.Watermark; len(out) < max; {
		end := wm.Add(s.o.Window)
		if end.After(limit) {
			end = limit
		}
		if !end.After(wm) {
			break
		}
		obj := &driver.Object{Name: ObjectName(wm, end), Size: -1, Private: window{wm, end}}
		if len(out) == 0 {
			obj.Attempts = c.Attempts
		}
		out = append(out, obj)
		wm = end
	}
	return out, nil
}

// Open implements driver.Source: it requests the window's file, polls its
// status, and returns the file's content (empty if the window holds no
// reads). The content is checked as it is read: a file that is not valid
// gzip, or whose line count differs from record_count, fails at its end.
func (s *source) Open(ctx context.Context, obj *driver.Object) (io.ReadCloser, error) {
	w := obj.Private.(window)
	var lastErr error
	for try := 0; try <= s.o.Retries; try++ {
		if try > 0 {
			if err := s.sleep(ctx, s.backoff(try)); err != nil {
				return nil, err
			}
		}
		st, err := s.export(ctx, w)
		if err != nil {
			return nil, err
		}
		switch st.Status {
		case "skipped":
			return io.NopCloser(strings.NewReader("")), nil
		case "completed":
			if st.RecordCount != nil && *st.RecordCount == 0 {
				return io.NopCloser(strings.NewReader("")), nil
			}
			return s.download(ctx, st)
		}
		lastErr = &statusError{id: st.RequestID, status: st.Status, reason: st.Reason}
	}
	return nil, lastErr
}

// fileStatus is the API's answer about a file request.
type fileStatus struct {
	RequestID   string `json:"request_id"`
	Status      string `json:"status"`
	Location    string `json:"location"`
	RecordCount *int   `json:"record_count"`
	Reason      string `json:"reason"`
}

// export requests w's file and polls until it is completed, skipped or failed.
func (s *source) export(ctx context.Context, w window) (fileStatus, error) {
	body, _ := json.Marshal(map[string]string{"start_date": w.start.UTC().Format(TimeLayout), "end_date": w.end.UTC().Format(TimeLayout)})
	var st fileStatus
	if err := s.call(ctx, http.MethodPost, s.endpoint("/readings/file", nil), body, &st); err != nil {
		return st, err
	}
	if st.RequestID == "" {
		return st, &protocolError{fmt.Sprintf("POST /readings/file: no request_id in answer (status %q)", st.Status)}
	}
	id := st.RequestID
	pause := max(s.o.PollInterval/16, time.Millisecond)
	for polls := 0; ; polls++ {
		switch st.Status {
		case "completed", "skipped", "failed":
			return st, nil
		}
		if polls >= s.o.MaxPolls {
			return st, &statusError{id: id, status: st.Status, reason: fmt.Sprintf("still %q after %d polls", st.Status, polls)}
		}
		if err := s.sleep(ctx, pause); err != nil {
			return st, err
		}
		pause = min(2*pause, s.o.PollInterval)
		st = fileStatus{}
		if err := s.call(ctx, http.MethodGet, s.endpoint("/readings/file", url.Values{"request_id": {id}}), nil, &st); err != nil {
			return st, err
		}
		st.RequestID = id
	}
}

func (s *source) endpoint(path string, q url.Values) string {
	u := *s.base
	u.Path += path
	u.RawQuery = q.Encode()
	return u.String()
}

// call sends a JSON request, retrying transient failures, and decodes the answer into out.
func (s *source) call(ctx context.Context, method, u string, body []byte, out any) error {
	return s.retry(ctx, func() error {
		resp, err := s.do(ctx, method, u, body)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
			return &protocolError{fmt.Sprintf("%s %s: bad JSON answer: %v", method, u, err)}
		}
		return nil
	})
}

func (s *source) do(ctx context.Context, method, u string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.o.APIKey != "" {
		req.Header.Set("x-api-key", s.o.APIKey)
	}
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, &HTTPError{Method: method, URL: u, StatusCode: resp.StatusCode, Body: strings.TrimSpace(string(msg))}
	}
	return resp, nil
}

// retry runs f until it succeeds, fails permanently, or Retries run out.
func (s *source) retry(ctx context.Context, f func() error) error {
	var err error
	for try := 0; try <= s.o.Retries; try++ {
		if try > 0 {
			if e := s.sleep(ctx, s.backoff(try)); e != nil {
				return errors.Join(err, e)
			}
		}
		if err = f(); err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (s *source) backoff(try int) time.Duration {
	d := s.o.Backoff << min(try-1, 20)
	return min(d, 30*time.Second)
}

func (s *source) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *source) download(ctx context.Context, st fileStatus) (io.ReadCloser, error) {
	if st.Location == "" {
		return nil, &protocolError{fmt.Sprintf("request %s completed without a location", st.RequestID)}
	}
	loc, err := s.base.Parse(st.Location)
	if err != nil {
		return nil, &protocolError{fmt.Sprintf("request %s: bad location %q: %v", st.RequestID, st.Location, err)}
	}
	var resp *http.Response
	err = s.retry(ctx, func() error {
		var err error
		resp, err = s.do(ctx, http.MethodGet, loc.String(), nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	want := -1
	if st.RecordCount != nil {
		want = *st.RecordCount
	}
	return newVerifier(resp.Body, st.Location, want), nil
}

// verifier passes a gzip CSV through and checks, at its end, that it
// decompresses and holds want data lines (-1: any number).
type verifier struct {
	body io.ReadCloser
	name string
	want int
	pw   *io.PipeWriter
	done chan verdict
	err  error
}

type verdict struct {
	lines int
	err   error
}

func newVerifier(body io.ReadCloser, name string, want int) *verifier {
	pr, pw := io.Pipe()
	v := &verifier{body: body, name: name, want: want, pw: pw, done: make(chan verdict, 1)}
	go func() {
		var vd verdict
		zr, err := gzip.NewReader(pr)
		if err == nil {
			buf := make([]byte, 64<<10)
			for {
				n, rerr := zr.Read(buf)
				vd.lines += bytes.Count(buf[:n], []byte{'\n'})
				if rerr == io.EOF {
					break
				}
				if rerr != nil {
					err = rerr
					break
				}
			}
		}
		vd.err = err
		pr.CloseWithError(errors.New("verifier done"))
		v.done <- vd
	}()
	return v
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.body.Read(p)
	if n > 0 {
		v.pw.Write(p[:n]) // an error means the decoder stopped; the verdict says why
	}
	if err == io.EOF {
		v.pw.Close()
		vd := <-v.done
		v.done = nil
		switch {
		case vd.err != nil:
			err = &protocolError{fmt.Sprintf("%s: bad gzip CSV: %v", v.name, vd.err)}
		case v.want >= 0 && vd.lines != v.want+1:
			err = &protocolError{fmt.Sprintf("%s: %d data lines, record_count says %d", v.name, vd.lines-1, v.want)}
		}
	}
	if err != nil {
		v.err = err
	}
	return n, err
}

func (v *verifier) Close() error {
	err := v.body.Close()
	if v.done != nil {
		v.pw.CloseWithError(errors.New("closed"))
		<-v.done
		v.done = nil
	}
	return err
}

// Ack implements driver.Source: the watermark moves to the window's end.
func (s *source) Ack(ctx context.Context, obj *driver.Object) ([]byte, error) {
	return json.Marshal(Cursor{Watermark: obj.Private.(window).end})
}

// Nack implements driver.Source. A counted failure is recorded in the
// cursor; after MaxAttempts the window is quarantined and stepped over.
func (s *source) Nack(ctx context.Context, obj *driver.Object, cause error, count bool) ([]byte, bool, error) {
	if !count {
		return nil, false, nil
	}
	w := obj.Private.(window)
	if n := obj.Attempts + 1; n < s.o.MaxAttempts {
		c, err := json.Marshal(Cursor{Watermark: w.start, Attempts: n})
		return c, false, err
	}
	c, err := json.Marshal(Cursor{Watermark: w.end})
	return c, true, err
}

// Ordered implements driver.Source: windows are acknowledged in order.
func (s *source) Ordered() bool { return true }

// Close implements driver.Source.
func (s *source) Close() error { return nil }

// HTTPError is an answer with a status other than 2xx.
type HTTPError struct {
	Method, URL string
	StatusCode  int
	Body        string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s %s: %s: %s", e.Method, e.URL, http.StatusText(e.StatusCode), e.Body)
}

// statusError is an export that ended "failed" (or never ended).
type statusError struct{ id, status, reason string }

func (e *statusError) Error() string {
	return fmt.Sprintf("file request %s: status %q: %s", e.id, e.status, e.reason)
}

// protocolError is an answer that does not follow the API.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return e.msg }

func transient(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusCode >= 500 || he.StatusCode == http.StatusTooManyRequests || he.StatusCode == http.StatusRequestTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}

// ErrorCode implements driver.Source.
func (s *source) ErrorCode(err error) driver.ErrorCode {
	var he *HTTPError
	var se *statusError
	var pe *protocolError
	switch {
	case errors.As(err, &he):
		switch {
		case he.StatusCode == http.StatusUnauthorized || he.StatusCode == http.StatusForbidden:
			return driver.PermissionDenied
		case he.StatusCode == http.StatusNotFound:
			return driver.NotFound
		case he.StatusCode == http.StatusBadRequest:
			return driver.InvalidArgument
		case transient(he):
			return driver.Unavailable
		}
		return driver.Unknown
	case errors.As(err, &se), errors.As(err, &pe), transient(err):
		return driver.Unavailable
	}
	return driver.Unknown
}
