package main

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openmda/mda/examples/server/web"
)

func TestRefusesPublicAddressWithoutKey(t *testing.T) {
	t.Setenv("MDA_API_KEYS", "")
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"--lake", "mem://", "--addr", "0.0.0.0:0"}, &stderr)
	if !errors.Is(err, web.ErrNoKey) {
		t.Fatalf("err %v, want ErrNoKey", err)
	}
}

func TestServesUntilCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // shut down as soon as it listens
	var stderr bytes.Buffer
	if err := run(ctx, []string{"--lake", "mem://", "--addr", "127.0.0.1:0"}, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "open http://127.0.0.1:") {
		t.Errorf("stderr %q", stderr.String())
	}
}

// TestDemoLake: --demo serves a lake with weather and topology, so that
// the page shows every panel.
func TestDemoLake(t *testing.T) {
	lake, err := demoLake(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer lake.Close()
	h := web.New(lake, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/ui/", nil))
	body := w.Body.String()
	for _, want := range []string{`<figure id="consumption">`, `<figure id="weather">`, `<figure id="forecast">`, `<figure id="anomalies">`,
		`<th>Service transformer</th>`, `<table id="voltvar"`} {
		if w.Code != 200 || !strings.Contains(body, want) {
			t.Errorf("status %d, page lacks %q", w.Code, want)
		}
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/weather?from=20240301&to=20240307", nil))
	if w.Code != 200 || strings.Count(w.Body.String(), `"time"`) != 7*24 {
		t.Errorf("/weather: %d, %d observations", w.Code, strings.Count(w.Body.String(), `"time"`))
	}
}
