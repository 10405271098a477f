package rules

import "math/bits"

// This file holds the engine's two hash tables: tab, keyed by masked
// addresses (the kids of a hash cut), and the port tables of port cuts.

// fkey is a masked address as the engine stores it: a4 for IPv4, a6 for IPv6.
type fkey interface {
	comparable
	hash() uint64
	// base is where the family's addresses start in the 128-bit space of
	// boxes: 96 for IPv4, 0 for IPv6.
	base() uint8
}

type a4 uint32

func (a a4) hash() uint64 { return mix64(uint64(a)) }
func (a4) base() uint8    { return 96 }

type a6 u128

func (a a6) hash() uint64 { return mix64(mum(a.hi, a.lo)) }
func (a6) base() uint8    { return 0 }

func fpOf(h uint64) uint8 { return uint8(h) | 0x80 }

type kv[K fkey, V any] struct {
	key K
	val V
}

// tab is an open-addressing hash table in groups of 8 slots, Swiss-table
// style, at most 7/8 full: next to the slots, a byte per slot holds 0 for an
// empty slot, 1 for a deleted one, or 7 bits of the key's hash with the top
// bit set. A probe loads a group's 8 bytes as one word and finds the slots
// whose byte matches with a few arithmetic operations (no per-slot
// branches); it touches a slot only when its byte matches, so a probe that
// finds nothing costs one load from an array eight times smaller than the
// slots. Groups are probed linearly; deleted slots count as full.
type tab[K fkey, V any] struct {
	fp    []uint8
	slots []kv[K, V]
	shift uint8 // 64 - log2(number of groups)
	used  int   // live + deleted slots
	live  int
}

const (
	lsb8 = 0x0101010101010101
	msb8 = 0x8080808080808080
)

// matchByte returns a word with the top bit set in every byte of w equal to b
// (and possibly in a byte above an equal one; callers verify the key).
func matchByte(w uint64, b uint8) uint64 {
	x := w ^ (lsb8 * uint64(b))
	return (x - lsb8) &^ x & msb8
}

// emptyBytes returns the top bits of the bytes of w that are 0 (empty).
func emptyBytes(w uint64) uint64 { return matchByte(w, 0) }

func group8(fp []uint8, g int) uint64 {
	b := fp[g*8 : g*8+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func newTab[K fkey, V any]() *tab[K, V] {
	t := &tab[K, V]{}
	t.grow()
	return t
}

// find returns the slot of k, or (-1, first free slot on k's probe path).
func (t *tab[K, V]) find(k K) (at, free int) {
	h := k.hash()
	f := fpOf(h)
	ng := len(t.fp) / 8
	free = -1
	for g := int(h >> t.shift); ; g = (g + 1) & (ng - 1) {
		w := group8(t.fp, g)
		for m := matchByte(w, f); m != 0; m &= m - 1 {
			i := g*8 + bits.TrailingZeros64(m)/8
			if t.fp[i] == f && t.slots[i].key == k {
				return i, -1
			}
		}
		if free < 0 {
			if m := matchByte(w, 1) | emptyBytes(w); m != 0 {
				free = g*8 + bits.TrailingZeros64(m)/8
			}
		}
		if emptyBytes(w) != 0 {
			return -1, free
		}
	}
}

// insert returns the slot of k, adding it (with a zero value) if missing.
func (t *tab[K, V]) insert(k K) (i int, added bool) {
	if 8*(t.used+1) > 7*len(t.slots) {
		t.grow()
	}
	at, free := t.find(k)
	if at >= 0 {
		return at, false
	}
	if t.fp[free] == 0 {
		t.used++
	}
	t.slots[free] = kv[K, V]{key: k}
	t.fp[free] = fpOf(k.hash())
	t.live++
	return free, true
}

func (t *tab[K, V]) grow() {
	old, oldfp := t.slots, t.fp
	n := 16
	if 2*t.live > len(old) {
		n = 2 * len(old)
	} else if len(old) > n {
		n = len(old)
	}
	t.slots, t.fp = make([]kv[K, V], n), make([]uint8, n)
	t.shift = uint8(64 - log2(n/8))
	t.used, t.live = 0, 0
	for i := range old {
		if oldfp[i] >= 0x80 {
			_, free := t.find(old[i].key)
			t.slots[free], t.fp[free] = old[i], oldfp[i]
			t.used++
			t.live++
		}
	}
}

// del empties slot i (marking it deleted if its group is full, so probe
// paths through the group stay intact).
func (t *tab[K, V]) del(i int) {
	var zero kv[K, V]
	t.slots[i] = zero
	t.live--
	if emptyBytes(group8(t.fp, i/8)) != 0 {
		t.fp[i] = 0
		t.used--
		return
	}
	t.fp[i] = 1
}

// tabProbe returns the slot of k in t (hash h), or -1. It is tab.find without
// the free-slot bookkeeping, written out for the lookup paths.
func tabProbe[K fkey, V any](t *tab[K, V], k K, h uint64) int {
	f := fpOf(h)
	ng := len(t.fp)/8 - 1
	for g := int(h >> t.shift); ; g = (g + 1) & ng {
		w := group8(t.fp, g)
		for m := matchByte(w, f); m != 0; m &= m - 1 {
			i := g*8 + bits.TrailingZeros64(m)/8
			if t.slots[i].key == k && t.fp[i] == f {
				return i
			}
		}
		if emptyBytes(w) != 0 {
			return -1
		}
	}
}

func log2(n int) int {
	l := 0
	for 1<<l < n {
		l++
	}
	return l
}

// pslot is one kid of a port cut: an exact port and the kid's entry.
type pslot struct {
	ent  bref // 0 = empty slot
	port uint16
}

// portSlot is Fibonacci hashing: the multiply carries every bit of the port
// into the top bits kept.
func portSlot(port uint16, n int) int {
	return int(uint64(port) * 0x9E3779B97F4A7C15 >> (64 - bits.TrailingZeros(uint(n))))
}

// portFind returns the entry of port in a port table (linear probing, at
// most half full), or 0.
func portFind(t []pslot, port uint16) bref {
	m := len(t) - 1
	for i := portSlot(port, len(t)); ; i = (i + 1) & m {
		s := t[i]
		if s.ent == 0 || s.port == port {
			return s.ent
		}
	}
}

// portTable builds a port table holding kids.
func portTable(kids []pslot) []pslot {
	n := 4
	for n < 2*len(kids)+1 {
		n *= 2
	}
	t := make([]pslot, n)
	for _, k := range kids {
		i := portSlot(k.port, n)
		for t[i].ent != 0 {
			i = (i + 1) & (n - 1)
		}
		t[i] = k
	}
	return t
}

// portsOf packs a rule's ports for the engine: remote port << 16 | local
// port, and a mask with 0xFFFF halves for exact ports, 0 for wildcards. A key
// (packed the same way) matches when key&pmask == ports.
func portsOf(b *box) (ports, pmask uint32) {
	ports = uint32(b.rport)<<16 | uint32(b.lport)
	if b.rport != 0 {
		pmask |= 0xFFFF0000
	}
	if b.lport != 0 {
		pmask |= 0xFFFF
	}
	return ports, pmask
}
