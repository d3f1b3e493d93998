package meter

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
)

// jsonFastSeeds are lines for the fast path's tests: the reader's test
// lines, and lines on the edges of what it accepts.
var jsonFastSeeds = []string{
	// TestJSONLinesReader's.
	`{"meter_id": "m1", "reading_type": "kw", "reading_value": "0.62", "reading_date_time": "2023-03-01 10:15:00.000", "reading_source": "B"}`,
	`{"meter_id":"m1","reading_type":"vltg","reading_value":"0.23145","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"vltg","reading_value":231.45,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"vltg","reading_value":231.45,"unit":"V","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":620,"unit":"W","reading_date_time":"2023-03-01T10:15:00Z"}`,
	`{"meter_id":"m1","reading_type":"kwh","reading_value":"0.155","unit":"KWH","reading_date_time":"2023-03-01T21:15:00+11:00"}`,
	`{"meter_id":"m1","reading_type":"kwh","reading_value":1.5,"reading_date_time":"2023-03-01T10:15:00.000","arrival_time":"2023-03-02 00:00:01.250","quality":"E","obis_code":"1.8.0","phase":null}`,
	`{"meter_id":"a","reading_type":"kw","reading_value":"1","reading_date_time":"2023-03-01 10:15:00.000"}{"meter_id":"b","reading_type":"kw","reading_value":"2","reading_date_time":"2023-03-01 10:15:00.000"}`,
	`{"meter_id":"a","reading_type":"kw","reading_value":"1","reading_date_time":"2023-03-01 10:15:00"}{"meter_id":"b","reading_type":"kw","reading_value":"x","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"a","reading_type":"kWh","reading_value":1,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"a","reading_type":"kw","reading_value":1,"unit":"kWh","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"a","reading_type":"kw","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"a","reading_type":"kw","reading_value":null,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"a","reading_type":"kw","reading_value":"1e999","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"a","reading_type":"kw","reading_value":1,"reading_date_time":"2023-02-30 10:15:00"}`,
	`{"meter_id":"a","reading_type":"kw","reading_value":1,"reading_date_time":1677665700000}`,
	`{"meter_id":"a","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","arrival_time":"soon"}`,
	`{"meter_id":"a","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","quality":"X"}`,
	`meter_id,reading_type`,
	`{"meter_id":"a","reading_type":"kw"`,
	`[1,2]`,
	// The benchmark's.
	`{"meter_id":"00000042-3ff0-3d2b-9ea0-6fb5b0078031","reading_type":"pf","reading_value":"2.042","reading_date_time":"2023-01-01 00:15:00.000","reading_source":"B"}`,
	// Escapes, in keys and values.
	`{"meter_id":"m\u0031","reading_type":"kw","reading_value":"1","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter\u005fid":"m1","reading_type":"kw","reading_value":"1","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":"\u0031.5","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":"1","reading_date_time":"2023-03-01\u002010:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":"1","reading_date_time":"2023-03-01 10:15:00","reading_source":"a\"b\\c\/d\n"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":"1","reading_date_time":"2023-03-01 10:15:00","note":"x\"y\u00e9\ud800"}`,
	// Keys in another case, folding to a known one, or twice.
	`{"METER_ID":"m1","reading_type":"kw","reading_value":"1","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","Reading_Type":"kw","reading_value":"1","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":"1","reading_date_time":"2023-03-01 10:15:00","reading_\u017fource":"E"}`,
	"{\"meter_id\":\"m1\",\"reading_type\":\"kw\",\"reading_value\":\"1\",\"reading_date_time\":\"2023-03-01 10:15:00\",\"reading_\u017fource\":\"E\"}",
	"{\"meter_id\":\"m1\",\"reading_type\":\"kw\",\"reading_value\":\"1\",\"reading_date_time\":\"2023-03-01 10:15:00\",\"uni\u212a\":\"W\"}",
	"{\"meter_id\":\"m1\",\"reading_type\":\"kw\",\"reading_value\":\"1\",\"reading_date_time\":\"2023-03-01 10:15:00\",\"\u212aey\":\"W\"}",
	`{"meter_id":"m1","meter_id":"m2","reading_type":"kw","reading_value":"1","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":"1","reading_value":2,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":null,"meter_id":"m1","reading_type":"kw","reading_value":"1","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":"1","reading_date_time":"2023-03-01 10:15:00","reading_source":"B","reading_source":null}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":"1","reading_date_time":"2023-03-01 10:15:00","x":1,"x":2}`,
	// Numbers.
	`{"meter_id":"m1","reading_type":"kw","reading_value":1e3,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":-0,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":"-0","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1.50,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":123456789012345678901234567890,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1.7976931348623157e308,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":4.9e-325,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":01,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1.,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":+1,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":"+1","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":" 1.5\t","reading_date_time":"2023-03-01 10:15:00"}`,
	"{\"meter_id\":\"m1\",\"reading_type\":\"kw\",\"reading_value\":\"\u00a01.5\u2028\",\"reading_date_time\":\"2023-03-01 10:15:00\"}",
	`{"meter_id":"m1","reading_type":"kw","reading_value":"NaN","reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":true,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":[1],"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":"","reading_date_time":"2023-03-01 10:15:00"}`,
	// Nulls and empty strings.
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","reading_source":null,"arrival_time":null,"quality":null,"unit":null}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","reading_source":"","arrival_time":"","quality":"","unit":""}`,
	`{"meter_id":"m1","reading_type":null,"reading_value":1,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","quality":"EE"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","quality":1}`,
	// Unicode and bad UTF-8.
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","reading_source":"Zürich"}`,
	"{\"meter_id\":\"m1\",\"reading_type\":\"kw\",\"reading_value\":1,\"reading_date_time\":\"2023-03-01 10:15:00\",\"reading_source\":\"\xff\"}",
	"{\"meter_id\":\"m1\",\"reading_type\":\"kw\",\"reading_value\":1,\"reading_date_time\":\"2023-03-01 10:15:00\",\"note\":\"\xff\xfe\"}",
	"{\"meter_id\":\"m\u00e91\",\"reading_type\":\"kw\",\"reading_value\":1,\"reading_date_time\":\"2023-03-01 10:15:00\"}",
	"{\"meter_id\":\"m1\",\"reading_type\":\"kw\",\"reading_value\":620,\"unit\":\"\u212aW\",\"reading_date_time\":\"2023-03-01 10:15:00\"}",
	"{\"meter_id\":\"m1\",\"reading_type\":\"kw\",\"reading_value\":1,\"reading_date_time\":\"2023-03-01 10:15:00\",\"reading_source\":\"\xed\xa0\x80\"}",
	// Skipped values of unknown keys.
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","meta":{"a":[1,2,{"b":null}],"c":true,"d":false,"e":"\u00e9"},"tags":[]}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","meta":{"a":[1,2,}]}}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","x":tru}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","x":"\x"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","x":"\u12"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","":0}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	// White space, several objects, trailing garbage.
	" \t{ \"meter_id\" : \"m1\" ,\r\n\"reading_type\":\"kw\",\"reading_value\":1 ,\"reading_date_time\":\"2023-03-01 10:15:00\" } \t",
	"\u00a0{\"meter_id\":\"m1\",\"reading_type\":\"kw\",\"reading_value\":1,\"reading_date_time\":\"2023-03-01 10:15:00\"}",
	"\v{\"meter_id\":\"m1\",\"reading_type\":\"kw\",\"reading_value\":1,\"reading_date_time\":\"2023-03-01 10:15:00\"}",
	`{"meter_id":"a","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00"} {"meter_id":"b","reading_type":"kw","reading_value":2,"reading_date_time":"2023-03-01 10:15:00"}`,
	`{"meter_id":"a","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00"}x`,
	`{"meter_id":"a","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00"},`,
	`{"meter_id":"a","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00",}`,
	`{"meter_id":"a","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00"}{}`,
	`{"meter_id":"a","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00"}1`,
	`{}`,
	`"x"`,
	`null`,
	// Times.
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01t10:15:00.25z"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01 12:15:00.25+02:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01T10:15:00.123456789Z"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01T10:15:00.1234567891Z"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01T10:15:00,25Z"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01T10:15:00.Z"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01T10:15:00+0200"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01T10:15:00-23:59"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01T10:15:00+24:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01T10:15:60Z"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01T24:00:00Z"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01 10:15:00.1234567"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01 10:15:00.12345678"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"0000-12-31T23:59:59.9995-00:01"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"0000-12-31T23:59:59.9995Z"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"0001-01-01T00:00:00Z"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"9999-12-31T23:59:59.999Z"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"9999-12-31T23:30:00-01:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"1969-12-31T23:59:59.9999+00:00"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2024-02-29T00:00:00Z","arrival_time":"2024-03-01 00:00:00.5"}`,
	`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01T10:15:00Z","arrival_time":"2024-03-01T10:15:00+1:00"}`,
}

