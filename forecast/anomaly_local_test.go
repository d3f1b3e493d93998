package forecast_test

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openmda/mda"
	"github.com/openmda/mda/forecast"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/tables"
)

// TestDetectAnomaliesLocalDays: a lake of half-hourly kWh reads (as NEM12
// delivers them) scored on Sydney's days: each ds is a local date whose
// consumption is the energy of that local day, 23 and 25 hours long on
// the days daylight saving time starts and ends included (2023-10-01 and
// 2024-04-07); a day tripled
// from local midnight to local midnight is one daily spike event from the
// instant of one midnight to the next; the half-hour zone of Adelaide gets
// its own midnights.
func TestDetectAnomaliesLocalDays(t *testing.T) {
	ctx := context.Background()
	for _, zone := range []string{"Australia/Sydney", "Australia/Adelaide"} {
		t.Run(zone, func(t *testing.T) {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Skipf("no tzdata: %v", err)
			}
			localDay := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, loc) }
			spike := localDay(2024, 3, 12)
			start, end := localDay(2023, 8, 1), localDay(2024, 5, 1)
			rng := rand.New(rand.NewPCG(5, 6))
			lake := memBucket(t)
			// truth: each meter's energy per local date.
			truth := map[string]map[string]float64{"n0": {}, "n1": {}}
			var reads []meter.Reading
			for ts := start.Add(30 * time.Minute); !ts.After(end); ts = ts.Add(30 * time.Minute) {
				begin := ts.Add(-30 * time.Minute).In(loc) // the interval's start, local
				for i, id := range []string{"n0", "n1"} {
					kwh := (0.1 + 0.05*float64(i)) * (1 + math.Sin(math.Pi*float64(begin.Hour())/24)) * (0.9 + 0.2*rng.Float64())
					if id == "n1" && !begin.Before(spike) && begin.Before(spike.AddDate(0, 0, 1)) {
						kwh *= 3
					}
					truth[id][begin.Format(time.DateOnly)] += kwh
					reads = append(reads, meter.Reading{MeterID: id, Type: meter.TypeKWh, Time: ts, Value: kwh, Quality: meter.QualityActual})
				}
			}
			w := partition.NewWriter(lake, "test", nil)
			w.Write(reads)
			if _, err := w.Close(ctx); err != nil {
				t.Fatal(err)
			}

			st, err := forecast.DetectAnomalies(ctx, lake, &forecast.AnomalyOptions{Location: loc, Year: 2024})
			if err != nil {
				t.Fatal(err)
			}
			if !st.From.Equal(localDay(2024, 1, 1)) || !st.To.Equal(end) {
				t.Errorf("scored %v to %v, want local midnights %v to %v", st.From, st.To, localDay(2024, 1, 1), end)
			}
			rows, _ := readTable[tables.AnomalyRow](t, lake, tables.AnomalyDir(2024))
			got := map[string]tables.AnomalyRow{}
			for _, r := range rows {
				if r.Day.Location() != time.UTC || r.Day.Hour() != 0 || r.Day.Minute() != 0 {
					t.Fatalf("ds %v is not a date", r.Day)
				}
				got[r.MeterID+" "+r.Day.Format(time.DateOnly)] = r
			}
			if days := int(end.Sub(localDay(2024, 1, 1)).Hours()+1) / 24; len(rows) != 2*days {
				t.Errorf("%d rows, want %d (2 meters × %d local days)", len(rows), 2*days, days)
			}
			for _, date := range []string{"2024-01-15", "2024-04-06", "2024-04-07" /* 25 hours */, "2024-04-30"} {
				for id, want := range truth {
					r, ok := got[id+" "+date]
					if !ok {
						t.Errorf("%s %s not scored", id, date)
						continue
					}
					if math.Abs(r.Consumption-want[date]) > 1e-4*want[date] {
						t.Errorf("%s %s: consumption %.5f, want the local day's %.5f", id, date, r.Consumption, want[date])
					}
				}
			}
			// The day daylight saving time starts, 23 hours, is a day of 2023.
			if _, err := forecast.DetectAnomalies(ctx, lake, &forecast.AnomalyOptions{Location: loc, Year: 2023}); err != nil {
				t.Fatal(err)
			}
			rows23, _ := readTable[tables.AnomalyRow](t, lake, tables.AnomalyDir(2023))
			n := 0
			for _, r := range rows23 {
				if r.Day.Format(time.DateOnly) == "2023-10-01" {
					n++
					if want := truth[r.MeterID]["2023-10-01"]; math.Abs(r.Consumption-want) > 1e-4*want {
						t.Errorf("%s 2023-10-01: consumption %.5f, want the local day's %.5f", r.MeterID, r.Consumption, want)
					}
				}
			}
			if n != 2 {
				t.Errorf("2023-10-01 scored for %d meters, want 2", n)
			}
			if r := got["n1 2024-03-12"]; r.Anomaly != 1 {
				t.Errorf("n1's tripled day: %+v", r)
			}
			events, _ := readTable[tables.AnomalyEventRow](t, lake, tables.AnomalyEventDir(2024))
			found := false
			for _, e := range events {
				if e.MeterID == "n1" && e.Kind == "spike" && e.Resolution == 86400 {
					if !e.Start.Equal(spike) || !e.End.Equal(spike.AddDate(0, 0, 1)) {
						t.Errorf("n1 spike %v to %v, want %v to %v", e.Start, e.End, spike, spike.AddDate(0, 0, 1))
					}
					found = true
				}
				if e.MeterID == "n0" && e.Resolution == 86400 {
					t.Errorf("n0 daily event: %+v", e)
				}
			}
			if !found {
				t.Errorf("no daily spike of n1 in %+v", events)
			}
		})
	}
}

