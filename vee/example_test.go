package vee_test

import (
	"fmt"
	"math"
	"time"

	"github.com/openmda/mda/vee"
)

// Estimate fills a meter's missing hours: a short gap linearly between the
// reads around it, a longer one from the same hours of the previous weeks;
// after the last read nothing is invented.
func ExampleEstimate() {
	const week = 7 * 24
	v := make([]float64, 2*week)
	for i := range v {
		v[i] = float64(1 + i%24/12) // 1 kW in the morning, 2 in the afternoon
	}
	nan := math.NaN()
	from := week                      // estimate the second week only
	v[from+3] = nan                   // a one-hour gap
	v[from+12], v[from+13] = nan, nan // a two-hour gap...
	v[from+14], v[from+15] = nan, nan // ...made four
	v[2*week-1] = nan                 // the last hour: not read yet
	m := vee.Estimate(v, from, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour, &vee.Options{MaxLinear: time.Hour})
	for _, i := range []int{3, 12, 15, week - 1} {
		fmt.Printf("hour %3d: %-8s %v\n", i, m[i], v[from+i])
	}
	// Output:
	// hour   3: linear   1
	// hour  12: like-day 2
	// hour  15: like-day 2
	// hour 167: missing  NaN
}
