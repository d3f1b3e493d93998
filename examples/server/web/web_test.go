package web_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"

	"github.com/openmda/mda/api"
	"github.com/openmda/mda/examples/server/web"
	"github.com/openmda/mda/query/querytest"
)

func testSite(t *testing.T, opts *web.Options) (http.Handler, *querytest.Lake) {
	t.Helper()
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	l, err := querytest.Build(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return web.New(b, opts), l
}

func get(h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

var svgRe = regexp.MustCompile(`(?s)<figure id="(\w+)"><svg.*?</svg>`)

func TestPage(t *testing.T) {
	h, l := testSite(t, nil)
	w := get(h, "/ui/?meter="+l.MeterIDs[1]+"&from=2024-03-01&to=2024-03-03&period=day")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	body := w.Body.String()
	var figs []string
	for _, m := range svgRe.FindAllStringSubmatch(body, -1) {
		figs = append(figs, m[1])
		if !strings.Contains(m[0], "<path") {
			t.Errorf("chart %s has no paths", m[1])
		}
	}
	if strings.Join(figs, ",") != "consumption,forecast,anomalies" {
		t.Errorf("charts %v", figs)
	}
	for _, want := range []string{"selected>" + l.MeterIDs[1], "Consumption of " + l.MeterIDs[1], "P10–P90", "P50", "/consumption/" + l.MeterIDs[1] + "?"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script") {
		t.Error("page has a script")
	}
	// A lake without weather and topology says so, without an error.
	for _, want := range []string{`id="no-weather">No weather in the lake.<`, `id="no-topology">No topology in the lake.<`, `id="no-outages"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, `class="error"`) || strings.Contains(body, `id="voltvar"`) {
		t.Error("error or volt-var on a lake without weather and topology")
	}
	// The root redirects, the API is there.
	if w := get(h, "/"); w.Code != http.StatusFound || w.Header().Get("Location") != "/ui/" {
		t.Errorf("/: %d %v", w.Code, w.Header())
	}
	if w := get(h, "/meters"); w.Code != 200 {
		t.Errorf("/meters: %d", w.Code)
	}
	for _, q := range []string{"meter=a%20b", "meter=..", "from=yesterday", "period=month", "from=2024-03-05&to=2024-03-01"} {
		if w := get(h, "/ui/?"+q); w.Code != 400 || !strings.Contains(w.Body.String(), `class="error"`) {
			t.Errorf("%s: %d", q, w.Code)
		}
	}
}

func TestPageAuth(t *testing.T) {
	h, _ := testSite(t, &web.Options{API: &api.Options{RequireAuth: true, APIKeys: []string{"k"}}})
	if w := get(h, "/ui/"); w.Code != 401 || len(w.Header().Values("WWW-Authenticate")) != 2 {
		t.Errorf("no key: %d %v", w.Code, w.Header())
	}
	r := httptest.NewRequest("GET", "/ui/", nil)
	r.SetBasicAuth("", "k")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Errorf("basic auth: %d", w.Code)
	}
	if w := get(h, "/meters", "Authorization", "Bearer k"); w.Code != 200 {
		t.Errorf("api with key: %d", w.Code)
	}
	if w := get(h, "/meters"); w.Code != 401 {
		t.Errorf("api without key: %d", w.Code)
	}
}

// TestBrowser drives the page in headless Chromium on a demo lake and
// checks the DOM it renders: four inline SVG charts with drawn data
// (consumption, temperature, forecast, anomalies), the meter's place in
// the topology, its outage and its service transformer's volt-var panel.
func TestBrowser(t *testing.T) {
	bin := os.Getenv("CHROMIUM")
	if bin == "" {
		for _, c := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
			if _, err := os.Stat(c); err == nil {
				bin = c
				break
			}
		}
	}
	if bin == "" {
		t.Skip("no Chromium: install the Debian package chromium (or set CHROMIUM) to run the browser test")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short")
	}
	h, d := demoSite(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	target := "http://" + ln.Addr().String() + "/ui/?meter=" + d.Meter + "&from=2024-03-01&to=2024-03-03&period=hour"

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", "--dump-dom", target)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("chromium: %v\n%s", err, stderr)
	}
	dom := string(out)
	// The DOM Chromium built, not our bytes: each figure holds an svg
	// element with paths (lines, band, points) and the chart's texts.
	for _, id := range []string{"consumption", "weather", "forecast", "anomalies"} {
		re := regexp.MustCompile(`(?s)<figure id="` + id + `">\s*<svg[^>]*>(.*?)</svg>`)
		m := re.FindStringSubmatch(dom)
		if m == nil {
			t.Errorf("DOM has no %s chart:\n%.2000s", id, dom)
			continue
		}
		if n := strings.Count(m[1], "<path"); n < 10 {
			t.Errorf("%s chart: %d paths, want a drawn chart", id, n)
		}
	}
	for _, want := range []string{"Consumption of " + d.Meter, "P10–P90", "<option value=\"" + d.MeterIDs[0] + "\"", "Temperature, °C per hour"} {
		if !strings.Contains(dom, want) {
			t.Errorf("DOM lacks %q", want)
		}
	}
	// The panels: the topology table with the meter's service
	// transformer, the outage of that transformer marked as the meter's,
	// the volt-var table; each with a link to its API route.
	for _, re := range []string{
		`(?s)<section id="topology">.*<th>Service transformer</th><td class="id">` + d.ST + `.*href="/topology/meter/` + d.Meter + `".*</section>`,
		`(?s)<section id="grid">.*<tr class="mine"><td>2024-03-02 10:00 UTC</td><td>2024-03-02 12:00 UTC</td>.*` + d.ST + `.*href="/outage\?[^"]+".*</section>`,
		`(?s)<p id="voltvar-title">[^<]*<span class="id">` + d.ST + `</span>[^<]*</p>\s*<table id="voltvar" class="kv">.*<th>Mean voltage</th><td>2\d\d\.\d\d V</td>.*href="/voltvar/` + d.ST + `\?at=[^"]+"`,
		`<figcaption>Temperature from 2024-03-01 to 2024-03-03: -?\d+\.\d to -?\d+\.\d °C\. Data: <a href="/weather\?from=2024-03-01&amp;to=2024-03-03">JSON</a>`,
	} {
		if !regexp.MustCompile(re).MatchString(dom) {
			t.Errorf("DOM does not match %s", re)
		}
	}
	t.Logf("Chromium rendered %d bytes of DOM with %d svg elements", len(dom), strings.Count(dom, "<svg"))
}
