// Package handler holds the logic of the Lambda functions in examples/lambda,
// one type per function, each with a constructor that wires it from the
// environment and a Handle method that aws-lambda-go calls. The main
// packages only call the constructor and lambda.Start, so everything that
// can go wrong is reachable from tests.
package handler
