package localcat

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/catalog"
)

// TestPrunedSlot: a writer that read version 1 and writes version 2 after
// other writers went on to version 4 and pruned version 2 (and, with
// KeepVersions 1, version 3) creates an orphan version 2 below the latest.
// It must find out and reapply its change; without the check its
// partition would be lost.
func TestPrunedSlot(t *testing.T) {
	for _, keep := range []int{1, 2} {
		t.Run(fmt.Sprintf("keep=%d", keep), func(t *testing.T) {
			ctx := context.Background()
			b := memblob.OpenBucket(nil)
			defer b.Close()
			opts := &Options{KeepVersions: keep}
			c, err := Open(b, opts)
			if err != nil {
				t.Fatal(err)
			}
			tbl := catalog.ReadingsTable("s3://lake/")
			if err := c.EnsureDatabase(ctx, &catalog.Database{Name: tbl.Database}); err != nil {
				t.Fatal(err)
			}
			if err := c.EnsureTable(ctx, tbl); err != nil {
				t.Fatal(err)
			}
			o, _ := opts.resolve()
			lagging := &driver{s: &blobStore{b: b}, opts: o}
			read, resume := make(chan struct{}), make(chan struct{})
			calls := 0
			done := make(chan error)
			go func() {
				done <- lagging.update(ctx, tbl.Database, tbl.Name, func(m *manifest) (bool, error) {
					calls++
					if calls == 1 {
						close(read)
						<-resume
					}
					if slices.ContainsFunc(m.Partitions, func(p catalog.Partition) bool { return p.Values[4] == "99" }) {
						return false, nil
					}
					m.Partitions = append(m.Partitions, catalog.Partition{Values: []string{"kw", "2024", "01", "01", "99"}})
					return true, nil
				})
			}()
			<-read
			for h := range 3 { // versions 2, 3 and 4; 2 is pruned
				p := catalog.Partition{Values: []string{"kw", "2024", "01", "01", fmt.Sprintf("%02d", h)}}
				if err := c.AddPartitions(ctx, tbl.Database, tbl.Name, []catalog.Partition{p}); err != nil {
					t.Fatal(err)
				}
			}
			vs, err := lagging.versions(ctx, tbl.Database, tbl.Name)
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) != keep || vs[len(vs)-1].n != 4 {
				t.Fatalf("versions %v, want the last %d up to 4", vs, keep)
			}
			close(resume)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if calls != 2 {
				t.Errorf("the lagging writer's change was applied %d times, want 2 (once into the orphan, once again)", calls)
			}
			ps, err := c.ListPartitions(ctx, tbl.Database, tbl.Name, nil)
			if err != nil {
				t.Fatal(err)
			}
			var hours []string
			for _, p := range ps {
				hours = append(hours, p.Values[4])
			}
			if want := []string{"00", "01", "02", "99"}; !slices.Equal(hours, want) {
				t.Errorf("partitions of hours %v, want %v", hours, want)
			}
			vs, _ = lagging.versions(ctx, tbl.Database, tbl.Name)
			if len(vs) != keep || vs[len(vs)-1].n != 5 {
				t.Errorf("versions %v, want the last %d up to 5 (the orphan pruned)", vs, keep)
			}
		})
	}
}
