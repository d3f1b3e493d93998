package forecast

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// The model store keeps every trained version of a model under
//
//	models/<model>/<version>/manifest.json     options, window, shards, scores
//	models/<model>/<version>/shard-NNNNN.gob   fitted models of a range of meters
//	models/<model>/LATEST                      the version Run uses by default
//
// A version is never modified once LATEST points at it; LATEST is written
// last, so a Train that fails half-way leaves the previous version in use.
// Versions are named <end of training window>-<hash of window, options and
// meters>, so they sort by training time and the same training twice gives
// the same version (and the same files).

// ModelsPrefix is the root of the model store.
const ModelsPrefix = "models/"

// storeFormat is the version of the shard encoding.
const storeFormat = 1

// ModelDir is the directory of one version of a model.
func ModelDir(model, version string) string { return ModelsPrefix + model + "/" + version + "/" }

func latestKey(model string) string { return ModelsPrefix + model + "/LATEST" }

// Manifest describes a trained model version: what it was trained on, how,
// where its shards are and how well it forecast held-out data.
type Manifest struct {
	// Format is the version of the store's encoding; ReadManifest and
	// LoadShard refuse any other than this build's.
	Format int    `json:"format"`
	Model  string `json:"model"` // the model's name (TrainOptions.Model)
	// Version names this version: the end of the training window
	// (yyyyMMddTHHZ) and a hash of the window, options and meters.
	Version string `json:"version"`
	// Kind is "linear-per-meter" (one Linear per meter) or "linear-pooled"
	// (one Linear per shard, shared by its meters).
	Kind string `json:"kind"`
	// From and To bound the training window of hours, [From, To).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Location is the time zone of the calendar regressors: an IANA name,
	// or, with LocationOffset, the name of a fixed zone.
	Location string `json:"location"`
	// LocationOffset is the offset east of UTC, in seconds, of a fixed
	// zone (time.FixedZone, such as meter.NEMTime) that no zone database
	// names; nil for an IANA zone.
	LocationOffset *int `json:"location_offset,omitempty"`
	// Linear is the model template in effect (TrainOptions.Linear, defaults
	// filled in), with which LoadShard decodes the models; it holds no
	// temperatures (see Weather).
	Linear LinearOptions `json:"linear"`
	// Weather, if set, is where the temperature regressors come from
	// (TrainOptions.Weather); Linear then holds no temperatures, which
	// Run reads for each forecast.
	Weather *Weather `json:"weather,omitempty"`
	// Meters counts the meters with a model, Skipped those without (too
	// little history).
	Meters  int     `json:"meters"`
	Skipped int     `json:"skipped"`
	Shards  []Shard `json:"shards"` // sorted by Path
	// Holdout scores each meter's last Horizon hours forecast by a model
	// fitted without them; InSample the same hours forecast by the stored
	// model, which saw them (the gap between the two is overfitting).
	// SeasonalNaive is the weekly seasonal-naive forecast of the held-out
	// hours, the bar to beat.
	Holdout       Scores `json:"holdout"`
	InSample      Scores `json:"in_sample"`
	SeasonalNaive Scores `json:"seasonal_naive_holdout"`
}

// Shard is one file of a model version: the models of meters IDs (sorted).
// The ids are in the manifest so that Run can read the history of a group
// of shards before it loads their models one shard at a time.
type Shard struct {
	Path   string   `json:"path"`      // file name in the version's directory (ModelDir)
	Meters int      `json:"meters"`    // the number of meters, len(IDs)
	IDs    []string `json:"meter_ids"` // the meters whose models the file holds
}

// Scores summarise per-meter forecast errors: MASE (season 24) per meter,
// as a mean and a median (the median is what a typical meter sees; a few
// near-constant meters make the mean large), and the point and quantile
// errors pooled over all meters' hours.
//
// A score without data is NaN (null in JSON).
type Scores struct {
	Meters     int        `json:"meters"`               // meters with a MASE (reads in the hours scored and a seasonal scale)
	MeanMASE   Float      `json:"mean_mase"`            // mean of the per-meter MASE
	MedianMASE Float      `json:"median_mase"`          // median of the per-meter MASE
	MAE        Float      `json:"mae_kwh"`              // mean absolute error of an hour's energy (kWh), pooled
	WQL        Float      `json:"wql"`                  // weighted quantile loss over P10/P50/P90, pooled
	Coverage   [3]float64 `json:"coverage_p10_p50_p90"` // share of hours at or below P10, P50, P90; 0 without data
}

