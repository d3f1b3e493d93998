package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/grid"
	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/query"
)

// The page's panels beside the charts: the meter's place in the topology,
// the weather of the range, the outages of the range and the volt-var
// estimate of the meter's service transformer. Each is what the API route
// linked from the panel answers (/topology/meter/{id}, /weather, /outage,
// /voltvar/{id}), computed with the same functions and options; a table the
// lake lacks gives a note, not an error.

// maxOutageRows bounds the outages listed on the page; the JSON has all.
const maxOutageRows = 25

// topoCache keeps the lake's topology for a while, as grid.NewHandler does.
type topoCache struct {
	lake  *blob.Bucket
	fixed *topology.Topology
	ttl   time.Duration

	mu     sync.Mutex
	topo   *topology.Topology
	loaded time.Time
}

// get returns the topology; a lake without one gives an error matching
// topology.ErrNoTopology (not cached, so that a topology loaded later shows).
func (c *topoCache) get(ctx context.Context) (*topology.Topology, error) {
	if c.fixed != nil {
		return c.fixed, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.topo != nil && now.Sub(c.loaded) < c.ttl {
		return c.topo, nil
	}
	t, err := topology.ReadLake(ctx, c.lake)
	if err != nil {
		return nil, err
	}
	c.topo, c.loaded = t, now
	return t, nil
}

// outageRow is one outage of the panel.
type outageRow struct {
	Start, End, Duration string
	Level, ID, Kind      string
	Meters               int
	// Mine reports that the page's meter is among the outage's meters.
	Mine, Ongoing, StartedBefore bool
}

// voltVarView is the volt-var panel.
type voltVarView struct {
	grid.VoltVarResult
	// At is the end of the hour averaged, in the page's time zone.
	At string
	// Link is the API request that answers the same.
	Link string
	// Price, Rate and Customers are the constants the costs are computed
	// with (grid.VoltVarOptions: the purchase price per kWh, the customers'
	// rate in cents per kWh, the customers sharing the savings).
	Price, Rate float64
	Customers   int
}

// fmtTime formats t in loc for the panels.
func fmtTime(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04 MST") }

// weatherPanel charts the temperature of [from, end).
func (p *page) weatherPanel(ctx context.Context, v *view, from, end time.Time) error {
	v.WeatherQuery = template.URL(url.Values{"from": {v.From}, "to": {v.To}}.Encode())
	rows, err := p.lake.Weather(ctx, query.WeatherFilter{From: from, To: end})
	if errors.Is(err, query.ErrNoWeather) {
		v.WeatherNote = "No weather in the lake."
		return nil
	}
	if err != nil {
		return err
	}
	temps := 0
	var stations []string
	for _, r := range rows {
		if !math.IsNaN(r.Temperature) {
			if temps == 0 || r.Temperature < v.TempMin {
				v.TempMin = r.Temperature
			}
			if temps == 0 || r.Temperature > v.TempMax {
				v.TempMax = r.Temperature
			}
			temps++
		}
		if r.Station != "" && !slices.Contains(stations, r.Station) {
			stations = append(stations, r.Station)
		}
	}
	switch len(stations) {
	case 0:
	case 1:
		v.Stations = " at station " + stations[0]
	default:
		v.Stations = " at stations " + strings.Join(stations, ", ")
	}
	if temps == 0 {
		v.WeatherNote = "No temperature observations in the range."
		return nil
	}
	v.Weather, err = html(temperatureChart(rows, from, end))
	return err
}

// gridPanels fills the topology, outage and volt-var panels for the meter
// over [from, end); latest is the lake's latest hour.
func (p *page) gridPanels(ctx context.Context, v *view, from, end, latest time.Time) error {
	loc := p.lake.Location()
	v.TopologyLink = "/topology/meter/" + url.PathEscape(v.Meter)
	topo, err := p.topo.get(ctx)
	switch {
	case errors.Is(err, topology.ErrNoTopology):
		v.TopologyNote = "No topology in the lake."
	case err != nil:
		return err
	default:
		info, err := grid.DescribeMeter(topo, v.Meter)
		if err != nil {
			v.TopologyNote = "This meter is not in the lake's topology."
		} else {
			v.Topology = &info
		}
	}

	// Outages of the range, at most the /outage route's window.
	oFrom := from
	if end.Sub(from) > p.outageWindow {
		oFrom = end.Add(-p.outageWindow)
		v.OutageScope = fmt.Sprintf("the last %d days of the range", int(p.outageWindow/(24*time.Hour)))
	}
	v.OutageLink = "/outage?" + url.Values{"from": {oFrom.UTC().Format(time.RFC3339)}, "to": {end.UTC().Format(time.RFC3339)}}.Encode()
	var g grid.HandlerOptions
	if p.grid != nil {
		g = *p.grid
	}
	events, err := grid.DetectOutages(ctx, p.lake.Bucket(), topo, oFrom, end, g.Outage)
	if err != nil {
		return err
	}
	v.OutageCount = len(events)
	// The meter's own outages first, then the others, each by start.
	mine := func(e grid.OutageEvent) bool { _, ok := slices.BinarySearch(e.MeterIDs, v.Meter); return ok }
	slices.SortStableFunc(events, func(a, b grid.OutageEvent) int {
		switch ma, mb := mine(a), mine(b); {
		case ma && !mb:
			return -1
		case mb && !ma:
			return 1
		}
		return 0
	})
	for _, e := range events {
		if len(v.Outages) == maxOutageRows {
			break
		}
		v.Outages = append(v.Outages, outageRow{Start: fmtTime(e.Start, loc), End: fmtTime(e.End, loc),
			Duration: e.Duration().String(), Level: string(e.Level), ID: e.ID, Kind: e.Kind, Meters: len(e.MeterIDs),
			Mine: mine(e), Ongoing: e.Ongoing, StartedBefore: e.StartedBefore})
	}

	// Volt-var of the meter's service transformer, for the hour that ends
	// with the range or with the lake's data, whichever comes first.
	if v.Topology == nil || v.Topology.ServiceTransformer == nil {
		return nil
	}
	at := end
	if !latest.IsZero() && latest.Before(at) {
		at = latest
	}
	st := v.Topology.ServiceTransformer.ID
	vv := &voltVarView{At: fmtTime(at, loc),
		Link:  "/voltvar/" + url.PathEscape(st) + "?" + url.Values{"at": {at.UTC().Format(time.RFC3339)}}.Encode(),
		Price: grid.DefaultEnergyPurchasePrice, Rate: grid.DefaultElectricityRate, Customers: grid.DefaultCustomers}
	if o := g.VoltVar; o != nil { // zeros mean the defaults, as in grid.VoltVar
		vv.Price = cmp.Or(o.EnergyPurchasePrice, vv.Price)
		vv.Rate = cmp.Or(o.ElectricityRate, vv.Rate)
		if o.Customers > 0 {
			vv.Customers = o.Customers
		}
	}
	vv.VoltVarResult, err = grid.VoltVar(ctx, p.lake.Bucket(), topo, topology.LevelServiceTransformer, st, at, g.VoltVar)
	switch {
	case errors.Is(err, grid.ErrNoReads), errors.Is(err, grid.ErrNotFound):
		v.VoltVarNote = fmt.Sprintf("No voltage reads under service transformer %s in the hour ending %s.", st, vv.At)
		return nil
	case err != nil:
		return err
	}
	v.VoltVar = vv
	return nil
}
