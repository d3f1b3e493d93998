package meter_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
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

func TestWallClockDST(t *testing.T) {
	london, sydney := mustLoad(t, "Europe/London"), mustLoad(t, "Australia/Sydney")
	tests := []struct {
		name  string
		loc   *time.Location
		walls []string // one series, in order
		want  []string // UTC, or "gap"
	}{
		{"London fall-back", london,
			[]string{"2023-10-29 00:30", "2023-10-29 01:00", "2023-10-29 01:30", "2023-10-29 01:00", "2023-10-29 01:30", "2023-10-29 02:00"},
			[]string{"2023-10-28T23:30:00Z", "2023-10-29T00:00:00Z", "2023-10-29T00:30:00Z", "2023-10-29T01:00:00Z", "2023-10-29T01:30:00Z", "2023-10-29T02:00:00Z"}},
		{"London fall-back, only one occurrence", london,
			[]string{"2023-10-29 00:30", "2023-10-29 01:30", "2023-10-29 02:30"},
			[]string{"2023-10-28T23:30:00Z", "2023-10-29T00:30:00Z", "2023-10-29T02:30:00Z"}},
		{"London spring-forward", london,
			[]string{"2024-03-31 00:30", "2024-03-31 01:00", "2024-03-31 01:30", "2024-03-31 02:00"},
			[]string{"2024-03-31T00:30:00Z", "gap", "gap", "2024-03-31T01:00:00Z"}},
		{"Sydney fall-back", sydney,
			[]string{"2024-04-07 01:30", "2024-04-07 02:00", "2024-04-07 02:30", "2024-04-07 02:00", "2024-04-07 02:30", "2024-04-07 03:00"},
			[]string{"2024-04-06T14:30:00Z", "2024-04-06T15:00:00Z", "2024-04-06T15:30:00Z", "2024-04-06T16:00:00Z", "2024-04-06T16:30:00Z", "2024-04-06T17:00:00Z"}},
		{"Sydney spring-forward", sydney,
			[]string{"2024-10-06 01:30", "2024-10-06 02:00", "2024-10-06 02:30", "2024-10-06 03:00"},
			[]string{"2024-10-05T15:30:00Z", "gap", "gap", "2024-10-05T16:00:00Z"}},
		{"far from transitions", london,
			[]string{"2024-07-01 12:00", "2024-01-01 12:00"},
			[]string{"2024-07-01T11:00:00Z", "2024-01-01T12:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := meter.NewWallClock(tt.loc)
			for i, w := range tt.walls {
				wall, _ := time.Parse("2006-01-02 15:04", w)
				got, err := c.Instant("m1", wall)
				if tt.want[i] == "gap" {
					if !errors.Is(err, meter.ErrNonexistentTime) {
						t.Errorf("%s: got %v, %v, want ErrNonexistentTime", w, got, err)
					}
					continue
				}
				if err != nil || !got.Equal(utc(tt.want[i])) {
					t.Errorf("%s: got %v, %v, want %s", w, got, err, tt.want[i])
				}
			}
		})
	}
}

// TestWallClockInterleaved checks that series are disambiguated separately.
func TestWallClockInterleaved(t *testing.T) {
	c := meter.NewWallClock(mustLoad(t, "Europe/London"))
	var got []string
	seq := []struct{ s, w string }{{"a", "01:00"}, {"b", "01:00"}, {"a", "01:30"}, {"b", "01:30"}, {"a", "01:00"}, {"b", "01:00"}}
	for _, e := range seq {
		wall, _ := time.Parse("2006-01-02 15:04", "2023-10-29 "+e.w)
		tm, err := c.Instant(e.s, wall)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tm.Format("15:04"))
	}
	want := []string{"00:00", "00:00", "00:30", "00:30", "01:00", "01:00"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}

