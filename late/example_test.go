package late_test

import (
	"fmt"
	"time"

	"github.com/openmda/mda/late"
)

func ExamplePolicy_NewTracker() {
	tr := late.Policy{Grace: 2 * time.Hour}.NewTracker(time.Time{})
	t0 := time.Date(2024, 3, 2, 11, 0, 0, 0, time.UTC)
	for _, t := range []time.Time{t0, t0.Add(15 * time.Minute), t0.Add(-15 * time.Minute), t0.Add(-24 * time.Hour)} {
		fmt.Println(t.Format("Jan 2 15:04"), "late:", tr.Late(t))
	}
	// Output:
	// Mar 2 11:00 late: false
	// Mar 2 11:15 late: false
	// Mar 2 10:45 late: false
	// Mar 1 11:00 late: true
}
