// Package s3test runs an in-process S3 server (gofakes3) for tests, reached
// through the real AWS SDK v2 and gocloud.dev's s3blob, with fault
// injection at the HTTP level.
package s3test