func TestMappedCSVSydneyDST(t *testing.T) {
	opts := &meter.MappedCSVOptions{Header: true, Comment: "#", Location: mustLoad(t, "Australia/Sydney"), Interval: 30 * time.Minute}
	reads, err := meter.ReadAll(meter.NewMappedCSVReader(bytes.NewReader(readFile(t, "testdata/mapped-sydney.csv")), opts))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rd := range reads {
		got = append(got, fmt.Sprintf("%s %g", rd.Time.Format(time.RFC3339), rd.Value))
	}
	want := []string{
		// Fall-back: 02:00 and 02:30 occur twice; the second time is AEST.
		"2013-04-06T15:00:00Z 0.225", "2013-04-06T15:30:00Z 0.214", "2013-04-06T16:00:00Z 0.211",
		"2013-04-06T16:30:00Z 0.19", "2013-04-06T17:00:00Z 0.187", "2013-04-06T17:30:00Z 0.133",
		// Spring-forward: 01:30 AEST is followed by 03:00 AEDT.
		"2013-10-05T16:00:00Z 0.055", "2013-10-05T16:30:00Z 0.056",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMappedCSVOptions(t *testing.T) {
	in := "id;when;what;value;q\n" +
		"m1;2024-03-01T10:00:00+01:00;kw;1500;A\n" +
		"m1;2024-03-01T10:00:00+01:00;vltg;231.4;E\n" +
		"m2;2024-03-01T10:15:00Z;kwh;\"2,5\";S\n" +
		"m2;2024-03-01T10:15:00Z;kwh;NA;\n" +
		"m3;2024-03-01T10:15:00Z;furlongs;1;A\n" +
		"m3;yesterday;kwh;1;A\n" +
		"m3;2024-03-01T10:15:00Z;kwh;1;X\n" +
		"m3;2024-03-01T10:15:00Z\n"
	var errs []*meter.ParseError
	reads, err := meter.ReadAll(meter.NewMappedCSVReader(strings.NewReader(in), &meter.MappedCSVOptions{
		Delimiter: ';', Header: true, MeterColumn: 1, TimeColumn: 2, TypeColumn: 3, ValueColumn: 4, QualityColumn: 5,
		TypeNames:  map[string]meter.Type{"kw": meter.TypeKW, "vltg": meter.TypeVoltage, "kwh": meter.TypeKWh},
		TimeLayout: time.RFC3339, IntervalEnding: true, Scale: 1, Source: "x", OnError: onErr(&errs)}))
	if err != nil {
		t.Fatal(err)
	}
	want := []meter.Reading{
		{MeterID: "m1", Type: meter.TypeKW, Value: 1500, Time: utc("2024-03-01T09:00:00Z"), Source: "x", Quality: 'A'},
		{MeterID: "m1", Type: meter.TypeVoltage, Value: 231.4, Time: utc("2024-03-01T09:00:00Z"), Source: "x", Quality: 'E'},
	}
	if diff := cmp.Diff(want, reads); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	wantErrs := []struct {
		line   int64
		column string
		err    error
	}{{4, "value", meter.ErrNumber}, {6, "type", meter.ErrUnit}, {7, "time", meter.ErrTimestamp}, {8, "quality", meter.ErrQuality}, {9, "", meter.ErrColumnCount}}
	if len(errs) != len(wantErrs) {
		t.Fatalf("errors %v", errs)
	}
	for i, w := range wantErrs {
		if e := errs[i]; e.Line != w.line || e.Column != w.column || !errors.Is(e, w.err) {
			t.Errorf("error %d: %v, want line %d column %q %v", i, e, w.line, w.column, w.err)
		}
	}
	// A power-of-ten scale is exact: 231.4 V given in kV.
	reads, err = meter.ReadAll(meter.NewMappedCSVReader(strings.NewReader("v,1700000000,0.2314\n"),
		&meter.MappedCSVOptions{TimeLayout: "unix", Type: meter.TypeVoltage, Scale: 1000}))
	if err != nil || len(reads) != 1 || reads[0].Value != 231.4 || !reads[0].Time.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("got %v, %v", reads, err)
	}
}

// TestMappedCSVSGSC decodes the SGSC trial extract. Its timestamps have
// every day exactly 48 half hours, including 02:00 and 02:30 on
// spring-forward days and no repeated hour on fall-back days: they are NEM
// time (AEST, no DST), not Sydney wall-clock time. Read in NEMTime the file
// gives one read per line and no duplicates; read as Australia/Sydney, the
// skipped half hours are rejected.
func TestMappedCSVSGSC(t *testing.T) {
	path := dataset(t, "sgsc-au-households-halfhourly/smart_meter10.csv.gz")
	open := func(loc *time.Location, errs *[]*meter.ParseError) meter.Reader {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		zr, err := gzip.NewReader(bufio.NewReader(f))
		if err != nil {
			t.Fatal(err)
		}
		return meter.NewMappedCSVReader(zr, &meter.MappedCSVOptions{Header: true, Location: loc,
			Interval: 30 * time.Minute, Source: "sgsc", OnError: onErr(errs)})
	}
	var errs []*meter.ParseError
	reads, err := meter.ReadAll(open(meter.NEMTime, &errs))
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	checkReads(t, reads)
	if len(reads) != 293874 {
		t.Fatalf("got %d reads, want 293874", len(reads))
	}
	keys := make(map[meter.Key]struct{}, len(reads))
	meters := map[string]bool{}
	for _, rd := range reads {
		keys[rd.Key()] = struct{}{}
		meters[rd.MeterID] = true
	}
	if len(keys) != len(reads) || len(meters) != 10 {
		t.Fatalf("%d distinct keys, %d meters", len(keys), len(meters))
	}
	// First line: 10006414,2012-02-10 08:00:00,0.141 (interval start, AEST).
	if r := reads[0]; r.MeterID != "10006414" || !r.Time.Equal(utc("2012-02-09T22:30:00Z")) || r.Value != 0.141 {
		t.Errorf("first read %v", r)
	}
	errs = nil
	sydney, err := meter.ReadAll(open(mustLoad(t, "Australia/Sydney"), &errs))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		if !errors.Is(e, meter.ErrNonexistentTime) {
			t.Fatalf("unexpected error %v", e)
		}
	}
	if len(errs) == 0 || len(sydney)+len(errs) != 293874 {
		t.Errorf("as Sydney time: %d reads, %d skipped-time errors", len(sydney), len(errs))
	}
	t.Logf("as Sydney time: %d reads in the spring-forward gap", len(errs))
}

