// Package memwatch reads the process's memory while a test or benchmark
// attacks it: the live heap, resident memory, and the peak of either over a
// stretch of time.
package memwatch

import (
	"bufio"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Heap returns the bytes of live and not yet collected heap objects.
func Heap() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// RSS returns the process's resident memory in bytes (0 where /proc is
// missing).
func RSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// Peak samples read every few milliseconds until the returned stop is
// called, which returns the highest value seen. It first collects the
// garbage and returns it to the system, so the peak is what the stretch
// holds, not what the tests before it left behind.
func Peak(read func() uint64) (stop func() uint64) {
	debug.FreeOSMemory()
	var peak atomic.Uint64
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}
