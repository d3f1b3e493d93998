package meter

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestWideCSVInstantsAssertion checks the decoder's last guard: if a row's
// reads were ever laid on instants that are not distinct, in order and
// within the day, the row is rejected whole, no read of it emitted.
func TestWideCSVInstantsAssertion(t *testing.T) {
	mel, err := time.LoadLocation("Australia/Melbourne")
	if err != nil {
		t.Fatal(err)
	}
	var d wideDecoder
	d.configure(&WideCSVOptions{Location: mel})
	row := func(id string) []byte {
		return []byte(id + ",2019-10-06" + strings.Repeat(",1", 4) + ",," + strings.Repeat(",1", 42)) // 02:00-03:00 empty
	}
	dst, err := d.line(nil, row("m1"), 1, 0)
	if err != nil || len(dst) != 46 {
		t.Fatalf("%d reads, %v", len(dst), err)
	}
	d.day.slot[7] = d.day.slot[6] // two columns on one interval
	dst, err = d.line(dst, row("m2"), 2, 100)
	var pe *ParseError
	if len(dst) != 46 || !errors.As(err, &pe) || !errors.Is(err, errWideInstants) || pe.Column != "value8" {
		t.Fatalf("%d reads, %v", len(dst), err)
	}
	d.day.slot[7] = 47 // past the end of the day
	d.day.slot[6] = 0
	if dst, err = d.line(dst, row("m3"), 3, 200); len(dst) != 46 || !errors.Is(err, errWideInstants) {
		t.Fatalf("%d reads, %v", len(dst), err)
	}
}
