// Command integrator is the scheduled integrator: it merges the committed staging files into the lake's partitions.
//
// It is an AWS Lambda function for the provided.al2023 runtime: build it as
// an executable named bootstrap (see examples/lambda/README.md). The logic
// is handler.Integrator; this file only wires it from the environment, so that a
// misconfiguration fails the function's start with every problem listed.
package main
