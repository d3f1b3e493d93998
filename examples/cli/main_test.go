package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	natsserver "github.com/nats-io/nats-server/v2/test"

	"github.com/openmda/mda"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestCLIEndToEnd runs the README's commands: simulate, ingest, query.
func TestCLIEndToEnd(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "readings.csv.gz")
	lake := "file://" + filepath.Join(dir, "lake")
	code, out, errs := runCLI(t, "simulate", "--meters", "20", "--days", "2", "--seed", "4", "--bad-fraction", "0.01", "--out", file)
	if code != 0 {
		t.Fatalf("simulate: exit %d: %s%s", code, out, errs)
	}
	if !strings.Contains(out, "3840 lines") {
		t.Errorf("simulate output: %s", out)
	}
	code, out, errs = runCLI(t, "ingest", "--lake", lake, "--workers", "3", "--ranges", "5", "--quiet", file)
	if code != 0 {
		t.Fatalf("ingest: exit %d: %s%s", code, out, errs)
	}
	for _, want := range []string{"records read", "reads staged", "reads written", "23040", "lines quarantined", "partitions", "files", "elapsed", "records/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "lines quarantined             0") {
		t.Errorf("bad lines were not quarantined:\n%s", out)
	}
	id := "503d4c60-3ff0-3d2b-9ea0-6fb5b0078031"
	code, out, errs = runCLI(t, "query", "--lake", lake, "--meter", id, "--type", "kw,vltg", "--from", "2024-03-01", "--to", "2024-03-01")
	if code != 0 {
		t.Fatalf("query: exit %d: %s%s", code, out, errs)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// One day, its reads stamped 00:15 to the next midnight, two types:
	// 96 x 2 reads plus the header.
	if len(rows) != 1+2*96 {
		t.Errorf("query returned %d rows, want %d", len(rows)-1, 2*96)
	}
	for _, r := range rows[1:] {
		if r[0] != id || (r[1] != "kw" && r[1] != "vltg") || (r[1] == "vltg" && r[4] != "V") {
			t.Fatalf("unexpected row %v", r)
		}
	}
	code, out, _ = runCLI(t, "query", "--lake", lake, "--meter", id, "--hourly", "--from", "2024-03-02", "--to", "2024-03-02", "--format", "json")
	if code != 0 || !strings.Contains(out, `"kwh"`) {
		t.Fatalf("hourly query: exit %d: %s", code, out)
	}
	// Integration registered the partitions in the lake's manifest catalog.
	code, out, errs = runCLI(t, "catalog", "sync", "--lake", lake, "--dry-run")
	if code != 0 || !strings.Contains(out, "would add 0") || !strings.Contains(out, "294 partitions in the lake, 294 in the catalog") {
		t.Errorf("catalog after ingest: exit %d: %s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "catalog", "ddl", "--projection")
	if code != 0 || !strings.Contains(out, "CREATE EXTERNAL TABLE") || !strings.Contains(out, "projection.enabled") {
		t.Errorf("catalog ddl: exit %d: %s%s", code, out, errs)
	}
	// --strict turns the first bad line into a non-zero exit with its ParseError.
	code, _, errs = runCLI(t, "ingest", "--lake", lake, "--strict", "--quiet", file)
	if code != 1 || !strings.Contains(errs, "hes-csv: line ") {
		t.Errorf("strict ingest: exit %d, stderr %q", code, errs)
	}
}

// TestCLILateReads: simulate with late and duplicate reads; the late ones
// are counted as late (unless --late-grace covers them) and end up in their
// partitions, every duplicate is counted; a second ingest of the same file
// is a reported no-op, and a forced one changes nothing and finds nothing late.
func TestCLILateReads(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "late.csv.gz")
	lake := "file://" + filepath.Join(dir, "lake")
	code, out, errs := runCLI(t, "simulate", "--meters", "10", "--days", "3", "--late-fraction", "0.05", "--late-offset", "24h",
		"--duplicate-fraction", "0.02", "--out", file)
	if code != 0 {
		t.Fatalf("simulate: %s%s", out, errs)
	}
	m := regexp.MustCompile(`, (\d+) duplicate,`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("simulate output has no duplicate count: %s", out)
	}
	dupLines, _ := strconv.Atoi(m[1])
	wantDups := fmt.Sprintf("%d of this input's were duplicates, dropped)", 6*dupLines)
	code, out, errs = runCLI(t, "ingest", "--lake", lake, "--quiet", file)
	if code != 0 {
		t.Fatalf("ingest: %s%s", out, errs)
	}
	if strings.Contains(out, "(0 late)") || !strings.Contains(out, "late)") || noLateEvents.MatchString(out) {
		t.Errorf("late reads not counted:\n%s", out)
	}
	if !strings.Contains(out, "reads written             17280") {
		t.Errorf("want all 10 x 3 x 96 x 6 reads in the lake:\n%s", out)
	}
	if dupLines == 0 || !strings.Contains(out, wantDups) {
		t.Errorf("want %q:\n%s", wantDups, out)
	}
	code, out2, errs := runCLI(t, "ingest", "--lake", lake, "--quiet", file)
	if code != 0 || !strings.Contains(out2, "already ingested late.csv.gz") || !strings.Contains(out2, "--force ingests it again") {
		t.Fatalf("second ingest: %s%s", out2, errs)
	}
	code, out3, errs := runCLI(t, "ingest", "--lake", lake, "--quiet", "--force", file)
	if code != 0 || !strings.Contains(out3, "reads written             17280") {
		t.Fatalf("forced ingest: %s%s", out3, errs)
	}
	// Re-delivered reads are not late, and all were in the lake already.
	if !strings.Contains(out3, "(0 late)") || !noLateEvents.MatchString(out3) || !strings.Contains(out3, fmt.Sprintf("%d of this input's were duplicates", 17280+6*dupLines)) {
		t.Errorf("forced ingest of a file in the lake:\n%s", out3)
	}
	if code, out, errs := runCLI(t, "integrate", "--lake", lake); code != 0 || !strings.Contains(out, "integrated 0 range commits") {
		t.Errorf("integrate with nothing staged: exit %d %s%s", code, out, errs)
	}
	// A grace longer than the lateness: nothing is late.
	code, out, errs = runCLI(t, "ingest", "--lake", "file://"+filepath.Join(dir, "lake2"), "--quiet", "--late-grace", "48h", file)
	if code != 0 || !strings.Contains(out, "(0 late)") || !strings.Contains(out, "reads written             17280") {
		t.Errorf("ingest --late-grace 48h: exit %d: %s%s", code, out, errs)
	}
}

var noLateEvents = regexp.MustCompile(`late events +0 `)

// TestCLIIngestQueue: --queue takes a pubsub URL; nats:// reaches the
// server NATS_SERVER_URL names (here an embedded one).
func TestCLIIngestQueue(t *testing.T) {
	// One server for the test binary: natspubsub connects to
	// NATS_SERVER_URL once per process.
	startNATS()
	dir := t.TempDir()
	file := filepath.Join(dir, "readings.csv")
	if code, out, errs := runCLI(t, "simulate", "--meters", "5", "--days", "1", "--out", file); code != 0 {
		t.Fatalf("simulate: %s%s", out, errs)
	}
	code, out, errs := runCLI(t, "ingest", "--lake", "file://"+filepath.Join(dir, "lake"), "--quiet", "--ranges", "3", "--queue", "nats://mda.cli.ranges", file)
	if code != 0 || !strings.Contains(out, "reads written              2880") {
		t.Fatalf("ingest over nats://: exit %d: %s%s", code, out, errs)
	}
	code, _, errs = runCLI(t, "ingest", "--lake", "file://"+filepath.Join(dir, "lake3"), "--quiet", "--queue", "nosuch://q", file)
	if code != 1 || !strings.Contains(errs, "nosuch") {
		t.Errorf("--queue nosuch://q: exit %d, %s", code, errs)
	}
}

var natsOnce struct {
	sync.Once
	url string
	srv *server.Server
}

// startNATS starts the test binary's NATS server once: natspubsub
// connects to NATS_SERVER_URL once per process.
func startNATS() *server.Server {
	natsOnce.Do(func() {
		natsOnce.srv = natsserver.RunRandClientPortServer()
		natsOnce.url = natsOnce.srv.ClientURL()
		os.Setenv("NATS_SERVER_URL", natsOnce.url)
	})
	return natsOnce.srv
}

// TestProgressIntegrate: integration's progress counts partitions, not bytes.
func TestProgressIntegrate(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf)
	p.ingest(mda.Progress{Stage: "integrate", Done: 12, Total: 12, Reads: 100})
	if got := buf.String(); !strings.Contains(got, "12 of 12 partitions") || strings.Contains(got, "MB") {
		t.Errorf("integrate progress: %q", got)
	}
}

