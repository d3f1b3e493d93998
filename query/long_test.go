package query_test

import "os"

// lastSeed is the last seed a property test runs: short by default, to
// keep CI within its budget, long with MDA_LONG_TESTS=1.
func lastSeed(short, long int64) int64 {
	if os.Getenv("MDA_LONG_TESTS") == "1" {
		return long
	}
	return short
}
