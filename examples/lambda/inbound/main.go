// Command inbound is the inbound-object function: it plans the byte ranges of every object created in the inbound bucket and sends them to the ranges queue.
//
// It is an AWS Lambda function for the provided.al2023 runtime: build it as
// an executable named bootstrap (see examples/lambda/README.md). The logic
// is handler.Inbound; this file only wires it from the environment, so that a
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
	h, err := handler.NewInbound(context.Background(), lambdaenv.New(os.Getenv), logger)
	if err != nil {
		logger.Error("cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
