package ranges_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/openmda/mda/ranges"
)

// rec is one emitted record as seen through the Scanner accessors.
type rec struct {
	Off     int64
	Line    int64
	Text    string
	TooLong bool
}

// feeds are the ways a test range is fed to a scanner.
var feeds = []struct {
	name string
	scan func(data string, rng ranges.Range, opts *ranges.ScanOptions) *ranges.Scanner
}{
	{"Reader", func(data string, rng ranges.Range, opts *ranges.ScanOptions) *ranges.Scanner {
		return ranges.NewScanner(strings.NewReader(data[min(rng.ReadFrom(), int64(len(data))):]), rng, opts)
	}},
	{"OneByteReader", func(data string, rng ranges.Range, opts *ranges.ScanOptions) *ranges.Scanner {
		return ranges.NewScanner(iotest.OneByteReader(strings.NewReader(data[min(rng.ReadFrom(), int64(len(data))):])), rng, opts)
	}},
	{"ReaderAt", func(data string, rng ranges.Range, opts *ranges.ScanOptions) *ranges.Scanner {
		return ranges.NewReaderAtScanner(strings.NewReader(data), int64(len(data)), rng, opts)
	}},
}

func collect(sc *ranges.Scanner) []rec {
	var out []rec
	for sc.Scan() {
		out = append(out, rec{sc.Offset(), sc.Line(), string(sc.Record()), sc.TooLong()})
	}
	return out
}

func rg(start, end int64) ranges.Range { return ranges.Range{Start: start, End: end} }

