package query_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/query"
	"github.com/openmda/mda/query/querytest"
)

var (
	lakeOnce sync.Once
	testLake *querytest.Lake
	testB    *blob.Bucket
	lakeErr  error
)

// sharedLake is a 5-meter, 3-day lake, ingested once for all tests.
func sharedLake(t testing.TB) (*querytest.Lake, *blob.Bucket) {
	t.Helper()
	lakeOnce.Do(func() {
		ctx := context.Background()
		testB, lakeErr = blob.OpenBucket(ctx, "mem://")
		if lakeErr == nil {
			testLake, lakeErr = querytest.Build(ctx, testB, nil)
		}
	})
	if lakeErr != nil {
		t.Fatal(lakeErr)
	}
	return testLake, testB
}

var approx = cmpopts.EquateApprox(1e-9, 1e-9)

// truthEnergy is the independent computation: mda.HourlyEnergy over the
// simulator's reads, restricted to the hours inside [from, to).
func truthEnergy(t *testing.T, l *querytest.Lake, ids []string, from, to time.Time) []query.Energy {
	t.Helper()
	hourly, err := l.HourlyKWh()
	if err != nil {
		t.Fatal(err)
	}
	keep := make(map[string]bool)
	for _, id := range ids {
		keep[id] = true
	}
	var out []query.Energy
	for _, e := range hourly {
		if (len(ids) == 0 || keep[e.MeterID]) && !e.Start.Before(from) && e.Start.Before(to) {
			out = append(out, query.Energy{MeterID: e.MeterID, Start: e.Start, End: e.Start.Add(time.Hour),
				KWh: e.KWh, Reads: e.Reads, Interval: 15 * time.Minute})
		}
	}
	return out
}

func TestEnergyMatchesTruth(t *testing.T) {
	l, b := sharedLake(t)
	ctx := context.Background()
	q := query.New(b, nil)
	one := []string{l.MeterIDs[2]}
	for _, tc := range []struct {
		name     string
		ids      []string
		from, to time.Time
	}{
		{"all meters, whole window", nil, l.Start, l.End},
		{"one meter, one day", one, l.Start.AddDate(0, 0, 1), l.Start.AddDate(0, 0, 2)},
		{"one meter, odd hours", one, l.Start.Add(5 * time.Hour), l.Start.Add(31 * time.Hour)},
		{"beyond the data", one, l.End, l.End.AddDate(0, 0, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, st, err := q.Energy(ctx, query.Filter{MeterIDs: tc.ids, From: tc.from, To: tc.to}, query.Hour)
			if err != nil {
				t.Fatal(err)
			}
			want := truthEnergy(t, l, tc.ids, tc.from, tc.to)
			if diff := cmp.Diff(want, got, approx, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("hourly energy differs from the truth (-want +got):\n%s", diff)
			}
			if tc.ids != nil && st.RowGroups > 0 && st.Reads != int64(len(got))*4 && len(got) > 0 {
				t.Logf("stats %+v", st)
			}
		})
	}
}

func TestEnergyDayAndMonth(t *testing.T) {
	l, b := sharedLake(t)
	ctx := context.Background()
	q := query.New(b, nil)
	hourly := truthEnergy(t, l, nil, l.Start, l.End)
	var want []query.Energy
	for _, e := range hourly {
		d := e.Start.Truncate(24 * time.Hour)
		if n := len(want); n > 0 && want[n-1].MeterID == e.MeterID && want[n-1].Start.Equal(d) {
			want[n-1].KWh += e.KWh
			want[n-1].Reads += e.Reads
			continue
		}
		want = append(want, query.Energy{MeterID: e.MeterID, Start: d, End: d.AddDate(0, 0, 1), KWh: e.KWh, Reads: e.Reads, Interval: e.Interval})
	}
	got, _, err := q.Energy(ctx, query.Filter{From: l.Start, To: l.End}, query.Day)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("daily energy (-want +got):\n%s", diff)
	}
	// A month clipped to the range: the sum of the days.
	months, _, err := q.Energy(ctx, query.Filter{MeterIDs: l.MeterIDs[:1], From: l.Start, To: l.End}, query.Month)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	var reads int
	for _, d := range want {
		if d.MeterID == l.MeterIDs[0] {
			sum += d.KWh
			reads += d.Reads
		}
	}
	wantMonth := []query.Energy{{MeterID: l.MeterIDs[0], Start: l.Start, End: l.End, KWh: sum, Reads: reads, Interval: 15 * time.Minute}}
	if diff := cmp.Diff(wantMonth, months, approx); diff != "" {
		t.Errorf("monthly energy (-want +got):\n%s", diff)
	}
}

