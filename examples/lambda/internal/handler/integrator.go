package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/catalog"
	_ "github.com/openmda/mda/catalog/gluecat"  // glue:// catalogs
	_ "github.com/openmda/mda/catalog/localcat" // manifest catalogs in a bucket or directory
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/staging"
)

// Integrator is the scheduled integrator: every run (rate(15 minutes) in
// template.yaml) merges the committed staging files into the lake's
// partitions with staging.Integrate, which de-duplicates and is safe to run
// again after any crash. It replaces the guidance's Glue workflow, which
// nothing triggers outside demo mode.
type Integrator struct {
	Lake *blob.Bucket
	// Options configures the runs; LockTTL is raised per invocation to
	// outlast the function's deadline.
	Options staging.IntegrateOptions
	// Registrar, if set, registers the partitions that each run compacts
	// in a catalog (Glue, for Athena), after creating the database and
	// the readings table if they do not exist. Nil registers nothing.
	Registrar *catalog.Registrar
	Logger    *slog.Logger
}

// NewIntegrator wires an Integrator from the environment:
//
//	LAKE_URL     the lake bucket (required)
//	CONCURRENCY  partitions merged at once (default 4; new partitions
//	             copied from one staged file go 32 at a time)
//	LOCK_WAIT    how long to wait for a partition that the late-read
//	             function holds (default 1m)
//	MDA_CATALOG_URL  the catalog to register partitions in:
//	             glue://DATABASE?region=<region> for the Glue Data
//	             Catalog, or a bucket URL for a JSON manifest catalog
//	             (default, or "none": nothing is registered)
//	MDA_CATALOG_LOCATION  the lake's root as query engines see it
//	             (default: from LAKE_URL, s3://<bucket>/)
//
// Opening a Glue catalog contacts nothing: a missing permission shows at
// the first run, which then fails.
func NewIntegrator(ctx context.Context, env *lambdaenv.Env, logger *slog.Logger) (*Integrator, error) {
	lakeURL := env.Required("LAKE_URL", "the lake bucket, s3://<bucket>?region=<region>")
	conc := env.Int("CONCURRENCY", 4)
	wait := env.Duration("LOCK_WAIT", time.Minute)
	catURL, catLoc := catalogEnv(env, lakeURL)
	if err := env.Err(); err != nil {
		return nil, err
	}
	lake, reg, err := openLakeAndRegistrar(ctx, lakeURL, catURL, catLoc)
	if err != nil {
		return nil, err
	}
	return &Integrator{Lake: lake, Options: staging.IntegrateOptions{Concurrency: conc, LockWait: wait, Logger: logger},
		Registrar: reg, Logger: logger}, nil
}

// IntegratorResult is the function's response, and the fields of its log
// line.
type IntegratorResult struct {
	Commits    int   `json:"commits"`
	Files      int   `json:"files"`
	Partitions int   `json:"partitions"`
	Inputs     int64 `json:"inputs"`
	Duplicates int64 `json:"duplicates"`
	Reads      int64 `json:"reads"`
	Bytes      int64 `json:"bytes"`
	// Locked counts partitions another integrator held; their staging
	// files are left for the next run.
	Locked  int `json:"locked"`
	Sources int `json:"sources"`
	// Registered counts the partitions registered in the catalog.
	Registered int   `json:"registered"`
	ElapsedMS  int64 `json:"elapsed_ms"`
}

// Handle runs one integration. Its input (an EventBridge "Scheduled Event",
// or whatever a manual invocation sends) is ignored: each run integrates
// everything committed.
//
// Partitions locked by another integrator (the late-read function, or an
// overlapping run) are not an error: they are counted, logged, and left
// for the next run, which is what an error and Lambda's retry would
// achieve too, only noisier. An error is returned only when the run failed;
// what it did before failing stays valid, and the next run completes it.
//
// With a catalog, every run first ensures the database and the readings
// table (idempotent: created if missing, updated if their definition
// changed, once per container), and registers the partitions it compacts
// before it deletes their staging files: if registration fails, the run
// fails and the next one compacts and registers them again.
func (i *Integrator) Handle(ctx context.Context, _ json.RawMessage) (IntegratorResult, error) {
	opts := i.Options
	opts.LockTTL = lambdaenv.LockTTL(ctx, opts.LockTTL)
	registered := 0
	if i.Registrar != nil {
		if err := i.Registrar.EnsureTables(ctx, catalog.ReadingsTableName); err != nil {
			i.Logger.Error("catalog unavailable", "err", err)
			return IntegratorResult{}, fmt.Errorf("catalog: %w", err)
		}
		opts.Register = func(ctx context.Context, keys []partition.Key) error {
			if err := i.Registrar.RegisterReadings(ctx, keys); err != nil {
				return err
			}
			registered += len(keys)
			return nil
		}
	}
	st, err := staging.Integrate(ctx, i.Lake, &opts)
	res := IntegratorResult{Commits: st.Commits, Files: st.Files, Partitions: st.Partitions, Inputs: st.Inputs,
		Duplicates: st.Duplicates, Reads: st.Reads, Bytes: st.Bytes, Locked: st.Locked, Sources: st.Sources,
		Registered: registered, ElapsedMS: st.Elapsed.Milliseconds()}
	attrs := []any{"commits", res.Commits, "files", res.Files, "partitions", res.Partitions, "inputs", res.Inputs,
		"duplicates", res.Duplicates, "reads", res.Reads, "bytes", res.Bytes, "locked", res.Locked,
		"sources", res.Sources, "registered", res.Registered, "elapsed_ms", res.ElapsedMS}
	switch {
	case err != nil:
		i.Logger.Error("integration failed", append(attrs, "err", err)...)
		return res, err
	case res.Locked > 0:
		i.Logger.Warn("integrated; locked partitions left for the next run", attrs...)
	default:
		i.Logger.Info("integrated", attrs...)
	}
	return res, nil
}
