package meter_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/openmda/mda/meter"
)

func ts(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.999999999", s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func six(id, t, arr string, vals ...float64) []meter.Reading {
	var out []meter.Reading
	for k, typ := range meter.HESTypes {
		out = append(out, meter.Reading{MeterID: id, Type: typ, Value: vals[k], Time: ts(t), Source: "B", Arrival: ts(arr), Quality: meter.QualityActual})
	}
	return out
}

func TestHESCSVReaderSample(t *testing.T) {
	f, err := os.Open("testdata/hes-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := meter.ReadAll(meter.NewHESCSVReader(f, nil))
	if err != nil {
		t.Fatal(err)
	}
	var want []meter.Reading
	want = append(want, six("503d4c60-3ff0-3d2b-9ea0-6fb5b0078031", "2023-03-01 10:15:00", "2023-03-01 10:15:00", 7, 7.187, 0.889, 1.437, 1.278, 200)...)
	want = append(want, six("81cac15d-01d5-3d51-8bde-0f7a383585ae", "2023-03-01 10:15:00", "2023-03-01 10:15:00", 19, 16.678, 0.931, 3.688, 3.434, 221)...)
	// Fractions beyond milliseconds are truncated; Java-style exponents parse; kV becomes V exactly.
	want = append(want, six("503d4c60-3ff0-3d2b-9ea0-6fb5b0078031", "2023-03-01 10:30:00", "2023-03-01 10:31:07.123", 7, 0.0005, 0.9, 0.0001, 0, 231.45)...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reads differ (-want +got):\n%s", diff)
	}
}

func TestHESCSVBadLines(t *testing.T) {
	const good = "2024-03-01 00:15:00.000000,2024-03-01 00:16:00.000000,m1,readings,5,1,0.9,1,0.9,0.23"
	tests := []struct {
		name   string
		line   string
		want   error
		column string
	}{
		{"too few columns", "2024-03-01 00:15:00,2024-03-01 00:15:00,m1,readings,5,1,0.9,1,0.9", meter.ErrColumnCount, ""},
		{"too many columns", good + ",7", meter.ErrColumnCount, ""},
		{"bad number", strings.Replace(good, ",0.9,0.23", ",0.9x,0.23", 1), meter.ErrNumber, "kw"},
		{"empty number", strings.Replace(good, ",0.23", ",", 1), meter.ErrNumber, "vltg"},
		{"nan", strings.Replace(good, ",0.23", ",NaN", 1), meter.ErrNumber, "vltg"},
		{"bad timestamp", strings.Replace(good, "00:15:00.000000", "00:15:61.000000", 1), meter.ErrTimestamp, "time"},
		{"feb 30", strings.Replace(good, "2024-03-01 00:15", "2024-02-30 00:15", 1), meter.ErrTimestamp, "time"},
		{"8 fraction digits", strings.Replace(good, "00:15:00.000000", "00:15:00.00000000", 1), meter.ErrTimestamp, "time"},
		{"bad arrival", strings.Replace(good, "2024-03-01 00:16:00.000000", "yesterday", 1), meter.ErrTimestamp, "arrival_time"},
		{"empty meter", strings.Replace(good, ",m1,", ",,", 1), meter.ErrMeterID, "device_id"},
		{"binary meter", strings.Replace(good, ",m1,", ",m\x00\xff1,", 1), meter.ErrMeterID, "device_id"},
		{"garbage", "\x00\x01\x02\xff\xfe garbage", meter.ErrColumnCount, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := meter.HESCSVHeader + "\n" + good + "\n" + tt.line + "\n" + good + "\r\n"
			var perrs []*meter.ParseError
			var raws []string
			r := meter.NewHESCSVReader(strings.NewReader(in), &meter.HESCSVReaderOptions{
				OnError: func(e *meter.ParseError, raw []byte) error {
					perrs = append(perrs, e)
					raws = append(raws, string(raw))
					return nil
				}})
			got, err := meter.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 12 {
				t.Errorf("got %d reads, want 12 from the two good lines", len(got))
			}
			if len(perrs) != 1 {
				t.Fatalf("got %d errors, want 1", len(perrs))
			}
			pe := perrs[0]
			wantOff := int64(len(meter.HESCSVHeader) + 1 + len(good) + 1)
			if pe.Line != 3 || pe.Offset != wantOff || pe.Column != tt.column || !errors.Is(pe, tt.want) || pe.Format != meter.HESCSVFormat {
				t.Errorf("got %+v (%v), want line 3, offset %d, column %q, %v", pe, pe, wantOff, tt.column, tt.want)
			}
			if raws[0] != tt.line {
				t.Errorf("raw line %q, want %q", raws[0], tt.line)
			}
		})
	}
}

