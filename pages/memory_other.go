//go:build !unix

package pages

import "github.com/tetratelabs/wazero/experimental"

// reserved leaves memory to wazero's own allocator where mmap is missing.
func reserved(uint64) experimental.MemoryAllocator { return nil }
