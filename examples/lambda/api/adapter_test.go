package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/aws/aws-lambda-go/events"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"

	"github.com/openmda/mda/api"
	"github.com/openmda/mda/query/querytest"
)

func loadEvent(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestEvents serves the recorded events with the API over a simulated
// lake, whose first meter the events name.
func TestEvents(t *testing.T) {
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := querytest.Build(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	a := &Adapter{Handler: api.New(b, &api.Options{RequireAuth: true, APIKeys: []string{"test-key"}})}
	const id = "503d4c60-3ff0-3d2b-9ea0-6fb5b0078031"
	for _, tc := range []struct {
		event    string
		code     int
		base64   bool
		contains string
		check    func(t *testing.T, body []byte)
	}{
		{"consumption.json", 200, false, `"meter_id":"` + id + `"`, func(t *testing.T, body []byte) {
			var c api.Consumption
			if err := json.Unmarshal(body, &c); err != nil || len(c.Data) != 24 || c.Unit != "kWh" {
				t.Errorf("%d rows, %v", len(c.Data), err)
			}
		}},
		{"consumption-prod-stage-csv.json", 200, false, "meter_id,start,end,kwh", func(t *testing.T, body []byte) {
			recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
			if err != nil || len(recs) != 4 {
				t.Errorf("csv %d records, %v", len(recs), err)
			}
		}},
		{"forecast-arrow.json", 200, true, "", func(t *testing.T, body []byte) {
			r, err := ipc.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Release()
			var rows int64
			for r.Next() {
				rows += r.RecordBatch().NumRows()
			}
			if rows != 24 || r.Schema().Field(4).Name != "p10" {
				t.Errorf("%d rows, schema %v", rows, r.Schema())
			}
		}},
		{"meters-no-key.json", 401, false, "missing API key", nil},
		{"consumption-path-trick.json", 404, false, "unknown meter", nil}, // an id only selects reads: never a path
	} {
		t.Run(tc.event, func(t *testing.T) {
			res, err := a.Handle(ctx, loadEvent(t, tc.event))
			if err != nil {
				t.Fatal(err)
			}
			// The response survives the Lambda runtime's JSON encoding.
			data, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			var back events.APIGatewayV2HTTPResponse
			json.Unmarshal(data, &back)
			body := []byte(back.Body)
			if back.IsBase64Encoded {
				if body, err = base64.StdEncoding.DecodeString(back.Body); err != nil {
					t.Fatal(err)
				}
			}
			if back.StatusCode != tc.code || back.IsBase64Encoded != tc.base64 || !strings.Contains(string(body), tc.contains) {
				t.Fatalf("status %d, base64 %v, body %.300s", back.StatusCode, back.IsBase64Encoded, body)
			}
			if tc.check != nil {
				tc.check(t, body)
			}
		})
	}
}

func TestNewRequest(t *testing.T) {
	ev := loadEvent(t, "consumption-prod-stage-csv.json")
	ev.Cookies = []string{"a=1", "b=2"}
	ev.Body = base64.StdEncoding.EncodeToString([]byte("hello"))
	ev.IsBase64Encoded = true
	r, err := NewRequest(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path != "/consumption/503d4c60-3ff0-3d2b-9ea0-6fb5b0078031" || r.URL.Query().Get("period") != "day" ||
		r.Header.Get("Accept") != "text/csv" || r.Header.Get("Cookie") != "a=1; b=2" || string(body) != "hello" || r.RemoteAddr != "1.2.3.4" {
		t.Errorf("request %v %q %v", r.URL, body, r.Header)
	}
	ev.Body, ev.IsBase64Encoded = "%%%", true
	if _, err := NewRequest(context.Background(), ev); err == nil {
		t.Error("bad base64: no error")
	}
}

func TestNewAdapterConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	log := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	for _, tc := range []struct {
		env  map[string]string
		fail bool
	}{
		{map[string]string{}, true},
		{map[string]string{"LAKE_URL": "mem://"}, true},
		{map[string]string{"LAKE_URL": "mem://", "MDA_API_KEYS": "a, b"}, false},
		{map[string]string{"LAKE_URL": "mem://", "MDA_AUTH": "gateway"}, false},
		{map[string]string{"MDA_LAKE_URL": "mem://", "MDA_AUTH": "gateway"}, false}, // the former name
		{map[string]string{"LAKE_URL": "nope://", "MDA_API_KEYS": "a"}, true},
		{map[string]string{"LAKE_URL": "mem://", "MDA_AUTH": "gateway", "MDA_TZ": "Australia/Sydney"}, false},
		{map[string]string{"LAKE_URL": "mem://", "MDA_AUTH": "gateway", "MDA_TZ": "Mars/Olympus"}, true},
	} {
		_, err := newAdapter(ctx, env(tc.env), log)
		if (err != nil) != tc.fail {
			t.Errorf("%v: err %v", tc.env, err)
		}
	}
}

// TestResponseLimit: a response larger than Lambda may return becomes a
// 400 that says why, not API Gateway's bare 500; one within it passes.
func TestResponseLimit(t *testing.T) {
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	l, err := querytest.Build(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := events.APIGatewayV2HTTPRequest{RawPath: "/reads/" + l.MeterIDs[0], RawQueryString: "reading_date_from=20240301&reading_date_to=20240303"}
	ev.RequestContext.HTTP.Method = "GET"
	full, err := (&Adapter{Handler: api.New(b, nil)}).Handle(ctx, ev)
	if err != nil || full.StatusCode != 200 {
		t.Fatalf("status %d, %v: %.300s", full.StatusCode, err, full.Body)
	}
	var buf bytes.Buffer
	je := json.NewEncoder(&buf)
	je.SetEscapeHTML(false)
	je.Encode(full)
	enc := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	for _, tc := range []struct {
		limit, code int
	}{{len(enc), 200}, {len(enc) - 1, 400}} {
		res, err := (&Adapter{Handler: api.New(b, nil), MaxResponse: tc.limit}).Handle(ctx, ev)
		if err != nil || res.StatusCode != tc.code {
			t.Fatalf("limit %d: status %d, %v", tc.limit, res.StatusCode, err)
		}
		if tc.code == 400 && !strings.Contains(res.Body, "exceeds the") {
			t.Errorf("limit %d: %s", tc.limit, res.Body)
		}
	}
}
