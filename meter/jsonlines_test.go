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

func TestJSONLinesReader(t *testing.T) {
	at := utc("2023-03-01T10:15:00Z")
	for _, tc := range []struct {
		name, in string
		opts     *meter.JSONLinesOptions
		want     []meter.Reading
		errCol   string // the bad line's column, "" for none
		errIs    error
	}{
		{name: "the guidance's staging record", in: `{"meter_id": "m1", "reading_type": "kw", "reading_value": "0.62", "reading_date_time": "2023-03-01 10:15:00.000", "reading_source": "B"}`,
			want: []meter.Reading{{MeterID: "m1", Type: "kw", Value: 0.62, Time: at, Source: "B", Quality: meter.QualityActual}}},
		{name: "voltage in kV by default, exactly", in: `{"meter_id":"m1","reading_type":"vltg","reading_value":"0.23145","reading_date_time":"2023-03-01 10:15:00"}`,
			want: []meter.Reading{{MeterID: "m1", Type: "vltg", Value: 231.45, Time: at, Source: "json", Quality: meter.QualityActual}}},
		{name: "voltage in V by option", in: `{"meter_id":"m1","reading_type":"vltg","reading_value":231.45,"reading_date_time":"2023-03-01 10:15:00"}`,
			opts: &meter.JSONLinesOptions{VoltageUnit: "V", Source: "mqtt"},
			want: []meter.Reading{{MeterID: "m1", Type: "vltg", Value: 231.45, Time: at, Source: "mqtt", Quality: meter.QualityActual}}},
		{name: "a record's unit wins", in: `{"meter_id":"m1","reading_type":"vltg","reading_value":231.45,"unit":"V","reading_date_time":"2023-03-01 10:15:00"}
{"meter_id":"m1","reading_type":"kw","reading_value":620,"unit":"W","reading_date_time":"2023-03-01T10:15:00Z"}
{"meter_id":"m1","reading_type":"kwh","reading_value":"0.155","unit":"KWH","reading_date_time":"2023-03-01T21:15:00+11:00"}`,
			want: []meter.Reading{{MeterID: "m1", Type: "vltg", Value: 231.45, Time: at, Source: "json", Quality: meter.QualityActual},
				{MeterID: "m1", Type: "kw", Value: 0.62, Time: at, Source: "json", Quality: meter.QualityActual},
				{MeterID: "m1", Type: "kwh", Value: 0.155, Time: at, Source: "json", Quality: meter.QualityActual}}},
		{name: "arrival, quality, T without zone, extra fields", in: `{"meter_id":"m1","reading_type":"kwh","reading_value":1.5,"reading_date_time":"2023-03-01T10:15:00.000","arrival_time":"2023-03-02 00:00:01.250","quality":"E","obis_code":"1.8.0","phase":null}`,
			want: []meter.Reading{{MeterID: "m1", Type: "kwh", Value: 1.5, Time: at, Arrival: utc("2023-03-02T00:00:01.25Z"), Source: "json", Quality: meter.QualityEstimated}}},
		{name: "a Kinesis record's aggregated objects, blank lines", in: "\n" + `{"meter_id":"a","reading_type":"kw","reading_value":"1","reading_date_time":"2023-03-01 10:15:00.000"}{"meter_id":"b","reading_type":"kw","reading_value":"2","reading_date_time":"2023-03-01 10:15:00.000"}` + "\n\n",
			want: []meter.Reading{{MeterID: "a", Type: "kw", Value: 1, Time: at, Source: "json", Quality: meter.QualityActual},
				{MeterID: "b", Type: "kw", Value: 2, Time: at, Source: "json", Quality: meter.QualityActual}}},
		{name: "one bad object rejects its line whole", in: `{"meter_id":"a","reading_type":"kw","reading_value":"1","reading_date_time":"2023-03-01 10:15:00"}{"meter_id":"b","reading_type":"kw","reading_value":"x","reading_date_time":"2023-03-01 10:15:00"}`,
			errCol: "reading_value", errIs: meter.ErrNumber},
		{name: "unknown type", in: `{"meter_id":"a","reading_type":"kWh","reading_value":1,"reading_date_time":"2023-03-01 10:15:00"}`, errCol: "reading_type", errIs: meter.ErrReadingType},
		{name: "unit that does not fit", in: `{"meter_id":"a","reading_type":"kw","reading_value":1,"unit":"kWh","reading_date_time":"2023-03-01 10:15:00"}`, errCol: "unit", errIs: meter.ErrUnit},
		{name: "missing value", in: `{"meter_id":"a","reading_type":"kw","reading_date_time":"2023-03-01 10:15:00"}`, errCol: "reading_value", errIs: meter.ErrNumber},
		{name: "null value", in: `{"meter_id":"a","reading_type":"kw","reading_value":null,"reading_date_time":"2023-03-01 10:15:00"}`, errCol: "reading_value", errIs: meter.ErrNumber},
		{name: "infinite value", in: `{"meter_id":"a","reading_type":"kw","reading_value":"1e999","reading_date_time":"2023-03-01 10:15:00"}`, errCol: "reading_value", errIs: meter.ErrNumber},
		{name: "missing meter", in: `{"reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00"}`, errCol: "meter_id", errIs: meter.ErrMeterID},
		{name: "bad time", in: `{"meter_id":"a","reading_type":"kw","reading_value":1,"reading_date_time":"2023-02-30 10:15:00"}`, errCol: "reading_date_time", errIs: meter.ErrTimestamp},
		{name: "epoch time", in: `{"meter_id":"a","reading_type":"kw","reading_value":1,"reading_date_time":1677665700000}`, errIs: meter.ErrJSON},
		{name: "bad arrival", in: `{"meter_id":"a","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","arrival_time":"soon"}`, errCol: "arrival_time", errIs: meter.ErrTimestamp},
		{name: "bad quality", in: `{"meter_id":"a","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00","quality":"X"}`, errCol: "quality", errIs: meter.ErrQuality},
		{name: "not JSON", in: `meter_id,reading_type`, errIs: meter.ErrJSON},
		{name: "truncated", in: `{"meter_id":"a","reading_type":"kw"`, errIs: meter.ErrJSON},
		{name: "an array", in: `[1,2]`, errIs: meter.ErrJSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errs []*meter.ParseError
			o := &meter.JSONLinesOptions{}
			if tc.opts != nil {
				o = tc.opts
			}
			o.OnError = onErr(&errs)
			got, err := meter.ReadAll(meter.NewJSONLinesReader(strings.NewReader(tc.in), o))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if tc.errIs == nil {
				if len(errs) > 0 {
					t.Errorf("errors %v", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Column != tc.errCol || !errors.Is(errs[0], tc.errIs) || errs[0].Line != 1 {
				t.Errorf("errors %v, want one of line 1 in column %q wrapping %v", errs, tc.errCol, tc.errIs)
			}
		})
	}
	if _, err := meter.ReadAll(meter.NewJSONLinesReader(strings.NewReader("{}"), &meter.JSONLinesOptions{VoltageUnit: "mV"})); err == nil || !strings.Contains(err.Error(), "VoltageUnit") {
		t.Errorf("bad VoltageUnit: %v", err)
	}
}

// TestJSONLinesPositions: a bad line's number and offset point at it.
func TestJSONLinesPositions(t *testing.T) {
	good := `{"meter_id":"a","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00"}`
	in := good + "\r\n" + good + "\n{bad\n" + good + "\n"
	var errs []*meter.ParseError
	reads, err := meter.ReadAll(meter.NewJSONLinesReader(strings.NewReader(in), &meter.JSONLinesOptions{OnError: onErr(&errs)}))
	if err != nil || len(reads) != 3 {
		t.Fatalf("%d reads, %v", len(reads), err)
	}
	if len(errs) != 1 || errs[0].Line != 3 || errs[0].Offset != int64(2*len(good)+3) {
		t.Errorf("errors %v", errs)
	}
	// Strict: the first bad line stops the reader with its error.
	_, err = meter.ReadAll(meter.NewJSONLinesReader(strings.NewReader(in), nil))
	var pe *meter.ParseError
	if !errors.As(err, &pe) || pe.Line != 3 {
		t.Errorf("strict: %v", err)
	}
}

func FuzzJSONLinesReader(f *testing.F) {
	f.Add([]byte(`{"meter_id":"m1","reading_type":"kw","reading_value":"0.62","reading_date_time":"2023-03-01 10:15:00.000","reading_source":"B"}` + "\n" +
		`{"meter_id":"m1","reading_type":"vltg","reading_value":0.231,"reading_date_time":"2023-03-01T10:15:00+01:00","unit":"kV"}{"meter_id":"m2"}`))
	f.Add([]byte("{\"meter_id\":\"\\u00e9\",\"reading_value\":\"1e400\"}\n[]\n\"x\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, data, meter.JSONLinesFormat, func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			return meter.NewJSONLinesReader(bytes.NewReader(data), &meter.JSONLinesOptions{OnError: onError, MaxLineBytes: 4096})
		})
	})
}