func TestCLIDemo(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runCLI(t, "demo", "--lake", "file://"+dir, "--meters", "15", "--days", "2", "--quiet")
	if code != 0 {
		t.Fatalf("demo: exit %d: %s%s", code, out, errs)
	}
	for _, want := range []string{"1. simulating 15 meters", "reads written", "hourly consumption", "total", "kWh"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "readings", "reading_type=kw")); err != nil {
		t.Errorf("no kw partitions in the lake: %v", err)
	}
}

func TestCLIUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Commands:"},
		{[]string{"help"}, 0, "Commands:"},
		{[]string{"nope"}, 2, `unknown command "nope"`},
		{[]string{"ingest", "-h"}, 0, "Usage: mda ingest"},
		{[]string{"forecast"}, 2, "Subcommands:"},
		{[]string{"grid", "nope"}, 2, `mda grid: unknown subcommand "nope"`},
		// Bad ranges are named as typed (a day as --to is not shown as the next midnight).
		{[]string{"grid", "outages", "--from", "2024-03-08", "--to", "2024-03-01"}, 1, "grid: bad request: --to 2024-03-01 is before --from 2024-03-08\n"},
		{[]string{"grid", "rollup", "--from", "2024-03-08T06:00:00Z", "--to", "2024-03-08T06:00:00Z"}, 1,
			"--to 2024-03-08T06:00:00Z is not after --from 2024-03-08T06:00:00Z: the range is empty"},
		{[]string{"grid", "loading", "--from", "20240308", "--to", "2024-03-07"}, 1, "--to 2024-03-07 is before --from 20240308"},
		{[]string{"catalog", "help"}, 0, "ddl"},
		{[]string{"ingest"}, 2, "Usage: mda ingest"},
		{[]string{"ingest", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"query", "--meter", "x", "--from", "yesterday"}, 1, "--from"},
		{[]string{"query", "--meter", "x", "--type", "watts"}, 1, `unknown reading type "watts"`},
		{[]string{"simulate", "--meters", "-3", "--out", "/dev/null"}, 1, "--meters must be at least 1, got -3"},
		// Zero is not the simulator's default on the command line.
		{[]string{"simulate", "--meters", "0", "--out", "/dev/null"}, 1, "--meters must be at least 1, got 0"},
		{[]string{"simulate", "--days", "0", "--out", "/dev/null"}, 1, "--days must be at least 1, got 0"},
		{[]string{"demo", "--days", "-1", "--lake", "mem://"}, 1, "--days must be at least 1, got -1"},
		{[]string{"serve-hes", "--days", "0"}, 1, "--meters and --days must be at least 1, got 1000 and 0"},
		{[]string{"simulate", "--start", "2024/03/01", "--out", "/dev/null"}, 1, `--start: want a day YYYY-MM-DD (UTC), e.g. 2024-03-01, got "2024/03/01"`},
		// A usage error says why before the usage.
		{[]string{"query", "--from", "2024-03-01"}, 2, "mda query: --meter is required\n\nUsage: mda query"},
		{[]string{"query", "--meter", "x", "--format", "xml"}, 2, `mda query: unknown --format "xml": want csv or json`},
		{[]string{"query", "--meter", "x", "extra"}, 2, `mda query: unexpected argument "extra"`},
		{[]string{"grid", "outages", "--format", "xml"}, 2, `mda grid outages: unknown --format "xml"`},
		{[]string{"grid", "voltvar"}, 2, "mda grid voltvar: --transformer is required"},
		{[]string{"fetch"}, 2, "mda fetch: --source is required"},
		{[]string{"serve", "extra"}, 2, `mda serve: unexpected argument "extra"`},
		{[]string{"forecast", "run", "--horizon", "0"}, 2, "mda forecast run: --horizon must be at least 1, got 0"},
		{[]string{"forecast", "backtest", "--csv", "x.csv"}, 2, "mda forecast backtest: --protocol is required"},
		{[]string{"ingest"}, 2, "mda ingest: no FILE to ingest"},
		// --from after --to is an empty range, with --hourly or without.
		{[]string{"query", "--meter", "x", "--from", "2024-03-01", "--to", "2024-02-01", "--lake", "mem://"}, 1, "--from 2024-03-01 --to 2024-02-01 is an empty range"},
		// bench lists its subcommands like every command with subcommands.
		{[]string{"bench", "-h"}, 0, "Usage: mda bench SUBCOMMAND"},
		{[]string{"bench"}, 2, "forecast"},
		{[]string{"bench", "nope"}, 2, `mda bench: unknown subcommand "nope"`},
		{[]string{"help"}, 0, "NEM12"},
		{[]string{"ingest", "--lake", "nosuch://x", "f.csv"}, 1, "nosuch"},
		{[]string{"ingest", "--quiet", "--lake", "mem://", "/nonexistent/file.csv"}, 1, "file.csv"},
	}
	for _, tt := range tests {
		code, out, errs := runCLI(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errs, tt.want) {
			t.Errorf("mda %v: exit %d, output %q; want exit %d and %q", tt.args, code, out+errs, tt.code, tt.want)
		}
	}
}

