package grid

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query"
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
	// MaxWindow bounds the from-to span of /outage; default 32 days, so
	// that any calendar month of days fits in any zone (a 31-day month
	// with a DST change is 745 hours).
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
	// Location is the zone of days given as YYYY-MM-DD or yyyyMMdd (a day
	// is from its local midnight to the next); nil means UTC.
	Location *time.Location
	// Logger receives the failures of the lake (500s), whose detail the
	// client does not get; nil discards them.
	Logger *slog.Logger
}

// NewHandler serves the grid analyses of the lake:
//
//	GET /outage?from=&to=              outages in [from, to) (default: the last 24 hours)
//	GET /voltvar/{transformer_id}?at=  CVR estimate for the hour ending at at (default: the lake's latest voltage hour)
//	GET /topology/{table}              a topology table, with the guidance's JSON keys
//	GET /topology/meter/{meter_id}     a meter, its location and its chain up to the substation
//
// Times are RFC 3339 instants, YYYY-MM-DD days or the guidance's
// yyyyMMdd (or yyyyMMddHHmmss), days in HandlerOptions.Location; a day as
// to means the end of that day. /outage also takes the guidance's names,
// start_date_time and end_date_time. Without at, /voltvar averages the
// hour that ends where the lake's latest hour of voltage reads starts
// (query.LatestHour): the latest hour whose reads are all in, as the web
// page's volt-var panel does.
//
// # Responses
//
// The answers are JSON of their own shapes, not package api's {"data":
// [...]} envelope:
//
//	/outage                  {"from": TIME, "to": TIME, "outages": [OutageEvent, ...]}
//	/voltvar/{id}            a VoltVarResult object
//	/topology/{table}        a JSON array of the table's rows, with the guidance's keys (locationId, ...)
//	/topology/meter/{id}     a MeterInfo object: {"meter", "location", "service_transformer", "distribution_transformer", "substation"}
//
// The routes that answer rows, /outage and /topology/{table}, also take
// format=csv: the same rows as CSV with a header line (text/csv); an
// outage's meter_ids are separated by spaces, and its latitude and
// longitude are empty where unknown. Every route takes format=json, the
// default; other formats get 400.
//
// Invalid, unknown or repeated parameters get 400, unknown ids and
// missing data 404, a request out of time 503, each with {"error":
// "..."}; only failures of the lake itself give 500. Errors about times
// quote the parameters as given, and show other times in RFC 3339. Mount
// it with http.StripPrefix if it does not serve at the root.
func NewHandler(lake *blob.Bucket, opts *HandlerOptions) http.Handler {
	h := &handler{lake: lake}
	if opts != nil {
		h.opts = *opts
	}
	if h.opts.TopologyTTL <= 0 {
		h.opts.TopologyTTL = 5 * time.Minute
	}
	if h.opts.MaxWindow <= 0 {
		h.opts.MaxWindow = 32 * 24 * time.Hour
	}
	if h.opts.Now == nil {
		h.opts.Now = time.Now
	}
	if h.opts.OutageTTL == 0 {
		h.opts.OutageTTL = time.Minute
	}
	if h.opts.Location == nil {
		h.opts.Location = time.UTC
	}
	if h.opts.Logger == nil {
		h.opts.Logger = slog.New(slog.DiscardHandler)
	}
	h.outages = map[[2]int64]*outageAnswer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /outage", h.outage)
	mux.HandleFunc("GET /voltvar/{transformer_id}", h.voltvar)
	mux.HandleFunc("GET /topology/{table}", h.table)
	mux.HandleFunc("GET /topology/meter/{meter_id}", h.meter)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, httpError{fmt.Sprintf("no route %s %s: want /outage, /voltvar/{transformer_id}, /topology/{table} (%s) or /topology/meter/{meter_id}",
			r.Method, r.URL.Path, strings.Join(topology.TableNames, ", "))})
	})
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

