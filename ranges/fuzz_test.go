package ranges

import (
	"bytes"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// refRecord is a record found by the reference splitter.
type refRecord struct {
	Off   int64
	Data  []byte
	HasNL bool // followed by '\n'
}

// refRecords is the obviously-correct reference: split the whole file on
// '\n', with no empty record after a final '\n'.
func refRecords(data []byte) []refRecord {
	var out []refRecord
	for start := 0; start < len(data); {
		i := bytes.IndexByte(data[start:], '\n')
		if i < 0 {
			out = append(out, refRecord{int64(start), data[start:], false})
			break
		}
		out = append(out, refRecord{int64(start), data[start : start+i], true})
		start += i + 1
	}
	return out
}

// gotRecord is what a Scanner emitted.
type gotRecord struct {
	Off     int64
	Line    int64
	Data    string
	TooLong bool
}

// scanMode selects how the scanner under test is fed.
type scanMode int

const (
	modeReader   scanMode = iota // bytes.Reader from ReadFrom to EOF
	modeOneByte                  // iotest.OneByteReader
	modeDataErr                  // iotest.DataErrReader(iotest.HalfReader): EOF with data
	modeReaderAt                 // NewReaderAtScanner
	numModes
)

func newTestScanner(data []byte, rng Range, opts *ScanOptions, mode scanMode) *Scanner {
	if mode == modeReaderAt {
		return NewReaderAtScanner(bytes.NewReader(data), int64(len(data)), rng, opts)
	}
	var r io.Reader = bytes.NewReader(data[min(rng.ReadFrom(), int64(len(data))):])
	switch mode {
	case modeOneByte:
		r = iotest.OneByteReader(r)
	case modeDataErr:
		r = iotest.DataErrReader(iotest.HalfReader(r))
	}
	return NewScanner(r, rng, opts)
}

// checkSplitScan scans every range of rs over data and compares the
// records with the reference, range by range. rs must tile data.
func checkSplitScan(t *testing.T, data []byte, rs []Range, opts ScanOptions, mode scanMode) {
	t.Helper()
	size := int64(len(data))
	// rs tiles [0, size).
	if len(rs) == 0 || rs[0].Start != 0 || rs[len(rs)-1].End != size {
		t.Fatalf("ranges %v do not tile [0,%d)", rs, size)
	}
	maxRec := opts.MaxRecordBytes
	if maxRec <= 0 {
		maxRec = DefaultMaxRecordBytes
	}
	ref := refRecords(data)
	next := 0 // index in ref of the first record not yet owned
	var concat []byte
	for i, rng := range rs {
		if i > 0 && rng.Start != rs[i-1].End {
			t.Fatalf("ranges %v do not tile", rs)
		}
		// Expected records: those whose first byte is in [Start, End).
		var want []gotRecord
		lastEnd := rng.End // end of the last owned record, incl. '\n'
		line := int64(0)
		for ; next < len(ref) && ref[next].Off < rng.End; next++ {
			r := ref[next]
			if r.Off < rng.Start {
				t.Fatalf("reference record at %d precedes range %v", r.Off, rng)
			}
			line++
			lastEnd = max(lastEnd, r.Off+int64(len(r.Data))+1)
			if r.Off == 0 && opts.SkipHeader {
				continue
			}
			d, tl := r.Data, false
			if len(d) > maxRec {
				d, tl = d[:maxRec], true
			}
			want = append(want, gotRecord{r.Off, line, string(d), tl})
		}

		sc := newTestScanner(data, rng, &opts, mode)
		var got []gotRecord
		for sc.Scan() {
			got = append(got, gotRecord{sc.Offset(), sc.Line(), string(sc.Record()), sc.TooLong()})
			concat = append(concat, sc.Record()...)
			if sc.Offset()+int64(len(sc.Record()))+1 <= size {
				concat = append(concat, '\n')
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("range %v (mode %d): Err() = %v", rng, mode, err)
		}
		if sc.Scan() {
			t.Fatalf("range %v: Scan() true after false", rng)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("range %v of %q (mode %d, opts %+v): records mismatch (-want +got):\n%s",
				rng, data, mode, opts, diff)
		}
		// The scanner stops about one record past End: allow the buffer's
		// read-ahead (twice, to be generous about refills).
		buf := rangeBufferSize(rng)
		if opts.bufSize > 0 {
			buf = int64(opts.bufSize)
		}
		if bound := lastEnd - rng.ReadFrom() + 2*max(buf, 16); sc.BytesRead() > bound {
			t.Fatalf("range %v: BytesRead() = %d > %d", rng, sc.BytesRead(), bound)
		}
	}
	if next != len(ref) {
		t.Fatalf("records from %d on owned by no range %v", ref[next].Off, rs)
	}
	if !opts.SkipHeader && len(data) <= maxRec && !bytes.Equal(concat, data) {
		t.Fatalf("concatenated records %q != file %q", concat, data)
	}
}

// cutRanges derives ranges tiling [0,size) from arbitrary bytes: each pair
// of bytes is a cut point modulo size+1. Duplicate cuts give empty ranges.
func cutRanges(size int64, cuts []byte) []Range {
	var pts []int64
	for i := 0; i+1 < len(cuts) && len(pts) < 64; i += 2 {
		v := int64(cuts[i])<<8 | int64(cuts[i+1])
		pts = append(pts, v%(size+1))
	}
	slices.Sort(pts)
	rs := make([]Range, 0, len(pts)+1)
	start := int64(0)
	for _, p := range append(pts, size) {
		rs = append(rs, Range{Index: len(rs), Start: start, End: p})
		start = p
	}
	return rs
}

// fuzzOptions decodes the fuzzer's option bytes. flags: bits 0-1 select
// the feed (scanMode), bit 4 SkipHeader; buf 0 keeps the default read
// buffer, others select a tiny one (16 to 79 bytes) so that short inputs
// exercise records spanning buffer refills.
func fuzzOptions(maxRec uint16, flags, buf uint8) (ScanOptions, scanMode) {
	opts := ScanOptions{
		SkipHeader:     flags&0x10 != 0,
		MaxRecordBytes: int(maxRec), // 0 = default
	}
	if buf != 0 {
		opts.bufSize = 16 + int(buf%64)
	}
	return opts, scanMode(flags&3) % numModes
}

func FuzzSplitScan(f *testing.F) {
	// data, cuts, n (Split Ranges; 0 = default rule), maxRec, flags, buf.
	f.Add([]byte("a,b\n1,2\n3,4\n"), []byte{0, 4, 0, 8}, uint8(3), uint16(0), uint8(0), uint8(0))
	f.Add([]byte("a,b\n1,2\n3,4"), []byte{0, 3, 0, 5, 0, 11}, uint8(2), uint16(2), uint8(0x11), uint8(1))
	f.Add([]byte("h\r\nx\r\n\r\n\nyy\r\n"), []byte{0, 1, 0, 2, 0, 3}, uint8(5), uint16(1), uint8(0x01), uint8(0))
	f.Add([]byte("\n\n\n"), []byte{0, 1, 0, 1, 0, 2}, uint8(7), uint16(0), uint8(0x02), uint8(2))
	f.Add([]byte(""), []byte{}, uint8(1), uint16(0), uint8(0x03), uint8(0))
	f.Add([]byte(""), []byte{}, uint8(0), uint16(0), uint8(0x10), uint8(0))
	f.Add(bytes.Repeat([]byte("0123456789abcdef"), 20), []byte{0, 40, 0, 41, 1, 0}, uint8(9), uint16(50), uint8(0x03), uint8(1))
	f.Add([]byte("id,name\n1,"+string(bytes.Repeat([]byte("x"), 100))+"\n2,y\n"),
		[]byte{0, 7, 0, 8, 0, 9, 0, 50, 0, 110}, uint8(4), uint16(30), uint8(0x11), uint8(3))
	f.Add([]byte("no newline at all, a single record that is rather long"), []byte{0, 1, 0, 17, 0, 18, 0, 33},
		uint8(0), uint16(0), uint8(0x00), uint8(0))
	f.Fuzz(func(t *testing.T, data, cuts []byte, n uint8, maxRec uint16, flags, buf uint8) {
		opts, mode := fuzzOptions(maxRec, flags, buf)
		size := int64(len(data))
		checkSplitScan(t, data, cutRanges(size, cuts), opts, mode)
		var so *SplitOptions // n == 0: the default rule
		if n > 0 {
			so = &SplitOptions{Ranges: int(n)}
		}
		checkSplitScan(t, data, Split(size, so), opts, mode)
	})
}

// TestSplitScanRandom runs the fuzz property on deterministic random inputs,
// so plain `go test` covers more than the seed corpus.
func TestSplitScanRandom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab,\r\n\n")
	iters := 3000
	if testing.Short() {
		iters = 300
	}
	for range iters {
		data := make([]byte, rnd.IntN(300))
		// Mix of short and long lines.
		nlProb := []int{2, 6, 40, 1000}[rnd.IntN(4)]
		for i := range data {
			if rnd.IntN(nlProb) == 0 {
				data[i] = '\n'
			} else {
				data[i] = alphabet[rnd.IntN(len(alphabet)-2)]
			}
		}
		cuts := make([]byte, 2*rnd.IntN(12))
		for i := range cuts {
			cuts[i] = byte(rnd.IntN(256))
		}
		opts, mode := fuzzOptions(uint16(rnd.IntN(40)), uint8(rnd.IntN(256)), uint8(rnd.IntN(4)*rnd.IntN(256)))
		checkSplitScan(t, data, cutRanges(int64(len(data)), cuts), opts, mode)
		checkSplitScan(t, data, Split(int64(len(data)), &SplitOptions{Ranges: 1 + rnd.IntN(20)}), opts, mode)
	}
}

// TestSpanningRecords exercises records longer than the default read buffer.
func TestSpanningRecords(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 3*bufferSize/2)
	var data []byte
	data = append(data, "head\n"...)
	data = append(data, long...)
	data = append(data, "\nshort\n"...)
	data = append(data, long...)
	data = append(data, long...) // final record of 3 buffers, no '\n'
	size := int64(len(data))
	for _, maxRec := range []int{0, 100, bufferSize, 2 * bufferSize, 10 * bufferSize} {
		for mode := range numModes {
			if mode == modeOneByte {
				continue // slow and covered by the fuzz test
			}
			opts := ScanOptions{MaxRecordBytes: maxRec}
			checkSplitScan(t, data, []Range{{0, 0, size}}, opts, mode)
			checkSplitScan(t, data, Split(size, &SplitOptions{Ranges: 7}), opts, mode)
			checkSplitScan(t, data, cutRanges(size, []byte{0, 5, 0, 6, 0x80, 0, 0xff, 0xff}), opts, mode)
		}
	}
}
