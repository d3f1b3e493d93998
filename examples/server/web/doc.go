// Package web is the example server's site: the lake's HTTP API (package
// api) and a page that charts one meter without any JavaScript.
//
// The page, at /ui/, is a plain HTML form (meter, date range, hourly or
// daily energy) and four charts drawn on the server with gonum.org/v1/plot
// as inline SVG: the meter's consumption in kWh, the hourly temperature of
// the same range under it (from the weather table), its latest forecast as
// a P10–P90 band with the P50 line and the actual energy where it is
// known, and the year's anomaly scores with spikes and dips marked. Panels
// show the meter's place in the grid topology (service and distribution
// transformer, substation, location), the outages detected in the range
// (the meter's own first) and the volt-var (CVR) estimate of its service
// transformer for the last hour of the range that has data. Each panel is
// computed with the same functions and options as the API route it links
// to (/weather, /topology/meter/{meter_id}, /outage, /voltvar/{id}); a
// table the lake lacks (no weather or topology loaded) gives a short note,
// not an error. Every other path is the API. With api.Options.RequireAuth
// the page asks for the API key as the password of HTTP Basic
// authentication, which every browser supports natively.
package web
