package bihash

import (
	"cmp"
	"fmt"
	"strings"
	"sync/atomic"
	"unsafe"
)

// Stats is a table's occupancy, structure and counters: what VPP's
// "show bihash" prints, and the counters sessionlab adds.
type Stats struct {
	// Buckets is the bucket count after rounding to a power of two.
	Buckets uint64
	// ActiveBuckets is the number of buckets holding at least one pair.
	ActiveBuckets uint64
	// Pairs is the number of key/value pairs ("active elements").
	Pairs uint64
	// LinearBuckets is the number of linear-search buckets.
	LinearBuckets uint64
	// PagesHistogram[i] is the number of active buckets with 2^i pages.
	PagesHistogram [MaxLog2Pages + 1]uint64
	// FreeLists is the number of free lists (VPP's vec_len(freelists):
	// one more than the largest log2 page count ever allocated).
	FreeLists int
	// FreeArrays[i] is the number of arrays of 2^i pages on free list i.
	FreeArrays [MaxLog2Pages + 1]uint64
	// ArenaUsed is the number of arena bytes handed out so far: the bucket
	// array and every page array carved, including those now on a free
	// list (VPP's "used"; the arena never shrinks).
	ArenaUsed uint64
	// ArenaFree is the part of ArenaUsed waiting on free lists.
	ArenaFree uint64
	// ArenaTotal is the arena size: the configured memory.
	ArenaTotal uint64
	// BucketArrayBytes is the part of the arena taken by the bucket array.
	BucketArrayBytes uint64
	// Adds counts pairs added; Replaces counts values overwritten by Add;
	// Deletes counts pairs deleted.
	Adds, Replaces, Deletes uint64
	// Splits counts bucket splits (page array growth).
	Splits uint64
	// TableFull counts inserts refused for want of arena memory
	// (ErrTableFull, including ErrBucketFull).
	TableFull uint64
}

// BytesPerPair is ArenaUsed / Pairs (0 for an empty table).
func (s Stats) BytesPerPair() float64 {
	if s.Pairs == 0 {
		return 0
	}
	return float64(s.ArenaUsed) / float64(s.Pairs)
}

// bucketPtr returns the word of bucket i.
func (t *Table[K]) bucketPtr(i uint64) *uint64 {
	return (*uint64)(unsafe.Add(t.base, uintptr(i)*bucketBytes[K]()))
}

// Stats returns the table's statistics. It reads every bucket word (a pass
// over the bucket array) and is exact when no writer runs concurrently.
func (t *Table[K]) Stats() Stats {
	s := Stats{
		Buckets:          t.nbuckets,
		ArenaTotal:       t.mem.size,
		BucketArrayBytes: t.nbuckets * uint64(bucketBytes[K]()),
	}
	if t.closed {
		s.ArenaTotal = 0
	}
	for i := range t.nbuckets {
		w := atomic.LoadUint64(t.bucketPtr(i))
		if isEmpty[K](w) {
			continue
		}
		s.ActiveBuckets++
		s.Pairs += livePairs[K](w)
		if wordLinear(w) {
			s.LinearBuckets++
		}
		s.PagesHistogram[wordLog2(w)]++
	}
	t.mu.Lock()
	s.ArenaUsed = uint64(t.next)
	s.FreeLists = t.nLists
	s.FreeArrays = t.freeCount
	for l2, c := range t.freeCount {
		s.ArenaFree += c * uint64(pagesBytes[K](uint(l2)))
	}
	t.mu.Unlock()
	s.Adds = t.adds.Load()
	s.Replaces = t.replaces.Load()
	s.Deletes = t.deletes.Load()
	s.Splits = t.splits.Load()
	s.TableFull = t.tableFull.Load()
	return s
}

// Len returns the number of pairs, from the add and delete counters: O(1),
// exact when no writer runs concurrently.
func (t *Table[K]) Len() uint64 {
	d := t.deletes.Load()
	a := t.adds.Load()
	if d > a {
		return 0
	}
	return a - d
}

// slotPair is one slot of a bucket snapshot.
type slotPair[K Key] struct {
	slot uint32
	free bool
	key  K
	val  uint64
}

// snapshot copies the slots of bucket i into buf (only live ones unless
// withFree) and returns the bucket word they are consistent with.
func (t *Table[K]) snapshot(i uint64, buf []slotPair[K], withFree bool) (uint64, []slotPair[K]) {
	bp := t.bucketPtr(i)
	for {
		w := atomic.LoadUint64(bp)
		if w&lockBit != 0 {
			spinWait(bp)
			continue
		}
		buf = buf[:0]
		if !isEmpty[K](w) {
			p, n := t.allSlots(bp, w)
			for s := uintptr(0); s < n; s++ {
				kv := kvAt[K](p, s)
				v := load(kv, keyWords[K]()*8)
				if v == FreeValue {
					if withFree {
						buf = append(buf, slotPair[K]{slot: uint32(s), free: true})
					}
					continue
				}
				buf = append(buf, slotPair[K]{slot: uint32(s), key: loadKey[K](kv), val: v})
			}
		}
		if atomic.LoadUint64(bp) == w {
			return w, buf
		}
	}
}

