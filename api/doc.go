// Package api is the lake's HTTP API: an [http.Handler] that a utility
// mounts in its own server (or runs behind API Gateway, see
// examples/lambda/api). It serves the AWS guidance's routes, with their
// bugs fixed:
//
//	GET /consumption/{meter_id}?reading_date_from=yyyyMMdd&reading_date_to=yyyyMMdd[&period=hour|day|week|month][&estimate=true][&direction=export]
//	GET /voltage/{meter_id}?reading_date_from=yyyyMMdd&reading_date_to=yyyyMMdd[&period=hour|day]
//	GET /reads/{meter_id}?reading_date_from=yyyyMMdd&reading_date_to=yyyyMMdd[&reading_type=kw,vltg,...]
//	GET /forecast/{meter_id}[?forecast_start=yyyyMMddHHmmss][&model=NAME]
//	GET /anomaly/{meter_id}?year=yyyy[&kind=both|spike|dip|all|flat|zero|drop|events][&model=NAME]
//	GET /weather?from=yyyyMMdd&to=yyyyMMdd[&station=ID]
//	GET /meters
//	GET /healthz
//
// Consumption is energy in kWh per period (kW times the read interval,
// never summed kW samples), and the date range includes its last day.
// Each period says how many reads it holds; with estimate=true the missing
// reads between a meter's reads are estimated (package vee: linear over
// short gaps, like-day over longer ones, none over outages longer than a
// week), included in kwh and counted in estimated_reads: the missing kW
// reads, and the intervals a kWh interval channel (NEM12, Green Button)
// lost between two of its reads up to 26 hours apart, each interval once
// (not one a kWh register or daily read counts whole, nor one a kW read
// holds; see query.Lake.Energy).
// Voltage is the minimum, mean and maximum in volts per period. /reads
// serves the reads themselves, as the lake holds them after
// de-duplication, in the guidance's column names (its /consumption served
// raw kW reads) with their units, source, arrival time and quality: those
// whose times lie in the days' intervals, so that a day's kW reads times
// the interval are its /consumption. A forecast
// is the latest stored run made at or before forecast_start, its steps
// after it, with the 10%, 50% and 90% quantiles labelled p10, p50 and p90
// (the guidance served the 90% quantile as "consumption"). Anomalies are
// spikes and dips (the guidance returned dips only): kind=both (the
// default), spike, dip or all select scored days of the anomalies table;
// kind=flat, zero or drop select anomaly events of that kind (a stuck
// register, a run of zero reads, a sustained drop) and kind=events every
// event, spikes and dips of days and of hours included, each with its
// start, end and resolution_seconds; an event's expected, lower and
// upper, where it has none (lower and upper of flat, zero and drop
// events), are null in JSON and empty in CSV. /meters lists the
// meters that reported in the lake's latest hour of kW reads or of kWh
// reads (query.Lake.Meters); /healthz checks that the
// lake is reachable and needs no key.
//
// /weather serves the hourly observations of the weather table (the
// guidance's column names, with units) for the days from to to, both
// included, of one station or all; missing values are null in JSON and
// empty in CSV. Days may also be written YYYY-MM-DD. A lake without
// weather gives 404. The grid routes (/outage, /voltvar/{transformer_id},
// /topology/...) are package grid's handler, mounted here.
//
// # Formats
//
// Responses are JSON objects whose "data" member holds the rows, or, by
// the Accept header (or ?format=json|csv|arrow), CSV with a header line
// (text/csv) or an Apache Arrow IPC stream
// (application/vnd.apache.arrow.stream) of the same rows.
//
// The grid routes keep the shapes of package grid's handler (see
// grid.NewHandler): /outage answers {"from", "to", "outages": [...]},
// /topology/{table} a JSON array of rows, /voltvar/{transformer_id} and
// /topology/meter/{meter_id} one object. They take ?format=json, and
// /outage and /topology/{table} ?format=csv; they do not read Accept.
// Their times are RFC 3339 instants or days, YYYY-MM-DD or yyyyMMdd.
//
// # Errors
//
// Errors are JSON objects {"error": "..."} with status 400 for bad
// parameters (unknown parameters, malformed dates, ranges longer than
// Options.MaxDays, invalid meter ids, too many reads), 401 without a valid
// key, 404 for an unknown route or a meter the lake knows nothing about,
// 406 for an Accept header it cannot satisfy, 503 when a request exceeds
// Options.Timeout or the lake is unreachable, and 500 only for failures of
// the lake itself (logged, never detailed to the client).
//
// A meter is unknown (404) when it has no data in the range asked for and
// is not among the meters of the latest hour (see query.Lake.Meters): row
// group statistics and bloom filters make that scan cheap. A known meter
// with no data in the range gets 200 and no rows. /forecast without a
// forecast run, and /anomaly for a year the anomaly job never scored, get
// 404: an empty list would read as "nothing forecast" or "no anomalies".
//
// Meter ids are what the lake holds: 1 to 128 bytes of visible ASCII,
// other than "." and "..", percent-encoded in the path where they hold
// '/', '?', '#' or '%'.
//
// # Authentication
//
// With Options.RequireAuth, every route but /healthz needs one of
// Options.APIKeys, as "Authorization: Bearer KEY" (or, for browsers, as the
// password of Basic authentication); keys are compared in constant time.
// A server decides RequireAuth from its listen address: [IsLoopback].
package api
