// Package simulator generates smart-meter data in the head-end system (HES)
// CSV format of AWS's "Guidance for Meter Data Analytics", with realistic
// load shapes, for tests, demos and benchmarks of the rest of the library.
//
// # What it generates
//
// A [Generator] writes one line per meter and interval timestamp:
//
//	time,arrival_time,device_id,measure_name,load,crrnt,pf,kva,kw,vltg
//
// with times "yyyy-MM-dd HH:mm:ss.SSSSSS" in UTC, measure_name "readings" and
// vltg in kV, like the guidance's export ([meter.HESCSVHeader],
// [meter.AppendHESCSV]). Meter i (i = Options.FirstMeter, ...) has the
// guidance's id, [MeterID](i) = uuid3(NAMESPACE_OID, str(i)). Lines are
// time-major: for each timestamp every meter in order. [WriteFile]
// compresses by extension (.gz, .zst).
//
// # How it differs from the guidance
//
// The guidance draws every value independently (kw = load*uniform(0,1), pf
// uniform, voltage uniform), which has no daily shape, no memory and no
// weather, so nothing can be forecast or detected in it. Here:
//
//   - Each meter is a household drawn from archetypes (commuters with
//     morning and evening peaks and an empty house in between, people at
//     home in the daytime with a lunch peak, night owls with a late evening
//     peak), with meter-specific wake, leave, return and bed times, a size
//     (activity level and always-on base load) and lighting that follows
//     the local sunset.
//   - Weekends differ from weekdays (later mornings, daytime use, outings).
//   - The area has a synthetic outdoor temperature ([Generator.Temperature]):
//     an annual cycle, a daily cycle and an hourly AR(1) weather anomaly,
//     from [Climate]. Some households heat electrically (load grows as the
//     temperature falls below their balance point, with a night set-back),
//     some have air conditioning; the shares depend on the climate. Some
//     charge an electric vehicle on some evenings or nights.
//   - Noise is autocorrelated (AR(1) processes per meter, plus appliance
//     cycles lasting tens of minutes, a daily activity factor and the odd
//     holiday away), not i.i.d.
//   - kw is never negative nor above load, the meter's contracted power (an
//     integer number of kW, constant per meter, at least 5 like the
//     guidance's). pf is per meter around 0.90-0.98 with small autocorrelated
//     variation, lower at light load, never above 1. kva = kw/pf.
//   - Voltage is around Options.NominalVoltage and sags with the meter's own
//     load and with the typical load of its feeder (40 meters by index),
//     whose set point varies; crrnt = kva*1000/voltage in A.
//
// Values are rounded before they are written (kw, kva, crrnt and pf to 3
// decimals, voltage to 2 decimals of a volt), so that they round-trip
// exactly through [meter.NewHESCSVReader], which converts kV back to V.
//
// # Determinism
//
// The same Options give the same bytes. Every meter draws from its own
// random stream (PCG seeded from a hash of Seed and i) and every per-line
// decision (arrival delay, injections) is a hash of Seed, i and the time, so
// a meter's data do not depend on the other meters generated, nor on the
// order of generation. The weather depends only on Seed, Climate and
// Location. (Across CPU architectures a value may, rarely, round
// differently, since the Go compiler may fuse multiply-adds on some.)
//
// # Arrivals and injected faults
//
// A line's arrival_time is its time plus a per-line delay of up to 5
// minutes (at most half the interval), in milliseconds. Options inject what
// an ingest must cope with:
//
//   - LateFraction, LateOffset: a late line keeps its reading time, arrives
//     LateOffset later, and is written where it arrives: after the lines of
//     that later timestamp, or at the end of the file if that is past the
//     window.
//   - DuplicateFraction: a line is delivered again, with identical values and
//     an arrival one to ten minutes later, placed by that arrival.
//   - BadFraction: a garbage line follows the line (wrong column count, bad
//     number, bad timestamp, empty meter id, or binary bytes); each ends in
//     '\n' and holds no other '\n'. Only [Generator.WriteCSV] writes them.
//
// Faults inject what anomaly detection must find, on named meters and
// spans: a stuck register ([FaultStuck]), no load with a live supply
// ([FaultZero]) and scaled load ([FaultScale]: a wrong multiplier, reads
// counted twice, a bypass). [SampleFaults] draws a set of them from the
// seed ("mda demo --faults 4"). Unlike the faults above they are in the
// truth: they are what the meter reported. Supply outages are
// [WithOutages].
//
// [Generator.TruthReads] gives the reads a correct ingest must keep: one
// line per meter and timestamp, with the latest arrival of its copies.
package simulator
