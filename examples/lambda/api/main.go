package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/openmda/mda"
	"github.com/openmda/mda/api"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	a, err := newAdapter(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("api: configuration", "error", err)
		os.Exit(1)
	}
	lambda.Start(a.Handle)
}

// newAdapter builds the handler from the environment.
func newAdapter(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*Adapter, error) {
	lakeURL := getenv("MDA_LAKE_URL")
	if lakeURL == "" {
		return nil, errors.New("MDA_LAKE_URL is not set")
	}
	var keys []string
	for k := range strings.SplitSeq(getenv("MDA_API_KEYS"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	gateway := getenv("MDA_AUTH") == "gateway"
	if len(keys) == 0 && !gateway {
		return nil, errors.New("MDA_API_KEYS is empty: set keys, or MDA_AUTH=gateway if an API Gateway authorizer authenticates")
	}
	lake, err := mda.OpenBucket(ctx, lakeURL)
	if err != nil {
		return nil, err
	}
	// The bucket lives as long as the execution environment.
	return &Adapter{Handler: api.New(lake, &api.Options{RequireAuth: !gateway, APIKeys: keys, Logger: logger})}, nil
}