// TestCLIIngestMappedCSV: a CSV of any layout, named by --map, in local
// time across a DST change.
func TestCLIIngestMappedCSV(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "reads.csv")
	csv := "meter;when;kwh\n" +
		"m1;2024-03-31 00:30:00;0.5\n" + // Europe/London: spring forward at 01:00 UTC
		"m1;2024-03-31 02:30:00;0.7\n" +
		"m1;2024-03-31 03:00:00;0.9\n"
	if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	lake := "file://" + filepath.Join(dir, "lake")
	code, out, errs := runCLI(t, "ingest", "--lake", lake, "--quiet", "--format", "csv", "--tz", "Europe/London",
		"--map", "delim=;,header,meter=1,time=2,value=3,type=kwh,ending", file)
	if code != 0 || !strings.Contains(out, "reads written                 3") {
		t.Fatalf("ingest: exit %d: %s%s", code, out, errs)
	}
	code, out, _ = runCLI(t, "query", "--lake", lake, "--meter", "m1", "--type", "kwh", "--from", "2024-03-31", "--to", "2024-03-31")
	if code != 0 || !strings.Contains(out, "2024-03-31T00:30:00Z") || !strings.Contains(out, "2024-03-31T01:30:00Z") || !strings.Contains(out, "2024-03-31T02:00:00Z") {
		t.Errorf("local times not converted through the DST change:\n%s", out)
	}
	if code, _, errs := runCLI(t, "ingest", "--lake", lake, "--quiet", "--map", "bogus=1", file); code != 1 || !strings.Contains(errs, "unknown key") {
		t.Errorf("bad --map: exit %d, %s", code, errs)
	}
}

