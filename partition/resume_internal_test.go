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

// A foreign file in a head-end's export order (by time, then meter): the
// first batch passed on happens to be sorted by (meter, time), so when the
// file changes the scan "resumes" after its last read, and silently drops
// every read of a later time for the meters already passed.
func TestResumeForeignUnsorted(t *testing.T) {
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
		w := parquet.NewGenericWriter[foreignRow](&buf, parquet.MaxRowsPerRowGroup(1000))
		if _, err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := b.WriteAll(ctx, k.Path()+"x.parquet", buf.Bytes(), nil); err != nil {
			t.Fatal(err)
		}
	}
	write(rows)
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
			// The exporter rewrites the file with one late read more.
			write(append(rows[:len(rows):len(rows)], foreignRow{MeterID: "m99999", Value: &v, Time: hour.UnixMicro(), Quality: "A"}))
		}
		return nil
	})
	t.Logf("scan passed %d reads (%d distinct), err %v", n, len(seen), err)
	if err == nil && len(seen) < 4*meters {
		t.Errorf("scan returned no error but lost %d of the %d reads of the partition", 4*meters-len(seen), 4*meters)
	}
}
