package meter_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/openmda/mda/meter"
)

func TestESPISample(t *testing.T) {
	reads, err := meter.ReadAll(meter.NewESPIReader(bytes.NewReader(readFile(t, "testdata/espi-sample.xml")), nil))
	if err != nil {
		t.Fatal(err)
	}
	r := func(typ meter.Type, v float64, tm string, q meter.Quality) meter.Reading {
		return meter.Reading{MeterID: "1", Type: typ, Value: v, Time: utc(tm), Source: "espi", Quality: q}
	}
	want := []meter.Reading{
		// 1709337600 is 2024-03-02T00:00Z; reads are stamped at the interval end.
		r(meter.TypeKWh, 0.974, "2024-03-02T01:00:00Z", 'A'),
		r(meter.TypeKWh, 1.051, "2024-03-02T02:00:00Z", 'E'),
		r(meter.TypeKWh, 0.488, "2024-03-02T03:00:00Z", 'A'),
		// ReadingType 08: export, powerOfTenMultiplier -3: 1250000 mWh.
		r(meter.TypeKWhExport, 1.25, "2024-03-02T08:00:00Z", 'A'),
	}
	if diff := cmp.Diff(want, reads); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

const espiHead = `<feed xmlns="http://www.w3.org/2005/Atom" xmlns:espi="http://naesb.org/espi">
<entry><content><espi:ReadingType><espi:intervalLength>900</espi:intervalLength><espi:powerOfTenMultiplier>0</espi:powerOfTenMultiplier><espi:uom>%s</espi:uom></espi:ReadingType></content></entry>
<entry><link rel="up" href="/espi/1_1/resource/Subscription/1/UsagePoint/up9/MeterReading/1/IntervalBlock"/><content><espi:IntervalBlock>
`

func espiReading(start, dur, value string) string {
	d := ""
	if dur != "" {
		d = "<espi:duration>" + dur + "</espi:duration>"
	}
	return "<espi:IntervalReading><espi:timePeriod>" + d + "<espi:start>" + start + "</espi:start></espi:timePeriod><espi:value>" + value + "</espi:value></espi:IntervalReading>\n"
}

func TestESPIBadRecords(t *testing.T) {
	tests := []struct {
		name   string
		uom    string
		body   string
		reads  int
		errs   []error
		column string
	}{
		{"bad value", "72", espiReading("1709337600", "900", "12x") + espiReading("1709338500", "", "5"), 1, []error{meter.ErrNumber}, "value"},
		{"bad start", "72", espiReading("soon", "900", "1") + espiReading("1709338500", "900", "5"), 1, []error{meter.ErrNumber}, "timePeriod"},
		{"gas", "169", espiReading("1709337600", "900", "1") + espiReading("1709338500", "900", "5"), 0, []error{meter.ErrUnit}, "uom"},
		{"watts", "38", espiReading("1709337600", "900", "1500"), 1, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fmt.Sprintf(espiHead, tt.uom) + tt.body + "</espi:IntervalBlock></content></entry></feed>"
			var errs []*meter.ParseError
			reads, err := meter.ReadAll(meter.NewESPIReader(strings.NewReader(in), &meter.ESPIOptions{OnError: onErr(&errs)}))
			if err != nil {
				t.Fatal(err)
			}
			checkReads(t, reads)
			if len(reads) != tt.reads || len(errs) != len(tt.errs) {
				t.Fatalf("got %v and errors %v", reads, errs)
			}
			for i, e := range tt.errs {
				if !errors.Is(errs[i], e) || errs[i].Column != tt.column || errs[i].Line < 3 || errs[i].Format != meter.ESPIFormat {
					t.Errorf("error %v (line %d column %q), want %v in %q", errs[i], errs[i].Line, errs[i].Column, e, tt.column)
				}
			}
			for _, rd := range reads {
				if rd.MeterID != "up9" || rd.Time.Unix() != 1709338500+900 && rd.Time.Unix() != 1709337600+900 {
					t.Errorf("read %v", rd)
				}
			}
		})
	}
}

func TestESPIMalformed(t *testing.T) {
	in := fmt.Sprintf(espiHead, "72") + espiReading("1709337600", "900", "1") + "<espi:IntervalReading><oops></espi:IntervalReading>"
	reads, err := meter.ReadAll(meter.NewESPIReader(strings.NewReader(in), &meter.ESPIOptions{
		OnError: func(*meter.ParseError, []byte) error { return nil }}))
	var pe *meter.ParseError
	if len(reads) != 1 || !errors.As(err, &pe) || !errors.Is(err, meter.ErrEncoding) {
		t.Fatalf("got %d reads, %v", len(reads), err)
	}
	_, err = meter.ReadAll(meter.NewESPIReader(strings.NewReader(fmt.Sprintf(espiHead, "72")), nil))
	if !errors.Is(err, meter.ErrEncoding) {
		t.Fatalf("truncated feed: %v", err)
	}
}

func ExampleNewESPIReader() {
	feed := `<feed xmlns="http://www.w3.org/2005/Atom" xmlns:espi="http://naesb.org/espi">
 <entry><content><espi:ReadingType>
   <espi:flowDirection>1</espi:flowDirection><espi:intervalLength>3600</espi:intervalLength>
   <espi:powerOfTenMultiplier>0</espi:powerOfTenMultiplier><espi:uom>72</espi:uom>
 </espi:ReadingType></content></entry>
 <entry><content><espi:IntervalBlock>
   <espi:IntervalReading><espi:timePeriod><espi:duration>3600</espi:duration><espi:start>1709337600</espi:start></espi:timePeriod><espi:value>974</espi:value></espi:IntervalReading>
   <espi:IntervalReading><espi:ReadingQuality><espi:quality>8</espi:quality></espi:ReadingQuality><espi:timePeriod><espi:duration>3600</espi:duration><espi:start>1709341200</espi:start></espi:timePeriod><espi:value>1051</espi:value></espi:IntervalReading>
 </espi:IntervalBlock></content></entry>
</feed>`
	reads, err := meter.ReadAll(meter.NewESPIReader(strings.NewReader(feed), &meter.ESPIOptions{MeterID: "home"}))
	if err != nil {
		panic(err)
	}
	for _, rd := range reads {
		fmt.Println(rd)
	}
	// Output:
	// home 2024-03-02T01:00:00Z kwh=0.974 A
	// home 2024-03-02T02:00:00Z kwh=1.051 E
}

func FuzzESPIReader(f *testing.F) {
	f.Add(readFile(f, "testdata/espi-sample.xml"))
	f.Add([]byte(fmt.Sprintf(espiHead, "72") + espiReading("1", "", "-1e3") + "</espi:IntervalBlock></content></entry></feed>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, data, meter.ESPIFormat, func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			return meter.NewESPIReader(bytes.NewReader(data), &meter.ESPIOptions{OnError: onError})
		})
	})
}

func BenchmarkESPIReader(b *testing.B) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, espiHead, "72")
	n := 0
	for start := int64(1709337600); buf.Len() < 8<<20; start += 900 {
		buf.WriteString(espiReading(fmt.Sprint(start), "900", fmt.Sprint(start%997)))
		n++
	}
	buf.WriteString("</espi:IntervalBlock></content></entry></feed>")
	benchRead(b, buf.Bytes(), n, func(r io.Reader) meter.Reader { return meter.NewESPIReader(r, nil) })
}
