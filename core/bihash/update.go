package bihash

import (
	"sync/atomic"
	"unsafe"
)

// Writers lock one bucket (the lock bit of its word), change it with atomic
// stores, and unlock by storing the new word, generation bumped; readers that
// raced with them fail validation and search again. Page allocation, frees
// and splits also hold t.mu, the allocation lock.

// allSlots returns every slot of the bucket at bp with word w, or n == 0 when
// the bucket is empty and has no page (only possible without an inline page).
func (t *Table[K]) allSlots(bp *uint64, w uint64) (unsafe.Pointer, uintptr) {
	l2 := wordLog2(w)
	if inlinePage[K]() && l2 == 0 {
		return unsafe.Add(unsafe.Pointer(bp), 8), kvPerPage
	}
	off := wordOffset(w)
	if off == 0 {
		return nil, 0
	}
	return unsafe.Add(t.base, off), kvPerPage << l2
}

// writerSlots returns the slots a key with hash h may occupy, including the
// free slots of an empty inline bucket.
func (t *Table[K]) writerSlots(bp *uint64, w, h uint64) (unsafe.Pointer, uintptr) {
	l2 := wordLog2(w)
	if wordLinear(w) || (inlinePage[K]() && l2 == 0) {
		return t.allSlots(bp, w)
	}
	off := wordOffset(w)
	if off == 0 {
		return nil, 0
	}
	return unsafe.Add(t.base, off+uintptr((h>>t.log2n)&(1<<l2-1))*pageBytes[K]()), kvPerPage
}

// isEmpty reports whether the bucket word w describes an empty bucket.
func isEmpty[K Key](w uint64) bool {
	if inlinePage[K]() {
		return wordLog2(w) == 0 && wordRef(w) <= 1
	}
	return wordOffset(w) == 0
}

// livePairs is the number of pairs in a bucket with word w.
func livePairs[K Key](w uint64) uint64 {
	r := wordRef(w)
	if inlinePage[K]() && r > 0 {
		r--
	}
	return r
}

// Add stores value for key, overwriting the value of a key already present.
// It returns ErrTableFull (counted in Stats) when the bucket must grow and the
// arena cannot supply the pages, and ErrInvalidValue for FreeValue. A failed
// Add leaves the table as it was. Adding to a bucket with a free candidate
// slot allocates nothing.
func (t *Table[K]) Add(key K, value uint64) error { return t.add(&key, value, true) }

// AddNoReplace stores value for key unless key is present, in which case it
// returns ErrExists and leaves the stored value alone (VPP's is_add == 2).
// Other errors as Add.
func (t *Table[K]) AddNoReplace(key K, value uint64) error { return t.add(&key, value, false) }

func (t *Table[K]) add(k *K, v uint64, replace bool) error {
	if v == FreeValue {
		return ErrInvalidValue
	}
	if t.closed {
		return ErrClosed
	}
	h := hashKey(k)
	bp := t.bucketAt(h)
	w := lockBucket(bp)
	p, n := t.writerSlots(bp, w, h)
	if n == 0 {
		return t.addFirst(bp, w, k, v)
	}
	var free unsafe.Pointer
	for i := uintptr(0); i < n; i++ {
		kv := kvAt[K](p, i)
		if load(kv, keyWords[K]()*8) == FreeValue {
			if free == nil {
				free = kv
			}
			continue
		}
		if keyEqual(kv, k) {
			if !replace {
				atomic.StoreUint64(bp, w)
				return ErrExists
			}
			store(kv, keyWords[K]()*8, v)
			atomic.StoreUint64(bp, bumped(w))
			t.replaces.Add(1)
			return nil
		}
	}
	if free != nil && wordRef(w) < maxRefcnt {
		writeKV(free, k, v)
		atomic.StoreUint64(bp, withRef(w, wordRef(w)+1))
		t.adds.Add(1)
		return nil
	}
	return t.split(bp, w, h, k, v)
}

// addFirst gives an empty bucket without an inline page its first page.
func (t *Table[K]) addFirst(bp *uint64, w uint64, k *K, v uint64) error {
	t.mu.Lock()
	off, ok := t.allocPages(0)
	t.mu.Unlock()
	if !ok {
		atomic.StoreUint64(bp, w)
		t.tableFull.Add(1)
		return ErrTableFull
	}
	writeKV(unsafe.Add(t.base, off), k, v)
	atomic.StoreUint64(bp, makeWord(off, 0, false, 1, nextGen(w)))
	t.adds.Add(1)
	return nil
}

// Results of one placement attempt during a split.
const (
	placed = iota
	overflow
	noMemory
)

