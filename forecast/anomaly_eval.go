package forecast

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"sync"
	"text/tabwriter"
	"time"
)

// EvalOptions configure EvalAnomalies; nil means the defaults.
type EvalOptions struct {
	// Seed makes the injections; the same seed injects the same
	// anomalies at the same places.
	Seed uint64
	// PerKind is the number of anomalies of each kind injected per meter;
	// 0 means 10.
	PerKind int
	// Detect configures the detector under test (nil: its defaults).
	Detect *DetectOptions
	// Workers is the number of series run at once; 0 means GOMAXPROCS.
	Workers int
}

// KindScore is the evaluation of one kind of event.
type KindScore struct {
	// Kind is the kind; Resolution distinguishes the hourly spikes and
	// dips (1h, scored on copies of the series with injections of 3 to 12
	// hours of their own) from the daily ones (24h).
	Kind       AnomalyKind
	Resolution time.Duration // 1h for hourly spikes and dips, else 24h
	// Injected anomalies, and how many an event of the kind overlapped.
	Injected int
	Found    int
	// Events of the kind detected in the series that hold the
	// injections; FalsePositives of them overlap no injection (real
	// anomalies of the households among them).
	Events         int
	FalsePositives int // events that overlap no injection
	// Untouched counts the events of the kind on the real series without
	// injections.
	Untouched int
	// Precision is the share of Events that overlap an injection, Recall
	// Found/Injected and F1 their harmonic mean (0 when both are 0); each
	// is NaN when undefined (no events or no injections).
	Precision, Recall, F1 float64
	// Sizes splits Injected and Found by the size of the injection: m for
	// spikes, dips and drops, hours for flat and zero runs.
	Sizes []SizeBand
}

// SizeBand counts the injections of sizes in [Lo, Hi] and those found.
type SizeBand struct {
	Lo, Hi          float64 // sizes as in KindScore.Sizes; a size on a bound shared by two bands counts in the lower
	Injected, Found int     // injections in the band, and those an event overlapped
}

// Name is the kind, with "/hour" for hourly spikes and dips.
func (k KindScore) Name() string {
	if k.Resolution == time.Hour {
		return string(k.Kind) + "/hour"
	}
	return string(k.Kind)
}

// EvalResult is the outcome of EvalAnomalies.
type EvalResult struct {
	Seed    uint64 // EvalOptions.Seed
	PerKind int    // EvalOptions.PerKind, or its default
	// Meters and MeterYears measure the data (the real series).
	Meters     int
	MeterYears float64 // the series' total length in years of 365.25 days
	// Kinds holds spike, dip, flat, zero and drop (daily spikes and dips),
	// then spike/hour and dip/hour.
	Kinds   []KindScore
	Seconds float64 // wall-clock time of the evaluation
}

// The injected anomalies, as the brief of the evaluation sets them.
const (
	evalWarmupDays = 56 // injections start after the history the detector needs
	evalGapDays    = 14 // days between two injections in one series
)

var (
	evalSpike = [2]float64{0.5, 2}                              // a day's energy × (1+m)
	evalDip   = [2]float64{0.5, 0.9}                            // a day's energy × (1-m)
	evalDrop  = [2]float64{0.3, 0.6}                            // every interval from a day on × (1-m)
	evalBlock = [2]time.Duration{3 * time.Hour, 12 * time.Hour} // hourly spikes and dips
	evalFlat  = [2]time.Duration{6 * time.Hour, 48 * time.Hour}
	evalZero  = [2]time.Duration{6 * time.Hour, 48 * time.Hour}
)

// injection is one injected anomaly, [start, end), of a size: m for
// spikes, dips and drops, hours for flat and zero runs.
type injection struct {
	start, end time.Time
	size       float64
}

// sizeBands are the bands of KindScore.Sizes by kind.
var sizeBands = map[AnomalyKind][][2]float64{
	KindSpike: {{0.5, 1}, {1, 1.5}, {1.5, 2}},
	KindDip:   {{0.5, 0.7}, {0.7, 0.9}},
	KindFlat:  {{6, 12}, {12, 24}, {24, 48}},
	KindZero:  {{6, 12}, {12, 24}, {24, 48}},
	KindDrop:  {{0.3, 0.45}, {0.45, 0.6}},
}

