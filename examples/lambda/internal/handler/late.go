package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"gocloud.dev/blob"

	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/late"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/staging"
)

// Late is the late-read function: the workers publish a late.Event for each
// source and partition with late reads, once every range of the source has
// committed (see package late), and this function re-integrates the
// partitions they name at once (late.Handler), so that a correction is in
// the lake within seconds instead of at the next scheduled integration.
//
// The events arrive in batches from an SQS queue, either as sent
// (LATE_TOPIC_URL=awssqs://...) or wrapped in an SNS envelope (an SNS topic
// fanned out to the queue without raw message delivery). Like Worker, it
// answers with a partial batch response.
type Late struct {
	Lake *blob.Bucket
	// Integrate configures the re-integrations; LockTTL is raised per
	// invocation to outlast the function's deadline. Its Register is
	// replaced when Registrar is set.
	Integrate staging.IntegrateOptions
	// Registrar, if set, registers the partitions that each
	// re-integration compacts in a catalog (Glue, for Athena), creating
	// the database and the readings table if they do not exist, as the
	// scheduled integrator does (late.HandlerOptions.Register). Nil
	// registers nothing.
	Registrar *catalog.Registrar
	Logger    *slog.Logger
}

// NewLate wires a Late from the environment:
//
//	LAKE_URL   the lake bucket (required)
//	LOCK_WAIT  how long to wait for a partition that another integrator
//	           holds before leaving the event for redelivery (default 20s)
//	MDA_CATALOG_URL  the catalog to register partitions in, as for the
//	           integrator: glue://DATABASE?region=<region> for the Glue
//	           Data Catalog, or a bucket URL for a JSON manifest catalog
//	           (default, or "none": nothing is registered)
//	MDA_CATALOG_LOCATION  the lake's root as query engines see it
//	           (default: from LAKE_URL, s3://<bucket>/)
func NewLate(ctx context.Context, env *lambdaenv.Env, logger *slog.Logger) (*Late, error) {
	lakeURL := env.Required("LAKE_URL", "the lake bucket, s3://<bucket>?region=<region>")
	wait := env.Duration("LOCK_WAIT", 20*time.Second)
	catURL, catLoc := catalogEnv(env, lakeURL)
	if err := env.Err(); err != nil {
		return nil, err
	}
	lake, reg, err := openLakeAndRegistrar(ctx, lakeURL, catURL, catLoc)
	if err != nil {
		return nil, err
	}
	return &Late{Lake: lake, Integrate: staging.IntegrateOptions{LockWait: wait, Logger: logger}, Registrar: reg, Logger: logger}, nil
}

// catalogEnv reads MDA_CATALOG_URL ("" for none) and MDA_CATALOG_LOCATION
// (derived from lakeURL if unset), recording a problem in env.
func catalogEnv(env *lambdaenv.Env, lakeURL string) (catURL, catLoc string) {
	catURL = env.Get("MDA_CATALOG_URL")
	if catURL == "none" {
		catURL = ""
	}
	catLoc = env.Get("MDA_CATALOG_LOCATION")
	if catURL != "" && catLoc == "" && lakeURL != "" {
		var err error
		if catLoc, err = catalog.LakeLocation(lakeURL); err != nil {
			env.Fail(fmt.Errorf("LAKE_URL: %w", err))
		}
	}
	return catURL, catLoc
}

// openLakeAndRegistrar opens the lake (LAKE_URL) and, if catURL is set,
// a Registrar of it in that catalog; on error nothing stays open.
func openLakeAndRegistrar(ctx context.Context, lakeURL, catURL, catLoc string) (*blob.Bucket, *catalog.Registrar, error) {
	lake, err := lambdaenv.OpenBucket(ctx, "LAKE_URL", lakeURL)
	if err != nil {
		return nil, nil, err
	}
	reg, err := openEnvRegistrar(ctx, catURL, catLoc)
	if err != nil {
		lake.Close()
		return nil, nil, err
	}
	return lake, reg, nil
}