// Float is a float64 that is null in JSON when NaN or infinite (a score
// without data); convert it with float64(f).
type Float float64

// MarshalJSON writes null for NaN and infinities, which JSON has not.
func (f Float) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

// UnmarshalJSON reads null as NaN.
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = Float(math.NaN())
		return nil
	}
	return json.Unmarshal(b, (*float64)(f))
}

// scoreSet gathers the per-meter MASE and pooled errors of one evaluation.
type scoreSet struct {
	mase []float64
	acc  Accumulator
}

func (s *scoreSet) add(a *Accumulator) {
	m := a.Metrics()
	if !math.IsNaN(m.MASE) {
		s.mase = append(s.mase, m.MASE)
	}
	s.acc.Merge(a)
}

func (s *scoreSet) scores() Scores {
	m := s.acc.Metrics()
	out := Scores{Meters: len(s.mase), MeanMASE: Float(math.NaN()), MedianMASE: Float(math.NaN()),
		MAE: Float(m.MAE), WQL: Float(m.WQL), Coverage: m.Coverage}
	for k, c := range out.Coverage {
		if math.IsNaN(c) {
			out.Coverage[k] = 0
		}
	}
	if len(s.mase) > 0 {
		xs := append([]float64(nil), s.mase...)
		sort.Float64s(xs)
		var sum float64
		for _, v := range xs {
			sum += v
		}
		out.MeanMASE = Float(sum / float64(len(xs)))
		out.MedianMASE = Float(quantile(xs, 0.5))
	}
	return out
}

// MeterScore is one meter's holdout and in-sample MASE, kept in its shard.
type MeterScore struct {
	// The MASE of the meter's hours scored as in Manifest.Holdout,
	// InSample and SeasonalNaive; NaN without data.
	HoldoutMASE, InSampleMASE, SeasonalNaiveMASE float64
}

// MeterModel is a meter's fitted model, as stored in a shard.
type MeterModel struct {
	MeterID string
	// Model is the fitted forecaster; in a pooled version ("linear-pooled")
	// every meter of a shard shares one.
	Model *Linear
	Score MeterScore // the meter's scores at training
}

// shardBlob is the gob encoding of a shard. Weights are float32 (half the
// size of float64, and far more precise than a load forecast needs): a
// per-meter model with a one-week look-back and horizon is 136 KB.
type shardBlob struct {
	Format int
	Step   time.Duration
	Shared *linearBlob // the pooled model, nil for per-meter models
	Meters []meterBlob
}

type meterBlob struct {
	ID    string
	Model *linearBlob // nil when Shared
	Score MeterScore
}

type linearBlob struct {
	Lambda, ValMSE float64
	// Weights packs w (L×H), we (E×H), bias (H) and q (3×H), row by row,
	// as little-endian float32.
	Weights []byte
}

func encodeLinear(m *Linear) *linearBlob {
	var vals []float64
	for _, r := range m.w {
		vals = append(vals, r...)
	}
	for _, r := range m.we {
		vals = append(vals, r...)
	}
	vals = append(vals, m.bias...)
	for _, q := range m.q {
		vals = append(vals, q...)
	}
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(v)))
	}
	return &linearBlob{Lambda: m.lambda, ValMSE: m.valMSE, Weights: b}
}

// decodeLinear rebuilds a fitted Linear from its options (defaults filled
// in, as the manifest holds them), step and blob.
func decodeLinear(opt LinearOptions, step time.Duration, lb *linearBlob) (*Linear, error) {
	m := &Linear{opt: opt, step: step, lambda: lb.Lambda, valMSE: lb.ValMSE, fitted: true}
	L, H := opt.Lookback, opt.Horizon
	m.exog = newExogSpec(opt.Exog, step, L, H)
	e := 0
	if m.exog != nil {
		e = m.exog.width
	}
	want := (L + e + 1 + 3) * H
	if len(lb.Weights) != 4*want {
		return nil, fmt.Errorf("forecast: model has %d weights, options need %d", len(lb.Weights)/4, want)
	}
	vals := make([]float64, want)
	for i := range vals {
		vals[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(lb.Weights[4*i:])))
	}
	rows := func(n int) [][]float64 {
		out := make([][]float64, n)
		for i := range out {
			out[i], vals = vals[:H:H], vals[H:]
		}
		return out
	}
	m.w, m.we = rows(L), rows(e)
	m.bias = rows(1)[0]
	for k := range m.q {
		m.q[k] = rows(1)[0]
	}
	return m, nil
}

