//go:build unix

package pages

import (
	"sync"
	"testing"
)

// TestFreeWhileGrowing: an instance stopped at its deadline is freed from
// the timer's goroutine while its call may still be growing its memory;
// under -race the two must not touch the mapping at once (CI found them
// doing so), and a grow after the free fails instead of reaching freed
// pages.
func TestFreeWhileGrowing(t *testing.T) {
	m := reserved(1<<20).Allocate(0, 1<<20).(*mapping)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for size := uint64(0); size <= 1<<20; size += 1 << 12 {
			m.Reallocate(size)
		}
	}()
	go func() { defer wg.Done(); m.Free() }()
	wg.Wait()
	if b := m.Reallocate(1 << 12); b != nil {
		t.Errorf("a grow after the free gave %d bytes", len(b))
	}
}
