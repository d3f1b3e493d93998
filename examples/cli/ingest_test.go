package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestIngestBackfill: an older file ingested after a newer one is nearly
// all late, and the summary says so and points at --backfill; with
// --backfill the summary says that late detection was off and no event
// was sent.
func TestIngestBackfill(t *testing.T) {
	dir := t.TempDir()
	newer, older := filepath.Join(dir, "newer.csv"), filepath.Join(dir, "older.csv")
	for _, f := range []struct{ file, start string }{{newer, "2024-03-03"}, {older, "2024-03-01"}} {
		if code, out, errs := runCLI(t, "simulate", "--meters", "5", "--days", "1", "--start", f.start, "--out", f.file); code != 0 {
			t.Fatalf("simulate: exit %d: %s%s", code, out, errs)
		}
	}
	for _, backfill := range []bool{false, true} {
		lake := "file://" + filepath.ToSlash(t.TempDir())
		if code, out, errs := runCLI(t, "ingest", "--lake", lake, "--quiet", newer); code != 0 {
			t.Fatalf("ingest: exit %d: %s%s", code, out, errs)
		}
		args := []string{"ingest", "--lake", lake, "--quiet"}
		if backfill {
			args = append(args, "--backfill")
		}
		args = append(args, older)
		code, out, errs := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("ingest %v: exit %d: %s%s", args, code, out, errs)
		}
		var want, notWant []string
		if backfill {
			want = []string{"(backfill: late detection off)", "late events                   0 (backfill: none sent"}
			notWant = []string{"late)", "--backfill loads it"}
		} else {
			want = []string{"(2880 late)", "late events                 150 (one per late partition", "--backfill loads it"}
			notWant = []string{"backfill:"}
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("backfill %v: summary lacks %q:\n%s", backfill, w, out)
			}
		}
		for _, w := range notWant {
			if strings.Contains(out, w) {
				t.Errorf("backfill %v: summary says %q:\n%s", backfill, w, out)
			}
		}
	}
}