// evalJob is one series to detect: a copy of a meter with injections of
// one kind (kind "" for the untouched series).
type evalJob struct {
	kind AnomalyKind
	// res is 1h for the copies with hourly spikes or dips, 24h otherwise.
	res time.Duration
	s   Series
	inj []injection
	ev  []AnomalyEvent
	err error
}

// EvalAnomalies measures Detect on real meters: it injects known anomalies
// at random places (deterministic per Seed) into copies of each meter's
// series and scores the events by kind. Each of spike, dip, flat and zero
// gets one copy per meter with PerKind injections at least 14 days apart
// and after the first 56 days (the history the detector needs), each
// where every interval it touches was read; a drop gets PerKind copies,
// one drop each, at least 56 days before the end:
//
//   - spike: a day's intervals × (1+m), m uniform in [0.5, 2] (a day that
//     read some energy);
//   - dip: a day's intervals × (1-m), m uniform in [0.5, 0.9] (idem);
//   - hourly spike and dip: the same, over 3 to 12 whole hours (a second
//     copy per meter, with their own places);
//   - flat: 6 to 48 hours stuck at the first value (a non-zero read);
//   - zero: 6 to 48 hours of zero reads;
//   - drop: every interval from a day to the end × (1-m), m in [0.3, 0.6].
//
// An injection is found when an event of its kind overlaps it; an event
// of the kind that overlaps no injection is a false positive, real
// anomalies of the households included. Daily spikes and dips are scored
// by the daily events in the copies with whole days injected, hourly ones
// by the hourly events in the copies with hours injected. Untouched counts
// each kind's events on the real series.
func EvalAnomalies(ctx context.Context, meters []Meter, opts *EvalOptions) (*EvalResult, error) {
	t0 := time.Now()
	var o EvalOptions
	if opts != nil {
		o = *opts
	}
	if o.PerKind <= 0 {
		o.PerKind = 10
	}
	res := &EvalResult{Seed: o.Seed, PerKind: o.PerKind, Meters: len(meters)}
	var jobs []*evalJob
	for _, m := range meters {
		res.MeterYears += float64(m.Len()) * m.Step.Hours() / (24 * 365.25)
		jobs = append(jobs, &evalJob{s: m.Series})
		for _, k := range AnomalyKinds {
			rng := rand.New(rand.NewPCG(o.Seed, seedOf(m.ID, k)))
			if k == KindDrop {
				for range o.PerKind {
					s, inj := injectDrop(m.Series, rng)
					if inj != nil {
						jobs = append(jobs, &evalJob{kind: k, s: s, inj: inj})
					}
				}
				continue
			}
			s, inj := inject(m.Series, k, o.PerKind, rng, 0)
			jobs = append(jobs, &evalJob{kind: k, res: 24 * time.Hour, s: s, inj: inj})
			if k == KindSpike || k == KindDip {
				rng := rand.New(rand.NewPCG(o.Seed, seedOf(m.ID, k+"/hour")))
				s, inj := inject(m.Series, k, o.PerKind, rng, time.Hour)
				jobs = append(jobs, &evalJob{kind: k, res: time.Hour, s: s, inj: inj})
			}
		}
	}
	ch := make(chan *evalJob)
	var wg sync.WaitGroup
	for range min(workers(o.Workers), len(jobs)) {
		wg.Go(func() {
			for j := range ch {
				var det *Detection
				if det, j.err = Detect(j.s, o.Detect); j.err == nil {
					j.ev = det.Events
				}
			}
		})
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		ch <- j
	}
	close(ch)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type key struct {
		k AnomalyKind
		r time.Duration
	}
	scores := map[key]*KindScore{}
	var order []key
	for _, k := range AnomalyKinds {
		order = append(order, key{k, 24 * time.Hour})
	}
	order = append(order, key{KindSpike, time.Hour}, key{KindDip, time.Hour})
	for _, k := range order {
		scores[k] = &KindScore{Kind: k.k, Resolution: k.r}
		for _, b := range sizeBands[k.k] {
			scores[k].Sizes = append(scores[k].Sizes, SizeBand{Lo: b[0], Hi: b[1]})
		}
	}
	// counts reports whether event e is scored under key k.
	counts := func(e AnomalyEvent, k key) bool {
		if e.Kind != k.k {
			return false
		}
		if k.k == KindSpike || k.k == KindDip {
			return e.Resolution == k.r
		}
		return true
	}
	for _, j := range jobs {
		if j.err != nil {
			return nil, j.err
		}
		for _, k := range order {
			sc := scores[k]
			if j.kind == "" {
				for _, e := range j.ev {
					if counts(e, k) {
						sc.Untouched++
					}
				}
				continue
			}
			if j.kind != k.k || (k.k == KindSpike || k.k == KindDip) && j.res != k.r {
				continue
			}
			for _, in := range j.inj {
				sc.Injected++
				found := 0
				for _, e := range j.ev {
					if counts(e, k) && e.Start.Before(in.end) && in.start.Before(e.End) {
						found = 1
						break
					}
				}
				sc.Found += found
				for b := range sc.Sizes {
					if b := &sc.Sizes[b]; in.size >= b.Lo && (in.size < b.Hi || in.size == b.Hi) {
						b.Injected++
						b.Found += found
						break
					}
				}
			}
			for _, e := range j.ev {
				if !counts(e, k) {
					continue
				}
				sc.Events++
				hit := false
				for _, in := range j.inj {
					if e.Start.Before(in.end) && in.start.Before(e.End) {
						hit = true
						break
					}
				}
				if !hit {
					sc.FalsePositives++
				}
			}
		}
	}
	for _, k := range order {
		sc := scores[k]
		sc.Recall = ratio(sc.Found, sc.Injected)
		sc.Precision = ratio(sc.Events-sc.FalsePositives, sc.Events)
		sc.F1 = 2 * sc.Precision * sc.Recall / (sc.Precision + sc.Recall)
		if sc.Precision+sc.Recall == 0 {
			sc.F1 = 0
		}
		res.Kinds = append(res.Kinds, *sc)
	}
	res.Seconds = time.Since(t0).Seconds()
	return res, nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// Score returns the score of a kind's daily (or, for resolution 1h,
// hourly) events, and whether the result holds it.
func (r *EvalResult) Score(k AnomalyKind, resolution time.Duration) (KindScore, bool) {
	for _, s := range r.Kinds {
		if s.Kind == k && (s.Resolution == resolution || k != KindSpike && k != KindDip) {
			return s, true
		}
	}
	return KindScore{}, false
}

func seedOf(id string, k AnomalyKind) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write([]byte(k))
	return h.Sum64()
}

