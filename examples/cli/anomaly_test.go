package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCLIAnomalyEval runs "mda anomaly eval" on a small long CSV of two
// synthetic households.
func TestCLIAnomalyEval(t *testing.T) {
	path := filepath.Join(t.TempDir(), "long.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "meter_id,time,value")
	start := time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC)
	for m, id := range []string{"a", "b"} {
		for i := range 150 * 48 {
			ts := start.Add(time.Duration(i) * 30 * time.Minute)
			h := float64(ts.Hour()) + float64(ts.Minute())/60
			v := (0.1 + 0.05*float64(m)) * (1.5 + math.Sin(2*math.Pi*h/24) + 0.1*math.Sin(float64(i)*1.7))
			fmt.Fprintf(w, "%s,%s,%.3f\n", id, ts.Format(time.DateTime), v)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	code, out, errs := runCLI(t, "anomaly", "eval", "--csv", path, "--per-kind", "2", "--seed", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var v struct {
		Seed    uint64                    `json:"seed"`
		PerKind int                       `json:"per_kind"`
		Kinds   map[string]map[string]any `json:"kinds"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &v); err != nil {
		t.Fatalf("last line is not JSON: %v\n%s", err, out)
	}
	if v.Seed != 3 || v.PerKind != 2 || len(v.Kinds) != 7 || v.Kinds["flat"]["injected"] != 4.0 {
		t.Errorf("JSON %+v", v)
	}
	for _, want := range []string{"precision", "recall", "F1", "spike", "drop", "dip/hour"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"anomaly"}, 2, "Subcommands:"},
		{[]string{"anomaly", "eval"}, 2, "Usage: mda anomaly eval"},
		{[]string{"anomaly", "eval", "--csv", filepath.Join(t.TempDir(), "none.csv")}, 1, "none.csv"},
		{[]string{"help"}, 0, "anomaly"},
	} {
		code, out, errs := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.want) {
			t.Errorf("mda %v: exit %d, %q; want exit %d and %q", tc.args, code, out+errs, tc.code, tc.want)
		}
	}
}
