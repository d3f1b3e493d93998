package meter_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda/meter"
)

// roundTrip writes reads as JSON lines and reads them back.
func roundTrip(t *testing.T, reads []meter.Reading) []meter.Reading {
	t.Helper()
	var buf bytes.Buffer
	w := meter.NewJSONLinesWriter(&buf)
	if n, err := w.Write(reads); err != nil || n != len(reads) {
		t.Fatalf("Write = %d, %v", n, err)
	}
	got, err := meter.ReadAll(meter.NewJSONLinesReader(&buf, nil))
	if err != nil {
		t.Fatalf("reading back %q: %v", buf.String(), err)
	}
	return got
}

func TestJSONLinesWriterRoundTrip(t *testing.T) {
	at := time.Date(2024, 3, 1, 10, 15, 0, 0, time.UTC)
	reads := []meter.Reading{
		{MeterID: "503d4c60-3ff0-3d2b-9ea0-6fb5b0078031", Type: meter.TypeKW, Value: 0.62, Time: at, Arrival: at.Add(5 * time.Minute), Source: "B", Quality: meter.QualityActual},
		// Voltage in V stays in V (the reader's default for a record
		// without a unit is the guidance's kV).
		{MeterID: "m1", Type: meter.TypeVoltage, Value: 231.45, Time: at, Source: "hes", Quality: meter.QualityEstimated},
		{MeterID: "m1", Type: meter.TypeKWh, Value: 0.1 + 0.2, Time: at.Add(123 * time.Millisecond), Source: "", Quality: meter.QualitySubstituted},
		{MeterID: `odd"id\with\"quotes`, Type: meter.TypeKWh, Value: -1e-12, Time: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Source: "réseau\n", Quality: meter.QualityNull},
		{MeterID: "m2", Type: meter.TypeKW, Value: 1e300, Time: time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC), Source: "s", Quality: meter.QualityFinal},
		// In another zone: written and read back in UTC.
		{MeterID: "m3", Type: meter.TypeKW, Value: 3, Time: at.In(time.FixedZone("AEST", 10*3600)), Source: "s", Quality: meter.QualityActual},
	}
	got := roundTrip(t, reads)
	want := make([]meter.Reading, len(reads))
	for i, r := range reads {
		r.Time, r.Arrival = r.Time.UTC(), r.Arrival.UTC()
		if r.Arrival.Equal(time.Time{}) {
			r.Arrival = time.Time{}
		}
		want[i] = r
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestJSONLinesWriterRefusesWholeBatch(t *testing.T) {
	at := time.Date(2024, 3, 1, 10, 15, 0, 0, time.UTC)
	good := meter.Reading{MeterID: "m1", Type: meter.TypeKW, Value: 1, Time: at}
	for _, tc := range []struct {
		name string
		bad  meter.Reading
	}{
		{"empty meter id", meter.Reading{Type: meter.TypeKW, Value: 1, Time: at}},
		{"meter id with a space", meter.Reading{MeterID: "a b", Type: meter.TypeKW, Value: 1, Time: at}},
		{"unregistered type", meter.Reading{MeterID: "m1", Type: "kWh", Value: 1, Time: at}},
		{"NaN", meter.Reading{MeterID: "m1", Type: meter.TypeKW, Value: math.NaN(), Time: at}},
		{"infinity", meter.Reading{MeterID: "m1", Type: meter.TypeKW, Value: math.Inf(1), Time: at}},
		{"year 10000", meter.Reading{MeterID: "m1", Type: meter.TypeKW, Value: 1, Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"bad quality", meter.Reading{MeterID: "m1", Type: meter.TypeKW, Value: 1, Time: at, Quality: 'X'}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			n, err := meter.NewJSONLinesWriter(&buf).Write([]meter.Reading{good, tc.bad})
			if !errors.Is(err, meter.ErrUnwritable) || n != 0 || buf.Len() != 0 {
				t.Errorf("Write = %d, %v, wrote %q; want 0, ErrUnwritable, nothing", n, err, buf.String())
			}
			if err != nil && !strings.Contains(err.Error(), "read 1") {
				t.Errorf("error %q does not name read 1", err)
			}
		})
	}
}

// FuzzJSONLinesWriter: whatever a valid read holds, it reads back the same.
func FuzzJSONLinesWriter(f *testing.F) {
	f.Add("m1", "kw", 0.62, int64(1709288100000), int64(0), "B", byte('A'))
	f.Add(`a"b\c`, "vltg", 231.45, int64(-62135596800000), int64(1), "", byte('E'))
	f.Add("x", "kwh", -0.0, int64(253402300799999), int64(5), "é\x00", byte(0))
	f.Fuzz(func(t *testing.T, id, typ string, v float64, ms, arrivalMs int64, source string, q byte) {
		r := meter.Reading{MeterID: id, Type: meter.Type(typ), Value: v, Time: time.UnixMilli(ms).UTC(), Source: source, Quality: meter.Quality(q)}
		if arrivalMs != 0 {
			r.Arrival = time.UnixMilli(arrivalMs).UTC()
		}
		var buf bytes.Buffer
		if _, err := meter.NewJSONLinesWriter(&buf).Write([]meter.Reading{r}); err != nil {
			if !errors.Is(err, meter.ErrUnwritable) {
				t.Fatalf("error %v is not ErrUnwritable", err)
			}
			return
		}
		got, err := meter.ReadAll(meter.NewJSONLinesReader(&buf, nil))
		if err != nil || len(got) != 1 {
			t.Fatalf("reading back %q: %v, %d reads", buf.String(), err, len(got))
		}
		want := r
		if want.Quality == 0 {
			want.Quality = meter.QualityActual // the reader's default
		}
		if !utf8.ValidString(source) {
			want.Source = got[0].Source // encoding/json replaces invalid UTF-8
		}
		if v == 0 {
			want.Value = got[0].Value // -0 may read back as 0
		}
		if diff := cmp.Diff(want, got[0]); diff != "" {
			t.Errorf("%q round trip (-want +got):\n%s", buf.String(), diff)
		}
	})
}
