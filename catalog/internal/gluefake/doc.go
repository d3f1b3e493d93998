// Package gluefake is an in-memory fake of the AWS Glue Data Catalog's
// JSON API (the awsJson1.1 protocol: POST /, X-Amz-Target: AWSGlue.<Op>,
// Content-Type: application/x-amz-json-1.1), for testing gluecat through
// the real aws-sdk-go-v2 client.
//
// It implements CreateDatabase, GetDatabase, GetTable, CreateTable,
// UpdateTable, BatchCreatePartition (at most 100 partitions, per-item
// Errors), GetPartitions (Expression filtering, MaxResults and NextToken
// pagination) and BatchDeletePartition (at most 25, per-item Errors), with
// errors in the service's shape: HTTP 400 and {"__type": "...Exception",
// "Message": "..."}.
//
// Expressions support the subset of Glue's partition predicate syntax that
// gluecat generates and a little more: identifiers, single-quoted strings
// and numbers; =, <>, !=, <, <=, >, >=; IN (...); BETWEEN ... AND ...;
// AND, OR, NOT and parentheses. Values of string keys compare as strings,
// of int and bigint keys as numbers.
package gluefake
