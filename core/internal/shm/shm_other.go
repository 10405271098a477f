//go:build !linux

package shm

import (
	"errors"
	"runtime"
	"sync/atomic"
)

var errUnsupported = errors.New("shm: shared regions need Linux (memfd); use heap regions")

// Create is only implemented on Linux.
func Create(name string, size uint64) (*Region, error) { return nil, errUnsupported }

// Attach is only implemented on Linux.
func Attach(fd int) (*Region, error) { return nil, errUnsupported }

// AttachPath is only implemented on Linux.
func AttachPath(path string) (*Region, error) { return nil, errUnsupported }

// Close releases the region.
func (r *Region) Close() error { r.mem = nil; return nil }

// Wait yields while *addr == val (no futex outside Linux).
func Wait(addr *uint32, val uint32) {
	if atomic.LoadUint32(addr) == val {
		runtime.Gosched()
	}
}

// Wake is a no-op outside Linux (Wait polls).
func Wake(addr *uint32, n int) {}
