package ranges_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/openmda/mda/ranges"
)

// checkTiling asserts that rs tiles [0,size) in order with correct indexes,
// and that no range is empty unless size is 0.
func checkTiling(t *testing.T, size int64, rs []ranges.Range) {
	t.Helper()
	if len(rs) == 0 {
		t.Fatalf("Split(%d): no ranges", size)
	}
	var next int64
	for i, r := range rs {
		if r.Index != i || r.Start != next || r.End < r.Start {
			t.Fatalf("Split(%d): range %d is %v, want #%d starting at %d", size, i, r, i, next)
		}
		if r.Len() == 0 && size != 0 {
			t.Fatalf("Split(%d): empty range %v", size, r)
		}
		next = r.End
	}
	if next != size {
		t.Fatalf("Split(%d): ranges end at %d", size, next)
	}
}

func TestSplitGuidance(t *testing.T) {
	const (
		GiB = 1 << 30
		GB  = 1_000_000_000
		TB  = 1000 * GB
	)
	tests := []struct {
		name  string
		size  int64
		opts  *ranges.SplitOptions
		count int   // number of ranges
		chunk int64 // length of every range but the last
		last  int64 // length of the last range
	}{
		{name: "empty", size: 0, count: 1, chunk: 0, last: 0},
		{name: "1 byte", size: 1, count: 1, last: 1},
		{name: "149 bytes: chunk 0 becomes 1", size: 149, count: 149, chunk: 1, last: 1},
		{name: "150 bytes", size: 150, count: 150, chunk: 1, last: 1},
		{name: "151 bytes: chunk 1", size: 151, count: 151, chunk: 1, last: 1},
		{name: "299 bytes: chunk 1", size: 299, count: 299, chunk: 1, last: 1},
		{name: "22499 bytes: chunk 149, 151 ranges", size: 22_499, count: 151, chunk: 149, last: 149},
		{name: "22500 bytes", size: 22_500, count: 150, chunk: 150, last: 150},
		{name: "22649 bytes: last absorbs 149", size: 22_649, count: 150, chunk: 150, last: 299},
		{name: "1e6", size: 1_000_000, count: 150, chunk: 6666, last: 6666 + 100},
		{name: "1 GiB", size: GiB, count: 150, chunk: 7158278, last: 7158278 + 124},
		{name: "45 GB exactly 150 x MaxChunk", size: 45 * GB, count: 150, chunk: 300_000_000, last: 300_000_000},
		{name: "just below 45 GB: remainder would exceed MaxChunk", size: 45*GB - 1,
			count: 151, chunk: 299_999_999, last: 149},
		{name: "100 GB: MaxChunk binds, remainder own range", size: 100 * GB,
			count: 334, chunk: 300_000_000, last: 100_000_000},
		{name: "100 GB + 300 MB: no remainder", size: 100*GB + 200_000_000,
			count: 334, chunk: 300_000_000, last: 300_000_000},
		{name: "20 TB: SQS guard binds", size: 20 * TB, count: 50_000, chunk: 400_000_000, last: 400_000_000},
		{name: "20 TB + 12345: guard, last absorbs", size: 20*TB + 12345,
			count: 50_000, chunk: 400_000_000, last: 400_012_345},
		{name: "MaxWorkers 1", size: 1000, opts: &ranges.SplitOptions{MaxWorkers: 1},
			count: 1, last: 1000},
		{name: "MaxWorkers clamped to 400", size: 4000, opts: &ranges.SplitOptions{MaxWorkers: 1000},
			count: 400, chunk: 10, last: 10},
		{name: "MaxWorkers 400 with remainder", size: 200_399, opts: &ranges.SplitOptions{MaxWorkers: 400},
			count: 400, chunk: 500, last: 899},
		{name: "custom MaxChunk", size: 1_000_000, opts: &ranges.SplitOptions{MaxChunk: 5000},
			count: 200, chunk: 5000, last: 5000},
		{name: "custom MaxChunk binds", size: 1000, opts: &ranges.SplitOptions{MaxWorkers: 2, MaxChunk: 300},
			count: 4, chunk: 300, last: 100},
		{name: "custom MaxRanges binds", size: 1000, opts: &ranges.SplitOptions{MaxRanges: 10},
			count: 10, chunk: 100, last: 100},
		{name: "MaxRanges caps the count; last absorbs", size: 100,
			opts:  &ranges.SplitOptions{MaxWorkers: 1, MaxChunk: 3, MaxRanges: 30},
			count: 30, chunk: 3, last: 13},
		{name: "zero options are defaults", size: GiB, opts: &ranges.SplitOptions{},
			count: 150, chunk: 7158278, last: 7158278 + 124},
		{name: "negative options are defaults", size: GiB,
			opts:  &ranges.SplitOptions{MaxWorkers: -1, MaxChunk: -1, MaxRanges: -1, Ranges: -1},
			count: 150, chunk: 7158278, last: 7158278 + 124},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// These cases check the guidance's rule itself: no MinChunk floor.
			opts := &ranges.SplitOptions{}
			if tt.opts != nil {
				*opts = *tt.opts
			}
			opts.MinChunk = 1
			rs := ranges.Split(tt.size, opts)
			checkTiling(t, tt.size, rs)
			if len(rs) != tt.count {
				t.Fatalf("Split(%d) gave %d ranges, want %d", tt.size, len(rs), tt.count)
			}
			for _, r := range rs[:len(rs)-1] {
				if r.Len() != tt.chunk {
					t.Fatalf("Split(%d): range %v has length %d, want %d", tt.size, r, r.Len(), tt.chunk)
				}
			}
			if l := rs[len(rs)-1].Len(); l != tt.last {
				t.Fatalf("Split(%d): last range %v has length %d, want %d", tt.size, rs[len(rs)-1], l, tt.last)
			}
			if tt.size > 0 && tt.count > 1 {
				if c := ranges.ChunkSize(tt.size, opts); c != tt.chunk {
					t.Fatalf("ChunkSize(%d) = %d, want %d", tt.size, c, tt.chunk)
				}
			}
		})
	}
}

