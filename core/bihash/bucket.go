package bihash

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// The bucket word, VPP's layout (spec §2.2):
//
//	bits  0-35  offset      byte offset of the bucket's page array in the arena
//	bit   36    lock        a writer owns the bucket
//	bit   37    linear      pairs are packed; search every slot of every page
//	bits 38-45  log2 pages  the bucket has 2^log2 pages of kvPerPage pairs
//	bits 46-58  refcnt      live pairs (+1 for buckets with an inline page)
//	bits 59-63  generation  bumped on every change, so a reader that saw the
//	                        word before a change never validates after it
//
// One word carries everything a reader needs, so one atomic load gives a
// consistent view and one atomic compare (the same word again) validates it.
const (
	offsetMask = 1<<36 - 1
	lockBit    = 1 << 36
	linearBit  = 1 << 37
	log2Shift  = 38
	log2Mask   = 0xff
	refShift   = 46
	refMask    = 1<<13 - 1
	genShift   = 59
	genMask    = 0x1f

	// kvPerPage is the number of pairs in a page (BIHASH_KVP_PER_PAGE).
	kvPerPage = 4

	// MaxLog2Pages is the largest page count (as log2) a bucket can reach:
	// 2^11 pages hold 8192 pairs, just above the 13-bit reference count's
	// limit of 8191, so no bucket can need more.
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

func wordOffset(w uint64) uintptr { return uintptr(w & offsetMask) }
func wordLog2(w uint64) uint      { return uint(w>>log2Shift) & log2Mask }
func wordRef(w uint64) uint64     { return (w >> refShift) & refMask }
func wordLinear(w uint64) bool    { return w&linearBit != 0 }

// makeWord builds an unlocked bucket word.
func makeWord(off uintptr, log2 uint, linear bool, ref, gen uint64) uint64 {
	w := uint64(off)&offsetMask | uint64(log2&log2Mask)<<log2Shift |
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
	w &^= lockBit | refMask<<refShift | genMask<<genShift
	return w | (ref&refMask)<<refShift | nextGen(w)<<genShift
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