func TestMappedCSVRecordStart(t *testing.T) {
	start := meter.MappedCSVRecordStart(&meter.MappedCSVOptions{Comment: "#"})
	for line, want := range map[string]bool{
		"10006414,2013-04-07 01:30:00,0.225":    true,
		"10006414,2013-04-07 01:30:00,0.225\r":  true,
		"customer_id,reading_datetime,kwh":      false,
		"# comment,2013-04-07 01:30:00,1":       false,
		"":                                      false,
		"10006414,2013-04-07 01:30:00":          false,
		"\"10006414\",2013-04-07 01:30:00,0.22": true,
	} {
		if got := start([]byte(line)); got != want {
			t.Errorf("%q: got %v", line, got)
		}
	}
}

func TestLondonLayouts(t *testing.T) {
	for _, name := range []string{"testdata/london-datastore.csv", "testdata/london-kaggle.csv"} {
		t.Run(name, func(t *testing.T) {
			reads, err := meter.ReadAll(meter.NewLondonReader(bytes.NewReader(readFile(t, name)), nil))
			if err != nil {
				t.Fatal(err)
			}
			checkReads(t, reads)
			var got []string
			for _, rd := range reads {
				got = append(got, fmt.Sprintf("%s %s %g", rd.MeterID, rd.Time.Format(time.RFC3339), rd.Value))
			}
			want := []string{
				"MAC000002 2012-10-28T00:00:00Z 0.269",
				"MAC000002 2012-10-28T00:30:00Z 0.275", // 01:00 BST start
				"MAC000002 2012-10-28T01:00:00Z 0.256", // 01:30 BST start
				"MAC000002 2012-10-28T01:30:00Z 0.211", // 01:00 GMT start; 01:30 GMT is Null
				"MAC000002 2012-10-28T02:30:00Z 0.154",
			}
			if strings.Contains(name, "datastore") {
				want = append([]string{"MAC000002 2012-10-27T23:30:00Z 0.263"}, want...)
				want = append(want, "MAC000246 2013-03-31T00:30:00Z 0.5", "MAC000246 2013-03-31T01:00:00Z 0.4",
					"MAC000246 2013-03-31T01:30:00Z 0.3") // 02:00 BST start, right after 00:30 GMT
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDroppedRowsKeepTheRepeatedHour: a row dropped (a null value) or
// rejected (its value, type or quality) in the first, BST, occurrence of the
// hour Europe/London repeats still counts as that occurrence, so that the
// GMT rows after it are not taken for the BST ones, an hour early. The LCL
// files have such Nulls.
func TestDroppedRowsKeepTheRepeatedHour(t *testing.T) {
	london := mustLoad(t, "Europe/London")
	const lclHeader = "LCLid,tstp,energy(kWh/hh)\n"
	lcl := func(first string) string {
		return lclHeader + "MAC000002,2012-10-28 00:30:00.0000000,0.1\n" +
			"MAC000002,2012-10-28 01:00:00.0000000," + first + "\n" +
			"MAC000002,2012-10-28 01:30:00.0000000," + first + "\n" +
			"MAC000002,2012-10-28 01:00:00.0000000,0.3\n" +
			"MAC000002,2012-10-28 01:30:00.0000000,0.4\n" +
			"MAC000002,2012-10-28 02:00:00.0000000,0.5\n"
	}
	// m,time (interval start),value,type,quality
	mapped := func(first string) string {
		return "m1,2012-10-28 00:30:00,0.1,kwh,A\n" +
			"m1,2012-10-28 01:00:00," + first + "\n" +
			"m1,2012-10-28 01:30:00," + first + "\n" +
			"m1,2012-10-28 01:00:00,0.3,kwh,A\n" +
			"m1,2012-10-28 01:30:00,0.4,kwh,A\n" +
			"m1,2012-10-28 02:00:00,0.5,kwh,A\n"
	}
	mappedOpts := func(keepNull bool, onError func(*meter.ParseError, []byte) error) *meter.MappedCSVOptions {
		return &meter.MappedCSVOptions{Location: london, Interval: 30 * time.Minute, TypeColumn: 4, QualityColumn: 5,
			KeepNull: keepNull, OnError: onError}
	}
	// Interval ends: 00:30 BST start -> 00:00Z; the dropped 01:00 and 01:30
	// BST -> 00:30Z and 01:00Z; 01:00 GMT -> 01:30Z, 01:30 -> 02:00Z, 02:00 -> 02:30Z.
	dropped := []string{"2012-10-28T00:00:00Z", "2012-10-28T01:30:00Z", "2012-10-28T02:00:00Z", "2012-10-28T02:30:00Z"}
	all := []string{"2012-10-28T00:00:00Z", "2012-10-28T00:30:00Z", "2012-10-28T01:00:00Z",
		"2012-10-28T01:30:00Z", "2012-10-28T02:00:00Z", "2012-10-28T02:30:00Z"}
	tests := []struct {
		name string
		open func(onError func(*meter.ParseError, []byte) error) meter.Reader
		want []string
		errs int
	}{
		{"LCL Nulls", func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			return meter.NewLondonReader(strings.NewReader(lcl("Null")), &meter.LondonOptions{OnError: onError})
		}, dropped, 0},
		{"LCL Nulls kept", func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			return meter.NewLondonReader(strings.NewReader(lcl("Null")), &meter.LondonOptions{KeepNull: true, OnError: onError})
		}, all, 0},
		{"LCL bad values", func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			return meter.NewLondonReader(strings.NewReader(lcl("0.2x")), &meter.LondonOptions{OnError: onError})
		}, dropped, 2},
		{"mapped, null values", func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			return meter.NewMappedCSVReader(strings.NewReader(mapped("NA,kwh,A")), mappedOpts(false, onError))
		}, dropped, 0},
		{"mapped, bad type", func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			return meter.NewMappedCSVReader(strings.NewReader(mapped("0.2,furlongs,A")), mappedOpts(false, onError))
		}, dropped, 2},
		{"mapped, bad quality", func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			return meter.NewMappedCSVReader(strings.NewReader(mapped("0.2,kwh,Q")), mappedOpts(false, onError))
		}, dropped, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []*meter.ParseError
			reads, err := meter.ReadAll(tt.open(onErr(&errs)))
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) != tt.errs {
				t.Errorf("errors %v, want %d", errs, tt.errs)
			}
			var got []string
			for _, rd := range reads {
				got = append(got, rd.Time.Format(time.RFC3339))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("interval ends (-want +got):\n%s", diff)
			}
		})
	}
}

