package meter_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
)

const retailerHeader = "NMI,METER SERIAL NUMBER,CON/GEN,DATE,ESTIMATED?"

// retailerRow is a row of the retailer layout whose k-th value (from 1) is
// k/1000, or empty where empty[k] is set, or 0 where zero[k] is set.
func retailerRow(nmi, date string, n int, empty, zero map[int]bool) string {
	var b strings.Builder
	b.WriteString(nmi + ",7625,Consumption," + date + ",No")
	for k := 1; k <= n; k++ {
		b.WriteByte(',')
		switch {
		case empty[k]:
		case zero[k]:
			b.WriteString("0")
		default:
			fmt.Fprintf(&b, "%.3f", float64(k)/1000)
		}
	}
	return b.String()
}

// localDay returns the first instant of a local day and of the next. It
// searches for them rather than trusting time.Date, which turns a skipped
// midnight (America/Santiago) into 23:00 of the day before.
func localDay(loc *time.Location, y int, m time.Month, d int) (time.Time, time.Time) {
	first := func(y int, m time.Month, d int) time.Time {
		day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		lo, hi := day.Add(-16*time.Hour), day.Add(16*time.Hour) // local date before, on or after the day
		for hi.Sub(lo) > time.Second {
			mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
			ly, lm, ld := mid.In(loc).Date()
			if time.Date(ly, lm, ld, 0, 0, 0, 0, time.UTC).Before(day) {
				lo = mid
			} else {
				hi = mid
			}
		}
		return hi.In(loc)
	}
	return first(y, m, d), first(y, m, d+1)
}

// checkDistinct checks that reads (one row's) each have their own instant,
// in time order, within the local day (start, end].
func checkDistinct(t testing.TB, reads []meter.Reading, start, end time.Time) {
	t.Helper()
	for i, r := range reads {
		if !r.Time.After(start) || r.Time.After(end) {
			t.Fatalf("read %d at %v, outside the day (%v, %v]", i, r.Time, start.UTC(), end.UTC())
		}
		if i > 0 && !r.Time.After(reads[i-1].Time) {
			t.Fatalf("reads %d and %d at %v and %v: not distinct instants in order", i-1, i, reads[i-1].Time, r.Time)
		}
	}
}

