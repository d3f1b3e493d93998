// Command server hosts the lake's HTTP API and a page that charts a meter's
// consumption beside the temperature, its forecast and anomalies, and shows
// its place in the grid, the outages and a volt-var estimate (package web).
//
//	go run ./examples/server --lake file://./mda-data --addr 127.0.0.1:8080
//	go run ./examples/server --demo            # a simulated lake in memory, with weather and topology
//
// On an address other than loopback, API keys are required: pass
// --api-key (repeatable) or set MDA_API_KEYS (comma-separated). Requests
// then send "Authorization: Bearer KEY"; browsers are asked for the key as
// a Basic password.
package main