func TestScan(t *testing.T) {
	// Offsets:   0   4   8   (size 12)
	const csv = "a,b\n1,2\n3,4\n"
	tests := []struct {
		name string
		data string
		rng  ranges.Range
		opts *ranges.ScanOptions
		want []rec
	}{
		{"whole file", csv, rg(0, 12), nil, []rec{{0, 1, "a,b", false}, {4, 2, "1,2", false}, {8, 3, "3,4", false}}},
		{"first byte only owns the header", csv, rg(0, 1), nil, []rec{{0, 1, "a,b", false}}},
		{"record starting exactly at Start", csv, rg(4, 8), nil, []rec{{4, 1, "1,2", false}}},
		{"record starting exactly at End is not ours", csv, rg(0, 8), nil, []rec{{0, 1, "a,b", false}, {4, 2, "1,2", false}}},
		{"record starting just before End", csv, rg(0, 5), nil, []rec{{0, 1, "a,b", false}, {4, 2, "1,2", false}}},
		{"record starting just after Start is ours", csv, rg(3, 5), nil, []rec{{4, 1, "1,2", false}}},
		{"Start just after a record start", csv, rg(5, 8), nil, nil},
		{"Start on a newline, End on the next start", csv, rg(3, 4), nil, nil},
		{"Start on the last newline", csv, rg(11, 12), nil, nil},
		{"last record", csv, rg(8, 12), nil, []rec{{8, 1, "3,4", false}}},
		{"empty range at end", csv, rg(12, 12), nil, nil},
		{"empty range inside", csv, rg(4, 4), nil, nil},
		{"empty file", "", rg(0, 0), nil, nil},
		{"skip header", csv, rg(0, 12), &ranges.ScanOptions{SkipHeader: true},
			[]rec{{4, 2, "1,2", false}, {8, 3, "3,4", false}}},
		{"skip header: only the header in range", csv, rg(0, 4), &ranges.ScanOptions{SkipHeader: true}, nil},
		{"skip header does not affect later ranges", csv, rg(4, 12), &ranges.ScanOptions{SkipHeader: true},
			[]rec{{4, 1, "1,2", false}, {8, 2, "3,4", false}}},
		{"CRLF kept", "h\r\nx\r\ny", rg(0, 7), nil, []rec{{0, 1, "h\r", false}, {3, 2, "x\r", false}, {6, 3, "y", false}}},
		{"CRLF: cut between CR and LF", "h\r\nx\r\n", rg(2, 6), nil, []rec{{3, 1, "x\r", false}}},
		{"CRLF: cut after LF", "h\r\nx\r\n", rg(3, 6), nil, []rec{{3, 1, "x\r", false}}},
		{"no trailing newline", "a\nbc", rg(0, 4), nil, []rec{{0, 1, "a", false}, {2, 2, "bc", false}}},
		{"no trailing newline: last range", "a\nbc", rg(2, 4), nil, []rec{{2, 1, "bc", false}}},
		{"no trailing newline: inside last record", "a\nbc", rg(3, 4), nil, nil},
		{"record extends far past End", "a\nbcdefgh\ni", rg(1, 3), nil, []rec{{2, 1, "bcdefgh", false}}},
		{"empty lines", "\n\n\n", rg(0, 3), nil, []rec{{0, 1, "", false}, {1, 2, "", false}, {2, 3, "", false}}},
		{"empty line at Start", "\n\n\n", rg(1, 2), nil, []rec{{1, 1, "", false}}},
		{"empty lines then data", "\n\nab", rg(1, 4), nil, []rec{{1, 1, "", false}, {2, 2, "ab", false}}},
		{"single newline", "\n", rg(0, 1), nil, []rec{{0, 1, "", false}}},
		{"too long", "abcdef\nxy\nabc\nabcd", rg(0, 18), &ranges.ScanOptions{MaxRecordBytes: 3},
			[]rec{{0, 1, "abc", true}, {7, 2, "xy", false}, {10, 3, "abc", false}, {14, 4, "abc", true}}},
		{"too long header skipped", "abcdef\nxy\n", rg(0, 10), &ranges.ScanOptions{MaxRecordBytes: 3, SkipHeader: true},
			[]rec{{7, 2, "xy", false}}},
		{"range inside a long line emits nothing", "x" + strings.Repeat("a", 100) + "\ny\n", rg(10, 50), nil, nil},
		{"range ending on the long line's newline", "x" + strings.Repeat("a", 100) + "\ny\n", rg(10, 102), nil, nil},
		{"range ending after the long line", "x" + strings.Repeat("a", 100) + "\ny\n", rg(10, 103), nil,
			[]rec{{102, 1, "y", false}}},
	}
	for _, tt := range tests {
		for _, feed := range feeds {
			t.Run(tt.name+"/"+feed.name, func(t *testing.T) {
				sc := feed.scan(tt.data, tt.rng, tt.opts)
				got := collect(sc)
				if err := sc.Err(); err != nil {
					t.Fatalf("Err() = %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("scan %v of %q: mismatch (-want +got):\n%s", tt.rng, tt.data, diff)
				}
				if sc.Scan() || sc.Record() != nil || sc.TooLong() {
					t.Errorf("Scan after the end: still returns a record")
				}
			})
		}
	}
}

// TestScanLongRecords uses records larger than the 256 KiB read buffer.
func TestScanLongRecords(t *testing.T) {
	big := strings.Repeat("x", 600<<10)
	huge := strings.Repeat("y", 3<<20)
	data := "h\n" + big + "\nz\n" + huge + "\nw"
	offBig, offZ := int64(2), int64(2+len(big)+1)
	offHuge := offZ + 2
	offW := offHuge + int64(len(huge)) + 1
	size := int64(len(data))
	for _, feed := range feeds {
		if feed.name == "OneByteReader" {
			continue
		}
		t.Run(feed.name, func(t *testing.T) {
			sc := feed.scan(data, rg(0, size), nil) // MaxRecordBytes 1 MiB
			want := []rec{
				{0, 1, "h", false},
				{offBig, 2, big, false},
				{offZ, 3, "z", false},
				{offHuge, 4, huge[:ranges.DefaultMaxRecordBytes], true},
				{offW, 5, "w", false},
			}
			if diff := cmp.Diff(want, collect(sc)); diff != "" || sc.Err() != nil {
				t.Fatalf("err %v, mismatch (-want +got):\n%.2000s", sc.Err(), diff)
			}
			// A range inside the huge record stops reading soon after End,
			// not at the record's end.
			sc = feed.scan(data, rg(offHuge+10, offHuge+20), nil)
			if got := collect(sc); got != nil || sc.Err() != nil {
				t.Fatalf("range inside huge record: %v, %v", got, sc.Err())
			}
			if n := sc.BytesRead(); n > 1<<20 {
				t.Errorf("range inside huge record read %d bytes", n)
			}
			// A range owning the start of the huge record reads all of it.
			sc = feed.scan(data, rg(offHuge-1, offHuge+1), &ranges.ScanOptions{MaxRecordBytes: 5})
			if diff := cmp.Diff([]rec{{offHuge, 1, "yyyyy", true}}, collect(sc)); diff != "" || sc.Err() != nil {
				t.Fatalf("err %v, mismatch (-want +got):\n%s", sc.Err(), diff)
			}
			if n := sc.BytesRead(); n < int64(len(huge)) {
				t.Errorf("owner of the huge record read only %d bytes", n)
			}
		})
	}
}

func TestScanErrors(t *testing.T) {
	const csv = "a,b\n1,2\n3,4\n"
	boom := errors.New("boom")
	tests := []struct {
		name    string
		r       io.Reader
		rng     ranges.Range
		want    []rec
		wantErr error
	}{
		{"reader ends before End", strings.NewReader(csv[:6]), rg(0, 12),
			[]rec{{0, 1, "a,b", false}}, io.ErrUnexpectedEOF},
		{"reader ends at a record start before End", strings.NewReader(csv[:8]), rg(0, 12),
			[]rec{{0, 1, "a,b", false}, {4, 2, "1,2", false}}, io.ErrUnexpectedEOF},
		{"reader ends while syncing", strings.NewReader(csv[3:6]), rg(4, 12), nil, io.ErrUnexpectedEOF},
		{"empty reader", strings.NewReader(""), rg(4, 12), nil, io.ErrUnexpectedEOF},
		{"read error", iotest.ErrReader(boom), rg(0, 12), nil, boom},
		{"read error after data", io.MultiReader(strings.NewReader("a,b\n1,"), iotest.ErrReader(boom)), rg(0, 12),
			[]rec{{0, 1, "a,b", false}}, boom},
		{"negative start", strings.NewReader(csv), rg(-1, 12), nil, nil},
		{"end before start", strings.NewReader(csv), rg(5, 4), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := ranges.NewScanner(tt.r, tt.rng, nil)
			got := collect(sc)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			err := sc.Err()
			switch {
			case tt.wantErr == nil && tt.rng.End >= tt.rng.Start && tt.rng.Start >= 0:
				if err != nil {
					t.Errorf("Err() = %v, want nil", err)
				}
			case tt.wantErr == nil:
				if err == nil || !strings.Contains(err.Error(), "invalid range") {
					t.Errorf("Err() = %v, want invalid range", err)
				}
			case !errors.Is(err, tt.wantErr):
				t.Errorf("Err() = %v, want %v", err, tt.wantErr)
			}
		})
	}
	// NewReaderAtScanner with a range beyond the file.
	sc := ranges.NewReaderAtScanner(strings.NewReader(csv), 12, rg(8, 20), nil)
	if got := collect(sc); len(got) != 1 || !errors.Is(sc.Err(), io.ErrUnexpectedEOF) {
		t.Errorf("range past EOF: %v, %v", got, sc.Err())
	}
}

