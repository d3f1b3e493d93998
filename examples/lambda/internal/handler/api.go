package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/openmda/mda/api"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
)

// NewAPI returns the lake's HTTP API (package api) for the API function,
// configured from the environment:
//
//	LAKE_URL      the lake bucket, s3://<bucket>?region=<region>, as for
//	              the other functions (MDA_LAKE_URL, its former name, is
//	              still read when LAKE_URL is not set)
//	MDA_API_KEYS  comma-separated API keys, required unless MDA_AUTH is
//	              "gateway"
//	MDA_AUTH      "gateway" leaves authentication to an API Gateway
//	              authorizer (IAM, JWT or Lambda) instead of API keys
//	MDA_TZ        the time zone where days, months and date parameters
//	              begin, e.g. Australia/Sydney; default UTC
//
// The bucket lives as long as the execution environment.
func NewAPI(ctx context.Context, env *lambdaenv.Env, logger *slog.Logger) (http.Handler, error) {
	lakeURL := env.Get("LAKE_URL")
	if lakeURL == "" {
		lakeURL = env.Get("MDA_LAKE_URL")
	}
	if lakeURL == "" {
		env.Fail(errors.New("LAKE_URL is not set: the lake bucket, s3://<bucket>?region=<region>"))
	}
	var keys []string
	for k := range strings.SplitSeq(env.Get("MDA_API_KEYS"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	gateway := env.Get("MDA_AUTH") == "gateway"
	loc := time.UTC
	if tz := env.Get("MDA_TZ"); tz != "" {
		var err error
		if loc, err = time.LoadLocation(tz); err != nil {
			env.Fail(fmt.Errorf("MDA_TZ=%q: %w", tz, err))
		}
	}
	if len(keys) == 0 && !gateway {
		env.Fail(errors.New("MDA_API_KEYS is empty: set keys, or MDA_AUTH=gateway if an API Gateway authorizer authenticates"))
	}
	if err := env.Err(); err != nil {
		return nil, err
	}
	lake, err := lambdaenv.OpenBucket(ctx, "LAKE_URL", lakeURL)
	if err != nil {
		return nil, err
	}
	return api.New(lake, &api.Options{RequireAuth: !gateway, APIKeys: keys, Logger: logger, Location: loc}), nil
}