func TestSplitRanges(t *testing.T) {
	r := func(i int, s, e int64) ranges.Range { return ranges.Range{Index: i, Start: s, End: e} }
	tests := []struct {
		size int64
		n    int
		want []ranges.Range
	}{
		{0, 3, []ranges.Range{r(0, 0, 0)}},
		{1, 1, []ranges.Range{r(0, 0, 1)}},
		{1, 5, []ranges.Range{r(0, 0, 1)}},
		{2, 5, []ranges.Range{r(0, 0, 1), r(1, 1, 2)}},
		{10, 3, []ranges.Range{r(0, 0, 4), r(1, 4, 7), r(2, 7, 10)}},
		{12, 3, []ranges.Range{r(0, 0, 4), r(1, 4, 8), r(2, 8, 12)}},
		{12, 1, []ranges.Range{r(0, 0, 12)}},
		{1 << 40, 2, []ranges.Range{r(0, 0, 1<<39), r(1, 1<<39, 1<<40)}},
	}
	for _, tt := range tests {
		got := ranges.Split(tt.size, &ranges.SplitOptions{Ranges: tt.n, MaxWorkers: 1, MaxChunk: 1})
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Split(%d, Ranges: %d) mismatch (-want +got):\n%s", tt.size, tt.n, diff)
		}
	}
	// Larger counts: near-equal sizes, tiling.
	for _, size := range []int64{1, 7, 1000, 1 << 30, 100_000_000_007} {
		for _, n := range []int{1, 2, 3, 150, 401, 10_000} {
			rs := ranges.Split(size, &ranges.SplitOptions{Ranges: n})
			checkTiling(t, size, rs)
			if want := min(int64(n), size); int64(len(rs)) != want {
				t.Fatalf("Split(%d, Ranges: %d) gave %d ranges, want %d", size, n, len(rs), want)
			}
			lo, hi := rs[0].Len(), rs[0].Len()
			for _, r := range rs {
				lo, hi = min(lo, r.Len()), max(hi, r.Len())
			}
			if hi-lo > 1 {
				t.Fatalf("Split(%d, Ranges: %d): lengths from %d to %d", size, n, lo, hi)
			}
		}
	}
}

