// Command fetch is the scheduled head-end downloader: it lands the new objects of a head-end system, a drop folder or an SFTP server in the inbound bucket.
//
// It is an AWS Lambda function for the provided.al2023 runtime: build it as
// an executable named bootstrap (see examples/lambda/README.md). The logic
// is handler.Fetcher; this file only wires it from the environment, so that a
// misconfiguration fails the function's start with every problem listed.
package main
