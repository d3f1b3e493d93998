package mda

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/openmda/mda/meter"
)

// Format names, as the CLI's --format takes them. Ingest detects the format
// from the first bytes when none is given.
var formatAliases = map[string]string{
	"hes-csv": meter.HESCSVFormat, "hes": meter.HESCSVFormat,
	"nem12": meter.NEM12Format,
	"d0010": meter.MRASCoFormat, "d0275": meter.MRASCoFormat, "mrasco": meter.MRASCoFormat,
	"espi": meter.ESPIFormat, "green-button": meter.ESPIFormat,
	"lcl": meter.LondonFormat, "london-csv": meter.LondonFormat,
	"wide": meter.WideCSVFormat, "wide-csv": meter.WideCSVFormat,
	"csv": meter.MappedCSVFormat, "mapped-csv": meter.MappedCSVFormat,
	"json-lines": meter.JSONLinesFormat, "json": meter.JSONLinesFormat, "ndjson": meter.JSONLinesFormat, "jsonl": meter.JSONLinesFormat,
	"quickstart": meter.QuickstartFormat, "quickstart-pipe": meter.QuickstartFormat,
}

// ParseFormat resolves a format name or alias (hes-csv, nem12, d0010,
// d0275, espi, lcl, wide, csv, json, quickstart) to the meter package's
// Format constant.
func ParseFormat(name string) (string, error) {
	if f, ok := formatAliases[strings.ToLower(name)]; ok {
		return f, nil
	}
	return "", fmt.Errorf("mda: unknown format %q (want hes-csv, nem12, d0010, d0275, espi, lcl, wide, csv, json or quickstart)", name)
}

// retailerWideHeader starts the header of the Australian retailer export
// with one row per day and 48 half-hour columns.
const retailerWideHeader = "NMI,METER SERIAL NUMBER,CON/GEN,DATE,ESTIMATED?,"

// DetectFormat names the format of a file from its first bytes (a few KiB
// are enough): the HES CSV by its header, NEM12 by its 100 or 200 record,
// MRASCo flows by ZHV, Green Button by its XML, the London CSV by LCLid,
// the retailer wide CSV by its header, and JSON lines (the guidance's
// staging records) by a first line that opens an object (or, in Plan and
// Ingest, by a .jsonl or .ndjson name), and the AWS Quickstart's pipe
// format by a first line of meter id, OBIS code and time. A configurable
// CSV cannot be recognised: name it. A head it cannot place is an error
// matching ErrUnknownFormat.
func DetectFormat(head []byte) (string, error) {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")) // UTF-8 BOM
	head = bytes.TrimLeft(head, "\r\n")                   // blank lines, as in some NEM12 exports
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimSuffix(line, []byte{'\r'})
	switch {
	case bytes.HasPrefix(line, []byte("time,arrival_time,device_id,")):
		return meter.HESCSVFormat, nil
	case bytes.HasPrefix(line, []byte("100,NEM12")) || bytes.HasPrefix(line, []byte("200,")):
		return meter.NEM12Format, nil
	case bytes.HasPrefix(line, []byte("ZHV|")):
		return meter.MRASCoFormat, nil
	case bytes.HasPrefix(bytes.TrimSpace(head), []byte("<?xml")) || bytes.HasPrefix(bytes.TrimSpace(head), []byte("<feed")):
		return meter.ESPIFormat, nil
	case bytes.HasPrefix(line, []byte("LCLid,")):
		return meter.LondonFormat, nil
	case bytes.HasPrefix(line, []byte(retailerWideHeader)):
		return meter.WideCSVFormat, nil
	case bytes.HasPrefix(bytes.TrimLeft(line, " \t"), []byte("{")):
		return meter.JSONLinesFormat, nil
	case meter.QuickstartRecordStart(line):
		return meter.QuickstartFormat, nil
	}
	return "", fmt.Errorf("%w from %q; name it (IngestOptions.Format, PlanOptions.Format or mda ingest --format)", ErrUnknownFormat, clipBytes(line))
}

// ErrUnknownFormat is what DetectFormat, Plan and Ingest return (wrapped)
// for a file whose first bytes match no format they recognise: name the
// format (PlanOptions.Format, IngestOptions.Format) or use another reader.
var ErrUnknownFormat = errors.New("mda: cannot tell the format")