// split grows the locked bucket at bp (word w) whose candidate slots for k
// are full, VPP's way (spec §2.6): rehash its pairs and the new one into
// twice as many pages, else four times as many, else pack them into twice as
// many pages and mark the bucket linear-search. The old pages go to their
// free list, except an inline page, which stays with its bucket.
func (t *Table[K]) split(bp *uint64, w, h uint64, k *K, v uint64) error {
	old := wordLog2(w)
	if wordRef(w) >= maxRefcnt || (old >= MaxLog2Pages && w&linearBit != 0) {
		atomic.StoreUint64(bp, w)
		t.tableFull.Add(1)
		return ErrBucketFull
	}
	t.mu.Lock()
	p, n := t.allSlots(bp, w)
	buf := t.scratch[:0]
	for i := uintptr(0); i < n; i++ {
		kv := kvAt[K](p, i)
		if val := load(kv, keyWords[K]()*8); val != FreeValue {
			buf = append(buf, kvPair[K]{loadKey[K](kv), val})
		}
	}
	buf = append(buf, kvPair[K]{*k, v})
	t.scratch = buf

	l2, linear := old+1, false
	var off uintptr
	res := overflow
	if l2 <= MaxLog2Pages {
		off, res = t.rehash(buf, l2)
		if res == overflow && old+2 <= MaxLog2Pages {
			if off2, res2 := t.rehash(buf, old+2); res2 == placed {
				off, res, l2 = off2, placed, old+2
			}
		}
	} else {
		// At the page limit a hashed bucket cannot double; packing its
		// pairs linearly into as many pages uses every slot, up to the
		// reference count's limit.
		l2 = MaxLog2Pages
	}
	if res == overflow {
		off, res = t.packLinear(buf, l2)
		linear = true
	}
	if res != placed {
		t.mu.Unlock()
		atomic.StoreUint64(bp, w)
		t.tableFull.Add(1)
		return ErrTableFull
	}
	atomic.StoreUint64(bp, makeWord(off, l2, linear, wordRef(w)+1, nextGen(w)))
	if !inlinePage[K]() || old > 0 {
		t.freePages(wordOffset(w), old)
	}
	t.mu.Unlock()
	t.splits.Add(1)
	t.adds.Add(1)
	return nil
}

// rehash places pairs into a new array of 2^l2 pages, each into the page its
// hash selects; it fails with overflow (array freed again) when a page
// overflows.
func (t *Table[K]) rehash(pairs []kvPair[K], l2 uint) (uintptr, int) {
	off, ok := t.allocPages(l2)
	if !ok {
		return 0, noMemory
	}
	np := uint64(1) << l2
	fill := t.fill[:np]
	clear(fill)
	p := unsafe.Add(t.base, off)
	for i := range pairs {
		pg := (hashKey(&pairs[i].key) >> t.log2n) & (np - 1)
		if fill[pg] == kvPerPage {
			t.freePages(off, l2)
			return 0, overflow
		}
		writeKV(kvAt[K](p, uintptr(pg)*kvPerPage+uintptr(fill[pg])), &pairs[i].key, pairs[i].val)
		fill[pg]++
	}
	return off, placed
}

// packLinear writes pairs one after the other into a new array of 2^l2
// pages, for a linear-search bucket.
func (t *Table[K]) packLinear(pairs []kvPair[K], l2 uint) (uintptr, int) {
	off, ok := t.allocPages(l2)
	if !ok {
		return 0, noMemory
	}
	p := unsafe.Add(t.base, off)
	for i := range pairs {
		writeKV(kvAt[K](p, uintptr(i)), &pairs[i].key, pairs[i].val)
	}
	return off, placed
}

// Delete removes key. It returns ErrNotFound when key is absent (VPP's -3),
// ErrNotFoundEmpty when its bucket is empty (VPP's -1; only variants
// without inline pages have empty buckets). When the
// last pair of a bucket without an inline page goes, the bucket's pages go
// to their free list; when the last pair of a split inline bucket goes, the
// bucket returns to its inline page and its pages go to their free list.
func (t *Table[K]) Delete(key K) error {
	if t.closed {
		return ErrClosed
	}
	h := hashKey(&key)
	bp := t.bucketAt(h)
	w := lockBucket(bp)
	p, n := t.writerSlots(bp, w, h)
	if n == 0 {
		atomic.StoreUint64(bp, w)
		return ErrNotFoundEmpty
	}
	for i := uintptr(0); i < n; i++ {
		kv := kvAt[K](p, i)
		if load(kv, keyWords[K]()*8) == FreeValue || !keyEqual(kv, &key) {
			continue
		}
		store(kv, keyWords[K]()*8, FreeValue)
		ref, l2 := wordRef(w)-1, wordLog2(w)
		switch {
		case inlinePage[K]() && ref == 1 && l2 > 0:
			t.markFree(uintptr(h&t.mask)*bucketBytes[K]()+8, kvPerPage)
			atomic.StoreUint64(bp, makeWord(0, 0, false, 1, nextGen(w)))
			t.mu.Lock()
			t.freePages(wordOffset(w), l2)
			t.mu.Unlock()
		case !inlinePage[K]() && ref == 0:
			atomic.StoreUint64(bp, makeWord(0, 0, false, 0, nextGen(w)))
			t.mu.Lock()
			t.freePages(wordOffset(w), l2)
			t.mu.Unlock()
		default:
			atomic.StoreUint64(bp, withRef(w, ref))
		}
		t.deletes.Add(1)
		return nil
	}
	atomic.StoreUint64(bp, w)
	return ErrNotFound
}
