//go:build !linux || race

package bihash

import "unsafe"

// arenaMem is the memory of one arena. Off Linux it is an ordinary Go
// allocation of words (pointer-free, so the garbage collector does not scan
// it); the whole arena is committed up front.
//
// Under the race detector it is used on Linux too: the detector only watches
// Go memory, and the point of a -race run is to check that every access to
// the arena that can race is atomic.
type arenaMem struct {
	base  unsafe.Pointer
	size  uint64
	words []uint64
}

func newArena(size uint64) (*arenaMem, error) {
	// One page of slack past the end: a lookup in an empty bucket without
	// an inline page compares the words at offset 0 (and masks the result),
	// which must be readable even in an arena of a few bytes.
	w := make([]uint64, (size+7)/8+arenaSlack/8)
	return &arenaMem{base: unsafe.Pointer(&w[0]), size: size, words: w}, nil
}

func (a *arenaMem) discard(off, n uint64) { clear(a.words[off/8 : (off+n)/8]) }

func (a *arenaMem) release() error {
	a.words, a.base = nil, nil
	return nil
}
