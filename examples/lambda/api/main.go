package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
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

// newAdapter builds the handler from the environment (see handler.NewAPI).
func newAdapter(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*Adapter, error) {
	h, err := handler.NewAPI(ctx, lambdaenv.New(getenv), logger)
	if err != nil {
		return nil, err
	}
	return &Adapter{Handler: h}, nil
}
