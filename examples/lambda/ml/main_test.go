package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/examples/lambda/internal/lambdatest"
	"github.com/openmda/mda/forecast"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/tables"
)

const meters, days = 3, 36

// writeLake writes the simulator's hourly kW reads of meters x days into
// the lake, one file per hourly partition, as integration leaves them.
func writeLake(t *testing.T, lake *blob.Bucket) {
	t.Helper()
	g, err := simulator.New(&simulator.Options{Meters: meters, Days: days, Interval: time.Hour, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.WriteTruthLake(context.Background(), lake, "data", nil, meter.TypeKW); err != nil {
		t.Fatal(err)
	}
}

// TestML invokes the function with each scheduled job's event, in the
// order the template schedules them, on an S3 lake, with a manifest
// catalog standing in for Glue, and checks the results, the tables and
// the catalog.
func TestML(t *testing.T) {
	ctx := context.Background()
	env := lambdatest.New(t)
	writeLake(t, env.Lake)
	catURL := "file://" + filepath.ToSlash(t.TempDir())
	env.Vars["MDA_CATALOG_URL"] = catURL
	env.Vars["MEMORY_BUDGET"] = "64MiB"
	h, err := handler.NewML(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "debug"))
	if err != nil {
		t.Fatal(err)
	}
	invoke := func(event string) (handler.MLResult, error) {
		t.Helper()
		out, err := lambdatest.Invoke(ctx, h.Handle, []byte(event))
		if err != nil {
			return handler.MLResult{}, err
		}
		var res handler.MLResult
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("response %s: %v", out, err)
		}
		return res, nil
	}

	// The daily forecast may come before the first weekly training.
	if early, err := invoke(`{"job":"forecast"}`); err != nil || early.Note == "" || early.Rows != 0 {
		t.Fatalf("forecast before any training: %+v, %v; want a note and no error", early, err)
	}

	train, err := invoke(`{"job":"train"}`)
	if err != nil {
		t.Fatal(err)
	}
	if train.Meters != meters || train.Model != forecast.DefaultModel || train.Version == "" || train.Files != 1 ||
		!(train.HoldoutMASE > 0) || !(train.NaiveMASE > 0) || train.Reads != meters*days*24 {
		t.Errorf("train: %+v", train)
	}
	man, err := forecast.ReadManifest(ctx, env.Lake, "", "")
	if err != nil || man.Version != train.Version {
		t.Fatalf("latest model %q (%v), want %q", man.Version, err, train.Version)
	}

	fc, err := invoke(`{"job":"forecast"}`)
	if err != nil {
		t.Fatal(err)
	}
	if fc.Version != train.Version || fc.Meters != meters || fc.Rows != meters*168 || fc.Files != 1 || len(fc.Registered) != 1 {
		t.Errorf("forecast: %+v", fc)
	}
	start := simulator.DefaultStart.AddDate(0, 0, days)
	if want := tables.ForecastDir(forecast.DefaultModel, start.Add(-time.Hour)); len(fc.Registered) == 1 && fc.Registered[0] != want && fc.Registered[0] != tables.ForecastDir(forecast.DefaultModel, start) {
		t.Errorf("forecast registered %v, want %s", fc.Registered, want)
	}

	an, err := invoke(`{"job":"anomalies","year":2024}`)
	if err != nil {
		t.Fatal(err)
	}
	if an.Meters != meters || an.Rows == 0 || an.Rows > meters*days || !slices.Contains(an.Registered, tables.AnomalyDir(2024)) {
		t.Errorf("anomalies: %+v", an)
	}

	// What the jobs registered is in the catalog's ML database.
	cat, err := catalog.OpenCatalog(ctx, catURL)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	for _, name := range []string{catalog.ForecastResultsTableName, catalog.AnomalyResultsTableName} {
		ps, err := cat.ListPartitions(ctx, catalog.DatabaseFeatureML, name, nil)
		if err != nil || len(ps) != 1 {
			t.Errorf("%s: %d partitions registered (%v), want 1", name, len(ps), err)
		}
	}

	for _, tc := range []struct{ event, want string }{
		{`{"job":"retrain"}`, `job "retrain"`},
		{`[1, 2]`, "ml: event"},
		{`{"job":"forecast","start":"tomorrow"}`, `start "tomorrow"`},
	} {
		if _, err := invoke(tc.event); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.event, err, tc.want)
		}
	}
}

// TestMLWeather: with WEATHER_STATION set, training and the anomaly
// scores need the station's temperatures in the lake's weather table, and
// say so.
func TestMLWeather(t *testing.T) {
	ctx := context.Background()
	env := lambdatest.New(t)
	writeLake(t, env.Lake)
	env.Vars["WEATHER_STATION"] = "-"
	h, err := handler.NewML(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "debug"))
	if err != nil {
		t.Fatal(err)
	}
	if h.Train.Weather == nil || h.Train.Weather.Station != "" || h.Anomalies.Weather == nil || h.Anomalies.Weather.Station != "" {
		t.Fatalf("WEATHER_STATION=-: regressors %+v, anomalies %+v, want the station \"\"", h.Train.Weather, h.Anomalies.Weather)
	}
	_, err = lambdatest.Invoke(ctx, h.Handle, []byte(`{"job":"train"}`))
	if err == nil || !strings.Contains(err.Error(), "no temperature") {
		t.Fatalf("train without a weather table: error %v", err)
	}
	_, err = lambdatest.Invoke(ctx, h.Handle, []byte(`{"job":"anomalies"}`))
	if err == nil || !strings.Contains(err.Error(), "no temperature") {
		t.Fatalf("anomalies without a weather table: error %v", err)
	}
}

func TestMLConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"no lake", map[string]string{}, "LAKE_URL is not set"},
		{"bad window", map[string]string{"LAKE_URL": "mem://", "TRAIN_WINDOW": "8 weeks"}, `TRAIN_WINDOW="8 weeks"`},
		{"bad budget", map[string]string{"LAKE_URL": "mem://", "MEMORY_BUDGET": "lots"}, `MEMORY_BUDGET="lots"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := handler.NewML(context.Background(), lambdaenv.New(lambdaenv.Map(tc.vars)), lambdaenv.Logger(t.Output(), ""))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestMLTimeZone: MDA_TZ sets the zone of the anomaly job's days and of
// training's calendar; a zone that does not exist stops the function at
// start, before any job runs.
func TestMLTimeZone(t *testing.T) {
	ctx := context.Background()
	env := lambdatest.New(t)
	env.Vars["MDA_TZ"] = "Australia/Sydney"
	h, err := handler.NewML(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "debug"))
	if err != nil {
		t.Fatal(err)
	}
	if h.Anomalies.Location == nil || h.Anomalies.Location.String() != "Australia/Sydney" || h.Train.Location != h.Anomalies.Location {
		t.Errorf("anomalies in %v, training in %v; want Australia/Sydney", h.Anomalies.Location, h.Train.Location)
	}
	env.Vars["MDA_TZ"] = "Mars/Olympus"
	if _, err := handler.NewML(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "debug")); err == nil || !strings.Contains(err.Error(), "MDA_TZ") {
		t.Errorf("MDA_TZ=Mars/Olympus: %v, want an error naming MDA_TZ", err)
	}
}
