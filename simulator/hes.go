package simulator

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/openmda/mda/meter"
)

// HESTimeLayout is the layout of times in the HES API and its files, the
// guidance's %Y-%m-%d %H:%M:%S.%f (UTC).
const HESTimeLayout = "2006-01-02 15:04:05.000000"

// File request statuses, as in the guidance (which also has "submitted",
// the Glue job's start, that this simulator goes through as "running").
const (
	HESQueued    = "queued"
	HESRunning   = "running"
	HESCompleted = "completed"
	HESSkipped   = "skipped" // the window holds no reads: no file
	HESFailed    = "failed"
)

// HESOptions configures NewHES. A nil *HESOptions, and every zero field,
// mean the defaults.
type HESOptions struct {
	// APIKey, if set, must be sent in an "x-api-key" header (as API
	// Gateway expects) or as "Authorization: Bearer KEY"; requests without
	// it get 403 {"message":"Forbidden"}. The guidance's API has no auth.
	APIKey string
	// Now is the head-end's clock: only lines whose arrival_time is at or
	// before Now() exist for the API. Default time.Now. Tests pass a clock
	// they advance.
	Now func() time.Time
	// MaxPageSize bounds GET /readings' page_size; default 10000.
	MaxPageSize int
	// PollsPerStep is how many status requests (GET /readings/file) a file
	// request takes to go one step: queued, running, then completed,
	// skipped or failed; default 1. The file is prepared at its last step.
	PollsPerStep int
	// FailEvery, if positive, answers every FailEvery-th request (counted
	// over all authorised requests) with 500, for tests of retries.
	FailEvery int
	// FailFileEvery, if positive, makes every FailFileEvery-th file
	// request end "failed".
	FailFileEvery int
}

// HES simulates the guidance's head-end system API (templates/simulator/
// headend.system.simulator.yaml) over a Generator's lines, selected by
// arrival time, so that late reads are exported when they arrive (the
// guidance selects on read time and never exports them). It is an
// http.Handler:
//
//	GET  /readings?start_date=&offset=&page_size=   reads that arrived at or after start_date
//	POST /readings/file {"start_date","end_date"}    request a file of the reads that arrived in [start, end)
//	GET  /readings/file?request_id=                 the request's status, location and record_count
//	GET  /files/{request_id}.csv.gz                 download a completed file (gzip CSV)
//
// Times are "2006-01-02 15:04:05.000000" in UTC (the guidance's layout;
// "2006-01-02 15:04:05", "2006-01-02 15:04" and RFC 3339 are accepted too).
//
// Pagination is by row number over the reads ordered by (arrival_time,
// time, device_id), with rows numbered from 1: a page holds the rows
// offset+1 .. offset+page_size, and results.last_offset is the offset of
// the next page. The order is an index built once by NewHES, so a page
// costs a binary search, not a rescan, and pages do not shift as the clock
// advances (new reads arrive at the end). An empty page is 200 with no
// records (the guidance answers 500).
//
// File requests are half-open, [start_date, end_date) on arrival time, so
// consecutive windows neither overlap nor leave gaps (the guidance's are
// inclusive at both ends and select on read time). A file holds the reads
// that had arrived when it was requested; its status moves one step per
// PollsPerStep status requests; a window without reads ends "skipped". The
// guidance serves files over SFTP (AWS Transfer Family, sftp_location
// relative to the SFTP home); this simulator serves them over HTTP at
// "location", and also reports the guidance's sftp_location for clients
// that fetch files from an SFTP directory (see package hes/sftpsource).
// Files are kept in memory for the life of the HES.
type HES struct {
	opts     HESOptions
	ids      []string
	loads    []float64
	lines    []hesLine // sorted by (arrival, time, device id)
	requests atomic.Int64
	mux      *http.ServeMux

	mu    sync.Mutex
	files int64
	jobs  map[string]*hesJob
}

// hesLine is one line of the generator, compactly.
type hesLine struct {
	t, arr int64 // ms
	m      int32
	v      [5]float64 // current, pf, kva, kw, voltage (V)
}

type hesJob struct {
	id         string
	start, end int64 // ms, [start, end)
	asOf       int64 // ms: reads that had arrived by then
	status     string
	polls      int
	count      int
	data       []byte
	reason     string
}

