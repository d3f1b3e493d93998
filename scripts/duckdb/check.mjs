// Reads an mda lake with DuckDB (an independent Parquet reader) and prints
// what DuckDB sees of it: row and meter counts, the encodings and bounds of
// one file, and the timings of the two benchmark queries of `mda bench
// query`. Usage (Node 18+):
//
//	cd scripts/duckdb && npm install && node check.mjs /path/to/lake [meter-id]
import { DuckDBInstance } from '@duckdb/node-api';

const lake = process.argv[2];
const meterID = process.argv[3] ?? '503d4c60-3ff0-3d2b-9ea0-6fb5b0078031';
if (!lake) {
  console.error('usage: node check.mjs LAKE_DIR [METER_ID]');
  process.exit(2);
}
const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
const con = await inst.connect();
const kw = `read_parquet('${lake}/readings/reading_type=kw/*/*/*/*/*.parquet', hive_partitioning=true)`;
const show = (v) => JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? x.toString() : x));

async function timed(sql) {
  const t0 = performance.now();
  const r = await con.runAndReadAll(sql);
  return [r.getRowObjects(), performance.now() - t0];
}

let [rows, ms] = await timed(`select count(*) reads, count(distinct meter_id) meters, sum(reading_value) kw_sum from ${kw}`);
console.log('kw reads:', show(rows[0]), `${ms.toFixed(0)} ms`);
[rows] = await timed(`with m as (select * from parquet_metadata('${lake}/readings/reading_type=kw/*/*/*/*/*.parquet'))
  select path_in_schema, type, encodings, compression, stats_min_value, stats_max_value
  from m where file_name = (select min(file_name) from m) order by column_id`);
for (const r of rows) console.log(' ', r.path_in_schema, r.type, r.encodings, r.compression, r.stats_min_value, '..', r.stats_max_value);
for (const [name, sql] of [
  ['one meter, one week of kw', `select count(*) n, sum(reading_value) s from ${kw} where meter_id = '${meterID}'
     and reading_date_time >= '2024-03-01' and reading_date_time < '2024-03-08'`],
  ['kWh per meter per day, whole lake', `select count(*) meter_days from (select meter_id,
     date_trunc('day', reading_date_time - interval 1 millisecond) d, sum(reading_value * 0.25) kwh from ${kw} group by all)`],
]) {
  const times = [];
  for (let i = 0; i < 5; i++) {
    [rows, ms] = await timed(sql);
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  console.log(`${name}: ${show(rows[0])}; best ${times[0].toFixed(1)} ms, median ${times[2].toFixed(1)} ms`);
}
