package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/api"
)

// ErrNoKey is returned by Serve for a listen address other than loopback
// without any API key.
var ErrNoKey = errors.New("web: an API key is required to listen on an address other than loopback")

// Serve serves the site on addr until ctx is done, then shuts down
// gracefully. Keys are required, and RequireAuth set, unless addr is
// loopback (api.IsLoopback); keys given for a loopback address are
// required too. ready, if not nil, is called with the bound address once
// the server listens (useful with port 0).
func Serve(ctx context.Context, lake *blob.Bucket, addr string, keys []string, logger *slog.Logger, ready func(net.Addr)) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	loopback := api.IsLoopback(addr)
	if !loopback && len(keys) == 0 {
		return fmt.Errorf("%w (%s): pass --api-key", ErrNoKey, addr)
	}
	ao := &api.Options{RequireAuth: !loopback || len(keys) > 0, APIKeys: keys, Logger: logger}
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
	logger.Info("serving", "addr", ln.Addr().String(), "auth", ao.RequireAuth)
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
