package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/api"
)

// ErrNoKey is returned by Serve for a listen address other than loopback
// without any API key.
var ErrNoKey = errors.New("web: an API key is required to listen on an address other than loopback")

// ServeOptions configure Serve; nil means no keys, no logging, UTC.
type ServeOptions struct {
	// APIKeys are the keys clients must send (see Serve).
	APIKeys []string
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// Ready, if not nil, is called with the bound address once the
	// server listens (useful with port 0).
	Ready func(net.Addr)
	// Location is where days, months and date parameters begin (the
	// utility's time zone); nil means UTC.
	Location *time.Location
}

// Serve serves the site on addr until ctx is done, then shuts down
// gracefully. Keys are required, and RequireAuth set, unless addr is
// loopback (api.IsLoopback); keys given for a loopback address are
// required too.
func Serve(ctx context.Context, lake *blob.Bucket, addr string, opts *ServeOptions) error {
	var o ServeOptions
	if opts != nil {
		o = *opts
	}
	logger, keys, ready := o.Logger, o.APIKeys, o.Ready
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	loopback := api.IsLoopback(addr)
	if !loopback && len(keys) == 0 {
		return fmt.Errorf("%w (%s): pass --api-key", ErrNoKey, addr)
	}
	ao := &api.Options{RequireAuth: !loopback || len(keys) > 0, APIKeys: keys, Logger: logger, Location: o.Location}
	srv := &http.Server{
		Addr:              addr,
		Handler:           New(lake, &Options{API: ao}),
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      api.DefaultTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	if ready != nil {
		ready(ln.Addr())
	}
	logger.Info("serving", "addr", ln.Addr().String(), "auth", ao.RequireAuth, "tz", ao.Location.String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return fmt.Errorf("web: shutdown: %w", err)
	}
	return nil
}

// Location returns the time zone named name (an IANA name such as
// Australia/Sydney), or if name is empty the one the MDA_TZ environment
// variable names, else UTC.
func Location(name string) (*time.Location, error) {
	if name == "" {
		name = os.Getenv("MDA_TZ")
	}
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("web: time zone %q: %w", name, err)
	}
	return loc, nil
}
