package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/grid"
	"github.com/openmda/mda/query"
)

// Defaults of Options.
const (
	DefaultMaxDays  = 366
	DefaultMaxReads = 2_000_000
	DefaultTimeout  = 30 * time.Second
)

// Options configures the handler. Nil means the defaults.
type Options struct {
	// RequireAuth makes every route but /healthz require one of APIKeys.
	// Servers set it unless they listen on loopback only (IsLoopback).
	// With RequireAuth and no keys, every request is refused.
	RequireAuth bool
	// APIKeys are the accepted keys.
	APIKeys []string
	// MaxDays bounds the date range of a request, in days; default 366.
	MaxDays int
	// MaxReads bounds the reads one request may scan; default 2,000,000.
	MaxReads int
	// Timeout bounds the time of one request; default 30s.
	Timeout time.Duration
	// Location sets the day boundaries of date parameters and the periods
	// of aggregates; nil means UTC.
	Location *time.Location
	// Interval fixes the interval of kW reads; zero infers it (see
	// package query).
	Interval time.Duration
	// MetersTTL is how long the list of meters is cached; default 5m.
	MetersTTL time.Duration
	// Grid configures the grid routes (/outage, /voltvar, /topology);
	// their Location and Logger default to the API's.
	Grid *grid.HandlerOptions
	// Logger receives one line per request (Info; Error for failures of
	// the lake); nil discards them.
	Logger *slog.Logger
}

// handler serves the API.
type handler struct {
	lake    *query.Lake
	opts    Options
	log     *slog.Logger
	handler http.Handler
}

// New returns the API over lake, a bucket of package partition's layout
// and package tables' tables.
func New(lake *blob.Bucket, opts *Options) http.Handler {
	h := &handler{}
	if opts != nil {
		h.opts = *opts
	}
	o := &h.opts
	o.MaxDays = cmp.Or(o.MaxDays, DefaultMaxDays)
	o.MaxReads = cmp.Or(o.MaxReads, DefaultMaxReads)
	o.Timeout = cmp.Or(o.Timeout, DefaultTimeout)
	if o.Location == nil {
		o.Location = time.UTC
	}
	h.log = o.Logger
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.lake = query.New(lake, &query.Options{Interval: o.Interval, Location: o.Location,
		MaxReads: o.MaxReads, MetersTTL: o.MetersTTL})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /consumption/{meter_id}", h.consumption)
	mux.HandleFunc("GET /voltage/{meter_id}", h.voltage)
	mux.HandleFunc("GET /reads/{meter_id}", h.reads)
	mux.HandleFunc("GET /forecast/{meter_id}", h.forecast)
	mux.HandleFunc("GET /anomaly/{meter_id}", h.anomaly)
	mux.HandleFunc("GET /meters", h.meters)
	mux.HandleFunc("GET /weather", h.weather)
	mux.HandleFunc("GET /healthz", h.healthz)
	// The grid analytics keep their own handler; the API mounts it.
	// Its days are the API's days, and its failures go to the API's log.
	var gopts grid.HandlerOptions
	if o.Grid != nil {
		gopts = *o.Grid
	}
	if gopts.Location == nil {
		gopts.Location = o.Location
	}
	if gopts.Logger == nil {
		gopts.Logger = h.log
	}
	gh := grid.NewHandler(lake, &gopts)
	mux.Handle("GET /outage", gh)
	mux.Handle("GET /voltvar/{transformer_id}", gh)
	mux.Handle("GET /topology/", gh)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			g := r.Clone(r.Context())
			g.Method = http.MethodGet
			if _, pattern := mux.Handler(g); pattern != "/" {
				w.Header().Set("Allow", "GET, HEAD")
				writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed: the API is read-only (GET)", r.Method))
				return
			}
		}
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s; routes: %v", r.Method, r.URL.Path, Routes))
	})
	var next http.Handler = mux
	if o.RequireAuth {
		if len(o.APIKeys) == 0 {
			h.log.Error("api: RequireAuth without APIKeys: every request will be refused")
		}
		next = Authenticate(next, o.APIKeys, "/healthz")
	}
	h.handler = next
	return h
}

// Routes are the API's route patterns.
var Routes = []string{
	"GET /consumption/{meter_id}", "GET /voltage/{meter_id}", "GET /reads/{meter_id}", "GET /forecast/{meter_id}",
	"GET /anomaly/{meter_id}", "GET /meters", "GET /weather", "GET /healthz",
	"GET /outage", "GET /voltvar/{transformer_id}", "GET /topology/{table}", "GET /topology/meter/{meter_id}",
}

// ServeHTTP logs the request and runs it with the timeout.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	sw := &statusWriter{ResponseWriter: w}
	h.handler.ServeHTTP(sw, r.WithContext(ctx))
	h.log.LogAttrs(ctx, slog.LevelInfo, "request",
		slog.String("method", r.Method), slog.String("path", r.URL.EscapedPath()),
		slog.String("query", r.URL.RawQuery), slog.Int("status", sw.status()),
		slog.Int64("bytes", sw.n), slog.Duration("duration", time.Since(start)),
		slog.String("remote", r.RemoteAddr))
}

// fail answers a failed lake call: the client's fault (too many reads),
// a timeout, or a failure of the lake.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, query.ErrTooManyReads):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("the request would scan more than %d reads: narrow the range", h.opts.MaxReads))
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("request timed out after %v", h.opts.Timeout))
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		w.WriteHeader(http.StatusServiceUnavailable)
	default:
		h.log.LogAttrs(r.Context(), slog.LevelError, "lake error",
			slog.String("path", r.URL.EscapedPath()), slog.String("error", err.Error()))
		writeError(w, http.StatusInternalServerError, "internal error reading the lake")
	}
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	code int
	n    int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

func (w *statusWriter) status() int { return cmp.Or(w.code, http.StatusOK) }

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
