package web

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/openmda/mda/query"
	"github.com/openmda/mda/tables"
)

// Chart size; the temperature chart under the consumption chart is
// shorter.
const (
	chartW = 22 * vg.Centimeter
	chartH = 9 * vg.Centimeter
	tempH  = 6 * vg.Centimeter
)

var (
	blue   = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	orange = color.RGBA{R: 255, G: 127, B: 14, A: 255}
	band   = color.RGBA{R: 255, G: 127, B: 14, A: 70}
	red    = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	green  = color.RGBA{R: 44, G: 160, B: 44, A: 255}
	bandG  = color.RGBA{R: 120, G: 120, B: 120, A: 50}
)

// x is the chart abscissa of t: Unix seconds.
func x(t time.Time) float64 { return float64(t.Unix()) }

func newPlot(title, ylabel string, span time.Duration) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	format := "Jan 2\n15:04"
	if span > 4*24*time.Hour {
		format = "Jan 2"
	}
	p.X.Tick.Marker = plot.TimeTicks{Format: format, Time: func(t float64) time.Time { return time.Unix(int64(t), 0).UTC() }}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true
	return p
}

// svg renders p as an inline <svg> element (no XML prolog).
func svg(p *plot.Plot) (string, error) { return svgSized(p, chartW, chartH) }

func svgSized(p *plot.Plot, w, h vg.Length) (string, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("web: rendering chart: %w", err)
	}
	s := buf.String()
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return s, nil
}

// consumptionChart draws energy per period: a line for hours, points
// joined for days (each at the middle of its day).
// The abscissa spans [from, to), as the temperature chart's.
func consumptionChart(meterID string, rows []query.Energy, p query.Period, from, to time.Time) (string, error) {
	if len(rows) == 0 {
		return "", nil
	}
	xys := make(plotter.XYs, len(rows))
	for i, e := range rows {
		xys[i] = plotter.XY{X: x(e.Start.Add(e.End.Sub(e.Start) / 2)), Y: e.KWh}
	}
	pl := newPlot(fmt.Sprintf("Consumption of %s, kWh per %s", meterID, p), "kWh", rows[len(rows)-1].End.Sub(rows[0].Start))
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return "", err
	}
	line.Color = blue
	points.Color = blue
	points.Radius = vg.Points(1.5)
	if p == query.Hour {
		pl.Add(line)
	} else {
		points.Radius = vg.Points(3)
		pl.Add(line, points)
	}
	pl.Legend.Add("energy (kWh)", line)
	pl.Y.Min = 0
	pl.X.Min, pl.X.Max = min(x(from), xys[0].X), max(x(to), xys[len(xys)-1].X)
	return svg(pl)
}

// stationColors are the lines of the stations of the temperature chart.
var stationColors = []color.Color{red, blue, green, orange, color.RGBA{R: 148, G: 103, B: 189, A: 255}, color.RGBA{R: 140, G: 86, B: 75, A: 255}}

// temperatureChart draws the hourly temperature of each station over
// [from, to), the consumption chart's range, with gaps where it is missing.
func temperatureChart(rows []tables.WeatherRow, from, to time.Time) (string, error) {
	var stations []string
	byStation := map[string][]plotter.XYs{} // runs without missing values
	prev := map[string]bool{}               // the station's last value was present
	for _, r := range rows {
		st := r.Station
		if _, ok := byStation[st]; !ok {
			stations = append(stations, st)
			byStation[st] = nil
		}
		if math.IsNaN(r.Temperature) {
			prev[st] = false
			continue
		}
		runs := byStation[st]
		if !prev[st] || len(runs) == 0 {
			runs = append(runs, nil)
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], plotter.XY{X: x(r.Time), Y: r.Temperature})
		byStation[st], prev[st] = runs, true
	}
	pl := newPlot("Temperature, °C per hour", "°C", to.Sub(from))
	pl.X.Min, pl.X.Max = x(from), x(to)
	for i, st := range stations {
		c := stationColors[i%len(stationColors)]
		var first *plotter.Line
		for _, run := range byStation[st] {
			line, err := plotter.NewLine(run)
			if err != nil {
				return "", err
			}
			line.Color = c
			line.Width = vg.Points(1.2)
			pl.Add(line)
			if first == nil {
				first = line
			}
		}
		if first == nil {
			continue
		}
		name := "temperature"
		if st != "" {
			name = "station " + st
		}
		if len(stations) > 1 || st != "" {
			pl.Legend.Add(name, first)
		}
	}
	return svgSized(pl, chartW, tempH)
}