// TestScalePowersOfTen: a Scale that is a power of ten is applied in
// decimal, exactly, including those whose math.Log10 is not a whole number
// (0.1, 1e-4, 1e-15, 1e15); another scale multiplies in binary.
func TestScalePowersOfTen(t *testing.T) {
	tests := []struct {
		value string
		scale float64
		want  float64
	}{
		{"3", 0.1, 0.3}, // not 0.30000000000000004
		{"3", 1e-4, 0.0003},
		{"3", 1e-15, 3e-15},
		{"1.1", 1e15, 1.1e15},
		{"1.1", 1e-5, 1.1e-5},
		{"0.2314", 1000, 231.4},
		{"2.5", 1e-22, 2.5e-22},
		{"2.5", 1e22, 2.5e22},
		{"3", 1, 3},
		{"3", 0.5, 1.5},
		{"3", 0.3, 0.8999999999999999}, // 3 × 0.3 in binary
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.value, "x", tt.scale), func(t *testing.T) {
			reads, err := meter.ReadAll(meter.NewMappedCSVReader(strings.NewReader("m1,2024-01-01 00:00:00,"+tt.value+"\n"),
				&meter.MappedCSVOptions{Scale: tt.scale}))
			if err != nil || len(reads) != 1 || reads[0].Value != tt.want {
				t.Errorf("mapped CSV: got %v, %v; want %v", reads, err, tt.want)
			}
			reads, err = meter.ReadAll(meter.NewWideCSVReader(strings.NewReader("m1,2024-01-01"+strings.Repeat(","+tt.value, 48)+"\n"),
				&meter.WideCSVOptions{Scale: tt.scale}))
			if err != nil || len(reads) != 48 {
				t.Fatalf("wide CSV: got %d reads, %v", len(reads), err)
			}
			if reads[0].Value != tt.want {
				t.Errorf("wide CSV: got %v, want %v", reads[0].Value, tt.want)
			}
		})
	}
}

