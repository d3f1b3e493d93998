// Package query answers questions about meters from the lake: their reads
// over a time range, their energy per hour, day, week or month, their voltage
// statistics, and the forecasts and anomaly scores the ML jobs stored in
// the tables of package tables.
//
// A [Lake] wraps a bucket. Its methods take a context first and prune as
// package partition does: by reading type and time through the Hive
// layout, by meter through row-group statistics and bloom filters. Long
// ranges are split into days scanned concurrently.
//
// # Energy
//
// Reading times are interval ends: a read stamped 10:00 covers (09:45,
// 10:00] for 15-minute data and counts toward the hour that starts at
// 09:00, the day that holds 09:59:59.999, and so on. Energy is kW times the
// interval length, never a sum of kW samples. Unless [Options.Interval]
// fixes it, the interval is inferred per meter and local day from the
// meter's kW reads of that day (see [Lake.Energy] and [InferInterval]),
// also those outside the query's range, and from the days around it when
// the day has too few reads to tell: so a day's energy does not depend on
// the range asked for. A meter whose interval changed (30-minute reads,
// then 15-minute ones) has each read weighted by its own interval, also on
// the day of the change. Of a day the range cuts, the first and last
// hours are read, and the rest only for the meters whose interval they do
// not settle. A day that lost every other read cannot be told from a day
// of reads at twice the interval; only Options.Interval can. Within a
// day, a change to a coarser multiple of the interval needs twelve gaps
// of it or six hours to count, so that reads lost at a day's edge do not
// invent energy. Interval energy
// (kwh reads) is summed; a kW read whose interval a kwh read of its meter
// covers (since the meter's previous kwh read: hourly, daily or monthly
// register reads alike, also one outside the range: the kwh reads of two
// days around the range are read, and of up to 31 days for meters whose
// kwh reads are further apart, all counted against [Options.MaxReads]) is
// left out, and
// the others count, so that a lost kwh read or a kwh channel starting
// mid-hour loses no energy, each interval counts in one range only, and
// days, weeks and months are the sums of their hours. Reads loaded twice
// and not yet compacted count once. Voltage statistics
// use the same buckets.
//
// Periods (hour, day, month) follow [Options.Location], UTC by default:
// days and months start at local midnight, so a daylight-saving day has 23
// or 25 hours.
//
// # Arrow
//
// Results convert to Apache Arrow record batches ([EnergyRecord],
// [VoltageRecord], ...) and Arrow IPC streams ([WriteIPCStream]) for
// columnar hand-off to DuckDB, Polars, pandas or Flight. Arrow stays in
// this package; the lake's own packages do not depend on it.
package query
