package meter_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/openmda/mda/meter"
)

func TestNEM12Sample(t *testing.T) {
	data, err := os.ReadFile("testdata/nem12-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	reads, err := meter.ReadAll(meter.NewNEM12Reader(bytes.NewReader(data), nil))
	if err != nil {
		t.Fatal(err)
	}
	checkReads(t, reads)
	// 48 + 48 half-hours of E1, 96 quarter-hours of B1; the N day is dropped.
	if len(reads) != 192 {
		t.Fatalf("got %d reads, want 192", len(reads))
	}
	arr1 := utc("2024-03-03T15:30:00Z") // 20240304013000 AEST
	arr2 := utc("2024-03-04T15:30:00Z")
	want := map[int]meter.Reading{
		// 2024-03-03 00:30 AEST is 2024-03-02 14:30 UTC.
		0:  {MeterID: "NMI0000001-E1", Type: meter.TypeKWh, Value: 0.1, Time: utc("2024-03-02T14:30:00Z"), Source: "nem12", Arrival: arr1, Quality: meter.QualityActual},
		47: {MeterID: "NMI0000001-E1", Type: meter.TypeKWh, Value: 0.57, Time: utc("2024-03-03T14:00:00Z"), Source: "nem12", Arrival: arr1, Quality: meter.QualityActual},
		// Day of quality V: intervals 21 and 22 are E per the 400 record.
		48 + 19: {MeterID: "NMI0000001-E1", Type: meter.TypeKWh, Value: 0.295, Time: utc("2024-03-04T00:00:00Z"), Source: "nem12", Arrival: arr2, Quality: meter.QualityActual},
		48 + 20: {MeterID: "NMI0000001-E1", Type: meter.TypeKWh, Value: 0.3, Time: utc("2024-03-04T00:30:00Z"), Source: "nem12", Arrival: arr2, Quality: meter.QualityEstimated},
		48 + 21: {MeterID: "NMI0000001-E1", Type: meter.TypeKWh, Value: 0.305, Time: utc("2024-03-04T01:00:00Z"), Source: "nem12", Arrival: arr2, Quality: meter.QualityEstimated},
		48 + 22: {MeterID: "NMI0000001-E1", Type: meter.TypeKWh, Value: 0.31, Time: utc("2024-03-04T01:30:00Z"), Source: "nem12", Arrival: arr2, Quality: meter.QualityActual},
		// B1 is export, in Wh: interval 29 (07:00-07:15 AEST) is 10 Wh.
		96 + 28: {MeterID: "NMI0000001-B1", Type: meter.TypeKWhExport, Value: 0.01, Time: utc("2024-03-03T21:15:00Z"), Source: "nem12", Arrival: arr2, Quality: meter.QualitySubstituted},
	}
	for i, w := range want {
		if diff := cmp.Diff(w, reads[i]); diff != "" {
			t.Errorf("read %d (-want +got):\n%s", i, diff)
		}
	}
	keep, err := meter.ReadAll(meter.NewNEM12Reader(bytes.NewReader(data), &meter.NEM12Options{KeepNull: true}))
	if err != nil || len(keep) != 192+96 || keep[len(keep)-1].Quality != meter.QualityNull {
		t.Fatalf("KeepNull: %v, %d reads", err, len(keep))
	}
	// The null day has no UpdateDateTime: it arrives at the 100 header's
	// DateTime, 202403050930 AEST, on the same clock as the other days.
	if got, want := keep[len(keep)-1].Arrival, utc("2024-03-04T23:30:00Z"); !got.Equal(want) {
		t.Errorf("a day without UpdateDateTime arrives %v, want the file's DateTime %v", got, want)
	}
	// Without a 100 header, it has no arrival: the ingest gives it the
	// object's.
	noHeader := bytes.SplitN(data, []byte("\n"), 2)[1]
	keep, err = meter.ReadAll(meter.NewNEM12Reader(bytes.NewReader(noHeader), &meter.NEM12Options{KeepNull: true}))
	if err != nil || !keep[len(keep)-1].Arrival.IsZero() || !keep[0].Arrival.Equal(arr1) {
		t.Errorf("headerless: %v, arrivals %v and %v", err, keep[0].Arrival, keep[len(keep)-1].Arrival)
	}
}

func nem12Day(date, q string, n int, v string) string {
	return "300," + date + strings.Repeat(","+v, n) + "," + q + ",,,20240305013000,"
}

func TestNEM12BadRecords(t *testing.T) {
	const hdr = "100,NEM12,202403050930,MDP1,RET1\n200,NMI1,E1,E1,E1,,S1,KWH,30,\n"
	good := nem12Day("20240301", "A", 48, "1")
	tests := []struct {
		name   string
		in     string // a record between two good days
		want   error
		column string
		reads  int
	}{
		{"too few values", nem12Day("20240302", "A", 40, "1"), meter.ErrColumnCount, "", 96},
		{"values shifted", nem12Day("20240302", "A", 47, "1") + ",x", meter.ErrQuality, "QualityMethod", 96},
		{"bad number", strings.Replace(nem12Day("20240302", "A", 48, "1"), ",1,", ",1x,", 1), meter.ErrNumber, "IntervalValue1", 96},
		{"bad date", nem12Day("20240230", "A", 48, "1"), meter.ErrTimestamp, "IntervalDate", 96},
		{"bad quality", nem12Day("20240302", "X", 48, "1"), meter.ErrQuality, "QualityMethod", 96},
		{"bad update time", strings.Replace(nem12Day("20240302", "A", 48, "1"), "20240305013000", "2024030501300", 1), meter.ErrTimestamp, "UpdateDateTime", 96},
		{"unknown record", "350,1,2", meter.ErrRecordType, "RecordIndicator", 96},
		{"nem13", "250,NMI1,11,11,11,,S,KWH,,", meter.ErrRecordType, "RecordIndicator", 96},
		{"stray 400", "400,1,48,A,,", meter.ErrStructure, "", 96},
		{"V without 400", nem12Day("20240302", "V", 48, "1"), meter.ErrStructure, "QualityMethod", 96},
		{"V partly covered", nem12Day("20240302", "V", 48, "1") + "\n400,1,47,A,,", meter.ErrStructure, "QualityMethod", 96},
		{"400 out of range", "400,1,49,A,,", meter.ErrStructure, "", 96},
		{"bad header", "100,NEM13,202403050930,A,B", meter.ErrHeader, "VersionHeader", 96},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := hdr + good + "\n" + tt.in + "\n" + nem12Day("20240303", "E52", 48, "2") + "\n900\n"
			var errs []*meter.ParseError
			reads, err := meter.ReadAll(meter.NewNEM12Reader(strings.NewReader(in), &meter.NEM12Options{OnError: onErr(&errs)}))
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) == 0 {
				t.Fatal("no error reported")
			}
			pe := errs[0]
			if !errors.Is(pe, tt.want) || pe.Column != tt.column || pe.Line != 4 || pe.Format != meter.NEM12Format {
				t.Errorf("got %v (column %q line %d), want %v in column %q on line 4", pe, pe.Column, pe.Line, tt.want, tt.column)
			}
			if wantOff := int64(len(hdr) + len(good) + 1); pe.Offset != wantOff {
				t.Errorf("offset %d, want %d", pe.Offset, wantOff)
			}
			if len(reads) != tt.reads {
				t.Errorf("got %d reads, want %d", len(reads), tt.reads)
			}
		})
	}
}

