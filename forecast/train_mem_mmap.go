//go:build linux || darwin || freebsd

package forecast

import (
	"syscall"
	"unsafe"
)

// mapCells returns cells zeroed float32 sums and uint16 counts in one
// anonymous private mapping, outside the Go heap, and the function that
// unmaps them; a nil unmap means the mapping failed and the caller should
// use the heap. The pages are zero and cost no memory until written.
func mapCells(cells int) (sum []float32, cnt []uint16, unmap func()) {
	if cells <= 0 {
		return nil, nil, nil
	}
	size := cells * gridCellBytes
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil, nil
	}
	p := unsafe.Pointer(unsafe.SliceData(b))
	sum = unsafe.Slice((*float32)(p), cells)
	cnt = unsafe.Slice((*uint16)(unsafe.Add(p, 4*cells)), cells)
	return sum, cnt, func() { _ = syscall.Munmap(b) }
}
