package mda_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Australia/Melbourne without a system zoneinfo

	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/simulator"
)

func TestDetectFormat(t *testing.T) {
	tests := []struct{ head, want string }{
		{meter.HESCSVHeader + "\n2024-03-01 00:15:00,...", meter.HESCSVFormat},
		{"100,NEM12,200506081149,UNITEDDP,NEMMCO\n", meter.NEM12Format},
		{"200,M1,E1E2,E1,E1,,CZ226453,KWH,30,\n300,", meter.NEM12Format},
		{"ZHV|0000001|D0275001|X|", meter.MRASCoFormat},
		{"<?xml version=\"1.0\"?><feed", meter.ESPIFormat},
		{"LCLid,tstp,energy(kWh/hh)\n", meter.LondonFormat},
		{"NMI,METER SERIAL NUMBER,CON/GEN,DATE,ESTIMATED?,00:00 - 00:30\n", meter.WideCSVFormat},
		{"\xef\xbb\xbfLCLid,stdorToU,DateTime,KWH/hh (per half hour) \n", meter.LondonFormat},
		{`{"meter_id": "m1", "reading_type": "kw"`, meter.JSONLinesFormat},
		{"46001|1.8.1|2019010100240000|26.492|INT|spid|rq|ansi|smult|DST|AccNum|sqcode\n", meter.QuickstartFormat},
	}
	for _, tt := range tests {
		got, err := mda.DetectFormat([]byte(tt.head))
		if err != nil || got != tt.want {
			t.Errorf("DetectFormat(%q) = %q, %v; want %q", tt.head, got, err, tt.want)
		}
	}
	if _, err := mda.DetectFormat([]byte("a,b,c\n1,2,3\n")); !errors.Is(err, mda.ErrUnknownFormat) {
		t.Errorf("an unknown CSV: error %v, want ErrUnknownFormat", err)
	}
}

// TestIngestRealExports ingests the real Australian exports with their
// format detected: every interval of every day lands in the lake.
func TestIngestRealExports(t *testing.T) {
	dir, _ := filepath.Abs(filepath.Join("..", "shared", "datasets", "au-household-meter-exports"))
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("real exports not available (%v); they live in ../shared/datasets", err)
	}
	tests := []struct {
		file, format string
		reads        int64
	}{
		{"meter01.csv", meter.NEM12Format, 1034 * 48}, // 1,034 days of 48 half hours
		{"meter03.csv", meter.WideCSVFormat, 465 * 48},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			if tt.format == meter.NEM12Format && os.Getenv("MDA_LONG_TESTS") == "" {
				// 1,034 days are 24,816 hourly partitions: 15 seconds.
				// The meter package decodes this file in every run.
				t.Skip("set MDA_LONG_TESTS=1 to ingest the NEM12 export (15 s)")
			}
			ctx := context.Background()
			in := openBucket(t, "file://"+dir+"?metadata=skip")
			// A sortedmem lake: memblob sorts every key of the bucket on
			// each listing, which a year of hourly partitions makes
			// quadratic, and a file lake syncs a lock file per partition.
			lake := memLake(t)
			st, err := mda.Ingest(ctx, lake, in, tt.file, nil)
			if err != nil {
				t.Fatal(err)
			}
			if st.Format != tt.format || st.Reads != tt.reads || st.Quarantined != 0 || st.Ranges != 1 {
				t.Fatalf("stats %+v, want format %s and %d reads", st, tt.format, tt.reads)
			}
			reads, _, err := partition.ReadAll(ctx, lake, nil)
			if err != nil {
				t.Fatal(err)
			}
			keys := map[meter.Key]bool{}
			for _, r := range reads {
				if r.Type != meter.TypeKWh || r.Value < 0 {
					t.Fatalf("unexpected read %v", r)
				}
				keys[r.Key()] = true
			}
			if int64(len(reads)) != tt.reads || len(keys) != len(reads) {
				t.Errorf("%d reads, %d distinct, want %d", len(reads), len(keys), tt.reads)
			}
		})
	}
}

// TestSeriesOrderedFormatsAreNotLate ingests each series-ordered sample
// (one meter's or channel's reads after another's) into a fresh lake:
// nothing in it is late, whatever order its meters come in.
func TestSeriesOrderedFormatsAreNotLate(t *testing.T) {
	dir, _ := filepath.Abs(filepath.Join("meter", "testdata"))
	for _, file := range []string{"d0275-sample.txt", "nem12-sample.csv", "espi-sample.xml", "london-kaggle.csv", "london-datastore.csv", "wide-retailer.csv"} {
		t.Run(file, func(t *testing.T) {
			in := openBucket(t, "file://"+dir+"?metadata=skip")
			lake := openBucket(t, "file://"+t.TempDir())
			st, err := mda.Ingest(context.Background(), lake, in, file, nil)
			if err != nil {
				t.Fatal(err)
			}
			if st.Reads == 0 || st.Late != 0 || st.LateEvents != 0 {
				t.Errorf("%s: %d reads, %d late (%d events) on a fresh lake; want reads and none late", st.Format, st.Reads, st.Late, st.LateEvents)
			}
		})
	}
}

