package ranges_test

import (
	"fmt"
	"strings"

	"github.com/openmda/mda/ranges"
)

func ExampleSplit() {
	// The AWS guidance rule (MinChunk 1 turns off our 4 MiB floor): 150
	// chunks of size/150 bytes; the last range absorbs the remainder.
	rs := ranges.Split(1_000_000, &ranges.SplitOptions{MinChunk: 1})
	fmt.Println(len(rs), "ranges:", rs[0], rs[1], "...", rs[len(rs)-1])

	// With the defaults, a file below the 1 MiB floor is one range.
	fmt.Println(ranges.Split(1_000_000, nil))

	// Beyond 45 GB the 300 MB chunk cap binds.
	rs = ranges.Split(100_000_000_000, nil)
	fmt.Println(len(rs), "ranges:", rs[0], "...", rs[len(rs)-1])

	// An explicit number of near-equal ranges.
	fmt.Println(ranges.Split(10, &ranges.SplitOptions{Ranges: 3}))

	// A zero-size file has one empty range.
	fmt.Println(ranges.Split(0, nil))
	// Output:
	// 150 ranges: #0[0,6666) #1[6666,13332) ... #149[993234,1000000)
	// [#0[0,1000000)]
	// 334 ranges: #0[0,300000000) ... #333[99900000000,100000000000)
	// [#0[0,4) #1[4,7) #2[7,10)]
	// [#0[0,0)]
}

func ExampleScanner() {
	const csv = "id,name\n" + // offsets 0-7: header
		"1,alice\n" + //  8-15
		"2,bob\n" + //   16-21
		"3,carol\n" + // 22-29
		"4,dave" //      30-35, no final newline
	size := int64(len(csv))

	// Each range would go to its own worker; a worker reads the file from
	// rng.ReadFrom(), here from an in-memory string.
	for _, rng := range ranges.Split(size, &ranges.SplitOptions{Ranges: 3}) {
		r := strings.NewReader(csv[rng.ReadFrom():])
		sc := ranges.NewScanner(r, rng, &ranges.ScanOptions{SkipHeader: true})
		for sc.Scan() {
			fmt.Printf("%v owns line %d at offset %d: %q\n", rng, sc.Line(), sc.Offset(), sc.Record())
		}
		if err := sc.Err(); err != nil {
			fmt.Println("error:", err)
		}
	}
	// Output:
	// #0[0,12) owns line 2 at offset 8: "1,alice"
	// #1[12,24) owns line 1 at offset 16: "2,bob"
	// #1[12,24) owns line 2 at offset 22: "3,carol"
	// #2[24,36) owns line 1 at offset 30: "4,dave"
}
