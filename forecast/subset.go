package forecast

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"
)

// A run restricted to some meters (RunOptions.MeterIDs,
// AnomalyOptions.MeterIDs) replaces only their rows: the files of the
// partition hold every meter's, and overwriting or removing them as a full
// run does would wipe the others (re-scoring one meter of a 20-meter lake
// left 36 of the year's 720 rows).

// subsetName is the file name of chunk i of a run restricted to ids: a
// name of its own, so that it overwrites no full run's file, and the same
// for the same meters, so that a rerun overwrites its own.
func subsetName(ids []string, i int) string {
	h := fnv.New64a()
	for _, id := range slices.Sorted(slices.Values(ids)) {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("part-m%016x-%05d.parquet", h.Sum64(), i)
}

// dropMeters removes the rows of the meters in ids from every Parquet file
// of dir: a file that holds some is rewritten without them (one atomic
// overwrite of the object) or deleted if nothing else is left. A subset
// run calls it before it writes its meters' new rows, so that a meter's
// rows are never in two files; a run that fails after it leaves its meters
// without rows until it is run again, and never touches the others'.
func dropMeters[T any](ctx context.Context, b *blob.Bucket, dir string, ids map[string]bool, meterOf func(*T) string) error {
	it := b.List(&blob.ListOptions{Prefix: dir, Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("forecast: listing %s: %w", dir, err)
		}
		if obj.IsDir || !strings.HasSuffix(obj.Key, ".parquet") {
			continue
		}
		data, err := b.ReadAll(ctx, obj.Key)
		if err != nil {
			return fmt.Errorf("forecast: reading %s: %w", obj.Key, err)
		}
		rows, err := parquet.Read[T](bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return fmt.Errorf("forecast: reading %s: %w", obj.Key, err)
		}
		kept := slices.DeleteFunc(rows, func(r T) bool { return ids[meterOf(&r)] })
		switch {
		case len(kept) == len(rows):
			continue
		case len(kept) == 0:
			if err := b.Delete(ctx, obj.Key); err != nil {
				return fmt.Errorf("forecast: removing %s: %w", obj.Key, err)
			}
		default:
			if _, err := writeParquet(ctx, b, obj.Key, kept); err != nil {
				return err
			}
		}
	}
}
