// Package shm is the platform layer under sessionlab's shared-memory
// structures: it creates and maps memory regions that another process can map
// too (a memfd on Linux), gives typed atomic views of words inside such a
// region, and parks a thread on a word in it (a futex) so that a consumer in one
// process can sleep until a producer in another one wakes it.
//
// Data flows like this: core/fifo and core/msgq ask for a Region (Create, or
// Attach to an fd received from another process), lay their headers and
// payload out at byte offsets inside Region.Bytes, and read and write the
// shared words through Uint32At/Uint64At with sync/atomic. Nothing in a region
// is a Go pointer, so every process that maps it sees the same structures.
package shm

import (
	"errors"
	"fmt"
	"unsafe"
)

// PageSize is the granularity regions are rounded to.
const PageSize = 4096

// CacheLine is the size structures pad to so that words written by different
// threads never share a line (false sharing costs more than the copy).
const CacheLine = 64

// ErrBadRange reports an offset or size outside a region.
var ErrBadRange = errors.New("shm: offset out of range")

// Region is a mapped block of memory, either shareable (memfd + mmap) or plain
// Go heap memory for single-process use. The zero value is not usable.
type Region struct {
	id     [2]uint64 // identity shared by every mapping in one process
	mem    []byte
	fd     int  // -1 for heap regions
	mapped bool // mem came from mmap and must be unmapped
	owner  bool // fd was created here (close it on Close)
}

// Bytes returns the whole region. The slice stays valid until Close.
func (r *Region) Bytes() []byte { return r.mem }

// Size returns the size of the region in bytes.
func (r *Region) Size() int { return len(r.mem) }

// Fd returns the file descriptor another process can map, or -1 for a heap
// region.
func (r *Region) Fd() int { return r.fd }

// Shared reports whether the region can be mapped by another process.
func (r *Region) Shared() bool { return r.fd >= 0 }

// NewHeap returns a region of size bytes (rounded up to a cache line) backed by
// Go heap memory. The memory is 64-byte aligned so atomics on 8-byte words at
// aligned offsets are valid. Go's heap does not move objects, so the addresses
// stay fixed (futexes on them work).
func NewHeap(size int) (*Region, error) {
	if size <= 0 {
		return nil, fmt.Errorf("shm: heap region size %d must be positive", size)
	}
	n := (size + CacheLine - 1) &^ (CacheLine - 1)
	// Allocate as uint64 words so the base is 8-byte aligned, then slide to a
	// 64-byte boundary.
	words := make([]uint64, (n+CacheLine)/8)
	base := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(words)*8)
	skip := int((CacheLine - uintptr(unsafe.Pointer(&base[0]))%CacheLine) % CacheLine)
	mem := base[skip : skip+n : skip+n]
	return &Region{mem: mem, fd: -1, id: [2]uint64{0, uint64(uintptr(unsafe.Pointer(&mem[0])))}}, nil
}

// ID identifies the memory behind the region: the memfd's device and inode
// for a shareable region (equal for every mapping of it, in any process), or
// zero and the base address for a heap region.
func (r *Region) ID() [2]uint64 { return r.id }

// RoundPage rounds n up to a multiple of PageSize.
func RoundPage(n uint64) uint64 { return (n + PageSize - 1) &^ (PageSize - 1) }

// Uint32At returns a pointer to the 4-byte word at off in mem, for use with
// sync/atomic. off must be 4-byte aligned and in range; callers check bounds
// once when they lay a structure out, so this does not.
func Uint32At(mem []byte, off uint64) *uint32 {
	return (*uint32)(unsafe.Pointer(&mem[off]))
}

// Uint64At returns a pointer to the 8-byte word at off in mem, for use with
// sync/atomic. off must be 8-byte aligned.
func Uint64At(mem []byte, off uint64) *uint64 {
	return (*uint64)(unsafe.Pointer(&mem[off]))
}

// Check returns ErrBadRange (wrapped with context) unless [off, off+n) lies in
// a region of size bytes and off is aligned to align.
func Check(size, off, n, align uint64, what string) error {
	if off > size || n > size-off {
		return fmt.Errorf("%w: %s at offset %d, length %d, region size %d", ErrBadRange, what, off, n, size)
	}
	if align > 1 && off%align != 0 {
		return fmt.Errorf("%w: %s at offset %d is not %d-byte aligned", ErrBadRange, what, off, align)
	}
	return nil
}