func TestLondonHeaderless(t *testing.T) {
	// A byte range from the middle of a file: no header, layout inferred.
	data := readFile(t, "testdata/london-kaggle.csv")
	_, rest, _ := bytes.Cut(data, []byte("\n"))
	if !meter.LondonRecordStart(rest[:bytes.IndexByte(rest, '\n')]) || meter.LondonRecordStart(data[:bytes.IndexByte(data, '\n')]) {
		t.Fatal("LondonRecordStart")
	}
	reads, err := meter.ReadAll(meter.NewLondonReader(bytes.NewReader(rest), nil))
	if err != nil || len(reads) != 5 {
		t.Fatalf("%v, %d reads", err, len(reads))
	}
	keep, _ := meter.ReadAll(meter.NewLondonReader(bytes.NewReader(rest), &meter.LondonOptions{KeepNull: true, Layout: meter.LondonKaggle}))
	if len(keep) != 6 || keep[4].Quality != meter.QualityNull {
		t.Fatalf("KeepNull: %v", keep)
	}
	_, err = meter.ReadAll(meter.NewLondonReader(strings.NewReader("a,b\n"), nil))
	if !errors.Is(err, meter.ErrHeader) {
		t.Fatalf("got %v", err)
	}
}

func retailerOptions() *meter.WideCSVOptions {
	return &meter.WideCSVOptions{Header: true, MeterColumn: 1, DateColumn: 4, DateLayout: "2/1/06", FirstValueColumn: 6,
		Location: meter.NEMTime, TypeColumn: 3, EstimatedColumn: 5,
		TypeNames: map[string]meter.Type{"Consumption": meter.TypeKWh, "Generation": meter.TypeKWhExport}}
}

