// Command dataflow is the weather and topology loader: it loads the Meteostat CSV and topology JSON files dropped in the inbound bucket into the lake's weather and topology tables.
//
// It is an AWS Lambda function for the provided.al2023 runtime: build it as
// an executable named bootstrap (see examples/lambda/README.md). The logic
// is handler.Dataflow; this file only wires it from the environment, so that a
// misconfiguration fails the function's start with every problem listed.
package main
