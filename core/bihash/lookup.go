package bihash

import (
	"sync/atomic"
	"unsafe"
)

// The lookup path is written for the code the compiler makes of it: in each
// instantiation len(k) is a constant, so the length switches below vanish;
// the helpers are small non-generic functions so that each inlines (the
// inliner prices a generic function with all its branches); and the slots of
// a page are compared without branches, into a bit mask, because which slot
// holds the key is random: a branch per slot mispredicts on nearly every
// lookup, and a mispredicted branch that waits on a cache miss throws away
// the next lookups the CPU had already started.

// bucketAt returns the bucket word for hash h.
func (t *Table[K]) bucketAt(h uint64) *uint64 {
	var k K
	return (*uint64)(unsafe.Add(t.base, uintptr(h&t.mask)*bucketStride(len(k))))
}

// bucketStride is bucketBytes for a key of n words, for hot paths.
func bucketStride(n int) uintptr {
	if n == 2 {
		return 8 + kvPerPage*24
	}
	return 8
}

// xor3 is the difference of the three key words at kv from a, b, c: 0 when
// they are equal. A 48-byte key is compared as two of them, each small
// enough to inline.
func xor3(kv unsafe.Pointer, a, b, c uint64) uint64 {
	return (load(kv, 0) ^ a) | (load(kv, 8) ^ b) | (load(kv, 16) ^ c)
}

// pageMasks[l2] is (1 << l2) - 1: the page-index mask of a bucket with 2^l2
// pages, read from a table (one load that hits L1) instead of computed with
// a variable shift, which on amd64 (without BMI2) costs several moves into CX.
var pageMasks = func() (m [256]uint64) {
	for i := range 64 {
		m[i] = 1<<i - 1
	}
	return m
}()

// Lookup returns the value stored for key. It takes no lock: it reads the
// bucket word, searches, and accepts the answer only if the bucket word is
// still the same (no writer held or changed the bucket meanwhile); otherwise
// it searches again. It allocates nothing.
//
// The body is one function, its helpers inlined and its length switches
// folded away in each instantiation, because at 1M keys and more a lookup is
// a cache miss and what decides the speed of a loop of lookups is how many
// of those misses are in flight at once: the CPU keeps issuing the next
// lookups while the first one waits, until its reorder buffer is full, so
// every instruction saved is more overlap. For the same reason it has no
// branch whose outcome is random:
//
//   - Like VPP it finds the candidate page by arithmetic on the bucket word
//     (offset plus page index from the hash; an unsplit inline bucket's offset
//     points at its own inline page) rather than branching on the page count:
//     one lookup in seven lands in a split bucket at the default load, and a
//     mispredicted branch that waits on a cache miss throws away all the work
//     started after it. The address then depends on the loaded word, but for
//     an inline bucket its cache lines are already on their way (touchInline).
//   - The slot holding the key is picked with conditional moves, not a branch
//     per slot.
func (t *Table[K]) Lookup(key K) (value uint64, ok bool) {
	n := len(key)
	kvb := uintptr(n+1) * 8
	var h uint64
	switch n { // hashKey, written out so that hash16 and hash24 inline
	case 2:
		h = hash16(key[0], key[1])
	case 3:
		h = hash24(wd(&key, 0), wd(&key, 1), wd(&key, 2))
	default:
		h = hash48((*[6]uint64)(unsafe.Pointer(&key)))
	}
	bp := t.bucketAt(h)
	if n == 2 {
		touchInline(bp)
	}
	hp := h >> (t.log2n & 63) // the page bits, ready before the word arrives
	for {
		w := atomic.LoadUint64(bp)
		if w&(lockBit|linearBit) != 0 {
			return t.lookupSlow(bp, h, &key)
		}
		off := uintptr(w & offsetMask)
		p := unsafe.Add(t.base, off+uintptr(hp&pageMasks[uint8(w>>log2Shift)])*kvPerPage*kvb)
		// i = the first slot whose key is key, kvPerPage if none.
		i := uintptr(kvPerPage)
		switch n {
		case 2:
			a, b := key[0], key[1]
			if xor2(p, 72, a, b) == 0 {
				i = 3
			}
			if xor2(p, 48, a, b) == 0 {
				i = 2
			}
			if xor2(p, 24, a, b) == 0 {
				i = 1
			}
			if xor2(p, 0, a, b) == 0 {
				i = 0
			}
		case 3:
			a, b, c := wd(&key, 0), wd(&key, 1), wd(&key, 2)
			if xor3(unsafe.Add(p, 96), a, b, c) == 0 {
				i = 3
			}
			if xor3(unsafe.Add(p, 64), a, b, c) == 0 {
				i = 2
			}
			if xor3(unsafe.Add(p, 32), a, b, c) == 0 {
				i = 1
			}
			if xor3(p, a, b, c) == 0 {
				i = 0
			}
		default:
			a, b, c, d, e, f := wd(&key, 0), wd(&key, 1), wd(&key, 2), wd(&key, 3), wd(&key, 4), wd(&key, 5)
			for j := uintptr(kvPerPage); j > 0; j-- {
				kv := unsafe.Add(p, (j-1)*56)
				if xor3(kv, a, b, c)|xor3(unsafe.Add(kv, 24), d, e, f) == 0 {
					i = j - 1
				}
			}
			// An empty bucket without an inline page has offset 0, so p
			// points into the bucket array (readable: the arena is
			// mapped with slack past its end), where nothing is a pair.
			// A conditional move, not a branch: misses are frequent
			// (every new flow's first packet).
			if off == 0 {
				i = kvPerPage
			}
		}
		if i < kvPerPage {
			v := load(p, i*kvb+uintptr(n)*8)
			if v == FreeValue {
				// The first match is a deleted copy of the key; a live
				// one may follow it.
				return t.lookupSlow(bp, h, &key)
			}
			if atomic.LoadUint64(bp) == w {
				return v, true
			}
			continue
		}
		if atomic.LoadUint64(bp) == w {
			return 0, false
		}
	}
}