// sameReads reports whether two decodings are identical, down to the
// sign of a zero and the representation of a time.
func sameReads(a, b []Reading) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] || math.Float64bits(a[i].Value) != math.Float64bits(b[i].Value) {
			return false
		}
	}
	return true
}

// fuzzJSONOptions are the options byte opt selects.
func fuzzJSONOptions(opt uint8) JSONLinesOptions {
	var o JSONLinesOptions
	if opt&1 != 0 {
		o.VoltageUnit = "V"
	}
	if opt&2 != 0 {
		o.Source = "mqtt"
	}
	return o
}

// FuzzJSONLinesFastPath checks the fast path against encoding/json: for
// any line it either declines or decodes what lineJSON decodes; and a
// reader with the fast path reads the same reads and errors as one
// without.
func FuzzJSONLinesFastPath(f *testing.F) {
	for i, s := range jsonFastSeeds {
		f.Add([]byte(s), uint8(i%4))
	}
	f.Add([]byte(strings.Join(jsonFastSeeds, "\n")), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, opt uint8) {
		o := fuzzJSONOptions(opt)
		// Line by line.
		fast := NewJSONLinesReader(nil, &o)
		ref := NewJSONLinesReader(nil, &o)
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			got, ok := fast.d.fastLine(nil, line)
			if !ok {
				if len(got) != 0 {
					t.Fatalf("%q: declined with %v", line, got)
				}
				continue
			}
			want, err := ref.d.lineJSON(nil, line, 1, 0)
			if err != nil {
				t.Fatalf("%q: fast path read %v, encoding/json failed: %v", line, got, err)
			}
			if !sameReads(got, want) {
				t.Fatalf("%q: fast path read\n%v\nencoding/json\n%v", line, fmtReads(got), fmtReads(want))
			}
		}
		// The whole input, as readers with and without the fast path.
		read := func(noFast bool) ([]Reading, string) {
			var errs strings.Builder
			r := NewJSONLinesReader(bytes.NewReader(data), &JSONLinesOptions{
				VoltageUnit: o.VoltageUnit, Source: o.Source, MaxLineBytes: 4096,
				OnError: func(e *ParseError, raw []byte) error {
					fmt.Fprintf(&errs, "%+v %q\n", *e, raw)
					return nil
				}})
			r.d.noFast = noFast
			reads, err := ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			return reads, errs.String()
		}
		got, gotErrs := read(false)
		want, wantErrs := read(true)
		if !sameReads(got, want) || gotErrs != wantErrs {
			t.Fatalf("with the fast path:\n%v%s\nwithout:\n%v%s", fmtReads(got), gotErrs, fmtReads(want), wantErrs)
		}
	})
}

