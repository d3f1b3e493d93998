package dataflow_test

import (
	"bytes"
	"context"
	"testing"
	"testing/fstest"

	"gocloud.dev/blob"

	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/simulator"
)

func yearOfWeather(b *testing.B) []byte {
	g, _ := simulator.New(&simulator.Options{Meters: 1, Days: 365})
	var buf bytes.Buffer
	if _, err := g.WriteWeatherCSV(&buf, nil); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkParseMeteostatCSV(b *testing.B) {
	data := yearOfWeather(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := dataflow.ParseMeteostatCSV(bytes.NewReader(data), "sim"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWeatherFlow loads a year into a lake that already has it: every
// day is read, merged and rewritten.
func BenchmarkWeatherFlow(b *testing.B) {
	ctx := context.Background()
	src := fstest.MapFS{"year.csv": {Data: yearOfWeather(b)}}
	lake, _ := blob.OpenBucket(ctx, "mem://")
	defer lake.Close()
	for b.Loop() {
		if err := dataflow.Run(ctx, dataflow.NewWeatherFlow(nil), src, lake, nil); err != nil {
			b.Fatal(err)
		}
	}
}