// TestCLIMissingLake: the commands that read the lake refuse a file://
// lake that does not exist, with the lake's URL, and do not create it
// (mda.OpenBucket would, and the mistyped lake read as empty, exit 0).
func TestCLIMissingLake(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mda-dta")
	lake := "file://" + filepath.ToSlash(dir)
	for _, args := range [][]string{
		{"query", "--meter", "m", "--from", "2024-03-01", "--to", "2024-03-01"},
		{"query", "--meter", "m", "--hourly"},
		{"grid", "outages", "--from", "2024-03-01", "--to", "2024-03-08"},
		{"grid", "rollup", "--from", "2024-03-01", "--to", "2024-03-08"},
		{"grid", "loading", "--from", "2024-03-01", "--to", "2024-03-08"},
		{"grid", "voltvar", "--transformer", "t"},
		{"serve", "--addr", "127.0.0.1:0"},
		{"forecast", "train", "--quiet"},
		{"forecast", "run", "--quiet"},
		{"forecast", "anomalies", "--quiet"},
		{"catalog", "sync"},
		{"bench", "query", "--runs", "1"},
	} {
		code, out, errs := runCLI(t, append(args, "--lake", lake)...)
		if code != 1 || !strings.Contains(errs, "lake "+lake+" does not exist") {
			t.Errorf("mda %s on a missing lake: exit %d: %s%s", strings.Join(args, " "), code, out, errs)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Fatalf("mda %s created the missing lake", strings.Join(args, " "))
		}
	}
}

// TestCLICatalogDDLPlaceholder: catalog ddl without --lake-location says
// on stderr that its LOCATION is a placeholder, and with it does not.
func TestCLICatalogDDLPlaceholder(t *testing.T) {
	code, out, errs := runCLI(t, "catalog", "ddl")
	if code != 0 || !strings.Contains(out, "s3://your-lake-bucket/readings/") || !strings.Contains(errs, "placeholder") {
		t.Errorf("catalog ddl: exit %d, stderr %q", code, errs)
	}
	code, out, errs = runCLI(t, "catalog", "ddl", "--lake-location", "s3://lake/")
	if code != 0 || !strings.Contains(out, "s3://lake/readings/") || errs != "" {
		t.Errorf("catalog ddl --lake-location: exit %d, stderr %q", code, errs)
	}
}