// fail maps an error to its status: the caller's mistakes are 4xx, a
// request out of time 503; a failure of the lake is logged, and the client
// gets a 500 without its detail.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	msg := err.Error()
	switch {
	case errors.Is(err, ErrBadRequest):
		code = http.StatusBadRequest
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrNoReads), errors.Is(err, topology.ErrNoTopology):
		code = http.StatusNotFound
	case errors.Is(err, context.DeadlineExceeded):
		code, msg = http.StatusServiceUnavailable, "grid: the request ran out of time"
	case errors.Is(err, context.Canceled):
		code = 499 // client closed the request
	default:
		h.opts.Logger.LogAttrs(r.Context(), slog.LevelError, "grid: lake error", slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		msg = "grid: internal error (logged)"
	}
	writeJSON(w, code, httpError{msg})
}

// Years that times may name: a lake's times fit in them, and the day after
// the last one still encodes as JSON.
const minYear, maxYear = 1000, 9998

// ParseTime parses an API or CLI time: an RFC 3339 instant, a day
// YYYY-MM-DD or the guidance's yyyyMMdd (or yyyyMMddHHmmss), in UTC. A day
// as an upper bound means the end of the day, so that a range of days
// includes its last day.
func ParseTime(s string, upper bool) (time.Time, error) { return ParseTimeIn(s, upper, time.UTC) }

