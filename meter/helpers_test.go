package meter_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
	_ "time/tzdata" // Europe/London and Australia/Sydney without a system zoneinfo

	"github.com/openmda/mda/meter"
)

// onErr returns an OnError that records errors and carries on.
func onErr(errs *[]*meter.ParseError) func(*meter.ParseError, []byte) error {
	return func(e *meter.ParseError, _ []byte) error {
		*errs = append(*errs, e)
		return nil
	}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func mustLoad(t testing.TB, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// dataset returns the path of a shared real-data file, or skips the test.
// The datasets live in ../shared/datasets beside the repository.
func dataset(t testing.TB, path string) string {
	p := filepath.Join("..", "..", "shared", "datasets", path)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("dataset not available: %v", err)
	}
	return p
}

// checkReads verifies invariants every decoder must keep.
func checkReads(t testing.TB, reads []meter.Reading) {
	t.Helper()
	for _, rd := range reads {
		if rd.MeterID == "" || math.IsNaN(rd.Value) || math.IsInf(rd.Value, 0) || rd.Time.Location() != time.UTC {
			t.Fatalf("bad read %v", rd)
		}
		if _, ok := meter.LookupType(rd.Type); !ok {
			t.Fatalf("unregistered type in %v", rd)
		}
	}
}

// fuzzCheck reads data leniently and strictly and checks that neither
// panics, that errors carry sane positions, and that strict mode stops
// exactly when lenient mode saw an error.
func fuzzCheck(t *testing.T, data []byte, format string, open func(onError func(*meter.ParseError, []byte) error) meter.Reader) {
	bad := 0
	reads, err := meter.ReadAll(open(func(e *meter.ParseError, raw []byte) error {
		if e.Format != format || e.Offset < 0 || e.Offset > int64(len(data)) || e.Line < 0 {
			t.Fatalf("bad error %+v", e)
		}
		bad++
		return nil
	}))
	var pe *meter.ParseError
	if err != nil && !errors.As(err, &pe) {
		t.Fatalf("lenient read failed: %v", err)
	}
	if err != nil {
		bad++
	}
	checkReads(t, reads)
	strict, err := meter.ReadAll(open(nil))
	if bad == 0 && (err != nil || len(strict) != len(reads)) {
		t.Fatalf("strict: %v, %d reads, want %d", err, len(strict), len(reads))
	}
	if bad > 0 && err == nil {
		t.Fatalf("strict mode ignored %d bad records", bad)
	}
}
