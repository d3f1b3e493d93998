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

func readFile(t testing.TB, name string) []byte {
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestMRASCoD0010(t *testing.T) {
	reads, err := meter.ReadAll(meter.NewMRASCoReader(bytes.NewReader(readFile(t, "testdata/d0010-sample.txt")), nil))
	if err != nil {
		t.Fatal(err)
	}
	r := func(id, tm string, v float64, q meter.Quality) meter.Reading {
		return meter.Reading{MeterID: id, Type: meter.TypeKWhRegister, Value: v, Time: utc(tm), Source: "d0010", Quality: q}
	}
	want := []meter.Reading{
		r("1012345678901-F89A012345-01", "2023-10-28T11:00:00Z", 12345.6, 'A'), // 12:00 BST
		r("1012345678901-F89A012345-02", "2023-10-28T11:00:00Z", 5432.1, 'A'),
		// 01:30 occurs twice on 2023-10-29: first BST, then GMT.
		r("1098765432109-K07B998877-S", "2023-10-29T00:30:00Z", 20000, 'A'),
		r("1098765432109-K07B998877-S", "2023-10-29T01:30:00Z", 20001.5, 'E'),
		r("1098765432109-K07B998877-S", "2023-10-29T02:30:00Z", 20003, 'A'),
		// The reading flagged F (failed validation) is dropped.
	}
	if diff := cmp.Diff(want, reads); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	keep, _ := meter.ReadAll(meter.NewMRASCoReader(bytes.NewReader(readFile(t, "testdata/d0010-sample.txt")), &meter.MRASCoOptions{KeepNull: true}))
	if len(keep) != 6 || keep[5].Quality != meter.QualityNull {
		t.Errorf("KeepNull: got %v", keep)
	}
}

func TestMRASCoD0275(t *testing.T) {
	reads, err := meter.ReadAll(meter.NewMRASCoReader(bytes.NewReader(readFile(t, "testdata/d0275-sample.txt")), nil))
	if err != nil {
		t.Fatal(err)
	}
	checkReads(t, reads)
	if len(reads) != 50+46+46+48 {
		t.Fatalf("got %d reads", len(reads))
	}
	keys := map[meter.Key]bool{}
	for _, rd := range reads {
		if keys[rd.Key()] {
			t.Fatalf("duplicate %v", rd)
		}
		keys[rd.Key()] = true
	}
	check := func(i int, id string, typ meter.Type, tm string, q meter.Quality) {
		t.Helper()
		rd := reads[i]
		if rd.MeterID != id || rd.Type != typ || !rd.Time.Equal(utc(tm)) || rd.Quality != q || rd.Source != "d0275" {
			t.Errorf("read %d: got %v, want %s %s %s %s", i, rd, id, typ, tm, q)
		}
	}
	// Autumn day, 50 half hours: 00:00 BST is 23:00 UTC the day before.
	check(0, "1012345678901", meter.TypeKWh, "2023-10-28T23:30:00Z", 'A')
	check(10, "1012345678901", meter.TypeKWh, "2023-10-29T04:30:00Z", 'E')
	check(49, "1012345678901", meter.TypeKWh, "2023-10-30T00:00:00Z", 'A')
	// Spring day, 46 half hours from 00:00 GMT to 24:00 BST.
	check(50, "1012345678901", meter.TypeKWh, "2024-03-31T00:30:00Z", 'A')
	check(95, "1012345678901", meter.TypeKWh, "2024-03-31T23:00:00Z", 'A')
	check(96, "1012345678901", meter.TypeKWhExport, "2024-03-31T00:30:00Z", 'A')
	// An ordinary BST day: 48 half hours ending 00:30 ... 24:00 BST.
	check(142, "1098765432109", meter.TypeKWh, "2024-03-31T23:30:00Z", 'A')
	check(189, "1098765432109", meter.TypeKWh, "2024-04-01T23:00:00Z", 'A')
}

func TestMRASCoBadRecords(t *testing.T) {
	const d10 = "ZHV|1|D0010002|D|UDMS|X|MRCY|20231030091500||||OPER|\n"
	const d275 = "ZHV|1|D0275001|D|HHDC|X|SUPP|20240402080000||||OPER|\n"
	tests := []struct {
		name   string
		in     string
		want   error
		column string
		line   int64
		reads  int
		times  []string // if set, the times (UTC) of the reads
	}{
		{"record before header", "026|1012345678901|V|\n" + d10, meter.ErrStructure, "", 1, 0, nil},
		{"unknown flow", "ZHV|1|D0150001|M|X|X|Y|20240101000000|\n030|01|20240101000000|1|\n", meter.ErrHeader, "flow", 1, 0, nil},
		{"bad mpan", d10 + "026|12345|V|\n028|S1|D|\n030|01|20240101120000|1|||T|A|\n", meter.ErrMeterID, "MPAN", 2, 0, nil},
		{"030 without 028", d10 + "026|1012345678901|V|\n030|01|20240101120000|1|||T|A|\n", meter.ErrStructure, "", 3, 0, nil},
		{"bad time", d10 + "026|1012345678901|V|\n028|S1|D|\n030|01|20240101246000|1|||T|A|\n030|01|20240102120000|2|||T|A|\n", meter.ErrTimestamp, "reading_date_time", 4, 1, nil},
		{"skipped time", d10 + "026|1012345678901|V|\n028|S1|D|\n030|01|20240331013000|1|||T|A|\n", meter.ErrNonexistentTime, "reading_date_time", 4, 0, nil},
		{"bad reading", d10 + "026|1012345678901|V|\n028|S1|D|\n030|01|20240101120000|1,5|||T|A|\n", meter.ErrNumber, "reading", 4, 0, nil},
		{"garbage", d10 + "this is not a flow\n", meter.ErrRecordType, "", 2, 0, nil},
		{"27B without 26B", d275 + "25B|1012345678901|AI|S|\n27B|A|1|\n", meter.ErrStructure, "", 3, 0, nil},
		{"bad quantity", d275 + "25B|1012345678901|XX|S|\n26B|20240101|\n27B|A|1|\n", meter.ErrUnit, "measurement_quantity", 2, 0, nil},
		{"bad date", d275 + "25B|1012345678901|AI|S|\n26B|20240230|\n", meter.ErrTimestamp, "settlement_date", 3, 0, nil},
		// The rejected 27B still takes its half hour (00:00-00:30 GMT):
		// the next one is the second, ending 01:00.
		{"bad flag", d275 + "25B|1012345678901|AI|S|\n26B|20240101|\n27B|Q|1|\n27B|A|1|\n", meter.ErrQuality, "flag", 4, 1,
			[]string{"2024-01-01T01:00:00Z"}},
		{"too many periods", d275 + "25B|1012345678901|AI|S|\n26B|20240331|\n" + strings.Repeat("27B|A|1|\n", 47), meter.ErrStructure, "", 50, 46, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []*meter.ParseError
			reads, err := meter.ReadAll(meter.NewMRASCoReader(strings.NewReader(tt.in), &meter.MRASCoOptions{OnError: onErr(&errs)}))
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			pe := errs[0]
			if !errors.Is(pe, tt.want) || pe.Column != tt.column || pe.Line != tt.line {
				t.Errorf("got %v (column %q, line %d), want %v, %q, %d", pe, pe.Column, pe.Line, tt.want, tt.column, tt.line)
			}
			if len(reads) != tt.reads {
				t.Errorf("got %d reads, want %d", len(reads), tt.reads)
			}
			if tt.times != nil {
				if diff := cmp.Diff(tt.times, readTimes(reads)); diff != "" {
					t.Errorf("times (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// readTimes returns the reads' times in RFC 3339, UTC.
func readTimes(reads []meter.Reading) []string {
	var s []string
	for _, rd := range reads {
		s = append(s, rd.Time.Format(time.RFC3339))
	}
	return s
}

// TestMRASCoD0275RejectedTakesItsHalfHour: a 27B is the next half hour of
// its day whether it is valid or not, so a rejected one moves none of the
// records after it, and a day of more records than half hours is reported
// whatever records were rejected.
func TestMRASCoD0275RejectedTakesItsHalfHour(t *testing.T) {
	const hdr = "ZHV|1|D0275001|D|HHDC|X|SUPP|20240402080000||||OPER|\n25B|1012345678901|AI|S|\n"
	type perr struct {
		line int64
		err  error
	}
	tests := []struct {
		name  string
		in    string // after the 25B
		times []string
		errs  []perr
	}{
		{"bad value", "26B|20240101|\n27B|A|1|\n27B|A|x|\n27B|A|3|\n",
			[]string{"2024-01-01T00:30:00Z", "2024-01-01T01:30:00Z"}, []perr{{5, meter.ErrNumber}}},
		{"too few fields", "26B|20240101|\n27B|A|1|\n27B|A\n27B|A|3|\n",
			[]string{"2024-01-01T00:30:00Z", "2024-01-01T01:30:00Z"}, []perr{{5, meter.ErrColumnCount}}},
		// 2024-03-31 has 46 half hours, 00:00 GMT to 24:00 BST (23:00Z).
		{"47 on a day of 46, one bad", "26B|20240331|\n" + strings.Repeat("27B|A|1|\n", 44) + "27B|A|x|\n27B|A|2|\n27B|A|3|\n",
			[]string{"2024-03-31T22:00:00Z", "2024-03-31T23:00:00Z"}, []perr{{48, meter.ErrNumber}, {50, meter.ErrStructure}}},
		{"the next day starts afresh", "26B|20240101|\n27B|E|x|\n26B|20240102|\n27B|A|1|\n",
			[]string{"2024-01-02T00:30:00Z"}, []perr{{4, meter.ErrNumber}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []*meter.ParseError
			reads, err := meter.ReadAll(meter.NewMRASCoReader(strings.NewReader(hdr+tt.in), &meter.MRASCoOptions{OnError: onErr(&errs)}))
			if err != nil {
				t.Fatal(err)
			}
			got := readTimes(reads)
			if len(got) > len(tt.times) {
				got = got[len(got)-len(tt.times):] // the last ones
			}
			if diff := cmp.Diff(tt.times, got); diff != "" {
				t.Errorf("times (-want +got):\n%s", diff)
			}
			if len(errs) != len(tt.errs) {
				t.Fatalf("errors %v, want %d", errs, len(tt.errs))
			}
			for i, w := range tt.errs {
				if e := errs[i]; e.Line != w.line || !errors.Is(e, w.err) {
					t.Errorf("error %d: %v (line %d), want %v on line %d", i, e, e.Line, w.err, w.line)
				}
			}
		})
	}
}

// TestMRASCoD0010DroppedKeepTheRepeatedHour: a D0010 reading dropped
// (flag F) or rejected in the first, BST, 01:30 of the autumn change still
// counts as its occurrence, so that the GMT 01:30 after it is not taken for
// the BST one.
func TestMRASCoD0010DroppedKeepTheRepeatedHour(t *testing.T) {
	const hdr = "ZHV|1|D0010002|D|UDMS|X|MRCY|20231030091500||||OPER|\n026|1098765432109|V|\n028|K07B998877|D|\n"
	const before, after = "030|S|20231029003000|20000|||T|N|\n", "030|S|20231029013000|20001.5|||T|N|\n030|S|20231029023000|20003|||T|N|\n"
	tests := []struct {
		name, first string // the reading of the first (BST) 01:30
		keepNull    bool
		want        []string
		errs        int
	}{
		{"accepted", "030|S|20231029013000|20001|||T|N|\n", false,
			[]string{"2023-10-28T23:30:00Z", "2023-10-29T00:30:00Z", "2023-10-29T01:30:00Z", "2023-10-29T02:30:00Z"}, 0},
		{"flag F, dropped", "030|S|20231029013000|20001|||F|N|\n", false,
			[]string{"2023-10-28T23:30:00Z", "2023-10-29T01:30:00Z", "2023-10-29T02:30:00Z"}, 0},
		{"flag F, kept", "030|S|20231029013000|20001|||F|N|\n", true,
			[]string{"2023-10-28T23:30:00Z", "2023-10-29T00:30:00Z", "2023-10-29T01:30:00Z", "2023-10-29T02:30:00Z"}, 0},
		{"bad reading, rejected", "030|S|20231029013000|2000l|||T|N|\n", false,
			[]string{"2023-10-28T23:30:00Z", "2023-10-29T01:30:00Z", "2023-10-29T02:30:00Z"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []*meter.ParseError
			reads, err := meter.ReadAll(meter.NewMRASCoReader(strings.NewReader(hdr+before+tt.first+after),
				&meter.MRASCoOptions{KeepNull: tt.keepNull, OnError: onErr(&errs)}))
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) != tt.errs {
				t.Errorf("errors %v, want %d", errs, tt.errs)
			}
			if diff := cmp.Diff(tt.want, readTimes(reads)); diff != "" {
				t.Errorf("times (-want +got):\n%s", diff)
			}
		})
	}
}

func ExampleNewMRASCoReader() {
	flow := `ZHV|0000123456|D0275001|D|HHDC|X|SUPP|20231030080000||||OPER|
25B|1012345678901|AI|SUPP|
26B|20231029|
27B|A|0.25|
27B|A|0.5|
27B|A|0.75|
27B|A|1.0|
27B|E|1.25|
ZPT|0000123456|7||1|20231030080001|
`
	reads, err := meter.ReadAll(meter.NewMRASCoReader(strings.NewReader(flow), nil))
	if err != nil {
		panic(err)
	}
	// 29 October 2023: the clocks go back at 02:00 BST, so the third half
	// hour ends at 01:30 BST and the fourth at 01:00 GMT.
	for _, rd := range reads {
		fmt.Println(rd.Time.Format("15:04Z"), rd.Value, rd.Quality)
	}
	// Output:
	// 23:30Z 0.25 A
	// 00:00Z 0.5 A
	// 00:30Z 0.75 A
	// 01:00Z 1 A
	// 01:30Z 1.25 E
}

func FuzzMRASCoReader(f *testing.F) {
	f.Add(readFile(f, "testdata/d0010-sample.txt"))
	f.Add(readFile(f, "testdata/d0275-sample.txt"))
	f.Add([]byte("ZHV|1|D0275|\n25B|1234567890123|AI|\n26B|20231029|\n27B|A|1|\nZHV|2|D0010|\n030|1|2|3|\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, data, meter.MRASCoFormat, func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			return meter.NewMRASCoReader(bytes.NewReader(data), &meter.MRASCoOptions{OnError: onError, MaxLineBytes: 4096})
		})
	})
}

func BenchmarkMRASCoD0275(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("ZHV|0000123456|D0275001|D|HHDC|X|SUPP|20240402080000||||OPER|\n")
	n := 0
	for m := 0; buf.Len() < 16<<20; m++ {
		fmt.Fprintf(&buf, "25B|10%011d|AI|SUPP|\n", m)
		for d := 1; d <= 28; d++ {
			fmt.Fprintf(&buf, "26B|202402%02d|\n", d)
			for i := 0; i < 48; i++ {
				fmt.Fprintf(&buf, "27B|A|%d.%03d|\n", i%3, (i*37+d)%1000)
				n++
			}
		}
	}
	buf.WriteString("ZPT|0000123456|1||1|20240402080001|\n")
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	out := make([]meter.Reading, 4096)
	for b.Loop() {
		r := meter.NewMRASCoReader(bytes.NewReader(data), nil)
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
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}
