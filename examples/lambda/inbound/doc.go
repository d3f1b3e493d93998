// Command inbound is the inbound-object function: it plans the byte ranges of every object created in the inbound bucket and sends them to the ranges queue.
//
// Objects under data/historic/ (mda.HistoricPrefix, the AWS guidance's
// folder for bulk history) are a backfill: the workers stage them without
// late detection, so history sends no late events (see handler.Inbound).
//
// It is an AWS Lambda function for the provided.al2023 runtime: build it as
// an executable named bootstrap (see examples/lambda/README.md). The logic
// is handler.Inbound; this file only wires it from the environment, so that a
// misconfiguration fails the function's start with every problem listed.
package main
