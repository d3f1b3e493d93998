package mda_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/openmda/mda"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/ranges"
)

// TestIngestByteOrderMark: files saved with a UTF-8 byte-order mark (an
// NEM12 export that starts at its 200 record, a head-end CSV) ingest
// whole, even strictly.
func TestIngestByteOrderMark(t *testing.T) {
	ctx := context.Background()
	day := func(d string) string { return "300," + d + strings.Repeat(",0.5", 48) + ",A,,,20240102030405,\n" }
	for _, tc := range []struct {
		name, data, format string
		reads              int64
	}{
		{"nem12", "\xef\xbb\xbf200,6001260509,E1,E1,E1,N1,M1,KWH,30,\n" + day("20240101") + day("20240102"), meter.NEM12Format, 96},
		{"hes csv", "\xef\xbb\xbf" + meter.HESCSVHeader + "\n2024-03-01 00:15:00.000000,2024-03-01 00:16:00.000000,m1,readings,1,2,0.9,3,4,0.23\n", meter.HESCSVFormat, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lake := openBucket(t, "mem://")
			if err := lake.WriteAll(ctx, "in.csv", []byte(tc.data), nil); err != nil {
				t.Fatal(err)
			}
			st, err := mda.Ingest(ctx, lake, lake, "in.csv", &mda.IngestOptions{Strict: true})
			if err != nil || st.Format != tc.format || st.Reads != tc.reads || st.Quarantined != 0 {
				t.Errorf("format %s, %d reads, %d quarantined, %v; want %s and %d reads", st.Format, st.Reads, st.Quarantined, err, tc.format, tc.reads)
			}
		})
	}
}

// TestIngestLongBadLineNearCut: a garbage line longer than the alignment
// window (but under the 1 MiB record limit) near a range cut is one
// quarantined line, not a failed plan.
func TestIngestLongBadLineNearCut(t *testing.T) {
	ctx := context.Background()
	var b strings.Builder
	b.WriteString(meter.HESCSVHeader + "\n")
	line := func(h, m int) {
		fmt.Fprintf(&b, "2024-03-01 %02d:%02d:00.000000,2024-03-01 23:59:00.000000,m%d,readings,1,2,0.9,3,4,0.23\n", h, m%60, m)
	}
	for m := range 1400 {
		line(0, m)
	}
	b.WriteString(strings.Repeat("x", 100<<10) + "\n") // garbage without a key
	for m := range 100 {
		line(1, m)
	}
	lake := openBucket(t, "mem://")
	if err := lake.WriteAll(ctx, "in.csv", []byte(b.String()), nil); err != nil {
		t.Fatal(err)
	}
	st, err := mda.Ingest(ctx, lake, lake, "in.csv", &mda.IngestOptions{Split: &ranges.SplitOptions{Ranges: 2}})
	if err != nil {
		t.Fatalf("ingest failed: %v", err)
	}
	if st.Quarantined != 1 || st.Reads != 1500*6 {
		t.Errorf("%d quarantined, %d reads; want 1 and %d", st.Quarantined, st.Reads, 1500*6)
	}
}

// TestStrictIngestKeepsTheReason: a strict ingest's error is the decoder's
// ParseError, its reason one of the meter package's, for errors.Is.
func TestStrictIngestKeepsTheReason(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, data string
		reason     error
	}{
		{"nem12", "200,6001260509,E1,E1,E1,N1,M1,KWH,30,\n300,20240101" + strings.Repeat(",0.5", 47) + ",abc,A,,,20240102030405,\n", meter.ErrNumber},
		{"hes csv", meter.HESCSVHeader + "\n2024-03-01 00:15:00.000000,2024-03-01 00:16:00.000000,m1,readings,1,2,0.9,3,4,x\n", meter.ErrNumber},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lake := openBucket(t, "mem://")
			if err := lake.WriteAll(ctx, "in.csv", []byte(tc.data), nil); err != nil {
				t.Fatal(err)
			}
			_, err := mda.Ingest(ctx, lake, lake, "in.csv", &mda.IngestOptions{Strict: true})
			var pe *meter.ParseError
			if !errors.As(err, &pe) || !errors.Is(err, tc.reason) {
				t.Errorf("got %v; want a ParseError wrapping %v", err, tc.reason)
			}
		})
	}
}

// TestIngestJSONLinesEdges: a JSON lines object named .jsonl is read as
// such even when its first line is a bad record (format detection alone
// could not place it), and a record dated outside the lake's years is
// quarantined, not the object failed.
func TestIngestJSONLinesEdges(t *testing.T) {
	ctx := context.Background()
	good := `{"meter_id":"good","reading_type":"kw","reading_value":1,"reading_date_time":"2024-03-01 00:15:00"}` + "\n"
	for _, tc := range []struct {
		name, key, data string
	}{
		{"bad first line", "inbound/landing/s/2024/03/01/00/x.jsonl", "oops\n" + good},
		{"year 0", "x.jsonl", good + `{"meter_id":"bad","reading_type":"kw","reading_value":1,"reading_date_time":"0000-01-01 00:00:00"}` + "\n"},
		{"year 10000 after the offset", "x.ndjson", good + `{"meter_id":"bad","reading_type":"kw","reading_value":1,"reading_date_time":"9999-12-31T23:30:00-01:00"}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lake := openBucket(t, "mem://")
			if err := lake.WriteAll(ctx, tc.key, []byte(tc.data), nil); err != nil {
				t.Fatal(err)
			}
			st, err := mda.Ingest(ctx, lake, lake, tc.key, nil)
			if err != nil || st.Format != meter.JSONLinesFormat || st.Reads != 1 || st.Quarantined != 1 {
				t.Errorf("format %s, %d reads, %d quarantined, %v; want json-lines, 1 and 1", st.Format, st.Reads, st.Quarantined, err)
			}
		})
	}
}
