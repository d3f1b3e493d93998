// Command api runs the lake's HTTP API (package api) in AWS Lambda behind
// an API Gateway HTTP API (payload format 2.0), through a small adapter
// from events.APIGatewayV2HTTPRequest to http.Handler and back: the same
// handler a server mounts locally.
//
// Configuration, from the environment:
//
//	LAKE_URL       the lake bucket, e.g. s3://my-lake?region=eu-west-1 (required;
//	               MDA_LAKE_URL, its former name, is still read)
//	MDA_API_KEYS   comma-separated API keys (required unless MDA_AUTH=gateway)
//	MDA_AUTH       "gateway" to leave authentication to an API Gateway
//	               authorizer (JWT, IAM or Lambda) instead of API keys
//
// template.yaml deploys it as ApiFunction behind an HTTP API whose routes
// need IAM (SigV4) signatures (MDA_AUTH=gateway).
//
// Build for the provided.al2023 runtime:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./examples/lambda/api
//
// Binary responses (Arrow IPC streams) are returned base64-encoded, as API
// Gateway requires; text (JSON, CSV) as is.
package main
