package catalog

import (
	"strings"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/tables"
)

// The guidance's databases.
const (
	// DatabaseIntegrated holds the lake's integrated tables: readings,
	// weather and grid topology.
	DatabaseIntegrated = "mda_database_integrated"
	// DatabaseFeatureML holds the results of the forecasting and anomaly
	// detection jobs.
	DatabaseFeatureML = "mda_database_feature_ml"
)

// The guidance's table names.
const (
	ReadingsTableName        = "meter_readings_integrated_parquet"
	WeatherTableName         = "weather_data_integrated_weather"
	TopologyTablePrefix      = "topology_data_integrated_"
	ForecastResultsTableName = "meter_forecast_results"
	AnomalyResultsTableName  = "meter_anomaly_results"
	// AnomalyEventsTableName is ours: the guidance scores days only.
	AnomalyEventsTableName = "meter_anomaly_events"
)

// Databases returns the guidance's databases.
func Databases() []*Database {
	return []*Database{
		{Name: DatabaseIntegrated, Description: "Integrated meter readings, weather and grid topology"},
		{Name: DatabaseFeatureML, Description: "Forecast and anomaly detection results"},
	}
}

// dir returns root with a trailing slash, followed by sub.
func dir(root, sub string) string {
	if root != "" && !strings.HasSuffix(root, "/") {
		root += "/"
	}
	return root + sub
}

// ReadingsPartitionKeys are the partition keys of the readings table, in
// the lake's directory order.
var ReadingsPartitionKeys = []string{"reading_type", "year", "month", "day", "hour"}

// ReadingsTable returns the guidance's integrated readings table,
// mda_database_integrated.meter_readings_integrated_parquet, over the lake
// whose root is lake (e.g. "s3://bucket/" or "s3://bucket/prefix/"): files
// under lake+"readings/" as written by package partition, with the columns
// of its Parquet schema and the partition keys reading_type, year, month,
// day, hour (strings, zero-padded to 4, 2, 2 and 2 digits).
//
// Its Projection describes the lake's layout for Athena: reading_type an
// enum of the types registered in package meter (meter.Types, at the time
// of the call), year 2000 to 2099, month, day and hour integer ranges with
// their padding, and the storage location template.
func ReadingsTable(lake string) *Table {
	loc := dir(lake, partition.Prefix)
	types := meter.Types()
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = string(t.Type)
	}
	return &Table{
		Database:    DatabaseIntegrated,
		Name:        ReadingsTableName,
		Description: "Meter reads, Hive-partitioned by reading type and UTC hour",
		Columns: []Column{
			{Name: partition.ColMeterID, Type: "string"},
			{Name: partition.ColReadingValue, Type: "double"},
			{Name: partition.ColReadingDateTime, Type: "timestamp", Comment: "UTC"},
			{Name: partition.ColReadingSource, Type: "string"},
			{Name: partition.ColArrivalTime, Type: "timestamp", Comment: "UTC"},
			{Name: partition.ColQuality, Type: "string"},
		},
		PartitionKeys: stringColumns(ReadingsPartitionKeys...),
		Location:      loc,
		Format:        Parquet(),
		Parameters:    map[string]string{"classification": "parquet"},
		Projection: map[string]string{
			"projection.enabled":             "true",
			"projection.reading_type.type":   "enum",
			"projection.reading_type.values": strings.Join(names, ","),
			"projection.year.type":           "integer",
			"projection.year.range":          "2000,2099",
			"projection.year.digits":         "4",
			"projection.month.type":          "integer",
			"projection.month.range":         "1,12",
			"projection.month.digits":        "2",
			"projection.day.type":            "integer",
			"projection.day.range":           "1,31",
			"projection.day.digits":          "2",
			"projection.hour.type":           "integer",
			"projection.hour.range":          "0,23",
			"projection.hour.digits":         "2",
			"storage.location.template":      loc + "reading_type=${reading_type}/year=${year}/month=${month}/day=${day}/hour=${hour}/",
		},
	}
}

// WeatherTable returns the guidance's integrated weather table,
// mda_database_integrated.weather_data_integrated_weather: hourly Meteostat
// observations with the guidance's renamed columns (all double but time),
// under lake+"weather/", partitioned by date (YYYY-MM-DD). Its Projection
// makes date a date range from 2000-01-01 to now.
func WeatherTable(lake string) *Table {
	loc := dir(lake, "weather/")
	cols := []Column{{Name: "time", Type: "timestamp"}, {Name: "station", Type: "string"}}
	for _, n := range []string{"temperature", "dew_point", "relative_humidity", "precipitation", "snow_depth",
		"wind_direction", "wind_speed", "wind_gust", "sealevel_air_pressure", "sunshine_hours", "weather_condition_code"} {
		cols = append(cols, Column{Name: n, Type: "double"})
	}
	return &Table{
		Database:      DatabaseIntegrated,
		Name:          WeatherTableName,
		Description:   "Hourly weather observations, partitioned by UTC date",
		Columns:       cols,
		PartitionKeys: stringColumns("date"),
		Location:      loc,
		Format:        Parquet(),
		Parameters:    map[string]string{"classification": "parquet"},
		Projection: map[string]string{
			"projection.enabled":            "true",
			"projection.date.type":          "date",
			"projection.date.format":        "yyyy-MM-dd",
			"projection.date.range":         "2000-01-01,NOW",
			"projection.date.interval":      "1",
			"projection.date.interval.unit": "DAYS",
			"storage.location.template":     loc + "date=${date}/",
		},
	}
}

