package grid_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gocloud.dev/blob"

	"github.com/openmda/mda/grid"
	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/meter"
)

// TestDetectOutagesLookBack: an outage that began before the window is
// found from the meters' reads in the look-back before it, even when its
// meters are silent all through the window, and dated from their last
// supplied reads. Meters m1..m4 (handTopology: st1 feeds m1 and m2, st2 m3
// and m4) read kW and voltage every 15 minutes of two days, except as each
// case says.
func TestDetectOutagesLookBack(t *testing.T) {
	ctx := context.Background()
	st1 := []string{"m1", "m2"}
	day2 := [2]time.Time{at(24, 0), at(48, 0)}
	// out is the state of meter m at time tm: supplied, silent or dead.
	type state int
	const (
		supplied state = iota
		silent
		dead
	)
	st1From := func(from, to time.Time, s state) func(string, time.Time) state {
		return func(m string, tm time.Time) state {
			if (m == "m1" || m == "m2") && !tm.Before(from) && tm.Before(to) {
				return s
			}
			return supplied
		}
	}
	ev := func(level topology.Level, id string, start, end time.Time, kind string, ongoing bool, meters ...string) grid.OutageEvent {
		return grid.OutageEvent{Level: level, ID: id, Start: start, End: end, Ongoing: ongoing, StartedBefore: true, Kind: kind, MeterIDs: meters}
	}
	tests := []struct {
		name   string
		out    func(m string, tm time.Time) state
		topo   *topology.Topology
		window [2]time.Time
		opts   *grid.OutageOptions
		want   []grid.OutageEvent
	}{
		{"a transformer silent through the window", st1From(at(10, 0), at(99, 0), silent), handTopology(), day2, nil,
			[]grid.OutageEvent{ev(topology.LevelServiceTransformer, "st1", at(10, 0), at(48, 0), grid.OutageSilent, true, st1...)}},
		{"a transformer back during the window", st1From(at(10, 0), at(30, 0), silent), handTopology(), day2, nil,
			[]grid.OutageEvent{ev(topology.LevelServiceTransformer, "st1", at(10, 0), at(30, 0), grid.OutageSilent, false, st1...)}},
		{"a transformer out from the window's first read", st1From(at(24, 0), at(30, 0), silent), handTopology(), day2, nil,
			[]grid.OutageEvent{ev(topology.LevelServiceTransformer, "st1", at(24, 0), at(30, 0), grid.OutageSilent, false, st1...)}},
		{"a transformer dead through the window", st1From(at(10, 0), at(99, 0), dead), handTopology(), day2, nil,
			[]grid.OutageEvent{ev(topology.LevelServiceTransformer, "st1", at(10, 0), at(48, 0), grid.OutageZeroVoltage, true, st1...)}},
		{"no topology: the meters", st1From(at(10, 0), at(99, 0), silent), nil, day2, nil,
			[]grid.OutageEvent{ev(topology.LevelMeter, "m1", at(10, 0), at(48, 0), grid.OutageSilent, true, "m1"),
				ev(topology.LevelMeter, "m2", at(10, 0), at(48, 0), grid.OutageSilent, true, "m2")}},
		// Silent for longer than the look-back before the window: their
		// last reads are too old for the meters to count as monitored.
		{"silent since before the look-back", st1From(at(10, 0), at(99, 0), silent), handTopology(), day2,
			&grid.OutageOptions{LookBack: 6 * time.Hour}, nil},
		{"no look-back", st1From(at(10, 0), at(99, 0), silent), handTopology(), day2, &grid.OutageOptions{LookBack: -1}, nil},
		// Out at the window's start but reading in it, with no look-back:
		// dated from the window's start, as before there was one.
		{"no look-back, back during the window", st1From(at(10, 0), at(30, 0), silent), handTopology(), day2,
			&grid.OutageOptions{LookBack: -1},
			[]grid.OutageEvent{ev(topology.LevelServiceTransformer, "st1", at(24, 0), at(30, 0), grid.OutageSilent, false, st1...)}},
		// Only m1 out, since before its look-back: it read in the window's
		// second half, so it is monitored, and out from the window's start.
		{"a meter silent since before its look-back", func(m string, tm time.Time) state {
			if m == "m1" && tm.Before(at(36, 0)) {
				return silent
			}
			return supplied
		}, handTopology(), day2, nil,
			[]grid.OutageEvent{ev(topology.LevelMeter, "m1", at(24, 0), at(36, 0), grid.OutageSilent, false, "m1")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lake, err := blob.OpenBucket(ctx, "mem://")
			if err != nil {
				t.Fatal(err)
			}
			defer lake.Close()
			var rs []meter.Reading
			for tm := at(0, 15); !tm.After(at(48, 0)); tm = tm.Add(15 * time.Minute) {
				for _, m := range []string{"m1", "m2", "m3", "m4"} {
					v := 230.0
					switch tc.out(m, tm) {
					case silent:
						continue
					case dead:
						v = 0
					}
					rs = append(rs, meter.Reading{MeterID: m, Type: meter.TypeKW, Value: 1, Time: tm},
						meter.Reading{MeterID: m, Type: meter.TypeVoltage, Value: v, Time: tm})
				}
			}
			writeReads(t, lake, rs)
			got, err := grid.DetectOutages(ctx, lake, tc.topo, tc.window[0], tc.window[1], tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(grid.OutageEvent{}, "Latitude", "Longitude")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
