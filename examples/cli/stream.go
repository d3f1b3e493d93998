package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/pubsub"

	"github.com/openmda/mda"
	"github.com/openmda/mda/hes"
	"github.com/openmda/mda/meter"
)

// runStream lands a stream of read records in the inbound bucket and
// ingests each landed object: the guidance's Kinesis stream and Firehose
// delivery, on any gocloud.dev pubsub subscription.
func runStream(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("stream", "--sub URL [flags]", stderr)
	subURL := fs.String("sub", "", "subscription of JSON read records: nats://<subject> (server from NATS_SERVER_URL), awssqs://..., mem://<topic> (this process)")
	name := fs.String("name", "stream", "source name: objects land under "+hes.LandingPrefix+"<name>/yyyy/mm/dd/hh/")
	lakeURL := fs.String("lake", mda.DefaultLakeURL, "lake bucket URL")
	inboundURL := fs.String("inbound", "", "inbound bucket URL (default: the lake)")
	maxAge := fs.Duration("max-age", hes.DefaultStreamMaxAge, "land an object once its first record is this old")
	maxBytes := fs.Int("max-bytes", hes.DefaultStreamMaxBytes, "land an object once it holds this many bytes")
	idle := fs.Duration("idle", 0, "stop after no record for this long (0: run until interrupted)")
	voltage := fs.String("voltage-unit", "kV", "unit of vltg records without a unit: kV (the guidance's) or V")
	noIngest := fs.Bool("no-ingest", false, "only land the objects")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *subURL == "" {
		return usageError(fs, "--sub is required")
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *voltage != "kV" && *voltage != "V" {
		return fmt.Errorf("--voltage-unit %q: want kV or V", *voltage)
	}
	lake, inbound, closeBuckets, err := openLakeAndInbound(ctx, *lakeURL, *inboundURL)
	if err != nil {
		return err
	}
	defer closeBuckets()
	sub, err := pubsub.OpenSubscription(ctx, *subURL)
	if err != nil {
		return fmt.Errorf("mda stream: %w", err)
	}
	defer sub.Shutdown(context.WithoutCancel(ctx))
	o := &hes.StreamOptions{MaxAge: *maxAge, MaxBytes: *maxBytes, Idle: *idle,
		OnLanded: func(key string, messages, records int) {
			fmt.Fprintf(stdout, "landed %s: %d messages, %d records\n", key, messages, records)
		}}
	if !*noIngest {
		formats := &mda.FormatOptions{JSONLines: &meter.JSONLinesOptions{VoltageUnit: *voltage}}
		o.Process = func(ctx context.Context, in *blob.Bucket, key string) error {
			st, err := mda.Ingest(ctx, lake, in, key, &mda.IngestOptions{Inbound: in, Format: meter.JSONLinesFormat, Formats: formats})
			if err == nil {
				fmt.Fprintf(stdout, "ingested %s: %d records, %d reads staged (%d late, %d late events), %d quarantined\n",
					key, st.Lines, st.Staged, st.Late, st.LateEvents, st.Quarantined)
			}
			return err
		}
	}
	start := time.Now()
	st, err := hes.LandStream(ctx, sub, inbound, *name, o)
	fmt.Fprintf(stdout, "stream %s: %d messages, %d records in %d objects (%d bytes) in %v\n", *name, st.Messages, st.Records, st.Objects, st.Bytes,
		time.Since(start).Round(time.Millisecond))
	if errors.Is(err, context.Canceled) {
		return nil // interrupted, after landing what it held
	}
	return err
}