func TestNEM12Structure(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		reads int
		errs  int
	}{
		{"300 before 200", nem12Day("20240301", "A", 48, "1"), 0, 1},
		{"children of a bad 200", "200,NMI1,E1,E1,E1,,S1,FURLONGS,30,\n" + nem12Day("20240301", "A", 48, "1") + "\n" + "200,NMI1,E1,E1,E1,,S1,KWH,30,\n" + nem12Day("20240301", "A", 48, "1"), 48, 2},
		{"data after 900 is reported", "200,NMI1,E1,E1,E1,,S1,KWH,30,\n" + nem12Day("20240301", "A", 48, "1") + "\n900\ngarbage", 48, 1},
		{"5-minute intervals", "200,NMI1,E1,E1,E1,,S1,KWH,5,\n" + nem12Day("20240301", "A", 288, "0.01"), 288, 0},
		{"400 beyond the day", "200,NMI1,E1,E1,E1,,S1,KWH,30,\n" + nem12Day("20240301", "V", 48, "1") + "\n400,1,49,A,,", 0, 2},
		{"bad interval length", "200,NMI1,E1,E1,E1,,S1,KWH,7,\n" + nem12Day("20240301", "A", 48, "1"), 0, 2},
		{"no trailing newline, V day at the end", "200,NMI1,E1,E1,E1,,S1,KWH,30,\n" + nem12Day("20240301", "V", 48, "1") + "\n400,1,48,F14,,", 48, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []*meter.ParseError
			reads, err := meter.ReadAll(meter.NewNEM12Reader(strings.NewReader(tt.in), &meter.NEM12Options{OnError: onErr(&errs)}))
			if err != nil {
				t.Fatal(err)
			}
			if len(reads) != tt.reads || len(errs) != tt.errs {
				t.Errorf("got %d reads and errors %v, want %d reads and %d errors", len(reads), errs, tt.reads, tt.errs)
			}
		})
	}
}

