// Package tables defines the lake's tables other than the readings: their
// paths and their Parquet rows, in one place, so that the jobs that write
// them (forecast, dataflow, grid) and the code that reads them (api,
// catalog) agree. The readings table is package partition's.
//
// Every table is Hive-partitioned like the readings, with zero-padded
// partition values, and every timestamp is UTC with millisecond precision.
package tables
