package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/api"
	"github.com/openmda/mda/grid"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query"
)

// Options configures the site. Nil means the defaults.
type Options struct {
	// API configures the API and the page alike: its RequireAuth and
	// APIKeys protect both, its Logger, Timeout, Location and Interval
	// apply to both.
	API *api.Options
}

// New returns the site over lake: GET / redirects to the page at /ui/,
// every other path is the API.
func New(lake *blob.Bucket, opts *Options) http.Handler {
	var ao api.Options
	if opts != nil && opts.API != nil {
		ao = *opts.API
	}
	pg := &page{
		lake:         query.New(lake, &query.Options{Interval: ao.Interval, Location: ao.Location, MaxReads: cmp.Or(ao.MaxReads, api.DefaultMaxReads)}),
		timeout:      cmp.Or(ao.Timeout, api.DefaultTimeout),
		log:          ao.Logger,
		grid:         ao.Grid,
		topo:         &topoCache{lake: lake, ttl: 5 * time.Minute},
		outageWindow: 31 * 24 * time.Hour,
	}
	if g := ao.Grid; g != nil { // the grid routes' options
		pg.topo.fixed = g.Topology
		pg.topo.ttl = cmp.Or(max(g.TopologyTTL, 0), pg.topo.ttl)
		pg.outageWindow = cmp.Or(max(g.MaxWindow, 0), pg.outageWindow)
	}
	if pg.log == nil {
		pg.log = slog.New(slog.DiscardHandler)
	}
	var ph http.Handler = pg
	if ao.RequireAuth {
		ph = api.Authenticate(pg, ao.APIKeys)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /ui/{$}", ph)
	mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
	mux.Handle("/", api.New(lake, &ao))
	return mux
}

// page serves /ui/.
type page struct {
	lake    *query.Lake
	timeout time.Duration
	log     *slog.Logger
	// grid configures the outage and volt-var panels as the API's routes.
	grid         *grid.HandlerOptions
	topo         *topoCache
	outageWindow time.Duration
}

// view is the page's template data.
type view struct {
	Meters                    []string
	Meter, From, To, Period   string
	Year                      int
	Error                     string
	Consumption, Forecast     template.HTML
	Anomalies                 template.HTML
	TotalKWh                  float64
	Hours                     int
	ForecastNote, AnomalyNote string
	AnomalyRows               []query.Anomaly
	// APIQuery is the query of the consumption route's links: a URL, so
	// that the template does not escape its = and &.
	APIQuery template.URL

	// Weather is the temperature chart, WeatherNote why there is none.
	Weather          template.HTML
	WeatherNote      string
	WeatherQuery     template.URL
	TempMin, TempMax float64
	// Stations names the stations, if they have names: " at station X".
	Stations string
	// Topology is the meter's place in the grid, TopologyNote why it is
	// missing.
	Topology     *grid.MeterInfo
	TopologyNote string
	TopologyLink string
	// Outages are the first outages of the range (the meter's first),
	// of OutageCount; OutageScope says when the range was cut.
	Outages     []outageRow
	OutageCount int
	OutageScope string
	OutageLink  string
	// VoltVar is the estimate of the meter's service transformer,
	// VoltVarNote why there is none.
	VoltVar     *voltVarView
	VoltVarNote string
}

const dateLayout = "2006-01-02"

func (p *page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), p.timeout)
	defer cancel()
	v, code, err := p.build(ctx, r.URL.Query())
	if err != nil {
		v.Error = err.Error()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'")
	w.WriteHeader(code)
	if err := pageTmpl.Execute(w, v); err != nil {
		p.log.ErrorContext(ctx, "web: rendering page", "error", err)
	}
	p.log.LogAttrs(ctx, slog.LevelInfo, "page", slog.String("query", r.URL.RawQuery), slog.Int("status", code),
		slog.Duration("duration", time.Since(start)))
}

