//go:build unix

package pages

import (
	"sync"
	"syscall"
	"time"

	"github.com/tetratelabs/wazero/experimental"
)

// reserved backs each PDFium instance's memory with an anonymous mapping
// reserved at the cap and filled by the kernel only where touched. Growing
// never copies (the default allocator appends, leaving each old copy to the
// collector: a 256 MiB instance cost 800 MiB resident at its peak), a grow
// past the cap fails inside PDFium, and closing the instance gives its pages
// back at once.
func reserved(limit uint64) experimental.MemoryAllocator {
	return experimental.MemoryAllocatorFunc(func(_, max uint64) experimental.LinearMemory {
		size := min(max, limit)
		buf, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
		if err != nil {
			return &mapping{} // every grow fails: PDFium reports it is out of memory
		}
		return &mapping{buf: buf[:0]}
	})
}

// mapping is one instance's memory. An instance stopped at its deadline is
// freed from the timer's goroutine while its call may still be growing the
// memory in its own: mu keeps the two apart.
type mapping struct {
	mu  sync.Mutex
	buf []byte
}

func (m *mapping) Reallocate(size uint64) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	if size > uint64(cap(m.buf)) {
		return nil
	}
	m.buf = m.buf[:size]
	return m.buf
}

// unmapAfter is how long a freed mapping stays mapped. An instance stopped
// at its deadline is closed while its call may still be unwinding (it stops
// at its next check, within milliseconds): unmapping at once would fault that
// call. Its pages are given back at once all the same.
const unmapAfter = time.Minute

func (m *mapping) Free() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cap(m.buf) == 0 {
		return
	}
	all := m.buf[:cap(m.buf)]
	m.buf = nil
	syscall.Madvise(all, syscall.MADV_DONTNEED) // resident memory comes back now
	time.AfterFunc(unmapAfter, func() { syscall.Munmap(all) })
}
