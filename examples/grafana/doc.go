// Package grafana holds Grafana dashboards for the lake, as JSON files to
// import (Dashboards → New → Import), and the test that checks them.
//
// athena/ has the AWS guidance's dashboards (usage vs. weather, outage
// map, anomaly spike and dip, forecast) plus a meter dashboard, for the
// Athena data source (grafana-athena-datasource) over the Glue tables of
// package catalog. Their unit mistakes are fixed: energy is kW × the read
// interval ($interval_h, 0.25 h for 15-minute data), never summed kW;
// voltage is in volts; anomaly energy is kWh, not a price times ten. Every
// query over the readings prunes partitions: reading_type and
// year/month/day predicates from $__timeFrom() and $__timeTo(); the ML
// tables are pruned by their own partitions (year; model_name and
// forecast_start).
//
// infinity/ has dashboards for the Infinity data source
// (yesoreyeram-infinity-datasource) over the HTTP API of package api:
// set the api_url variable, allow the host in the data source, and add the
// API key as an "Authorization: Bearer KEY" header there.
package grafana
