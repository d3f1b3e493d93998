package httpsource_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openmda/mda/hes"
	"github.com/openmda/mda/hes/drivertest"
	"github.com/openmda/mda/hes/httpsource"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/simulator"
)

// clock is the head-end's and the client's clock, advanced by tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

const (
	apiKey = "test-key"
	lag    = time.Minute
)

type harness struct {
	g     *simulator.Generator
	srv   *httptest.Server
	clock *clock
	upto  time.Time // the limit of the windows the sources may request
	opts  httpsource.Options
}

func newHarness(t testing.TB, hopts *simulator.HESOptions) *harness {
	g, err := simulator.New(&simulator.Options{Meters: 3, Days: 2, LateFraction: 0.1, LateOffset: 6 * time.Hour, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	start := g.Options().Start
	h := &harness{g: g, clock: &clock{t: start.Add(lag)}, upto: start}
	o := *hopts
	o.APIKey, o.Now = apiKey, h.clock.Now
	h.srv = httptest.NewServer(simulator.NewHES(g, &o))
	h.opts = httpsource.Options{APIKey: apiKey, Start: start, Window: time.Hour, Lag: lag, Now: h.clock.Now,
		PollInterval: time.Millisecond, Backoff: time.Millisecond, MaxAttempts: 2}
	return h
}

func (h *harness) MakeSource(ctx context.Context) (*hes.Source, error) {
	return httpsource.New(h.srv.URL, "hes", &h.opts)
}

// Add advances the clock by 2h and returns the lines that arrived meanwhile.
func (h *harness) Add(ctx context.Context) ([]string, error) {
	from, to := h.upto, h.upto.Add(2*time.Hour)
	h.upto = to
	h.clock.Set(to.Add(lag))
	return linesBetween(h.g, from, to)
}

// linesBetween returns the CSV lines of g that arrived in [from, to).
func linesBetween(g *simulator.Generator, from, to time.Time) ([]string, error) {
	var out []string
	err := g.Lines(func(l *meter.HESLine) error {
		if !l.Arrival.Before(from) && l.Arrival.Before(to) {
			out = append(out, strings.TrimSuffix(string(meter.AppendHESCSV(nil, l)), "\n"))
		}
		return nil
	})
	return out, err
}

func (h *harness) Crashed(ctx context.Context) error { return nil }
func (h *harness) MaxAttempts() int                  { return 2 }
func (h *harness) Concurrent() bool                  { return false }
func (h *harness) Close()                            { h.srv.Close() }

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts simulator.HESOptions
	}{
		{"Reliable", simulator.HESOptions{}},
		{"Flaky", simulator.HESOptions{FailEvery: 7, FailFileEvery: 3, PollsPerStep: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			drivertest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (drivertest.Harness, error) {
				return newHarness(t, &tc.opts), nil
			})
		})
	}
}