// TestWideCSVDSTDays lays rows of 46, 48 and 50 half hours on the days
// Australia/Melbourne falls back (2019-04-07, 25 hours) and springs forward
// (2019-10-06, 23 hours, 02:00-03:00 skipped), and on an ordinary day: a
// row is read only if it fits its day, each read at its own instant;
// anything else is a ParseError naming the day, the zone and both counts.
func TestWideCSVDSTDays(t *testing.T) {
	mel := mustLoad(t, "Australia/Melbourne")
	gap := map[int]bool{5: true, 6: true}    // 02:00-02:30, 02:30-03:00 wall clock
	tail := map[int]bool{47: true, 48: true} // past the 46 half hours
	both := map[int]bool{5: true, 6: true, 47: true, 48: true}
	type want struct {
		reads int
		// read i ends at the start of the day plus slot(i) half hours and
		// holds column col(i)'s value; nil: the k-th read is column k's.
		cols []int // the columns read, in order
		// or the error
		column  string
		dayN    int
		message string
	}
	seq := func(from, to int) []int {
		var s []int
		for k := from; k <= to; k++ {
			s = append(s, k)
		}
		return s
	}
	tests := []struct {
		name      string
		loc       *time.Location
		date      string // d/m/yy
		y, m, d   int
		n         int
		empty     map[int]bool
		zero      map[int]bool
		trailing  int
		extraCols string
		want      want
	}{
		// Fall back: 25 hours, 50 half hours, 02:00-03:00 twice.
		{name: "fall back, 46", loc: mel, date: "7/4/19", y: 2019, m: 4, d: 7, n: 46, want: want{column: "value47", dayN: 50}},
		{name: "fall back, 48", loc: mel, date: "7/4/19", y: 2019, m: 4, d: 7, n: 48, want: want{column: "value49", dayN: 50}},
		{name: "fall back, 50", loc: mel, date: "7/4/19", y: 2019, m: 4, d: 7, n: 50, want: want{reads: 50, cols: seq(1, 50)}},
		{name: "fall back, 50 and a total", loc: mel, date: "7/4/19", y: 2019, m: 4, d: 7, n: 50, trailing: 1, extraCols: ",12.75",
			want: want{reads: 50, cols: seq(1, 50)}},
		{name: "fall back, 48 and 2 extra columns", loc: mel, date: "7/4/19", y: 2019, m: 4, d: 7, n: 48, trailing: 2, extraCols: ",12.75,",
			want: want{column: "value49", dayN: 50}},
		{name: "fall back, 48 with empty hour", loc: mel, date: "7/4/19", y: 2019, m: 4, d: 7, n: 48, empty: gap, want: want{column: "value49", dayN: 50}},
		// Spring forward: 23 hours, 46 half hours.
		{name: "spring forward, 46", loc: mel, date: "6/10/19", y: 2019, m: 10, d: 6, n: 46, want: want{reads: 46, cols: seq(1, 46)}},
		{name: "spring forward, 48", loc: mel, date: "6/10/19", y: 2019, m: 10, d: 6, n: 48,
			want: want{column: "value5", dayN: 46, message: "value5-value6 (02:00-03:00)"}},
		{name: "spring forward, 50", loc: mel, date: "6/10/19", y: 2019, m: 10, d: 6, n: 50, want: want{column: "value47", dayN: 46}},
		// 48 by wall clock, the skipped hour empty: read by wall clock.
		{name: "spring forward, 48 with skipped hour empty", loc: mel, date: "6/10/19", y: 2019, m: 10, d: 6, n: 48, empty: gap,
			want: want{reads: 46, cols: append(seq(1, 4), seq(7, 48)...)}},
		// The skipped hour zero: a 0 may be a read (see the real export).
		{name: "spring forward, 48 with skipped hour 0", loc: mel, date: "6/10/19", y: 2019, m: 10, d: 6, n: 48, zero: gap,
			want: want{column: "value5", dayN: 46}},
		// Skipped hour and the last hour empty: 46 values padded at the end?
		{name: "spring forward, 48 with skipped and last hour empty", loc: mel, date: "6/10/19", y: 2019, m: 10, d: 6, n: 48, empty: both,
			want: want{column: "value47", dayN: 46, message: "padded at the end"}},
		{name: "spring forward, 48 with last hour 0", loc: mel, date: "6/10/19", y: 2019, m: 10, d: 6, n: 48, empty: gap, zero: tail,
			want: want{column: "value47", dayN: 46}},
		{name: "spring forward, 48 with last hour empty", loc: mel, date: "6/10/19", y: 2019, m: 10, d: 6, n: 48, empty: tail,
			want: want{column: "value5", dayN: 46}},
		// An ordinary day of the same zone.
		{name: "ordinary day, 46", loc: mel, date: "22/6/19", y: 2019, m: 6, d: 22, n: 46, want: want{column: "value47", dayN: 48}},
		{name: "ordinary day, 48", loc: mel, date: "22/6/19", y: 2019, m: 6, d: 22, n: 48, want: want{reads: 48, cols: seq(1, 48)}},
		{name: "ordinary day, 50", loc: mel, date: "22/6/19", y: 2019, m: 6, d: 22, n: 50, want: want{column: "value49", dayN: 48}},
		{name: "ordinary day, 48 and a total", loc: mel, date: "22/6/19", y: 2019, m: 6, d: 22, n: 48, trailing: 1, extraCols: ",12.75",
			want: want{reads: 48, cols: seq(1, 48)}},
		// NEM time has no DST: every day has 48 half hours (later columns
		// are ignored, as they always were).
		{name: "NEM time, fall back, 48", loc: meter.NEMTime, date: "7/4/19", y: 2019, m: 4, d: 7, n: 48, want: want{reads: 48, cols: seq(1, 48)}},
		{name: "NEM time, spring forward, 48", loc: meter.NEMTime, date: "6/10/19", y: 2019, m: 10, d: 6, n: 48, want: want{reads: 48, cols: seq(1, 48)}},
		{name: "NEM time, spring forward, 46", loc: meter.NEMTime, date: "6/10/19", y: 2019, m: 10, d: 6, n: 46, want: want{column: ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := retailerRow("6001260509", tt.date, tt.n, tt.empty, tt.zero) + tt.extraCols
			// A good row of another meter before it.
			before := retailerRow("6001260510", "22/6/19", 48, nil, nil) + tt.extraCols
			in := retailerHeader + "\n" + before + "\n" + line + "\n"
			o := retailerOptions()
			o.Location, o.TrailingColumns = tt.loc, tt.trailing
			var errs []*meter.ParseError
			o.OnError = onErr(&errs)
			all, err := meter.ReadAll(meter.NewWideCSVReader(strings.NewReader(in), o))
			if err != nil {
				t.Fatal(err)
			}
			checkReads(t, all)
			var reads []meter.Reading
			for _, r := range all {
				if r.MeterID == "6001260509" {
					reads = append(reads, r)
				}
			}
			if len(all)-len(reads) != 48 {
				t.Fatalf("the neighbouring row gave %d reads, want 48", len(all)-len(reads))
			}
			start, end := localDay(tt.loc, tt.y, time.Month(tt.m), tt.d)
			if tt.want.cols != nil {
				if len(errs) > 0 {
					t.Fatalf("errors %v", errs)
				}
				if len(reads) != tt.want.reads {
					t.Fatalf("%d reads, want %d", len(reads), tt.want.reads)
				}
				checkDistinct(t, reads, start, end)
				// Every read of the day, in elapsed time from its start.
				for i, r := range reads {
					k := tt.want.cols[i]
					if wantT := start.Add(time.Duration(i+1) * 30 * time.Minute).UTC(); !r.Time.Equal(wantT) || r.Value != float64(k)/1000 {
						t.Errorf("read %d: %v %v, want column %d's value at %v", i, r.Time, r.Value, k, wantT)
					}
				}
				return
			}
			if len(reads) != 0 || len(errs) != 1 {
				t.Fatalf("%d reads, errors %v; want the row rejected", len(reads), errs)
			}
			e := errs[0]
			if e.Line != 3 || e.Offset != int64(len(retailerHeader)+1+len(before)+1) || e.Column != tt.want.column || !errors.Is(e, meter.ErrColumnCount) {
				t.Errorf("got %+v (%v), want line 3, offset %d, column %q, ErrColumnCount", e, e, len(retailerHeader)+1+len(before)+1, tt.want.column)
			}
			if tt.want.dayN == 0 {
				return
			}
			if !errors.Is(e, meter.ErrDayLength) {
				t.Errorf("%v does not wrap ErrDayLength", e)
			}
			day := fmt.Sprintf("%04d-%02d-%02d", tt.y, tt.m, tt.d)
			for _, s := range []string{day, "Australia/Melbourne", strconv.Itoa(tt.want.dayN) + " intervals", "has " + strconv.Itoa(tt.n) + " interval columns", tt.want.message} {
				if !strings.Contains(e.Error(), s) {
					t.Errorf("%q does not say %q", e.Error(), s)
				}
			}
			t.Log(e)
		})
	}
}

