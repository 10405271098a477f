package bihash

import "fmt"

// refTable is a slow, obviously right bihash: spec §2.3-2.7 written with Go
// slices, one bucket a slice of slots. It uses the same hash, the same page
// size and the same arena accounting, so after any sequence of operations
// the fast table must hold every pair in exactly the same slot of exactly the
// same page count, with the same flags, counters and arena use.
type refTable[K Key] struct {
	log2n    uint
	buckets  []refBucket[K]
	arena    uint64 // configured bytes
	next     uint64 // bump pointer
	free     [MaxLog2Pages + 1]uint64
	nLists   int
	splits   uint64
	full     uint64
	adds     uint64
	replaces uint64
	deletes  uint64
}

type refBucket[K Key] struct {
	log2   uint
	linear bool
	slots  []refSlot[K] // nil: empty bucket without an inline page
}

type refSlot[K Key] struct {
	used bool
	key  K
	val  uint64
}

func newRef[K Key](buckets uint32, memory uint64) *refTable[K] {
	log2n := uint(0)
	for 1<<log2n < buckets {
		log2n++
	}
	r := &refTable[K]{log2n: log2n, buckets: make([]refBucket[K], 1<<log2n), arena: memory}
	arr := uint64(len(r.buckets)) * uint64(bucketBytes[K]())
	r.next = min((arr+63)&^63, memory)
	if inlinePage[K]() {
		for i := range r.buckets {
			r.buckets[i].slots = make([]refSlot[K], kvPerPage)
		}
	}
	return r
}

func (r *refTable[K]) alloc(log2 uint) bool {
	if r.free[log2] > 0 {
		r.free[log2]--
		return true
	}
	size := uint64(pagesBytes[K](log2))
	if r.next+size > r.arena {
		return false
	}
	r.next += size
	r.nLists = max(r.nLists, int(log2)+1)
	return true
}

func (r *refTable[K]) release(log2 uint) { r.free[log2]++ }

func (r *refTable[K]) bucket(k K) (*refBucket[K], uint64) {
	h := Hash(k)
	return &r.buckets[h&(uint64(len(r.buckets))-1)], h
}

// candidates returns the indexes of the slots k may occupy.
func (r *refTable[K]) candidates(b *refBucket[K], h uint64) (lo, hi int) {
	if b.linear || (inlinePage[K]() && b.log2 == 0) {
		return 0, len(b.slots)
	}
	pg := int((h >> r.log2n) & (1<<b.log2 - 1))
	return pg * kvPerPage, (pg + 1) * kvPerPage
}

func (b *refBucket[K]) count() int {
	n := 0
	for _, s := range b.slots {
		if s.used {
			n++
		}
	}
	return n
}

func (r *refTable[K]) lookup(k K) (uint64, bool) {
	b, h := r.bucket(k)
	if b.slots == nil {
		return 0, false
	}
	lo, hi := r.candidates(b, h)
	for _, s := range b.slots[lo:hi] {
		if s.used && s.key == k {
			return s.val, true
		}
	}
	return 0, false
}

func (r *refTable[K]) add(k K, v uint64, replace bool) error {
	if v == FreeValue {
		return ErrInvalidValue
	}
	b, h := r.bucket(k)
	if b.slots == nil {
		if !r.alloc(0) {
			r.full++
			return ErrTableFull
		}
		b.slots = make([]refSlot[K], kvPerPage)
		b.slots[0] = refSlot[K]{true, k, v}
		r.adds++
		return nil
	}
	lo, hi := r.candidates(b, h)
	for i := lo; i < hi; i++ {
		if b.slots[i].used && b.slots[i].key == k {
			if !replace {
				return ErrExists
			}
			b.slots[i].val = v
			r.replaces++
			return nil
		}
	}
	ref := b.count()
	if inlinePage[K]() {
		ref++
	}
	for i := lo; i < hi; i++ {
		if !b.slots[i].used && ref < maxRefcnt {
			b.slots[i] = refSlot[K]{true, k, v}
			r.adds++
			return nil
		}
	}
	// Split.
	if ref >= maxRefcnt || (b.log2 >= MaxLog2Pages && b.linear) {
		r.full++
		return ErrBucketFull
	}
	var pairs []refSlot[K]
	for _, s := range b.slots {
		if s.used {
			pairs = append(pairs, s)
		}
	}
	pairs = append(pairs, refSlot[K]{true, k, v})
	place := func(log2 uint) []refSlot[K] {
		slots := make([]refSlot[K], kvPerPage<<log2)
		for _, p := range pairs {
			pg := int((Hash(p.key) >> r.log2n) & (1<<log2 - 1))
			placed := false
			for i := pg * kvPerPage; i < (pg+1)*kvPerPage; i++ {
				if !slots[i].used {
					slots[i] = p
					placed = true
					break
				}
			}
			if !placed {
				return nil
			}
		}
		return slots
	}
	old := b.log2
	var slots []refSlot[K]
	newLog2, linear := old+1, false
	if old+1 > MaxLog2Pages {
		// At the page limit: pack linearly into as many pages.
		newLog2 = MaxLog2Pages
	} else {
		if !r.alloc(old + 1) {
			r.full++
			return ErrTableFull
		}
		if slots = place(old + 1); slots == nil {
			r.release(old + 1)
			if old+2 <= MaxLog2Pages && r.alloc(old+2) {
				if slots = place(old + 2); slots == nil {
					r.release(old + 2)
				} else {
					newLog2 = old + 2
				}
			}
		}
	}
	if slots == nil {
		if !r.alloc(newLog2) {
			r.full++
			return ErrTableFull
		}
		slots = make([]refSlot[K], kvPerPage<<newLog2)
		copy(slots, pairs)
		linear = true
	}
	if !inlinePage[K]() || old > 0 {
		r.release(old)
	}
	b.slots, b.log2, b.linear = slots, newLog2, linear
	r.splits++
	r.adds++
	return nil
}

