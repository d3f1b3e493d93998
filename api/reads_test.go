package api_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/openmda/mda/api"
	"github.com/openmda/mda/meter"
)

// TestReadsMatchTruth: /reads serves a meter's reads as the simulator
// made them, those of the days' intervals (a read at midnight closes the
// day before), of the types asked for, in every format; and its kW reads
// times the interval are /consumption's energy.
func TestReadsMatchTruth(t *testing.T) {
	l, b := sharedLake(t)
	h := api.New(b, nil)
	id := l.MeterIDs[3]
	from, to := l.Start.AddDate(0, 0, 1), l.Start.AddDate(0, 0, 2) // 2024-03-02
	truth := func(types ...meter.Type) []api.Read {
		var out []api.Read
		l.Gen.TruthReads(func(r meter.Reading) error {
			if r.MeterID == id && r.Time.After(from) && !r.Time.After(to) && (len(types) == 0 || slices.Contains(types, r.Type)) {
				info, _ := meter.LookupType(r.Type)
				out = append(out, api.Read{Time: r.Time, Type: string(r.Type), Value: api.Float(r.Value), Unit: info.Unit,
					Source: r.Source, Arrival: r.Arrival, Quality: r.Quality.String()})
			}
			return nil
		})
		return out
	}
	sortReads := cmpopts.SortSlices(func(a, b api.Read) bool {
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		return a.Type < b.Type
	})
	for _, tc := range []struct {
		name, query string
		types       []meter.Type
	}{
		{"every type", "", nil},
		{"kw", "&reading_type=kw", []meter.Type{meter.TypeKW}},
		{"kw and voltage", "&reading_type=vltg,kw", []meter.Type{meter.TypeVoltage, meter.TypeKW}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decode[api.Reads](t, get(h, "/reads/"+id+"?reading_date_from=20240302&reading_date_to=20240302"+tc.query))
			want := api.Reads{MeterID: id, From: from, To: to, Data: truth(tc.types...)}
			for _, ty := range tc.types {
				want.ReadingTypes = append(want.ReadingTypes, string(ty))
			}
			if n := len(want.Data); n != 96*max(1, len(tc.types))*map[bool]int{true: 6, false: 1}[len(tc.types) == 0] {
				t.Fatalf("truth has %d reads", n)
			}
			if diff := cmp.Diff(want, got, sortReads); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	t.Run("kW reads are the consumption", func(t *testing.T) {
		reads := decode[api.Reads](t, get(h, "/reads/"+id+"?reading_date_from=20240302&reading_date_to=20240302&reading_type=kw"))
		day := decode[api.Consumption](t, get(h, "/consumption/"+id+"?reading_date_from=20240302&reading_date_to=20240302&period=day"))
		var kwh float64
		for _, r := range reads.Data {
			kwh += float64(r.Value) * 0.25
		}
		if len(day.Data) != 1 || day.Data[0].Reads != len(reads.Data) || !cmp.Equal(float64(day.Data[0].KWh), kwh, approx) {
			t.Errorf("reads sum to %v kWh over %d reads; consumption %+v", kwh, len(reads.Data), day.Data)
		}
	})

	t.Run("csv and arrow", func(t *testing.T) {
		want := truth(meter.TypeKW)
		w := get(h, "/reads/"+id+"?reading_date_from=20240302&reading_date_to=20240302&reading_type=kw&format=csv")
		recs, err := csv.NewReader(w.Body).ReadAll()
		if err != nil || len(recs) != len(want)+1 {
			t.Fatalf("csv: %d records, %v", len(recs), err)
		}
		if diff := cmp.Diff([]string{"meter_id", "reading_type", "reading_date_time", "reading_value", "reading_source", "arrival_time", "quality"}, recs[0]); diff != "" {
			t.Errorf("header (-want +got):\n%s", diff)
		}
		for i, rec := range recs[1:] {
			tm, err1 := time.Parse(time.RFC3339Nano, rec[2])
			v, err2 := strconv.ParseFloat(rec[3], 64)
			arr, err3 := time.Parse(time.RFC3339Nano, rec[5])
			if err1 != nil || err2 != nil || err3 != nil || rec[0] != id || !tm.Equal(want[i].Time) || v != float64(want[i].Value) ||
				!arr.Equal(want[i].Arrival) || rec[6] != want[i].Quality {
				t.Errorf("row %d: %v, want %+v", i, rec, want[i])
			}
		}
		w = get(h, "/reads/"+id+"?reading_date_from=20240302&reading_date_to=20240302&reading_type=kw", "Accept", api.Arrow)
		r, err := ipc.NewReader(w.Body)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Release()
		var rows int64
		for r.Next() {
			rows += r.RecordBatch().NumRows()
		}
		if rows != int64(len(want)) {
			t.Errorf("arrow: %d rows, want %d", rows, len(want))
		}
	})

	for _, tc := range []struct {
		target string
		code   int
		msg    string
	}{
		{"/reads/" + id + "?reading_date_from=20240302&reading_date_to=20240302&reading_type=kwatt", 400, `reading_type \"kwatt\": want a comma-separated list of`},
		{"/reads/" + id + "?reading_date_from=20240302&reading_date_to=20240302&period=day", 400, "unknown parameter"},
		{"/reads/" + id + "?reading_date_from=20240302", 400, "reading_date_to is required"},
		{"/reads/no-such-meter?reading_date_from=20240302&reading_date_to=20240302", 404, "unknown meter"},
	} {
		w := get(h, tc.target)
		if w.Code != tc.code || !strings.Contains(w.Body.String(), tc.msg) {
			t.Errorf("%s: status %d, %s; want %d with %q", tc.target, w.Code, w.Body, tc.code, tc.msg)
		}
	}
	// A known meter with nothing in the range: 200 and no rows.
	if w := get(h, "/reads/"+id+"?reading_date_from=20250101&reading_date_to=20250101"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"data":[]`) {
		t.Errorf("empty range: %d %s", w.Code, w.Body)
	}
}

// TestMeterIDsThatNeedEncoding: a meter whose id holds '/', '#', '?' or
// '%' (ids the decoders accept) is served when its id is percent-encoded.
func TestMeterIDsThatNeedEncoding(t *testing.T) {
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var reads []meter.Reading
	for _, id := range []string{"NMI1/E1", "m#2", "m?3", "100%"} {
		reads = append(reads, everyStep(id, meter.TypeKW, day, day.AddDate(0, 0, 1), 15*time.Minute, 1)...)
	}
	h := api.New(lakeOf(t, reads), nil)
	for _, id := range []string{"NMI1/E1", "m#2", "m?3", "100%"} {
		got := decode[api.Consumption](t, get(h, "/consumption/"+url.PathEscape(id)+"?reading_date_from=20240301&reading_date_to=20240301&period=day"))
		if got.MeterID != id || len(got.Data) != 1 || got.Data[0].KWh != 24 {
			t.Errorf("%s: %+v", id, got)
		}
	}
}