// TestWideCSVYearsAreContiguous reads rows that fit their days, for every
// day of two years in zones with DST changes at 02:00 (Melbourne), 01:00
// (London), midnight (Santiago, whose day then starts at 01:00) and by half
// an hour (Lord Howe Island), and a repeated midnight (Amman, which fell
// back from 01:00 to 00:00), half-hourly and quarter-hourly: the reads of
// each meter follow one another interval by interval, each at its own
// instant, with no gap and no overlap. On days shorter than 24 hours it
// also reads the wall-clock layout with the skipped times empty.
func TestWideCSVYearsAreContiguous(t *testing.T) {
	for _, zone := range []string{"Australia/Melbourne", "Europe/London", "America/Santiago", "Australia/Lord_Howe", "Asia/Amman"} {
		for _, n := range []int{48, 96} {
			t.Run(fmt.Sprint(zone, "/", n), func(t *testing.T) {
				loc := mustLoad(t, zone)
				step := 24 * time.Hour / time.Duration(n)
				var b strings.Builder
				b.WriteString("meter,date\n")
				short, long := 0, 0
				var total [2]int
				for d := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2021; d = d.AddDate(0, 0, 1) {
					start, end := localDay(loc, d.Year(), d.Month(), d.Day())
					k := int(end.Sub(start) / step)
					if end.Sub(start)%step != 0 {
						t.Fatalf("%v: day of %v", d, end.Sub(start))
					}
					total[0] += k
					date := d.Format("2006-01-02")
					// m1: a row of the day's k intervals.
					b.WriteString("m1," + date)
					for i := 1; i <= k; i++ {
						fmt.Fprintf(&b, ",%d", i)
					}
					b.WriteByte('\n')
					// m2: n columns by wall clock, the skipped ones empty.
					if k < n {
						short++
						b.WriteString("m2," + date)
						for i := 0; i < n; i++ {
							wall := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * step)
							at := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), 0, 0, loc)
							if at.Hour() != wall.Hour() || at.Minute() != wall.Minute() {
								b.WriteString(",") // skipped
							} else {
								fmt.Fprintf(&b, ",%d", i+1)
								total[1]++
							}
						}
						b.WriteByte('\n')
					} else if k > n {
						long++
					}
				}
				if short == 0 || long == 0 {
					t.Fatalf("%d short and %d long days", short, long)
				}
				var errs []*meter.ParseError
				reads, err := meter.ReadAll(meter.NewWideCSVReader(strings.NewReader(b.String()),
					&meter.WideCSVOptions{Header: true, Location: loc, Intervals: n, OnError: onErr(&errs)}))
				if err != nil || len(errs) > 0 {
					t.Fatal(err, errs)
				}
				checkReads(t, reads)
				var m1, m2 []meter.Reading
				for _, r := range reads {
					if r.MeterID == "m1" {
						m1 = append(m1, r)
					} else {
						m2 = append(m2, r)
					}
				}
				if len(m1) != total[0] || len(m2) != total[1] {
					t.Fatalf("%d and %d reads, want %d and %d", len(m1), len(m2), total[0], total[1])
				}
				first, _ := localDay(loc, 2019, 1, 1)
				for i, r := range m1 {
					if want := first.Add(time.Duration(i+1) * step); !r.Time.Equal(want) {
						t.Fatalf("read %d (%v) at %v, want %v", i, r.Value, r.Time, want.UTC())
					}
				}
				// m2's reads are m1's on the same short days: same instants.
				at := map[time.Time]bool{}
				for _, r := range m1 {
					at[r.Time] = true
				}
				for i, r := range m2 {
					if !at[r.Time] || (i > 0 && !r.Time.After(m2[i-1].Time)) {
						t.Fatalf("wall-clock read %d at %v: not an interval end in order", i, r.Time)
					}
					wall := r.Time.Add(-step).In(loc)
					if col := (wall.Hour()*60+wall.Minute())/int(step/time.Minute) + 1; float64(col) != r.Value {
						t.Fatalf("wall-clock read %d at %v (%v local start) holds column %v's value", i, r.Time, wall, r.Value)
					}
				}
			})
		}
	}
	// Samoa skipped 2011-12-30: no row can have that day, and the days
	// around it follow one another.
	apia := mustLoad(t, "Pacific/Apia")
	var errs0 []*meter.ParseError
	in := ""
	for _, day := range []string{"2011-12-29", "2011-12-30", "2011-12-31"} {
		in += "m," + day + strings.Repeat(",1", 48) + "\n"
	}
	reads, err := meter.ReadAll(meter.NewWideCSVReader(strings.NewReader(in), &meter.WideCSVOptions{Location: apia, OnError: onErr(&errs0)}))
	if err != nil || len(reads) != 96 || len(errs0) != 1 || errs0[0].Line != 2 || errs0[0].Column != "date" ||
		!strings.Contains(errs0[0].Error(), "2011-12-30 in Pacific/Apia does not exist") ||
		!errors.Is(errs0[0], meter.ErrNonexistentTime) || !errors.Is(errs0[0], meter.ErrTimestamp) {
		t.Fatalf("%d reads, %v, %v", len(reads), err, errs0)
	}
	if !reads[47].Time.Equal(utc("2011-12-30T10:00:00Z")) || !reads[48].Time.Equal(utc("2011-12-30T10:30:00Z")) {
		t.Errorf("2011-12-29 ends at %v, 2011-12-31's first read at %v", reads[47].Time, reads[48].Time)
	}
	// Lord Howe Island changes by 30 minutes: hourly columns cannot fit its
	// days of 23.5 and 24.5 hours.
	lh := mustLoad(t, "Australia/Lord_Howe")
	var errs []*meter.ParseError
	row := "m,2019-10-06" + strings.Repeat(",1", 23) + "\n"
	reads, err = meter.ReadAll(meter.NewWideCSVReader(strings.NewReader(row), &meter.WideCSVOptions{Location: lh, Intervals: 24, OnError: onErr(&errs)}))
	if err != nil || len(reads) != 0 || len(errs) != 1 || errs[0].Column != "date" || !errors.Is(errs[0], meter.ErrDayLength) ||
		!strings.Contains(errs[0].Error(), "23h30m: not a whole number of 1h intervals") {
		t.Errorf("%d reads, %v, %v", len(reads), err, errs)
	}
}