// openEnvRegistrar opens the catalog catURL and returns a Registrar of the
// lake at catLoc in it, or nil if catURL is "". Opening a Glue catalog
// contacts nothing: a missing permission shows at the first registration.
func openEnvRegistrar(ctx context.Context, catURL, catLoc string) (*catalog.Registrar, error) {
	if catURL == "" {
		return nil, nil
	}
	cat, err := catalog.OpenCatalog(ctx, catURL)
	if err != nil {
		return nil, fmt.Errorf("MDA_CATALOG_URL: %w", err)
	}
	reg, err := catalog.NewRegistrar(cat, catLoc, nil)
	if err != nil {
		cat.Close()
		return nil, fmt.Errorf("MDA_CATALOG_LOCATION: %w", err)
	}
	return reg, nil
}

// Handle re-integrates the partitions of a batch of late events, one
// partition at a time, so that the response can name exactly the events
// whose partition failed or was locked by another integrator. A locked
// partition is retried (the lock holder may have listed the staged files
// before the late one committed); the scheduled integrator would pick it up
// anyway, later. A malformed event is reported as failed, to reach the
// dead-letter queue. With a Registrar, each partition re-integrated is
// registered in the catalog before its events are answered; if that
// fails, its events are reported as failed, and the redelivery compacts
// and registers it again.
func (l *Late) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	fail := func(ids ...string) {
		for _, id := range ids {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
	}
	type group struct {
		events []late.Event
		ids    []string
	}
	byPart := make(map[string]*group)
	for _, rec := range ev.Records {
		e, err := decodeLate(rec.Body)
		if err != nil {
			l.Logger.Error("malformed late event", "message_id", rec.MessageId, "err", err, "body", truncate(rec.Body, 512))
			fail(rec.MessageId)
			continue
		}
		g := byPart[e.Partition]
		if g == nil {
			g = &group{}
			byPart[e.Partition] = g
		}
		g.events = append(g.events, e)
		g.ids = append(g.ids, rec.MessageId)
	}
	opts := l.Integrate
	opts.LockTTL = lambdaenv.LockTTL(ctx, opts.LockTTL)
	ho := &late.HandlerOptions{Integrate: &opts, Logger: l.Logger}
	registered := 0 // by the current partition's re-integration
	if l.Registrar != nil {
		ho.Register = func(ctx context.Context, keys []partition.Key) error {
			if err := l.Registrar.RegisterReadings(ctx, keys); err != nil {
				return fmt.Errorf("catalog: %w", err)
			}
			registered += len(keys)
			return nil
		}
	}
	h := late.NewHandler(l.Lake, ho)
	parts := make([]string, 0, len(byPart))
	for p := range byPart {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	for _, p := range parts {
		g := byPart[p]
		log := l.Logger.With("partition", p, "events", len(g.events))
		registered = 0
		st, err := h.Handle(ctx, g.events)
		switch {
		case err != nil:
			log.Error("re-integration failed", "err", err)
			fail(g.ids...)
		case st.Locked > 0:
			log.Warn("partition locked by another integrator; events left for redelivery")
			fail(g.ids...)
		default:
			var reads int64
			for _, e := range g.events {
				reads += e.Reads
			}
			log.Info("partition re-integrated", "late_reads", reads, "reads", st.Reads, "duplicates", st.Duplicates,
				"files", st.Files, "registered", registered, "elapsed_ms", st.Elapsed.Milliseconds())
		}
	}
	return resp, nil
}

// snsEnvelope is an SNS notification as SQS receives it without raw
// message delivery.
type snsEnvelope struct {
	Type     string `json:"Type"`
	TopicArn string `json:"TopicArn"`
	Message  string `json:"Message"`
}

// decodeLate reads a late event, unwrapping an SNS envelope.
func decodeLate(body string) (late.Event, error) {
	var env snsEnvelope
	if json.Unmarshal([]byte(body), &env) == nil && env.Type == "Notification" && env.Message != "" {
		body = env.Message
	}
	var e late.Event
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		return e, fmt.Errorf("not a late event: %w", err)
	}
	if e.Partition == "" {
		return e, errors.New("late event names no partition")
	}
	return e, nil
}
