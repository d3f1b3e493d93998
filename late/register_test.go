package late_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/catalog/localcat"
	"github.com/openmda/mda/late"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/staging"
)

// TestHandlerRegisters: HandlerOptions.Register, given a Registrar's
// RegisterReadings over a manifest catalog in the lake's bucket, registers
// exactly the partitions that the late events name and the handler
// re-integrates, at their lake location, creating the readings table;
// other staged partitions are neither compacted nor registered. A failing
// hook fails Handle.
func TestHandlerRegisters(t *testing.T) {
	ctx := t.Context()
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	h0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	msg := ranges.Message{Bucket: "inbound", Key: "hes.csv", SourceID: "src1", Size: 1000, Ranges: 1, Range: ranges.Range{End: 1000}}
	c := &staging.Commit{Message: msg}
	var keys []partition.Key
	for i := range 3 {
		k := partition.Key{Type: meter.TypeKW, Hour: h0.Add(time.Duration(i) * time.Hour)}
		at := k.Hour.Add(15 * time.Minute)
		reads := []meter.Reading{{MeterID: "m1", Type: meter.TypeKW, Value: float64(i), Time: at, Source: "B", Arrival: at.Add(26 * time.Hour)}}
		info, err := partition.WriteFile(ctx, lake, k, staging.OutputName(msg.SourceID, 0), reads,
			&partition.WriterOptions{Root: staging.Prefix, Dedup: true})
		if err != nil {
			t.Fatal(err)
		}
		c.Files = append(c.Files, staging.File{Key: info.Path, Partition: k.Path(), Reads: info.Rows, MinTime: info.MinTime,
			MaxTime: info.MaxTime, Verbatim: true, Late: 1, LateMin: at, LateMax: at})
		keys = append(keys, k)
	}
	if err := staging.WriteCommit(ctx, lake, c); err != nil {
		t.Fatal(err)
	}
	cat, err := localcat.Open(lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	reg, err := catalog.NewRegistrar(cat, "s3://lake/", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The hook replaces Integrate.Register.
	integrateRegister := false
	h := late.NewHandler(lake, &late.HandlerOptions{Register: reg.RegisterReadings,
		Integrate: &staging.IntegrateOptions{Register: func(context.Context, []partition.Key) error { integrateRegister = true; return nil }}})
	events := []late.Event{{Partition: keys[0].Path()}, {Partition: keys[2].Path()}, {Partition: keys[0].Path()}}
	st, err := h.Handle(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]partition.Key{keys[0], keys[2]}, st.Compacted); diff != "" {
		t.Errorf("compacted (-want +got):\n%s", diff)
	}
	if integrateRegister {
		t.Error("Integrate.Register called instead of HandlerOptions.Register")
	}
	ps, err := cat.ListPartitions(ctx, catalog.DatabaseIntegrated, catalog.ReadingsTableName, nil)
	if err != nil {
		t.Fatalf("readings table: %v", err)
	}
	var want []catalog.Partition
	for _, k := range []partition.Key{keys[0], keys[2]} {
		want = append(want, catalog.Partition{Values: catalog.ReadingsValues(k), Location: "s3://lake/" + k.Path()})
	}
	if diff := cmp.Diff(want, ps); diff != "" {
		t.Errorf("registered partitions (-want +got):\n%s", diff)
	}

	// A failing hook fails the re-integration.
	h = late.NewHandler(lake, &late.HandlerOptions{Register: func(context.Context, []partition.Key) error { return errors.New("catalog down") }})
	if _, err := h.Handle(ctx, events[1:2]); err == nil || !strings.Contains(err.Error(), "catalog down") {
		t.Errorf("failing hook: %v", err)
	}
}