// build gathers the page's data.
func (p *page) build(ctx context.Context, q url.Values) (v view, code int, err error) {
	ml, err := p.lake.Meters(ctx)
	if err != nil {
		return v, p.status(err), p.message(err)
	}
	v.Meters = ml.IDs
	loc := p.lake.Location()
	v.Meter = q.Get("meter")
	if v.Meter == "" && len(ml.IDs) > 0 {
		v.Meter = ml.IDs[0]
	}
	last := ml.Hour.In(loc)
	if last.IsZero() {
		last = time.Now().In(loc)
	}
	// from and to are civil dates (midnight UTC of the date); the
	// instants of their days in loc come after the checks.
	to := time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, time.UTC)
	from := to.AddDate(0, 0, -6)
	if s := q.Get("from"); s != "" {
		if from, err = time.Parse(dateLayout, s); err != nil || from.Year() < 1000 || from.Year() > 9998 {
			return v, http.StatusBadRequest, fmt.Errorf("from %q: want YYYY-MM-DD, years 1000 to 9998", s)
		}
	}
	if s := q.Get("to"); s != "" {
		if to, err = time.Parse(dateLayout, s); err != nil || to.Year() < 1000 || to.Year() > 9998 {
			return v, http.StatusBadRequest, fmt.Errorf("to %q: want YYYY-MM-DD, years 1000 to 9998", s)
		}
	}
	v.From, v.To = from.Format(dateLayout), to.Format(dateLayout)
	v.Period = cmp.Or(q.Get("period"), "hour")
	v.Year = to.Year()
	if v.Meter == "" {
		return v, http.StatusOK, errors.New("the lake has no meters yet")
	}
	switch {
	case !api.ValidMeterID(v.Meter):
		return v, http.StatusBadRequest, fmt.Errorf("invalid meter id %q", v.Meter)
	case to.Before(from):
		return v, http.StatusBadRequest, errors.New("the range ends before it starts")
	case to.Sub(from) > 366*24*time.Hour:
		return v, http.StatusBadRequest, errors.New("the range is longer than 366 days")
	case v.Period != "hour" && v.Period != "day":
		return v, http.StatusBadRequest, fmt.Errorf("period %q: want hour or day", v.Period)
	}
	period, _ := query.ParsePeriod(v.Period)
	v.APIQuery = template.URL(url.Values{"reading_date_from": {from.Format("20060102")}, "reading_date_to": {to.Format("20060102")}, "period": {v.Period}}.Encode())
	// The instants that start the first day and end the last (included),
	// in loc: a midnight, or the end of a clock change that skips it.
	from = meter.StartOfDay(from.Year(), from.Month(), from.Day(), loc)
	end := meter.StartOfDay(to.Year(), to.Month(), to.Day()+1, loc)
	ids := []string{v.Meter}

	energy, _, err := p.lake.Energy(ctx, query.Filter{MeterIDs: ids, From: from, To: end}, period)
	if err != nil {
		return v, p.status(err), p.message(err)
	}
	for _, e := range energy {
		v.TotalKWh += e.KWh
	}
	v.Hours = int(end.Sub(from).Hours())
	if v.Consumption, err = html(consumptionChart(v.Meter, energy, period, from, end)); err != nil {
		return v, http.StatusInternalServerError, err
	}
	if err := p.weatherPanel(ctx, &v, from, end); err != nil {
		return v, p.status(err), p.message(err)
	}
	if err := p.gridPanels(ctx, &v, from, end, ml.Hour); err != nil {
		return v, p.status(err), p.message(err)
	}

	run, ok, err := p.lake.LatestRun(ctx, "", end)
	if err != nil {
		return v, p.status(err), p.message(err)
	}
	if !ok {
		v.ForecastNote = "No forecast run at or before the end of the range."
	} else {
		steps, err := p.lake.Forecasts(ctx, query.ForecastFilter{Run: run, MeterIDs: ids})
		if err != nil {
			return v, p.status(err), p.message(err)
		}
		if len(steps) == 0 {
			v.ForecastNote = fmt.Sprintf("The %s run of %s has no forecast for this meter.", run.Model, run.Start.Format(time.RFC3339))
		} else {
			actual, _, err := p.lake.Energy(ctx, query.Filter{MeterIDs: ids, From: steps[0].Time.Add(-time.Hour), To: steps[len(steps)-1].Time}, query.Hour)
			if err != nil {
				return v, p.status(err), p.message(err)
			}
			if v.Forecast, err = html(forecastChart(v.Meter, steps, actual)); err != nil {
				return v, http.StatusInternalServerError, err
			}
		}
	}

	days, err := p.lake.Anomalies(ctx, query.AnomalyFilter{Year: v.Year, MeterIDs: ids, Kind: query.AllDays})
	if err != nil {
		return v, p.status(err), p.message(err)
	}
	for _, a := range days {
		if a.Flag != 0 {
			v.AnomalyRows = append(v.AnomalyRows, a)
		}
	}
	if len(days) == 0 {
		v.AnomalyNote = fmt.Sprintf("No anomaly scores for this meter in %d.", v.Year)
	}
	if v.Anomalies, err = html(anomalyChart(v.Meter, v.Year, days)); err != nil {
		return v, http.StatusInternalServerError, err
	}
	return v, http.StatusOK, nil
}