// TestWideCSVDSTSample reads the sample around Melbourne's 2019 changes: a
// 50-column fall-back day, a 46-column spring-forward day, and the same
// day by wall clock with 02:00-03:00 empty.
func TestWideCSVDSTSample(t *testing.T) {
	o := retailerOptions()
	o.Location = mustLoad(t, "Australia/Melbourne")
	reads, err := meter.ReadAll(meter.NewWideCSVReader(bytes.NewReader(readFile(t, "testdata/wide-melbourne-dst.csv")), o))
	if err != nil {
		t.Fatal(err)
	}
	checkReads(t, reads)
	if len(reads) != 48+50+48+48+46+46+48 {
		t.Fatalf("%d reads", len(reads))
	}
	keys := map[meter.Key]bool{}
	for _, r := range reads {
		keys[r.Key()] = true
	}
	if len(keys) != len(reads) {
		t.Fatalf("%d distinct keys for %d reads", len(keys), len(reads))
	}
	// 6001234568's 03:00-03:30 AEDT, column 7, ends 2019-10-05T16:30Z.
	for _, r := range reads {
		if r.MeterID == "6001234568" && r.Value == 0.607 && !r.Time.Equal(utc("2019-10-05T16:30:00Z")) {
			t.Errorf("column 7 of the wall-clock row at %v", r.Time)
		}
	}
	// Read in NEM time, as exports are by default, the 46-column row is
	// short.
	var errs []*meter.ParseError
	o = retailerOptions()
	o.OnError = onErr(&errs)
	if _, err := meter.ReadAll(meter.NewWideCSVReader(bytes.NewReader(readFile(t, "testdata/wide-melbourne-dst.csv")), o)); err != nil ||
		len(errs) != 1 || errs[0].Line != 6 || !errors.Is(errs[0], meter.ErrColumnCount) {
		t.Errorf("NEM time: %v, %v", err, errs)
	}
	// The predicate of a range scanner takes every row for a record,
	// whatever its length, and the header for none.
	start := meter.WideCSVRecordStart(retailerOptions())
	for i, line := range bytes.Split(bytes.TrimSuffix(readFile(t, "testdata/wide-melbourne-dst.csv"), []byte("\n")), []byte("\n")) {
		if start(line) != (i > 0) {
			t.Errorf("line %d: record start %v", i+1, !(i > 0))
		}
	}
}

