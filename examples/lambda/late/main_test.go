package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/examples/lambda/internal/lambdatest"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/staging"
)

// The records of testdata/sqs-late-events.json: a late event as the
// workers send it to SQS, one wrapped in an SNS envelope, one without a
// partition and one whose partition is not a partition path.
const (
	hour0 = "a1f0c2b4-6d1e-4c4a-9a57-0b8e5a1c3d01"
	hour1 = "b2e1d3c5-7f2a-4d5b-8b68-1c9f6b2d4e02"
	noPar = "c3d2e4f6-8a3b-4e6c-9c79-2daf7c3e5f03"
	badPa = "d4e3f5a7-9b4c-4f7d-8d8a-3eb08d4f6a04"

	part0 = "readings/reading_type=kw/year=2024/month=03/day=01/hour=00/"
	part1 = "readings/reading_type=kw/year=2024/month=03/day=01/hour=01/"
)

const meters = 5

// TestLate invokes the late-read handler with a batch of late events and
// checks that exactly the partitions they name are re-integrated, and that
// the events it could not handle are reported for redelivery.
func TestLate(t *testing.T) {
	tests := []struct {
		name string
		// locked is a partition another integrator holds meanwhile.
		locked       string
		want         []string
		wantIntegral []string // partitions in the lake afterwards
	}{{
		name:         "raw, SNS-wrapped and malformed events",
		want:         []string{noPar, badPa},
		wantIntegral: []string{part0, part1},
	}, {
		name:   "a partition held by the scheduled integrator",
		locked: part1,
		want:   []string{hour1, noPar, badPa},
		// part1 is the lock holder's work, written before it paused.
		wantIntegral: []string{part0, part1},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			env := lambdatest.New(t)
			csv, _ := lambdatest.CSV(t, simulator.Options{Meters: meters, Days: 1, Seed: 5})
			env.Stage(t, "data/landing/hes-2024-03-02.csv", csv, nil)
			env.Vars["LOCK_WAIT"] = "200ms"
			if tc.locked != "" {
				defer lambdatest.HoldLock(t, env.Lake, tc.locked)()
			}
			h, err := handler.NewLate(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "debug"))
			if err != nil {
				t.Fatal(err)
			}
			out, err := lambdatest.Invoke(ctx, h.Handle, lambdatest.Testdata(t, "sqs-late-events.json"))
			if err != nil {
				t.Fatalf("%v (the handler must answer with a partial batch response, not fail)", err)
			}
			if diff := cmp.Diff(tc.want, lambdatest.Failures(t, out)); diff != "" {
				t.Errorf("failed messages (-want +got):\n%s", diff)
			}
			// Only the named partitions are compacted into the lake, each
			// with every meter's reads of the hour.
			var got []string
			for _, k := range lambdatest.Keys(t, env.Lake, partition.Prefix) {
				got = append(got, k[:strings.LastIndex(k, "/")+1])
			}
			if diff := cmp.Diff(tc.wantIntegral, got); diff != "" {
				t.Errorf("partitions in the lake (-want +got):\n%s", diff)
			}
			for _, p := range tc.wantIntegral {
				k, _ := partition.ParseKey(p)
				reads, _, err := partition.ReadAll(ctx, env.Lake, &partition.Filter{Types: []meter.Type{k.Type}, From: k.Hour, To: k.Hour.Add(time.Hour)})
				if err != nil {
					t.Fatal(err)
				}
				// Reads end their intervals: the window's first hour
				// holds 00:15, 00:30 and 00:45.
				want := meters * 4
				if p == part0 {
					want = meters * 3
				}
				if len(reads) != want {
					t.Errorf("%s holds %d reads, want %d", p, len(reads), want)
				}
			}
			// A partial re-integration consumes nothing: the scheduled
			// integrator still finds every commit.
			commits, err := staging.ListCommits(ctx, env.Lake, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range commits {
				if c.Integrated {
					t.Errorf("commit of range %d marked integrated by a late-read run", c.Message.Range.Index)
				}
			}
		})
	}
}

func TestLateConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"no lake", map[string]string{}, "LAKE_URL is not set"},
		{"bad lock wait", map[string]string{"LAKE_URL": "mem://", "LOCK_WAIT": "soon"}, `LOCK_WAIT="soon"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := handler.NewLate(context.Background(), lambdaenv.New(lambdaenv.Map(tc.vars)), lambdaenv.Logger(t.Output(), ""))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