// TopologyTables returns the guidance's seven grid topology tables,
// mda_database_integrated.topology_data_integrated_<name>, unpartitioned,
// each under lake+"topology/<name>/", with the JSON keys of the guidance's
// topology files lower-cased (as Glue's crawler names them): power_grid,
// substation, distribution_transformer, service_transformer, smart_meter,
// location and voltage_control_zone.
func TopologyTables(lake string) []*Table {
	defs := []struct {
		name string
		cols []Column
	}{
		{"power_grid", stringColumns("id", "name", "status", "validfrom")},
		{"substation", stringColumns("id", "name", "status", "gridid", "locationid")},
		{"distribution_transformer", append(stringColumns("id", "substationid", "status", "capacity", "locationid", "voltagecontrolzoneid"),
			Column{Name: "capacity_kva", Type: "double"})},
		{"service_transformer", append(stringColumns("id", "distributiontransformerid", "locationid", "capacity"),
			Column{Name: "capacity_kva", Type: "double"})},
		{"smart_meter", stringColumns("id", "locationid", "servicetransformerid")},
		{"location", []Column{
			{Name: "id", Type: "string"}, {Name: "latitude", Type: "double"}, {Name: "longitude", Type: "double"},
			{Name: "address", Type: "string"}, {Name: "locationtype", Type: "string"},
		}},
		{"voltage_control_zone", stringColumns("id", "name")},
	}
	out := make([]*Table, len(defs))
	for i, d := range defs {
		out[i] = &Table{
			Database:    DatabaseIntegrated,
			Name:        TopologyTablePrefix + d.name,
			Description: "Grid topology: " + strings.ReplaceAll(d.name, "_", " "),
			Columns:     d.cols,
			Location:    dir(lake, "topology/"+d.name+"/"),
			Format:      Parquet(),
			Parameters:  map[string]string{"classification": "parquet"},
		}
	}
	return out
}

// ForecastResultsTable returns mda_database_feature_ml.meter_forecast_results,
// the guidance's name over our layout (package tables): under
// ml+"forecasts/", one row per meter and forecast step (forecast_time is
// the step's end) with P10/P50/P90 energy in kWh, partitioned by
// model_name and forecast_start (yyyyMMddHHmmss). The guidance stores a
// row per meter with arrays (target, mean, quantiles); a long table is
// what Athena, Grafana and the API filter on.
//
// Its Projection makes model_name an enum of ForecastModelNames (override
// "projection.model_name.values" through DDLOptions.ProjectionProperties
// for models of other names) and forecast_start a date projection in
// hours (format yyyyMMddHHmmss, tables.ForecastStartLayout) from
// 2000-01-01 to now, with the storage location template of
// tables.ForecastDir.
func ForecastResultsTable(ml string) *Table {
	loc := dir(ml, tables.ForecastsPrefix)
	return &Table{
		Database:    DatabaseFeatureML,
		Name:        ForecastResultsTableName,
		Description: "Hourly energy forecasts per meter, P10/P50/P90 in kWh",
		Columns: []Column{
			{Name: "meter_id", Type: "string"},
			{Name: "forecast_time", Type: "timestamp"},
			{Name: "p10", Type: "double"},
			{Name: "p50", Type: "double"},
			{Name: "p90", Type: "double"},
			{Name: "model_version", Type: "string"},
		},
		PartitionKeys: stringColumns("model_name", "forecast_start"),
		Location:      loc,
		Format:        Parquet(),
		Parameters:    map[string]string{"classification": "parquet"},
		Projection: map[string]string{
			"projection.enabled":                      "true",
			"projection.model_name.type":              "enum",
			"projection.model_name.values":            strings.Join(ForecastModelNames, ","),
			"projection.forecast_start.type":          "date",
			"projection.forecast_start.format":        ForecastStartFormat,
			"projection.forecast_start.range":         "20000101000000,NOW",
			"projection.forecast_start.interval":      "1",
			"projection.forecast_start.interval.unit": "HOURS",
			"storage.location.template":               loc + "model_name=${model_name}/forecast_start=${forecast_start}/",
		},
	}
}

// ForecastModelNames are the model names that the forecasts table's
// projection enumerates: the forecast package's default model
// (forecast.DefaultModel). Athena finds no forecasts of other models
// unless their names are added to projection.model_name.values (mda
// catalog ddl --models).
var ForecastModelNames = []string{"linear"}

