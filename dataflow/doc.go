// Package dataflow loads reference data into the lake next to the meter
// reads, the guidance's "dataflows": hourly weather observations and the
// grid topology. Each is a [Flow] in four steps, which is the pattern to
// follow for a data set of one's own:
//
//  1. Load reads and parses the source (files in an fs.FS: a directory,
//     or a bucket, which implements fs.FS);
//  2. Prepare validates, normalizes and de-duplicates what was loaded;
//  3. Store writes the lake's tables, idempotently, each file atomically;
//  4. Register tells a catalog what was written, through an optional hook
//     (a [RegisterFunc]), so that this package needs no catalog.
//
// [Run] runs the four steps.
//
// # Weather
//
// [WeatherFlow] reads Meteostat's hourly CSV (time, temp, dwpt, rhum, prcp,
// snow, wdir, wspd, wpgt, pres, tsun, coco; empty is missing), as the
// guidance's loader stages it, and writes the weather table (tables.WeatherParquetRow: missing observations are NULL), one
// file per UTC day, weather/date=YYYY-MM-DD/weather.parquet, with the
// guidance's renamed columns. The guidance appends every load, and its
// daily loads overlap, so its weather table holds duplicates; here a load
// merges with the days already in the lake by (station, time), the latest
// load winning, and rewrites each day file whole.
//
// # Topology
//
// [TopologyFlow] reads the guidance's topology JSON (package grid/topology)
// and writes one Parquet file per table under topology/<table>/, with
// numeric coordinates and capacities in kVA. Its [TopologyReport] lists
// the consistency problems (broken references, the guidance's colliding
// ids) and compares the topology's meters with the meters that have kw
// reads in the lake: the guidance's topology numbers its meters 0..9999
// while its generator numbers them 1..N, so one meter never reads and one
// has no topology.
package dataflow
