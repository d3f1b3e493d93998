// Package meter defines the canonical smart-meter read, the registry of
// reading types and their units, io-shaped batch readers and writers of
// reads, and the decoders that turn the formats utilities deliver into reads.
//
// # The canonical read
//
// A [Reading] is one value of one reading type from one meter at one instant:
// the columns of the lake's integrated table (meter_id, reading_value,
// reading_date_time, reading_source, arrival_time, quality, reading_type).
// Times are UTC with millisecond precision. Values are in the unit of their
// [Type] (see [LookupType]): voltage is stored in volts even where a source
// delivers kilovolts, and energy is never obtained by summing power samples.
//
// # Batches
//
// [Reader] and [Writer] move reads in batches, shaped like [io.Reader] and
// [io.Writer]: Read fills a caller-owned slice and returns [io.EOF] at the
// end, so a pipeline reuses one buffer and allocates nothing per read.
//
// # Decoders and errors
//
// [HESCSVDecoder] decodes the head-end system CSV of AWS's Guidance for Meter
// Data Analytics (one line, six reads). The other formats utilities deliver
// each have a streaming Reader: AEMO NEM12 ([NewNEM12Reader]), UK MRASCo
// D0010 and D0275 ([NewMRASCoReader]), Green Button / NAESB ESPI XML
// ([NewESPIReader]), the "Smart meters in London" CSV in both its layouts
// ([NewLondonReader]), retailer "wide" CSV with one row per day
// ([NewWideCSVReader]), JSON lines such as the guidance's staging records
// ([NewJSONLinesReader]), and a configurable column mapping for everything
// else ([NewMappedCSVReader]). Every decoder reports a bad record as a
// [*ParseError] carrying the format, line, byte offset and reason, so that a
// caller can quarantine the record and carry on, or stop on the first one.
//
// [JSONLinesWriter] encodes reads as those JSON lines, exactly (values
// that parse back to the same float64, units named, UTC milliseconds):
// it is how a service hands reads it holds in memory to the pipeline
// (mda.IngestReads).
//
// # Local time
//
// Formats in local wall-clock time are converted to UTC with [WallClock]:
// in the autumn hour that repeats, a repeated wall time of one meter is the
// later instant (the series is in time order), so no read is merged or
// lost; a wall time in the spring gap is an error ([ErrNonexistentTime]).
//
// CSV formats with one record per line can be split into byte ranges (see
// package ranges; the RecordStart predicates recognise headers). NEM12,
// MRASCo flows and ESPI XML are hierarchical: a file is one unit.
//
// # Formats
//
// What each format's fields become. Times become UTC; energy becomes kWh
// per interval (type kwh, or kwh_export for export channels); Reading.Time
// is the end of the read's interval.
//
// HES CSV (HESCSVFormat), the guidance's head-end export, UTC:
//
//	time,arrival_time,device_id,measure_name,load,crrnt,pf,kva,kw,vltg
//	2023-03-01 10:15:00.000000,2023-03-01 10:15:00.000000,503d4c60-...,readings,7,7.187,0.889,1.437,1.278,0.2
//
// One line gives six reads at time: load (kW), crrnt (A), pf, kva (kVA),
// kw (kW) and vltg, converted from kV to V (0.2 becomes 200); device_id
// is the meter id, arrival_time the Arrival, source "B", quality A.
//
// AEMO NEM12 (NEM12Format), interval ends in NEM time (UTC+10, no DST):
//
//	200,NMI0000001,E1B1,E1,E1,N1,METER001,KWH,30,20240401
//	300,20240303,0.100,0.110,...(48 values)...,A,,,20240304013000,20240304020000
//	400,1,20,A,,
//
// The 200 record's NMI and suffix give the meter id (NMI0000001-E1), its
// unit and interval length the scale (Wh and MWh to kWh) and spacing; each
// 300 value is one read, with the day's quality (A, E, S, F, N) or, for V,
// the 400 record covering its interval; 100, 500 and 900 frame the file.
//
// MRASCo D0275 and D0010 (MRASCoFormat), pipe-delimited, Europe/London:
//
//	ZHV|0000123456|D0275001|D|HHDC|X|SUPP|20240402080000||||OPER|
//	25B|1012345678901|AI|SUPP|          MPAN and measurement quantity (AI import, AE export)
//	26B|20231029|                       the day (48, or 46/50 on clock-change days)
//	27B|A|0.100|                        one half hour: actual/estimated flag and kWh
//
//	026|1012345678901|V|                D0010: MPAN
//	028|F89A012345|D|                   meter serial
//	030|01|20231028120000|12345.6|||T|A|  register reading (type kwh_register): id, time, value
//
// Green Button / ESPI XML (ESPIFormat), an Atom feed whose entries link a
// UsagePoint to its MeterReadings, their ReadingType and IntervalBlocks:
//
//	<entry><link href=".../UsagePoint/1/MeterReading/01/IntervalBlock" rel="self"/>
//	  <content><espi:IntervalBlock>
//	    <espi:IntervalReading>
//	      <espi:timePeriod><espi:duration>3600</espi:duration><espi:start>1709337600</espi:start></espi:timePeriod>
//	      <espi:value>974</espi:value>
//	      <espi:ReadingQuality><espi:quality>0</espi:quality></espi:ReadingQuality>
//	    </espi:IntervalReading>
//	...
//	<espi:ReadingType><espi:flowDirection>1</espi:flowDirection><espi:powerOfTenMultiplier>0</espi:powerOfTenMultiplier><espi:uom>72</espi:uom></espi:ReadingType>
//
// Each IntervalReading's value times 10^powerOfTenMultiplier of its
// ReadingType, Wh (uom 72) to kWh: 974 becomes 0.974 kWh; flowDirection 19
// (reverse) gives kwh_export. Time is timePeriod start (epoch seconds) plus
// duration: the read above ends 2024-03-02T01:00:00Z. ReadingQuality maps
// to Quality (0, 14, 17, 18, 19: A; 7, 11: S; anything else, estimates
// included: E; see [ESPIReader]); the UsagePoint id in the entry's links ("1") is the
// meter id.
//
// London smart meters CSV (LondonFormat), Europe/London, interval start:
//
//	LCLid,tstp,energy(kWh/hh)                                  (Kaggle)
//	MAC000002,2012-10-28 00:30:00.0000000,0.269
//	LCLid,stdorToU,DateTime,KWH/hh (per half hour) ,Acorn,Acorn_grouped   (London Datastore)
//	MAC000002,Std,2012-10-28 00:30:00.0000000, 0.269 ,ACORN-A,Affluent
//
// LCLid is the meter id; the time is moved 30 minutes to the interval end;
// "Null" values are dropped (or kept as quality N).
//
// Retailer wide CSV (WideCSVFormat), one row per meter and day:
//
//	NMI,METER SERIAL NUMBER,CON/GEN,DATE,ESTIMATED?,00:00 - 00:30,...,23:30 - 00:00
//	6001234567,7625,Consumption,1/3/24,No,0.1,0.15,...
//
// Each of the 48 columns is one read ending k half hours after midnight;
// CON/GEN picks kwh or kwh_export, ESTIMATED? the quality. The columns,
// date layout and zone are options (WideCSVOptions). In a zone whose
// offset changes (DST), a row of a day within a year of a change must have
// as many columns as its local day has intervals (46, 48 or 50 half
// hours), or 48 with the skipped hour empty on a 23-hour day, and a row
// of any day shaped like a clock change's day is rejected too; such rows
// are never shifted onto the day or the next one.
//
// JSON lines (JSONLinesFormat), the guidance's staging records (its range
// workers put them on Kinesis, Firehose lands them in S3) or a stream's:
//
//	{"meter_id": "503d4c60-...", "reading_type": "vltg", "reading_value": "0.2", "reading_date_time": "2023-03-01 10:15:00.000", "reading_source": "B"}
//
// One object per line (or several, one after another, as a Kinesis record
// aggregates them), in UTC unless the time carries an offset; the value a
// number or a string holding one, vltg in kV unless the record's unit (or
// [JSONLinesOptions].VoltageUnit) says V: 0.2 becomes 200 V. Optional
// arrival_time, quality and unit (W, Wh and kV are converted).
//
// The AWS Quickstart's pipe format (QuickstartFormat), which its meter
// data generator and MRASCo adapter write, without a header, in UTC:
//
//	46001|1.8.1|2019010100240000|26.492|INT|spid|rq|ansi|smult|DST|AccNum|sqcode
//
// Meter id, OBIS register, time (yyyyMMddHH, a literal 24, mmss), value
// and type: INT is a cumulative register (kwh_register), AGG the energy
// since the previous interval (kwh), ERR an error code the meter reported,
// which is rejected (ErrMeterError). The meter id is "46001-1.8.1".
//
// Anything else (MappedCSVFormat): MappedCSVOptions names the meter, time,
// value, type and quality columns, the time layout and zone, whether times
// start or end their interval, and a scale to the type's unit. For example
// a half-hourly export in Australia/Sydney wall-clock time, times starting
// their interval:
//
//	customer_id,reading_datetime,general_supply_kwh
//	10006414,2013-04-07 01:30:00,0.225
//
// read with MappedCSVOptions{Header: true, Location: Sydney, Interval: 30 *
// time.Minute} (columns 0, 1 and 2 are the defaults for meter, time and
// value) gives meter 10006414, 0.225 kWh ending 2013-04-06T15:00:00Z.
// During the fall-back hour the same wall-clock times come twice; the
// second occurrence, per meter, is the later UTC instant. The mda command
// takes the options as --format csv --map 'header,interval=30m,...' --tz
// Australia/Sydney.
//
// This package imports nothing outside the standard library.
package meter
