package bihash

import (
	"math/bits"
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

// b2u is 1 for true: compiled to SETcc, no branch.
func b2u(b bool) uint {
	var u uint
	if b {
		u = 1
	}
	return u
}

// eq2, eq3 and eq6 return 1 when the key of the pair at kv is the given key.
func eq2(kv unsafe.Pointer, a, b uint64) uint {
	return b2u((load(kv, 0)^a)|(load(kv, 8)^b) == 0)
}

func eq3(kv unsafe.Pointer, a, b, c uint64) uint {
	return b2u((load(kv, 0)^a)|(load(kv, 8)^b)|(load(kv, 16)^c) == 0)
}

// xor3 is the difference of three key words at kv from a, b, c: 0 when equal.
// eq6 is made of two, each small enough to inline.
func xor3(kv unsafe.Pointer, a, b, c uint64) uint64 {
	return (load(kv, 0) ^ a) | (load(kv, 8) ^ b) | (load(kv, 16) ^ c)
}

// find searches the bucket at bp, whose word was w when loaded, for k with
// hash h. ok is false when the answer cannot be trusted (the bucket was
// locked or changed meanwhile) and the caller must load the word again.
//
// Like VPP, it finds the candidate page by arithmetic on the bucket word
// alone (offset + page index from the hash; an unsplit inline bucket's
// offset points at its own inline page), with no branch on the page count:
// that branch would be unpredictable (about one lookup in seven lands in a
// split bucket at the default load), and a mispredicted branch that waits on
// a cache miss throws away the lookups the CPU had already started after it.
// The address then depends on the loaded word, but for an inline bucket the
// lines it names are the ones already on their way (see Lookup).
func (t *Table[K]) find(bp *uint64, w, h uint64, k *K) (v uint64, found, ok bool) {
	n := len(*k)
	kvb := uintptr(n+1) * 8
	if w&(lockBit|linearBit) != 0 {
		if w&lockBit != 0 {
			return 0, false, false
		}
		return t.findSlow(bp, w, k)
	}
	off := uintptr(w & offsetMask)
	pg := uintptr((h >> (t.log2n & 63)) & (1<<(wordLog2(w)&63) - 1))
	p := unsafe.Add(t.base, off+pg*kvPerPage*kvb)
	// A mask of the 4 slots whose key is k, computed without branches.
	var m uint
	switch n {
	case 2:
		a, b := wd(k, 0), wd(k, 1)
		m = eq2(p, a, b) | eq2(unsafe.Add(p, 24), a, b)<<1 |
			eq2(unsafe.Add(p, 48), a, b)<<2 | eq2(unsafe.Add(p, 72), a, b)<<3
	case 3:
		a, b, c := wd(k, 0), wd(k, 1), wd(k, 2)
		m = eq3(p, a, b, c) | eq3(unsafe.Add(p, 32), a, b, c)<<1 |
			eq3(unsafe.Add(p, 64), a, b, c)<<2 | eq3(unsafe.Add(p, 96), a, b, c)<<3
	default:
		a, b, c, d, e, f := wd(k, 0), wd(k, 1), wd(k, 2), wd(k, 3), wd(k, 4), wd(k, 5)
		for i := uintptr(0); i < kvPerPage; i++ {
			kv := unsafe.Add(p, i*56)
			m |= b2u(xor3(kv, a, b, c)|xor3(unsafe.Add(kv, 24), d, e, f) == 0) << i
		}
	}
	if n != 2 {
		// An empty bucket without an inline page has offset 0, so p
		// points into the bucket array (readable: the arena is mapped
		// with slack past its end): nothing there is a pair. Masking
		// instead of branching keeps misses, which are frequent (every
		// new flow), free of mispredictions.
		m &= -b2u(off != 0)
	}
	for ; m != 0; m &= m - 1 {
		kv := unsafe.Add(p, uintptr(bits.TrailingZeros(m))*kvb)
		if v = load(kv, uintptr(n)*8); v != FreeValue {
			return v, true, atomic.LoadUint64(bp) == w
		}
	}
	return 0, false, atomic.LoadUint64(bp) == w
}

// findSlow searches every slot of a linear-search bucket.
//
//go:noinline
func (t *Table[K]) findSlow(bp *uint64, w uint64, k *K) (uint64, bool, bool) {
	p, n := t.allSlots(bp, w)
	for i := uintptr(0); i < n; i++ {
		kv := kvAt[K](p, i)
		if keyEqual(kv, k) {
			if v := load(kv, keyWords[K]()*8); v != FreeValue {
				return v, true, atomic.LoadUint64(bp) == w
			}
		}
	}
	return 0, false, atomic.LoadUint64(bp) == w
}

// Lookup returns the value stored for key. It takes no lock: it reads the
// bucket word, searches, and accepts the answer only if the bucket word is
// still the same (no writer held or changed the bucket meanwhile); otherwise
// it searches again. It allocates nothing.
func (t *Table[K]) Lookup(key K) (value uint64, ok bool) {
	var h uint64
	switch len(key) { // hashKey, written out so that hash16 and hash24 inline
	case 2:
		h = hash16(key[0], key[1])
	case 3:
		h = hash24(wd(&key, 0), wd(&key, 1), wd(&key, 2))
	default:
		h = hash48((*[6]uint64)(unsafe.Pointer(&key)))
	}
	bp := t.bucketAt(h)
	if len(key) == 2 {
		// Start fetching every cache line of the 104-byte bucket now:
		// find computes the page address from the bucket word, and
		// these lines must not wait for it.
		touchInline(bp)
	}
	for {
		v, found, valid := t.find(bp, atomic.LoadUint64(bp), h, &key)
		if valid {
			return v, found
		}
		spinWait(bp)
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
		// Phase 3: compare, in cache now, and validate.
		for i := range ks {
			v, f, ok := t.find(bps[i], ws[i], hs[i], &ks[i])
			if !ok {
				v, f = t.Lookup(ks[i])
			}
			vals[i], found[i] = v, f
			if f {
				hits++
			}
		}
		keys, vals, found = keys[m:], vals[m:], found[m:]
	}
	return hits
}
