package bihash

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// The lookup path is written for the code the compiler makes of it: in each
// instantiation len(k) is a constant, so the length switches below vanish,
// and the helpers are small non-generic functions so that each inlines (the
// inliner prices a generic function with all the branches of its length
// switch). See Lookup for what was measured and why.

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
var pageMasks = func() (m [log2Mask + 1]uint64) {
	for i := range m {
		m[i] = 1<<i - 1
	}
	return m
}()

// b2u is 1 for true, 0 for false: compiled to SETcc, no branch.
func b2u(b bool) uint {
	var u uint
	if b {
		u = 1
	}
	return u
}

// Lookup returns the value stored for key. It takes no lock: it reads the
// bucket word, searches, and accepts the answer only if the bucket word is
// still the same (no writer held or changed the bucket meanwhile); otherwise
// it searches again. It allocates nothing.
//
// At a million keys and more a lookup is a cache miss, and what decides the
// speed of a loop of lookups is how many misses are in flight at once: the CPU
// runs ahead into the next lookups while the first one waits, as far as its
// reorder buffer allows. So the code is shaped for overlap (each figure
// below was measured on the benchmark machine, 1M keys, per lookup):
//
//   - An unsplit inline bucket (six lookups in seven at the default load)
//     is searched at bp+8, an address known from the hash alone, so its cache
//     lines are fetched together with the bucket word instead of after it.
//     Computing the page address from the word, as VPP does, makes every slot
//     load wait for the word: 25 ns slower. The price is a branch on the word
//     that mispredicts for the seventh lookup, the one into a split bucket,
//     whose page address does depend on the word.
//   - Which slot holds the key is random, so the slots are compared without
//     branches into a mask (SETcc), and the slot picked with a bit scan; a
//     branch per slot mispredicts on most lookups.
//   - The body is one function: hash, search and validation inline (the
//     length switches fold away in each instantiation); only the rare paths
//     (locked, linear-search, a deleted copy of the key ahead of the live
//     one) are calls. Each call taken off the path measured 7% faster.
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
	for {
		w := atomic.LoadUint64(bp)
		var p unsafe.Pointer
		if n == 2 && w&(lockBit|linearBit|log2Mask<<log2Shift) == 0 {
			p = unsafe.Add(unsafe.Pointer(bp), 8) // unsplit inline bucket
		} else if w&(lockBit|linearBit) == 0 {
			pg := uintptr((h >> (t.log2n & 63)) & pageMasks[(w>>log2Shift)&log2Mask])
			p = unsafe.Add(t.base, wordOffset(w)+pg*kvPerPage*kvb)
		} else {
			return t.lookupSlow(bp, h, &key)
		}
		// m = the slots whose key is key (as in searchPage, written out:
		// the call costs 7% at 1M keys).
		var m uint
		switch n {
		case 2:
			a, b := key[0], key[1]
			m = b2u(xor2(p, 0, a, b) == 0) | b2u(xor2(p, 24, a, b) == 0)<<1 |
				b2u(xor2(p, 48, a, b) == 0)<<2 | b2u(xor2(p, 72, a, b) == 0)<<3
		case 3:
			a, b, c := wd(&key, 0), wd(&key, 1), wd(&key, 2)
			m = b2u(xor3(p, a, b, c) == 0) | b2u(xor3(unsafe.Add(p, 32), a, b, c) == 0)<<1 |
				b2u(xor3(unsafe.Add(p, 64), a, b, c) == 0)<<2 | b2u(xor3(unsafe.Add(p, 96), a, b, c) == 0)<<3
		default:
			a, b, c, d, e, f := wd(&key, 0), wd(&key, 1), wd(&key, 2), wd(&key, 3), wd(&key, 4), wd(&key, 5)
			for j := uintptr(0); j < kvPerPage; j++ {
				kv := unsafe.Add(p, j*56)
				m |= b2u(xor3(kv, a, b, c)|xor3(unsafe.Add(kv, 24), d, e, f) == 0) << j
			}
		}
		if n != 2 {
			m &= -b2u(w&offsetMask != 0) // empty bucket: see searchPage
		}
		if m != 0 {
			v := load(p, uintptr(bits.TrailingZeros(m))*kvb+uintptr(n)*8)
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

// searchPage looks for the key at kp in the page at p of the bucket at bp,
// whose word was w, and validates the answer: valid is false when the bucket
// word has changed since (search again).
func (t *Table[K]) searchPage(bp *uint64, w uint64, p unsafe.Pointer, h uint64, kp *K) (v uint64, found, valid bool) {
	n := len(*kp)
	kvb := uintptr(n+1) * 8
	// m = the slots whose key is the key.
	var m uint
	switch n {
	case 2:
		a, b := wd(kp, 0), wd(kp, 1)
		m = b2u(xor2(p, 0, a, b) == 0) | b2u(xor2(p, 24, a, b) == 0)<<1 |
			b2u(xor2(p, 48, a, b) == 0)<<2 | b2u(xor2(p, 72, a, b) == 0)<<3
	case 3:
		a, b, c := wd(kp, 0), wd(kp, 1), wd(kp, 2)
		m = b2u(xor3(p, a, b, c) == 0) | b2u(xor3(unsafe.Add(p, 32), a, b, c) == 0)<<1 |
			b2u(xor3(unsafe.Add(p, 64), a, b, c) == 0)<<2 | b2u(xor3(unsafe.Add(p, 96), a, b, c) == 0)<<3
	default:
		a, b, c, d, e, f := wd(kp, 0), wd(kp, 1), wd(kp, 2), wd(kp, 3), wd(kp, 4), wd(kp, 5)
		for j := uintptr(0); j < kvPerPage; j++ {
			kv := unsafe.Add(p, j*56)
			m |= b2u(xor3(kv, a, b, c)|xor3(unsafe.Add(kv, 24), d, e, f) == 0) << j
		}
	}
	if n != 2 {
		// An empty bucket without an inline page has offset 0, so p
		// points into the bucket array (readable: the arena is mapped
		// with slack past its end), where nothing is a pair. Masked, not
		// branched on: misses are frequent (every new flow's first
		// packet).
		m &= -b2u(w&offsetMask != 0)
	}
	if m != 0 {
		v = load(p, uintptr(bits.TrailingZeros(m))*kvb+uintptr(n)*8)
		if v == FreeValue {
			// The first match is a deleted copy of the key; a live one
			// may follow it.
			v, found = t.lookupSlow(bp, h, kp)
			return v, found, true
		}
		return v, true, atomic.LoadUint64(bp) == w
	}
	return 0, false, atomic.LoadUint64(bp) == w
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

// batchGroup is the number of keys in one group of LookupBatch's pipeline.
const batchGroup = 16

// batchStage is one group of keys on its way through LookupBatch.
type batchStage struct {
	start, n int
	hs       [batchGroup]uint64
	bps      [batchGroup]*uint64
	ws       [batchGroup]uint64         // bucket words, read in stage 2
	ps       [batchGroup]unsafe.Pointer // candidate pages, computed in stage 2
}

// LookupBatch looks up every key of keys, storing the value and whether it
// was found at the same index of vals and found (which must be at least as
// long as keys), and returns the number of keys found. It allocates nothing.
//
// It is a three-stage software pipeline over groups of 16 keys, so that the
// cache misses of one group are in flight while the CPU works on the others:
//
//  1. hash group g+2 and prefetch its buckets (every cache line of an
//     inline bucket);
//  2. read the bucket words of group g+1 (arrived by now) and prefetch the
//     page each key must be in (a second round of misses for split buckets
//     and buckets without an inline page);
//  3. search group g, in cache by now, validating each answer like Lookup.
//
// The prefetches are PREFETCHT0 instructions on amd64 (a batch per call):
// unlike loads whose values go unused, they do not hold up the reorder
// buffer while their lines are on the way.
func (t *Table[K]) LookupBatch(keys []K, vals []uint64, found []bool) int {
	vals = vals[:len(keys)]
	found = found[:len(keys)]
	var st [3]batchStage
	ng := (len(keys) + batchGroup - 1) / batchGroup
	hits := 0
	for g := 0; g < ng+2; g++ {
		if g < ng {
			t.batchBuckets(&st[g%3], keys, g*batchGroup)
		}
		if g >= 1 && g-1 < ng {
			t.batchPages(&st[(g-1)%3])
		}
		if g >= 2 {
			s := &st[(g-2)%3]
			for i := range s.n {
				j := s.start + i
				bp, w := s.bps[i], s.ws[i]
				var v uint64
				f, valid := false, false
				if w&(lockBit|linearBit) == 0 {
					v, f, valid = t.searchPage(bp, w, s.ps[i], s.hs[i], &keys[j])
				}
				if !valid {
					v, f = t.Lookup(keys[j])
				}
				vals[j], found[j] = v, f
				if f {
					hits++
				}
			}
		}
	}
	return hits
}

// batchBuckets is LookupBatch's first stage: hash the keys of the group
// starting at keys[start] and prefetch their buckets.
func (t *Table[K]) batchBuckets(s *batchStage, keys []K, start int) {
	ks := keys[start:min(start+batchGroup, len(keys))]
	s.start, s.n = start, len(ks)
	var lines [3 * batchGroup]unsafe.Pointer
	nl := 0
	var k0 K
	n := len(k0)
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
		s.hs[i], s.bps[i] = h, bp
		lines[nl] = unsafe.Pointer(bp)
		nl++
		if n == 2 {
			// Offsets 56 and 96 reach every cache line that a 104-byte
			// bucket can span.
			lines[nl], lines[nl+1] = unsafe.Add(unsafe.Pointer(bp), 56), unsafe.Add(unsafe.Pointer(bp), 96)
			nl += 2
		}
	}
	prefetch(&lines[0], nl)
}

// batchPages is LookupBatch's second stage: read the bucket words of the
// group, compute each key's candidate page and prefetch it. For an unsplit
// inline bucket that is the bucket itself, prefetched already; asking again
// measured faster than skipping it (a prefetch the CPU dropped for want of
// miss buffers is asked for again).
func (t *Table[K]) batchPages(s *batchStage) {
	var lines [3 * batchGroup]unsafe.Pointer
	var k0 K
	kvb := uintptr(len(k0)+1) * 8
	nl := 0
	for i := range s.n {
		w := atomic.LoadUint64(s.bps[i])
		pg := uintptr((s.hs[i] >> (t.log2n & 63)) & pageMasks[(w>>log2Shift)&log2Mask])
		p := unsafe.Add(t.base, wordOffset(w)+pg*kvPerPage*kvb)
		if len(k0) == 2 && w&(log2Mask<<log2Shift) == 0 {
			p = unsafe.Add(unsafe.Pointer(s.bps[i]), 8) // unsplit inline bucket
		}
		s.ws[i], s.ps[i] = w, p
		lines[nl], lines[nl+1], lines[nl+2] = p, unsafe.Add(p, 2*kvb), unsafe.Add(p, kvPerPage*kvb-8)
		nl += 3
	}
	prefetch(&lines[0], nl)
}