func fmtReads(rs []Reading) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%#v\n", r)
	}
	return b.String()
}

// TestJSONLinesFastPathTaken: the lines the fast path is for do take it
// (FuzzJSONLinesFastPath would pass if it declined everything).
func TestJSONLinesFastPathTaken(t *testing.T) {
	for _, line := range []string{
		jsonFastSeeds[0], jsonFastSeeds[1], jsonFastSeeds[2], jsonFastSeeds[3], jsonFastSeeds[4], jsonFastSeeds[5], jsonFastSeeds[6], jsonFastSeeds[7],
		`{"meter_id":"00000042-3ff0-3d2b-9ea0-6fb5b0078031","reading_type":"pf","reading_value":"2.042","reading_date_time":"2023-01-01 00:15:00.000","reading_source":"B"}`,
		`{"meter_id":"m1","reading_type":"kw","reading_value":-0,"reading_date_time":"2023-03-01 10:15:00"}`,
		`{"meter_id":"m1","reading_type":"kw","reading_value":1e3,"reading_date_time":"2024-03-01T10:15:00.123456789Z"}`,
		`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","reading_source":null,"arrival_time":null,"quality":null,"unit":null}`,
		`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","reading_source":"Zürich"}`,
		`{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","meta":{"a":[1,2,{"b":null}],"c":true,"d":false,"e":"\u00e9"},"tags":[]}`,
		" \t{ \"meter_id\" : \"m1\" ,\r\n\"reading_type\":\"kw\",\"reading_value\":1 ,\"reading_date_time\":\"2023-03-01 10:15:00\" } \t",
	} {
		o := JSONLinesOptions{}
		d := NewJSONLinesReader(nil, &o).d
		got, ok := d.fastLine(nil, []byte(line))
		if !ok {
			t.Errorf("%s: declined", line)
			continue
		}
		want, err := NewJSONLinesReader(nil, &o).d.lineJSON(nil, []byte(line), 1, 0)
		if err != nil || !sameReads(got, want) {
			t.Errorf("%s: fast path read %v, encoding/json %v, %v", line, got, want, err)
		}
	}
}