// TestWideCSVIngestDSTDays ingests the real retailer export as
// Australia/Melbourne wall-clock time (--tz Australia/Melbourne). Its rows
// have 48 half hours every day, so the rows of the two days of DST changes
// in it, 6/10/19 (23 hours) and 5/4/20 (25 hours), are quarantined: no
// read is moved by an hour, and none shares an instant with the next
// day's, so de-duplication drops nothing.
func TestWideCSVIngestDSTDays(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 11,000 hourly partitions (4 s)")
	}
	dir, _ := filepath.Abs(filepath.Join("..", "shared", "datasets", "au-household-meter-exports"))
	if _, err := os.Stat(filepath.Join(dir, "meter03.csv")); err != nil {
		t.Skipf("real retailer export not available (%v); it lives in ../shared/datasets/au-household-meter-exports relative to the repository", err)
	}
	mel, err := time.LoadLocation("Australia/Melbourne")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in := openBucket(t, "file://"+dir+"?metadata=skip")
	lake := memLake(t) // as in TestIngestRealExports
	st, err := mda.Ingest(ctx, lake, in, "meter03.csv", &mda.IngestOptions{Formats: &mda.FormatOptions{Location: mel}})
	if err != nil {
		t.Fatal(err)
	}
	const good = (465 - 2) * 48
	if st.Format != meter.WideCSVFormat || st.Staged != good || st.Reads != good || st.Duplicates != 0 || st.Quarantined != 2 {
		t.Errorf("format %s, %d reads staged, %d written, %d duplicates dropped, %d quarantined; want %d, %d, 0 and 2",
			st.Format, st.Staged, st.Reads, st.Duplicates, st.Quarantined, good, good)
	}
	q := quarantined(t, lake)
	sort.Slice(q, func(i, j int) bool { return q[i].Line < q[j].Line })
	want := []struct {
		line        int64
		date, count string
	}{
		{108, "6/10/19", "2019-10-06 in Australia/Melbourne lasts 23h, 46 intervals of 30m, but the row has 48 interval columns"},
		{290, "5/4/20", "2020-04-05 in Australia/Melbourne lasts 25h, 50 intervals of 30m, but the row has 48 interval columns"},
	}
	if len(q) != len(want) {
		t.Fatalf("quarantined %+v, want lines 108 and 290", q)
	}
	for i, w := range want {
		if ql := q[i]; ql.Line != w.line || !strings.HasPrefix(ql.Raw, "6001260509,7625,Consumption,"+w.date+",") ||
			!strings.Contains(ql.Reason, w.count) || ql.Column == "" || ql.Offset <= 0 {
			t.Errorf("quarantined %+v, want line %d (%s): %s", ql, w.line, w.date, w.count)
		}
	}
	reads, _, err := partition.ReadAll(ctx, lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[meter.Key]bool{}
	for _, r := range reads {
		keys[r.Key()] = true
	}
	if len(reads) != good || len(keys) != good {
		t.Errorf("%d reads in the lake, %d distinct; want %d", len(reads), len(keys), good)
	}
}

// stagingJSON turns a head-end CSV into the guidance's staging records, as
// its range worker writes them to Kinesis and Firehose lands them: one
// record per value column, the value as the CSV's text (voltage in kV),
// here with the line's arrival time too.
func stagingJSON(t testing.TB, csvData []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	lines := strings.Split(strings.TrimSuffix(string(csvData), "\n"), "\n")
	for _, line := range lines[1:] {
		f := strings.Split(line, ",")
		if len(f) != 10 {
			t.Fatalf("line %q", line)
		}
		for k, typ := range meter.HESTypes {
			fmt.Fprintf(&out, `{"meter_id": %q, "reading_type": %q, "reading_value": %q, "reading_date_time": %q, "arrival_time": %q, "reading_source": "B"}`+"\n",
				f[2], typ, f[4+k], f[0], f[1])
		}
	}
	return out.Bytes()
}

