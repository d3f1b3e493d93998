// Command late is the late-read function: it re-integrates the partitions named by the late-read events that the workers publish.
//
// It is an AWS Lambda function for the provided.al2023 runtime: build it as
// an executable named bootstrap (see examples/lambda/README.md). The logic
// is handler.Late; this file only wires it from the environment, so that a
// misconfiguration fails the function's start with every problem listed.
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
	h, err := handler.NewLate(context.Background(), lambdaenv.New(os.Getenv), logger)
	if err != nil {
		logger.Error("cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