// TestWideCSVRealExportMelbourne reads the real retailer export as
// Australia/Melbourne wall-clock time: its rows have 48 columns every day,
// so the two days of DST changes are rejected, and every other read has
// its own instant. The spring-forward row (6/10/19) has 0 in exactly the
// columns of the skipped 02:00-03:00, the only zeros there in 465 days: the
// export looks like wall-clock time with the skipped hour zero-filled; a 0
// may be a read, so the row is rejected rather than guessed at.
func TestWideCSVRealExportMelbourne(t *testing.T) {
	f, err := os.Open(dataset(t, "au-household-meter-exports/meter03.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var errs []*meter.ParseError
	o := retailerOptions()
	o.Location = mustLoad(t, "Australia/Melbourne")
	o.OnError = onErr(&errs)
	reads, err := meter.ReadAll(meter.NewWideCSVReader(f, o))
	if err != nil {
		t.Fatal(err)
	}
	checkReads(t, reads)
	if len(reads) != 463*48 {
		t.Errorf("%d reads, want %d", len(reads), 463*48)
	}
	keys := map[meter.Key]bool{}
	for _, r := range reads {
		keys[r.Key()] = true
	}
	if len(keys) != len(reads) {
		t.Errorf("%d distinct keys for %d reads", len(keys), len(reads))
	}
	want := []struct {
		line   int64
		column string
		says   string
	}{
		{290, "value49", "2020-04-05 in Australia/Melbourne lasts 25h, 50 intervals of 30m, but the row has 48 interval columns"},
		{108, "value5", "2019-10-06 in Australia/Melbourne lasts 23h, 46 intervals of 30m, but the row has 48 interval columns"},
	}
	if len(errs) != 2 {
		t.Fatalf("errors %v, want 2", errs)
	}
	for _, e := range errs {
		w := want[0]
		if e.Line == want[1].line {
			w = want[1]
		}
		if e.Line != w.line || e.Column != w.column || !errors.Is(e, meter.ErrDayLength) || !strings.Contains(e.Error(), w.says) {
			t.Errorf("got %v, want line %d column %s: %s", e, w.line, w.column, w.says)
		}
	}
}

// FuzzWideCSVReaderDST reads arbitrary input as Melbourne wall-clock
// time, whose days have 46, 48 or 50 half hours: besides fuzzCheck's
// checks, the reads of each line, decoded alone, are at distinct instants
// within its day.
func FuzzWideCSVReaderDST(f *testing.F) {
	f.Add(readFile(f, "testdata/wide-melbourne-dst.csv"))
	f.Add(readFile(f, "testdata/wide-retailer.csv"))
	f.Add([]byte(retailerRow("6001260509", "6/10/19", 48, map[int]bool{5: true, 6: true}, nil) + "\n" +
		retailerRow("6001260509", "7/4/19", 48, nil, nil) + ",1\n" + retailerRow("6001260509", "6/10/19", 48, nil, map[int]bool{5: true, 6: true}) + "\n"))
	mel := mustLoad(f, "Australia/Melbourne")
	opts := func(onError func(*meter.ParseError, []byte) error) *meter.WideCSVOptions {
		o := retailerOptions()
		o.Location, o.KeepNull, o.OnError, o.MaxLineBytes = mel, true, onError, 8192
		return o
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, data, meter.WideCSVFormat, func(onError func(*meter.ParseError, []byte) error) meter.Reader {
			return meter.NewWideCSVReader(bytes.NewReader(data), opts(onError))
		})
		o := opts(func(*meter.ParseError, []byte) error { return nil })
		o.Header = false
		for _, line := range bytes.Split(data, []byte("\n")) {
			reads, _ := meter.ReadAll(meter.NewWideCSVReader(bytes.NewReader(line), o))
			if len(reads) == 0 {
				continue
			}
			local := reads[0].Time.Add(-time.Millisecond).In(mel)
			start, end := localDay(mel, local.Year(), local.Month(), local.Day())
			checkDistinct(t, reads, start, end)
		}
	})
}

