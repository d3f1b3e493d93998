//go:build !awssqs

package lambdaenv

// SQSDriver reports whether the binary can open awssqs:// and awssns:// topics.
const SQSDriver = false