// formatByName names the format of an object whose name says it: JSON
// lines (.jsonl, .ndjson, compressed or not), which hes.LandStream and the
// stream Lambda write. A stream object's first line may be a bad record,
// which DetectFormat could not place.
func formatByName(key string) string {
	for _, ext := range []string{".gz", ".zst", ".zstd"} {
		key = strings.TrimSuffix(key, ext)
	}
	if strings.HasSuffix(key, ".jsonl") || strings.HasSuffix(key, ".ndjson") {
		return meter.JSONLinesFormat
	}
	return ""
}

func clipBytes(b []byte) string {
	if len(b) > 60 {
		b = b[:60]
	}
	return string(b)
}

// FormatOptions configures the decoders of formats other than the HES CSV.
// Nil means the defaults.
type FormatOptions struct {
	// Location is the time zone of formats in wall-clock time (MRASCo,
	// London, wide and mapped CSV) when their own options name none. For
	// the retailer wide CSV it replaces NEM time: in a zone whose offset
	// changes (DST), a row of a day within a year of a change must then
	// have as many interval columns as its local day has intervals (for
	// half hours 46 on the 23-hour day, 50 on the 25-hour day, 48 on the
	// others), or 48 with the skipped hour empty on a 23-hour day; other
	// rows are quarantined, never shifted or overlapped (see
	// meter.WideCSVOptions.Location).
	Location *time.Location
	// Mapped describes a configurable CSV (format "csv").
	Mapped *meter.MappedCSVOptions
	// JSONLines configures the JSON lines decoder (format "json"): the
	// unit of voltage records without one, the default reading_source.
	JSONLines *meter.JSONLinesOptions
	// Wide describes a wide CSV; default the Australian retailer layout
	// (NMI, serial, CON/GEN, d/m/yy date, ESTIMATED?, 48 half hours, in
	// NEM time).
	Wide *meter.WideCSVOptions
}

// decoder returns a Reader of format over r, reporting bad records to onError.
func (o *FormatOptions) decoder(format string, r io.Reader, source string, onError func(*meter.ParseError, []byte) error) (meter.Reader, error) {
	if o == nil {
		o = &FormatOptions{}
	}
	loc := o.Location
	switch format {
	case meter.HESCSVFormat:
		return meter.NewHESCSVReader(r, &meter.HESCSVReaderOptions{HESCSVOptions: meter.HESCSVOptions{Source: source},
			OnError: onError, MaxLineBytes: maxLineBytes}), nil
	case meter.NEM12Format:
		return meter.NewNEM12Reader(r, &meter.NEM12Options{OnError: onError}), nil
	case meter.MRASCoFormat:
		return meter.NewMRASCoReader(r, &meter.MRASCoOptions{Location: loc, OnError: onError}), nil
	case meter.ESPIFormat:
		return meter.NewESPIReader(r, &meter.ESPIOptions{OnError: onError}), nil
	case meter.LondonFormat:
		return meter.NewLondonReader(r, &meter.LondonOptions{Location: loc, OnError: onError}), nil
	case meter.WideCSVFormat:
		w := meter.WideCSVOptions{Header: true, MeterColumn: 1, DateColumn: 4, DateLayout: "2/1/06", FirstValueColumn: 6,
			Intervals: 48, Location: meter.NEMTime, TypeColumn: 3,
			TypeNames:       map[string]meter.Type{"Consumption": meter.TypeKWh, "Generation": meter.TypeKWhExport},
			EstimatedColumn: 5}
		if o.Wide != nil {
			w = *o.Wide
		} else if loc != nil {
			// The decoder counts each row's columns against its local day
			// in a zone whose offset changes, and rejects the rows that
			// do not fit.
			w.Location = loc
		}
		w.OnError = onError
		return meter.NewWideCSVReader(r, &w), nil
	case meter.JSONLinesFormat:
		var j meter.JSONLinesOptions
		if o.JSONLines != nil {
			j = *o.JSONLines
		}
		j.OnError, j.MaxLineBytes = onError, maxLineBytes
		return meter.NewJSONLinesReader(r, &j), nil
	case meter.QuickstartFormat:
		return meter.NewQuickstartReader(r, &meter.QuickstartOptions{Location: loc, OnError: onError, MaxLineBytes: maxLineBytes}), nil
	case meter.MappedCSVFormat:
		if o.Mapped == nil {
			return nil, fmt.Errorf("mda: format csv needs a column mapping (FormatOptions.Mapped, --map)")
		}
		m := *o.Mapped
		if m.Location == nil {
			m.Location = loc
		}
		m.OnError = onError
		return meter.NewMappedCSVReader(r, &m), nil
	}
	return nil, fmt.Errorf("mda: no decoder for format %q", format)
}
