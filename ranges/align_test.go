package ranges_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/openmda/mda/ranges"
)

// hourKey keys a line by its first field.
func hourKey(rec []byte) ([]byte, bool) {
	i := bytes.IndexByte(rec, ',')
	if i <= 0 || rec[0] == '#' {
		return nil, false
	}
	return rec[:i], true
}

func TestAlign(t *testing.T) {
	var b strings.Builder
	b.WriteString("#header\n")
	starts := map[string]int{} // first offset of each key
	for h := 10; h < 30; h++ {
		for m := range 37 {
			k := fmt.Sprintf("h%02d", h)
			if _, ok := starts[k]; !ok {
				starts[k] = b.Len()
			}
			fmt.Fprintf(&b, "%s,meter%03d,%d\n", k, m, m*h)
		}
	}
	data := []byte(b.String())
	size := int64(len(data))
	for _, n := range []int{2, 3, 7, 13} {
		for _, window := range []int{64, 300, 4096} {
			rs := ranges.Split(size, &ranges.SplitOptions{Ranges: n})
			got, err := ranges.Align(bytes.NewReader(data), size, rs, hourKey, &ranges.AlignOptions{Window: window})
			if err != nil {
				t.Fatal(err)
			}
			// Still a tiling, and every inner cut sits on a key change.
			var next int64
			for i, r := range got {
				if r.Index != i || r.Start != next || r.End <= r.Start {
					t.Fatalf("n=%d window=%d: bad tiling %v", n, window, got)
				}
				next = r.End
				if i > 0 {
					k, _ := hourKey(data[r.Start:])
					if starts[string(k)] != int(r.Start) {
						t.Errorf("n=%d window=%d: cut %d is not where key %s starts (%d)", n, window, r.Start, k, starts[string(k)])
					}
				}
			}
			if next != size {
				t.Fatalf("ranges end at %d, not %d", next, size)
			}
		}
	}
}

// TestAlignUnsorted: with keys out of order, cuts may not land on key
// changes, but the ranges still tile the file and every record is scanned
// once.
func TestAlignUnsorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, "k%d,%d\n", rng.IntN(9), i)
	}
	data := []byte(b.String())
	rs, err := ranges.Align(bytes.NewReader(data), int64(len(data)), ranges.Split(int64(len(data)), &ranges.SplitOptions{Ranges: 9}), hourKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, r := range rs {
		sc := ranges.NewReaderAtScanner(bytes.NewReader(data), int64(len(data)), r, nil)
		for sc.Scan() {
			all = append(all, string(sc.Record()))
		}
	}
	if got := strings.Join(all, "\n") + "\n"; got != string(data) {
		t.Fatal("the aligned ranges do not reproduce the file")
	}
}

// TestAlignLongRecord: a record longer than the probe window (a block of
// garbage without line ends) is skipped over by the search instead of
// failing the plan; the ranges tile the file, the long record in one of
// them.
func TestAlignLongRecord(t *testing.T) {
	var b strings.Builder
	for m := range 200 {
		fmt.Fprintf(&b, "h00,meter%03d,%d\n", m, m)
	}
	b.WriteString(strings.Repeat("x", 5000) + "\n")
	for m := range 50 {
		fmt.Fprintf(&b, "h01,meter%03d,%d\n", m, m)
	}
	data := []byte(b.String())
	size := int64(len(data))
	for _, n := range []int{2, 3, 5} {
		got, err := ranges.Align(bytes.NewReader(data), size, ranges.Split(size, &ranges.SplitOptions{Ranges: n}), hourKey, &ranges.AlignOptions{Window: 512})
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		var all []string
		for _, r := range got {
			sc := ranges.NewReaderAtScanner(bytes.NewReader(data), size, r, &ranges.ScanOptions{MaxRecordBytes: 1 << 20})
			for sc.Scan() {
				all = append(all, string(sc.Record()))
			}
		}
		if strings.Join(all, "\n")+"\n" != string(data) {
			t.Errorf("n=%d: the aligned ranges %v do not reproduce the file", n, got)
		}
	}
}