func TestSplitTilesManySizes(t *testing.T) {
	for size := int64(0); size < 2000; size++ {
		checkTiling(t, size, ranges.Split(size, nil))
	}
	for size := int64(1); size < 1<<40; size = size*3 + 7 {
		rs := ranges.Split(size, nil)
		checkTiling(t, size, rs)
		// From 150*150 bytes on, the worker rule gives at most 151 ranges
		// (150 plus possibly a MaxChunk remainder) until MaxChunk binds.
		if size >= 150*150 && len(rs) > ranges.DefaultMaxWorkers+1 && rs[0].Len() < ranges.DefaultMaxChunk {
			t.Fatalf("Split(%d): %d ranges of %d bytes", size, len(rs), rs[0].Len())
		}
	}
}

func TestSplitNegativePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Split(-1) did not panic")
		}
	}()
	ranges.Split(-1, nil)
}

func TestRangeMethods(t *testing.T) {
	tests := []struct {
		r        ranges.Range
		len, rf  int64
		asString string
	}{
		{ranges.Range{Index: 0, Start: 0, End: 0}, 0, 0, "#0[0,0)"},
		{ranges.Range{Index: 0, Start: 0, End: 10}, 10, 0, "#0[0,10)"},
		{ranges.Range{Index: 1, Start: 1, End: 10}, 9, 0, "#1[1,10)"},
		{ranges.Range{Index: 2, Start: 10, End: 25}, 15, 9, "#2[10,25)"},
	}
	for _, tt := range tests {
		if got := tt.r.Len(); got != tt.len {
			t.Errorf("%v.Len() = %d, want %d", tt.r, got, tt.len)
		}
		if got := tt.r.ReadFrom(); got != tt.rf {
			t.Errorf("%v.ReadFrom() = %d, want %d", tt.r, got, tt.rf)
		}
		if got := tt.r.String(); got != tt.asString {
			t.Errorf("String() = %q, want %q", got, tt.asString)
		}
	}
}

func BenchmarkSplit(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int64
		opts *ranges.SplitOptions
	}{
		{"1GiB/default", 1 << 30, nil},
		{"100GB/default", 100_000_000_000, nil},
		{"20TB/guard", 20_000_000_000_000, nil},
		{"1GiB/Ranges=64", 1 << 30, &ranges.SplitOptions{Ranges: 64}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ranges.Split(bc.size, bc.opts)
			}
		})
	}
}

func TestSplitMinChunk(t *testing.T) {
	const MiB = 1 << 20
	tests := []struct {
		name        string
		size        int64
		opts        *ranges.SplitOptions
		count       int
		first, last int64
	}{
		{"small file is one range", 1_000_000, nil, 1, 1_000_000, 1_000_000},
		{"exactly the floor", MiB, nil, 1, MiB, MiB},
		{"100 MiB: 100 ranges of 1 MiB", 100 * MiB, nil, 100, MiB, MiB},
		{"100 MiB + 1: last absorbs", 100*MiB + 1, nil, 100, MiB, MiB + 1},
		{"1 GiB: the guidance's 150 ranges", 1 << 30, nil, 150, 7158278, 7158278 + 124},
		{"custom floor", 10_000, &ranges.SplitOptions{MinChunk: 3000}, 3, 3000, 4000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := ranges.Split(tt.size, tt.opts)
			checkTiling(t, tt.size, rs)
			if len(rs) != tt.count || rs[0].Len() != tt.first || rs[len(rs)-1].Len() != tt.last {
				t.Fatalf("Split(%d) = %d ranges, first %d, last %d; want %d, %d, %d",
					tt.size, len(rs), rs[0].Len(), rs[len(rs)-1].Len(), tt.count, tt.first, tt.last)
			}
		})
	}
}
