package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/examples/lambda/internal/lambdatest"
	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/simulator"
)

// objectCreated is the EventBridge event of an object created in the
// inbound bucket.
func objectCreated(t *testing.T, key string) events.EventBridgeEvent {
	t.Helper()
	raw := fmt.Sprintf(`{"version":"0","id":"ev","detail-type":"Object Created","source":"aws.s3","time":"2024-03-03T00:00:00Z",`+
		`"detail":{"bucket":{"name":%q},"object":{"key":%q},"reason":"PutObject"}}`, lambdatest.InboundBucket, key)
	var ev events.EventBridgeEvent
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestDataflow drops, on an S3 inbound bucket, a weather file under its
// station's folder and a topology set one file at a time: the weather
// lands in the lake's weather table with the folder's station; the
// topology set waits until its four required tables are there, and the
// last file loads the whole set. Both are registered in the catalog.
func TestDataflow(t *testing.T) {
	ctx := context.Background()
	env := lambdatest.New(t)
	catDir := t.TempDir()
	env.Vars["MDA_CATALOG_URL"] = "file://" + filepath.ToSlash(catDir)
	env.Vars["MDA_CATALOG_LOCATION"] = "s3://lake/"
	h, err := handler.NewDataflow(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "info"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := simulator.New(&simulator.Options{Meters: 4, Days: 2, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	d1 := simulator.DefaultStart
	var csv bytes.Buffer
	if _, err := g.WriteWeatherCSV(&csv, &simulator.WeatherOptions{From: d1, To: d1.Add(48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	lambdatest.Put(t, env.Inbound, "weather/KSEA/2024-03.csv", csv.Bytes())
	res, err := h.Handle(ctx, objectCreated(t, "weather/KSEA/2024-03.csv"))
	if err != nil || res.Flow != "weather" || res.Skipped != "" || res.Rows != 48 {
		t.Fatalf("weather: %+v, %v; want 48 rows loaded", res, err)
	}
	rows, err := dataflow.ReadWeather(ctx, env.Lake, d1, d1.Add(48*time.Hour))
	if err != nil || len(rows) != 48 || rows[0].Station != "KSEA" {
		t.Fatalf("weather table: %d rows (%v), first %+v; want 48 of station KSEA", len(rows), err, rows)
	}
	// A nested folder keeps its station; a key sent URL-encoded (as S3
	// notifications send them) is decoded.
	lambdatest.Put(t, env.Inbound, "weather/KBFI/2024/03.csv", csv.Bytes())
	lambdatest.Put(t, env.Inbound, "weather/Boeing Field/03.csv", csv.Bytes())
	for key, sent := range map[string]string{"weather/KBFI/2024/03.csv": "weather/KBFI/2024/03.csv", "weather/Boeing Field/03.csv": "weather/Boeing+Field/03.csv"} {
		if res, err := h.Handle(ctx, objectCreated(t, sent)); err != nil || res.Key != key || res.Skipped != "" {
			t.Fatalf("%s: %+v, %v; want %s loaded", sent, res, err, key)
		}
	}
	rows, _ = dataflow.ReadWeather(ctx, env.Lake, d1, d1.Add(48*time.Hour))
	stations := map[string]int{}
	for _, r := range rows {
		stations[r.Station]++
	}
	if diff := cmp.Diff(map[string]int{"KSEA": 48, "KBFI": 48, "Boeing Field": 48}, stations); diff != "" {
		t.Errorf("rows per station (-want +got):\n%s", diff)
	}

	topo, err := g.Topology(nil)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	dir := t.TempDir()
	if err := topo.WriteJSONDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range topology.TableNames {
		data, err := readFile(filepath.Join(dir, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = data
	}
	required := topology.RequiredTables()
	loaded := 0
	for i, name := range topology.TableNames {
		key := "topology/seattle/" + name + ".json"
		lambdatest.Put(t, env.Inbound, key, files[name])
		res, err := h.Handle(ctx, objectCreated(t, key))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if res.Skipped == "" {
			loaded++
		}
		if i == len(topology.TableNames)-1 && res.Skipped != "" {
			t.Fatalf("the last file of the set: %+v; want the set loaded", res)
		}
	}
	// Loaded once all four required tables were there, then on every
	// later file: the tables come in TableNames order.
	if first := lastIndex(topology.TableNames, required); loaded != len(topology.TableNames)-first {
		t.Errorf("the set loaded %d times, want %d", loaded, len(topology.TableNames)-first)
	}
	// The lake holds the whole set.
	back, err := topology.ReadLake(ctx, env.Lake)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(topo.Counts(), back.Counts()); diff != "" {
		t.Errorf("topology tables in the lake (-want +got):\n%s", diff)
	}
	cat, err := catalog.OpenCatalog(ctx, env.Vars["MDA_CATALOG_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	ps, err := cat.ListPartitions(ctx, catalog.DatabaseIntegrated, catalog.WeatherTableName, nil)
	if err != nil || len(ps) != 2 {
		t.Errorf("weather partitions %v (%v), want the 2 days", ps, err)
	}
	for _, name := range topology.TableNames {
		tb, err := cat.GetTable(ctx, catalog.DatabaseIntegrated, catalog.TopologyTablePrefix+name)
		if err != nil {
			t.Errorf("topology table %s: %v", name, err)
			continue
		}
		if diff := cmp.Diff("s3://lake/topology/"+name+"/", tb.Location); diff != "" {
			t.Errorf("%s location (-want +got):\n%s", name, diff)
		}
	}
	for _, key := range []string{"weather/readme.txt", "elsewhere/x.csv", "topology/loose.json", "weather/gone.csv"} {
		if res, err := h.Handle(ctx, objectCreated(t, key)); err != nil || res.Skipped == "" {
			t.Errorf("%s: %+v, %v; want it skipped", key, res, err)
		}
	}
	other := objectCreated(t, "weather/x.csv")
	other.Detail = json.RawMessage(`{"bucket":{"name":"someone-elses"},"object":{"key":"weather/x.csv"}}`)
	if _, err := h.Handle(ctx, other); err == nil {
		t.Error("an event of another bucket: no error")
	}
}

// lastIndex returns the highest index in names of any of want.
func lastIndex(names, want []string) int {
	last := -1
	for i, n := range names {
		for _, w := range want {
			if n == w {
				last = i
			}
		}
	}
	return last
}

func readFile(p string) ([]byte, error) { return os.ReadFile(p) }
