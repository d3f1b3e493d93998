// Command mda is the command-line face of the mda library: it simulates
// meter data, ingests it into a lake and queries the lake.
//
//	mda demo                       simulate, ingest and show a meter's consumption
//	mda simulate --out FILE.csv.gz generate the guidance's HES CSV
//	mda ingest --lake URL FILE...  ingest meter files (HES CSV, NEM12, MRASCo, ESPI, CSV layouts; plain, gzip, zstd);
//	                               --backfill loads history without late detection
//	mda integrate --lake URL       merge staged reads into the partitions
//	mda catalog sync|ddl           register the lake in a catalog (local or Glue)
//	mda forecast backtest          measure forecasters on ETT and meter data
//	mda forecast train|run|anomalies  batch models, forecasts and anomaly scores over the lake
//	mda anomaly eval --csv FILE    score the anomaly detector on injected anomalies
//	mda query --lake URL --meter ID --type kw --from DATE --to DATE
//
// Run "mda COMMAND -h" for the flags of a command. Every command runs on the
// local file system by default (file://./mda-data) and takes any gocloud.dev
// bucket URL (mem://, s3://...) instead.
package main
