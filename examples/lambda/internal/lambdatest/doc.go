// Package lambdatest is what the tests of the Lambda functions share: an
// S3 server (gofakes3 through the real AWS SDK, internal/s3test) holding an
// inbound and a lake bucket that the handlers open by URL, an in-memory
// queue opened by URL, SQS events built the way the event source mapping
// builds them, and invocation through aws-lambda-go's own JSON plumbing.
package lambdatest