func TestHESCSVStrict(t *testing.T) {
	in := meter.HESCSVHeader + "\nbad line\n"
	_, err := meter.ReadAll(meter.NewHESCSVReader(strings.NewReader(in), nil))
	var pe *meter.ParseError
	if !errors.As(err, &pe) || pe.Line != 2 {
		t.Fatalf("got %v, want a ParseError on line 2", err)
	}
}

func TestHESCSVWrongHeader(t *testing.T) {
	in := "time,device_id,kw\n"
	_, err := meter.ReadAll(meter.NewHESCSVReader(strings.NewReader(in), nil))
	if !errors.Is(err, meter.ErrHeader) {
		t.Fatalf("got %v, want ErrHeader", err)
	}
}

func TestHESCSVTooLong(t *testing.T) {
	long := strings.Repeat("x", 5000)
	in := meter.HESCSVHeader + "\n" + long + "\n2024-03-01 00:15:00,2024-03-01 00:15:00,m1,readings,5,1,0.9,1,0.9,0.23"
	var perrs []*meter.ParseError
	r := meter.NewHESCSVReader(strings.NewReader(in), &meter.HESCSVReaderOptions{MaxLineBytes: 100,
		OnError: func(e *meter.ParseError, raw []byte) error {
			if len(raw) > 100 {
				t.Errorf("raw of %d bytes passed, want at most 100", len(raw))
			}
			perrs = append(perrs, e)
			return nil
		}})
	got, err := meter.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || len(perrs) != 1 || !errors.Is(perrs[0], meter.ErrTooLong) {
		t.Fatalf("got %d reads and errors %v", len(got), perrs)
	}
}

func TestAppendHESCSVRoundTrip(t *testing.T) {
	values := []float64{0, 1, 0.001, 231.45, 199.99, 1e-7, 123456.789, 0.1, 2.675, 1e21, 5e-324, 0.3}
	for _, v := range values {
		l := meter.HESLine{Time: ts("2024-12-31 23:45:00"), Arrival: ts("2025-01-01 00:01:02.345"), DeviceID: "m", MeasureName: "readings",
			Load: v, Current: v, PF: v, KVA: v, KW: v, Voltage: v}
		line := meter.AppendHESCSV(nil, &l)
		got, err := meter.ReadAll(meter.NewHESCSVReader(bytes.NewReader(line), nil))
		if err != nil {
			t.Fatalf("%v: %q: %v", v, line, err)
		}
		want := six("m", "2024-12-31 23:45:00", "2025-01-01 00:01:02.345", v, v, v, v, v, v)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("value %v, line %q (-want +got):\n%s", v, line, diff)
		}
	}
}

// TestDecimalMatchesStrconv checks the fast number parser against strconv.
func TestDecimalMatchesStrconv(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "-1.5", "0.1", "0.2", "0.3", "123.456", "1e22", "1e23", "9007199254740993",
		"12345678901234567890", "0.000000000000000000000000001", "1.7976931348623157e308", "2.2250738585072014e-308",
		"4.9e-324", "123456789012345678901234567890.5", ".5", "5.", "1E-4", "+3.25"} {
		want, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		line := "2024-03-01 00:15:00,2024-03-01 00:15:00,m,r," + strings.Repeat(s+",", 5) + "0.23\n"
		got, err := meter.ReadAll(meter.NewHESCSVReader(strings.NewReader(line), nil))
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if math.Float64bits(got[0].Value) != math.Float64bits(want) {
			t.Errorf("%s: got %v, want %v", s, got[0].Value, want)
		}
	}
}

