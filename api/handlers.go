package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query"
	"github.com/openmda/mda/tables"
	"github.com/openmda/mda/vee"
)

// Consumption is the body of /consumption/{meter_id}.
type Consumption struct {
	MeterID string `json:"meter_id"`
	// From and To bound the range, [From, To): To is the day after
	// reading_date_to.
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Period string    `json:"period"`
	Unit   string    `json:"unit"`
	// Direction is "export" for the energy the meter sent to the grid
	// (direction=export); empty for the energy it drew.
	Direction string   `json:"direction,omitempty"`
	Data      []Energy `json:"data"`
}

// Energy is one period of Consumption.
type Energy struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	KWh   Float     `json:"kwh"`
	Reads int       `json:"reads"`
	// IntervalSeconds is the interval each kW read of the period stood
	// for: 0 for a period read from kWh, and 0 when its reads stood for
	// different intervals (the day a meter's interval changed).
	IntervalSeconds int64 `json:"interval_seconds"`
	// EstimatedReads counts the missing reads estimated into kwh
	// (estimate=true; package vee): kW reads, and the intervals of lost
	// kWh interval reads.
	EstimatedReads int `json:"estimated_reads,omitempty"`
}

// VoltageStats is the body of /voltage/{meter_id}.
type VoltageStats struct {
	MeterID string    `json:"meter_id"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Period  string    `json:"period"`
	Unit    string    `json:"unit"`
	Data    []Voltage `json:"data"`
}

// Voltage is one period of VoltageStats.
type Voltage struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Min   Float     `json:"min"`
	Avg   Float     `json:"avg"`
	Max   Float     `json:"max"`
	Reads int       `json:"reads"`
}

// ForecastRun is the body of /forecast/{meter_id}.
type ForecastRun struct {
	MeterID   string `json:"meter_id"`
	ModelName string `json:"model_name"`
	// ModelVersion identifies the fitted model.
	ModelVersion string `json:"model_version"`
	// ForecastStart is when the run was made.
	ForecastStart time.Time `json:"forecast_start"`
	Unit          string    `json:"unit"`
	Data          []Step    `json:"data"`
}

// Step is one step of a forecast: the energy of the interval that ends at
// Time, as the 10%, 50% (median) and 90% quantiles.
type Step struct {
	Time time.Time `json:"time"`
	P10  Float     `json:"p10"`
	P50  Float     `json:"p50"`
	P90  Float     `json:"p90"`
}

// Anomalies is the body of /anomaly/{meter_id}.
type Anomalies struct {
	MeterID string    `json:"meter_id"`
	Year    int       `json:"year"`
	Kind    string    `json:"kind"`
	Unit    string    `json:"unit"`
	Data    []Anomaly `json:"data"`
}

// Anomaly is one scored day or one anomaly event.
type Anomaly struct {
	// Day is the scored day, or the day an event starts in (in
	// Options.Location), as midnight UTC of its date.
	Day time.Time `json:"day"`
	// Kind is "spike", "dip" or "none" for a scored day; "spike", "dip",
	// "flat", "zero" or "drop" for an event.
	Kind string `json:"kind"`
	// Start and End bound an event, [Start, End), and ResolutionSeconds
	// is what was scored: 86400 a day, 3600 an hour, the read interval of
	// a flat or zero run. Scored days have none of them.
	Start             time.Time `json:"start,omitzero"`
	End               time.Time `json:"end,omitzero"`
	ResolutionSeconds int64     `json:"resolution_seconds,omitzero"`
	// Consumption is the energy read (kWh) over the day or the event;
	// Expected what the meter's history predicts; Lower and Upper its
	// interval (null for flat, zero and drop events).
	Consumption Float  `json:"consumption"`
	Expected    Float  `json:"expected"`
	Lower       Float  `json:"lower"`
	Upper       Float  `json:"upper"`
	Importance  Float  `json:"importance"`
	Model       string `json:"model"`
}

// Reads is the body of /reads/{meter_id}: the meter's reads as the lake
// holds them, after de-duplication.
type Reads struct {
	MeterID string `json:"meter_id"`
	// From and To bound the range: reads whose times lie in (From, To],
	// the reads whose intervals make up the days asked for.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// ReadingTypes are the types asked for; none means all.
	ReadingTypes []string `json:"reading_types,omitempty"`
	Data         []Read   `json:"data"`
}

// Read is one read of Reads, in the guidance's column names.
type Read struct {
	// Time is the read's time: an interval's end, or an instant.
	Time  time.Time `json:"reading_date_time"`
	Type  string    `json:"reading_type"`
	Value Float     `json:"reading_value"`
	// Unit is the reading type's unit (kW, kWh, V, ...).
	Unit   string `json:"unit"`
	Source string `json:"reading_source"`
	// Arrival is when the read reached the source system.
	Arrival time.Time `json:"arrival_time,omitzero"`
	Quality string    `json:"quality,omitempty"`
}

// Meters is the body of /meters.
type Meters struct {
	// Hour is the partition hour the list comes from.
	Hour  time.Time `json:"hour"`
	Count int       `json:"count"`
	Data  []string  `json:"data"`
}

// notFound answers a request whose scan found nothing: 404 unless the
// meter is known, in which case the empty table is served.
func (h *handler) emptyOr404(w http.ResponseWriter, r *http.Request, id, what string, t *table) {
	known, err := h.lake.KnownMeter(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !known {
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown meter %q: no %s and not among the meters reporting in the lake's latest hour", id, what))
		return
	}
	h.write(w, r, t)
}

// badRequest answers a parameter error.
func badRequest(w http.ResponseWriter, err error) {
	var pe *paramError
	if errors.As(err, &pe) {
		writeError(w, http.StatusBadRequest, pe.msg)
		return
	}
	writeError(w, http.StatusBadRequest, err.Error())
}

// rangeParams parses a meter's date range request.
func (h *handler) rangeParams(r *http.Request, extra []string, periods ...query.Period) (id string, from, to time.Time, p query.Period, err error) {
	q := r.URL.Query()
	if err = checkParams(q, append([]string{"reading_date_from", "reading_date_to", "period"}, extra...)...); err != nil {
		return
	}
	if id, err = meterID(r); err != nil {
		return
	}
	if from, to, err = dateRange(q, h.opts.Location, h.opts.MaxDays); err != nil {
		return
	}
	p, err = period(q, periods...)
	return
}

func (h *handler) consumption(w http.ResponseWriter, r *http.Request) {
	id, from, to, p, err := h.rangeParams(r, []string{"estimate", "direction"}, query.Hour, query.Day, query.Week, query.Month)
	if err != nil {
		badRequest(w, err)
		return
	}
	f := query.Filter{MeterIDs: []string{id}, From: from, To: to}
	direction := r.URL.Query().Get("direction")
	switch direction {
	case "", "import":
		direction = ""
	case "export":
		f.Export = true
	default:
		badRequest(w, badParam("direction %q: want import or export", direction))
		return
	}
	switch e := r.URL.Query().Get("estimate"); e {
	case "", "false":
	case "true":
		if f.Export {
			badRequest(w, badParam("estimate=true: estimates are of imported energy, not of exported energy"))
			return
		}
		f.Estimate = &vee.Options{}
	default:
		badRequest(w, badParam("estimate %q: want true or false", e))
		return
	}
	rows, _, err := h.lake.Energy(r.Context(), f, p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body := Consumption{MeterID: id, From: from, To: to, Period: p.String(), Unit: "kWh", Direction: direction, Data: make([]Energy, len(rows))}
	for i, e := range rows {
		body.Data[i] = Energy{Start: e.Start, End: e.End, KWh: Float(e.KWh), Reads: e.Reads, IntervalSeconds: int64(e.Interval.Seconds()),
			EstimatedReads: e.Estimated}
	}
	t := &table{
		json:   body,
		header: []string{"meter_id", "start", "end", "kwh", "reads", "interval_seconds"},
		rows: func(yield func([]string) bool) {
			for _, e := range rows {
				row := []string{e.MeterID, fmtTime(e.Start), fmtTime(e.End), fmtFloat(e.KWh), strconv.Itoa(e.Reads), strconv.FormatInt(int64(e.Interval.Seconds()), 10)}
				if f.Estimate != nil {
					row = append(row, strconv.Itoa(e.Estimated))
				}
				if !yield(row) {
					return
				}
			}
		},
		arrow: func(mem memory.Allocator) arrow.RecordBatch { return query.EnergyRecord(mem, rows) },
	}
	if f.Estimate != nil { // the estimates' column only when asked for
		t.header = append(t.header, "estimated_reads")
		t.arrow = func(mem memory.Allocator) arrow.RecordBatch { return query.EnergyEstimatedRecord(mem, rows) }
	}
	if len(rows) == 0 {
		what := "kW or kWh reads in the range"
		if f.Export {
			what = "kwh_export reads in the range"
		}
		h.emptyOr404(w, r, id, what, t)
		return
	}
	h.write(w, r, t)
}

func (h *handler) voltage(w http.ResponseWriter, r *http.Request) {
	id, from, to, p, err := h.rangeParams(r, nil, query.Hour, query.Day)
	if err != nil {
		badRequest(w, err)
		return
	}
	rows, _, err := h.lake.Voltage(r.Context(), query.Filter{MeterIDs: []string{id}, From: from, To: to}, p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body := VoltageStats{MeterID: id, From: from, To: to, Period: p.String(), Unit: "V", Data: make([]Voltage, len(rows))}
	for i, v := range rows {
		body.Data[i] = Voltage{Start: v.Start, End: v.End, Min: Float(v.Min), Avg: Float(v.Avg), Max: Float(v.Max), Reads: v.Reads}
	}
	t := &table{
		json:   body,
		header: []string{"meter_id", "start", "end", "min", "avg", "max", "reads"},
		rows: func(yield func([]string) bool) {
			for _, v := range rows {
				if !yield([]string{v.MeterID, fmtTime(v.Start), fmtTime(v.End), fmtFloat(v.Min), fmtFloat(v.Avg), fmtFloat(v.Max), strconv.Itoa(v.Reads)}) {
					return
				}
			}
		},
		arrow: func(mem memory.Allocator) arrow.RecordBatch { return query.VoltageRecord(mem, rows) },
	}
	if len(rows) == 0 {
		h.emptyOr404(w, r, id, "voltage reads in the range", t)
		return
	}
	h.write(w, r, t)
}

// readingTypes parses reading_type: a comma-separated list of registered
// types, every type if absent.
func readingTypes(q url.Values) ([]meter.Type, error) {
	s := q.Get("reading_type")
	if s == "" {
		return nil, nil
	}
	var out []meter.Type
	for name := range strings.SplitSeq(s, ",") {
		t := meter.Type(strings.TrimSpace(name))
		if _, ok := meter.LookupType(t); !ok {
			var known []string
			for _, info := range meter.Types() {
				known = append(known, string(info.Type))
			}
			return nil, badParam("reading_type %q: want a comma-separated list of %s", name, strings.Join(known, ", "))
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (h *handler) reads(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkParams(q, "reading_date_from", "reading_date_to", "reading_type"); err != nil {
		badRequest(w, err)
		return
	}
	id, err := meterID(r)
	if err != nil {
		badRequest(w, err)
		return
	}
	from, to, err := dateRange(q, h.opts.Location, h.opts.MaxDays)
	if err != nil {
		badRequest(w, err)
		return
	}
	types, err := readingTypes(q)
	if err != nil {
		badRequest(w, err)
		return
	}
	// The reads of the days' intervals, (from, to], as /consumption
	// counts them: a read at midnight closes the day before.
	rows, _, err := h.lake.Reads(r.Context(), query.Filter{MeterIDs: []string{id}, Types: types,
		From: from.Add(time.Millisecond), To: to.Add(time.Millisecond)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body := Reads{MeterID: id, From: from, To: to, Data: make([]Read, len(rows))}
	for _, t := range types {
		body.ReadingTypes = append(body.ReadingTypes, string(t))
	}
	for i, rd := range rows {
		info, _ := meter.LookupType(rd.Type)
		body.Data[i] = Read{Time: rd.Time, Type: string(rd.Type), Value: Float(rd.Value), Unit: info.Unit,
			Source: rd.Source, Arrival: rd.Arrival, Quality: rd.Quality.String()}
	}
	t := &table{
		json:   body,
		header: []string{"meter_id", "reading_type", "reading_date_time", "reading_value", "reading_source", "arrival_time", "quality"},
		rows: func(yield func([]string) bool) {
			for _, rd := range rows {
				if !yield([]string{rd.MeterID, string(rd.Type), fmtTimeMs(rd.Time), fmtFloat(rd.Value), rd.Source, fmtTimeMs(rd.Arrival), rd.Quality.String()}) {
					return
				}
			}
		},
		arrow: func(mem memory.Allocator) arrow.RecordBatch { return query.ReadingRecord(mem, rows) },
	}
	if len(rows) == 0 {
		h.emptyOr404(w, r, id, "reads in the range", t)
		return
	}
	h.write(w, r, t)
}

func (h *handler) forecast(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkParams(q, "forecast_start", "model"); err != nil {
		badRequest(w, err)
		return
	}
	id, err := meterID(r)
	if err != nil {
		badRequest(w, err)
		return
	}
	var start time.Time
	if s := q.Get("forecast_start"); s != "" {
		if len(s) != len(tables.ForecastStartLayout) {
			badRequest(w, badParam("forecast_start %q: want yyyyMMddHHmmss", s))
			return
		}
		if start, err = time.ParseInLocation(tables.ForecastStartLayout, s, h.opts.Location); err != nil || start.Year() < minYear || start.Year() > maxYear {
			badRequest(w, badParam("forecast_start %q: not a time yyyyMMddHHmmss of the years %d to %d", s, minYear, maxYear))
			return
		}
	}
	m, err := model(q)
	if err != nil {
		badRequest(w, err)
		return
	}
	run, ok, err := h.lake.LatestRun(r.Context(), m, start)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !ok {
		msg := "no forecast run in the lake"
		if !start.IsZero() {
			msg = fmt.Sprintf("no forecast run at or before %s", start.UTC().Format(time.RFC3339))
		}
		if m != "" {
			msg += " of model " + strconv.Quote(m)
		}
		writeError(w, http.StatusNotFound, msg)
		return
	}
	f := query.ForecastFilter{Run: run, MeterIDs: []string{id}}
	if !start.IsZero() {
		f.From = start.Add(time.Millisecond) // steps that end after start
	}
	rows, err := h.lake.Forecasts(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(rows) == 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no forecast for meter %q in run %s of model %q", id,
			run.Start.UTC().Format(tables.ForecastStartLayout), run.Model))
		return
	}
	body := ForecastRun{MeterID: id, ModelName: run.Model, ModelVersion: rows[0].ModelVersion, ForecastStart: run.Start.UTC(), Unit: "kWh", Data: make([]Step, len(rows))}
	for i, s := range rows {
		body.Data[i] = Step{Time: s.Time, P10: Float(s.P10), P50: Float(s.P50), P90: Float(s.P90)}
	}
	h.write(w, r, &table{
		json:   body,
		header: []string{"meter_id", "model_name", "forecast_start", "time", "p10", "p50", "p90", "model_version"},
		rows: func(yield func([]string) bool) {
			for _, s := range rows {
				if !yield([]string{s.MeterID, s.Model, fmtTime(s.Start), fmtTime(s.Time), fmtFloat(s.P10), fmtFloat(s.P50), fmtFloat(s.P90), s.ModelVersion}) {
					return
				}
			}
		},
		arrow: func(mem memory.Allocator) arrow.RecordBatch { return query.ForecastRecord(mem, rows) },
	})
}

// anomalyKinds maps the kind parameter to the scored days it selects.
var anomalyKinds = map[string]query.AnomalyKind{
	"both": query.SpikesAndDips, "spike": query.Spikes, "dip": query.Dips, "all": query.AllDays,
}

// anomalyEventKinds maps the kind parameter to the events it selects
// (nil: every kind).
var anomalyEventKinds = map[string][]string{
	"flat": {"flat"}, "zero": {"zero"}, "drop": {"drop"}, "events": nil,
}

func (h *handler) anomaly(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkParams(q, "year", "kind", "model"); err != nil {
		badRequest(w, err)
		return
	}
	id, err := meterID(r)
	if err != nil {
		badRequest(w, err)
		return
	}
	y, err := year(q)
	if err != nil {
		badRequest(w, err)
		return
	}
	kindName := q.Get("kind")
	if kindName == "" {
		kindName = "both"
	}
	kind, ok := anomalyKinds[kindName]
	eventKinds, isEvents := anomalyEventKinds[kindName]
	if !ok && !isEvents {
		badRequest(w, badParam("kind %q: want both, spike, dip, all, flat, zero, drop or events", kindName))
		return
	}
	m, err := model(q)
	if err != nil {
		badRequest(w, err)
		return
	}
	if isEvents {
		h.anomalyEvents(w, r, id, y, kindName, m, eventKinds)
		return
	}
	rows, err := h.lake.Anomalies(r.Context(), query.AnomalyFilter{Year: y, MeterIDs: []string{id}, Model: m, Kind: kind})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(rows) == 0 && !h.scored(w, r, tables.AnomalyDir(y), y) {
		return
	}
	body := Anomalies{MeterID: id, Year: y, Kind: kindName, Unit: "kWh", Data: make([]Anomaly, len(rows))}
	for i, a := range rows {
		body.Data[i] = Anomaly{Day: a.Day, Kind: a.Kind(), Consumption: Float(a.Consumption), Expected: Float(a.Expected),
			Lower: Float(a.Lower), Upper: Float(a.Upper), Importance: Float(a.Importance), Model: a.Model}
	}
	t := &table{
		json:   body,
		header: []string{"meter_id", "day", "kind", "consumption", "expected", "lower", "upper", "anomaly", "importance", "model"},
		rows: func(yield func([]string) bool) {
			for _, a := range rows {
				if !yield([]string{a.MeterID, a.Day.Format(time.DateOnly), a.Kind(), fmtFloat(a.Consumption), fmtFloat(a.Expected),
					fmtFloat(a.Lower), fmtFloat(a.Upper), strconv.Itoa(int(a.Flag)), fmtFloat(a.Importance), a.Model}) {
					return
				}
			}
		},
		arrow: func(mem memory.Allocator) arrow.RecordBatch { return query.AnomalyRecord(mem, rows) },
	}
	if len(rows) == 0 {
		h.emptyOr404(w, r, id, "anomaly scores in "+strconv.Itoa(y), t)
		return
	}
	h.write(w, r, t)
}

// scored reports whether the anomaly job wrote a table under dir, the
// year's; if not, it answers 404, as /forecast does without a run: an
// empty list would read as "no anomalies" where none were looked for.
func (h *handler) scored(w http.ResponseWriter, r *http.Request, dir string, y int) bool {
	page, _, err := h.lake.Bucket().ListPage(r.Context(), blob.FirstPageToken, 1, &blob.ListOptions{Prefix: dir})
	if err != nil {
		h.fail(w, r, err)
		return false
	}
	if len(page) == 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no anomaly scores for %d in the lake (mda forecast anomalies writes them)", y))
		return false
	}
	return true
}

// anomalyEvents serves the events of the kinds (nil: all) of a meter's
// year.
func (h *handler) anomalyEvents(w http.ResponseWriter, r *http.Request, id string, y int, kindName, m string, kinds []string) {
	rows, err := h.lake.AnomalyEvents(r.Context(), query.AnomalyEventFilter{Year: y, MeterIDs: []string{id}, Model: m, Kinds: kinds})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(rows) == 0 && !h.scored(w, r, tables.AnomalyEventDir(y), y) {
		return
	}
	body := Anomalies{MeterID: id, Year: y, Kind: kindName, Unit: "kWh", Data: make([]Anomaly, len(rows))}
	for i, e := range rows {
		// The date the event starts on, in the zone of the days (the
		// anomaly job's AnomalyOptions.Location should be the same).
		y, mo, d := e.Start.In(h.opts.Location).Date()
		body.Data[i] = Anomaly{Day: time.Date(y, mo, d, 0, 0, 0, 0, time.UTC), Kind: e.Kind, Start: e.Start, End: e.End,
			ResolutionSeconds: int64(e.Resolution / time.Second), Consumption: Float(e.Consumption), Expected: Float(e.Expected),
			Lower: Float(e.Lower), Upper: Float(e.Upper), Importance: Float(e.Importance), Model: e.Model}
	}
	t := &table{
		json:   body,
		header: []string{"meter_id", "kind", "start", "end", "resolution_seconds", "consumption", "expected", "lower", "upper", "importance", "model"},
		rows: func(yield func([]string) bool) {
			for _, e := range rows {
				if !yield([]string{e.MeterID, e.Kind, fmtTime(e.Start), fmtTime(e.End), strconv.FormatInt(int64(e.Resolution/time.Second), 10),
					fmtFloat(e.Consumption), fmtMissing(e.Expected), fmtMissing(e.Lower), fmtMissing(e.Upper), fmtFloat(e.Importance), e.Model}) {
					return
				}
			}
		},
		arrow: func(mem memory.Allocator) arrow.RecordBatch { return query.AnomalyEventRecord(mem, rows) },
	}
	if len(rows) == 0 {
		h.emptyOr404(w, r, id, "anomaly events in "+strconv.Itoa(y), t)
		return
	}
	h.write(w, r, t)
}

func (h *handler) meters(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r.URL.Query()); err != nil {
		badRequest(w, err)
		return
	}
	ml, err := h.lake.Meters(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ids := ml.IDs
	if ids == nil {
		ids = []string{}
	}
	h.write(w, r, &table{
		json:   Meters{Hour: ml.Hour, Count: len(ids), Data: ids},
		header: []string{"meter_id"},
		rows: func(yield func([]string) bool) {
			for _, id := range ids {
				if !yield([]string{id}) {
					return
				}
			}
		},
		arrow: func(mem memory.Allocator) arrow.RecordBatch { return query.MeterRecord(mem, ids) },
	})
}

func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	ok, err := h.lake.Bucket().IsAccessible(r.Context())
	if err != nil || !ok {
		writeError(w, http.StatusServiceUnavailable, "lake bucket not accessible")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
