package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// MaxResponseBytes is Lambda's limit on the response of a synchronous
// invocation (6 MB): API Gateway answers a larger one with a bare 500
// ("Internal Server Error") that tells the client nothing.
const MaxResponseBytes = 6 << 20

// Adapter serves API Gateway HTTP API (v2) events with an http.Handler.
type Adapter struct {
	Handler http.Handler
	// MaxResponse bounds the encoded response; zero means
	// MaxResponseBytes. A larger one is replaced by a 400 that says so.
	MaxResponse int
}

// Handle converts the event to an *http.Request, serves it, and converts
// the response. Malformed events are answered with 400, not an error, so
// that API Gateway passes the answer on.
func (a *Adapter) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	r, err := NewRequest(ctx, ev)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest,
			Headers: map[string]string{"Content-Type": "application/json"},
			Body:    fmt.Sprintf("{\"error\":%q}\n", err.Error())}, nil
	}
	w := newRecorder()
	a.Handler.ServeHTTP(w, r)
	res := w.response()
	limit := a.MaxResponse
	if limit <= 0 {
		limit = MaxResponseBytes
	}
	// The limit is on the response event as Lambda sends it: headers,
	// and the body as a JSON string (base64 for binary types).
	// Measured as the runtime encodes it: without escaping <, > and &,
	// which json.Marshal would grow to six bytes each.
	var enc bytes.Buffer
	je := json.NewEncoder(&enc)
	je.SetEscapeHTML(false)
	if err := je.Encode(res); err != nil || enc.Len()-1 > limit {
		n := enc.Len() - 1 // Encode's newline
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest,
			Headers: map[string]string{"Content-Type": "application/json"},
			Body: fmt.Sprintf("{\"error\":%q}\n", fmt.Sprintf("the response (%d bytes encoded) exceeds the %d bytes a Lambda function may return: "+
				"narrow the date range, ask for fewer reading types, a longer period, or format=arrow", n, limit))}, nil
	}
	return res, nil
}

// NewRequest converts an HTTP API v2 event to a request. A named stage
// ("prod") is removed from the front of the path, so that the handler sees
// its own routes; "$default" has none.
func NewRequest(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	if st := ev.RequestContext.Stage; st != "" && st != "$default" {
		if rest, ok := strings.CutPrefix(path, "/"+st); ok && (rest == "" || rest[0] == '/') {
			path = rest
		}
	}
	if path == "" {
		path = "/"
	}
	host := ev.RequestContext.DomainName
	if host == "" {
		host = "lambda"
	}
	u, err := url.Parse("https://" + host + path)
	if err != nil {
		return nil, fmt.Errorf("bad path %q: %w", path, err)
	}
	u.RawQuery = ev.RawQueryString
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, fmt.Errorf("bad base64 body: %w", err)
		}
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodGet
	}
	r, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range ev.Headers { // v2 joins repeated headers with commas
		r.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	r.Host = host
	r.RequestURI = u.RequestURI()
	r.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	r.ContentLength = int64(len(body))
	return r, nil
}

// recorder is a minimal http.ResponseWriter that buffers the response.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: make(http.Header)} }

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.body.Write(p)
}

func (w *recorder) response() events.APIGatewayV2HTTPResponse {
	res := events.APIGatewayV2HTTPResponse{StatusCode: w.code, Headers: map[string]string{}}
	if res.StatusCode == 0 {
		res.StatusCode = http.StatusOK
	}
	for k, vs := range w.header {
		if k == "Set-Cookie" {
			res.Cookies = append(res.Cookies, vs...)
			continue
		}
		if len(vs) == 1 {
			res.Headers[k] = vs[0]
		} else {
			if res.MultiValueHeaders == nil {
				res.MultiValueHeaders = map[string][]string{}
			}
			res.MultiValueHeaders[k] = vs
		}
	}
	if isText(w.header.Get("Content-Type")) {
		res.Body = w.body.String()
	} else {
		res.Body = base64.StdEncoding.EncodeToString(w.body.Bytes())
		res.IsBase64Encoded = true
	}
	return res
}

// isText reports whether a content type can travel as a string body.
func isText(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "application/xml"
}