// TestNEM12AfterEnd: nothing after a 900 record vanishes unreported. A 100
// header starts another file (files concatenated into one object), decoded
// as if on its own; any other record is an ErrStructure.
func TestNEM12AfterEnd(t *testing.T) {
	file := func(created, nmi, date, update string) string {
		day := nem12Day(date, "A", 48, "1")
		day = strings.Replace(day, "20240305013000", update, 1)
		return "100,NEM12," + created + ",MDP1,RET1\n200," + nmi + ",E1,E1,E1,N1,M1,KWH,30,\n" + day + "\n900\n"
	}
	type read struct {
		MeterID       string
		Time, Arrival string
	}
	first := file("202401020304", "6001260509", "20240101", "20240102010000")
	tests := []struct {
		name     string
		in       string
		reads    int
		want     []read // the first and the last read
		errLines []int64
	}{
		{"one file", first, 48, []read{
			{"6001260509-E1", "2023-12-31T14:30:00Z", "2024-01-01T15:00:00Z"},
			{"6001260509-E1", "2024-01-01T14:00:00Z", "2024-01-01T15:00:00Z"}}, nil},
		{"blank lines after 900", first + "\n\r\n  \n", 48, nil, nil},
		// The second file's day has no UpdateDateTime: it arrives at its
		// own header's DateTime, not the first file's.
		{"two files", first + file("202402030405", "6001260510", "20240201", ""), 96, []read{
			{"6001260509-E1", "2023-12-31T14:30:00Z", "2024-01-01T15:00:00Z"},
			{"6001260510-E1", "2024-02-01T14:00:00Z", "2024-02-02T18:05:00Z"}}, nil},
		// The second file's channel is its own: its 300 before any 200
		// does not belong to the first file's.
		{"second file without a 200", first + "100,NEM12,202402030405,MDP1,RET1\n" + nem12Day("20240201", "A", 48, "1") + "\n900\n", 48, nil, []int64{6}},
		{"200 after 900", first + "200,6001260510,E1,E1,E1,N1,M1,KWH,30,\n" + nem12Day("20240201", "A", 48, "1") + "\n", 48, nil, []int64{5, 6}},
		{"garbage after 900", first + "\x00\x00garbage\n", 48, nil, []int64{5}},
		{"two 900s", first + "900\n", 48, nil, []int64{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []*meter.ParseError
			reads, err := meter.ReadAll(meter.NewNEM12Reader(strings.NewReader(tt.in), &meter.NEM12Options{OnError: onErr(&errs)}))
			if err != nil {
				t.Fatal(err)
			}
			if len(reads) != tt.reads {
				t.Fatalf("got %d reads, want %d", len(reads), tt.reads)
			}
			if tt.want != nil {
				var got []read
				for _, rd := range []meter.Reading{reads[0], reads[len(reads)-1]} {
					got = append(got, read{rd.MeterID, rd.Time.Format(time.RFC3339), rd.Arrival.Format(time.RFC3339)})
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("first and last reads (-want +got):\n%s", diff)
				}
			}
			var lines []int64
			for _, e := range errs {
				if !errors.Is(e, meter.ErrStructure) {
					t.Errorf("got %v, want an ErrStructure", e)
				}
				lines = append(lines, e.Line)
			}
			if diff := cmp.Diff(tt.errLines, lines); diff != "" {
				t.Errorf("error lines (-want +got):\n%s", diff)
			}
			// Strictly, the first record after the 900 stops the reader.
			_, err = meter.ReadAll(meter.NewNEM12Reader(strings.NewReader(tt.in), nil))
			var pe *meter.ParseError
			if len(tt.errLines) > 0 && (!errors.As(err, &pe) || pe.Line != tt.errLines[0]) {
				t.Errorf("strict: got %v, want the error on line %d", err, tt.errLines[0])
			} else if len(tt.errLines) == 0 && err != nil {
				t.Errorf("strict: %v", err)
			}
		})
	}
}

