// Command worker is the range-worker function: it stages the byte ranges that the ranges queue hands it, and reports the ones that failed as a partial batch response.
//
// It is an AWS Lambda function for the provided.al2023 runtime: build it as
// an executable named bootstrap (see examples/lambda/README.md). The logic
// is handler.Worker; this file only wires it from the environment, so that a
// misconfiguration fails the function's start with every problem listed.
package main
