// Package querytest builds small data lakes for the tests, examples and
// benchmarks of packages query and api, and of the example server: meter
// reads from the simulator, ingested as package mda ingests files, plus a
// forecasts table and an anomalies table derived from the same reads.
//
// The derived tables are computed from the simulator's reads with simple,
// documented rules (a seasonal-naive forecast, a median band for
// anomalies), so that tests can recompute what the lake must answer.
package querytest