// TestNEM12LocationDSTDays: with a Location that has DST, a 300 record must
// hold its local day's intervals: 46, 48 or 50 half hours on a 23, 24 or
// 25-hour day. Any other count is rejected rather than laid on the day
// shifted or overlapping the next one.
func TestNEM12LocationDSTDays(t *testing.T) {
	sydney := mustLoad(t, "Australia/Sydney")
	channel := func(interval int) string {
		return fmt.Sprintf("200,6001260509,E1,E1,E1,N1,M1,KWH,%d,\n", interval)
	}
	tests := []struct {
		name     string
		loc      *time.Location
		interval int
		date     string
		day      string // the 300 record, and any 400 records
		reads    int    // 0: rejected with ErrDayLength
		start    string // the local midnight, UTC
		end      string // the next one
	}{
		// 2024-10-06: 02:00 AEST becomes 03:00 AEDT, 23 hours.
		{"spring forward, 46", sydney, 30, "20241006", nem12Day("20241006", "A", 46, "1"), 46, "2024-10-05T14:00:00Z", "2024-10-06T13:00:00Z"},
		{"spring forward, 48", sydney, 30, "20241006", nem12Day("20241006", "A", 48, "1"), 0, "", ""},
		{"spring forward, 50", sydney, 30, "20241006", nem12Day("20241006", "A", 50, "1"), 0, "", ""},
		// Without the optional trailing fields, 48 values and a quality
		// method have as many fields as 46 values and all of them.
		{"spring forward, 48 and no trailing fields", sydney, 30, "20241006", "300,20241006" + strings.Repeat(",1", 48) + ",A", 0, "", ""},
		{"spring forward, 46 and no trailing fields", sydney, 30, "20241006", "300,20241006" + strings.Repeat(",1", 46) + ",A", 46, "2024-10-05T14:00:00Z", "2024-10-06T13:00:00Z"},
		{"spring forward, 5 minutes, 276", sydney, 5, "20241006", nem12Day("20241006", "A", 276, "0.1"), 276, "2024-10-05T14:00:00Z", "2024-10-06T13:00:00Z"},
		{"spring forward, 5 minutes, 288", sydney, 5, "20241006", nem12Day("20241006", "A", 288, "0.1"), 0, "", ""},
		{"spring forward, 15 minutes, 92", sydney, 15, "20241006", nem12Day("20241006", "A", 92, "0.1"), 92, "2024-10-05T14:00:00Z", "2024-10-06T13:00:00Z"},
		{"spring forward, V day", sydney, 30, "20241006", nem12Day("20241006", "V", 46, "1") + "\n400,1,46,E52,,", 46, "2024-10-05T14:00:00Z", "2024-10-06T13:00:00Z"},
		// 2025-04-06: 03:00 AEDT becomes 02:00 AEST, 25 hours.
		{"fall back, 50", sydney, 30, "20250406", nem12Day("20250406", "A", 50, "1"), 50, "2025-04-05T13:00:00Z", "2025-04-06T14:00:00Z"},
		{"fall back, 48", sydney, 30, "20250406", nem12Day("20250406", "A", 48, "1"), 0, "", ""},
		{"fall back, 1 minute, 1500", sydney, 1, "20250406", nem12Day("20250406", "A", 1500, "0.01"), 1500, "2025-04-05T13:00:00Z", "2025-04-06T14:00:00Z"},
		{"ordinary day, 48", sydney, 30, "20240707", nem12Day("20240707", "A", 48, "1"), 48, "2024-07-06T14:00:00Z", "2024-07-07T14:00:00Z"},
		{"NEM time, 48", nil, 30, "20241006", nem12Day("20241006", "A", 48, "1"), 48, "2024-10-05T14:00:00Z", "2024-10-06T14:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The day is followed by an ordinary day, whose reads must
			// all be there, after it.
			next := nem12Day("20241201", "A", 1440/tt.interval, "2")
			in := channel(tt.interval) + tt.day + "\n" + next + "\n"
			var errs []*meter.ParseError
			reads, err := meter.ReadAll(meter.NewNEM12Reader(strings.NewReader(in), &meter.NEM12Options{Location: tt.loc, OnError: onErr(&errs)}))
			if err != nil {
				t.Fatal(err)
			}
			checkReads(t, reads)
			if len(reads) != tt.reads+1440/tt.interval {
				t.Fatalf("got %d reads, want %d and the next day's %d; errors %v", len(reads), tt.reads, 1440/tt.interval, errs)
			}
			if tt.reads == 0 {
				if len(errs) != 1 || !errors.Is(errs[0], meter.ErrDayLength) || !errors.Is(errs[0], meter.ErrColumnCount) || errs[0].Line != 2 {
					t.Fatalf("got errors %v, want the 300 record's ErrDayLength on line 2", errs)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("errors %v", errs)
			}
			// Every read of the day ends at its own instant, one interval
			// after the one before, the last at the next local midnight.
			day := reads[:tt.reads]
			step := time.Duration(tt.interval) * time.Minute
			prev := utc(tt.start)
			for i, rd := range day {
				if want := prev.Add(step); !rd.Time.Equal(want) {
					t.Fatalf("read %d ends %v, want %v", i, rd.Time, want)
				}
				prev = rd.Time
			}
			if !prev.Equal(utc(tt.end)) {
				t.Errorf("the day's last read ends %v, want the next local midnight %v", prev, tt.end)
			}
		})
	}
}

