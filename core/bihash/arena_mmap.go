//go:build linux && !race

package bihash

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePageSize is the transparent huge page size on amd64 and arm64 (4 KiB
// base pages).
const hugePageSize = 2 << 20

// hugeMin is the smallest arena that is aligned to and advised for
// transparent huge pages. Random lookups in a large table miss the TLB on
// nearly every access with 4 KiB pages (a 100 MB table spans 25,000 of them);
// with 2 MiB pages the whole table fits in the TLB. Small arenas stay on 4 KiB
// pages so that a test table does not fault in 2 MiB at a time.
var hugeMin uint64 = 8 << 20

// arenaMem is the memory of one arena: an anonymous private mapping with
// MAP_NORESERVE, so untouched bytes cost nothing and the garbage collector
// never sees it.
type arenaMem struct {
	base   unsafe.Pointer // start of the arena (aligned)
	size   uint64         // arena bytes as configured
	raw    unsafe.Pointer // start of the mapping
	rawLen uintptr        // length of the mapping
}

func newArena(size uint64) (*arenaMem, error) {
	page := uint64(unix.Getpagesize())
	// Rounding up to a page also leaves the slack that a lookup in an
	// empty bucket without an inline page reads (see find).
	mapLen := (size + arenaSlack + page - 1) &^ (page - 1)
	huge := size >= hugeMin
	if huge {
		mapLen += hugePageSize // room to align the start to a huge page
	}
	raw, err := unix.MmapPtr(-1, 0, nil, uintptr(mapLen), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("bihash: mapping a %d-byte arena: %w", size, err)
	}
	a := &arenaMem{base: raw, size: size, raw: raw, rawLen: uintptr(mapLen)}
	if huge {
		skip := (hugePageSize - uintptr(raw)%hugePageSize) % hugePageSize
		a.base = unsafe.Add(raw, skip)
		// Advice is best effort: without it the table still works, on
		// 4 KiB pages.
		_ = unix.Madvise(unsafe.Slice((*byte)(a.base), int(size)), unix.MADV_HUGEPAGE)
	}
	return a, nil
}

// discard gives the bytes [off, off+n) back to the kernel; they read as zero
// afterwards.
func (a *arenaMem) discard(off, n uint64) {
	page := uint64(unix.Getpagesize())
	start := (off + page - 1) &^ (page - 1)
	end := (off + n) &^ (page - 1)
	if end > start {
		_ = unix.Madvise(unsafe.Slice((*byte)(unsafe.Add(a.base, start)), int(end-start)), unix.MADV_DONTNEED)
	}
}

func (a *arenaMem) release() error {
	if a.raw == nil {
		return nil
	}
	err := unix.MunmapPtr(a.raw, a.rawLen)
	a.raw, a.base = nil, nil
	return err
}
