package atomicfile_test

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/openmda/mda/internal/atomicfile"
)

// TestCreateExclusive: of many writers racing for one name, exactly one
// creates it, with its content whole; the directory is made on the way,
// and no temporary file is left. So with and without the sync.
func TestCreateExclusive(t *testing.T) {
	for _, tc := range []struct {
		name   string
		create func(string, []byte) (bool, error)
	}{
		{"synced", atomicfile.CreateExclusive},
		{"not synced", atomicfile.CreateExclusiveNoSync},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for round := range 50 {
				path := filepath.Join(dir, "a", "b", "lock-"+string(rune('a'+round%26))+string(rune('0'+round/26)))
				var won atomic.Int32
				var winner atomic.Int32
				var wg sync.WaitGroup
				for w := range 8 {
					wg.Go(func() {
						ok, err := tc.create(path, []byte{byte('A' + w)})
						if err != nil {
							t.Error(err)
						}
						if ok {
							won.Add(1)
							winner.Store(int32(w))
						}
					})
				}
				wg.Wait()
				data, err := os.ReadFile(path)
				if won.Load() != 1 || err != nil || string(data) != string(rune('A'+winner.Load())) {
					t.Fatalf("round %d: %d writers created it, content %q, %v", round, won.Load(), data, err)
				}
			}
			entries, _ := os.ReadDir(filepath.Join(dir, "a", "b"))
			for _, e := range entries {
				if e.Name()[0] == '.' {
					t.Errorf("left behind: %s", e.Name())
				}
			}
		})
	}
}
