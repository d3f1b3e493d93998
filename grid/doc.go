// Package grid analyses the lake's meter reads along the grid topology
// (package grid/topology): hourly roll-ups of energy and load per service
// transformer, distribution transformer and substation; transformer
// loading against capacity; outage detection, grouped by the transformer
// that best explains the meters that went silent or dead; and the
// guidance's volt-var (conservation voltage reduction) savings estimate,
// with its constants as options. NewHandler serves them over HTTP.
//
// # Time
//
// A read at time t stands for the interval that ends at t (as in
// mda.HourlyEnergy): the 15-minute read at 10:00 belongs to the hour that
// starts at 09:00. So a roll-up of [from, to) reads the reads with
// from < t <= to. Outages are reported in reading times: an outage from
// 10:00 to 11:00 means that the reads timed 10:00 up to 10:45 are missing
// or at zero voltage and the read at 11:00 is back. An outage already on
// at the start of the window is dated from the reads of a look-back before
// it (OutageOptions.LookBack), which also makes a transformer silent all
// through the window out rather than unmonitored.
//
// # What the guidance did
//
// The guidance's outage map is a placeholder (LIMIT 50 on the topology);
// its volt-var job has no trigger or API, scans the whole voltage history
// every run, hard-codes its constants, and averages in the zeros of dead
// meters. Its dashboards sum kW samples as if they were energy. Here
// energy is kW × interval, dead meters' reads are left out of voltage
// averages, and every figure has a function, a test and an endpoint.
package grid
