// Command late is the late-read function: it re-integrates the partitions named by the late-read events that the workers publish.
//
// It is an AWS Lambda function for the provided.al2023 runtime: build it as
// an executable named bootstrap (see examples/lambda/README.md). The logic
// is handler.Late; this file only wires it from the environment, so that a
// misconfiguration fails the function's start with every problem listed.
package main
