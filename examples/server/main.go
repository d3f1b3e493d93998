package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"testing/fstest"

	"gocloud.dev/blob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/examples/server/web"
	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/query/querytest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// keyList is a repeatable flag.
type keyList []string

func (k *keyList) String() string     { return strings.Join(*k, ",") }
func (k *keyList) Set(s string) error { *k = append(*k, s); return nil }

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lakeURL := fs.String("lake", mda.DefaultLakeURL, "lake bucket URL")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	tz := fs.String("tz", "", "time zone where days, months and date parameters begin, e.g. Australia/Sydney (default: MDA_TZ, else UTC)")
	demo := fs.Bool("demo", false, "serve a simulated 20-meter, 7-day lake held in memory")
	var keys keyList
	fs.Var(&keys, "api-key", "API key (repeatable); required unless --addr is loopback")
	if err := fs.Parse(args); err != nil {
		return err
	}
	loc, err := web.Location(*tz)
	if err != nil {
		return err
	}
	if env := os.Getenv("MDA_API_KEYS"); env != "" {
		for k := range strings.SplitSeq(env, ",") {
			if k = strings.TrimSpace(k); k != "" {
				keys = append(keys, k)
			}
		}
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	var lake *blob.Bucket
	if *demo {
		logger.Info("simulating a demo lake")
		lake, err = demoLake(ctx)
	} else {
		lake, err = mda.OpenBucket(ctx, *lakeURL)
	}
	if err != nil {
		return err
	}
	defer lake.Close()
	return web.Serve(ctx, lake, *addr, &web.ServeOptions{APIKeys: keys, Logger: logger, Location: loc, Ready: func(a net.Addr) {
		fmt.Fprintf(stderr, "open http://%s/ui/\n", a)
	}})
}

// demoLake simulates 20 meters x 7 days into a lake in memory, with
// forecasts and anomalies (package querytest), and loads the generator's
// weather and topology through their dataflows, as mda demo does.
func demoLake(ctx context.Context) (*blob.Bucket, error) {
	lake, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		return nil, err
	}
	l, err := querytest.Build(ctx, lake, &querytest.Options{Meters: 20, Days: 7})
	if err != nil {
		lake.Close()
		return nil, err
	}
	fsys := fstest.MapFS{}
	var buf bytes.Buffer
	if _, err = l.Gen.WriteWeatherCSV(&buf, nil); err != nil {
		lake.Close()
		return nil, err
	}
	fsys["weather/hourly.csv"] = &fstest.MapFile{Data: bytes.Clone(buf.Bytes())}
	topo, err := l.Gen.Topology(nil)
	if err != nil {
		lake.Close()
		return nil, err
	}
	for _, table := range topology.TableNames {
		buf.Reset()
		if err := topo.EncodeJSON(&buf, table); err != nil {
			lake.Close()
			return nil, err
		}
		fsys["topology/"+table+".json"] = &fstest.MapFile{Data: bytes.Clone(buf.Bytes())}
	}
	for _, f := range []dataflow.Flow{
		dataflow.NewWeatherFlow(&dataflow.WeatherOptions{Files: []string{"weather/hourly.csv"}}),
		dataflow.NewTopologyFlow(&dataflow.TopologyOptions{Dir: "topology"}),
	} {
		if err := dataflow.Run(ctx, f, fsys, lake, nil); err != nil {
			lake.Close()
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
	}
	return lake, nil
}
