//go:build !amd64 || purego

package bihash

import (
	"sync/atomic"
	"unsafe"
)

// prefetch loads one word of each cache line at addrs (without a prefetch
// instruction the loads are the next best thing: independent of each other,
// their misses still overlap).
func prefetch(addrs *unsafe.Pointer, n int) {
	for _, a := range unsafe.Slice(addrs, n) {
		atomic.LoadUint64((*uint64)(a))
	}
}