func TestVoltageMatchesTruth(t *testing.T) {
	l, b := sharedLake(t)
	ctx := context.Background()
	id := l.MeterIDs[1]
	from, to := l.Start.AddDate(0, 0, 1), l.Start.AddDate(0, 0, 2)
	type acc struct{ min, max, sum, n float64 }
	accs := map[time.Time]*acc{}
	err := l.Gen.TruthReads(func(r meter.Reading) error {
		if r.MeterID != id || r.Type != meter.TypeVoltage || !r.Time.After(from) || r.Time.After(to) {
			return nil
		}
		h := r.Time.Add(-time.Millisecond).Truncate(time.Hour)
		a := accs[h]
		if a == nil {
			a = &acc{min: math.Inf(1), max: math.Inf(-1)}
			accs[h] = a
		}
		a.min, a.max, a.sum, a.n = min(a.min, r.Value), max(a.max, r.Value), a.sum+r.Value, a.n+1
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []query.Voltage
	for h := from; h.Before(to); h = h.Add(time.Hour) {
		a := accs[h]
		want = append(want, query.Voltage{MeterID: id, Start: h, End: h.Add(time.Hour), Min: a.min, Avg: a.sum / a.n, Max: a.max, Reads: int(a.n)})
	}
	got, _, err := query.New(b, nil).Voltage(ctx, query.Filter{MeterIDs: []string{id}, From: from, To: to}, query.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("voltage (-want +got):\n%s", diff)
	}
	if got[0].Avg < 100 {
		t.Errorf("voltage %v: want volts", got[0].Avg)
	}
}

func TestReadsAndLimits(t *testing.T) {
	l, b := sharedLake(t)
	ctx := context.Background()
	id := l.MeterIDs[3]
	truth, err := l.Gen.Truth()
	if err != nil {
		t.Fatal(err)
	}
	var want []meter.Reading
	for _, r := range truth {
		if r.MeterID == id && r.Type == meter.TypeKW {
			want = append(want, r)
		}
	}
	// The simulator's reads are stamped at interval ends, (Start, End];
	// Reads bounds reading times, [From, To).
	f := query.Filter{MeterIDs: []string{id}, Types: []meter.Type{meter.TypeKW}, From: l.Start.Add(time.Millisecond), To: l.End.Add(time.Millisecond)}
	got, st, err := query.New(b, nil).Reads(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reads (-want +got):\n%s", diff)
	}
	if st.Partitions != 73 { // 3 days of hours, and the hour of End
		t.Errorf("scanned %d partitions, want 73", st.Partitions)
	}
	_, _, err = query.New(b, &query.Options{MaxReads: 100}).Reads(ctx, f)
	if !errors.Is(err, query.ErrTooManyReads) {
		t.Errorf("MaxReads 100: err %v, want ErrTooManyReads", err)
	}
	if _, _, err := query.New(b, nil).Energy(ctx, query.Filter{}, query.Hour); err == nil {
		t.Error("Energy without a range: no error")
	}
	if _, _, err := query.New(b, nil).Voltage(ctx, query.Filter{From: l.Start, To: l.End}, query.Period(9)); err == nil {
		t.Error("invalid period: no error")
	}
}

// TestEnergyKWhAndInterval: kWh reads are summed as they are; the interval
// of kW reads is inferred per meter; Options.Interval overrides it.
func TestEnergyKWhAndInterval(t *testing.T) {
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	h := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	var reads []meter.Reading
	for i := 1; i <= 12; i++ { // 5-minute kW, 2 kW: 2 kWh in the hour
		reads = append(reads, meter.Reading{MeterID: "five", Type: meter.TypeKW, Value: 2, Time: h.Add(time.Duration(i) * 5 * time.Minute)})
	}
	for i := 1; i <= 2; i++ { // 30-minute kW, 4 kW: 4 kWh
		reads = append(reads, meter.Reading{MeterID: "thirty", Type: meter.TypeKW, Value: 4, Time: h.Add(time.Duration(i) * 30 * time.Minute)})
	}
	reads = append(reads, meter.Reading{MeterID: "single", Type: meter.TypeKW, Value: 6, Time: h.Add(time.Hour)})
	var kwh []meter.Reading
	for i := 1; i <= 4; i++ { // kWh reads win over kW of the same meter
		kwh = append(kwh, meter.Reading{MeterID: "thirty", Type: meter.TypeKWh, Value: 0.25, Time: h.Add(time.Duration(i) * 15 * time.Minute)})
	}
	w := partition.NewWriter(b, "t", nil)
	w.Write(reads)
	w.Write(kwh)
	if _, err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	f := query.Filter{From: h, To: h.Add(time.Hour)}
	for _, tc := range []struct {
		name string
		opts *query.Options
		want []query.Energy
	}{
		{"inferred", nil, []query.Energy{
			{MeterID: "five", Start: h, End: h.Add(time.Hour), KWh: 2, Reads: 12, Interval: 5 * time.Minute},
			// one read: the most common interval of the others (5m; thirty has kWh)
			{MeterID: "single", Start: h, End: h.Add(time.Hour), KWh: 0.5, Reads: 1, Interval: 5 * time.Minute},
			{MeterID: "thirty", Start: h, End: h.Add(time.Hour), KWh: 1, Reads: 4},
		}},
		{"fixed", &query.Options{Interval: 15 * time.Minute}, []query.Energy{
			{MeterID: "five", Start: h, End: h.Add(time.Hour), KWh: 6, Reads: 12, Interval: 15 * time.Minute},
			{MeterID: "single", Start: h, End: h.Add(time.Hour), KWh: 1.5, Reads: 1, Interval: 15 * time.Minute},
			{MeterID: "thirty", Start: h, End: h.Add(time.Hour), KWh: 1, Reads: 4},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := query.New(b, tc.opts).Energy(ctx, f, query.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, approx); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestInferInterval(t *testing.T) {
	at := func(mins ...int) []meter.Reading {
		var rs []meter.Reading
		for _, m := range mins {
			rs = append(rs, meter.Reading{Time: time.Unix(0, 0).Add(time.Duration(m) * time.Minute)})
		}
		return rs
	}
	for _, tc := range []struct {
		name  string
		reads []meter.Reading
		want  time.Duration
	}{
		{"none", nil, 0},
		{"one", at(5), 0},
		{"duplicates only", at(5, 5), 0},
		{"regular", at(0, 15, 30, 45), 15 * time.Minute},
		{"gap", at(0, 15, 30, 90, 105, 120), 15 * time.Minute},
		{"tie goes short", at(0, 30, 40), 10 * time.Minute},
		// Most reads missing: the 15-minute gaps that remain say the interval.
		{"mostly missing", at(0, 15, 30, 60, 90, 120, 150, 165, 180, 210, 240), 15 * time.Minute},
		{"one short gap is not enough", at(0, 15, 45, 75, 105, 135), 30 * time.Minute},
		{"stray read off the grid", at(0, 15, 22, 30, 45, 60, 67, 75), 15 * time.Minute},
		{"two extra reads in a day of half hours", append(at(0, 15, 30, 45, 60, 90, 120, 150), at(halfHours(180, 40)...)...), 30 * time.Minute},
		// Each read at half past makes two half-hour gaps: six to 21 hours.
		{"three on-demand reads in a day of hours", at(slices.Sorted(slices.Values(append(hours(60, 24), 330, 690, 1050)))...), time.Hour},
		// Four 15-minute gaps to ten 30-minute ones: under half as often.
		{"a shorter gap under half as often", at(0, 15, 30, 60, 90, 120, 150, 165, 180, 210, 240, 270, 300, 330, 360), 30 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := query.InferInterval(tc.reads); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// halfHours returns n minutes from start, 30 apart.
func halfHours(start, n int) []int {
	var out []int
	for i := range n {
		out = append(out, start+30*i)
	}
	return out
}

// hours returns n minutes from start, 60 apart.
func hours(start, n int) []int {
	var out []int
	for i := range n {
		out = append(out, start+60*i)
	}
	return out
}

func TestPeriodBucket(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	lordHowe, _ := time.LoadLocation("Australia/Lord_Howe")
	u := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	for _, tc := range []struct {
		p          query.Period
		t          string
		loc        *time.Location
		start, end string
	}{
		{query.Hour, "2024-03-01T10:59:59Z", nil, "2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z"},
		{query.Day, "2024-03-01T23:00:00Z", nil, "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z"},
		{query.Day, "2024-03-01T23:00:00Z", berlin, "2024-03-01T23:00:00Z", "2024-03-02T23:00:00Z"},
		{query.Day, "2024-03-31T12:00:00Z", berlin, "2024-03-30T23:00:00Z", "2024-03-31T22:00:00Z"},  // 23-hour day
		{query.Hour, "2024-10-27T00:30:00Z", berlin, "2024-10-27T00:00:00Z", "2024-10-27T01:00:00Z"}, // 02:30 CEST
		{query.Hour, "2024-10-27T01:30:00Z", berlin, "2024-10-27T01:00:00Z", "2024-10-27T02:00:00Z"}, // 02:30 CET
		{query.Hour, "2024-03-01T10:20:00Z", kolkata, "2024-03-01T09:30:00Z", "2024-03-01T10:30:00Z"},
		// Lord Howe's clocks go back half an hour at 02:00 (15:00Z): the
		// local hour 01:00-02:00 comes once whole and once as its half
		// after the change; the rows do not overlap.
		{query.Hour, "2024-04-06T14:40:00Z", lordHowe, "2024-04-06T14:00:00Z", "2024-04-06T15:00:00Z"},
		{query.Hour, "2024-04-06T15:10:00Z", lordHowe, "2024-04-06T15:00:00Z", "2024-04-06T15:30:00Z"},
		{query.Hour, "2024-04-06T15:40:00Z", lordHowe, "2024-04-06T15:30:00Z", "2024-04-06T16:30:00Z"},
		{query.Month, "2024-02-29T23:59:59Z", nil, "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"},
		// Weeks run from Monday: 2024-03-01 is a Friday, 2024-03-04 a Monday.
		{query.Week, "2024-03-01T12:00:00Z", nil, "2024-02-26T00:00:00Z", "2024-03-04T00:00:00Z"},
		{query.Week, "2024-03-04T00:00:00Z", nil, "2024-03-04T00:00:00Z", "2024-03-11T00:00:00Z"},
		{query.Week, "2024-03-03T23:59:59Z", nil, "2024-02-26T00:00:00Z", "2024-03-04T00:00:00Z"},    // a Sunday
		{query.Week, "2024-03-31T12:00:00Z", berlin, "2024-03-24T23:00:00Z", "2024-03-31T22:00:00Z"}, // 167 hours: DST starts
		{query.Week, "2024-12-31T12:00:00Z", nil, "2024-12-30T00:00:00Z", "2025-01-06T00:00:00Z"},    // across a year
	} {
		start, end := tc.p.Bucket(u(tc.t), tc.loc)
		if !start.Equal(u(tc.start)) || !end.Equal(u(tc.end)) {
			t.Errorf("%v.Bucket(%s, %v) = %v, %v; want %s, %s", tc.p, tc.t, tc.loc, start.UTC(), end.UTC(), tc.start, tc.end)
		}
	}
	for _, s := range []string{"hour", "day", "week", "month"} {
		p, err := query.ParsePeriod(s)
		if err != nil || p.String() != s {
			t.Errorf("ParsePeriod(%q) = %v, %v", s, p, err)
		}
	}
	if _, err := query.ParsePeriod("fortnight"); err == nil {
		t.Error("ParsePeriod(fortnight): no error")
	}
}

func TestMeters(t *testing.T) {
	l, b := sharedLake(t)
	ctx := context.Background()
	q := query.New(b, nil)
	ml, err := q.Meters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l.MeterIDs, ml.IDs); diff != "" {
		t.Errorf("meters (-want +got):\n%s", diff)
	}
	if want := l.End; !ml.Hour.Equal(want) { // the last read, at End, is in End's hour
		t.Errorf("hour %v, want %v", ml.Hour, want)
	}
	for id, want := range map[string]bool{l.MeterIDs[0]: true, "nope": false} {
		if got, err := q.KnownMeter(ctx, id); err != nil || got != want {
			t.Errorf("KnownMeter(%q) = %v, %v", id, got, err)
		}
	}
	empty, _ := blob.OpenBucket(ctx, "mem://")
	defer empty.Close()
	if ml, err := query.New(empty, nil).Meters(ctx); err != nil || len(ml.IDs) != 0 {
		t.Errorf("empty lake: %v, %v", ml, err)
	}
}

// TestMetersEnergyLakes: a lake of interval-energy meters (NEM12, Green
// Button) lists them too, and one fed by both kinds lists the meters of
// each type's latest hour, even when one type's latest hour is older.
func TestMetersEnergyLakes(t *testing.T) {
	ctx := context.Background()
	h := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	write := func(b *blob.Bucket, rs ...meter.Reading) {
		t.Helper()
		w := partition.NewWriter(b, "t", nil)
		w.Write(rs)
		if _, err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	read := func(id string, typ meter.Type, at time.Time) meter.Reading {
		return meter.Reading{MeterID: id, Type: typ, Value: 1, Time: at}
	}
	nem, _ := blob.OpenBucket(ctx, "mem://")
	defer nem.Close()
	write(nem, read("nmi-old", meter.TypeKWh, h), read("nmi-1", meter.TypeKWh, h.Add(2*time.Hour)), read("nmi-2", meter.TypeKWh, h.Add(2*time.Hour)))
	mixed, _ := blob.OpenBucket(ctx, "mem://")
	defer mixed.Close()
	write(mixed, read("kw-old", meter.TypeKW, h), read("kw-1", meter.TypeKW, h.Add(time.Hour)), read("nmi-1", meter.TypeKWh, h.Add(3*time.Hour)),
		read("volts", meter.TypeVoltage, h.Add(5*time.Hour)))
	for _, tc := range []struct {
		name string
		b    *blob.Bucket
		want query.MeterList
	}{
		{"kwh only", nem, query.MeterList{IDs: []string{"nmi-1", "nmi-2"}, Hour: h.Add(2 * time.Hour)}},
		{"kw and kwh", mixed, query.MeterList{IDs: []string{"kw-1", "nmi-1"}, Hour: h.Add(3 * time.Hour)}},
	} {
		ml, err := query.New(tc.b, nil).Meters(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, ml); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestForecasts(t *testing.T) {
	l, b := sharedLake(t)
	ctx := context.Background()
	q := query.New(b, nil)
	runs, err := q.ForecastRuns(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []query.ForecastRun{{Model: querytest.ForecastModel, Start: l.ForecastStart}}
	if diff := cmp.Diff(want, runs); diff != "" {
		t.Fatalf("runs (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{{time.Time{}, true}, {l.ForecastStart, true}, {l.End, true}, {l.ForecastStart.Add(-time.Second), false}} {
		run, ok, err := q.LatestRun(ctx, "", tc.at)
		if err != nil || ok != tc.want || ok && run != runs[0] {
			t.Errorf("LatestRun(%v) = %v, %v, %v", tc.at, run, ok, err)
		}
	}
	id := l.MeterIDs[4]
	got, err := q.Forecasts(ctx, query.ForecastFilter{Run: runs[0], MeterIDs: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	// The seasonal-naive rule, from the truth: P50 is yesterday's energy.
	truth := truthEnergy(t, l, []string{id}, l.ForecastStart.AddDate(0, 0, -1), l.ForecastStart)
	var wantF []query.Forecast
	for _, e := range truth {
		wantF = append(wantF, query.Forecast{MeterID: id, Model: querytest.ForecastModel, Start: l.ForecastStart,
			Time: e.End.Add(24 * time.Hour), P10: 0.8 * e.KWh, P50: e.KWh, P90: 1.2 * e.KWh, ModelVersion: "v1"})
	}
	if diff := cmp.Diff(wantF, got, approx); diff != "" {
		t.Errorf("forecast (-want +got):\n%s", diff)
	}
	if _, err := q.Forecasts(ctx, query.ForecastFilter{Run: query.ForecastRun{Model: "a/b"}}); err == nil {
		t.Error("model with a slash: no error")
	}
}

func TestAnomalies(t *testing.T) {
	l, b := sharedLake(t)
	ctx := context.Background()
	q := query.New(b, nil)
	year := l.Start.Year()
	all, err := q.Anomalies(ctx, query.AnomalyFilter{Year: year, Kind: query.AllDays})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(l.MeterIDs) * 3; len(all) != want {
		t.Fatalf("%d scored days, want %d", len(all), want)
	}
	counts := map[string]int{}
	for _, a := range all {
		counts[a.Kind()]++
	}
	for _, tc := range []struct {
		kind query.AnomalyKind
		want int
	}{
		{query.AllDays, len(all)},
		{query.SpikesAndDips, counts["spike"] + counts["dip"]},
		{query.Spikes, counts["spike"]},
		{query.Dips, counts["dip"]},
	} {
		got, err := q.Anomalies(ctx, query.AnomalyFilter{Year: year, Kind: tc.kind, Model: querytest.AnomalyModel})
		if err != nil || len(got) != tc.want {
			t.Errorf("%v: %d rows (%v), want %d", tc.kind, len(got), err, tc.want)
		}
	}
	if counts["spike"] == 0 || counts["dip"] == 0 {
		t.Errorf("test lake has %v: want spikes and dips", counts)
	}
	one, err := q.Anomalies(ctx, query.AnomalyFilter{Year: year, Kind: query.AllDays, MeterIDs: l.MeterIDs[:1]})
	if err != nil || len(one) != 3 {
		t.Errorf("one meter: %d rows, %v", len(one), err)
	}
	// The daily consumption equals the truth's daily energy.
	daily := querytest.DailyKWh(must(l.HourlyKWh()))
	for _, a := range one {
		for _, d := range daily {
			if d.MeterID == a.MeterID && d.Start.Equal(a.Day) && math.Abs(d.KWh-a.Consumption) > 1e-9 {
				t.Errorf("%v: consumption %v, truth %v", a.Day, a.Consumption, d.KWh)
			}
		}
	}
	if none, err := q.Anomalies(ctx, query.AnomalyFilter{Year: 1999}); err != nil || len(none) != 0 {
		t.Errorf("absent year: %v, %v", none, err)
	}
	if _, err := q.Anomalies(ctx, query.AnomalyFilter{Year: 0}); err == nil {
		t.Error("year 0: no error")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestArrowRoundTrip writes every record type as an IPC stream and reads
// it back.
func TestArrowRoundTrip(t *testing.T) {
	l, b := sharedLake(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	q := query.New(b, nil)
	f := query.Filter{MeterIDs: l.MeterIDs[:2], From: l.Start, To: l.Start.AddDate(0, 0, 1)}
	energy, _, err := q.Energy(ctx, f, query.Hour)
	if err != nil {
		t.Fatal(err)
	}
	volts, _, _ := q.Voltage(ctx, f, query.Day)
	reads, _, _ := q.Reads(ctx, query.Filter{MeterIDs: f.MeterIDs, From: f.From, To: f.To.Add(-23 * time.Hour)})
	run, _, _ := q.LatestRun(ctx, "", time.Time{})
	fc, _ := q.Forecasts(ctx, query.ForecastFilter{Run: run, MeterIDs: f.MeterIDs})
	an, _ := q.Anomalies(ctx, query.AnomalyFilter{Year: l.Start.Year(), Kind: query.AllDays})
	check := func(name string, n int, rec interface {
		NumRows() int64
		Release()
	}, write func(*bytes.Buffer) error, firstCol string) {
		t.Helper()
		defer rec.Release()
		if rec.NumRows() != int64(n) {
			t.Errorf("%s: %d rows, want %d", name, rec.NumRows(), n)
		}
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			t.Fatal(err)
		}
		r, err := ipc.NewReader(&buf, ipc.WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Release()
		var rows int64
		for r.Next() {
			rb := r.RecordBatch()
			rows += rb.NumRows()
			if got := rb.Column(0).(*array.String).Value(0); got != firstCol {
				t.Errorf("%s: first meter %q, want %q", name, got, firstCol)
			}
		}
		if rows != int64(n) {
			t.Errorf("%s: read back %d rows, want %d", name, rows, n)
		}
	}
	er := query.EnergyRecord(mem, energy)
	check("energy", len(energy), er, func(w *bytes.Buffer) error { return query.WriteIPCStream(w, er) }, energy[0].MeterID)
	vr := query.VoltageRecord(mem, volts)
	check("voltage", len(volts), vr, func(w *bytes.Buffer) error { return query.WriteIPCStream(w, vr) }, volts[0].MeterID)
	rr := query.ReadingRecord(mem, reads)
	check("reads", len(reads), rr, func(w *bytes.Buffer) error { return query.WriteIPCStream(w, rr) }, reads[0].MeterID)
	fr := query.ForecastRecord(mem, fc)
	check("forecast", len(fc), fr, func(w *bytes.Buffer) error { return query.WriteIPCStream(w, fr) }, fc[0].MeterID)
	ar := query.AnomalyRecord(mem, an)
	check("anomaly", len(an), ar, func(w *bytes.Buffer) error { return query.WriteIPCStream(w, ar) }, an[0].MeterID)

	// Values survive: the energy record's kwh column.
	er2 := query.EnergyRecord(mem, energy)
	defer er2.Release()
	kwh := er2.Column(3).(*array.Float64)
	for i, e := range energy {
		if kwh.Value(i) != e.KWh {
			t.Fatalf("row %d: kwh %v, want %v", i, kwh.Value(i), e.KWh)
		}
	}
}
