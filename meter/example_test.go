package meter_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/openmda/mda/meter"
)

func ExampleNewHESCSVReader() {
	csv := `time,arrival_time,device_id,measure_name,load,crrnt,pf,kva,kw,vltg
2023-03-01 10:15:00.000000,2023-03-01 10:15:00.000000,503d4c60-3ff0-3d2b-9ea0-6fb5b0078031,readings,7,7.187,0.889,1.437,1.278,0.2
this line is broken
`
	r := meter.NewHESCSVReader(strings.NewReader(csv), &meter.HESCSVReaderOptions{
		OnError: func(err *meter.ParseError, raw []byte) error {
			fmt.Println("quarantined:", err)
			return nil // carry on
		},
	})
	reads, err := meter.ReadAll(r)
	if err != nil {
		panic(err)
	}
	for _, rd := range reads {
		info, _ := meter.LookupType(rd.Type)
		fmt.Printf("%s %-5s %g %s\n", rd.Time.Format("2006-01-02T15:04Z"), rd.Type, rd.Value, info.Unit)
	}
	// Output:
	// quarantined: hes-csv: line 3 (byte 197): wrong number of columns: got 1, want 10
	// 2023-03-01T10:15Z load  7 kW
	// 2023-03-01T10:15Z crrnt 7.187 A
	// 2023-03-01T10:15Z pf    0.889 1
	// 2023-03-01T10:15Z kva   1.437 kVA
	// 2023-03-01T10:15Z kw    1.278 kW
	// 2023-03-01T10:15Z vltg  200 V
}

func ExampleLookupType() {
	for _, t := range []meter.Type{meter.TypeKW, meter.TypeVoltage, meter.TypeKWh} {
		info, _ := meter.LookupType(t)
		fmt.Println(info.Type, info.Unit, info.Energy)
	}
	// Output:
	// kw kW false
	// vltg V false
	// kwh kWh true
}

// The guidance's staging records (its Kinesis and Firehose path) and a
// stream's: voltage arrives in kV unless the record's unit says otherwise.
func ExampleNewJSONLinesReader() {
	in := `{"meter_id": "m1", "reading_type": "kw", "reading_value": "0.62", "reading_date_time": "2023-03-01 10:15:00.000", "reading_source": "B"}
{"meter_id": "m1", "reading_type": "vltg", "reading_value": "0.23145", "reading_date_time": "2023-03-01 10:15:00.000", "reading_source": "B"}
{"meter_id": "m1", "reading_type": "kwh", "reading_value": 155, "unit": "Wh", "reading_date_time": "2023-03-01T21:15:00+11:00"}
`
	reads, err := meter.ReadAll(meter.NewJSONLinesReader(strings.NewReader(in), nil))
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range reads {
		fmt.Println(r)
	}
	// Output:
	// m1 2023-03-01T10:15:00Z kw=0.62 A
	// m1 2023-03-01T10:15:00Z vltg=231.45 A
	// m1 2023-03-01T10:15:00Z kwh=0.155 A
}