// ForecastStartFormat is the Java date format (Athena's) of the
// forecast_start partition value, tables.ForecastStartLayout in Go's
// notation. Forecasts start on the hour.
const ForecastStartFormat = "yyyyMMddHHmmss"

// AnomalyResultsTable returns mda_database_feature_ml.meter_anomaly_results
// over our layout (package tables): under ml+"anomalies/", partitioned by
// year, one row per meter and day with its energy (kWh), the model's
// expected value and interval, the anomaly flag (1 spike, -1 dip, 0 none)
// and its importance. The guidance's columns, with ds a timestamp (the
// day's midnight, UTC) and the model's name added.
//
// Its Projection makes year an integer range, 2000 to 2099, of 4 digits
// (tables.AnomalyDir), as in the readings table.
func AnomalyResultsTable(ml string) *Table {
	loc := dir(ml, tables.AnomaliesPrefix)
	return &Table{
		Database:    DatabaseFeatureML,
		Name:        AnomalyResultsTableName,
		Description: "Daily energy anomalies per meter",
		Columns: []Column{
			{Name: "meter_id", Type: "string"},
			{Name: "ds", Type: "timestamp"},
			{Name: "consumption", Type: "double"},
			{Name: "yhat", Type: "double"},
			{Name: "yhat_lower", Type: "double"},
			{Name: "yhat_upper", Type: "double"},
			{Name: "anomaly", Type: "int"},
			{Name: "importance", Type: "double"},
			{Name: "model", Type: "string"},
		},
		PartitionKeys: stringColumns("year"),
		Location:      loc,
		Format:        Parquet(),
		Parameters:    map[string]string{"classification": "parquet"},
		Projection:    yearProjection(loc),
	}
}

// AnomalyEventsTable returns mda_database_feature_ml.meter_anomaly_events
// over our layout (package tables, tables.AnomalyEventRow): under
// ml+"anomaly_events/", partitioned by the year of each event's start, one
// row per anomaly event of a meter: its kind (spike, dip, flat, zero,
// drop), its span [start_time, end_time) in UTC, the resolution scored in
// seconds, the energy read over it (kWh), what the meter's history
// predicts and its interval (NULL where a kind has none; files written
// before that change hold NaN), its importance
// and the model's name. The guidance has no such table: its Prophet job
// scores days only (AnomalyResultsTable).
//
// Its Projection makes year an integer range, 2000 to 2099, of 4 digits
// (tables.AnomalyEventDir), as in the anomalies table.
func AnomalyEventsTable(ml string) *Table {
	loc := dir(ml, tables.AnomalyEventsPrefix)
	return &Table{
		Database:    DatabaseFeatureML,
		Name:        AnomalyEventsTableName,
		Description: "Anomaly events per meter: daily and hourly spikes and dips, flat and zero runs, sustained drops",
		Columns: []Column{
			{Name: "meter_id", Type: "string"},
			{Name: "kind", Type: "string", Comment: "spike, dip, flat, zero or drop"},
			{Name: "start_time", Type: "timestamp", Comment: "UTC"},
			{Name: "end_time", Type: "timestamp", Comment: "UTC, exclusive"},
			{Name: "resolution_seconds", Type: "int"},
			{Name: "consumption", Type: "double", Comment: "kWh"},
			{Name: "yhat", Type: "double"},
			{Name: "yhat_lower", Type: "double"},
			{Name: "yhat_upper", Type: "double"},
			{Name: "importance", Type: "double"},
			{Name: "model", Type: "string"},
		},
		PartitionKeys: stringColumns("year"),
		Location:      loc,
		Format:        Parquet(),
		Parameters:    map[string]string{"classification": "parquet"},
		Projection:    yearProjection(loc),
	}
}

// Tables returns every table of the guidance: the readings, weather and
// topology tables over the lake root lake, and the ML result tables
// (forecasts, anomalies, anomaly events) over the ML bucket root ml (the
// lake root too if ml is "").
func Tables(lake, ml string) []*Table {
	if ml == "" {
		ml = lake
	}
	ts := []*Table{ReadingsTable(lake), WeatherTable(lake)}
	ts = append(ts, TopologyTables(lake)...)
	return append(ts, ForecastResultsTable(ml), AnomalyResultsTable(ml), AnomalyEventsTable(ml))
}

func stringColumns(names ...string) []Column {
	cols := make([]Column, len(names))
	for i, n := range names {
		cols[i] = Column{Name: n, Type: "string"}
	}
	return cols
}

// yearProjection is the Athena partition projection of a table
// partitioned by year=YYYY under loc: integers 2000 to 2099, 4 digits.
func yearProjection(loc string) map[string]string {
	return map[string]string{
		"projection.enabled":        "true",
		"projection.year.type":      "integer",
		"projection.year.range":     "2000,2099",
		"projection.year.digits":    "4",
		"storage.location.template": loc + "year=${year}/",
	}
}