func TestNEM12StrictStopsBeforeLaterReads(t *testing.T) {
	in := "200,NMI1,E1,E1,E1,,S1,KWH,30,\n" + nem12Day("20240301", "V", 48, "1") + "\n" + nem12Day("20240302", "A", 48, "1") + "\n"
	reads, err := meter.ReadAll(meter.NewNEM12Reader(strings.NewReader(in), nil))
	var pe *meter.ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || len(reads) != 0 {
		t.Fatalf("got %d reads, %v; want none and the V day's error on line 2", len(reads), err)
	}
}

// TestNEM12RealExport decodes a real customer export (no 100 header, a V
// day every month or so with 400 records).
func TestNEM12RealExport(t *testing.T) {
	f, err := os.Open(dataset(t, "au-household-meter-exports/meter01.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reads, err := meter.ReadAll(meter.NewNEM12Reader(f, nil))
	if err != nil {
		t.Fatal(err)
	}
	checkReads(t, reads)
	if len(reads) != 1034*48 {
		t.Fatalf("got %d reads, want %d", len(reads), 1034*48)
	}
	seen := map[meter.Key]bool{}
	for _, rd := range reads {
		if seen[rd.Key()] {
			t.Fatalf("duplicate key %v", rd)
		}
		seen[rd.Key()] = true
		if rd.MeterID != "M1-E1" || rd.Type != meter.TypeKWh || rd.Quality != meter.QualityActual {
			t.Fatalf("unexpected read %v", rd)
		}
	}
	// 300,20171129,... the last interval (23:30-24:00 AEST) is 1.025 kWh.
	last := reads[6*48-1]
	if last.Time != utc("2017-11-29T14:00:00Z") || last.Value != 1.025 {
		t.Errorf("got %v", last)
	}
}

func ExampleNewNEM12Reader() {
	day := "300,20240301" + strings.Repeat(",0.25", 48) + ",A,,,20240302013000,\n"
	file := "100,NEM12,202403020130,MDP1,RETAILER1\n" +
		"200,6001234567,E1B1,E1,E1,N1,METER1,KWH,30,\n" + day +
		"200,6001234567,E1B1,B1,B1,N1,METER1,WH,30,\n" + strings.Replace(day, "0.25", "120", 1) +
		"900\n"
	reads, err := meter.ReadAll(meter.NewNEM12Reader(strings.NewReader(file), nil))
	if err != nil {
		panic(err)
	}
	for _, rd := range []meter.Reading{reads[0], reads[47], reads[48]} {
		fmt.Println(rd.MeterID, rd.Type, rd.Value, rd.Time.Format("2006-01-02T15:04Z"), rd.Quality)
	}
	fmt.Println(len(reads), "reads")
	// Output:
	// 6001234567-E1 kwh 0.25 2024-02-29T14:30Z A
	// 6001234567-E1 kwh 0.25 2024-03-01T14:00Z A
	// 6001234567-B1 kwh_export 0.12 2024-02-29T14:30Z A
	// 96 reads
}

func FuzzNEM12Reader(f *testing.F) {
	sample, _ := os.ReadFile("testdata/nem12-sample.csv")
	f.Add(sample)
	f.Add([]byte("200,N,E1,E1,E1,,S,KWH,30,\n300,20240101,1,2\n400,1,1,A\n900"))
	f.Add([]byte("200,N,E1,E1,E1,,S,KWH,1,\n" + nem12Day("20240101", "V", 1440, "0") + "\n400,1,1440,E11,,\n"))
	f.Add(append(append(sample, sample...), "200,N,E1,E1,E1,,S,KWH,30,\n"...)) // concatenated files, then a record after 900
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, data, meter.NEM12Format, func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			return meter.NewNEM12Reader(bytes.NewReader(data), &meter.NEM12Options{OnError: onError, MaxLineBytes: 64 << 10})
		})
	})
}

