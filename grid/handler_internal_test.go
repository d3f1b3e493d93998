package grid

import (
	"context"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/openmda/mda/grid/topology"
)

// TestOutageCacheFullOfScans: with every slot of the cache taken by a scan
// still running, a request scans without the cache (before, eviction
// panicked with the lock held, and every later request hung).
func TestOutageCacheFullOfScans(t *testing.T) {
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	h := &handler{lake: lake, opts: HandlerOptions{OutageTTL: time.Minute, Now: time.Now}, outages: map[[2]int64]*outageAnswer{}}
	for i := range maxOutageAnswers {
		h.outages[[2]int64{int64(i), 0}] = &outageAnswer{done: make(chan struct{}), at: time.Now()}
	}
	from := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ev, err := h.detectOutages(ctx, &topology.Topology{}, from, from.Add(time.Hour))
		cancel()
		if err != nil || len(ev) != 0 {
			t.Fatalf("%v, %v; want no outages and no error", ev, err)
		}
	}
	if len(h.outages) != maxOutageAnswers {
		t.Errorf("%d answers cached, want the %d running scans only", len(h.outages), maxOutageAnswers)
	}
}
