package mda_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"gocloud.dev/blob"

	"github.com/openmda/mda"
	"github.com/openmda/mda/internal/sortedmem"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/openmda/mda/ranges"
	"github.com/openmda/mda/simulator"
)

func newGenerator(t testing.TB, opts simulator.Options) *simulator.Generator {
	t.Helper()
	g, err := simulator.New(&opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// csvOf returns the generator's uncompressed CSV.
func csvOf(t testing.TB, g *simulator.Generator) ([]byte, simulator.Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := g.WriteCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), st
}

func compress(t testing.TB, codec string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch codec {
	case "gzip":
		w := gzip.NewWriter(&buf)
		w.Write(data)
		w.Close()
	case "zstd":
		w, _ := zstd.NewWriter(&buf)
		w.Write(data)
		w.Close()
	default:
		return data
	}
	return buf.Bytes()
}

func openBucket(t testing.TB, url string) *blob.Bucket {
	t.Helper()
	b, err := mda.OpenBucket(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// memLake is a new memory lake, closed when t ends: a sortedmem bucket,
// memblob's (mem://) but for its listings, which do not sort every key of
// the bucket, so that a lake of a year of hourly partitions is not
// quadratic to write and read.
func memLake(t testing.TB) *blob.Bucket {
	t.Helper()
	b := sortedmem.Open()
	t.Cleanup(func() { b.Close() })
	return b
}

// diffReads is cmp.Diff(want, got), with a fast path for equal reads:
// go-cmp's reflection over the reads of a whole lake took half of a round
// trip's time.
func diffReads(want, got []meter.Reading) string {
	// every field of a Reading, compared as cmp compares it: this stops
	// compiling if Reading gains a field that same would not compare
	_ = struct {
		MeterID string
		Type    meter.Type
		Value   float64
		Time    time.Time
		Source  string
		Arrival time.Time
		Quality meter.Quality
	}(meter.Reading{})
	same := func(a, b meter.Reading) bool {
		return a.MeterID == b.MeterID && a.Type == b.Type && a.Value == b.Value && a.Time.Equal(b.Time) &&
			a.Source == b.Source && a.Arrival.Equal(b.Arrival) && a.Quality == b.Quality
	}
	if (want == nil) == (got == nil) && slices.EqualFunc(want, got, same) {
		return ""
	}
	return cmp.Diff(want, got)
}

// quarantined returns the lines quarantined under ErrorsPrefix.
func quarantined(t testing.TB, lake *blob.Bucket) []mda.QuarantinedLine {
	t.Helper()
	var q []mda.QuarantinedLine
	for _, key := range listKeys(t, lake, mda.ErrorsPrefix) {
		b, err := lake.ReadAll(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		for {
			var ql mda.QuarantinedLine
			if err := dec.Decode(&ql); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			q = append(q, ql)
		}
	}
	return q
}

// allReads is the lake's content in a canonical order.
func allReads(t testing.TB, lake *blob.Bucket) []meter.Reading {
	t.Helper()
	reads, _, err := partition.ReadAll(context.Background(), lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	sortReads(reads)
	return reads
}

func sortReads(rs []meter.Reading) {
	slices.SortStableFunc(rs, meter.Compare)
}

// truth is what the lake must hold: the generator's reads, de-duplicated.
func truth(t testing.TB, g *simulator.Generator) []meter.Reading {
	t.Helper()
	reads, err := g.Truth()
	if err != nil {
		t.Fatal(err)
	}
	sortReads(reads)
	return reads
}

// allLineReads are the reads of every good line, duplicates included: the
// foundation's ingest writes what it reads; de-duplication is compaction's job.
func allLineReads(t testing.TB, g *simulator.Generator) []meter.Reading {
	t.Helper()
	var out []meter.Reading
	err := g.Lines(func(l *meter.HESLine) error {
		vals := [6]float64{l.Load, l.Current, l.PF, l.KVA, l.KW, l.Voltage}
		for k, typ := range meter.HESTypes {
			out = append(out, meter.Reading{MeterID: l.DeviceID, Type: typ, Value: vals[k], Time: l.Time.UTC().Truncate(time.Millisecond),
				Source: "B", Arrival: l.Arrival.UTC().Truncate(time.Millisecond), Quality: meter.QualityActual})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sortReads(out)
	return out
}

// TestIngestRoundTrip is the foundation's proof: simulate, ingest with 1, 3
// and 8 workers and odd range counts, and read the lake back: the reads equal
// the generator's, none lost, none doubled.
func TestIngestRoundTrip(t *testing.T) {
	ctx := context.Background()
	g := newGenerator(t, simulator.Options{Meters: 40, Days: 2, Seed: 7})
	data, st := csvOf(t, g)
	want := allLineReads(t, g)
	if int64(len(want)) != st.Reads {
		t.Fatalf("generator: %d reads from Lines, Stats says %d", len(want), st.Reads)
	}
	gz := compress(t, "gzip", data)
	for _, workers := range []int{1, 3, 8} {
		for _, nr := range []int{0, 1, 7, 13, 101} {
			t.Run(fmt.Sprintf("workers=%d/ranges=%d", workers, nr), func(t *testing.T) {
				lake := openBucket(t, "mem://")
				if err := lake.WriteAll(ctx, "inbound/in.csv.gz", gz, nil); err != nil {
					t.Fatal(err)
				}
				opts := &mda.IngestOptions{Workers: workers}
				if nr > 0 {
					opts.Split = &ranges.SplitOptions{Ranges: nr}
				}
				stats, err := mda.Ingest(ctx, lake, lake, "inbound/in.csv.gz", opts)
				if err != nil {
					t.Fatal(err)
				}
				got := allReads(t, lake)
				if diff := diffReads(want, got); diff != "" {
					t.Fatalf("lake differs from the generator (-want +got):\n%s", diff)
				}
				if stats.Lines != st.Lines || stats.Reads != st.Reads || stats.Quarantined != 0 || stats.Compression != "gzip" || stats.Duplicates != 0 {
					t.Errorf("stats %+v, want %d lines, %d reads", stats, st.Lines, st.Reads)
				}
				if nr > 0 && stats.Ranges != nr {
					t.Errorf("%d ranges, want %d", stats.Ranges, nr)
				}
				// The decompressed copy is gone.
				if ok, _ := lake.Exists(ctx, mda.InboundUncompressedPrefix+stats.SourceID+".csv"); ok {
					t.Error("uncompressed copy left behind")
				}
			})
		}
	}
}

func TestIngestFileLakeAndCodecs(t *testing.T) {
	ctx := context.Background()
	g := newGenerator(t, simulator.Options{Meters: 10, Days: 1, Seed: 3, DuplicateFraction: 0.02, LateFraction: 0.05, LateOffset: 6 * time.Hour})
	data, st := csvOf(t, g)
	want := truth(t, g)
	for _, codec := range []string{"", "gzip", "zstd"} {
		t.Run("codec="+codec, func(t *testing.T) {
			lake := openBucket(t, "file://"+t.TempDir())
			in := openBucket(t, "file://"+t.TempDir())
			if err := in.WriteAll(ctx, "readings.csv", compress(t, codec, data), nil); err != nil {
				t.Fatal(err)
			}
			stats, err := mda.Ingest(ctx, lake, in, "readings.csv", &mda.IngestOptions{Split: &ranges.SplitOptions{Ranges: 5}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, allReads(t, lake)); diff != "" {
				t.Fatalf("lake differs (-want +got):\n%s", diff)
			}
			if stats.Compression != codec || stats.Reads != int64(len(want)) || stats.Staged < int64(len(want)) || stats.Staged > st.Reads || stats.Late == 0 || stats.LateEvents == 0 {
				t.Errorf("stats %+v", stats)
			}
			// Every duplicate read is counted, whether staging or
			// integration (the late handler's or the final one) dropped it.
			if dups := st.DuplicateLines * 6; stats.Duplicates != dups || dups == 0 {
				t.Errorf("%d duplicates dropped, the file has %d duplicate reads", stats.Duplicates, dups)
			}
		})
	}
}

// TestIngestTwiceIsIdempotent: the output names come from the input's
// identity and range, and the lake records the sources it has integrated:
// a second ingest of the same object is a reported no-op that writes
// nothing, and a forced one stages it again, flags none of its reads as
// late (a re-delivery is not late data) and leaves the lake as it was.
func TestIngestTwiceIsIdempotent(t *testing.T) {
	ctx := context.Background()
	g := newGenerator(t, simulator.Options{Meters: 20, Days: 1, Seed: 5, DuplicateFraction: 0.01})
	data, st := csvOf(t, g)
	lake := openBucket(t, "mem://")
	lake.WriteAll(ctx, "in.csv", data, nil)
	split := &ranges.SplitOptions{Ranges: 3}
	s1, err := mda.Ingest(ctx, lake, lake, "in.csv", &mda.IngestOptions{Split: split})
	if err != nil {
		t.Fatal(err)
	}
	if s1.AlreadyIngested != nil || s1.Late != 0 || s1.LateEvents != 0 || s1.Duplicates != st.DuplicateLines*6 || st.DuplicateLines == 0 {
		t.Errorf("first ingest: %+v; want no late reads and %d duplicates", s1, st.DuplicateLines*6)
	}
	objs1 := objectStates(t, lake, partition.Prefix)
	keys1 := listKeys(t, lake, partition.Prefix)
	first := allReads(t, lake)

	s2, err := mda.Ingest(ctx, lake, lake, "in.csv", &mda.IngestOptions{Workers: 5, Split: split})
	if err != nil {
		t.Fatal(err)
	}
	if done := s2.AlreadyIngested; done == nil || done.SourceID != s1.SourceID || done.Lines != s1.Lines || done.Reads != s1.Staged || done.Ranges != 3 {
		t.Errorf("second ingest not reported as done before: %+v (record %+v)", s2, s2.AlreadyIngested)
	}
	if s2.SourceID != s1.SourceID || s2.Staged != 0 || s2.Processed != 0 || s2.Late != 0 || s2.LateEvents != 0 || s2.Files != 0 {
		t.Errorf("second ingest did something: %+v", s2)
	}
	if diff := cmp.Diff(objs1, objectStates(t, lake, partition.Prefix)); diff != "" {
		t.Errorf("second ingest rewrote partitions (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(first, allReads(t, lake)); diff != "" {
		t.Errorf("second ingest changed the reads:\n%s", diff)
	}

	s3, err := mda.Ingest(ctx, lake, lake, "in.csv", &mda.IngestOptions{Workers: 5, Split: split, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(keys1, listKeys(t, lake, partition.Prefix)); diff != "" {
		t.Errorf("forced ingest changed the file list:\n%s", diff)
	}
	if diff := cmp.Diff(first, allReads(t, lake)); diff != "" {
		t.Errorf("forced ingest changed the reads:\n%s", diff)
	}
	// Every read of the file was in the lake already: none is late, and
	// every one is a duplicate.
	if s3.AlreadyIngested != nil || s3.SourceID != s1.SourceID || s3.Files != s1.Files || s3.Staged != s1.Staged || s3.Late != 0 || s3.LateEvents != 0 || s3.Duplicates != st.Reads {
		t.Errorf("forced ingest: %+v, want %d files, no late reads and %d duplicates", s3, s1.Files, st.Reads)
	}
}

// TestSameBytesAgainIsARedelivery: the same bytes uploaded again under the
// same key get a new ETag on the local file system (and on GCS and
// Azure), but they are the same source: the second ingest is a reported
// no-op, not a file of late reads. Other bytes under the key are a new
// source.
func TestSameBytesAgainIsARedelivery(t *testing.T) {
	ctx := context.Background()
	g := newGenerator(t, simulator.Options{Meters: 5, Days: 1, Seed: 6})
	data, _ := csvOf(t, g)
	for _, url := range []string{"file://" + filepath.ToSlash(t.TempDir()), "mem://"} {
		t.Run(strings.Split(url, ":")[0], func(t *testing.T) {
			lake := openBucket(t, url)
			if err := lake.WriteAll(ctx, "in.csv", data, nil); err != nil {
				t.Fatal(err)
			}
			a1, err := lake.Attributes(ctx, "in.csv")
			if err != nil {
				t.Fatal(err)
			}
			s1, err := mda.Ingest(ctx, lake, lake, "in.csv", nil)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond) // a new modification time
			if err := lake.WriteAll(ctx, "in.csv", data, nil); err != nil {
				t.Fatal(err)
			}
			a2, err := lake.Attributes(ctx, "in.csv")
			if err != nil {
				t.Fatal(err)
			}
			if a1.ETag == a2.ETag && a1.ModTime.Equal(a2.ModTime) {
				t.Logf("the store kept ETag %s and the modification time for the upload", a1.ETag)
			}
			s2, err := mda.Ingest(ctx, lake, lake, "in.csv", nil)
			if err != nil {
				t.Fatal(err)
			}
			if s2.SourceID != s1.SourceID || s2.AlreadyIngested == nil || s2.Late != 0 || s2.Staged != 0 {
				t.Errorf("the same bytes again (ETag %s, then %s): %+v, want the source %s already ingested", a1.ETag, a2.ETag, s2, s1.SourceID)
			}
			changed := bytes.Replace(data, []byte("\n"), []byte("\r\n"), 1)
			if err := lake.WriteAll(ctx, "in.csv", changed, nil); err != nil {
				t.Fatal(err)
			}
			s3, err := mda.Ingest(ctx, lake, lake, "in.csv", nil)
			if err != nil {
				t.Fatal(err)
			}
			if s3.SourceID == s1.SourceID || s3.AlreadyIngested != nil || s3.Staged == 0 {
				t.Errorf("other bytes under the key: %+v, want a new source", s3)
			}
		})
	}
}

// objectStates describes every object under prefix by its size, MD5 and
// modification time, to tell a rewritten object from an untouched one.
func objectStates(t testing.TB, b *blob.Bucket, prefix string) map[string]string {
	t.Helper()
	out := map[string]string{}
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out[obj.Key] = fmt.Sprintf("%d %x %s", obj.Size, obj.MD5, obj.ModTime.Format(time.RFC3339Nano))
	}
	return out
}

func listKeys(t testing.TB, b *blob.Bucket, prefix string) []string {
	t.Helper()
	var keys []string
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
	return keys
}

// TestIngestQuarantine: bad lines never stop the ingest; each lands in
// errors/ with the right line number, offset and raw text, and is counted.
func TestIngestQuarantine(t *testing.T) {
	ctx := context.Background()
	g := newGenerator(t, simulator.Options{Meters: 30, Days: 1, Seed: 11, BadFraction: 0.01})
	data, st := csvOf(t, g)
	if st.BadLines == 0 {
		t.Fatal("generator made no bad lines")
	}
	want := allLineReads(t, g)
	// Index the file's lines by offset, to check what the quarantine says.
	lineAt := map[int64]struct {
		n    int64
		text string
	}{}
	var off, n int64
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		n++
		lineAt[off] = struct {
			n    int64
			text string
		}{n, sc.Text()}
		off += int64(len(sc.Bytes())) + 1
	}
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprint("workers=", workers), func(t *testing.T) {
			lake := openBucket(t, "mem://")
			lake.WriteAll(ctx, "in.csv", data, nil)
			stats, err := mda.Ingest(ctx, lake, lake, "in.csv", &mda.IngestOptions{Workers: workers, Split: &ranges.SplitOptions{Ranges: 9}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, allReads(t, lake)); diff != "" {
				t.Fatalf("good lines lost or changed (-want +got):\n%s", diff)
			}
			if stats.Quarantined != st.BadLines {
				t.Errorf("quarantined %d, want %d", stats.Quarantined, st.BadLines)
			}
			q := quarantined(t, lake)
			if int64(len(q)) != st.BadLines {
				t.Fatalf("%d quarantined lines in errors/, want %d", len(q), st.BadLines)
			}
			for _, ql := range q {
				at, ok := lineAt[ql.Offset]
				if !ok {
					t.Errorf("%+v: no line starts at that offset", ql)
					continue
				}
				raw := ql.Raw
				if ql.RawBase64 != nil {
					raw = string(ql.RawBase64)
				}
				if at.n != ql.Line || strings.TrimSuffix(at.text, "\r") != raw || ql.Reason == "" || ql.Source != "in.csv" {
					t.Errorf("quarantined %+v, but line %d at that offset is %q", ql, at.n, at.text)
				}
			}
		})
	}
}

func TestIngestStrict(t *testing.T) {
	ctx := context.Background()
	g := newGenerator(t, simulator.Options{Meters: 30, Days: 1, Seed: 11, BadFraction: 0.01})
	data, _ := csvOf(t, g)
	// The first bad line in file order, found by decoding the whole file.
	_, wantErr := meter.ReadAll(meter.NewHESCSVReader(bytes.NewReader(data), nil))
	var want *meter.ParseError
	if !errors.As(wantErr, &want) {
		t.Fatalf("decoder found no bad line: %v", wantErr)
	}
	lake := openBucket(t, "mem://")
	lake.WriteAll(ctx, "in.csv", data, nil)
	_, err := mda.Ingest(ctx, lake, lake, "in.csv", &mda.IngestOptions{Strict: true, Workers: 4, Split: &ranges.SplitOptions{Ranges: 11}})
	var got *meter.ParseError
	if !errors.As(err, &got) {
		t.Fatalf("got %v, want a ParseError", err)
	}
	if got.Line != want.Line || got.Offset != want.Offset {
		t.Errorf("strict error at line %d offset %d, want line %d offset %d", got.Line, got.Offset, want.Line, want.Offset)
	}
}

func TestIngestMissingObject(t *testing.T) {
	lake := openBucket(t, "mem://")
	_, err := mda.Ingest(context.Background(), lake, lake, "nope.csv", nil)
	if err == nil || !strings.Contains(err.Error(), "nope.csv") {
		t.Fatalf("got %v, want an error naming the object", err)
	}
}

func TestHourlyEnergy(t *testing.T) {
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339, s); return tm }
	reads := []meter.Reading{
		{MeterID: "m", Type: meter.TypeKW, Value: 4, Time: at("2024-03-01T09:15:00Z")},
		{MeterID: "m", Type: meter.TypeKW, Value: 4, Time: at("2024-03-01T09:30:00Z")},
		{MeterID: "m", Type: meter.TypeKW, Value: 4, Time: at("2024-03-01T09:45:00Z")},
		{MeterID: "m", Type: meter.TypeKW, Value: 8, Time: at("2024-03-01T10:00:00Z")}, // ends the 09:00 hour
		{MeterID: "m", Type: meter.TypeKW, Value: 2, Time: at("2024-03-01T10:15:00Z")},
		{MeterID: "m", Type: meter.TypeVoltage, Value: 230, Time: at("2024-03-01T10:15:00Z")},
	}
	got := mda.HourlyEnergy(reads, 15*time.Minute)
	want := []mda.Energy{
		{MeterID: "m", Start: at("2024-03-01T09:00:00Z"), KWh: 5, Reads: 4}, // (4+4+4+8) kW x 0.25 h, not 20 "kWh"
		{MeterID: "m", Start: at("2024-03-01T10:00:00Z"), KWh: 0.5, Reads: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestIngestQuarantinesUnstorableYear checks that a line whose time the
// lake cannot hold (year 0) is quarantined as a bad line, and the other
// lines of its range are ingested.
func TestIngestQuarantinesUnstorableYear(t *testing.T) {
	ctx := context.Background()
	data := meter.HESCSVHeader + "\n" +
		"2024-03-01 00:15:00,2024-03-01 00:16:00,m-1,readings,9,2.5,0.95,0.6,0.57,0.229\n" +
		"0000-03-01 00:15:00,2024-03-01 00:16:00,m-2,readings,9,2.5,0.95,0.6,0.57,0.229\n" +
		"2024-03-01 00:30:00,2024-03-01 00:31:00,m-1,readings,8,2.5,0.95,0.6,0.57,0.229\n"
	lake := openBucket(t, "mem://")
	if err := lake.WriteAll(ctx, "in.csv", []byte(data), nil); err != nil {
		t.Fatal(err)
	}
	stats, err := mda.Ingest(ctx, lake, lake, "in.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Quarantined != 1 || stats.Reads != 12 {
		t.Fatalf("quarantined %d lines and stored %d reads, want 1 and 12", stats.Quarantined, stats.Reads)
	}
	keys := listKeys(t, lake, mda.ErrorsPrefix)
	if len(keys) != 1 {
		t.Fatalf("quarantine files %v", keys)
	}
	b, err := lake.ReadAll(ctx, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	var ql mda.QuarantinedLine
	if err := json.Unmarshal(b, &ql); err != nil {
		t.Fatal(err)
	}
	if ql.Line != 3 || !strings.HasPrefix(ql.Raw, "0000-03-01") || !strings.Contains(ql.Reason, "year") {
		t.Errorf("quarantined %+v", ql)
	}
}

// TestResentUnderAnotherName: the same bytes under another key are another
// source, and their reads are late, but they add nothing to the lake, and
// the ingest says so (LateAdded); a file with a new meter's reads of the
// same hours adds them.
func TestResentUnderAnotherName(t *testing.T) {
	ctx := context.Background()
	lake := openBucket(t, "mem://")
	data, _ := csvOf(t, newGenerator(t, simulator.Options{Meters: 5, Days: 1, Seed: 4}))
	for _, key := range []string{"a.csv", "b.csv"} {
		if err := lake.WriteAll(ctx, key, data, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := mda.Ingest(ctx, lake, lake, "a.csv", nil); err != nil {
		t.Fatal(err)
	}
	before := allReads(t, lake)
	again, err := mda.Ingest(ctx, lake, lake, "b.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.AlreadyIngested != nil || again.Late == 0 || again.LateEvents == 0 || again.LateAdded != 0 {
		t.Errorf("the same bytes under another name: %+v; want late reads that add nothing", again)
	}
	if got := allReads(t, lake); len(got) != len(before) {
		t.Errorf("the lake went from %d to %d reads", len(before), len(got))
	}
	more, _ := csvOf(t, newGenerator(t, simulator.Options{Meters: 6, Days: 1, Seed: 4}))
	if err := lake.WriteAll(ctx, "c.csv", more, nil); err != nil {
		t.Fatal(err)
	}
	st, err := mda.Ingest(ctx, lake, lake, "c.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	added := int64(len(allReads(t, lake)) - len(before))
	if st.LateAdded == 0 || st.LateAdded > st.Late || st.LateAdded > added {
		t.Errorf("a sixth meter's reads of the same day: %+v; the lake gained %d reads", st, added)
	}
}