// FuzzNEM12ReaderDST decodes with a Location that has DST, where a 300
// record's interval count depends on its day.
func FuzzNEM12ReaderDST(f *testing.F) {
	f.Add([]byte("200,N,E1,E1,E1,,S,KWH,30,\n" + nem12Day("20241006", "A", 46, "1") + "\n" + nem12Day("20250406", "V", 50, "1") + "\n400,1,50,A,,\n"))
	f.Add([]byte("200,N,E1,E1,E1,,S,KWH,1,\n" + nem12Day("20250406", "A", 1500, "0") + "\n300,20241006" + strings.Repeat(",1", 48) + ",A\n"))
	sydney := mustLoad(f, "Australia/Sydney")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, data, meter.NEM12Format, func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			return meter.NewNEM12Reader(bytes.NewReader(data), &meter.NEM12Options{Location: sydney, OnError: onError, MaxLineBytes: 64 << 10})
		})
	})
}

func BenchmarkNEM12Reader(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("100,NEM12,202403020130,MDP1,RETAILER1\n")
	days := 0
	for m := 0; buf.Len() < 16<<20; m++ {
		fmt.Fprintf(&buf, "200,60%08d,E1,E1,E1,,S1,KWH,30,\n", m)
		for d := 1; d <= 28; d++ {
			fmt.Fprintf(&buf, "300,202402%02d", d)
			for i := 0; i < 48; i++ {
				fmt.Fprintf(&buf, ",%d.%03d", i%3, (i*37+d)%1000)
			}
			buf.WriteString(",A,,,20240302013000,20240302020000\n")
			days++
		}
	}
	buf.WriteString("900\n")
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	out := make([]meter.Reading, 4096)
	for b.Loop() {
		r := meter.NewNEM12Reader(bytes.NewReader(data), nil)
		for {
			_, err := r.Read(out)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(days*48)*float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}

// TestNEM12HeaderKeepsTheClock: the 100 header's DateTime is resolved on
// its own, so that an ambiguous UpdateDateTime of a day (02:30 on the
// night Sydney leaves DST) resolves the same with or without a header.
func TestNEM12HeaderKeepsTheClock(t *testing.T) {
	body := "200,NMI1,E1,E1,E1,,S1,KWH,30,\n" + nem12Day("20240406", "A", 48, "1")
	body = strings.Replace(body, "20240305013000", "20240407023000", 1)
	syd := &meter.NEM12Options{Location: mustLoad(t, "Australia/Sydney")}
	arrival := func(in string) time.Time {
		t.Helper()
		reads, err := meter.ReadAll(meter.NewNEM12Reader(strings.NewReader(in), syd))
		if err != nil || len(reads) == 0 {
			t.Fatalf("%v, %d reads", err, len(reads))
		}
		return reads[0].Arrival
	}
	without := arrival(body)
	with := arrival("100,NEM12,202404070300,MDP1,RET1\n" + body)
	if !with.Equal(without) {
		t.Errorf("UpdateDateTime 2024-04-07 02:30 Sydney: %v with a 100 header, %v without", with, without)
	}
}
