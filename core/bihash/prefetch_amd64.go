//go:build amd64 && !purego

package bihash

import "unsafe"

// prefetch asks the CPU to bring the cache lines at addrs into the cache
// (PREFETCHT0) and returns at once. Unlike a load whose value is unused, a
// prefetch does not hold up the reorder buffer until its line arrives, so a
// batch of them puts many misses in flight for the price of one call.
//
//go:noescape
func prefetch(addrs *unsafe.Pointer, n int)
