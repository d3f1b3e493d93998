package simulator

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/openmda/mda/meter"
)

// Stats describes a generated file.
type Stats struct {
	// Lines is the number of good lines, late lines and duplicates included.
	Lines int64
	// Reads is the number of reads in the good lines, 6 per line.
	Reads int64
	// LateLines and DuplicateLines count the late lines and the duplicate
	// copies among Lines.
	LateLines, DuplicateLines int64
	// BadLines is the number of garbage lines (not in Lines).
	BadLines int64
	// Bytes is the size of the uncompressed CSV, header included.
	Bytes int64
	// First and Last are the earliest and latest reading times of the good
	// lines (zero if there are none).
	First, Last time.Time
}

// chunkSize is how much WriteCSV buffers before writing.
const chunkSize = 1 << 20

// WriteCSV writes the guidance's HES CSV: the header (meter.HESCSVHeader),
// then the lines of Lines in the same order, each followed, for a fraction
// BadFraction of them, by a garbage line that meter.NewHESCSVReader rejects:
// a wrong column count, a bad number, a bad timestamp, an empty meter id, or
// binary bytes. Every garbage line ends with '\n' and holds no other '\n'.
// It writes to w in chunks of about 1 MiB and allocates nothing per line.
func (g *Generator) WriteCSV(w io.Writer) (Stats, error) {
	return g.writeCSV(w, nil)
}

// writeCSV is WriteCSV with a filter: keep, if set, may change a line and
// returns false to leave it (and the garbage line that would follow it) out.
func (g *Generator) writeCSV(w io.Writer, keep func(*meter.HESLine) bool) (Stats, error) {
	var st Stats
	buf := make([]byte, 0, chunkSize+64<<10)
	scratch := make([]byte, 0, 1024)
	buf = append(buf, meter.HESCSVHeader...)
	buf = append(buf, '\n')
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	flush := func() error {
		n, err := w.Write(buf)
		st.Bytes += int64(n)
		if err == nil && n < len(buf) {
			err = io.ErrShortWrite
		}
		buf = buf[:0]
		return err
	}
	err := g.run(func(l *meter.HESLine, kind lineKind) error {
		if keep != nil && !keep(l) {
			return nil
		}
		buf = meter.AppendHESCSV(buf, l)
		st.Lines++
		switch kind {
		case kindLate:
			st.LateLines++
		case kindDup:
			st.DuplicateLines++
		}
		ms := l.Time.UnixMilli()
		first = min(first, ms)
		last = max(last, ms)
		if len(buf) >= chunkSize {
			return flush()
		}
		return nil
	}, func(l *meter.HESLine, h uint64) error {
		if keep != nil && !keep(l) {
			return nil
		}
		scratch = meter.AppendHESCSV(scratch[:0], l)
		buf = appendGarbage(buf, scratch, h)
		st.BadLines++
		if len(buf) >= chunkSize {
			return flush()
		}
		return nil
	})
	if err == nil && len(buf) > 0 {
		err = flush()
	}
	st.Reads = st.Lines * int64(len(meter.HESTypes))
	if st.Lines > 0 {
		st.First = time.UnixMilli(first).UTC()
		st.Last = time.UnixMilli(last).UTC()
	}
	return st, err
}

// Kinds of garbage lines.
const (
	garbageColumns = iota
	garbageNumber
	garbageTime
	garbageMeterID
	garbageBinary
	garbageKinds
)

var (
	badNumbers = [...]string{"", "1.2.3", "NaN", "12kW", "-", "0x1F", "1e"}
	badTimes   = [...]string{"", "2024-02-30 00:15:00.000000", "2024/03/01 00:15:00", "2024-03-01T00:15:00Z",
		"2024-03-01 24:00:00.000000", "1709251200"}
)

// appendGarbage appends a corrupted version of the good line src (with its
// '\n'), chosen by h.
func appendGarbage(dst, src []byte, h uint64) []byte {
	var commas [9]int
	n := 0
	for i, c := range src {
		if c == ',' && n < len(commas) {
			commas[n] = i
			n++
		}
	}
	field := func(f int) (start, end int) {
		start, end = 0, len(src)-1
		if f > 0 {
			start = commas[f-1] + 1
		}
		if f < 9 {
			end = commas[f]
		}
		return start, end
	}
	replace := func(f int, with string) []byte {
		s, e := field(f)
		dst = append(dst, src[:s]...)
		dst = append(dst, with...)
		return append(dst, src[e:]...)
	}
	sel := h >> 8
	switch h % garbageKinds {
	case garbageColumns:
		if sel&1 == 0 { // a column missing
			dst = append(dst, src[:commas[8]]...)
			return append(dst, '\n')
		}
		dst = append(dst, src[:len(src)-1]...) // a column too many
		return append(dst, ",0\n"...)
	case garbageNumber:
		return replace(4+int(sel%6), badNumbers[(sel/6)%uint64(len(badNumbers))])
	case garbageTime:
		return replace(int(sel&1), badTimes[(sel/2)%uint64(len(badTimes))])
	case garbageMeterID:
		return replace(2, "")
	default: // binary bytes, without '\n', '\r' or ','
		n := 16 + int(sel%64)
		x := h
		for i := 0; i < n; i++ {
			if i%8 == 0 {
				x = mix(x + golden)
			}
			c := byte(x >> (8 * (i % 8)))
			if c == '\n' || c == '\r' || c == ',' {
				c ^= 0x80
			}
			dst = append(dst, c)
		}
		return append(dst, '\n')
	}
}

// WriteFile writes g's CSV to path, compressed according to the
// extension: ".gz" gzip, ".zst" zstd, anything else plain. On error the
// file is removed. Stats.Bytes is the uncompressed size.
func WriteFile(path string, g *Generator) (st Stats, err error) {
	f, err := os.Create(path)
	if err != nil {
		return st, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(path)
		}
	}()
	var w io.Writer = f
	var c io.Closer
	switch {
	case strings.HasSuffix(path, ".gz"):
		zw := gzip.NewWriter(f)
		w, c = zw, zw
	case strings.HasSuffix(path, ".zst"):
		zw, err := zstd.NewWriter(f)
		if err != nil {
			return st, err
		}
		w, c = zw, zw
	}
	st, err = g.WriteCSV(w)
	if err != nil {
		return st, fmt.Errorf("simulator: writing %s: %w", path, err)
	}
	if c != nil {
		if err = c.Close(); err != nil {
			return st, fmt.Errorf("simulator: writing %s: %w", path, err)
		}
	}
	if err = f.Close(); err != nil {
		return st, err
	}
	return st, nil
}
