package grid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/grid/topology"
)

// HandlerOptions configures NewHandler. Nil means the defaults.
type HandlerOptions struct {
	// Topology is the grid; nil means the lake's topology tables
	// (topology.ReadLake), read on first use and again after TopologyTTL.
	Topology *topology.Topology
	// TopologyTTL is how long a topology read from the lake is kept;
	// default 5 minutes.
	TopologyTTL time.Duration
	// Outage and VoltVar configure the analyses.
	Outage  *OutageOptions
	VoltVar *VoltVarOptions
	// MaxWindow bounds the from-to span of /outage; default 31 days.
	MaxWindow time.Duration
	// OutageTTL is how long an /outage answer is reused for the same
	// window (and concurrent requests for one window share one scan): a
	// dashboard refreshing a week of outages would otherwise rescan it
	// every time (2 s a week for 12,000 meters). Default 1 minute;
	// negative turns the cache off. The window of a request without "to"
	// ends at the current minute, so that such requests share it too.
	OutageTTL time.Duration
	// Now is the clock, for default times; default time.Now.
	Now func() time.Time
}

// NewHandler serves the grid analyses of the lake as JSON:
//
//	GET /outage?from=&to=              outages in [from, to) (default: the last 24 hours)
//	GET /voltvar/{transformer_id}?at=  CVR estimate for the hour ending at at (default now)
//	GET /topology/{table}              a topology table, with the guidance's JSON keys
//	GET /topology/meter/{meter_id}     a meter, its location and its chain up to the substation
//
// Times are RFC 3339 instants, YYYY-MM-DD days or the guidance's
// yyyyMMdd; a day as to means the end of that day. Invalid parameters get
// 400, unknown ids and missing data 404, each with {"error": "..."}; only
// failures of the lake itself give 500. Mount it with http.StripPrefix if
// it does not serve at the root.
func NewHandler(lake *blob.Bucket, opts *HandlerOptions) http.Handler {
	h := &handler{lake: lake}
	if opts != nil {
		h.opts = *opts
	}
	if h.opts.TopologyTTL <= 0 {
		h.opts.TopologyTTL = 5 * time.Minute
	}
	if h.opts.MaxWindow <= 0 {
		h.opts.MaxWindow = 31 * 24 * time.Hour
	}
	if h.opts.Now == nil {
		h.opts.Now = time.Now
	}
	if h.opts.OutageTTL == 0 {
		h.opts.OutageTTL = time.Minute
	}
	h.outages = map[[2]int64]*outageAnswer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /outage", h.outage)
	mux.HandleFunc("GET /voltvar/{transformer_id}", h.voltvar)
	mux.HandleFunc("GET /topology/{table}", h.table)
	mux.HandleFunc("GET /topology/meter/{meter_id}", h.meter)
	return mux
}

type handler struct {
	lake *blob.Bucket
	opts HandlerOptions

	mu     sync.Mutex
	topo   *topology.Topology
	loaded time.Time

	outageMu sync.Mutex
	outages  map[[2]int64]*outageAnswer // by window, in Unix ms
}

// outageAnswer is a cached /outage result; done is closed when events and
// err are set.
type outageAnswer struct {
	done   chan struct{}
	at     time.Time
	events []OutageEvent
	err    error
}

// maxOutageAnswers bounds the cache of /outage answers.
const maxOutageAnswers = 64

