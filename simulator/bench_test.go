package simulator

import (
	"io"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
)

// countWriter discards and counts bytes.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func BenchmarkWriteCSV(b *testing.B) {
	g, err := New(&Options{Meters: 1000, Days: 7, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	st, err := g.WriteCSV(io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Bytes)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := g.WriteCSV(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(st.Lines), "ns/line")
}

// BenchmarkLines measures generation without formatting.
func BenchmarkLines(b *testing.B) {
	g, err := New(&Options{Meters: 1000, Days: 7, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	var lines int64
	b.ReportAllocs()
	for b.Loop() {
		if err := g.Lines(func(*meter.HESLine) error { lines++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkAppendHESCSV measures meter.AppendHESCSV on a typical line, the
// bulk of WriteCSV's time.
func BenchmarkAppendHESCSV(b *testing.B) {
	l := &meter.HESLine{Time: DefaultStart, Arrival: DefaultStart.Add(123456 * time.Millisecond), DeviceID: MeterID(1),
		MeasureName: MeasureName, Load: 9, Current: 3.686, PF: 0.952, KVA: 0.838, KW: 0.798, Voltage: 227.35}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = meter.AppendHESCSV(buf[:0], l)
	}
}
