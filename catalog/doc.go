// Package catalog registers the lake's tables in a metadata catalog, so
// that Athena, Trino, Spark and Hive find them: the readings written by
// package partition, and the guidance's weather, topology and ML result
// tables.
//
// # Catalogs and drivers
//
// [Catalog] is a portable type over a small [Driver] interface, in the
// style of gocloud.dev: the portable type validates names and values,
// batches, makes every operation idempotent and wraps errors; drivers do
// the service calls. Two drivers ship:
//
//   - catalog/localcat keeps each table as versioned JSON manifests in a
//     bucket or directory (_catalog/<db>/<table>/v<N>.json), updated with
//     conditional writes so that concurrent writers lose nothing. It needs
//     no cloud account: tests, laptops, and a catalog kept next to the lake
//     for tools that read it.
//   - catalog/gluecat uses the AWS Glue Data Catalog (aws-sdk-go-v2), which
//     Athena, EMR and Redshift Spectrum read.
//
// Open one by URL with [OpenCatalog] after importing the driver package:
//
//	import _ "github.com/openmda/mda/catalog/localcat"
//	cat, err := catalog.OpenCatalog(ctx, "file:///data/lake")  // or mem://, s3://bucket
//
//	import _ "github.com/openmda/mda/catalog/gluecat"
//	cat, err := catalog.OpenCatalog(ctx, "glue://mda_database_integrated?region=eu-west-1")
//
// or with the driver's constructor (localcat.Open, localcat.OpenDir,
// gluecat.OpenCatalog). catalog/catalogtest is the conformance suite that
// both drivers pass.
//
// # Operations
//
// [Catalog.EnsureDatabase] and [Catalog.EnsureTable] create what is missing
// and update a table whose definition changed. [Catalog.AddPartitions]
// registers partitions in the driver's batch size (100 for Glue), skipping
// those that exist; [Catalog.DropPartitions] removes them (25 per Glue
// call), skipping those that do not. [Catalog.ListPartitions] takes a
// [Filter] of allowed values and a lexicographic [Range] over some keys,
// which [ReadingsFilter] builds from a [partition.Filter]'s types and time
// range.
//
// # The guidance's tables
//
// [ReadingsTable], [WeatherTable], [TopologyTables], [ForecastResultsTable]
// and [AnomalyResultsTable] return the guidance's table definitions (names,
// columns, partition keys, Parquet format) over a lake root; [Tables]
// returns them all. [SyncReadings] repairs the readings table from the
// lake's listing, like MSCK REPAIR TABLE, and can drop partitions the lake
// no longer has.
//
// # Registration
//
// A [Registrar] ([NewRegistrar]) holds every table over one lake root
// ([LakeLocation] derives it from the lake's bucket URL), each in its
// database, and is what the jobs' registration hooks call: it creates a
// table and its database the first time something is registered in it
// and adds partitions. [Registrar.RegisterReadings] is the hook of
// integration (staging.IntegrateOptions.Register),
// [Registrar.RegisterDataflow] (or [DataflowRegister]) that of the weather
// and topology dataflows (dataflow.RunOptions.Register), and
// [Registrar.RegisterDirs] takes the directories any job wrote, such as
// the forecast run's (forecast.RunOptions.Register) or a year of anomaly
// scores. [Registrar.Sync] repairs every table from the lake's listing,
// like MSCK REPAIR TABLE on each ("mda catalog sync").
//
// # DDL and partition projection
//
// [AthenaDDL] and [AthenaScript] print CREATE EXTERNAL TABLE statements.
// With [DDLOptions].Projection they include each table's Athena partition
// projection properties (for the readings: reading_type an enum of the
// registered meter types, year, month, day and hour zero-padded integer
// ranges; weather: date a date range; forecasts: model_name an enum of
// [ForecastModelNames] and forecast_start hourly dates; anomalies: year a
// 4-digit integer range; and each table's storage.location.template),
// with which Athena needs no registered partitions at all. Spark and Trino
// still need them: run Registrar.Sync (or MSCK REPAIR TABLE) for those.
// [ParseDDL] parses such a script back, and [CheckColumns] compares a
// table's columns with a Parquet file's schema.
//
// # Errors
//
// Every method returns *[Error] values with an [ErrorCode]; use errors.Is
// with [ErrNotFound], [ErrAlreadyExists], [ErrInvalidArgument],
// [ErrFailedPrecondition] and [ErrAborted], or [Code]. Failures of single
// partitions in a batch are *[PartitionError] values inside the *Error.
//
// # As
//
// [Catalog.As] and [Catalog.ErrorAs] reach the driver's client and the
// service's error types; each driver package lists the types it supports.
package catalog