// forecastChart draws a forecast's P10–P90 band, its P50 line and the
// actual energy of the steps that have happened.
func forecastChart(meterID string, steps []query.Forecast, actual []query.Energy) (string, error) {
	if len(steps) == 0 {
		return "", nil
	}
	n := len(steps)
	poly := make(plotter.XYs, 0, 2*n)
	p50 := make(plotter.XYs, n)
	for i, s := range steps {
		poly = append(poly, plotter.XY{X: x(s.Time), Y: s.P90})
		p50[i] = plotter.XY{X: x(s.Time), Y: s.P50}
	}
	for i := n - 1; i >= 0; i-- {
		poly = append(poly, plotter.XY{X: x(steps[i].Time), Y: steps[i].P10})
	}
	pl := newPlot(fmt.Sprintf("Forecast of %s (%s, made %s), kWh per step", meterID, steps[0].Model,
		steps[0].Start.UTC().Format("2006-01-02 15:04 MST")), "kWh", steps[n-1].Time.Sub(steps[0].Time))
	bandP, err := plotter.NewPolygon(poly)
	if err != nil {
		return "", err
	}
	bandP.Color = band
	bandP.LineStyle.Width = 0
	line, err := plotter.NewLine(p50)
	if err != nil {
		return "", err
	}
	line.Color = orange
	line.Width = vg.Points(1.5)
	pl.Add(bandP, line)
	pl.Legend.Add("P10–P90", bandP)
	pl.Legend.Add("P50", line)
	if len(actual) > 0 {
		xys := make(plotter.XYs, len(actual))
		for i, e := range actual {
			xys[i] = plotter.XY{X: x(e.End), Y: e.KWh} // steps are stamped at their ends
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return "", err
		}
		sc.Color = blue
		sc.Radius = vg.Points(2)
		pl.Add(sc)
		pl.Legend.Add("actual", sc)
	}
	pl.Y.Min = 0
	return svg(pl)
}

// anomalyChart draws a year's daily scores: the expected band, the
// consumption, spikes and dips.
func anomalyChart(meterID string, year int, days []query.Anomaly) (string, error) {
	if len(days) == 0 {
		return "", nil
	}
	n := len(days)
	poly := make(plotter.XYs, 0, 2*n)
	cons := make(plotter.XYs, n)
	var spikes, dips plotter.XYs
	for i, a := range days {
		mid := x(a.Day.Add(12 * time.Hour))
		poly = append(poly, plotter.XY{X: mid, Y: a.Upper})
		cons[i] = plotter.XY{X: mid, Y: a.Consumption}
		switch {
		case a.Flag > 0:
			spikes = append(spikes, cons[i])
		case a.Flag < 0:
			dips = append(dips, cons[i])
		}
	}
	for i := n - 1; i >= 0; i-- {
		poly = append(poly, plotter.XY{X: x(days[i].Day.Add(12 * time.Hour)), Y: days[i].Lower})
	}
	pl := newPlot(fmt.Sprintf("Daily consumption and anomalies of %s in %d", meterID, year), "kWh per day",
		days[n-1].Day.Sub(days[0].Day)+24*time.Hour)
	bandP, err := plotter.NewPolygon(poly)
	if err != nil {
		return "", err
	}
	bandP.Color = bandG
	bandP.LineStyle.Width = 0
	line, err := plotter.NewLine(cons)
	if err != nil {
		return "", err
	}
	line.Color = blue
	pl.Add(bandP, line)
	pl.Legend.Add("expected range", bandP)
	pl.Legend.Add("consumption", line)
	for _, s := range []struct {
		xys   plotter.XYs
		name  string
		c     color.Color
		shape draw.GlyphDrawer
	}{{spikes, fmt.Sprintf("spikes (%d)", len(spikes)), red, draw.TriangleGlyph{}}, {dips, fmt.Sprintf("dips (%d)", len(dips)), green, draw.TriangleGlyph{}}} {
		if len(s.xys) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(s.xys)
		if err != nil {
			return "", err
		}
		sc.Color = s.c
		sc.Shape = s.shape
		sc.Radius = vg.Points(4)
		pl.Add(sc)
		pl.Legend.Add(s.name, sc)
	}
	pl.Y.Min = 0
	return svg(pl)
}
