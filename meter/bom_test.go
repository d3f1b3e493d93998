package meter_test

import (
	"strings"
	"testing"

	"github.com/openmda/mda/meter"
)

// TestByteOrderMark: a UTF-8 byte-order mark before the first record (as
// Excel and Windows tools save files) changes nothing, in every decoder.
func TestByteOrderMark(t *testing.T) {
	const bom = "\ufeff"
	nemDay := func(date string) string { return "300," + date + strings.Repeat(",1.5", 48) + ",A,,,20240102030405,\n" }
	nem := "200,6001260509,E1,E1,E1,N1,M1,KWH,30,\n" + nemDay("20240101") + nemDay("20240102")
	lcl := "LCLid,tstp,energy(kWh/hh)\nMAC000002,2012-10-28 00:30:00.0000000,0.1\n"
	jsonl := `{"meter_id":"m1","reading_type":"kw","reading_value":1,"reading_date_time":"2023-03-01 10:15:00"}` + "\n"
	for _, tc := range []struct {
		name string
		data string
		open func(in string) meter.Reader
	}{
		{"nem12 starting at its 200 record", nem, func(in string) meter.Reader { return meter.NewNEM12Reader(strings.NewReader(in), nil) }},
		{"mrasco", string(readFile(t, "testdata/d0275-sample.txt")), func(in string) meter.Reader {
			return meter.NewMRASCoReader(strings.NewReader(in), nil)
		}},
		{"london", lcl, func(in string) meter.Reader { return meter.NewLondonReader(strings.NewReader(in), nil) }},
		{"espi", string(readFile(t, "testdata/espi-sample.xml")), func(in string) meter.Reader { return meter.NewESPIReader(strings.NewReader(in), nil) }},
		{"json lines", jsonl, func(in string) meter.Reader { return meter.NewJSONLinesReader(strings.NewReader(in), nil) }},
		{"hes csv", string(readFile(t, "testdata/hes-sample.csv")), func(in string) meter.Reader {
			return meter.NewHESCSVReader(strings.NewReader(in), nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := meter.ReadAll(tc.open(tc.data)) // strict: any bad record fails
			if err != nil || len(want) == 0 {
				t.Fatalf("without a BOM: %d reads, %v", len(want), err)
			}
			got, err := meter.ReadAll(tc.open(bom + tc.data))
			if err != nil || len(got) != len(want) {
				t.Errorf("with a BOM: %d reads, %v; want %d", len(got), err, len(want))
			}
		})
	}
}
