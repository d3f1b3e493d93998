package main

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/examples/lambda/internal/lambdatest"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/simulator"
	"github.com/openmda/mda/staging"
)

// TestIntegrator invokes the integrator with the scheduled event of its
// EventBridge rule and checks its result and the lake.
func TestIntegrator(t *testing.T) {
	const lockedPart = "readings/reading_type=kw/year=2024/month=03/day=01/hour=05/"
	tests := []struct {
		name   string
		stage  bool
		locked string
		fault  bool
		// want are the results of successive runs over the staged commits
		// (Files, Inputs, Duplicates, Bytes and ElapsedMS are not compared).
		want    func(staged []*staging.Commit) []handler.IntegratorResult
		wantErr string
	}{{
		name:  "integrates every committed range",
		stage: true,
		want: func([]*staging.Commit) []handler.IntegratorResult {
			// A day's reads end 00:15 to 24:00: 25 partition hours.
			return []handler.IntegratorResult{{Commits: 3, Partitions: 6 * 25, Reads: 3 * 96 * 6, Sources: 1}}
		},
	}, {
		name:   "a locked partition is left for the next run, not an error",
		stage:  true,
		locked: lockedPart,
		want: func(staged []*staging.Commit) []handler.IntegratorResult {
			// The commits of the ranges with reads in the locked hour wait,
			// whole, for the next run, which compacts all their partitions
			// again (de-duplicating what the first run put there: 3 meters
			// x 4 reads each) and completes the source.
			held, parts := 0, map[string]bool{}
			for _, c := range staged {
				if slices.ContainsFunc(c.Files, func(f staging.File) bool { return f.Partition == lockedPart }) {
					held++
					for _, f := range c.Files {
						parts[f.Partition] = true
					}
				}
			}
			var heldReads int64 // the reads of those partitions, from every commit
			for _, c := range staged {
				for _, f := range c.Files {
					if parts[f.Partition] {
						heldReads += f.Reads
					}
				}
			}
			return []handler.IntegratorResult{
				{Commits: 3 - held, Partitions: 6*25 - 1, Reads: 3*96*6 - 3*4, Locked: 1},
				{Commits: held, Partitions: len(parts), Reads: heldReads, Sources: 1},
			}
		},
	}, {
		name: "nothing staged",
		want: func([]*staging.Commit) []handler.IntegratorResult { return []handler.IntegratorResult{{}} },
	}, {
		name:    "the lake fails",
		stage:   true,
		fault:   true,
		wantErr: "staging: list commits",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			env := lambdatest.New(t)
			csv, g := lambdatest.CSV(t, simulator.Options{Meters: 3, Days: 1, Seed: 9})
			var staged []*staging.Commit
			if tc.stage {
				staged = env.Stage(t, "data/landing/hes-2024-03-01.csv", csv, &ranges.SplitOptions{Ranges: 3})
			}
			env.Vars["LOCK_WAIT"] = "200ms"
			h, err := handler.NewIntegrator(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "debug"))
			if err != nil {
				t.Fatal(err)
			}
			release := func() {}
			if tc.locked != "" {
				release = lambdatest.HoldLock(t, env.Lake, tc.locked)
			}
			if tc.fault {
				env.S3.FailNext(http.MethodGet, "/"+lambdatest.LakeBucket, lambdatest.SDKAttempts)
			}
			event := lambdatest.Testdata(t, "scheduled-event.json")
			if tc.wantErr != "" {
				_, err := lambdatest.Invoke(ctx, h.Handle, event)
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			for i, want := range tc.want(staged) {
				out, err := lambdatest.Invoke(ctx, h.Handle, event)
				if err != nil {
					t.Fatalf("run %d: %v", i+1, err)
				}
				var got handler.IntegratorResult
				if err := json.Unmarshal(out, &got); err != nil {
					t.Fatalf("response %s: %v", out, err)
				}
				got.Files, got.Inputs, got.Duplicates, got.Bytes, got.ElapsedMS = 0, 0, 0, 0, 0
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("run %d (-want +got):\n%s", i+1, diff)
				}
				release() // the other integrator finishes between runs
			}
			if !tc.stage {
				return
			}
			truth, err := g.Truth()
			if err != nil {
				t.Fatal(err)
			}
			lambdatest.SortReads(truth)
			if diff := cmp.Diff(truth, lambdatest.Lake(t, env.Lake)); diff != "" {
				t.Errorf("lake differs from the truth (-want +got):\n%s", diff)
			}
			if left := lambdatest.Keys(t, env.Lake, staging.Prefix+"readings/"); len(left) != 0 {
				t.Errorf("staging files left after integration: %v", left)
			}
		})
	}
}

func TestIntegratorConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"no lake", map[string]string{}, "LAKE_URL is not set"},
		{"bad concurrency", map[string]string{"LAKE_URL": "mem://", "CONCURRENCY": "0"}, `CONCURRENCY="0"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := handler.NewIntegrator(context.Background(), lambdaenv.New(lambdaenv.Map(tc.vars)), lambdaenv.Logger(t.Output(), ""))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
