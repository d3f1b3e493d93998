//go:build awssqs

package lambdaenv

// The AWS pubsub driver registers the awssqs:// and awssns:// URL schemes.
// It is behind the awssqs build tag only until go.sum carries its
// dependencies (github.com/aws/aws-sdk-go-v2/service/sqs and .../sns); see
// examples/lambda/README.md.
import _ "gocloud.dev/pubsub/awssnssqs"

// SQSDriver reports whether the binary can open awssqs:// and awssns:// topics.
const SQSDriver = true