// NewHES returns a head-end simulator over g's lines (g.Lines, duplicates
// included, garbage lines excluded). It holds every line in memory, about
// 70 bytes each.
func NewHES(g *Generator, opts *HESOptions) *HES {
	h := &HES{jobs: map[string]*hesJob{}}
	if opts != nil {
		h.opts = *opts
	}
	if h.opts.Now == nil {
		h.opts.Now = time.Now
	}
	if h.opts.MaxPageSize <= 0 {
		h.opts.MaxPageSize = 10000
	}
	if h.opts.PollsPerStep <= 0 {
		h.opts.PollsPerStep = 1
	}
	h.ids = g.MeterIDs()
	h.loads = make([]float64, len(h.ids))
	for m := range g.hh {
		h.loads[m] = g.hh[m].load
	}
	// Rank meters by id, the last sort key.
	rank := make([]int32, len(h.ids))
	byID := make([]int32, len(h.ids))
	for i := range byID {
		byID[i] = int32(i)
	}
	slices.SortFunc(byID, func(a, b int32) int { return strings.Compare(h.ids[a], h.ids[b]) })
	for r, m := range byID {
		rank[m] = int32(r)
	}
	index := make(map[string]int32, len(h.ids))
	for m, id := range h.ids {
		index[id] = int32(m)
	}
	_ = g.Lines(func(l *meter.HESLine) error {
		h.lines = append(h.lines, hesLine{t: l.Time.UnixMilli(), arr: l.Arrival.UnixMilli(), m: index[l.DeviceID],
			v: [5]float64{l.Current, l.PF, l.KVA, l.KW, l.Voltage}})
		return nil
	})
	slices.SortFunc(h.lines, func(a, b hesLine) int {
		if c := cmp.Compare(a.arr, b.arr); c != 0 {
			return c
		}
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(rank[a.m], rank[b.m])
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readings", h.getReadings)
	mux.HandleFunc("POST /readings/file", h.postFile)
	mux.HandleFunc("GET /readings/file", h.getFile)
	mux.HandleFunc("GET /files/{name}", h.download)
	h.mux = mux
	return h
}

// Lines returns the number of lines the HES serves in all.
func (h *HES) Lines() int { return len(h.lines) }

// ServeHTTP implements http.Handler.
func (h *HES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if k := h.opts.APIKey; k != "" {
		got := r.Header.Get("x-api-key")
		if got == "" {
			got, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(k)) != 1 {
			writeJSON(w, http.StatusForbidden, map[string]string{"message": "Forbidden"})
			return
		}
	}
	if n := h.requests.Add(1); h.opts.FailEvery > 0 && n%int64(h.opts.FailEvery) == 0 {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal server error (injected)"})
		return
	}
	h.mux.ServeHTTP(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func badRequest(w http.ResponseWriter, format string, args ...any) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"message": fmt.Sprintf(format, args...)})
}

// ParseHESTime parses a time of the HES API, in UTC.
func ParseHESTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04", time.RFC3339Nano} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q: want %q", s, HESTimeLayout)
}

// search returns the index of the first line that arrived at or after ms.
func (h *HES) search(ms int64) int {
	return sort.Search(len(h.lines), func(i int) bool { return h.lines[i].arr >= ms })
}

// visible is the end of the lines that have arrived by now.
func (h *HES) visible(now int64) int { return h.search(now + 1) }

func (h *HES) line(l *hesLine) meter.HESLine {
	return meter.HESLine{Time: time.UnixMilli(l.t).UTC(), Arrival: time.UnixMilli(l.arr).UTC(), DeviceID: h.ids[l.m],
		MeasureName: MeasureName, Load: h.loads[l.m], Current: l.v[0], PF: l.v[1], KVA: l.v[2], KW: l.v[3], Voltage: l.v[4]}
}

// HESRecord is one record of GET /readings. Numbers are as in the CSV
// (vltg in kV).
type HESRecord struct {
	Offset      int64       `json:"offset"`
	Time        string      `json:"time"`
	ArrivalTime string      `json:"arrival_time"`
	DeviceID    string      `json:"device_id"`
	MeasureName string      `json:"measure_name"`
	Load        json.Number `json:"load"`
	Current     json.Number `json:"crrnt"`
	PF          json.Number `json:"pf"`
	KVA         json.Number `json:"kva"`
	KW          json.Number `json:"kw"`
	Voltage     json.Number `json:"vltg"`
}

// HESReadings is the body of GET /readings.
type HESReadings struct {
	FilterParams struct {
		StartDate string `json:"start_date"`
		Offset    int64  `json:"offset"`
		PageSize  int    `json:"page_size"`
	} `json:"filter_params"`
	Results struct {
		RecordsTotal int64  `json:"records_total"`
		LastDate     string `json:"last_date,omitempty"`
		LastOffset   int64  `json:"last_offset"`
	} `json:"results"`
	Records []HESRecord `json:"records"`
}

func (h *HES) getReadings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, err := ParseHESTime(q.Get("start_date"))
	if err != nil {
		badRequest(w, "start_date: %v", err)
		return
	}
	var offset int64
	if s := q.Get("offset"); s != "" {
		if offset, err = strconv.ParseInt(s, 10, 64); err != nil || offset < 0 {
			badRequest(w, "offset %q: want a non-negative integer", s)
			return
		}
	}
	size := 10
	if s := q.Get("page_size"); s != "" {
		if size, err = strconv.Atoi(s); err != nil || size < 1 || size > h.opts.MaxPageSize {
			badRequest(w, "page_size %q: want 1..%d", s, h.opts.MaxPageSize)
			return
		}
	}
	lo, hi := h.search(start.UnixMilli()), h.visible(h.opts.Now().UnixMilli())
	var out HESReadings
	out.FilterParams.StartDate = start.Format(HESTimeLayout)
	out.FilterParams.Offset = offset
	out.FilterParams.PageSize = size
	out.Results.RecordsTotal = int64(max(hi-lo, 0))
	out.Results.LastOffset = offset
	out.Records = []HESRecord{}
	var buf []byte
	for i := int64(lo) + offset; i < int64(hi) && i < int64(lo)+offset+int64(size); i++ {
		l := h.line(&h.lines[i])
		buf = meter.AppendHESCSV(buf[:0], &l)
		f := strings.Split(strings.TrimSuffix(string(buf), "\n"), ",")
		row := i - int64(lo) + 1
		out.Records = append(out.Records, HESRecord{Offset: row, Time: f[0], ArrivalTime: f[1], DeviceID: f[2], MeasureName: f[3],
			Load: json.Number(f[4]), Current: json.Number(f[5]), PF: json.Number(f[6]), KVA: json.Number(f[7]), KW: json.Number(f[8]), Voltage: json.Number(f[9])})
		out.Results.LastDate = f[1]
		out.Results.LastOffset = row
	}
	writeJSON(w, http.StatusOK, &out)
}