// TestWideCSVSettledZones: in a zone whose offset last changed decades
// ago (Brisbane, Kolkata), a row of the usual columns plus a total is read
// as in a fixed zone: the day is 24 hours, the extra column ignored. In
// Melbourne, whose offset changes twice a year, the same row does not fit
// its day and is rejected.
func TestWideCSVSettledZones(t *testing.T) {
	var b strings.Builder
	b.WriteString("meter,date\nm1,2019-06-12")
	for i := 1; i <= 48; i++ {
		fmt.Fprintf(&b, ",%d", i)
	}
	b.WriteString(",1176\n") // the day's total
	for _, tc := range []struct {
		zone  string
		reads int
	}{{"Australia/Brisbane", 48}, {"Asia/Kolkata", 48}, {"Australia/Melbourne", 0}} {
		t.Run(tc.zone, func(t *testing.T) {
			var errs []*meter.ParseError
			reads, err := meter.ReadAll(meter.NewWideCSVReader(strings.NewReader(b.String()),
				&meter.WideCSVOptions{Header: true, Location: mustLoad(t, tc.zone), OnError: onErr(&errs)}))
			if err != nil {
				t.Fatal(err)
			}
			if len(reads) != tc.reads || (tc.reads == 0) != (len(errs) == 1) {
				t.Fatalf("%d reads, errors %v; want %d reads", len(reads), errs, tc.reads)
			}
			if tc.reads > 0 {
				start, end := localDay(mustLoad(t, tc.zone), 2019, 6, 12)
				checkDistinct(t, reads, start, end)
				if reads[47].Value != 48 {
					t.Errorf("last read %v, want the 48th column, not the total", reads[47].Value)
				}
			} else if !errors.Is(errs[0], meter.ErrDayLength) {
				t.Errorf("error %v, want ErrDayLength", errs[0])
			}
		})
	}
}

