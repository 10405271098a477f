package bihash

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// The bucket word holds VPP's fields (spec §2.2), packed differently:
//
//	bits  0-29  offset      the bucket's page array, in 64-byte units from
//	                        the arena start (page arrays are 64-byte aligned);
//	                        0 for an unsplit inline bucket, whose page is the
//	                        104-byte bucket's own
//	bit   30    lock        a writer owns the bucket
//	bit   31    linear      pairs are packed; search every slot of every page
//	bits 32-35  log2 pages  the bucket has 2^log2 pages of kvPerPage pairs
//	bits 36-48  refcnt      live pairs (+1 for buckets with an inline page)
//	bits 49-63  generation  bumped on every change
//
// VPP's word has a 36-bit byte offset, 8 bits of log2 pages and 5 bits of
// generation. The offset here has the same range (64 GiB) in 30 bits, and the
// page count needs 4 bits (a bucket never exceeds 2^11 pages, see
// MaxLog2Pages), which leaves 15 bits of generation instead of 5. The
// generation is what makes a reader's validation safe: a reader that loaded
// the word, was descheduled, and re-reads an equal word must be able to trust
// that nothing changed in between. With 5 bits, 32 changes to one bucket
// bring the word back: a writer makes a change in about 100 ns, and a
// goroutine can be off its CPU for milliseconds. With 15 bits it takes 32768
// changes to one bucket while one reader sits between its two loads.
//
// One word carries everything a reader needs, so one atomic load gives a
// consistent view and one atomic compare (the same word again) validates it.
const (
	offsetMask  = 1<<30 - 1
	offsetShift = 6 // offsets count 64-byte units
	lockBit     = 1 << 30
	linearBit   = 1 << 31
	log2Shift   = 32
	log2Mask    = 0xf
	refShift    = 36
	refMask     = 1<<13 - 1
	genShift    = 49
	genMask     = 1<<15 - 1

	// kvPerPage is the number of pairs in a page (BIHASH_KVP_PER_PAGE).
	kvPerPage = 4

	// MaxLog2Pages is the largest page count (as log2) a bucket can reach:
	// 2^11 pages hold 8192 pairs, just above the 13-bit reference count's
	// limit of 8191. A hashed bucket at this size whose key's page is full
	// is packed into a linear-search bucket of the same size, so it can
	// still fill to the reference count's limit.
	MaxLog2Pages = 11

	// maxRefcnt is the 13-bit reference count's limit.
	maxRefcnt = refMask

	// FreeValue is VPP's free-slot marker: a slot whose value is FreeValue
	// is free. It therefore cannot be stored ([ErrInvalidValue]).
	FreeValue = 0xFEEDFACE8BADF00D

	// MaxMemory is the largest arena: offsets are 36 bits.
	MaxMemory = 1 << 36

	// arenaSlack is how many bytes past the configured arena are mapped:
	// more than a page of the largest key (4 x 56 bytes).
	arenaSlack = 256
)

// wordOffset is the byte offset of the bucket's page array (0 for an
// unsplit inline bucket and for an empty bucket without an inline page).
func wordOffset(w uint64) uintptr { return uintptr(w&offsetMask) << offsetShift }
func wordLog2(w uint64) uint      { return uint(w>>log2Shift) & log2Mask }
func wordRef(w uint64) uint64     { return (w >> refShift) & refMask }
func wordLinear(w uint64) bool    { return w&linearBit != 0 }

// makeWord builds an unlocked bucket word; off is a byte offset, a multiple
// of 64.
func makeWord(off uintptr, log2 uint, linear bool, ref, gen uint64) uint64 {
	w := uint64(off>>offsetShift)&offsetMask | uint64(log2&log2Mask)<<log2Shift |
		(ref&refMask)<<refShift | (gen&genMask)<<genShift
	if linear {
		w |= linearBit
	}
	return w
}

// nextGen returns the generation after w's.
func nextGen(w uint64) uint64 { return (w>>genShift + 1) & genMask }

// withRef returns w unlocked, with reference count ref and the next generation.
func withRef(w, ref uint64) uint64 {
	gen := nextGen(w)
	w &^= lockBit | refMask<<refShift | genMask<<genShift
	return w | (ref&refMask)<<refShift | gen<<genShift
}

// bumped returns w unlocked with the next generation.
func bumped(w uint64) uint64 {
	return w&^(lockBit|genMask<<genShift) | nextGen(w)<<genShift
}

// word returns the uint64 at byte offset off from p.
func word(p unsafe.Pointer, off uintptr) *uint64 { return (*uint64)(unsafe.Add(p, off)) }

// load reads a word that a writer may be changing: always atomically, so that
// the race detector (and weakly ordered CPUs) see the seqlock as it is meant.
// On amd64 an atomic load is a plain MOV.
func load(p unsafe.Pointer, off uintptr) uint64 { return atomic.LoadUint64(word(p, off)) }

// store writes a word that a reader may be reading.
func store(p unsafe.Pointer, off uintptr, v uint64) { atomic.StoreUint64(word(p, off), v) }

// spinWait is the slow path of a reader or writer that found a bucket locked:
// spin briefly, then yield so that a descheduled lock holder can run (2
// cores, more goroutines than cores).
//
//go:noinline
func spinWait(bp *uint64) {
	for i := 0; atomic.LoadUint64(bp)&lockBit != 0; i++ {
		if i > 32 {
			runtime.Gosched()
		}
	}
}

// lockBucket sets the lock bit of the bucket word at bp and returns the word
// as it was (unlocked).
func lockBucket(bp *uint64) uint64 {
	for {
		w := atomic.LoadUint64(bp)
		if w&lockBit == 0 && atomic.CompareAndSwapUint64(bp, w, w|lockBit) {
			return w
		}
		spinWait(bp)
	}
}
