package partition

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob/memblob"
)

// TestResumeRowGroupSorted: a foreign file written in 4 row groups, one
// per quarter-hour, each sorted by (meter, time) and declaring so
// (SortingColumns are per row group in Parquet), the file as a whole not
// sorted. When it changes after the first batch is passed on, the scan
// must not resume after the last read passed (dropping the later quarters
// of those meters): it returns ErrChanged.
func TestResumeRowGroupSorted(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	hour := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	k := Key{meter.TypeKW, hour}
	const meters = 5000
	var rows []foreignRow
	for q := range 4 {
		for m := range meters {
			v := float64(m)
			rows = append(rows, foreignRow{MeterID: fmt.Sprintf("m%05d", m), Value: &v,
				Time: hour.Add(time.Duration(q) * 15 * time.Minute).UnixMicro(), Quality: "A"})
		}
	}
	write := func(rows []foreignRow) {
		var buf bytes.Buffer
		w := parquet.NewGenericWriter[foreignRow](&buf, parquet.MaxRowsPerRowGroup(meters),
			parquet.SortingWriterConfig(parquet.SortingColumns(parquet.Ascending("meter_id"), parquet.Ascending("reading_date_time"))))
		for i := 0; i < len(rows); i += meters {
			if _, err := w.Write(rows[i:min(i+meters, len(rows))]); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := b.WriteAll(ctx, k.Path()+"x.parquet", buf.Bytes(), nil); err != nil {
			t.Fatal(err)
		}
	}
	write(rows)
	{
		f, _ := b.ReadAll(ctx, k.Path()+"x.parquet")
		pf, err := parquet.OpenFile(bytes.NewReader(f), int64(len(f)))
		if err != nil {
			t.Fatal(err)
		}
		if writtenSorted(pf.Metadata()) || len(pf.RowGroups()) < 2 {
			t.Fatalf("the foreign file: %d row groups, taken for this package's: %v", len(pf.RowGroups()), writtenSorted(pf.Metadata()))
		}
	}
	seen := map[string]int{}
	n, changed := 0, false
	_, err := Scan(ctx, b, &Filter{Cache: NewFileCache(0)}, func(rs []meter.Reading) error {
		for _, r := range rs {
			seen[fmt.Sprint(r.MeterID, r.Time.UnixMilli())]++
		}
		n += len(rs)
		if !changed {
			changed = true
			v := 1.0
			write(append(rows[:len(rows):len(rows)], foreignRow{MeterID: "m99999", Value: &v, Time: hour.UnixMicro(), Quality: "A"}))
		}
		return nil
	})
	t.Logf("scan passed %d reads (%d distinct), err %v", n, len(seen), err)
	if err == nil && len(seen) < 4*meters {
		t.Errorf("scan returned no error but lost %d of the %d reads of the partition", 4*meters-len(seen), 4*meters)
	}
}
