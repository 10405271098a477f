package rules

import (
	"math/bits"
	"slices"
	"sort"
)

func bitsTrailing(m uint64) int { return bits.TrailingZeros64(m) }

// The fast engine: a two-level tuple-space search with priorities.
//
// A rule's priority is its tree label (smaller wins; see the package
// comment). Level one groups rules by remote prefix: one hash table per remote
// prefix length ("rclass") maps a masked remote address to its group, the
// rules sharing that remote prefix. Level two searches a group: a small group
// is an array sorted by label, scanned until a rule matches (the first match
// is the group's best) or the labels reach the best match so far; a big group
// is itself a set of hash tables, one per local prefix length ("lclass"), whose
// buckets hold the rules of one (remote, local) prefix pair, differing only in
// ports.
//
// A lookup probes every remote length, longest first. Each group's smallest
// label sits in its slot next to the key, so a group that cannot beat the best
// match so far costs no more than the probe. Sibling order in the tree follows
// remote upper bounds, so the rules of a longer matching remote prefix
// usually carry smaller labels than those of the shorter ones that contain it:
// the first group searched usually holds the winner and the others are then
// skipped by their minima. That is a matter of speed only; the answer is exact
// whatever the labels look like, since every group and class is skipped only
// when its minimum (a lower bound) cannot beat the best match.
//
// Minima of classes and big groups are lower bounds: a removal, or a relabel
// that raises a label, may leave them too low, which only costs a probe; they
// are recomputed once enough such changes accumulate.

// head is one rule in the engine.
type head struct {
	label  uint64 // > 0
	ports  uint32 // remote port << 16 | local port, 0 halves for wildcards
	pmask  uint32 // 0xFFFF halves for exact ports, 0 for wildcards
	action Action
	id     int32 // tree node
	more   int32 // in buckets: -1 none, >= 0 chain in arena.h, <= -2 port table -more-2
	combos uint8 // with a port table: which port specs it holds (bit i = specMasks[i])
	llen   uint8 // in small groups: the local prefix length
	hits   uint64
}

// specMasks turn a key's ports into the four port specs a rule can have:
// both exact, remote exact only, local exact only, both wildcards.
var specMasks = [4]uint32{0xFFFFFFFF, 0xFFFF0000, 0x0000FFFF, 0}

func specOf(pmask uint32) uint8 {
	switch pmask {
	case 0xFFFFFFFF:
		return 0
	case 0xFFFF0000:
		return 1
	case 0x0000FFFF:
		return 2
	}
	return 3
}

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

// fkey is a masked address: a4 for IPv4, a6 for IPv6.
type fkey interface {
	comparable
	hash() uint64
}

type a4 uint32

func (a a4) hash() uint64 { return mix64(uint64(a)) }

type a6 u128

func (a a6) hash() uint64 { return mix64(mum(a.hi, a.lo)) }

func fpOf(h uint64) uint8 { return uint8(h) | 0x80 }

type kv[K fkey, V any] struct {
	key K
	val V
}

// tab is an open-addressing hash table in groups of 8 slots, Swiss-table
// style, at most 7/8 full: next to the slots, a byte per slot holds 0 for an empty slot, 1 for
// a deleted one, or 7 bits of the key's hash with the top bit set. A probe
// loads a group's 8 bytes as one word and finds the slots whose byte matches
// with a few arithmetic operations (no per-slot branches); it touches a slot
// only when its byte matches. Probing a table that holds no match for the key
// (the common case) therefore costs one load from an array many times
// smaller than the slots, which stays in cache even at 100k rules. Groups are
// probed linearly; deleted slots count as full.
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

