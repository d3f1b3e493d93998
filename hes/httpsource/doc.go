// Package httpsource is the hes driver for the guidance's head-end system
// HTTP API (simulated by simulator.HES): for each window [watermark,
// min(watermark+Window, now-Lag)) it requests a file (POST /readings/file),
// polls its status (GET /readings/file?request_id=) and downloads it from
// the status's location. Windows are half-open on arrival time, an empty
// ("skipped") window moves the watermark too, a failed request or export
// is retried with backoff, and the downloaded gzip CSV is checked against
// record_count before the window counts as received.
//
// The guidance serves the files over SFTP (AWS Transfer Family); a
// head-end that drops its exports in an SFTP directory is read with package
// hes/sftpsource instead.
//
// Importing the package registers the schemes hes+http, hes+https, http and
// https on hes.DefaultURLMux; see URLOpener.
package httpsource
