package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	stdhtml "html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/examples/server/web"
	"github.com/openmda/mda/grid"
	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query/querytest"
	"github.com/openmda/mda/simulator"
)

// demoLake is a lake as mda demo leaves it, plus an outage: querytest's
// 12 meters x 3 days of reads with forecasts and anomalies, the
// generator's weather and topology loaded through their dataflows (as
// mda demo's loadContext does), and a zero-voltage outage of the service
// transformer of Meter from OutageStart to OutageEnd.
type demoLake struct {
	*querytest.Lake
	Bucket *blob.Bucket
	Topo   *topology.Topology
	// Meter is the page's meter, ST its service transformer.
	Meter, ST              string
	OutageStart, OutageEnd time.Time
	Hours                  int // weather observations
}

var (
	demoOnce sync.Once
	demo     *demoLake
	demoErr  error
)

func demoSite(t testing.TB) (http.Handler, *demoLake) {
	t.Helper()
	demoOnce.Do(func() { demo, demoErr = buildDemo(context.Background()) })
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return web.New(demo.Bucket, nil), demo
}

func buildDemo(ctx context.Context) (*demoLake, error) {
	b, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		return nil, err
	}
	l, err := querytest.Build(ctx, b, &querytest.Options{Meters: 12, Days: 3})
	if err != nil {
		return nil, err
	}
	g := l.Gen
	d := &demoLake{Lake: l, Bucket: b}
	if d.Topo, err = g.Topology(nil); err != nil {
		return nil, err
	}
	d.Meter = d.Topo.SmartMeters[7].ID
	d.ST = d.Topo.SmartMeters[7].ServiceTransformerID

	// Weather and topology, as mda demo loads them.
	fsys := fstest.MapFS{}
	var buf bytes.Buffer
	if d.Hours, err = g.WriteWeatherCSV(&buf, nil); err != nil {
		return nil, err
	}
	fsys["weather/hourly.csv"] = &fstest.MapFile{Data: bytes.Clone(buf.Bytes())}
	for _, table := range topology.TableNames {
		buf.Reset()
		if err := d.Topo.EncodeJSON(&buf, table); err != nil {
			return nil, err
		}
		fsys["topology/"+table+".json"] = &fstest.MapFile{Data: bytes.Clone(buf.Bytes())}
	}
	if err := dataflow.Run(ctx, dataflow.NewWeatherFlow(&dataflow.WeatherOptions{Files: []string{"weather/hourly.csv"}}), fsys, b, nil); err != nil {
		return nil, err
	}
	if err := dataflow.Run(ctx, dataflow.NewTopologyFlow(&dataflow.TopologyOptions{Dir: "topology"}), fsys, b, nil); err != nil {
		return nil, err
	}

	// The outage: the lines it zeroes, delivered again a day later, win
	// the de-duplication over the lines already in the lake.
	d.OutageStart = l.Start.Add(34 * time.Hour) // 2024-03-02 10:00Z
	d.OutageEnd = d.OutageStart.Add(2 * time.Hour)
	og, err := simulator.WithOutages(g, d.Topo, []simulator.Outage{{ID: d.ST, Level: topology.LevelServiceTransformer,
		Start: d.OutageStart, End: d.OutageEnd, Mode: simulator.OutageZeroVoltage}})
	if err != nil {
		return nil, err
	}
	csv := []byte(meter.HESCSVHeader + "\n")
	err = g.Lines(func(ln *meter.HESLine) error {
		c := *ln
		if og.Apply(&c) && c.Voltage == 0 && ln.Voltage != 0 {
			c.Arrival = c.Arrival.Add(24 * time.Hour)
			csv = meter.AppendHESCSV(csv, &c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	const key = "inbound/outage.csv"
	if err := b.WriteAll(ctx, key, csv, nil); err != nil {
		return nil, err
	}
	if _, err := mda.Ingest(ctx, b, b, key, nil); err != nil {
		return nil, err
	}
	return d, b.Delete(ctx, key)
}

// demoPage is the page of the demo lake's meter over its three days.
func demoPage(t *testing.T, h http.Handler, d *demoLake, period string) string {
	t.Helper()
	w := get(h, "/ui/?meter="+d.Meter+"&from=2024-03-01&to=2024-03-03&period="+period)
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	return w.Body.String()
}

// TestPagePanels: on a demo lake the page shows the temperature beside the
// consumption, the meter's place in the topology, the outages of the range
// (the meter's own first) and its service transformer's volt-var estimate.
func TestPagePanels(t *testing.T) {
	h, d := demoSite(t)
	body := demoPage(t, h, d, "hour")
	var figs []string
	for _, m := range svgRe.FindAllStringSubmatch(body, -1) {
		figs = append(figs, m[1])
		if strings.Count(m[0], "<path") < 5 {
			t.Errorf("chart %s has %d paths", m[1], strings.Count(m[0], "<path"))
		}
	}
	if strings.Join(figs, ",") != "consumption,weather,forecast,anomalies" {
		t.Errorf("charts %v", figs)
	}
	if strings.Contains(body, `class="error"`) || strings.Contains(body, "<script") {
		t.Errorf("error or script on the page")
	}
	info, err := grid.DescribeMeter(d.Topo, d.Meter)
	if err != nil {
		t.Fatal(err)
	}
	section := func(id string) string {
		m := regexp.MustCompile(`(?s)<section id="` + id + `">.*?</section>`).FindString(body)
		if m == "" {
			t.Fatalf("no section %s", id)
		}
		return m
	}
	topo := section("topology")
	for _, want := range []string{info.ServiceTransformer.ID, info.DistributionTransformer.ID, info.Substation.Name,
		info.Substation.ID, stdhtml.EscapeString(info.Location.Address), `href="/topology/meter/` + d.Meter + `"`} {
		if !strings.Contains(topo, want) {
			t.Errorf("topology panel lacks %q:\n%s", want, topo)
		}
	}
	gp := section("grid")
	row := regexp.MustCompile(`<tr class="mine"><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td class="id">([^<]*)</td><td>([^<]*)</td><td>(\d+)</td>`).FindStringSubmatch(gp)
	if row == nil {
		t.Fatalf("no outage of the meter:\n%s", gp)
	}
	if want := []string{"2024-03-02 10:00 UTC", "2024-03-02 12:00 UTC", "2h0m0s", "service_transformer", d.ST, "zero_voltage", "6"}; !slices.Equal(row[1:], want) {
		t.Errorf("outage row %q, want %q", row[1:], want)
	}
	for _, want := range []string{`<table id="voltvar"`, "service transformer <span class=\"id\">" + d.ST, "hour ending 2024-03-04 00:00 UTC", "6 meters", "Mean voltage", " V</td>",
		// Units of the estimate (grid.CVRSavings).
		" MWh per month</td>", " per month, in the currency of the purchase price (0.11 per kWh)</td>",
		" ¢ per customer per month (at 11 ¢ per kWh, 1000 customers)</td>"} {
		if !strings.Contains(gp, want) {
			t.Errorf("grid panel lacks %q:\n%s", want, gp)
		}
	}
	if !strings.Contains(body, "Temperature from 2024-03-01 to 2024-03-03") {
		t.Errorf("no temperature caption")
	}

	// A range without weather or reads: notes, no error.
	w := get(h, "/ui/?meter="+d.Meter+"&from=2024-02-01&to=2024-02-02")
	for _, want := range []string{`id="no-weather">No temperature observations in the range.<`, `id="no-outages"`, `id="no-voltvar">No voltage reads under service transformer ` + d.ST} {
		if w.Code != 200 || !strings.Contains(w.Body.String(), want) {
			t.Errorf("February: status %d, page lacks %q", w.Code, want)
		}
	}

	// Another meter's page lists the outage too, not as its own.
	other := d.Topo.SmartMeters[0].ID
	w = get(h, "/ui/?meter="+other+"&from=2024-03-01&to=2024-03-03")
	if !strings.Contains(w.Body.String(), d.ST) || strings.Contains(w.Body.String(), `class="mine"`) {
		t.Errorf("meter %s: outage missing or marked as its own", other)
	}
}

var hrefRe = regexp.MustCompile(`href="(/[^"]*)"`)

// TestPageRoutes: the page links the API routes its panels come from, and
// each answers on the demo lake with what the page shows.
func TestPageRoutes(t *testing.T) {
	h, d := demoSite(t)
	body := demoPage(t, h, d, "day")
	links := map[string]string{} // route prefix -> link
	for _, m := range hrefRe.FindAllStringSubmatch(body, -1) {
		u := stdhtml.UnescapeString(m[1])
		for _, prefix := range []string{"/consumption/", "/weather?", "/topology/meter/", "/outage?", "/voltvar/"} {
			if strings.HasPrefix(u, prefix) {
				if strings.Contains(u, "format=csv") {
					prefix += "csv"
				}
				links[prefix] = u
			}
		}
	}
	for _, prefix := range []string{"/consumption/", "/consumption/csv", "/weather?", "/weather?csv", "/topology/meter/", "/outage?", "/voltvar/"} {
		u, ok := links[prefix]
		if !ok {
			t.Errorf("the page does not link %s", prefix)
			continue
		}
		w := get(h, u)
		if w.Code != 200 {
			t.Errorf("GET %s: %d %s", u, w.Code, w.Body)
			continue
		}
		if strings.HasSuffix(prefix, "csv") {
			if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
				t.Errorf("GET %s: %s", u, w.Header().Get("Content-Type"))
			}
			continue
		}
		switch prefix {
		case "/weather?":
			var r struct{ Data []map[string]any }
			if json.Unmarshal(w.Body.Bytes(), &r) != nil || len(r.Data) != d.Hours || r.Data[0]["temperature"] == nil || r.Data[0]["snow_depth"] != nil {
				t.Errorf("GET %s: %d observations (want %d): %.300s", u, len(r.Data), d.Hours, w.Body)
			}
		case "/topology/meter/":
			var r grid.MeterInfo
			if json.Unmarshal(w.Body.Bytes(), &r) != nil || r.ServiceTransformer == nil || r.ServiceTransformer.ID != d.ST {
				t.Errorf("GET %s: %s", u, w.Body)
			}
		case "/outage?":
			var r struct{ Outages []grid.OutageEvent }
			if json.Unmarshal(w.Body.Bytes(), &r) != nil || !slices.ContainsFunc(r.Outages, func(e grid.OutageEvent) bool {
				return e.ID == d.ST && e.Start.Equal(d.OutageStart) && e.End.Equal(d.OutageEnd)
			}) {
				t.Errorf("GET %s: %s", u, w.Body)
			}
		case "/voltvar/":
			var r grid.VoltVarResult
			if json.Unmarshal(w.Body.Bytes(), &r) != nil || r.TransformerID != d.ST || r.Meters != 6 || !(r.MeanVoltage > 200) {
				t.Errorf("GET %s: %s", u, w.Body)
			} else if want := fmt.Sprintf("<td>%.2f V</td>", r.MeanVoltage); !strings.Contains(body, want) {
				t.Errorf("page lacks the route's mean voltage %q", want)
			}
		}
	}
}
