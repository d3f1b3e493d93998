package forecast

import (
	"context"
	"testing"
)

func BenchmarkLinearFit(b *testing.B) {
	series := []Series{synth(24*365, 0, 0.8, 0.4, 1), synth(24*365, 0, 0.8, 0.4, 2), synth(24*365, 0, 0.8, 0.4, 3)}
	b.ReportAllocs()
	for b.Loop() {
		m := NewLinear(&LinearOptions{Lookback: 336, Horizon: 96})
		if err := m.Fit(context.Background(), series); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLinearFitExog(b *testing.B) {
	series := []Series{synth(24*365, 0, 0.8, 0.4, 1), synth(24*365, 0, 0.8, 0.4, 2)}
	opts := &LinearOptions{Lookback: 168, Horizon: 24, ScaleSeries: true, Exog: &Exog{TimeOfDay: true, DayOfWeek: true}}
	b.ReportAllocs()
	for b.Loop() {
		if err := NewLinear(opts).Fit(context.Background(), series); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLinearPredict(b *testing.B) {
	s := synth(24*120, 0, 0.8, 0.4, 1)
	m := NewLinear(&LinearOptions{Lookback: 336, Horizon: 96})
	if err := m.Fit(context.Background(), []Series{s}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Predict(s, 96); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSeasonalNaivePredict(b *testing.B) {
	s := synth(24*120, 0, 0.8, 0.4, 1)
	m := SeasonalNaive{Season: 24}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Predict(s, 96); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkETTh1H96(b *testing.B) {
	ch := loadETT(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BacktestETT(context.Background(), ch, &ETTOptions{Horizons: []int{96}}); err != nil {
			b.Fatal(err)
		}
	}
}