// TestJSONLinesFastPathAllocs: the fast path allocates nothing for a
// meter it has met.
func TestJSONLinesFastPathAllocs(t *testing.T) {
	line := []byte(`{"meter_id":"00000042-3ff0-3d2b-9ea0-6fb5b0078031","reading_type":"vltg","reading_value":"0.23145","reading_date_time":"2023-01-01 00:15:00.000","arrival_time":"2023-01-01T00:20:00.5Z","reading_source":"B","quality":"E","unit":"kV","phase":null}`)
	d := NewJSONLinesReader(nil, nil).d
	dst := make([]Reading, 0, 1)
	if _, ok := d.fastLine(dst, line); !ok {
		t.Fatal("declined")
	}
	if n := testing.AllocsPerRun(100, func() { d.fastLine(dst, line) }); n != 0 {
		t.Errorf("%v allocations a line", n)
	}
}

// FuzzParseJSONTimeFast checks parseJSONTimeFast against parseJSONTime:
// where the fast one reads a time, it is parseJSONTime's, to the bit.
func FuzzParseJSONTimeFast(f *testing.F) {
	for _, s := range []string{
		"2024-03-01 10:15:00.250", "2024-03-01T10:15:00.25", "2024-03-01t10:15:00.25z",
		"2024-03-01T12:15:00.25+02:00", "2024-03-01 12:15:00.25+02:00", "2024-03-01T10:15:00.2509Z",
		"2024-02-29 00:00:00", "2023-02-29 00:00:00", "0000-01-01 00:00:00", "9999-12-31T23:30:00-01:00",
		"0001-01-01T00:15:00+01:00", "0000-12-31T23:59:59.9995-00:01", "1969-12-31T23:59:59.9999+00:00",
		"2024-03-01T10:15:00.123456789Z", "2024-03-01T10:15:00.1234567891Z", "2024-03-01T10:15:00+24:00",
		"2024-03-01 10:15:00.1234567", "2024-03-01T10:15:00-00:00", "1970-01-01T00:00:00.0000001Z",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := parseJSONTimeFast(b)
		if !ok {
			return
		}
		want, wantOK := parseJSONTime(string(b))
		if !wantOK || got != want {
			t.Fatalf("%q: fast %v (%#v), parseJSONTime %v (%#v) %v", b, got, got, want, want, wantOK)
		}
	})
}