// HESFileRequest is the body of POST /readings/file.
type HESFileRequest struct {
	StartDate string `json:"start_date"`
	EndDate   string `json:"end_date"`
}

// HESFileStatus is the body of the answers about a file request.
type HESFileStatus struct {
	RequestID string `json:"request_id"`
	Status    string `json:"status"`
	// Location is the file's path on this server, once completed.
	Location string `json:"location,omitempty"`
	// SFTPLocation is where the guidance would put it, relative to the
	// SFTP home: "<request_id>/part-00000.csv.gz".
	SFTPLocation string `json:"sftp_location,omitempty"`
	// RecordCount is the number of lines in the file (completed) or 0
	// (skipped).
	RecordCount *int   `json:"record_count,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

func (h *HES) postFile(w http.ResponseWriter, r *http.Request) {
	var req HESFileRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		badRequest(w, "body: %v", err)
		return
	}
	start, err := ParseHESTime(req.StartDate)
	if err != nil {
		badRequest(w, "start_date: %v", err)
		return
	}
	end, err := ParseHESTime(req.EndDate)
	if err != nil {
		badRequest(w, "end_date: %v", err)
		return
	}
	if !end.After(start) {
		badRequest(w, "end_date %s is not after start_date %s", req.EndDate, req.StartDate)
		return
	}
	var id [16]byte
	rand.Read(id[:])
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	hx := hex.EncodeToString(id[:])
	j := &hesJob{id: hx[:8] + "-" + hx[8:12] + "-" + hx[12:16] + "-" + hx[16:20] + "-" + hx[20:],
		start: start.UnixMilli(), end: end.UnixMilli(), asOf: h.opts.Now().UnixMilli(), status: HESQueued}
	h.mu.Lock()
	h.jobs[j.id] = j
	h.mu.Unlock()
	writeJSON(w, http.StatusOK, HESFileStatus{RequestID: j.id, Status: j.status})
}

func (h *HES) getFile(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("request_id")
	h.mu.Lock()
	defer h.mu.Unlock()
	j, ok := h.jobs[id]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": fmt.Sprintf("request_id %q not found", id)})
		return
	}
	if j.status == HESQueued || j.status == HESRunning {
		j.polls++
		if j.polls >= h.opts.PollsPerStep {
			j.polls = 0
			if j.status == HESQueued {
				j.status = HESRunning
			} else {
				h.prepare(j)
			}
		}
	}
	st := HESFileStatus{RequestID: j.id, Status: j.status, Reason: j.reason}
	switch j.status {
	case HESCompleted:
		st.Location = "/files/" + j.id + ".csv.gz"
		st.SFTPLocation = j.id + "/part-00000.csv.gz"
		st.RecordCount = &j.count
	case HESSkipped:
		st.RecordCount = &j.count
	}
	writeJSON(w, http.StatusOK, st)
}

// prepare builds j's file; h.mu is held.
func (h *HES) prepare(j *hesJob) {
	h.files++
	if n := h.opts.FailFileEvery; n > 0 && h.files%int64(n) == 0 {
		j.status, j.reason = HESFailed, "export failed (injected)"
		return
	}
	lo, hi := h.search(j.start), min(h.search(j.end), h.visible(j.asOf))
	if hi <= lo {
		j.status = HESSkipped
		return
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	line := make([]byte, 0, 256)
	line = append(append(line, meter.HESCSVHeader...), '\n')
	for i := lo; i < hi; i++ {
		l := h.line(&h.lines[i])
		line = meter.AppendHESCSV(line, &l)
		if len(line) > 64<<10 {
			zw.Write(line)
			line = line[:0]
		}
	}
	zw.Write(line)
	zw.Close()
	j.data, j.count, j.status = buf.Bytes(), hi-lo, HESCompleted
}

func (h *HES) download(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("name"), ".csv.gz")
	h.mu.Lock()
	j := h.jobs[id]
	h.mu.Unlock()
	if !ok || j == nil || j.status != HESCompleted {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "no such file"})
		return
	}
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Length", strconv.Itoa(len(j.data)))
	w.Write(j.data)
}
