package simulator

import (
	"context"
	"slices"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

// WriteTruthLake writes TruthReads' reads of the given types (every type
// if none) into the lake's partitions, one file named name per partition
// (partition.Writer with opts; nil means its defaults), as a correct
// ingest of the simulated file leaves them,
// and returns the number of reads written. It is the quick way to a lake
// for experiments and tests: no CSV, no staging, no integration. The truth
// comes time-major, so one hour's partitions are held at a time.
func (g *Generator) WriteTruthLake(ctx context.Context, lake *blob.Bucket, name string, opts *partition.WriterOptions, types ...meter.Type) (int64, error) {
	var n int64
	var hour time.Time
	var w *partition.Writer
	flush := func() error {
		if w == nil {
			return nil
		}
		_, err := w.Close(ctx)
		w = nil
		return err
	}
	batch := make([]meter.Reading, 1)
	err := g.TruthReads(func(r meter.Reading) error {
		if len(types) > 0 && !slices.Contains(types, r.Type) {
			return nil
		}
		if h := r.Time.UTC().Truncate(time.Hour); w == nil || !h.Equal(hour) {
			if err := flush(); err != nil {
				return err
			}
			hour, w = h, partition.NewWriter(lake, name, opts)
		}
		batch[0] = r
		if _, err := w.Write(batch); err != nil {
			return err
		}
		n++
		return ctx.Err()
	})
	if err != nil {
		return n, err
	}
	return n, flush()
}