// read reports whether intervals [i, j) of s are all read.
func read(s Series, i, j int) bool {
	if i < 0 || j > len(s.Values) {
		return false
	}
	for _, v := range s.Values[i:j] {
		if math.IsNaN(v) {
			return false
		}
	}
	return true
}

// inject returns a copy of s with up to n anomalies of kind k (spike, dip,
// flat or zero) and where they are. Spikes and dips span a day, or with
// hourly set (time.Hour), evalBlock of whole hours.
func inject(s Series, k AnomalyKind, n int, rng *rand.Rand, hourly time.Duration) (Series, []injection) {
	const day = 24 * time.Hour
	c := s.Clone()
	perDay := int(day / s.Step)
	off := int(s.Start.Sub(s.Start.Truncate(day)) / s.Step) // intervals before the first midnight
	first := (perDay - off) % perDay                        // index of the first midnight
	warm := first + evalWarmupDays*perDay
	gap := evalGapDays * perDay
	var taken []int // starts of injections
	var inj []injection
	for tries := 0; len(inj) < n && tries < 200*n; tries++ {
		var i, j int
		switch k {
		case KindSpike, KindDip:
			days := (len(c.Values) - warm) / perDay
			if days <= 0 {
				return c, inj
			}
			i = warm + rng.IntN(days)*perDay
			j = i + perDay
			if hourly > 0 {
				perHour := max(int(time.Hour/s.Step), 1)
				lo, hi := int(evalBlock[0]/time.Hour), int(evalBlock[1]/time.Hour)
				L := (lo + rng.IntN(hi-lo+1)) * perHour
				i += rng.IntN(24) * perHour // from a whole hour of that day
				if j = i + L; j > len(c.Values) {
					continue
				}
			}
		default:
			lim := evalFlat
			if k == KindZero {
				lim = evalZero
			}
			lo, hi := int(lim[0]/s.Step), int(lim[1]/s.Step)
			L := lo + rng.IntN(hi-lo+1)
			if len(c.Values)-warm-L <= 0 {
				return c, inj
			}
			i = warm + rng.IntN(len(c.Values)-warm-L)
			j = i + L
		}
		if !read(c, i, j) || k == KindFlat && c.Values[i] == 0 || (k == KindSpike || k == KindDip) && sum(c.Values[i:j]) == 0 {
			continue
		}
		near := false
		for _, t := range taken {
			if i-t < gap && t-i < gap {
				near = true
				break
			}
		}
		if near {
			continue
		}
		taken = append(taken, i)
		size := float64(j-i) * s.Step.Hours()
		switch k {
		case KindSpike:
			size = evalSpike[0] + rng.Float64()*(evalSpike[1]-evalSpike[0])
			for g := i; g < j; g++ {
				c.Values[g] *= 1 + size
			}
		case KindDip:
			size = evalDip[0] + rng.Float64()*(evalDip[1]-evalDip[0])
			for g := i; g < j; g++ {
				c.Values[g] *= 1 - size
			}
		case KindFlat:
			for g := i; g < j; g++ {
				c.Values[g] = c.Values[i]
			}
		case KindZero:
			for g := i; g < j; g++ {
				c.Values[g] = 0
			}
		}
		inj = append(inj, injection{c.Time(i), c.Time(j), size})
	}
	return c, inj
}

