// Package gluecat is the catalog driver for the AWS Glue Data Catalog,
// through aws-sdk-go-v2's service/glue, so that Athena, EMR (Spark, Trino,
// Hive) and Redshift Spectrum see the lake's tables.
//
// Tables are created as EXTERNAL_TABLE with the table's storage
// descriptor (for the lake: ParquetHiveSerDe with MapredParquetInputFormat
// and MapredParquetOutputFormat) and Hive partition keys; each partition
// gets the table's storage descriptor with its own key=value/ location.
//
// # Idempotency and batching
//
// CreateDatabase and CreateTable answering AlreadyExistsException count as
// success for EnsureDatabase and EnsureTable; an existing table whose
// definition differs is updated with UpdateTable (see
// catalog.Catalog.EnsureTable). AddPartitions calls BatchCreatePartition
// with at most 100 partitions per call. Glue reports per-partition failures
// inside a successful response: AlreadyExistsException items are taken as
// success, the others returned as *catalog.PartitionError values (whose Err
// is a smithy.APIError with Glue's error code) after the remaining batches
// have been sent. DropPartitions calls BatchDeletePartition with at most 25
// per call; EntityNotFoundException items are success. ListPartitions calls
// GetPartitions with the filter as an Expression (see Expression) and
// follows NextToken to the end.
//
// # URLs
//
// gluecat registers the scheme "glue" with catalog.DefaultURLMux:
//
//	glue://[DATABASE]?region=eu-west-1&endpoint=https://...&profile=NAME&catalog_id=ACCOUNT
//
// DATABASE is the Catalog's DefaultDatabase. Credentials come from the
// default chain (environment, shared files, instance or task role), never
// from the URL.
//
// # As
//
// gluecat exposes these types for As and ErrorAs:
//   - Catalog: **glue.Client
//   - Error: smithy.APIError, *smithy.GenericAPIError (per-partition
//     failures) and the service's exception types, such as
//     *types.EntityNotFoundException.
package gluecat