// TestScanStopsReading checks that a scanner does not read the whole rest of
// the file when it is handed a reader to EOF.
func TestScanStopsReading(t *testing.T) {
	line := strings.Repeat("z", 99) + "\n"
	data := strings.Repeat(line, 100_000) // 10 MB
	rng := rg(1000, 2000)
	r := strings.NewReader(data[rng.ReadFrom():])
	sc := ranges.NewScanner(r, rng, nil)
	n := len(collect(sc))
	if n != 10 || sc.Err() != nil {
		t.Fatalf("got %d records, err %v; want 10", n, sc.Err())
	}
	if sc.BytesRead() > 64<<10 {
		t.Errorf("BytesRead() = %d for a 1000-byte range", sc.BytesRead())
	}
	if consumed := int64(len(data)) - rng.ReadFrom() - int64(r.Len()); consumed != sc.BytesRead() {
		t.Errorf("BytesRead() = %d, reader lost %d bytes", sc.BytesRead(), consumed)
	}
}

// TestScanAllocs checks that scanning does not allocate per record.
func TestScanAllocs(t *testing.T) {
	data := bytes.Repeat([]byte("2024-01-01T00:00:00Z,meter-000123,12.345,kWh\r\n"), 20_000)
	rng := rg(0, int64(len(data)))
	var rd bytes.Reader
	allocs := testing.AllocsPerRun(5, func() {
		rd.Reset(data)
		sc := ranges.NewScanner(&rd, rng, nil)
		for sc.Scan() {
		}
	})
	// The Scanner, its bufio.Reader and buffer: a handful, not 20,000.
	if allocs > 10 {
		t.Errorf("%v allocations per scan of 20,000 records", allocs)
	}
}

// TestScanSplitReproducesFile scans every range of a Split and checks that
// the concatenated records reproduce the file.
func TestScanSplitReproducesFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,value\r\n")
	for i := range 5000 {
		b.WriteString(strings.Repeat("v", i%37))
		if i%11 == 0 {
			b.WriteString("\r")
		}
		b.WriteString("\n")
	}
	b.WriteString("tail-without-newline")
	data := b.String()
	size := int64(len(data))
	for _, opts := range []*ranges.SplitOptions{nil, {Ranges: 7}, {Ranges: 1000}, {MaxWorkers: 400}} {
		rs := ranges.Split(size, opts)
		var out bytes.Buffer
		var lines int64
		for _, rng := range rs {
			sc := ranges.NewReaderAtScanner(strings.NewReader(data), size, rng, nil)
			for sc.Scan() {
				out.Write(sc.Record())
				if sc.Offset()+int64(len(sc.Record())) < size {
					out.WriteByte('\n')
				}
				lines++
			}
			if sc.Err() != nil {
				t.Fatal(sc.Err())
			}
		}
		if out.String() != data {
			t.Fatalf("opts %+v: %d ranges do not reproduce the file", opts, len(rs))
		}
		if lines != 5002 {
			t.Fatalf("opts %+v: %d records, want 5002", opts, lines)
		}
	}
}
