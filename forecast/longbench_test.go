package forecast

import (
	"bytes"
	"context"
	"encoding/gob"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/simulator"
)

// peakHeap samples the heap in use every 20 ms until stop is called, and
// returns its maximum: the number a benchmark of a batch job must report
// next to its time.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

func longTests(b *testing.B) {
	if os.Getenv("MDA_LONG_TESTS") != "1" {
		b.Skip("set MDA_LONG_TESTS=1")
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// synthGrid fills a grid with a year of hourly kWh of household-like
// meters: a level per meter, a morning and an evening peak that move a
// little per meter, busier weekends, a seasonal swing and AR(1) noise.
func synthGrid(ids []string, start time.Time, hours int, seed uint64) *grid {
	g := newGrid(ids, start, time.Hour, hours)
	for m := range ids {
		rng := rand.New(rand.NewPCG(seed, uint64(m)))
		level := 0.2 + 1.5*rng.Float64()
		am, pm := 6+2*rng.Float64(), 17+3*rng.Float64()
		e := 0.0
		row := g.sum[m*hours : (m+1)*hours]
		cnt := g.cnt[m*hours : (m+1)*hours]
		for h := range row {
			t := start.Add(time.Duration(h) * time.Hour)
			hod := float64(t.Hour())
			v := 0.5 + 0.6*math.Exp(-sq(hod-am)/2) + math.Exp(-sq(hod-pm)/4)
			if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
				v *= 1.2
			}
			v *= 1 + 0.3*math.Cos(2*math.Pi*float64(h)/8760)
			e = 0.7*e + 0.15*rng.NormFloat64()
			row[h] = float32(math.Max(level*v*(1+e), 0))
			cnt[h] = 1
		}
	}
	return g
}

func sq(x float64) float64 { return x * x }

// BenchmarkLongFitForecast measures the fit and forecast of 10,000 meters
// with a year of hourly energy each (MDA_LONG_METERS overrides the count),
// from an in-memory grid, in passes of MetersPerPass meters as Train's
// memory budget would cut them: fit, encode each shard as Train stores it,
// and forecast each meter's next week from its last 28 days as Run does.
// The lake is left out (BenchmarkLongScan measures it).
func BenchmarkLongFitForecast(b *testing.B) {
	longTests(b)
	for _, perMeter := range []bool{false, true} {
		name, meters := "pooled", envInt("MDA_LONG_METERS", 10000)
		if perMeter {
			name, meters = "per-meter", envInt("MDA_LONG_PER_METER", 500)
		}
		b.Run(name+"-"+strconv.Itoa(meters), func(b *testing.B) {
			const hours, perPass, perShard = 8760, 2500, 250
			start := time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC)
			ids := make([]string, meters)
			for i := range ids {
				ids[i] = simulator.MeterID(i + 1)
			}
			lin := NewLinear(MeterModelOptions()).opt
			for b.Loop() {
				stop := peakHeap()
				t0 := time.Now()
				var fitTime, encTime, fcTime time.Duration
				var stored, rows atomic.Int64
				var mu sync.Mutex
				for lo := 0; lo < meters; lo += perPass {
					g := synthGrid(ids[lo:min(lo+perPass, meters)], start, hours, 1)
					var done atomic.Int64
					o := &TrainOptions{PerMeter: perMeter, MinHours: 840}
					tr := &trainer{o: o, lin: lin, g: g, loc: time.UTC, progress: func(Progress) {}, done: &done}
					tf := time.Now()
					err := tr.fitShards(context.Background(), perShard, func(sh []fitResult) error {
						te := time.Now()
						var sb shardBlob
						for i := range sh {
							mb := meterBlob{ID: sh[i].id, Score: sh[i].score}
							if sh[i].model != nil {
								mb.Model = encodeLinear(sh[i].model)
							} else if sb.Shared == nil {
								sb.Shared = encodeLinear(sh[i].shared)
							}
							sb.Meters = append(sb.Meters, mb)
						}
						var buf bytes.Buffer
						if err := gob.NewEncoder(&buf).Encode(&sb); err != nil {
							return err
						}
						stored.Add(int64(buf.Len()))
						tp := time.Now()
						var hist []float64
						for i := range sh {
							m := sh[i].model
							if m == nil {
								m = sh[i].shared
							}
							row := int(g.index[sh[i].id])
							hist = g.energy(row, hist)
							s := Series{Start: g.start, Step: time.Hour, Values: hist[hours-28*24:]}
							f, err := m.Predict(s, 168)
							if err != nil {
								return err
							}
							rows.Add(int64(f.Len()))
						}
						mu.Lock()
						encTime += tp.Sub(te)
						fcTime += time.Since(tp)
						mu.Unlock()
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
					fitTime += time.Since(tf)
				}
				el := time.Since(t0)
				peak := stop()
				b.ReportMetric(el.Seconds(), "s/run")
				b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
				b.ReportMetric(float64(stored.Load())/1e6, "model-MB")
				b.ReportMetric(float64(rows.Load()), "forecast-rows")
				b.Logf("%d meters × %d h, %s, GOMAXPROCS %d: %v (fit+encode+forecast wall %v; encode %v, forecast %v summed over shards), peak heap %.0f MB, models %.1f MB, %d forecast rows",
					meters, hours, name, runtime.GOMAXPROCS(0), el.Round(time.Millisecond), fitTime.Round(time.Millisecond),
					encTime.Round(time.Millisecond), fcTime.Round(time.Millisecond), float64(peak)/1e6, float64(stored.Load())/1e6, rows.Load())
			}
		})
	}
}

// BenchmarkLongScan measures the lake-reading part of Train on a lake of
// simulated 15-minute kW reads (MDA_LONG_SCAN_METERS meters, default 1000,
// over 28 days) built with partition.WriteFile: reads per second is what
// scales to 10,000 meters × a year.
func BenchmarkLongScan(b *testing.B) {
	longTests(b)
	ctx := context.Background()
	meters, days := envInt("MDA_LONG_SCAN_METERS", 1000), 28
	lake, err := blob.OpenBucket(ctx, "mem://")
	if err != nil {
		b.Fatal(err)
	}
	defer lake.Close()
	g, err := simulator.New(&simulator.Options{Meters: meters, Days: days, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	var batch []meter.Reading
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := partition.WriteFile(ctx, lake, partition.KeyOf(batch[0]), "truth", batch, nil)
		batch = batch[:0]
		return err
	}
	if err := g.TruthReads(func(r meter.Reading) error {
		if r.Type != meter.TypeKW {
			return nil
		}
		if len(batch) > 0 && partition.KeyOf(r) != partition.KeyOf(batch[0]) {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, r)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	if err := flush(); err != nil {
		b.Fatal(err)
	}
	ids, err := meterIDs(ctx, lake, simulator.DefaultStart, simulator.DefaultStart.Add(24*time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	for b.Loop() {
		stop := peakHeap()
		t0 := time.Now()
		gr, st, err := scanGrid(ctx, lake, ids, simulator.DefaultStart, time.Hour, days*24, false, nil)
		if err != nil {
			b.Fatal(err)
		}
		el := time.Since(t0)
		peak := stop()
		gr.free()
		b.ReportMetric(float64(st.Reads)/el.Seconds(), "reads/s")
		b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
		b.Logf("%d meters × %d days: %d reads in %v (%.2f M reads/s), %.0f MB read, peak heap %.0f MB",
			len(ids), days, st.Reads, el.Round(time.Millisecond), float64(st.Reads)/el.Seconds()/1e6, float64(st.BytesRead)/1e6, float64(peak)/1e6)
	}
}
