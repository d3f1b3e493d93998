package handler

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/hes"
	_ "github.com/openmda/mda/hes/dropsource" // drop+s3:// and drop+file:// sources
	_ "github.com/openmda/mda/hes/httpsource" // hes+http(s):// sources
	_ "github.com/openmda/mda/hes/sftpsource" // sftp:// sources
)

// Fetcher is the scheduled head-end downloader: every run (rate(5
// minutes) in template.yaml) lands the new objects of one source in the
// inbound bucket under hes.LandingPrefix, where the bucket's
// object-created events start the inbound function. The source is any
// that hes.OpenSource opens: the head-end system's HTTP API (hes+https://,
// windows of reads with a watermark), a drop folder (drop+s3://) or an
// SFTP server (sftp://).
//
// The source's position is saved in the inbound bucket (hes.State) only
// once the object it accounts for is durable there, so a run that dies at
// any point loses nothing and lands the object again under the same key;
// the inbound function skips an object the lake has already ingested.
// It replaces the guidance's orchestrator Lambda, DynamoDB integrations
// table and "Readings Downloader" state machine, whose watermark moved by
// its window rather than by the data (losing about half of the reads),
// stood still on an empty window for good, and stopped the integration
// for ever after one error: here an empty window is acknowledged and
// passed, and a failed run is simply the next run's to retry. A window the
// head-end keeps failing to export (its status "failed" after every
// retry) holds the head-end source there, failing every run, until the
// head-end exports it or an operator moves the source's state
// (hes.StateKey) past it: stepping over it would lose its reads.
type Fetcher struct {
	Inbound *blob.Bucket
	Source  *hes.Source
	// Options bound each call to the source (Max objects per listing).
	Options hes.Options
	// StopReserve is how long before the function's deadline no new
	// listing starts, and CancelReserve how long before it the listing in
	// flight is cancelled (its object released, to land again next run);
	// 0 means 30s and 5s.
	StopReserve, CancelReserve time.Duration
	Logger                     *slog.Logger
}

// NewFetcher wires a Fetcher from the environment:
//
//	INBOUND_URL     the inbound bucket (required)
//	HES_SOURCE_URL  the source (required), e.g.
//	                hes+https://hes.example.com/?api_key_env=HES_API_KEY&window=15m
//	                (the API key is read from the variable it names),
//	                or drop+s3://partner-bucket/exports/?region=eu-west-1;
//	                sftp:// too (package sftpsource), with its key and
//	                known_hosts files packaged with the function
//	FETCH_MAX       objects per listing of the source (default 20); a
//	                run lists again while the source has more and time
//	                is left
//
// The source's name (its "name=" parameter, else its host and path) keys
// its landing folder and its state in the inbound bucket.
func NewFetcher(ctx context.Context, env *lambdaenv.Env, logger *slog.Logger) (*Fetcher, error) {
	inboundURL := env.Required("INBOUND_URL", "the inbound bucket, s3://<bucket>?region=<region>")
	srcURL := env.Required("HES_SOURCE_URL", "the head-end source, e.g. hes+https://<host>/?api_key_env=HES_API_KEY")
	most := env.Int("FETCH_MAX", 20)
	if err := env.Err(); err != nil {
		return nil, err
	}
	inbound, err := mda.OpenBucket(ctx, inboundURL)
	if err != nil {
		return nil, fmt.Errorf("INBOUND_URL: %w", err)
	}
	src, err := hes.OpenSource(ctx, srcURL)
	if err != nil {
		inbound.Close()
		return nil, fmt.Errorf("HES_SOURCE_URL: %w", err)
	}
	return &Fetcher{Inbound: inbound, Source: src, Options: hes.Options{Max: most, Logger: logger}, Logger: logger}, nil
}

// FetcherResult is the function's response, and the fields of its log
// line.
type FetcherResult struct {
	Source string `json:"source"`
	// Landed are the keys landed in the inbound bucket.
	Landed []string `json:"landed"`
	// Empty counts the objects without data (empty windows), acknowledged.
	Empty int `json:"empty"`
	// Failed counts the objects that failed and will be tried again.
	Failed int `json:"failed"`
	// More reports that the run stopped with more waiting at the source
	// (its time was up): the next run goes on from there.
	More      bool  `json:"more"`
	Listings  int   `json:"listings"`
	ElapsedMS int64 `json:"elapsed_ms"`
}

// Handle fetches until the source has nothing more or the run's time is
// up. Its input, the schedule's event, is ignored. No listing starts
// within StopReserve of the function's deadline, and one still going at
// CancelReserve before it is cancelled: a run that ends for lack of time
// succeeds with More set, its object in flight released to land again
// next run. Another error (the source unreachable, an object that failed)
// fails the invocation so that it shows in the function's error metric;
// what was landed stays landed and its position saved, and the next run
// resumes from there.
func (f *Fetcher) Handle(ctx context.Context, _ json.RawMessage) (FetcherResult, error) {
	t0 := time.Now()
	stop := time.Time{} // no new listing after it; zero without a deadline
	work := ctx
	if d, ok := ctx.Deadline(); ok {
		stop = d.Add(-cmp.Or(f.StopReserve, deadlineReserve))
		var cancel context.CancelFunc
		work, cancel = context.WithDeadline(ctx, d.Add(-cmp.Or(f.CancelReserve, 5*time.Second)))
		defer cancel()
	}
	res := FetcherResult{Source: f.Source.Name(), Landed: []string{}}
	var err error
	for {
		if !stop.IsZero() && !time.Now().Before(stop) {
			res.More = true
			break
		}
		var r hes.Result
		r, err = hes.Pull(work, f.Source, f.Inbound, nil, &f.Options)
		res.Listings++
		res.Landed = append(res.Landed, r.Landed...)
		res.Empty += r.Empty
		res.Failed += r.Failed
		res.More = r.More
		if err != nil && work.Err() != nil && ctx.Err() == nil {
			// Out of time, not failed: the object in flight was released.
			res.More, err = true, nil
			break
		}
		if err != nil || !r.More {
			break
		}
		// A listing that moved nothing forward (every object held by
		// another fetcher) would list the same objects again.
		if len(r.Landed) == 0 && r.Empty == 0 {
			break
		}
	}
	res.ElapsedMS = time.Since(t0).Milliseconds()
	attrs := []any{"source", res.Source, "landed", len(res.Landed), "empty", res.Empty, "failed", res.Failed,
		"more", res.More, "listings", res.Listings, "elapsed_ms", res.ElapsedMS}
	if err != nil {
		f.Logger.Error("fetch failed", append(attrs, "err", err)...)
		return res, fmt.Errorf("fetch from %s: %w", res.Source, err)
	}
	f.Logger.Info("fetched", attrs...)
	return res, nil
}