// TestIngestJSONLines ingests the guidance's staging records (a Firehose
// object of them, gzipped, its format detected): the lake equals the
// simulator's truth, duplicates and late reads included, as the same data
// ingested from the head-end CSV does; a bad record is quarantined with its
// line, and a record without an arrival time arrives with its object.
func TestIngestJSONLines(t *testing.T) {
	ctx := context.Background()
	g := newGenerator(t, simulator.Options{Meters: 8, Days: 1, Seed: 11, DuplicateFraction: 0.03, LateFraction: 0.05, LateOffset: 5 * time.Hour})
	csvData, _ := csvOf(t, g)
	data := stagingJSON(t, csvData)
	bad := `{"meter_id": "m-bad", "reading_type": "kw", "reading_value": "n/a", "reading_date_time": "2024-03-01 00:15:00.000"}` + "\n"
	noArrival := `{"meter_id": "m-extra", "reading_type": "kwh", "reading_value": 1.25, "reading_date_time": "2024-03-01T00:30:00Z"}` + "\n"
	data = append(append(data, bad...), noArrival...)
	lake := openBucket(t, "mem://")
	key := "inbound/readings/json/year=2024/month=03/day=01/hour=00/stream-1-2024-03-01-00-00-00-abc.gz"
	// The record arrives with its object: the object's write time, which
	// comes before Ingest is called.
	before := time.Now().Truncate(time.Millisecond)
	if err := lake.WriteAll(ctx, key, compress(t, "gzip", data), nil); err != nil {
		t.Fatal(err)
	}
	st, err := mda.Ingest(ctx, lake, lake, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	got := allReads(t, lake)
	var extra *meter.Reading
	for i := range got {
		if got[i].MeterID == "m-extra" {
			extra = &got[i]
		}
	}
	if extra == nil || extra.Arrival.Before(before) || extra.Arrival.After(after) {
		t.Fatalf("the record without an arrival time: %v, want one that arrived in [%v, %v]", extra, before, after)
	}
	// The record names no source: "json".
	want := append(truth(t, g), meter.Reading{MeterID: "m-extra", Type: meter.TypeKWh, Value: 1.25,
		Time: time.Date(2024, 3, 1, 0, 30, 0, 0, time.UTC), Source: "json", Arrival: extra.Arrival, Quality: meter.QualityActual})
	sortReads(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lake (-want +got):\n%s", diff)
	}
	q := quarantined(t, lake)
	if st.Format != meter.JSONLinesFormat || st.Quarantined != 1 || len(q) != 1 || q[0].Column != "reading_value" ||
		q[0].Line != int64(bytes.Count(data, []byte("\n"))-1) {
		t.Errorf("format %s, %d quarantined: %+v", st.Format, st.Quarantined, q)
	}
}

// TestIngestQuickstart ingests the AWS Quickstart generator's pipe format,
// its format detected: registers and increments land as kwh_register and
// kwh reads, and the meter's ERR reads are quarantined with their lines.
func TestIngestQuickstart(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join("meter", "testdata", "quickstart.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lake := openBucket(t, "mem://")
	if err := lake.WriteAll(ctx, "data-M46001-M46002.csv", data, nil); err != nil {
		t.Fatal(err)
	}
	st, err := mda.Ingest(ctx, lake, lake, "data-M46001-M46002.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := allReads(t, lake)
	types := map[meter.Type]int{}
	for _, r := range got {
		types[r.Type]++
	}
	q := quarantined(t, lake)
	var lines []int64
	for _, b := range q {
		lines = append(lines, b.Line)
	}
	if st.Format != meter.QuickstartFormat || len(got) != 7 || types[meter.TypeKWhRegister] != 5 || types[meter.TypeKWh] != 2 ||
		!slices.Equal(lines, []int64{7, 9, 10, 11}) || q[0].Column != "reading_value" {
		t.Errorf("format %s: %d reads %v, quarantined lines %v (%+v)", st.Format, len(got), types, lines, q)
	}
}

// TestIngestWrongFormatRequireReads: a NEM12 file ingested as HES CSV
// yields bad lines only; with RequireReads the ingest fails with a
// NoReadsError that names the first bad line, leaves nothing in the lake,
// and the ingest with the right format then runs (not "already ingested").
func TestIngestWrongFormatRequireReads(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join("meter", "testdata", "nem12-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lake := openBucket(t, "mem://")
	if err := lake.WriteAll(ctx, "export.csv", data, nil); err != nil {
		t.Fatal(err)
	}
	_, err = mda.Ingest(ctx, lake, lake, "export.csv", &mda.IngestOptions{Format: "hes-csv", RequireReads: true})
	var nr *mda.NoReadsError
	if !errors.As(err, &nr) || nr.Quarantined == 0 || nr.Format != meter.HESCSVFormat || nr.First.Reason == "" || !strings.Contains(err.Error(), "is the format right") {
		t.Fatalf("wrong format: %v, want a NoReadsError", err)
	}
	if keys := listKeys(t, lake, ""); !slices.Equal(keys, []string{"export.csv"}) {
		t.Errorf("the failed ingest left %v", keys)
	}
	st, err := mda.Ingest(ctx, lake, lake, "export.csv", &mda.IngestOptions{RequireReads: true})
	if err != nil || st.AlreadyIngested != nil || st.Format != meter.NEM12Format || st.Staged == 0 {
		t.Fatalf("the right format: %+v, %v", st, err)
	}
	// Without RequireReads a file of bad lines is quarantined and recorded.
	if err := lake.WriteAll(ctx, "junk.csv", []byte(meter.HESCSVHeader+"\nnot,a,read\n"), nil); err != nil {
		t.Fatal(err)
	}
	st, err = mda.Ingest(ctx, lake, lake, "junk.csv", nil)
	if err != nil || st.Quarantined != 1 {
		t.Errorf("junk without RequireReads: %+v, %v", st, err)
	}
}