// ParseTimeIn is ParseTime with days and times without an offset in loc:
// a day starts at its local midnight (or at the end of a clock change that
// skips it).
func ParseTimeIn(s string, upper bool, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	year := func(y int) error {
		if y < minYear || y > maxYear {
			return fmt.Errorf("%w: time %q: want a year from %d to %d", ErrBadRequest, s, minYear, maxYear)
		}
		return nil
	}
	for _, layout := range []string{"2006-01-02", "20060102"} {
		if d, err := time.Parse(layout, s); err == nil {
			if err := year(d.Year()); err != nil {
				return time.Time{}, err
			}
			if upper {
				d = d.AddDate(0, 0, 1)
			}
			return meter.StartOfDay(d.Year(), d.Month(), d.Day(), loc).UTC(), nil
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	for _, layout := range []string{"20060102150405", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if err == nil {
			break
		}
		t, err = time.ParseInLocation(layout, s, loc)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: time %q: want RFC 3339, YYYY-MM-DD or yyyyMMdd", ErrBadRequest, s)
	}
	if err := year(t.In(loc).Year()); err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// CheckRange returns nil if to is after from, and else an error wrapping
// ErrBadRequest that names the bounds as the user gave them: fromName and
// toName are the names of the parameters or flags, fromText and toText
// their text as typed ("" for a bound left to its default, which is shown
// in RFC 3339), and from and to the times ParseTimeIn made of them (to as
// an upper bound). A day as to includes that day, so that to 2024-03-01
// is before from 2024-03-02:
//
//	grid: bad request: to 2024-03-01 is before from 2024-03-02
func CheckRange(fromName, fromText string, from time.Time, toName, toText string, to time.Time) error {
	if to.After(from) {
		return nil
	}
	f, t := showBound(fromText, from), showBound(toText, to)
	if to.Before(from) || isDay(toText) {
		return fmt.Errorf("%w: %s %s is before %s %s", ErrBadRequest, toName, t, fromName, f)
	}
	return fmt.Errorf("%w: %s %s is not after %s %s: the range is empty", ErrBadRequest, toName, t, fromName, f)
}

// showBound is a bound of a range for a message: its text as given, or its
// time in RFC 3339 if it took its default.
func showBound(text string, t time.Time) string {
	if text = strings.TrimSpace(text); text != "" {
		return text
	}
	return t.UTC().Format(time.RFC3339) + " (default)"
}

// isDay reports whether s is a day, YYYY-MM-DD or yyyyMMdd.
func isDay(s string) bool {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "20060102"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// span formats a duration for a message: in days if it is whole days.
func span(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		if n := d / (24 * time.Hour); n != 1 {
			return fmt.Sprintf("%d days", n)
		}
		return "1 day"
	}
	return d.String()
}

// checkParams rejects parameters other than allowed and format (which the
// routes check: format), and repeated ones.
func checkParams(q url.Values, allowed ...string) error {
	for k, v := range q {
		if len(v) > 1 {
			return fmt.Errorf("%w: parameter %q given %d times", ErrBadRequest, k, len(v))
		}
		if k == "format" {
			continue
		}
		if !slices.Contains(allowed, k) {
			if len(allowed) == 0 {
				return fmt.Errorf("%w: unknown parameter %q: this route takes only format", ErrBadRequest, k)
			}
			return fmt.Errorf("%w: unknown parameter %q: want %s", ErrBadRequest, k, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// Formats of the answers.
const (
	formatJSON = "json"
	formatCSV  = "csv"
)

// format returns the format asked for with format=, json if none: csv
// only on the routes that answer rows.
func format(q url.Values, rows bool) (string, error) {
	switch f := q.Get("format"); {
	case f == "" || f == formatJSON:
		return formatJSON, nil
	case f == formatCSV && rows:
		return formatCSV, nil
	case rows:
		return "", fmt.Errorf("%w: format %q: want json or csv", ErrBadRequest, f)
	case f == formatCSV || f == "arrow":
		return "", fmt.Errorf("%w: format %q: this route answers one JSON object: want format=json", ErrBadRequest, f)
	default:
		return "", fmt.Errorf("%w: format %q: want json", ErrBadRequest, f)
	}
}

// writeCSV answers with a header line and rows, as package api does.
func writeCSV(w http.ResponseWriter, header []string, rows [][]string) {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write(header)
	cw.WriteAll(rows)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// outageCSV is the CSV of /outage: the fields of OutageEvent, with its
// meters counted and their ids separated by spaces (meter ids hold none).
func outageCSV(events []OutageEvent) (header []string, rows [][]string) {
	header = []string{"level", "id", "start", "end", "ongoing", "started_before", "kind", "meters", "meter_ids", "latitude", "longitude"}
	coord := func(p *float64) string {
		if p == nil || math.IsNaN(*p) || math.IsInf(*p, 0) {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	for _, e := range events {
		rows = append(rows, []string{string(e.Level), e.ID, e.Start.UTC().Format(time.RFC3339), e.End.UTC().Format(time.RFC3339),
			strconv.FormatBool(e.Ongoing), strconv.FormatBool(e.StartedBefore), e.Kind, strconv.Itoa(len(e.MeterIDs)),
			strings.Join(e.MeterIDs, " "), coord(e.Latitude), coord(e.Longitude)})
	}
	return header, rows
}

// tableCSV is the CSV of a topology table, a slice of flat structs: a
// column per field, named by its JSON key; NaN numbers are empty.
func tableCSV(table any) (header []string, rows [][]string) {
	v := reflect.ValueOf(table)
	typ := v.Type().Elem()
	var fields []int
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		header = append(header, cmp.Or(name, f.Name))
		fields = append(fields, i)
	}
	for i := range v.Len() {
		row := make([]string, len(fields))
		for j, k := range fields {
			switch f := v.Index(i).Field(k); f.Kind() {
			case reflect.String:
				row[j] = f.String()
			case reflect.Float32, reflect.Float64:
				if x := f.Float(); !math.IsNaN(x) && !math.IsInf(x, 0) {
					row[j] = strconv.FormatFloat(x, 'f', -1, 64)
				}
			default:
				row[j] = fmt.Sprint(f.Interface())
			}
		}
		rows = append(rows, row)
	}
	return header, rows
}

func (h *handler) outage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkParams(q, "from", "to", "start_date_time", "end_date_time"); err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := format(q, true)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The guidance's names (its Quickstart's /outage) are the same bounds;
	// messages name the bounds as given.
	names := map[string]string{"from": "from", "to": "to"}
	for alias, name := range map[string]string{"start_date_time": "from", "end_date_time": "to"} {
		if v := q.Get(alias); v != "" {
			if q.Get(name) != "" {
				h.fail(w, r, fmt.Errorf("%w: %s and %s name the same bound", ErrBadRequest, alias, name))
				return
			}
			q.Set(name, v)
			names[name] = alias
		}
	}
	to := h.opts.Now().UTC().Truncate(time.Minute)
	from := to.Add(-24 * time.Hour)
	if s := q.Get("to"); s != "" {
		if to, err = ParseTimeIn(s, true, h.opts.Location); err != nil {
			h.fail(w, r, err)
			return
		}
		if q.Get("from") == "" {
			from = to.Add(-24 * time.Hour)
		}
	}
	if s := q.Get("from"); s != "" {
		if from, err = ParseTimeIn(s, false, h.opts.Location); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if err := CheckRange(names["from"], q.Get("from"), from, names["to"], q.Get("to"), to); err != nil {
		h.fail(w, r, err)
		return
	}
	if to.Sub(from) > h.opts.MaxWindow {
		h.fail(w, r, fmt.Errorf("%w: %s %s, %s %s: the range is longer than the %s allowed", ErrBadRequest,
			names["from"], showBound(q.Get("from"), from), names["to"], showBound(q.Get("to"), to), span(h.opts.MaxWindow)))
		return
	}
	topo, err := h.topology(r.Context())
	if err != nil && !errors.Is(err, topology.ErrNoTopology) {
		h.fail(w, r, err)
		return
	}
	events, err := h.detectOutages(r.Context(), topo, from, to)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if events == nil {
		events = []OutageEvent{}
	}
	if f == formatCSV {
		header, rows := outageCSV(events)
		writeCSV(w, header, rows)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		From    time.Time     `json:"from"`
		To      time.Time     `json:"to"`
		Outages []OutageEvent `json:"outages"`
	}{from, to, events})
}

func (h *handler) voltvar(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("transformer_id")
	q := r.URL.Query()
	if err := checkParams(q, "at"); err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := format(q, false); err != nil {
		h.fail(w, r, err)
		return
	}
	var at time.Time
	if s := q.Get("at"); s != "" {
		var err error
		if at, err = ParseTimeIn(s, false, h.opts.Location); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	topo, err := h.topology(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	level := topology.LevelDistributionTransformer
	if !topo.Has(level, id) && topo.Has(topology.LevelServiceTransformer, id) {
		level = topology.LevelServiceTransformer
	}
	if at.IsZero() && topo.Has(level, id) {
		// The hour that ends where the latest hour of voltage reads
		// starts: the latest whose reads are all in.
		latest, ok, err := query.LatestHour(r.Context(), h.lake, meter.TypeVoltage)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !ok {
			h.fail(w, r, fmt.Errorf("%w: the lake has no voltage reads", ErrNoReads))
			return
		}
		at = latest
	}
	res, err := VoltVar(r.Context(), h.lake, topo, level, id, at, h.opts.VoltVar)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *handler) table(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkParams(q); err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := format(q, true)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	name := r.PathValue("table")
	topo, err := h.topology(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rows, ok := topo.Rows(name)
	if !ok {
		h.fail(w, r, fmt.Errorf("%w: table %q (want one of %s)", ErrNotFound, name, strings.Join(topology.TableNames, ", ")))
		return
	}
	if f == formatCSV {
		header, rows := tableCSV(rows)
		writeCSV(w, header, rows)
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
	if err := checkParams(r.URL.Query()); err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := format(r.URL.Query(), false); err != nil {
		h.fail(w, r, err)
		return
	}
	topo, err := h.topology(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	info, err := DescribeMeter(topo, r.PathValue("meter_id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}