func TestWideCSVRetailer(t *testing.T) {
	reads, err := meter.ReadAll(meter.NewWideCSVReader(bytes.NewReader(readFile(t, "testdata/wide-retailer.csv")), retailerOptions()))
	if err != nil {
		t.Fatal(err)
	}
	checkReads(t, reads)
	if len(reads) != 3*48 {
		t.Fatalf("%d reads", len(reads))
	}
	want := []meter.Reading{
		{MeterID: "6001234567", Type: meter.TypeKWh, Value: 0.1, Time: utc("2024-02-29T14:30:00Z"), Source: "wide-csv", Quality: 'A'},
		{MeterID: "6001234567", Type: meter.TypeKWhExport, Value: 0.34, Time: utc("2024-02-29T21:30:00Z"), Source: "wide-csv", Quality: 'A'},
		{MeterID: "6001234567", Type: meter.TypeKWh, Value: 0.2, Time: utc("2024-03-02T14:00:00Z"), Source: "wide-csv", Quality: 'E'},
	}
	got := []meter.Reading{reads[0], reads[48+14], reads[3*48-1]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWideCSVBadRows(t *testing.T) {
	row := func(date, v string) string { return "m1," + date + strings.Repeat(","+v, 48) }
	tests := []struct {
		name, line, column string
		err                error
	}{
		{"bad date", row("2024-02-30", "1"), "date", meter.ErrTimestamp},
		{"bad value", strings.Replace(row("2024-03-02", "1"), ",1,1", ",1,x", 1), "value2", meter.ErrNumber},
		{"short row", row("2024-03-02", "1")[:40], "", meter.ErrColumnCount},
		{"bad meter", row("2024-03-02", "1")[2:], "meter", meter.ErrMeterID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []*meter.ParseError
			in := row("2024-03-01", "1") + "\n" + tt.line + "\n" + row("2024-03-03", "") + "\n"
			reads, err := meter.ReadAll(meter.NewWideCSVReader(strings.NewReader(in), &meter.WideCSVOptions{OnError: onErr(&errs)}))
			if err != nil {
				t.Fatal(err)
			}
			if len(reads) != 48 || len(errs) != 1 || errs[0].Line != 2 || errs[0].Column != tt.column || !errors.Is(errs[0], tt.err) {
				t.Errorf("%d reads, errors %v", len(reads), errs)
			}
		})
	}
	if start := meter.WideCSVRecordStart(retailerOptions()); start(readFile(t, "testdata/wide-retailer.csv")[:300]) {
		t.Error("header taken for a record")
	}
}

// TestWideCSVRealExport decodes a real retailer export (465 days).
func TestWideCSVRealExport(t *testing.T) {
	f, err := os.Open(dataset(t, "au-household-meter-exports/meter03.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := meter.WideCSVRecordStart(retailerOptions())
	var errs []*meter.ParseError
	o := retailerOptions()
	o.OnError = onErr(&errs)
	var raw bytes.Buffer
	reads, err := meter.ReadAll(meter.NewWideCSVReader(io.TeeReader(f, &raw), o))
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	checkReads(t, reads)
	if len(reads) != 465*48 {
		t.Fatalf("%d reads", len(reads))
	}
	// 6001260509,7625,Consumption,22/6/19,No,0.7,...
	if r := reads[0]; r.MeterID != "6001260509" || r.Value != 0.7 || !r.Time.Equal(utc("2019-06-21T14:30:00Z")) {
		t.Errorf("first read %v", r)
	}
	records := 0
	for _, line := range bytes.Split(raw.Bytes(), []byte("\n")) {
		if start(line) {
			records++
		}
	}
	if records != 465 {
		t.Errorf("WideCSVRecordStart found %d records", records)
	}
}

func ExampleNewLondonReader() {
	csv := `LCLid,tstp,energy(kWh/hh)
MAC000002,2012-10-28 00:30:00.0000000,0.269
MAC000002,2012-10-28 01:00:00.0000000,0.275
MAC000002,2012-10-28 01:30:00.0000000,0.256
MAC000002,2012-10-28 01:00:00.0000000,0.211
MAC000002,2012-10-28 01:30:00.0000000,Null
MAC000002,2012-10-28 02:00:00.0000000,0.154
`
	reads, err := meter.ReadAll(meter.NewLondonReader(strings.NewReader(csv), nil))
	if err != nil {
		panic(err)
	}
	for _, rd := range reads {
		fmt.Println(rd.Time.Format("2006-01-02 15:04Z"), rd.Value) // interval end, UTC
	}
	// Output:
	// 2012-10-28 00:00Z 0.269
	// 2012-10-28 00:30Z 0.275
	// 2012-10-28 01:00Z 0.256
	// 2012-10-28 01:30Z 0.211
	// 2012-10-28 02:30Z 0.154
}

func ExampleNewMappedCSVReader() {
	// SGSC trial data: customer_id,reading_datetime,general_supply_kwh, the
	// time being the start of the half hour in NEM time (AEST).
	csv := "customer_id,reading_datetime,general_supply_kwh\n10006414,2012-02-10 08:00:00,0.141\n10006414,2012-02-10 08:30:00,0.088\n"
	reads, err := meter.ReadAll(meter.NewMappedCSVReader(strings.NewReader(csv), &meter.MappedCSVOptions{
		Header: true, MeterColumn: 1, TimeColumn: 2, ValueColumn: 3,
		Location: meter.NEMTime, Interval: 30 * time.Minute,
	}))
	if err != nil {
		panic(err)
	}
	for _, rd := range reads {
		fmt.Println(rd)
	}
	// Output:
	// 10006414 2012-02-09T22:30:00Z kwh=0.141 A
	// 10006414 2012-02-09T23:00:00Z kwh=0.088 A
}

func ExampleNewWideCSVReader() {
	header := "meter,date"
	row := "m1,2024-03-01"
	for i := 1; i <= 48; i++ {
		header += fmt.Sprintf(",%02d:%02d", i/2, i%2*30)
		row += fmt.Sprintf(",%g", float64(i)/100)
	}
	r := meter.NewWideCSVReader(strings.NewReader(header+"\n"+row+"\n"), &meter.WideCSVOptions{Header: true, Location: meter.NEMTime})
	reads, err := meter.ReadAll(r)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(reads), reads[0], reads[47])
	// Output:
	// 48 m1 2024-02-29T14:30:00Z kwh=0.01 A m1 2024-03-01T14:00:00Z kwh=0.48 A
}

func FuzzMappedCSVReader(f *testing.F) {
	f.Add(readFile(f, "testdata/mapped-sydney.csv"))
	f.Add([]byte("m,2024-10-06 02:30:00,\"1\"\n\"m,x\",2024-04-07 02:30:00,1e400\n"))
	sydney := mustLoad(f, "Australia/Sydney")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, data, meter.MappedCSVFormat, func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			return meter.NewMappedCSVReader(bytes.NewReader(data), &meter.MappedCSVOptions{Comment: "#", Location: sydney,
				Interval: 30 * time.Minute, QualityColumn: 4, OnError: onError, MaxLineBytes: 4096})
		})
	})
}

