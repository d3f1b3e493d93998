package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
)

func main() {
	logger := lambdaenv.Logger(os.Stdout, os.Getenv("LOG_LEVEL"))
	h, err := handler.NewStreamer(context.Background(), lambdaenv.New(os.Getenv), logger)
	if err != nil {
		logger.Error("cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
