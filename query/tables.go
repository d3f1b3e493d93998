package query

import (
	"context"
	"errors"
	"fmt"
	"github.com/openmda/mda/partition"
	"io"
	"slices"

	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"

	"github.com/openmda/mda/internal/blobio"
)

// readRows reads the rows of type T of the Parquet files, keeping those
// for which keep returns true. If ids is not empty, row groups whose
// meter_id statistics or bloom filter exclude every id are skipped without
// being downloaded, and rows of other meters are dropped.
func readRows[T any](ctx context.Context, b *blob.Bucket, files []*blob.ListObject, ids []string,
	idOf func(*T) string, keep func(*T) bool) ([]T, error) {
	want := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		want[id] = struct{}{}
	}
	sorted := slices.Compact(slices.Sorted(slices.Values(ids)))
	var out []T
	buf := make([]T, 256)
	for _, obj := range files {
		ra, err := blobio.NewReaderAt(ctx, b, obj.Key, &blobio.Options{Size: obj.Size})
		if err != nil {
			return nil, fmt.Errorf("query: %w", err)
		}
		pf, err := parquet.OpenFile(ra, obj.Size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(len(ids) == 0))
		if err != nil {
			return nil, fmt.Errorf("query: opening %s: %w", obj.Key, err)
		}
		idCol := -1
		if c := pf.Root().Column("meter_id"); c != nil && c.Leaf() {
			idCol = c.Index()
		}
		for g, rg := range pf.RowGroups() {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if len(sorted) > 0 && idCol >= 0 {
				ok, err := partition.MayHoldMeters(rg.ColumnChunks()[idCol], sorted)
				if err != nil {
					return nil, fmt.Errorf("query: %s: row group %d: %w", obj.Key, g, err)
				}
				if !ok {
					continue
				}
			}
			r := parquet.NewGenericRowGroupReader[T](rg)
			for {
				n, err := r.Read(buf)
				for i := range buf[:n] {
					row := &buf[i]
					if len(want) > 0 {
						if _, ok := want[idOf(row)]; !ok {
							continue
						}
					}
					if keep == nil || keep(row) {
						out = append(out, *row)
					}
				}
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					r.Close()
					return nil, fmt.Errorf("query: reading %s: %w", obj.Key, err)
				}
			}
			r.Close()
		}
	}
	return out, nil
}