func FuzzLondonReader(f *testing.F) {
	f.Add(readFile(f, "testdata/london-datastore.csv"))
	f.Add(readFile(f, "testdata/london-kaggle.csv"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, data, meter.LondonFormat, func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			return meter.NewLondonReader(bytes.NewReader(data), &meter.LondonOptions{OnError: onError, MaxLineBytes: 4096})
		})
	})
}

func FuzzWideCSVReader(f *testing.F) {
	f.Add(readFile(f, "testdata/wide-retailer.csv"))
	f.Add(readFile(f, "testdata/wide-melbourne-dst.csv")) // rows of 46 and 50 half hours
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, data, meter.WideCSVFormat, func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			o := retailerOptions()
			o.OnError, o.MaxLineBytes = onError, 8192
			return meter.NewWideCSVReader(bytes.NewReader(data), o)
		})
	})
}

func benchRead(b *testing.B, data []byte, reads int, open func(io.Reader) meter.Reader) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	out := make([]meter.Reading, 4096)
	for b.Loop() {
		r := open(bytes.NewReader(data))
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
	b.ReportMetric(float64(reads)*float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}

func BenchmarkMappedCSVReader(b *testing.B) {
	var buf bytes.Buffer
	n := 0
	t0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for ; buf.Len() < 16<<20; n++ {
		fmt.Fprintf(&buf, "1000%04d,%s,%d.%03d\n", n%1000, t0.Add(time.Duration(n/1000)*30*time.Minute).Format("2006-01-02 15:04:05"), n%3, n%1000)
	}
	loc := mustLoad(b, "Europe/London")
	benchRead(b, buf.Bytes(), n, func(r io.Reader) meter.Reader {
		return meter.NewMappedCSVReader(r, &meter.MappedCSVOptions{Location: loc, Interval: 30 * time.Minute})
	})
}

func BenchmarkLondonReader(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("LCLid,stdorToU,DateTime,KWH/hh (per half hour) ,Acorn,Acorn_grouped\n")
	n := 0
	t0 := time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)
	for m := 0; buf.Len() < 16<<20; m++ {
		for i := 0; i < 48*30; i++ {
			fmt.Fprintf(&buf, "MAC%06d,Std,%s.0000000, %d.%03d ,ACORN-A,Affluent\n", m, t0.Add(time.Duration(i)*30*time.Minute).Format("2006-01-02 15:04:05"), i%3, i%1000)
			n++
		}
	}
	benchRead(b, buf.Bytes(), n, func(r io.Reader) meter.Reader { return meter.NewLondonReader(r, nil) })
}

func BenchmarkWideCSVReader(b *testing.B) {
	var buf bytes.Buffer
	n := 0
	for d := 0; buf.Len() < 16<<20; d++ {
		fmt.Fprintf(&buf, "m%d,%s", d%100, time.Date(2020, 1, 1+d/100, 0, 0, 0, 0, time.UTC).Format("2006-01-02"))
		for i := 0; i < 48; i++ {
			fmt.Fprintf(&buf, ",%d.%03d", i%3, (i*37+d)%1000)
		}
		buf.WriteByte('\n')
		n += 48
	}
	benchRead(b, buf.Bytes(), n, func(r io.Reader) meter.Reader {
		return meter.NewWideCSVReader(r, &meter.WideCSVOptions{Location: meter.NEMTime})
	})
}
