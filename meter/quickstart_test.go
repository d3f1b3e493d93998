package meter_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda/meter"
)

// TestQuickstartReader: the Quickstart generator's lines (INT registers,
// AGG increments, with "24" after the hour) become kwh_register and kwh
// reads of meter id "<meter>-<OBIS>"; ERR reads, unknown types, impossible
// dates and bad OBIS codes are rejected with their line and reason.
func TestQuickstartReader(t *testing.T) {
	var errs []*meter.ParseError
	reads, err := meter.ReadAll(meter.NewQuickstartReader(bytes.NewReader(readFile(t, "testdata/quickstart.txt")), &meter.QuickstartOptions{OnError: onErr(&errs)}))
	if err != nil {
		t.Fatal(err)
	}
	r := func(id string, typ meter.Type, tm string, v float64) meter.Reading {
		return meter.Reading{MeterID: id, Type: typ, Value: v, Time: utc(tm), Source: "quickstart", Quality: meter.QualityActual}
	}
	want := []meter.Reading{
		r("46001-1.8.0", meter.TypeKWhRegister, "2019-01-01T00:00:00Z", 1000),
		r("46001-2.8.0", meter.TypeKWh, "2019-01-01T00:00:00Z", 26.492),
		r("46001-1.8.1", meter.TypeKWhRegister, "2019-01-01T00:00:00Z", 2000.5),
		r("46002-1.8.0", meter.TypeKWhRegister, "2019-01-01T00:00:00Z", 999999990),
		r("46001-1.8.0", meter.TypeKWhRegister, "2019-01-01T00:15:00Z", 1026.492), // a CRLF line
		r("46001-2.8.0", meter.TypeKWh, "2019-01-01T00:15:00Z", 45.218),
		r("46002-1.8.0", meter.TypeKWhRegister, "2019-01-03T09:15:00Z", 999999999.5), // 14 digits, five fields
	}
	if diff := cmp.Diff(want, reads); diff != "" {
		t.Errorf("reads (-want +got):\n%s", diff)
	}
	type bad struct {
		Line   int64
		Column string
		Err    error
	}
	var got []bad
	for _, e := range errs {
		if e.Format != meter.QuickstartFormat {
			t.Errorf("error %v: format %q", e, e.Format)
		}
		for _, target := range []error{meter.ErrMeterError, meter.ErrTimestamp, meter.ErrReadingType, meter.ErrMeterID} {
			if errors.Is(e, target) {
				got = append(got, bad{e.Line, e.Column, target})
			}
		}
	}
	wantBad := []bad{
		{7, "reading_value", meter.ErrMeterError},
		{9, "reading_time", meter.ErrTimestamp}, // January 32nd
		{10, "reading_type", meter.ErrReadingType},
		{11, "obis_code", meter.ErrMeterID},
	}
	if diff := cmp.Diff(wantBad, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("rejected lines (-want +got):\n%s", diff)
	}
	if !strings.Contains(errs[0].Error(), "ERR03") {
		t.Errorf("the ERR read's error %q does not name its code", errs[0])
	}
	// Strict: the first bad line stops the read, with its position.
	_, err = meter.ReadAll(meter.NewQuickstartReader(bytes.NewReader(readFile(t, "testdata/quickstart.txt")), nil))
	var pe *meter.ParseError
	if !errors.As(err, &pe) || pe.Line != 7 || !errors.Is(err, meter.ErrMeterError) {
		t.Errorf("strict read: %v, want the ERR read of line 7", err)
	}
}

// TestQuickstartLocation: with a Location, the wall-clock times of a DST
// change resolve per register: the repeated hour's reads stay distinct.
func TestQuickstartLocation(t *testing.T) {
	london := mustLoad(t, "Europe/London")
	var in strings.Builder
	for i, wall := range []string{"2023102900243000", "2023102901240000", "2023102901243000", "2023102901240000", "2023102901243000", "2023102902240000"} {
		for _, obis := range []string{"1.8.0", "1.8.1"} {
			fmt.Fprintf(&in, "7|%s|%s|%d|INT\n", obis, wall, 100+i)
		}
	}
	reads, err := meter.ReadAll(meter.NewQuickstartReader(strings.NewReader(in.String()), &meter.QuickstartOptions{Location: london,
		MeterID: func(m, obis string) string { return "m" + m + "/" + obis }}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range reads {
		if r.MeterID == "m7/1.8.1" {
			got = append(got, r.Time.Format(time.RFC3339))
		}
	}
	want := []string{"2023-10-28T23:30:00Z", "2023-10-29T00:00:00Z", "2023-10-29T00:30:00Z", "2023-10-29T01:00:00Z", "2023-10-29T01:30:00Z", "2023-10-29T02:00:00Z"}
	if diff := cmp.Diff(want, got); diff != "" || len(reads) != 12 {
		t.Errorf("%d reads; register 1.8.1's times (-want +got):\n%s", len(reads), diff)
	}
}

func TestQuickstartRecordStart(t *testing.T) {
	for line, want := range map[string]bool{
		"46001|1.8.1|2019010100240000|26.492|INT|spid|rq|ansi|smult|DST|AccNum|sqcode\r": true,
		"46001|1.8.1|20190101001500|26.492|INT":                                          true,
		"46001|1.8.1|2019010100240000|26.492":                                            false,
		"MeterID;ServicePointID;ReadingType":                                             false,
		"46001|2.8|2019010100240000|1|AGG":                                               false,
		"46001|1.8.1|2019010100250000|1|AGG":                                             false,
	} {
		if got := meter.QuickstartRecordStart([]byte(line)); got != want {
			t.Errorf("QuickstartRecordStart(%q) = %v", line, got)
		}
	}
}

func FuzzQuickstartReader(f *testing.F) {
	f.Add(readFile(f, "testdata/quickstart.txt"))
	f.Add([]byte("1|1.8.0|2019010100240000|1e3|INT\n|||||\n1|1.8.0|2019022900240000|1|AGG\n"))
	london := mustLoad(f, "Europe/London")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, data, meter.QuickstartFormat, func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			return meter.NewQuickstartReader(bytes.NewReader(data), &meter.QuickstartOptions{Location: london, OnError: onError, MaxLineBytes: 4096})
		})
	})
}

func BenchmarkQuickstartReader(b *testing.B) {
	var in bytes.Buffer
	reads := 0
	for m := range 100 {
		for i := range 96 * 7 {
			t := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 15 * time.Minute)
			stamp := t.Format("2006010215") + "24" + t.Format("0405")
			fmt.Fprintf(&in, "%d|1.8.1|%s|%d.%03d|INT|spid|rq|ansi|smult|DST|AccNum|sqcode\n", 46001+m, stamp, 1000+i, i%1000)
			reads++
		}
	}
	benchRead(b, in.Bytes(), reads, func(r io.Reader) meter.Reader { return meter.NewQuickstartReader(r, nil) })
}