// Walk calls fn for every pair, in VPP's order (buckets ascending, then
// pages, then slots), until fn returns false. It takes no lock, and fn may
// add and delete. As in VPP's foreach (spec §2.9), the walk sees fn's own
// changes: after a call that changed the bucket it re-reads the bucket and
// goes on from the next slot, so a pair fn deleted is not visited, a pair fn
// added in a later slot is, and a bucket fn emptied is left. A split (by fn
// or by another writer) moves the pairs to other pages, where slot numbers
// no longer name the same places, so the walk then finishes the bucket from
// the copy it took before. A pair present for the whole walk is therefore
// visited exactly once, whatever other writers do meanwhile.
func (t *Table[K]) Walk(fn func(key K, value uint64) bool) {
	var buf, spare []slotPair[K]
	for i := range t.nbuckets {
		var w uint64
		w, buf = t.snapshot(i, buf, false)
		for k := 0; k < len(buf); k++ {
			e := buf[k]
			if !fn(e.key, e.val) {
				return
			}
			if atomic.LoadUint64(t.bucketPtr(i)) == w {
				continue
			}
			// The bucket changed: continue with what it holds now, after
			// the slot just visited, unless its pages moved.
			nw, now := t.snapshot(i, spare, false)
			if !isEmpty[K](nw) && !samePages(w, nw) {
				spare = now
				continue
			}
			buf, spare = now, buf
			w = nw
			k = slotsUpTo(buf, e.slot) - 1
		}
	}
}

// samePages reports whether bucket words a and b describe the same pages
// (offset, size and search mode), so that a slot number means the same
// place in both.
func samePages(a, b uint64) bool {
	return wordOffset(a) == wordOffset(b) && wordLog2(a) == wordLog2(b) && wordLinear(a) == wordLinear(b)
}

// slotsUpTo returns how many entries of buf (ascending slots) have a slot
// at most s.
func slotsUpTo[K Key](buf []slotPair[K], s uint32) int {
	n := 0
	for n < len(buf) && buf[n].slot <= s {
		n++
	}
	return n
}

// Format prints the table as VPP's format_bihash does (spec §2.9): verbose 0
// prints the summary; 1 adds every active bucket and its pairs; 2 also lists
// empty buckets and free slots. The arena lines use the variant of
// format_bihash for tables with a fixed arena; addresses are printed as arena
// offsets (base 0), so that the output does not depend on where the arena is
// mapped. A last line, not in VPP, gives sessionlab's counters.
func (t *Table[K]) Format(verbose int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hash table '%s'\n", cmp.Or(t.cfg.Name, "(unnamed)"))
	var activeElts, activeBuckets, linear uint64
	if verbose <= 0 {
		s := t.Stats()
		activeElts, activeBuckets, linear = s.Pairs, s.ActiveBuckets, s.LinearBuckets
	} else {
		var buf []slotPair[K]
		for i := range t.nbuckets {
			var w uint64
			w, buf = t.snapshot(i, buf, verbose > 1)
			if isEmpty[K](w) {
				if verbose > 1 {
					fmt.Fprintf(&b, "[%d]: empty\n", i)
				}
				continue
			}
			activeBuckets++
			if wordLinear(w) {
				linear++
			}
			lin := 0
			if wordLinear(w) {
				lin = 1
			}
			off := wordOffset(w)
			if inlinePage[K]() && wordLog2(w) == 0 {
				off = uintptr(i)*bucketBytes[K]() + 8 // the inline page
			}
			fmt.Fprintf(&b, "[%d]: heap offset %d, len %d, refcnt %d, linear %d\n",
				i, off, 1<<wordLog2(w), wordRef(w), lin)
			for _, e := range buf {
				if e.free {
					fmt.Fprintf(&b, "    %d: empty\n", e.slot)
					continue
				}
				activeElts++
				fmt.Fprintf(&b, "    %d: %s\n", e.slot, t.formatPair(e.key, e.val))
			}
		}
	}
	writeSummary(&b, t.Stats(), activeElts, activeBuckets, linear, verbose)
	return b.String()
}

// FormatStats prints a table known only by its name and statistics as
// Format prints it at verbose 0.
func FormatStats(name string, s Stats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hash table '%s'\n", cmp.Or(name, "(unnamed)"))
	writeSummary(&b, s, s.Pairs, s.ActiveBuckets, s.LinearBuckets, 0)
	return b.String()
}

// writeSummary writes the lines of Format after the buckets: the counts
// (active elements and buckets, linear buckets: those of s at verbose 0,
// counted while printing the buckets otherwise), the free lists (empty
// ones too when verbose), the arena and sessionlab's counters.
func writeSummary(b *strings.Builder, s Stats, activeElts, activeBuckets, linear uint64, verbose int) {
	fmt.Fprintf(b, "    %d active elements %d active buckets\n", activeElts, activeBuckets)
	fmt.Fprintf(b, "    %d free lists\n", s.FreeLists)
	for l2 := 0; l2 < s.FreeLists && l2 < len(s.FreeArrays); l2++ {
		if s.FreeArrays[l2] != 0 || verbose > 0 {
			fmt.Fprintf(b, "       [len %d] %d free elts\n", 1<<l2, s.FreeArrays[l2])
		}
	}
	fmt.Fprintf(b, "    %d linear search buckets\n", linear)
	fmt.Fprintf(b, "    arena: base 0, next %x\n", s.ArenaUsed)
	fmt.Fprintf(b, "           used %d b (%d Mbytes) of %d b (%d Mbytes)\n",
		s.ArenaUsed, s.ArenaUsed>>20, s.ArenaTotal, s.ArenaTotal>>20)
	fmt.Fprintf(b, "    %d adds, %d replaces, %d deletes, %d splits, %d table-full\n",
		s.Adds, s.Replaces, s.Deletes, s.Splits, s.TableFull)
}

// formatPair prints a pair as VPP's format_bihash_kvp_* does, or with the
// formatter set by SetFormatter.
func (t *Table[K]) formatPair(k K, v uint64) string {
	if t.formatKV != nil {
		return t.formatKV(k, v)
	}
	var b strings.Builder
	b.WriteString("key")
	for i := range len(k) {
		fmt.Fprintf(&b, " %d", k[i])
	}
	fmt.Fprintf(&b, " value %d", v)
	return b.String()
}
