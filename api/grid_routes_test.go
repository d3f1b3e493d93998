package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/api"
)

// TestGridRoutesMounted: the grid analytics answer through the API, with
// 400s for bad parameters and 404s for what the lake lacks, never a 500.
func TestGridRoutesMounted(t *testing.T) {
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	h := api.New(lake, nil)
	tests := []struct {
		path string
		code int
	}{
		{"/outage?from=yesterday&to=today", http.StatusBadRequest},
		{"/outage?from=2024-03-02T00:00:00Z&to=2024-03-01T00:00:00Z", http.StatusBadRequest},
		{"/topology/smart_meter", http.StatusNotFound},
		{"/topology/no_such_table", http.StatusNotFound},
		{"/voltvar/t1", http.StatusNotFound},
		{"/outage?from=20240308&to=20240301", http.StatusBadRequest},
		{"/outage?format=arrow", http.StatusBadRequest},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		var body map[string]any
		if rec.Code != tt.code || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
			t.Errorf("GET %s: %d %s, want %d and JSON", tt.path, rec.Code, rec.Body, tt.code)
		}
	}
}

// TestGridRoutesCSV: the grid routes that answer rows take format=csv, as
// the API's routes do.
func TestGridRoutesCSV(t *testing.T) {
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	h := api.New(lake, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/outage?from=2024-03-01&to=2024-03-01&format=csv", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), api.CSV) || !strings.HasPrefix(rec.Body.String(), "level,id,start,end,") {
		t.Errorf("GET /outage?format=csv: %d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}
