package forecast

import (
	"bytes"
	"compress/gzip"
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func TestFromPoints(t *testing.T) {
	nan := math.NaN()
	step := 30 * time.Minute
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	tests := []struct {
		name   string
		points []Point
		want   []float64
	}{
		{"regular", []Point{{at(0), 1}, {at(30), 2}}, []float64{1, 2}},
		{"gap", []Point{{at(0), 1}, {at(90), 4}}, []float64{1, nan, nan, 4}},
		{"unsorted", []Point{{at(60), 3}, {at(0), 1}}, []float64{1, nan, 3}},
		{"duplicate averaged", []Point{{at(0), 1}, {at(30), 2}, {at(30), 4}}, []float64{1, 3}},
		{"off grid rounds", []Point{{at(0), 1}, {at(31), 2}}, []float64{1, 2}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := FromPoints(tt.points, step)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, s.Values, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := FromPoints(nil, 0); err == nil {
		t.Error("step 0: no error")
	}
}

func TestSeriesHelpers(t *testing.T) {
	s := Series{Start: t0, Step: time.Hour, Values: []float64{1, math.NaN(), 3, 4}}
	if s.Len() != 4 || s.Missing() != 1 {
		t.Errorf("Len %d Missing %d", s.Len(), s.Missing())
	}
	sub := s.Slice(2, 4)
	if !sub.Start.Equal(t0.Add(2*time.Hour)) || sub.Values[0] != 3 || !s.End().Equal(t0.Add(4*time.Hour)) {
		t.Errorf("Slice start %v values %v, End %v", sub.Start, sub.Values, s.End())
	}
	back, err := FromPoints(s.Points(), s.Step)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, back, cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("Points round trip (-want +got):\n%s", diff)
	}
	step, err := InferStep([]time.Time{t0, t0.Add(time.Hour), t0.Add(5 * time.Hour), t0.Add(6 * time.Hour), t0.Add(6 * time.Hour)})
	if err != nil || step != time.Hour {
		t.Errorf("InferStep = %v, %v", step, err)
	}
}

func TestFillGaps(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name   string
		x      []float64
		season int
		want   []float64
	}{
		{"seasonal", []float64{1, 2, 1, nan}, 2, []float64{1, 2, 1, 2}},
		{"seasonal from later", []float64{nan, 2, 1, 2}, 2, []float64{1, 2, 1, 2}},
		{"linear", []float64{1, nan, nan, 4}, 0, []float64{1, 2, 3, 4}},
		{"edges", []float64{nan, 2, 4, nan}, 0, []float64{2, 2, 4, 4}},
		{"none missing", []float64{1, 2}, 1, []float64{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, fillGaps(tt.x, tt.season)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadLongAndWide(t *testing.T) {
	long := "meter_id,time,value\n" +
		"a,2024-01-01 00:00:00,1\n" +
		"b,2024-01-01T00:00:00Z,5\n" +
		"a,2024-01-01 00:30:00,2\n" +
		"a,2024-01-01 01:30:00,NA\n" +
		"a,2024-01-01 02:00:00,4\n" +
		"b,2024-01-01T01:00:00Z,6\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(long))
	zw.Close()
	for name, raw := range map[string][]byte{"plain": []byte(long), "gzip": gz.Bytes()} {
		t.Run(name, func(t *testing.T) {
			r, err := maybeGzip(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			ms, err := ReadLong(context.Background(), r)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != 2 || ms[0].ID != "a" || ms[1].ID != "b" {
				t.Fatalf("meters %+v", ms)
			}
			nan := math.NaN()
			if diff := cmp.Diff([]float64{1, 2, nan, nan, 4}, ms[0].Values, cmpopts.EquateNaNs()); diff != "" || ms[0].Step != 30*time.Minute {
				t.Errorf("meter a step %v (-want +got):\n%s", ms[0].Step, diff)
			}
			if ms[1].Step != time.Hour || ms[1].Len() != 2 {
				t.Errorf("meter b: step %v len %d", ms[1].Step, ms[1].Len())
			}
		})
	}
	names, cols, err := ReadWide(context.Background(), strings.NewReader("date,x,y\n2024-01-01 00:00:00,1,10\n2024-01-01 01:00:00,2,20\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"x", "y"}, names); diff != "" || cols[1].Values[1] != 20 || cols[0].Step != time.Hour {
		t.Errorf("wide: names %v cols %+v", names, cols)
	}
	if _, err := ReadLong(context.Background(), strings.NewReader("id,time,value\na,yesterday,1\n")); err == nil {
		t.Error("bad time: no error")
	}
}