// html marks a chart we rendered ourselves as safe HTML.
func html(s string, err error) (template.HTML, error) { return template.HTML(s), err }

func (p *page) status(err error) int {
	switch {
	case errors.Is(err, query.ErrTooManyReads):
		return http.StatusBadRequest
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func (p *page) message(err error) error {
	switch p.status(err) {
	case http.StatusBadRequest:
		return errors.New("the range holds too many reads: narrow it")
	case http.StatusServiceUnavailable:
		return errors.New("the lake took too long to answer")
	}
	p.log.Error("web: lake error", "error", err)
	return errors.New("internal error reading the lake")
}

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"day": func(t time.Time) string { return t.Format(dateLayout) },
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Meter {{.Meter}} – mda</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
form { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; margin-bottom: 1rem; }
label { display: flex; flex-direction: column; font-size: .85rem; gap: .2rem; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; }
.error { background: #fde8e8; border: 1px solid #d33; padding: .5rem .75rem; }
.note { color: #666; } table { border-collapse: collapse; } td, th { padding: .2rem .6rem; border-bottom: 1px solid #ddd; text-align: right; }
.spike { color: #d62728; } .dip { color: #2ca02c; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
.kv th { text-align: left; font-weight: normal; color: #555; } .kv td { text-align: left; }
.id { font-family: monospace; font-size: .8rem; }
tr.mine { background: #fff4e0; }
</style>
</head>
<body>
<h1>Meter data</h1>
<form method="get" action="/ui/">
<label>Meter <select name="meter">{{range .Meters}}<option value="{{.}}"{{if eq . $.Meter}} selected{{end}}>{{.}}</option>{{end}}</select></label>
<label>From <input type="date" name="from" value="{{.From}}"></label>
<label>To (included) <input type="date" name="to" value="{{.To}}"></label>
<label>Energy per <select name="period"><option value="hour"{{if eq .Period "hour"}} selected{{end}}>hour</option><option value="day"{{if eq .Period "day"}} selected{{end}}>day</option></select></label>
<button type="submit">Show</button>
</form>
{{if .Error}}<p class="error" id="error">{{.Error}}</p>{{end}}
{{if .Consumption}}
<figure id="consumption">{{.Consumption}}<figcaption>{{printf "%.2f" .TotalKWh}} kWh from {{.From}} to {{.To}} ({{.Hours}} h). Data: <a href="/consumption/{{.Meter}}?{{.APIQuery}}">JSON</a>, <a href="/consumption/{{.Meter}}?{{.APIQuery}}&amp;format=csv">CSV</a>.</figcaption></figure>
{{else if not .Error}}<p class="note" id="no-consumption">No energy reads for this meter in the range.</p>{{end}}
{{if .Weather}}<figure id="weather">{{.Weather}}<figcaption>Temperature{{.Stations}} from {{.From}} to {{.To}}: {{printf "%.1f" .TempMin}} to {{printf "%.1f" .TempMax}} °C. Data: <a href="/weather?{{.WeatherQuery}}">JSON</a>, <a href="/weather?{{.WeatherQuery}}&amp;format=csv">CSV</a>.</figcaption></figure>
{{else if .WeatherNote}}<p class="note" id="no-weather">{{.WeatherNote}}</p>{{end}}
{{if and .Meter (not .Error)}}
<section id="topology"><h2>Place in the grid</h2>
{{with .Topology}}<table class="kv"><tbody>
<tr><th>Service transformer</th><td class="id">{{with .ServiceTransformer}}{{.ID}}{{with .Capacity}} ({{.}}){{end}}{{else}}–{{end}}</td></tr>
<tr><th>Distribution transformer</th><td class="id">{{with .DistributionTransformer}}{{.ID}}{{with .Capacity}} ({{.}}){{end}}{{else}}–{{end}}</td></tr>
<tr><th>Substation</th><td>{{with .Substation}}{{.Name}} <span class="id">({{.ID}})</span>{{else}}–{{end}}</td></tr>
<tr><th>Location</th><td>{{with .Location}}{{with .Address}}{{.}}, {{end}}{{printf "%.5f" .Latitude}}, {{printf "%.5f" .Longitude}}{{with .LocationType}} ({{.}}){{end}}{{else}}–{{end}}</td></tr>
</tbody></table>
<p class="note">Data: <a href="{{$.TopologyLink}}">JSON</a>.</p>
{{else}}<p class="note" id="no-topology">{{.TopologyNote}}</p>{{end}}
</section>
<section id="grid"><h2>Outages and volt-var</h2>
{{if .Outages}}<table id="outage-table"><thead><tr><th>Start</th><th>End</th><th>Duration</th><th>Level</th><th>Id</th><th>Kind</th><th>Meters</th><th>This meter</th></tr></thead><tbody>
{{range .Outages}}<tr{{if .Mine}} class="mine"{{end}}><td>{{if .StartedBefore}}≤ {{end}}{{.Start}}</td><td>{{.End}}{{if .Ongoing}} (ongoing){{end}}</td><td>{{.Duration}}</td><td>{{.Level}}</td><td class="id">{{.ID}}</td><td>{{.Kind}}</td><td>{{.Meters}}</td><td>{{if .Mine}}yes{{end}}</td></tr>
{{end}}</tbody></table>
<p class="note" id="outage-count">{{.OutageCount}} outages in {{or .OutageScope "the range"}}{{if gt .OutageCount (len .Outages)}}, {{len .Outages}} shown (this meter's first){{end}}. Data: <a href="{{.OutageLink}}">JSON</a>.</p>
{{else}}<p class="note" id="no-outages">No outages detected in {{or .OutageScope "the range"}}. Data: <a href="{{.OutageLink}}">JSON</a>.</p>{{end}}
{{with .VoltVar}}<p id="voltvar-title">Volt-var (CVR) estimate of service transformer <span class="id">{{.TransformerID}}</span>, hour ending {{.At}}: {{.Meters}} meters, {{.Reads}} reads.</p>
<table id="voltvar" class="kv"><tbody>
<tr><th>Mean voltage</th><td>{{printf "%.2f" .MeanVoltage}} V</td></tr>
<tr><th>Voltage reduction</th><td>{{printf "%.4g" .PctVoltageReduction}} %</td></tr>
<tr><th>Energy savings</th><td>{{printf "%.4g" .PctEnergySavings}} %</td></tr>
<tr><th>Actual energy savings</th><td>{{printf "%.4g" .ActualEnergySavings}} MWh per month</td></tr>
<tr><th>Cost avoided</th><td>{{printf "%.4g" .CostAvoided}} per month, in the currency of the purchase price ({{.Price}} per kWh)</td></tr>
<tr><th>Customer savings</th><td>{{printf "%.4g" .CustDollarSavings}} ¢ per customer per month (at {{.Rate}} ¢ per kWh, {{.Customers}} customers)</td></tr>
<tr><th>Carbon reduction</th><td>{{printf "%.4g" .CarbonReductionLbs}} lb</td></tr>
</tbody></table>
<p class="note">Data: <a href="{{.Link}}">JSON</a>.</p>
{{else}}{{with .VoltVarNote}}<p class="note" id="no-voltvar">{{.}}</p>{{end}}{{end}}
</section>
{{end}}
{{if .Forecast}}<figure id="forecast">{{.Forecast}}<figcaption>Shaded: the 10% to 90% quantiles; line: the median (P50); dots: the actual energy.</figcaption></figure>{{end}}
{{if .ForecastNote}}<p class="note" id="no-forecast">{{.ForecastNote}}</p>{{end}}
{{if .Anomalies}}<figure id="anomalies">{{.Anomalies}}<figcaption>Shaded: the model's expected range; triangles: spikes (red) and dips (green).</figcaption></figure>{{end}}
{{if .AnomalyNote}}<p class="note" id="no-anomalies">{{.AnomalyNote}}</p>{{end}}
{{if .AnomalyRows}}<table id="anomaly-table"><thead><tr><th>Day</th><th>Kind</th><th>kWh</th><th>Expected</th><th>Range</th></tr></thead><tbody>
{{range .AnomalyRows}}<tr class="{{.Kind}}"><td>{{day .Day}}</td><td>{{.Kind}}</td><td>{{printf "%.2f" .Consumption}}</td><td>{{printf "%.2f" .Expected}}</td><td>{{printf "%.2f" .Lower}}–{{printf "%.2f" .Upper}}</td></tr>
{{end}}</tbody></table>{{end}}
</body>
</html>
`))