func sum(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}

// injectDrop returns a copy of s with a sustained drop from a random day
// at least 56 days after the start and 56 days before the end.
func injectDrop(s Series, rng *rand.Rand) (Series, []injection) {
	const day = 24 * time.Hour
	perDay := int(day / s.Step)
	off := int(s.Start.Sub(s.Start.Truncate(day)) / s.Step)
	first := (perDay - off) % perDay
	warm := first + evalWarmupDays*perDay
	days := (len(s.Values) - warm - evalWarmupDays*perDay) / perDay
	if days <= 0 {
		return s, nil
	}
	i := warm + rng.IntN(days)*perDay
	m := evalDrop[0] + rng.Float64()*(evalDrop[1]-evalDrop[0])
	c := s.Clone()
	for g := i; g < len(c.Values); g++ {
		c.Values[g] *= 1 - m
	}
	return c, []injection{{c.Time(i), c.End(), m}}
}

// WriteAnomalyEval prints a table of precision, recall and F1 by kind and,
// as its last line, one JSON object with all of them.
func WriteAnomalyEval(w io.Writer, r *EvalResult) error {
	fmt.Fprintf(w, "%d meters, %.1f meter-years; %d injections of each kind per meter (drops: one per copy), seed %d; %.1fs\n\n",
		r.Meters, r.MeterYears, r.PerKind, r.Seed, r.Seconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tinjected\tfound\tevents\tfalse pos.\tprecision\trecall\tF1\tuntouched\tper meter-year\t")
	for _, k := range r.Kinds {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t%.1f\t\n", k.Name(), k.Injected, k.Found, k.Events, k.FalsePositives,
			f3s(k.Precision), f3s(k.Recall), f3s(k.F1), k.Untouched, float64(k.Untouched)/r.MeterYears)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nuntouched: events of the kind on the real series without injections; false pos.: events overlapping no injection in the series with injections.")
	fmt.Fprintln(w, "\nrecall by size (m for spike, dip and drop; hours for flat and zero):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, k := range r.Kinds {
		fmt.Fprintf(tw, "%s\t", k.Name())
		for _, b := range k.Sizes {
			fmt.Fprintf(tw, "%g-%g: %d/%d (%s)\t", b.Lo, b.Hi, b.Found, b.Injected, f3s(ratio(b.Found, b.Injected)))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	kinds := map[string]any{}
	for _, k := range r.Kinds {
		var sizes []map[string]any
		for _, b := range k.Sizes {
			sizes = append(sizes, map[string]any{"from": b.Lo, "to": b.Hi, "injected": b.Injected, "found": b.Found})
		}
		kinds[k.Name()] = map[string]any{"precision": jsonNum(k.Precision), "recall": jsonNum(k.Recall), "f1": jsonNum(k.F1),
			"injected": k.Injected, "found": k.Found, "events": k.Events, "false_positives": k.FalsePositives, "untouched": k.Untouched,
			"recall_by_size": sizes}
	}
	return writeJSONLine(w, map[string]any{"protocol": "anomaly-injection", "seed": r.Seed, "per_kind": r.PerKind,
		"meters": r.Meters, "meter_years": r.MeterYears, "seconds": r.Seconds, "kinds": kinds})
}

func f3s(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", v)
}
