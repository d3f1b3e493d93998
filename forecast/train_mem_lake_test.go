package forecast_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/openmda/mda/forecast"
)

// TestTrainPassesSameModels: training in several passes over the lake (a
// memory budget of two shards) stores the same shards, byte for byte, as
// one pass, pooled and per meter. Half the shared lake's meters, in five
// shards of two, make the three passes: fitting is most of the time.
func TestTrainPassesSameModels(t *testing.T) {
	ctx := context.Background()
	lake := sharedSimLake(t)
	const hours = 56 * 24
	for _, perMeter := range []bool{false, true} {
		one, err := forecast.Train(ctx, lake, &forecast.TrainOptions{Model: "passes-one", MaxMeters: 10, MetersPerShard: 2, PerMeter: perMeter})
		if err != nil {
			t.Fatal(err)
		}
		many, err := forecast.Train(ctx, lake, &forecast.TrainOptions{Model: "passes-many", MaxMeters: 10, MetersPerShard: 2, PerMeter: perMeter,
			MemoryBudget: 2 * 2 * hours * 6})
		if err != nil {
			t.Fatal(err)
		}
		if one.Passes != 1 || many.Passes != 3 {
			t.Fatalf("per-meter %v: %d and %d passes, want 1 and 3", perMeter, one.Passes, many.Passes)
		}
		a, b := one.Manifest, many.Manifest
		if a.Meters != b.Meters || len(a.Shards) != len(b.Shards) || a.Meters != 10 || len(a.Shards) != 5 {
			t.Fatalf("per-meter %v: %d meters in %d shards, %d in %d", perMeter, a.Meters, len(a.Shards), b.Meters, len(b.Shards))
		}
		for i, sh := range a.Shards {
			x, err := lake.ReadAll(ctx, forecast.ModelDir(a.Model, a.Version)+sh.Path)
			if err != nil {
				t.Fatal(err)
			}
			y, err := lake.ReadAll(ctx, forecast.ModelDir(b.Model, b.Version)+b.Shards[i].Path)
			if err != nil {
				t.Fatal(err)
			}
			if sh.Path != b.Shards[i].Path || !bytes.Equal(x, y) {
				t.Errorf("per-meter %v: %s differs between one pass and three", perMeter, sh.Path)
			}
		}
	}
}