func BenchmarkJSONLinesReader(b *testing.B) {
	var buf bytes.Buffer
	n := 0
	t0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	types := []string{"load", "crrnt", "pf", "kva", "kw", "vltg"}
	for ; buf.Len() < 16<<20; n++ {
		fmt.Fprintf(&buf, `{"meter_id":"%08d-3ff0-3d2b-9ea0-6fb5b0078031","reading_type":"%s","reading_value":"%d.%03d","reading_date_time":"%s","reading_source":"B"}`+"\n",
			n/6%1000, types[n%6], n%3, n%1000, t0.Add(time.Duration(n/6000)*15*time.Minute).Format("2006-01-02 15:04:05.000"))
	}
	benchRead(b, buf.Bytes(), n, func(r io.Reader) meter.Reader { return meter.NewJSONLinesReader(r, nil) })
}

// TestJSONLinesTimes: the layouts of reading_date_time and arrival_time,
// and the years the lake holds.
func TestJSONLinesTimes(t *testing.T) {
	at := utc("2024-03-01T10:15:00.25Z")
	for _, tc := range []struct {
		in   string
		want time.Time // zero: rejected
	}{
		{"2024-03-01 10:15:00.250", at},
		{"2024-03-01T10:15:00.25", at},
		{"2024-03-01t10:15:00.25z", at},
		{"2024-03-01T12:15:00.25+02:00", at},
		{"2024-03-01 12:15:00.25+02:00", at},
		{"2024-03-01T10:15:00.2509Z", at},
		{"2024-02-29 00:00:00", utc("2024-02-29T00:00:00Z")},
		{"2023-02-29 00:00:00", time.Time{}},
		{"0000-01-01 00:00:00", time.Time{}},
		{"9999-12-31T23:30:00-01:00", time.Time{}},
		{"0001-01-01T00:15:00+01:00", time.Time{}},
		{"2024-03-01", time.Time{}},
		{"2024-03-01X10:15:00", time.Time{}},
	} {
		rec := `{"meter_id":"m","reading_type":"kw","reading_value":1,"reading_date_time":"` + tc.in + `"}`
		var errs []*meter.ParseError
		got, err := meter.ReadAll(meter.NewJSONLinesReader(strings.NewReader(rec), &meter.JSONLinesOptions{OnError: onErr(&errs)}))
		switch {
		case err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case tc.want.IsZero() && (len(got) != 0 || len(errs) != 1 || !errors.Is(errs[0], meter.ErrTimestamp)):
			t.Errorf("%s: %v, %v; want it rejected as a bad timestamp", tc.in, got, errs)
		case !tc.want.IsZero() && (len(got) != 1 || !got[0].Time.Equal(tc.want)):
			t.Errorf("%s: %v, %v; want %v", tc.in, got, errs, tc.want)
		}
	}
}