// xor2 is the difference of the two key words at p+off from a, b: 0 when
// they are equal.
func xor2(p unsafe.Pointer, off uintptr, a, b uint64) uint64 {
	return (load(p, off) ^ a) | (load(p, off+8) ^ b)
}

// lookupSlow is Lookup for the rare cases: a locked bucket (wait for the
// writer), a linear-search bucket (search every slot), a deleted copy of the
// key ahead of the live one (search slot by slot, skipping free slots).
//
//go:noinline
func (t *Table[K]) lookupSlow(bp *uint64, h uint64, k *K) (uint64, bool) {
	for {
		w := atomic.LoadUint64(bp)
		if w&lockBit != 0 {
			spinWait(bp)
			continue
		}
		p, n := t.writerSlots(bp, w, h)
		v, found := uint64(0), false
		for i := uintptr(0); i < n; i++ {
			kv := kvAt[K](p, i)
			if keyEqual(kv, k) {
				if v = load(kv, keyWords[K]()*8); v != FreeValue {
					found = true
					break
				}
			}
		}
		if atomic.LoadUint64(bp) == w {
			if !found {
				v = 0
			}
			return v, found
		}
	}
}

// touchInline loads the words at offsets 56 and 96 of an inline bucket,
// which together with the bucket word reach every cache line a 104-byte
// bucket can span. The loads are atomic, so the compiler keeps them though
// their values are not used.
func touchInline(bp *uint64) {
	atomic.LoadUint64(word(unsafe.Pointer(bp), 56))
	atomic.LoadUint64(word(unsafe.Pointer(bp), 96))
}

// batchGroup is the number of keys LookupBatch has in flight at once: enough
// independent cache misses to keep the memory system busy, few enough that
// the group's buckets stay in L1.
const batchGroup = 16

// LookupBatch looks up every key of keys, storing the value and whether it
// was found at the same index of vals and found (which must be at least as
// long as keys), and returns the number of keys found.
//
// It works in groups of 16 keys: first it hashes every key of the group and
// loads every bucket word (and every cache line of an inline bucket); then,
// for buckets whose pages live elsewhere in the arena, the page each key must
// be in; only then does it compare keys. The loads of one phase do not depend
// on each other, so their cache misses overlap instead of queueing behind one
// another. Each answer is validated like Lookup's. It allocates nothing.
func (t *Table[K]) LookupBatch(keys []K, vals []uint64, found []bool) int {
	vals = vals[:len(keys)]
	found = found[:len(keys)]
	var hs, ws [batchGroup]uint64
	var bps [batchGroup]*uint64
	var k0 K
	n := len(k0)
	kvb := uintptr(n+1) * 8
	hits := 0
	for len(keys) > 0 {
		m := min(len(keys), batchGroup)
		ks := keys[:m]
		// Phase 1: hashes, bucket words and inline pages.
		for i := range ks {
			var h uint64
			switch kp := &ks[i]; n { // hashKey, written out (see Lookup)
			case 2:
				h = hash16(wd(kp, 0), wd(kp, 1))
			case 3:
				h = hash24(wd(kp, 0), wd(kp, 1), wd(kp, 2))
			default:
				h = hash48((*[6]uint64)(unsafe.Pointer(kp)))
			}
			bp := t.bucketAt(h)
			hs[i], bps[i] = h, bp
			if n == 2 {
				touchInline(bp)
			}
			ws[i] = atomic.LoadUint64(bp)
		}
		// Phase 2: the candidate page of every bucket (for an unsplit
		// inline bucket, lines already on their way).
		for i := range ks {
			w := ws[i]
			pg := uintptr((hs[i] >> (t.log2n & 63)) & (1<<(wordLog2(w)&63) - 1))
			p := unsafe.Add(t.base, uintptr(w&offsetMask)+pg*kvPerPage*kvb)
			atomic.LoadUint64((*uint64)(p))
			atomic.LoadUint64(word(p, 2*kvb))
			atomic.LoadUint64(word(p, kvPerPage*kvb-8))
		}
		// Phase 3: the lookups proper, in cache now.
		for i := range ks {
			v, f := t.Lookup(ks[i])
			vals[i], found[i] = v, f
			if f {
				hits++
			}
		}
		keys, vals, found = keys[m:], vals[m:], found[m:]
	}
	return hits
}
