// Command ml is the scheduled batch-forecasting function: each invocation runs one job over the whole lake, the one its event names: {"job": "train"} (weekly in template.yaml), {"job": "forecast"} and {"job": "anomalies"} (daily).
//
// It is an AWS Lambda function for the provided.al2023 runtime: build it as
// an executable named bootstrap (see examples/lambda/README.md). The logic
// is handler.ML; this file only wires it from the environment, so that a
// misconfiguration fails the function's start with every problem listed.
package main