// TestDetectAnomaliesNEM12RealData: a real household's NEM12 export (three
// years of half-hourly kWh) ingested and scored on local days: every
// scored day's consumption is the energy of that day read straight from
// the file's 300 records, on the NEM's own clock (AEST, whose days are the
// file's rows) and on Melbourne's (whose summer days start an hour
// earlier), and the model trained on local time forecasts its held-out
// week better than seasonal-naive.
func TestDetectAnomaliesNEM12RealData(t *testing.T) {
	const path = "../../shared/datasets/au-household-meter-exports/meter01.csv"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("real-data test skipped: %s not available (%v); it lives in the shared datasets checkout", path, err)
	}
	ctx := context.Background()
	// A sorted memory lake: the file's 24,817 hour partitions on a file
	// lake cost a lock file each in system calls (95 s wall under load),
	// and memblob sorts every key of the bucket on each listing.
	lake := memBucket(t)
	if err := lake.WriteAll(ctx, "inbound/meter01.csv", data, nil); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, err := mda.Ingest(ctx, lake, lake, "inbound/meter01.csv", nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("ingested in %v", time.Since(t0).Round(time.Millisecond))
	melbourne, err := time.LoadLocation("Australia/Melbourne")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	for _, loc := range []*time.Location{meter.NEMTime, melbourne} {
		// The file's energy per date of loc: interval k of a 300 record's
		// day starts k half hours after its AEST midnight.
		truth := map[string]float64{}
		for line := range strings.SplitSeq(string(data), "\n") {
			f := strings.Split(strings.TrimSpace(line), ",")
			if len(f) < 50 || f[0] != "300" {
				continue
			}
			day, err := time.ParseInLocation("20060102", f[1], meter.NEMTime)
			if err != nil {
				t.Fatal(err)
			}
			for k, s := range f[2:50] {
				v, err := strconv.ParseFloat(s, 64)
				if err != nil {
					t.Fatal(err)
				}
				truth[day.Add(time.Duration(k)*30*time.Minute).In(loc).Format(time.DateOnly)] += v
			}
		}
		st, err := forecast.DetectAnomalies(ctx, lake, &forecast.AnomalyOptions{Location: loc, Year: 2019})
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := readTable[tables.AnomalyRow](t, lake, tables.AnomalyDir(2019))
		if len(rows) != 365 {
			t.Errorf("%s: %d days of 2019 scored, want 365", loc, len(rows))
		}
		bad := 0
		for _, r := range rows {
			want := truth[r.Day.Format(time.DateOnly)]
			if math.Abs(r.Consumption-want) > 1e-3 {
				if bad++; bad <= 5 {
					t.Errorf("%s %s: consumption %.4f kWh, the file's %.4f", loc, r.Day.Format(time.DateOnly), r.Consumption, want)
				}
			}
		}
		t.Logf("%s: %d days, %d spikes, %d dips, events %v", loc, st.Days, st.Spikes, st.Dips, st.Events)
	}
	tr, err := forecast.Train(ctx, lake, &forecast.TrainOptions{Location: melbourne})
	if err != nil {
		t.Fatal(err)
	}
	m := tr.Manifest
	t.Logf("held-out week: median MASE %.3f, seasonal-naive %.3f", m.Holdout.MedianMASE, m.SeasonalNaive.MedianMASE)
	if !(m.Holdout.MedianMASE < m.SeasonalNaive.MedianMASE) {
		t.Errorf("held-out MASE %.3f, seasonal-naive %.3f: want the model better", m.Holdout.MedianMASE, m.SeasonalNaive.MedianMASE)
	}
}