func (r *refTable[K]) del(k K) error {
	b, h := r.bucket(k)
	if b.slots == nil {
		return ErrNotFoundEmpty // only buckets without an inline page are ever empty
	}
	lo, hi := r.candidates(b, h)
	for i := lo; i < hi; i++ {
		if !b.slots[i].used || b.slots[i].key != k {
			continue
		}
		b.slots[i].used = false
		r.deletes++
		if b.count() == 0 {
			switch {
			case inlinePage[K]() && b.log2 > 0:
				r.release(b.log2)
				*b = refBucket[K]{slots: make([]refSlot[K], kvPerPage)}
			case !inlinePage[K]():
				r.release(b.log2)
				*b = refBucket[K]{}
			}
		}
		return nil
	}
	return ErrNotFound
}

// sameAs returns an error unless tbl has exactly ref's structure and
// contents.
func sameAs[K Key](tbl *Table[K], ref *refTable[K]) error {
	var buf []slotPair[K]
	var pairs uint64
	for i := range ref.buckets {
		var w uint64
		w, buf = tbl.snapshot(uint64(i), buf, true)
		rb := &ref.buckets[i]
		if isEmpty[K](w) != (rb.count() == 0) || (!inlinePage[K]() && isEmpty[K](w) != (rb.slots == nil)) {
			return fmt.Errorf("bucket %d: table word %#x (empty %v), reference holds %d pairs", i, w, isEmpty[K](w), rb.count())
		}
		if isEmpty[K](w) {
			if len(buf) != 0 || rb.log2 != 0 || rb.linear {
				return fmt.Errorf("bucket %d: empty, but %d slots, reference log2 %d linear %v", i, len(buf), rb.log2, rb.linear)
			}
			continue
		}
		if wordLog2(w) != rb.log2 || wordLinear(w) != rb.linear {
			return fmt.Errorf("bucket %d: log2 pages %d linear %v, reference %d %v", i, wordLog2(w), wordLinear(w), rb.log2, rb.linear)
		}
		if len(buf) != len(rb.slots) {
			return fmt.Errorf("bucket %d: %d slots, reference %d", i, len(buf), len(rb.slots))
		}
		for j, s := range rb.slots {
			e := buf[j]
			if int(e.slot) != j || e.free == s.used || (s.used && (e.key != s.key || e.val != s.val)) {
				return fmt.Errorf("bucket %d slot %d: table {free %v key %v val %d}, reference {used %v key %v val %d}",
					i, j, e.free, e.key, e.val, s.used, s.key, s.val)
			}
		}
		c := uint64(rb.count())
		pairs += c
		if livePairs[K](w) != c {
			return fmt.Errorf("bucket %d: refcnt says %d pairs, reference has %d", i, livePairs[K](w), c)
		}
	}
	s := tbl.Stats()
	want := Stats{
		Pairs: pairs, ArenaUsed: ref.next, FreeLists: ref.nLists, FreeArrays: ref.free,
		Adds: ref.adds, Replaces: ref.replaces, Deletes: ref.deletes, Splits: ref.splits, TableFull: ref.full,
	}
	got := Stats{
		Pairs: s.Pairs, ArenaUsed: s.ArenaUsed, FreeLists: s.FreeLists, FreeArrays: s.FreeArrays,
		Adds: s.Adds, Replaces: s.Replaces, Deletes: s.Deletes, Splits: s.Splits, TableFull: s.TableFull,
	}
	if got != want {
		return fmt.Errorf("stats\n got  %+v\n want %+v", got, want)
	}
	return nil
}
