package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/openmda/mda"
	"github.com/openmda/mda/examples/server/web"
)

// runServe serves the lake's HTTP API and the meter page (package
// examples/server/web) until interrupted. API keys are required unless
// --addr is loopback.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "[--lake URL] [--addr HOST:PORT] [--api-key KEY]...", stderr)
	lakeURL := fs.String("lake", mda.DefaultLakeURL, "lake bucket URL")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address; other than loopback needs --api-key")
	tz := fs.String("tz", "", "time zone where days, months and date parameters begin, e.g. Australia/Sydney (default: MDA_TZ, else UTC)")
	var keys []string
	fs.Func("api-key", "API key clients send as \"Authorization: Bearer KEY\" (repeatable; also MDA_API_KEYS, comma-separated)", func(s string) error {
		if s == "" {
			return fmt.Errorf("empty key")
		}
		keys = append(keys, s)
		return nil
	})
	if err := parse(fs, args); err != nil {
		return err
	}
	loc, err := web.Location(*tz)
	if err != nil {
		return fmt.Errorf("--tz: %w", err)
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	for k := range strings.SplitSeq(os.Getenv("MDA_API_KEYS"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	lake, err := openLakeToRead(ctx, *lakeURL)
	if err != nil {
		return err
	}
	defer lake.Close()
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	return web.Serve(ctx, lake, *addr, &web.ServeOptions{APIKeys: keys, Logger: logger, Location: loc, Ready: func(a net.Addr) {
		fmt.Fprintf(stdout, "serving %s on http://%s/ui/ (API at http://%s/)\n", *lakeURL, a, a)
	}})
}
