// Package web is the example server's site: the lake's HTTP API (package
// api) and a page that charts one meter without any JavaScript.
//
// The page, at /ui/, is a plain HTML form (meter, date range, hourly or
// daily energy) and three charts drawn on the server with gonum.org/v1/plot
// as inline SVG: the meter's consumption in kWh, its latest forecast as a
// P10–P90 band with the P50 line and the actual energy where it is known,
// and the year's anomaly scores with spikes and dips marked. Every other
// path is the API. With api.Options.RequireAuth the page asks for the API
// key as the password of HTTP Basic authentication, which every browser
// supports natively.
package web