// detectOutages is DetectOutages through the cache of answers. The scan
// runs under the context of the request that started it; if that request
// gives up, the requests that waited for it scan again under their own.
// When the cache is full of scans still running, a request scans without
// it.
func (h *handler) detectOutages(ctx context.Context, topo *topology.Topology, from, to time.Time) ([]OutageEvent, error) {
	if h.opts.OutageTTL < 0 {
		return DetectOutages(ctx, h.lake, topo, from, to, h.opts.Outage)
	}
	key := [2]int64{from.UnixMilli(), to.UnixMilli()}
	for {
		now := h.opts.Now()
		h.outageMu.Lock()
		a := h.outages[key]
		if a != nil {
			select {
			case <-a.done:
				if a.err != nil || now.Sub(a.at) >= h.opts.OutageTTL {
					a = nil // failed or stale: scan again
				}
			default: // another request is scanning: share its answer
			}
		}
		if a == nil {
			if len(h.outages) >= maxOutageAnswers && !h.evictOutages(now) {
				h.outageMu.Unlock()
				return DetectOutages(ctx, h.lake, topo, from, to, h.opts.Outage)
			}
			a = &outageAnswer{done: make(chan struct{}), at: now}
			h.outages[key] = a
			h.outageMu.Unlock()
			func() {
				defer close(a.done) // even if the scan panics
				a.err = errScanPanicked
				a.events, a.err = DetectOutages(ctx, h.lake, topo, from, to, h.opts.Outage)
			}()
			return a.events, a.err
		}
		h.outageMu.Unlock()
		select {
		case <-a.done:
			if a.err != nil && (errors.Is(a.err, context.Canceled) || errors.Is(a.err, context.DeadlineExceeded)) && ctx.Err() == nil {
				continue // the request that scanned gave up; this one has not
			}
			return a.events, a.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// errScanPanicked is the answer of a scan that panicked (the panic goes on
// in the request that ran it).
var errScanPanicked = errors.New("grid: outage scan failed")

// evictOutages drops the answers that are stale, else the older half of
// those complete, and reports whether it made room. The caller holds
// outageMu.
func (h *handler) evictOutages(now time.Time) bool {
	type aged struct {
		key [2]int64
		at  time.Time
	}
	var done []aged
	for k, a := range h.outages {
		select {
		case <-a.done:
			if a.err != nil || now.Sub(a.at) >= h.opts.OutageTTL {
				delete(h.outages, k)
				continue
			}
			done = append(done, aged{k, a.at})
		default:
		}
	}
	if len(h.outages) < maxOutageAnswers {
		return true
	}
	if len(done) == 0 {
		return false // every entry is a scan still running
	}
	slices.SortFunc(done, func(x, y aged) int { return x.at.Compare(y.at) })
	for _, d := range done[:(len(done)+1)/2] {
		delete(h.outages, d.key)
	}
	return true
}

// topology returns the grid; a lake without one gives an empty topology
// and topology.ErrNoTopology.
func (h *handler) topology(ctx context.Context) (*topology.Topology, error) {
	if h.opts.Topology != nil {
		return h.opts.Topology, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.opts.Now()
	if h.topo != nil && now.Sub(h.loaded) < h.opts.TopologyTTL {
		return h.topo, nil
	}
	t, err := topology.ReadLake(ctx, h.lake)
	if err != nil {
		return &topology.Topology{}, err
	}
	h.topo, h.loaded = t, now
	return t, nil
}

type httpError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// fail maps an error to its status: the caller's mistakes are 4xx.
func fail(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrBadRequest):
		code = http.StatusBadRequest
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrNoReads), errors.Is(err, topology.ErrNoTopology):
		code = http.StatusNotFound
	case errors.Is(err, context.Canceled):
		code = 499 // client closed the request
	}
	writeJSON(w, code, httpError{err.Error()})
}

// ParseTime parses an API or CLI time: an RFC 3339 instant, a day
// YYYY-MM-DD or the guidance's yyyyMMdd (or yyyyMMddHHmmss). A day as an
// upper bound means the end of the day, so that a range of days includes
// its last day.
func ParseTime(s string, upper bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "20060102"} {
		if d, err := time.Parse(layout, s); err == nil {
			if upper {
				d = d.AddDate(0, 0, 1)
			}
			return d, nil
		}
	}
	for _, layout := range []string{time.RFC3339Nano, "20060102150405", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: time %q: want RFC 3339, YYYY-MM-DD or yyyyMMdd", ErrBadRequest, s)
}

func (h *handler) outage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	to := h.opts.Now().UTC().Truncate(time.Minute)
	from := to.Add(-24 * time.Hour)
	var err error
	if s := q.Get("to"); s != "" {
		if to, err = ParseTime(s, true); err != nil {
			fail(w, err)
			return
		}
		if q.Get("from") == "" {
			from = to.Add(-24 * time.Hour)
		}
	}
	if s := q.Get("from"); s != "" {
		if from, err = ParseTime(s, false); err != nil {
			fail(w, err)
			return
		}
	}
	if !to.After(from) {
		fail(w, fmt.Errorf("%w: to %v is not after from %v", ErrBadRequest, to, from))
		return
	}
	if to.Sub(from) > h.opts.MaxWindow {
		fail(w, fmt.Errorf("%w: window %v is longer than %v", ErrBadRequest, to.Sub(from), h.opts.MaxWindow))
		return
	}
	topo, err := h.topology(r.Context())
	if err != nil && !errors.Is(err, topology.ErrNoTopology) {
		fail(w, err)
		return
	}
	events, err := h.detectOutages(r.Context(), topo, from, to)
	if err != nil {
		fail(w, err)
		return
	}
	if events == nil {
		events = []OutageEvent{}
	}
	writeJSON(w, http.StatusOK, struct {
		From    time.Time     `json:"from"`
		To      time.Time     `json:"to"`
		Outages []OutageEvent `json:"outages"`
	}{from, to, events})
}