// TestWideCSVStaleZoneData: in a zone that dropped DST more than a year
// before (Istanbul, 2016), a row shaped like a clock change's day (50 or
// 46 half hours) on an ordinary day is an exporter with stale time zone
// data: rejected, never read with its last values dropped and the rest an
// hour off. A row with one extra column (a total) is still read.
func TestWideCSVStaleZoneData(t *testing.T) {
	row := func(n int) string {
		var b strings.Builder
		b.WriteString("meter,date\nm1,2017-10-29")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, ",%d", i)
		}
		return b.String() + "\n"
	}
	ist := mustLoad(t, "Europe/Istanbul")
	for _, tc := range []struct {
		cols, reads int
	}{{50, 0}, {46, 0}, {49, 48}, {48, 48}} {
		var errs []*meter.ParseError
		reads, err := meter.ReadAll(meter.NewWideCSVReader(strings.NewReader(row(tc.cols)),
			&meter.WideCSVOptions{Header: true, Location: ist, OnError: onErr(&errs)}))
		if err != nil {
			t.Fatal(err)
		}
		if len(reads) != tc.reads || (tc.reads == 0) != (len(errs) == 1) {
			t.Errorf("%d columns: %d reads, errors %v; want %d reads", tc.cols, len(reads), errs, tc.reads)
		}
		if tc.reads == 0 && len(errs) == 1 && !errors.Is(errs[0], meter.ErrDayLength) {
			t.Errorf("%d columns: %v, want ErrDayLength", tc.cols, errs[0])
		}
	}
}
