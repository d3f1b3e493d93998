// Package lambdaenv is what the Lambda hosts in examples/lambda share: their
// configuration from environment variables, the opening of buckets and
// topics by URL, and a JSON logger that CloudWatch Logs parses.
//
// Configuration errors are collected rather than returned one at a time, so
// that a misconfigured function reports every missing or bad variable in its
// first (and only) cold-start log line instead of one per deployment.
package lambdaenv
