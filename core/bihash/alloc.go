package bihash

import "unsafe"

// Page arrays are carved from the arena by a bump pointer and recycled
// through one free list per page count (log2), as VPP does; there is no
// coalescing, so a free list of one size cannot serve another (the arena
// fragments the way VPP's does). Every function here runs under t.mu.

// pagesBytes is the size of an array of 2^log2 pages, rounded up to a
// 64-byte multiple (VPP rounds its allocations to cache lines).
func pagesBytes[K Key](log2 uint) uintptr {
	return (pageBytes[K]()<<log2 + 63) &^ 63
}

// allocPages returns the offset of an array of 2^log2 pages with every slot
// free, or false when the arena cannot supply one.
func (t *Table[K]) allocPages(log2 uint) (uintptr, bool) {
	off := t.freeHead[log2]
	if off != 0 {
		t.freeHead[log2] = uintptr(load(t.base, off)) // link in the first word
		t.freeCount[log2]--
	} else {
		size := pagesBytes[K](log2)
		if uint64(t.next)+uint64(size) > t.mem.size {
			return 0, false
		}
		off = t.next
		t.next += size
		if int(log2)+1 > t.nLists {
			t.nLists = int(log2) + 1
		}
	}
	t.markFree(off, kvPerPage<<log2)
	return off, true
}

// markFree marks n slots starting at off free. The stores are atomic: a
// reader that loaded the bucket word before these pages were freed by
// another bucket may still be reading them (it will fail validation).
func (t *Table[K]) markFree(off uintptr, n uintptr) {
	kv, vo := kvBytes[K](), keyWords[K]()*8
	for i := uintptr(0); i < n; i++ {
		store(t.base, off+i*kv+vo, FreeValue)
	}
}

// freePages puts the array of 2^log2 pages at off on its free list.
func (t *Table[K]) freePages(off uintptr, log2 uint) {
	store(t.base, off, uint64(t.freeHead[log2]))
	t.freeHead[log2] = off
	t.freeCount[log2]++
}

// kvAt returns a pointer to pair i of the page array starting at p.
func kvAt[K Key](p unsafe.Pointer, i uintptr) unsafe.Pointer {
	return unsafe.Add(p, i*kvBytes[K]())
}

// keyEqual compares the key of the pair at kv with k, word by word with
// atomic loads, cheapest mismatch first.
func keyEqual[K Key](kv unsafe.Pointer, k *K) bool {
	switch len(*k) {
	case 2:
		return load(kv, 0) == (*k)[0] && load(kv, 8) == (*k)[1]
	case 3:
		return load(kv, 0) == wd(k, 0) && load(kv, 8) == wd(k, 1) && load(kv, 16) == wd(k, 2)
	}
	for i := range len(*k) {
		if load(kv, uintptr(i)*8) != (*k)[i] {
			return false
		}
	}
	return true
}

// loadKey copies the key of the pair at kv.
func loadKey[K Key](kv unsafe.Pointer) K {
	var k K
	for i := range len(k) {
		k[i] = load(kv, uintptr(i)*8)
	}
	return k
}

// writeKV writes a pair: the value first, then the key (VPP's order), each
// word atomically.
func writeKV[K Key](kv unsafe.Pointer, k *K, v uint64) {
	store(kv, keyWords[K]()*8, v)
	for i := range len(*k) {
		store(kv, uintptr(i)*8, (*k)[i])
	}
}