func (h *handler) voltvar(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("transformer_id")
	at := h.opts.Now().UTC()
	if s := r.URL.Query().Get("at"); s != "" {
		var err error
		if at, err = ParseTime(s, false); err != nil {
			fail(w, err)
			return
		}
	}
	topo, err := h.topology(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	level := topology.LevelDistributionTransformer
	if !topo.Has(level, id) && topo.Has(topology.LevelServiceTransformer, id) {
		level = topology.LevelServiceTransformer
	}
	res, err := VoltVar(r.Context(), h.lake, topo, level, id, at, h.opts.VoltVar)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *handler) table(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("table")
	topo, err := h.topology(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	rows, ok := topo.Rows(name)
	if !ok {
		fail(w, fmt.Errorf("%w: table %q (want one of %s)", ErrNotFound, name, strings.Join(topology.TableNames, ", ")))
		return
	}
	writeJSON(w, http.StatusOK, rows)
}

// MeterInfo is a meter with its location and its chain of supply.
type MeterInfo struct {
	Meter                   topology.SmartMeter               `json:"meter"`
	Location                *topology.Location                `json:"location,omitempty"`
	ServiceTransformer      *topology.ServiceTransformer      `json:"service_transformer,omitempty"`
	DistributionTransformer *topology.DistributionTransformer `json:"distribution_transformer,omitempty"`
	Substation              *topology.Substation              `json:"substation,omitempty"`
}

// DescribeMeter returns meter id with its location and chain of supply,
// and ErrNotFound (wrapped) if the topology does not have it.
func DescribeMeter(topo *topology.Topology, id string) (MeterInfo, error) {
	m, ok := topo.Meter(id)
	if !ok {
		return MeterInfo{}, fmt.Errorf("%w: meter %q", ErrNotFound, id)
	}
	info := MeterInfo{Meter: m}
	if l, ok := topo.Location(m.LocationID); ok {
		info.Location = &l
	}
	p, _ := topo.Path(id)
	if st, ok := topo.ServiceTransformer(p.ServiceTransformer); ok {
		info.ServiceTransformer = &st
	}
	if dt, ok := topo.DistributionTransformer(p.DistributionTransformer); ok {
		info.DistributionTransformer = &dt
	}
	if sub, ok := topo.Substation(p.Substation); ok {
		info.Substation = &sub
	}
	return info, nil
}

func (h *handler) meter(w http.ResponseWriter, r *http.Request) {
	topo, err := h.topology(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	info, err := DescribeMeter(topo, r.PathValue("meter_id"))
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}