// ErrNoModel reports a model name or version that is not in the store.
var ErrNoModel = errors.New("forecast: no such model")

// LatestVersion returns the version LATEST points at.
func LatestVersion(ctx context.Context, lake *blob.Bucket, model string) (string, error) {
	b, err := lake.ReadAll(ctx, latestKey(model))
	if gcerrors.Code(err) == gcerrors.NotFound {
		return "", fmt.Errorf("%w: %s has no trained version (run Train first)", ErrNoModel, model)
	}
	if err != nil {
		return "", fmt.Errorf("forecast: reading %s: %w", latestKey(model), err)
	}
	return strings.TrimSpace(string(b)), nil
}

// ReadManifest reads a version's manifest; version "" means the latest.
func ReadManifest(ctx context.Context, lake *blob.Bucket, model, version string) (Manifest, error) {
	var m Manifest
	if model == "" {
		model = DefaultModel
	}
	if version == "" {
		v, err := LatestVersion(ctx, lake, model)
		if err != nil {
			return m, err
		}
		version = v
	}
	key := ModelDir(model, version) + "manifest.json"
	b, err := lake.ReadAll(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return m, fmt.Errorf("%w: %s version %s", ErrNoModel, model, version)
	}
	if err != nil {
		return m, fmt.Errorf("forecast: reading %s: %w", key, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("forecast: decoding %s: %w", key, err)
	}
	if m.Format != storeFormat {
		return m, fmt.Errorf("forecast: %s: format %d, this build reads %d", key, m.Format, storeFormat)
	}
	return m, nil
}

// LoadShard returns the fitted models of shard i of a version, in meter
// order. One shard at a time is what keeps Run's memory bounded.
func LoadShard(ctx context.Context, lake *blob.Bucket, m Manifest, i int) ([]MeterModel, error) {
	if i < 0 || i >= len(m.Shards) {
		return nil, fmt.Errorf("forecast: shard %d of %d", i, len(m.Shards))
	}
	if m.Weather != nil && (m.Linear.Exog == nil || m.Linear.Exog.Temperature.Len() == 0) {
		return nil, fmt.Errorf("forecast: model %s/%s uses temperature regressors: "+
			"set the temperature of m.Linear.Exog (as Run does from the weather table) before loading it", m.Model, m.Version)
	}
	key := ModelDir(m.Model, m.Version) + m.Shards[i].Path
	b, err := lake.ReadAll(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("forecast: reading %s: %w", key, err)
	}
	var sb shardBlob
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&sb); err != nil {
		return nil, fmt.Errorf("forecast: decoding %s: %w", key, err)
	}
	if sb.Format != storeFormat {
		return nil, fmt.Errorf("forecast: %s: format %d, this build reads %d", key, sb.Format, storeFormat)
	}
	var shared *Linear
	if sb.Shared != nil {
		if shared, err = decodeLinear(m.Linear, sb.Step, sb.Shared); err != nil {
			return nil, fmt.Errorf("forecast: %s: %w", key, err)
		}
	}
	out := make([]MeterModel, len(sb.Meters))
	for j, mb := range sb.Meters {
		out[j] = MeterModel{MeterID: mb.ID, Model: shared, Score: mb.Score}
		if mb.Model != nil {
			if out[j].Model, err = decodeLinear(m.Linear, sb.Step, mb.Model); err != nil {
				return nil, fmt.Errorf("forecast: %s: meter %s: %w", key, mb.ID, err)
			}
		}
		if out[j].Model == nil {
			return nil, fmt.Errorf("forecast: %s: meter %s has no model", key, mb.ID)
		}
	}
	return out, nil
}

// location returns the manifest's time zone.
func (m Manifest) location() (*time.Location, error) {
	if m.LocationOffset != nil {
		return time.FixedZone(m.Location, *m.LocationOffset), nil
	}
	if m.Location == "" || m.Location == "UTC" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(m.Location)
	if err != nil {
		return nil, fmt.Errorf("forecast: model %s/%s: %w", m.Model, m.Version, err)
	}
	return loc, nil
}
