package partition

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"
)

// TestCPUWriteFile prints the CPU time of writing an hourly partition, a
// measure that load on a shared machine disturbs less than wall time.
// Run with MDA_CPU_TEST=1.
func TestCPUWriteFile(t *testing.T) {
	if os.Getenv("MDA_CPU_TEST") == "" {
		t.Skip("set MDA_CPU_TEST=1 to measure")
	}
	reads := hourReads(hourOf("2024-03-01T10:00:00Z"))
	k := KeyOf(reads[0])
	b := memblob.OpenBucket(nil)
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	const n = 30
	c0 := cpu()
	for range n {
		if _, err := WriteFile(context.Background(), b, k, "x", reads, nil); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("CPU per file of %d rows: %s", len(reads), (cpu()-c0)/n)
}