func FuzzHESCSVDecoder(f *testing.F) {
	sample, _ := os.ReadFile("testdata/hes-sample.csv")
	f.Add(sample)
	f.Add([]byte("2024-03-01 00:15:00,2024-03-01 00:15:00,m,r,1,2,3,4,5,6\r\n\n,,,,,,,,,\n"))
	f.Add([]byte("\xff\xfe\x00,,\n9999-12-31 23:59:59.9999999,0000-01-01 00:00:00,x,y,1e400,-1e-400,1,1,1,1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var bad int
		r := meter.NewHESCSVReader(bytes.NewReader(data), &meter.HESCSVReaderOptions{MaxLineBytes: 256,
			OnError: func(e *meter.ParseError, raw []byte) error {
				if e.Offset < 0 || e.Offset > int64(len(data)) || e.Line < 1 {
					t.Fatalf("bad error position %+v", e)
				}
				bad++
				return nil
			}})
		reads, err := meter.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if len(reads)%6 != 0 {
			t.Fatalf("%d reads, not a multiple of 6", len(reads))
		}
		for _, rd := range reads {
			if rd.MeterID == "" || math.IsNaN(rd.Value) || math.IsInf(rd.Value, 0) {
				t.Fatalf("bad read %v", rd)
			}
		}
		// Strict mode stops at the first bad line, or reads the same when there is none.
		strict, err := meter.ReadAll(meter.NewHESCSVReader(bytes.NewReader(data), &meter.HESCSVReaderOptions{MaxLineBytes: 256}))
		if bad == 0 && (err != nil || len(strict) != len(reads)) {
			t.Fatalf("strict: %v, %d reads, want %d", err, len(strict), len(reads))
		}
		if bad > 0 && err == nil {
			t.Fatalf("strict mode ignored %d bad lines", bad)
		}
	})
}

// benchHESCSV returns about 32 MiB of HES CSV of 1,000 meters and its
// line count.
func benchHESCSV() ([]byte, int) {
	var buf []byte
	buf = append(buf, meter.HESCSVHeader+"\n"...)
	t0 := ts("2024-03-01 00:00:00")
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = "503d4c60-3ff0-3d2b-9ea0-" + strconv.FormatInt(100000000000+int64(i), 10)
	}
	lines := 0
	for step := 0; len(buf) < 32<<20; step++ {
		tm := t0.Add(time.Duration(step) * 15 * time.Minute)
		for i, id := range ids {
			v := float64(i%97) * 0.013
			l := meter.HESLine{Time: tm, Arrival: tm.Add(time.Minute), DeviceID: id, MeasureName: "readings",
				Load: 12, Current: 7.187 + v, PF: 0.931, KVA: 1.437 + v, KW: 1.278 + v, Voltage: 229.87}
			buf = meter.AppendHESCSV(buf, &l)
			lines++
		}
	}
	return buf, lines
}

func BenchmarkHESCSVReader(b *testing.B) {
	buf, lines := benchHESCSV()
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	out := make([]meter.Reading, 4096)
	b.ResetTimer()
	for range b.N {
		r := meter.NewHESCSVReader(bytes.NewReader(buf), nil)
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
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(lines*6)*float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}

// BenchmarkHESCSVDecodeRecord measures the ingest's decoding: a line to a
// record, no reads built.
func BenchmarkHESCSVDecodeRecord(b *testing.B) {
	buf, lines := benchHESCSV()
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		d := meter.NewHESCSVDecoder(nil)
		rest := buf
		for n := int64(1); len(rest) > 0; n++ {
			i := bytes.IndexByte(rest, '\n')
			if _, _, err := d.DecodeRecord(rest[:i], n, 0); err != nil {
				b.Fatal(err)
			}
			rest = rest[i+1:]
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(lines*6)*float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}