// find returns the slot of k, or (-1, first free slot on k's probe path).
func (t *tab[K, V]) find(k K) (at, free int) {
	h := k.hash()
	f := fpOf(h)
	ng := len(t.fp) / 8
	free = -1
	for g := int(h >> t.shift); ; g = (g + 1) & (ng - 1) {
		w := group8(t.fp, g)
		for m := matchByte(w, f); m != 0; m &= m - 1 {
			i := g*8 + bitsTrailing(m)/8
			if t.fp[i] == f && t.slots[i].key == k {
				return i, -1
			}
		}
		if free < 0 {
			if m := matchByte(w, 1) | emptyBytes(w); m != 0 {
				free = g*8 + bitsTrailing(m)/8
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

func log2(n int) int {
	l := 0
	for 1<<l < n {
		l++
	}
	return l
}

// chainMax is the most rules a bucket keeps after its first in a chain
// (scanned in label order). Bigger buckets (many rules on one address pair
// with different ports, typically "any to any port N") keep them in a port
// table instead: a rule's ports value identifies it within its bucket, and a
// key can only match the four port specs (rport, lport), (rport, any),
// (any, lport) and (any, any), so a lookup probes the table at most four
// times however many rules the bucket holds.
const chainMax = 3

// arena holds the bucket entries after the first: chains and port tables.
type arena struct {
	h     []head
	free  []int32
	tabs  [][]head // open addressing by ports; label 0 = empty
	tfree []int32
}

func (a *arena) alloc(h head) int32 {
	if k := len(a.free); k > 0 {
		i := a.free[k-1]
		a.free = a.free[:k-1]
		a.h[i] = h
		return i
	}
	a.h = append(a.h, h)
	return int32(len(a.h) - 1)
}

// portSlot is Fibonacci hashing: ports vary in both halves, and the multiply
// carries every bit into the top bits kept.
func portSlot(ports uint32, n int) int {
	return int(uint64(ports) * 0x9E3779B97F4A7C15 >> (64 - bits.TrailingZeros(uint(n))))
}

// portFind returns the entry of tab with exactly these ports, or nil.
func portFind(tab []head, ports uint32) *head {
	m := len(tab) - 1
	for i := portSlot(ports, len(tab)); ; i = (i + 1) & m {
		h := &tab[i]
		if h.label == 0 {
			return nil
		}
		if h.ports == ports {
			return h
		}
	}
}

// collect appends the bucket's rules (the inline one first) to buf and frees
// their arena storage; store writes them back.
func (a *arena) collect(s *head, buf []head) []head {
	buf = append(buf, *s)
	switch {
	case s.more >= 0:
		for j := s.more; j >= 0; {
			buf = append(buf, a.h[j])
			next := a.h[j].more
			a.h[j] = head{}
			a.free = append(a.free, j)
			j = next
		}
	case s.more <= -2:
		t := -s.more - 2
		for _, h := range a.tabs[t] {
			if h.label != 0 {
				buf = append(buf, h)
			}
		}
		a.tabs[t] = nil
		a.tfree = append(a.tfree, t)
	}
	for i := range buf {
		buf[i].more, buf[i].combos = -1, 0
	}
	return buf
}

// store writes ents (at least one) into the bucket: sorted by label, the
// first inline, the rest chained or, past chainMax, in a port table.
func (a *arena) store(s *head, ents []head) {
	sortHeads(ents)
	rest := ents[1:]
	next := int32(-1)
	if len(rest) <= chainMax {
		for i := len(rest) - 1; i >= 0; i-- {
			h := rest[i]
			h.more = next
			next = a.alloc(h)
		}
	} else {
		n := 8
		for n < 2*len(rest) {
			n *= 2
		}
		tab := make([]head, n)
		combos := uint8(0)
		for _, h := range rest {
			combos |= 1 << specOf(h.pmask)
			m := n - 1
			i := portSlot(h.ports, n)
			for tab[i].label != 0 {
				i = (i + 1) & m
			}
			tab[i] = h
		}
		var t int32
		if k := len(a.tfree); k > 0 {
			t = a.tfree[k-1]
			a.tfree = a.tfree[:k-1]
			a.tabs[t] = tab
		} else {
			a.tabs = append(a.tabs, tab)
			t = int32(len(a.tabs) - 1)
		}
		next = -t - 2
		*s = ents[0]
		s.more, s.combos = next, combos
		return
	}
	*s = ents[0]
	s.more, s.combos = next, 0
}

func sortHeads(ents []head) {
	sort.Slice(ents, func(i, j int) bool { return ents[i].label < ents[j].label })
}

// find returns the bucket entry of rule id, or nil.
func (a *arena) find(s *head, id int32) *head {
	if s.id == id {
		return s
	}
	switch {
	case s.more >= 0:
		for j := s.more; j >= 0; j = a.h[j].more {
			if a.h[j].id == id {
				return &a.h[j]
			}
		}
	case s.more <= -2:
		tab := a.tabs[-s.more-2]
		for i := range tab {
			if tab[i].label != 0 && tab[i].id == id {
				return &tab[i]
			}
		}
	}
	return nil
}

// matchBucket returns the best rule of the bucket whose ports match, if it
// beats best.
func (a *arena) matchBucket(h *head, ports uint32, win *head, best uint64) (*head, uint64) {
	if h.label >= best {
		return win, best
	}
	if ports&h.pmask == h.ports {
		return h, h.label
	}
	if h.more >= 0 {
		for h = &a.h[h.more]; h.label < best; h = &a.h[h.more] {
			if ports&h.pmask == h.ports {
				return h, h.label
			}
			if h.more < 0 {
				break
			}
		}
		return win, best
	}
	if h.more == -1 {
		return win, best
	}
	tab := a.tabs[-h.more-2]
	for c := h.combos; c != 0; c &= c - 1 {
		if p := portFind(tab, ports&specMasks[bits.TrailingZeros8(c)]); p != nil && p.label < best {
			win, best = p, p.label
		}
	}
	return win, best
}

// groupMax is the size past which a group leaves its sorted array for
// per-local-length hash tables (and groupMax/4 the size it comes back at).
// A variable so tests can make big groups common.
var groupMax = 16

// gent is a rule in a small group: its local prefix and the rule.
type gent[K fkey] struct {
	lcl, lmask K
	head
}

// group holds the rules of one remote prefix.
type group[K fkey] struct {
	min  uint64    // lower bound of the labels (exact for small groups)
	ents []gent[K] // small group: sorted by label
	lcs  []*lclass[K]
	n    int
}

// lclass is, in a big group, the hash table of one local prefix length; its
// buckets hold the rules of one local prefix (they differ in ports).
type lclass[K fkey] struct {
	tab[K, head]
	zero   *head // for the length-0 class: its only bucket (the key is always 0)
	min    uint64
	llen   uint8
	mask   K
	pos    int
	nrules int
}

// rclass is the hash table of one remote prefix length: remote prefix ->
// (smallest label of the group, group).
type rclass[K fkey] struct {
	tab[K, gref[K]]
	zero   *gref[K] // for the length-0 class: its only group (the key is always 0)
	min    uint64
	rlen   uint8
	mask   K
	nrules int
}

// gref is a group as its rclass slot holds it: the smallest label, and the
// group, or, for a group of one rule (most groups), the rule itself inline
// (g nil), which saves a lookup two dependent cache misses.
type gref[K fkey] struct {
	min uint64
	g   *group[K]
	one gent[K]
}

// expand gives a single-rule group its group object before a change.
func (s *gref[K]) expand() *group[K] {
	if s.g == nil {
		s.g = &group[K]{min: s.one.label, ents: []gent[K]{s.one}, n: 1}
		s.one = gent[K]{}
	}
	return s.g
}

// compact moves a group that is down to one rule back inline.
func (s *gref[K]) compact() {
	if g := s.g; g != nil && g.lcs == nil && len(g.ents) == 1 {
		s.one, s.g = g.ents[0], nil
	}
	if s.g == nil {
		s.min = s.one.label
	} else {
		s.min = s.g.min
	}
}

// engine is the fast index of one table.
type engine[K fkey] struct {
	rcs    []*rclass[K] // by remote length, longest first
	ar     arena
	keyOf  func(*box) (rmt, lcl K)
	maskOf func(n uint8) K
	nrules int
	stale  int
	buf    []head
}

func newEngine[K fkey](keyOf func(*box) (K, K), maskOf func(uint8) K) *engine[K] {
	return &engine[K]{keyOf: keyOf, maskOf: maskOf}
}

func keys4(b *box) (a4, a4) { return a4(b.rmt.lo), a4(b.lcl.lo) }
func keys6(b *box) (a6, a6) { return a6(b.rmt), a6(b.lcl) }
func mask4(n uint8) a4      { return a4(mask128(n).lo) }
func mask6(n uint8) a6      { return a6(mask128(n)) }

// setZero points a length-0 class at its only entry (the key masked to
// nothing is always the zero key), so lookups skip the probe.
func setZero[K fkey, V any](t *tab[K, V], mask K, zero **V) {
	var z K
	*zero = nil
	if mask != z {
		return
	}
	if i, _ := t.find(z); i >= 0 {
		*zero = &t.slots[i].val
	}
}

func (e *engine[K]) rclassOf(rlen uint8, create bool) *rclass[K] {
	i := sort.Search(len(e.rcs), func(i int) bool { return e.rcs[i].rlen <= rlen })
	if i < len(e.rcs) && e.rcs[i].rlen == rlen {
		return e.rcs[i]
	}
	if !create {
		return nil
	}
	rc := &rclass[K]{rlen: rlen, mask: e.maskOf(rlen), min: ^uint64(0)}
	rc.grow()
	e.rcs = slices.Insert(e.rcs, i, rc)
	return rc
}

// rule is a rule as the engine needs it: keys, local length and its head.
type erule[K fkey] struct {
	rk, lk K
	llen   uint8
	h      head
}

func (e *engine[K]) erule(id int32, b *box, label uint64, act Action) erule[K] {
	rk, lk := e.keyOf(b)
	ports, pmask := portsOf(b)
	return erule[K]{rk: rk, lk: lk, llen: b.llen, h: head{label: label, ports: ports, pmask: pmask, action: act, id: id, more: -1, llen: b.llen}}
}

// add indexes rule id (box b) with its label and action.
func (e *engine[K]) add(id int32, b *box, label uint64, act Action) {
	r := e.erule(id, b, label, act)
	rc := e.rclassOf(b.rlen, true)
	i, added := rc.insert(r.rk)
	s := &rc.slots[i]
	var g *group[K]
	if added {
		s.val = gref[K]{min: label, one: gent[K]{lcl: r.lk, lmask: e.maskOf(r.llen), head: r.h}}
	} else {
		g = s.val.expand()
		e.gadd(g, r)
		s.val.compact()
	}
	rc.min = min(rc.min, label)
	rc.nrules++
	e.nrules++
	e.zeros(rc, g)
}

// zeros refreshes the direct pointers of rc and g's length-0 classes.
func (e *engine[K]) zeros(rc *rclass[K], g *group[K]) {
	if rc != nil {
		setZero(&rc.tab, rc.mask, &rc.zero)
	}
	if g != nil {
		for _, lc := range g.lcs {
			setZero(&lc.tab, lc.mask, &lc.zero)
		}
	}
}

func (e *engine[K]) gadd(g *group[K], r erule[K]) {
	g.n++
	g.min = min(g.min, r.h.label)
	if g.lcs == nil {
		en := gent[K]{lcl: r.lk, lmask: e.maskOf(r.llen), head: r.h}
		i := sort.Search(len(g.ents), func(i int) bool { return g.ents[i].label > r.h.label })
		g.ents = slices.Insert(g.ents, i, en)
		if len(g.ents) > groupMax {
			ents := g.ents
			g.ents = nil
			g.lcs = []*lclass[K]{}
			for _, en := range ents {
				e.ladd(g, erule[K]{lk: en.lcl, llen: en.llen, h: en.head})
			}
		}
		return
	}
	e.ladd(g, r)
}

func (e *engine[K]) lclassOf(g *group[K], llen uint8, create bool) *lclass[K] {
	for _, lc := range g.lcs {
		if lc.llen == llen {
			return lc
		}
	}
	if !create {
		return nil
	}
	lc := &lclass[K]{llen: llen, mask: e.maskOf(llen), min: ^uint64(0), pos: len(g.lcs)}
	lc.grow()
	g.lcs = append(g.lcs, lc)
	return lc
}

// ladd adds a rule to a big group.
func (e *engine[K]) ladd(g *group[K], r erule[K]) {
	lc := e.lclassOf(g, r.llen, true)
	i, added := lc.insert(r.lk)
	s := &lc.slots[i]
	if added {
		s.val = r.h
	} else {
		e.buf = append(e.ar.collect(&s.val, e.buf[:0]), r.h)
		e.ar.store(&s.val, e.buf)
	}
	lc.nrules++
	lowerL(g, lc, r.h.label)
}

// lowerL records that lc holds a rule labelled l and keeps g.lcs sorted.
func lowerL[K fkey](g *group[K], lc *lclass[K], l uint64) {
	if l >= lc.min {
		return
	}
	lc.min = l
	for i := lc.pos; i > 0 && g.lcs[i-1].min > l; i-- {
		g.lcs[i], g.lcs[i-1] = g.lcs[i-1], g.lcs[i]
		g.lcs[i].pos, g.lcs[i-1].pos = i, i-1
	}
}

// slot returns the rclass and slot of the group holding box b's remote prefix.
func (e *engine[K]) slot(b *box) (*rclass[K], int) {
	rc := e.rclassOf(b.rlen, false)
	if rc != nil {
		rk, _ := e.keyOf(b)
		if i, _ := rc.find(rk); i >= 0 {
			return rc, i
		}
	}
	return nil, -1
}

// entry returns rule id's head (nil if the engine does not hold it).
func (e *engine[K]) entry(id int32, b *box) *head {
	rc, i := e.slot(b)
	if rc == nil {
		return nil
	}
	s := &rc.slots[i].val
	if s.g == nil {
		if s.one.id == id {
			return &s.one.head
		}
		return nil
	}
	g := s.g
	if g.lcs == nil {
		for j := range g.ents {
			if g.ents[j].id == id {
				return &g.ents[j].head
			}
		}
		return nil
	}
	lc := e.lclassOf(g, b.llen, false)
	if lc == nil {
		return nil
	}
	_, lk := e.keyOf(b)
	j, _ := lc.find(lk)
	if j < 0 {
		return nil
	}
	return e.ar.find(&lc.slots[j].val, id)
}

// remove drops rule id and returns the hits it had counted.
func (e *engine[K]) remove(id int32, b *box) (hits uint64) {
	rc, i := e.slot(b)
	s := &rc.slots[i]
	g := s.val.expand()
	hits = e.gremove(g, id, b)
	rc.nrules--
	e.nrules--
	if g.n == 0 {
		rc.del(i)
		if rc.nrules == 0 {
			e.rcs = slices.DeleteFunc(e.rcs, func(x *rclass[K]) bool { return x == rc })
		}
		g = nil
	} else {
		s.val.compact()
		g = s.val.g
	}
	e.stale++
	e.zeros(rc, g)
	e.maybeRefresh()
	return hits
}

func (e *engine[K]) gremove(g *group[K], id int32, b *box) (hits uint64) {
	g.n--
	if g.lcs == nil {
		j := slices.IndexFunc(g.ents, func(en gent[K]) bool { return en.id == id })
		hits = g.ents[j].hits
		g.ents = slices.Delete(g.ents, j, j+1)
		g.min = ^uint64(0)
		if len(g.ents) > 0 {
			g.min = g.ents[0].label
		}
		return hits
	}
	lc := e.lclassOf(g, b.llen, false)
	_, lk := e.keyOf(b)
	j, _ := lc.find(lk)
	s := &lc.slots[j]
	ents := e.ar.collect(&s.val, e.buf[:0])
	k := 0
	for x := range ents {
		if ents[x].id == id {
			hits = ents[x].hits
			continue
		}
		ents[k] = ents[x]
		k++
	}
	e.buf = ents
	if k == 0 {
		lc.del(j)
	} else {
		e.ar.store(&s.val, ents[:k])
	}
	lc.nrules--
	if lc.nrules == 0 {
		g.lcs = slices.Delete(g.lcs, lc.pos, lc.pos+1)
		for x := lc.pos; x < len(g.lcs); x++ {
			g.lcs[x].pos = x
		}
	}
	if g.n < groupMax/4 {
		e.shrink(g)
	}
	return hits
}

// shrink turns a big group back into a sorted array.
func (e *engine[K]) shrink(g *group[K]) {
	var ents []gent[K]
	for _, lc := range g.lcs {
		for i := range lc.slots {
			if lc.fp[i] < 0x80 {
				continue
			}
			for _, h := range e.ar.collect(&lc.slots[i].val, e.buf[:0]) {
				ents = append(ents, gent[K]{lcl: lc.slots[i].key, lmask: lc.mask, head: h})
			}
		}
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].label < ents[j].label })
	g.lcs, g.ents = nil, ents
	g.min = ^uint64(0)
	if len(ents) > 0 {
		g.min = ents[0].label
	}
}

// setAction changes rule id's action in place.
func (e *engine[K]) setAction(id int32, b *box, act Action) { e.entry(id, b).action = act }

// hits returns the hits rule id has counted.
func (e *engine[K]) hits(id int32, b *box) uint64 { return loadHits(&e.entry(id, b).hits) }

// relabel gives rule id a new label.
func (e *engine[K]) relabel(id int32, b *box, label uint64) {
	rc, i := e.slot(b)
	s := &rc.slots[i]
	g := s.val.g
	if g == nil {
		if label > s.val.one.label {
			e.stale++
		}
		s.val.one.label = label
	} else if g.lcs == nil {
		j := slices.IndexFunc(g.ents, func(en gent[K]) bool { return en.id == id })
		en := g.ents[j]
		en.label = label
		g.ents = slices.Delete(g.ents, j, j+1)
		k := sort.Search(len(g.ents), func(i int) bool { return g.ents[i].label > label })
		g.ents = slices.Insert(g.ents, k, en)
		g.min = g.ents[0].label
	} else {
		lc := e.lclassOf(g, b.llen, false)
		_, lk := e.keyOf(b)
		j, _ := lc.find(lk)
		ls := &lc.slots[j]
		ents := e.ar.collect(&ls.val, e.buf[:0])
		for x := range ents {
			if ents[x].id == id {
				if label > ents[x].label {
					e.stale++
				}
				ents[x].label = label
			}
		}
		e.ar.store(&ls.val, ents)
		e.buf = ents
		lowerL(g, lc, label)
		g.min = min(g.min, label)
	}
	s.val.compact()
	if label < rc.min {
		rc.min = label
	} else {
		e.stale++
	}
	e.zeros(rc, g)
	e.maybeRefresh()
}

// relabelAll refreshes every label from the tree.
func (e *engine[K]) relabelAll(t *tree) {
	for _, rc := range e.rcs {
		for i := range rc.slots {
			if rc.fp[i] < 0x80 {
				continue
			}
			g := rc.slots[i].val.g
			if g == nil {
				one := &rc.slots[i].val.one
				one.label = t.nodes[one.id].label
				continue
			}
			if g.lcs == nil {
				for j := range g.ents {
					g.ents[j].label = t.nodes[g.ents[j].id].label
				}
				sort.Slice(g.ents, func(a, b int) bool { return g.ents[a].label < g.ents[b].label })
				continue
			}
			for _, lc := range g.lcs {
				for j := range lc.slots {
					if lc.fp[j] < 0x80 {
						continue
					}
					ents := e.ar.collect(&lc.slots[j].val, e.buf[:0])
					for x := range ents {
						ents[x].label = t.nodes[ents[x].id].label
					}
					e.ar.store(&lc.slots[j].val, ents)
					e.buf = ents
				}
			}
		}
	}
	e.refresh()
}

func (e *engine[K]) maybeRefresh() {
	if e.stale > 64+e.nrules/2 {
		e.refresh()
	}
}

// refresh recomputes every minimum exactly.
func (e *engine[K]) refresh() {
	for _, rc := range e.rcs {
		rc.min = ^uint64(0)
		for i := range rc.slots {
			if rc.fp[i] < 0x80 {
				continue
			}
			s := &rc.slots[i]
			g := s.val.g
			if g == nil {
				s.val.min = s.val.one.label
				rc.min = min(rc.min, s.val.min)
				continue
			}
			if g.lcs == nil {
				g.min = g.ents[0].label
			} else {
				g.min = ^uint64(0)
				for _, lc := range g.lcs {
					lc.min = ^uint64(0)
					for j := range lc.slots {
						if lc.fp[j] >= 0x80 {
							lc.min = min(lc.min, lc.slots[j].val.label) // inline = smallest of its bucket
						}
					}
					g.min = min(g.min, lc.min)
				}
				sort.SliceStable(g.lcs, func(a, b int) bool { return g.lcs[a].min < g.lcs[b].min })
				for j, lc := range g.lcs {
					lc.pos = j
				}
			}
			s.val.min = g.min
			rc.min = min(rc.min, g.min)
			e.zeros(nil, g)
		}
		e.zeros(rc, nil)
	}
	e.stale = 0
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

// lookup4 finds the best rule for an IPv4 key (ports = rport<<16 | lport), or
// nil.
func lookup4(e *engine[a4], rmt, lcl a4, ports uint32) *head {
	best := ^uint64(0)
	var win *head
	for _, rc := range e.rcs {
		if rc.min >= best {
			continue
		}
		var s *gref[a4]
		if rc.zero != nil {
			s = rc.zero
		} else {
			k := rmt & rc.mask
			i := tabProbe(&rc.tab, k, mix64(uint64(k)))
			if i < 0 {
				continue
			}
			s = &rc.slots[i].val
		}
		if s.min >= best {
			continue
		}
		if s.g == nil {
			if o := &s.one; lcl&o.lmask == o.lcl && ports&o.pmask == o.ports {
				win, best = &o.head, o.label
			}
			continue
		}
		win, best = search4(e, s.g, lcl, ports, win, best)
	}
	return win
}

func search4(e *engine[a4], g *group[a4], lcl a4, ports uint32, win *head, best uint64) (*head, uint64) {
	if g.lcs == nil {
		for i := range g.ents {
			en := &g.ents[i]
			if en.label >= best {
				break
			}
			if lcl&en.lmask == en.lcl && ports&en.pmask == en.ports {
				return &en.head, en.label
			}
		}
		return win, best
	}
	for _, lc := range g.lcs {
		if lc.min >= best {
			break
		}
		if lc.zero != nil {
			win, best = e.ar.matchBucket(lc.zero, ports, win, best)
			continue
		}
		k := lcl & lc.mask
		if i := tabProbe(&lc.tab, k, mix64(uint64(k))); i >= 0 {
			win, best = e.ar.matchBucket(&lc.slots[i].val, ports, win, best)
		}
	}
	return win, best
}

// lookup6 is lookup4 for IPv6 keys.
func lookup6(e *engine[a6], rmt, lcl u128, ports uint32) *head {
	best := ^uint64(0)
	var win *head
	for _, rc := range e.rcs {
		if rc.min >= best {
			continue
		}
		var s *gref[a6]
		if rc.zero != nil {
			s = rc.zero
		} else {
			k := a6(rmt.and(u128(rc.mask)))
			i := tabProbe(&rc.tab, k, mix64(mum(k.hi, k.lo)))
			if i < 0 {
				continue
			}
			s = &rc.slots[i].val
		}
		if s.min >= best {
			continue
		}
		if s.g == nil {
			if o := &s.one; a6(lcl.and(u128(o.lmask))) == o.lcl && ports&o.pmask == o.ports {
				win, best = &o.head, o.label
			}
			continue
		}
		win, best = search6(e, s.g, lcl, ports, win, best)
	}
	return win
}

func search6(e *engine[a6], g *group[a6], lcl u128, ports uint32, win *head, best uint64) (*head, uint64) {
	if g.lcs == nil {
		for i := range g.ents {
			en := &g.ents[i]
			if en.label >= best {
				break
			}
			if a6(lcl.and(u128(en.lmask))) == en.lcl && ports&en.pmask == en.ports {
				return &en.head, en.label
			}
		}
		return win, best
	}
	for _, lc := range g.lcs {
		if lc.min >= best {
			break
		}
		if lc.zero != nil {
			win, best = e.ar.matchBucket(lc.zero, ports, win, best)
			continue
		}
		k := a6(lcl.and(u128(lc.mask)))
		if i := tabProbe(&lc.tab, k, mix64(mum(k.hi, k.lo))); i >= 0 {
			win, best = e.ar.matchBucket(&lc.slots[i].val, ports, win, best)
		}
	}
	return win, best
}
