// Package vee estimates the missing reads of interval data: the E of the
// validation, estimation and editing (VEE) that utilities run before they
// bill or report consumption. The AWS meter-data guidance has none: its
// consumption sums whatever reads arrived, so a day with a missing hour
// reads low, silently.
//
// [Estimate] fills the gaps of one meter's regular series with the two
// rules most utilities' VEE starts from:
//
//   - a short gap (at most Options.MaxLinear) between two actual reads is
//     interpolated linearly between them;
//   - a longer gap takes the like-day value: the mean of the actual reads
//     of the same interval of the week over the previous Options.Weeks
//     weeks;
//   - a gap longer than Options.MaxGap, and the intervals before a meter's
//     first read or after its last, are left missing: an outage, a meter
//     not installed yet or reads not arrived yet are not consumption to
//     invent.
//
// Estimates are marked ([Method]) and never overwrite an actual read; a
// read that arrives later replaces its estimate. Package query uses it for
// consumption with estimates (query.Filter.Estimate; the API's
// /consumption?estimate=true), of kW reads and of kWh interval channels'
// lost reads, counting the estimated reads of every period beside the
// actual ones.
package vee
