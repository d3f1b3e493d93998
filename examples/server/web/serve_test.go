package web_test

import (
	"testing"
	"time"

	"github.com/openmda/mda/examples/server/web"
)

// TestLocation: --tz names the zone; empty, MDA_TZ does, else UTC; an
// unknown name is an error.
func TestLocation(t *testing.T) {
	t.Setenv("MDA_TZ", "")
	if loc, err := web.Location(""); err != nil || loc != time.UTC {
		t.Errorf(`Location(""): %v, %v; want UTC`, loc, err)
	}
	if loc, err := web.Location("Australia/Sydney"); err != nil || loc.String() != "Australia/Sydney" {
		t.Errorf("Location(Australia/Sydney): %v, %v", loc, err)
	}
	t.Setenv("MDA_TZ", "Europe/London")
	if loc, err := web.Location(""); err != nil || loc.String() != "Europe/London" {
		t.Errorf(`Location("") with MDA_TZ=Europe/London: %v, %v`, loc, err)
	}
	if _, err := web.Location("Mars/Olympus"); err == nil {
		t.Error("Location(Mars/Olympus): no error")
	}
}
