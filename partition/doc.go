// Package partition is the data lake: meter reads as Hive-partitioned
// Parquet files on any gocloud.dev [*blob.Bucket] (S3, GCS, Azure, a local
// directory, memory), laid out so that Athena, Glue, Spark, Trino and DuckDB
// read it as the guidance's meter_readings_integrated_parquet table.
//
// # Layout
//
// A partition holds the reads of one reading type in one UTC hour ([Key]):
//
//	readings/reading_type=kw/year=2024/month=03/day=01/hour=10/<name>.parquet
//
// The year has 4 digits, the month, day and hour 2, all from the reading
// time in UTC. [ParseKey] accepts exactly these paths. File names are safe
// stems of [A-Za-z0-9._-] (not starting with '.' or '_', which Hive-style
// engines treat as hidden); several files may share a partition (one per
// load batch, say), and a [Writer] or [WriteFile] with the same name replaces
// its file.
//
// # Schema
//
// Each file has these columns, in this order, all required (engines see
// nullable columns that hold no nulls):
//
//	meter_id           BYTE_ARRAY  STRING                            dictionary
//	reading_value      DOUBLE
//	reading_date_time  INT64       TIMESTAMP(MILLIS, isAdjustedToUTC) dictionary
//	reading_source     BYTE_ARRAY  STRING                            dictionary
//	arrival_time       INT64       TIMESTAMP(MILLIS, isAdjustedToUTC) dictionary
//	quality            BYTE_ARRAY  STRING                            dictionary
//
// The partition columns reading_type, year, month, day and hour are not
// stored in the files (Hive style); engines take them from the path. A Glue
// table over the lake is therefore
//
//	CREATE EXTERNAL TABLE meter_readings_integrated_parquet (
//	  meter_id string, reading_value double, reading_date_time timestamp,
//	  reading_source string, arrival_time timestamp, quality string)
//	PARTITIONED BY (reading_type string, year string, month string, day string, hour string)
//	STORED AS PARQUET LOCATION 's3://bucket/readings/'
//
// with partitions added by MSCK REPAIR TABLE, a crawler or partition
// projection. Quality is the one-letter code of [meter.Quality] ("" for
// none); times are UTC instants at millisecond precision.
//
// Files use version 1 data pages (what Spark writes, which every engine
// reads), Zstd compression by default or Snappy ([WriterOptions]), the
// Parquet 2 encodings DELTA_BYTE_ARRAY (meter_id), dictionaries where
// values repeat, and DELTA_BINARY_PACKED (arrival_time), and carry min/max
// statistics for every column chunk, a page index, and a column order that
// lets readers trust them.
//
// # Sort order and bloom filter
//
// Rows are sorted by meter_id, then reading_date_time (then arrival_time;
// [meter.Compare] within a partition), stably. Sorting makes the meter_id
// statistics of a row group a narrow range, so that a query for some meters
// skips most row groups, and it makes the dictionary indexes compress well.
// Row groups hold at most [WriterOptions.RowGroupRows] rows (default 1M),
// which bounds memory on both sides.
//
// Each row group has a split-block bloom filter on meter_id (10 bits per
// distinct meter, under 1% false positives), written with the others just
// before the footer, so that a reader fetches the footer and the bloom
// filters in one request.
//
// # Reading and pruning
//
// [Scan] prunes at four levels. [Partitions] lists the lake level by level
// (reading_type=, then year=, month=, day=) and descends only into
// directories whose span meets the filter's time range; a day's hours and
// their files come from one listing of the day, so a one-day query lists a
// handful of prefixes whatever the size of the lake. In each file, row
// groups whose reading_date_time or meter_id statistics exclude the filter,
// or whose bloom filter has none of the filter's meters, are skipped. For a
// meter query, the meter_id page index then picks the pages that may hold
// the meters and the offset index the matching pages of the other columns:
// only those byte ranges are fetched (nearby pages in one request), and only
// the matching rows are decoded. Rows are then filtered exactly. A
// [FileCache] (by default [DefaultFileCache], 64 MiB) keeps opened files'
// footers, page indexes, bloom filters and decoded dictionaries, keyed by
// what the listing says of the object (size, modification time, MD5 where
// the store gives one, inode and change time on local files), so a
// rewritten file is never served from a stale entry. [ScanStats] reports
// what was pruned and read.
//
// # Determinism
//
// The bytes of a file depend only on its reads (in input order, for exact
// duplicates) and the options: no wall-clock time, host or random value is
// written, and created_by is fixed. Rewriting the same reads gives the same
// file, so that loads are idempotent and files can be compared by checksum.
//
// # Using a local directory
//
// With fileblob, open the bucket with "?metadata=skip" (for example
// "file:///data/lake?metadata=skip") so that no .attrs files are written
// next to the Parquet files, where other engines would find them.
package partition
