package simulator

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

func TestMeterID(t *testing.T) {
	// Expected values from python3 -c "import uuid; print(uuid.uuid3(uuid.NAMESPACE_OID, 'i'))".
	for _, c := range []struct {
		i    int
		want string
	}{
		{1, "503d4c60-3ff0-3d2b-9ea0-6fb5b0078031"},
		{2, "81cac15d-01d5-3d51-8bde-0f7a383585ae"},
		{3, "ce09d866-a134-35a8-88b8-e4f08b21af3a"},
		{10, "2c17d1af-b9ab-3691-bebc-cf63ff6bb75c"},
		{1000, "d30912f9-4189-33c7-a042-98f887af6d4f"},
		{12000, "3c71cbea-886b-3907-95ec-d61ce8d405b4"},
	} {
		if got := MeterID(c.i); got != c.want {
			t.Errorf("MeterID(%d) = %s, want %s", c.i, got, c.want)
		}
	}
}

func mustNew(t testing.TB, o *Options) *Generator {
	t.Helper()
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestOptions(t *testing.T) {
	g := mustNew(t, nil)
	o := g.Options()
	if o.Meters != 1000 || o.FirstMeter != 1 || o.Days != 7 || o.Interval != 15*time.Minute ||
		!o.Start.Equal(DefaultStart) || o.NominalVoltage != 230 || o.LateOffset != 24*time.Hour ||
		o.Location != time.UTC || o.Climate == nil || *o.Climate != DefaultClimate() {
		t.Errorf("defaults: %+v", o)
	}
	if ids := g.MeterIDs(); len(ids) != 1000 || ids[0] != MeterID(1) || ids[999] != MeterID(1000) {
		t.Errorf("MeterIDs: %d ids", len(ids))
	}
	g = mustNew(t, &Options{Meters: 3, FirstMeter: 42})
	if ids := g.MeterIDs(); len(ids) != 3 || ids[0] != MeterID(42) || ids[2] != MeterID(44) {
		t.Errorf("MeterIDs with FirstMeter 42: %v", ids)
	}

	bad := []struct {
		o    Options
		want string
	}{
		{Options{Meters: -1}, "Meters"},
		{Options{FirstMeter: -1}, "FirstMeter"},
		{Options{Days: -1}, "Days"},
		{Options{Interval: 7 * time.Minute}, "divide"},
		{Options{Interval: 1500 * time.Millisecond}, "seconds"},
		{Options{Interval: -time.Minute}, "negative"},
		{Options{Start: DefaultStart.Add(time.Minute)}, "aligned"},
		{Options{NominalVoltage: -230}, "NominalVoltage"},
		{Options{NominalVoltage: math.NaN()}, "NominalVoltage"},
		{Options{LateFraction: 1.5}, "LateFraction"},
		{Options{DuplicateFraction: -0.1}, "DuplicateFraction"},
		{Options{BadFraction: math.NaN()}, "BadFraction"},
		{Options{LateOffset: -time.Hour}, "LateOffset"},
		{Options{LateOffset: time.Microsecond}, "LateOffset"},
		{Options{Climate: &Climate{ColdestDay: 0}}, "ColdestDay"},
		{Options{Climate: &Climate{ColdestDay: 20, WeatherSigmaC: 2}}, "WeatherTimescale"},
		{Options{Climate: &Climate{ColdestDay: 20, SeasonalAmplitudeC: -1}}, "SeasonalAmplitudeC"},
	}
	for _, c := range bad {
		_, err := New(&c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error about %s", c.o, err, c.want)
		}
	}
}

func csvBytes(t testing.TB, g *Generator) ([]byte, Stats) {
	t.Helper()
	var b bytes.Buffer
	st, err := g.WriteCSV(&b)
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes != int64(b.Len()) {
		t.Fatalf("Stats.Bytes %d, wrote %d", st.Bytes, b.Len())
	}
	return b.Bytes(), st
}

var faulty = Options{Meters: 50, Days: 3, Seed: 7, LateFraction: 0.05, LateOffset: 6 * time.Hour,
	DuplicateFraction: 0.03, BadFraction: 0.02}

func TestDeterminism(t *testing.T) {
	o := faulty
	a, _ := csvBytes(t, mustNew(t, &o))
	b, _ := csvBytes(t, mustNew(t, &o))
	if !bytes.Equal(a, b) {
		t.Fatal("same options, different bytes")
	}
	o.Seed++
	c, _ := csvBytes(t, mustNew(t, &o))
	if bytes.Equal(a, c) {
		t.Fatal("different seeds, same bytes")
	}

	// A meter's reads do not depend on which other meters are generated.
	byMeter := func(g *Generator, id string) []meter.Reading {
		var out []meter.Reading
		if err := g.TruthReads(func(r meter.Reading) error {
			if r.MeterID == id {
				out = append(out, r)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	o = faulty
	g1 := mustNew(t, &o)
	o.FirstMeter, o.Meters = 30, 3
	g2 := mustNew(t, &o)
	id := MeterID(31)
	r1, r2 := byMeter(g1, id), byMeter(g2, id)
	if len(r1) == 0 {
		t.Fatal("no reads")
	}
	if d := cmp.Diff(r1, r2); d != "" {
		t.Errorf("meter 31 depends on the other meters (-all +three):\n%s", d)
	}
}

// lineReads converts a line to its six reads as the HES CSV decoder gives them.
func lineReads(l *meter.HESLine) []meter.Reading {
	out := make([]meter.Reading, 0, 6)
	for i, v := range [6]float64{l.Load, l.Current, l.PF, l.KVA, l.KW, l.Voltage} {
		out = append(out, meter.Reading{MeterID: l.DeviceID, Type: meter.HESTypes[i], Value: v,
			Time: l.Time.UTC(), Source: "B", Arrival: l.Arrival.UTC(), Quality: meter.QualityActual})
	}
	return out
}

func decode(t testing.TB, data []byte) (reads []meter.Reading, bad []*meter.ParseError) {
	t.Helper()
	r := meter.NewHESCSVReader(bytes.NewReader(data), &meter.HESCSVReaderOptions{
		OnError: func(e *meter.ParseError, raw []byte) error {
			bad = append(bad, e)
			return nil
		}})
	reads, err := meter.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return reads, bad
}

func TestRoundTrip(t *testing.T) {
	o := faulty
	g := mustNew(t, &o)
	data, st := csvBytes(t, g)
	if !bytes.HasPrefix(data, []byte(meter.HESCSVHeader+"\n")) {
		t.Fatal("no header")
	}
	var want []meter.Reading
	var lines int64
	if err := g.Lines(func(l *meter.HESLine) error {
		lines++
		want = append(want, lineReads(l)...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, bad := decode(t, data)
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("decoded reads differ from Lines (-Lines +decoded):\n%s", d)
	}
	if int64(len(bad)) != st.BadLines || st.BadLines == 0 {
		t.Errorf("decoder rejected %d lines, Stats.BadLines %d", len(bad), st.BadLines)
	}
	if st.Lines != lines || st.Reads != 6*lines || int64(len(got)) != st.Reads {
		t.Errorf("Stats %+v, Lines gave %d lines, decoded %d reads", st, lines, len(got))
	}
	if n := int64(bytes.Count(data, []byte("\n"))); n != 1+st.Lines+st.BadLines {
		t.Errorf("%d newlines, want 1 + %d + %d", n, st.Lines, st.BadLines)
	}
	if start := g.Options().Start; !st.First.Equal(start.Add(15*time.Minute)) || !st.Last.Equal(start.Add(time.Duration(o.Days)*24*time.Hour)) {
		t.Errorf("First %v Last %v", st.First, st.Last)
	}

	// De-duplicating the decoded reads (latest arrival wins) gives Truth.
	latest := map[meter.Key]meter.Reading{}
	for _, r := range got {
		if p, ok := latest[r.Key()]; !ok || r.Arrival.After(p.Arrival) {
			latest[r.Key()] = r
		}
	}
	truth, err := g.Truth()
	if err != nil {
		t.Fatal(err)
	}
	if len(truth) != o.Meters*o.Days*96*6 || len(latest) != len(truth) {
		t.Fatalf("truth has %d reads, de-duplicated file %d", len(truth), len(latest))
	}
	for _, r := range truth {
		if l := latest[r.Key()]; !sameReading(r, l) {
			t.Fatalf("truth differs from the de-duplicated file:\n%s", cmp.Diff(r, l))
		}
	}
}

func sameReading(a, b meter.Reading) bool {
	return a.MeterID == b.MeterID && a.Type == b.Type && a.Value == b.Value && a.Time.Equal(b.Time) &&
		a.Source == b.Source && a.Arrival.Equal(b.Arrival) && a.Quality == b.Quality
}

func TestBadLines(t *testing.T) {
	g := mustNew(t, &Options{Meters: 40, Days: 2, Seed: 3, BadFraction: 0.5})
	data, st := csvBytes(t, g)
	_, bad := decode(t, data)
	if int64(len(bad)) != st.BadLines {
		t.Fatalf("decoder rejected %d lines, Stats.BadLines %d", len(bad), st.BadLines)
	}
	if want := 0.5 * 40 * 2 * 96; math.Abs(float64(st.BadLines)-want) > 5*math.Sqrt(want/2) {
		t.Errorf("%d bad lines, want about %v", st.BadLines, want)
	}
	kinds := map[error]int{}
	for _, e := range bad {
		for _, k := range []error{meter.ErrColumnCount, meter.ErrNumber, meter.ErrTimestamp, meter.ErrMeterID} {
			if errors.Is(e, k) {
				kinds[k]++
			}
		}
	}
	for _, k := range []error{meter.ErrColumnCount, meter.ErrNumber, meter.ErrTimestamp, meter.ErrMeterID} {
		if kinds[k] == 0 {
			t.Errorf("no bad line of kind %v", k)
		}
	}
	binary := 0
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if bytes.IndexByte(line, ',') < 0 && len(line) > 0 {
			binary++
			if bytes.IndexByte(line, '\r') >= 0 {
				t.Errorf("binary line with a CR: %q", line)
			}
		}
	}
	if binary == 0 || kinds[meter.ErrColumnCount] <= binary {
		t.Errorf("%d binary lines, %d column count errors", binary, kinds[meter.ErrColumnCount])
	}
}

func TestInjection(t *testing.T) {
	o := Options{Meters: 60, Days: 3, Seed: 11, LateFraction: 0.1, LateOffset: 36 * time.Hour, DuplicateFraction: 0.05}
	g := mustNew(t, &o)
	iv := o.Interval
	if iv == 0 {
		iv = DefaultInterval
	}
	nT := int64(o.Days * 96)
	start := DefaultStart
	type seenKey struct {
		id string
		t  int64
	}
	seen := map[seenKey]meter.HESLine{}
	var late, dup, normal int64
	prevKey := int64(-1)
	var prevArr time.Time
	err := g.run(func(l *meter.HESLine, kind lineKind) error {
		k := seenKey{l.DeviceID, l.Time.UnixMilli()}
		delay := l.Arrival.Sub(l.Time)
		var pos int64 // 2*block for on-time lines, 2*block+1 for lines placed by arrival
		switch kind {
		case kindNormal:
			normal++
			if delay < 0 || delay >= 5*time.Minute || l.Arrival.Truncate(time.Millisecond) != l.Arrival {
				t.Errorf("on-time line with delay %v", delay)
			}
			pos = 2 * int64(l.Time.Sub(start)/iv)
		case kindLate, kindDup:
			if kind == kindLate {
				late++
				if delay != o.LateOffset {
					t.Errorf("late line with delay %v", delay)
				}
			} else {
				dup++
				first, ok := seen[k]
				if !ok {
					t.Fatalf("duplicate before its original: %+v", l)
				}
				d := l.Arrival.Sub(first.Arrival)
				first.Arrival = l.Arrival
				if *l != first || d < time.Minute || d > 10*time.Minute {
					t.Errorf("duplicate %+v of %+v (%v later)", *l, first, d)
				}
			}
			pos = 2*min(int64(l.Arrival.Sub(start)/iv), nT) + 1
			if pos == prevKey && l.Arrival.Before(prevArr) {
				t.Errorf("placed lines not in arrival order at %v", l.Arrival)
			}
			prevArr = l.Arrival
		}
		if kind != kindDup {
			if _, ok := seen[k]; ok {
				t.Errorf("line %v twice", k)
			}
			seen[k] = *l
		}
		if pos < prevKey {
			t.Fatalf("line %+v (kind %d) out of place", *l, kind)
		}
		prevKey = pos
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	total := int64(o.Meters) * nT
	if int64(len(seen)) != total || normal+late != total {
		t.Errorf("%d distinct lines, %d normal + %d late, want %d", len(seen), normal, late, total)
	}
	check := func(name string, n int64, p float64) {
		want := p * float64(total)
		if math.Abs(float64(n)-want) > 5*math.Sqrt(want) {
			t.Errorf("%d %s lines, want about %v", n, name, want)
		}
	}
	check("late", late, o.LateFraction)
	check("duplicate", dup, o.DuplicateFraction)
	if prevKey != 2*nT+1 {
		t.Errorf("the file does not end with the lines arriving after the window")
	}

	// The same counts in WriteCSV's stats, and the file ends with the late
	// lines of the last 12 hours.
	data, st := csvBytes(t, g)
	if st.LateLines != late || st.DuplicateLines != dup || st.Lines != normal+late+dup {
		t.Errorf("Stats %+v, counted %d late %d dup %d normal", st, late, dup, normal)
	}
	reads, _ := decode(t, data)
	last := reads[len(reads)-1]
	if d := last.Arrival.Sub(last.Time); d < o.LateOffset || !last.Arrival.After(start.Add(time.Duration(nT)*iv)) {
		t.Errorf("last read %v arrives %v after its time", last, d)
	}
}

func TestLinesError(t *testing.T) {
	g := mustNew(t, &Options{Meters: 5, Days: 1})
	stop := errors.New("stop")
	n := 0
	err := g.Lines(func(*meter.HESLine) error {
		n++
		if n == 7 {
			return stop
		}
		return nil
	})
	if err != stop || n != 7 {
		t.Errorf("Lines returned %v after %d lines", err, n)
	}
	if _, err := g.WriteCSV(failWriter{}); err == nil {
		t.Error("WriteCSV to a failing writer succeeded")
	}
}

type failWriter struct{}

func (failWriter) Write(p []byte) (int, error) { return 0, io.ErrClosedPipe }

func TestWriteFile(t *testing.T) {
	g := mustNew(t, &Options{Meters: 20, Days: 2, BadFraction: 0.01, DuplicateFraction: 0.01})
	want, wantSt := csvBytes(t, g)
	dir := t.TempDir()
	for _, name := range []string{"a.csv", "a.csv.gz", "a.csv.zst"} {
		path := filepath.Join(dir, name)
		st, err := WriteFile(path, g)
		if err != nil {
			t.Fatal(err)
		}
		if st != wantSt {
			t.Errorf("%s: stats %+v, want %+v", name, st, wantSt)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		switch filepath.Ext(name) {
		case ".gz":
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			got, err = io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
		case ".zst":
			zr, err := zstd.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			got, err = io.ReadAll(zr)
			zr.Close()
			if err != nil {
				t.Fatal(err)
			}
		default:
			got = raw
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: content differs from WriteCSV", name)
		}
	}
	if _, err := WriteFile(filepath.Join(dir, "no", "such", "dir.csv"), g); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}

// Lines allocates nothing per line (WriteCSV adds what meter.AppendHESCSV
// allocates).
func TestLinesAllocs(t *testing.T) {
	allocs := func(days int) float64 {
		g := mustNew(t, &Options{Meters: 100, Days: days, LateFraction: 0.1, DuplicateFraction: 0.1})
		return testing.AllocsPerRun(2, func() {
			if err := g.Lines(func(*meter.HESLine) error { return nil }); err != nil {
				t.Fatal(err)
			}
		})
	}
	a1, a4 := allocs(1), allocs(4)
	perLine := (a4 - a1) / (3 * 96 * 100)
	if perLine > 0.01 {
		t.Errorf("%.3f allocations per line (%v for 1 day, %v for 4)", perLine, a1, a4)
	}
}

// TestWriteTruthLake: the lake holds exactly Truth's reads of the types
// asked for.
func TestWriteTruthLake(t *testing.T) {
	ctx := context.Background()
	g, err := New(&Options{Meters: 3, Days: 1, Seed: 7, DuplicateFraction: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	n, err := g.WriteTruthLake(ctx, lake, "truth", nil, meter.TypeKW, meter.TypeVoltage)
	if err != nil {
		t.Fatal(err)
	}
	truth, err := g.Truth()
	if err != nil {
		t.Fatal(err)
	}
	truth = slices.DeleteFunc(truth, func(r meter.Reading) bool { return r.Type != meter.TypeKW && r.Type != meter.TypeVoltage })
	got, _, err := partition.ReadAll(ctx, lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, meter.Compare)
	if n != int64(len(truth)) || len(got) != len(truth) {
		t.Fatalf("wrote %d reads, read %d back, want %d", n, len(got), len(truth))
	}
	for i := range got {
		if meter.Compare(got[i], truth[i]) != 0 || got[i].Value != truth[i].Value || !got[i].Arrival.Equal(truth[i].Arrival) {
			t.Fatalf("read %d: %+v, want %+v", i, got[i], truth[i])
		}
	}
}
