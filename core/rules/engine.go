package rules

import (
	"slices"
	"sort"
)

// The fast engine.
//
// A lookup wants, among the rules that match a key, the one with the
// smallest tree label (see the package comment). In ACL-shaped sets a key
// matches only a handful of rules, but they come from different mask
// classes (remote prefix wide or narrow, local prefix wide or narrow, ports
// exact or not): a tuple-space search pays one hash probe per class whether
// or not the class holds a match, about ten per lookup, and its tables are
// scattered over memory.
//
// This engine is a decision tree over the rules, in the style of packet
// classifiers' cut trees (HiCuts, EffiCuts), but without copying rules.
// Every inner node is a cut: a table indexed by some bits of one address
// (or keyed by a prefix, or by a port), with one kid per value. A rule goes
// to the kid whose region holds its whole range, or, if the cut would split
// its range (its prefix is too short, its port a wildcard), to the node's
// stay, which is another subtree. A key falls in exactly one kid of each cut
// and must also search the cut's stay. The builder (engine_build.go) picks
// each cut by an estimate of the lookup cost it leads to, so the root ends up
// as a short chain of cuts linked by their stays, one per class of rules:
// for the ACL-shaped sets, local /24 and longer, then remote /12 and longer,
// then local /8..., then the exact local port, and so on, with small kids,
// mostly single rules. A lookup (engine_lookup.go) reads the key's kid entry
// in every cut of that chain, which it keeps flattened into arrays (chain),
// then scans those kids.
//
// Kids are named by refs carrying the kind of node, and their parents' table
// entries carry a lower bound of their labels (bref): a kid that cannot beat
// the best match found so far is dropped without touching its memory. Leaves
// are runs of packed rules in one slab, one cache line each for IPv4,
// sorted by label; each rule's action and hit counter (its head) share its
// line, so the winner's counter costs no further cache miss.
//
// Updates follow a rule's route from the root, which depends only on the
// rule's box, and fix counts and label bounds on the way. A subtree is
// rebuilt from its rules when it has doubled (or shrunk to a quarter) since
// it was built, which keeps the cuts fitting the rules at amortised O(log n)
// rebuilds per rule. Labels never steer the shape, so the tree's relabelling
// only moves a rule within its leaf and lowers bounds.

// head is a rule's action and hit counter, as a lookup returns it.
type head struct {
	action Action
	id     int32 // tree node
	hits   uint64
}

// erec is the engine's record of a rule: its label and box (which fix its
// place), and its head while the rule is being moved between leaves.
type erec struct {
	label uint64 // > 0 while the rule is in the engine
	h     head
	b     box
}

// pent is a rule as a leaf packs it: the label, and the masked addresses
// and ports with their masks (a key matches when key&mask == value in all
// three, a handful of ALU operations), then the rule's head. For IPv4 it is
// 64 bytes, one cache line (the slab is line-aligned: a large allocation, or
// a size class that is a multiple of 64): the line a lookup loads to test a
// rule also holds the action and the hit counter it returns and increments
// when the rule wins, so the winner costs no further, dependent, cache miss
// (with 100k rules, that miss was a third of a lookup).
type pent[K fkey] struct {
	label        uint64
	rmt, rmask   K
	lcl, lmask   K
	ports, pmask uint32
	h            head
	_            [16]byte
}

// ref names a subtree: 0 is none; otherwise the top bits say what it is and
// the rest where: a leaf (its offset in engine.slab), a direct cut on the
// remote or the local address (an index in engine.dn), or another cut (an
// index in engine.on). Carrying the kind in the reference lets a lookup
// dispatch before it loads the node.
type ref = uint32

const (
	tagShift     = 29
	tagLeaf  ref = 1 << tagShift
	tagRmt   ref = 2 << tagShift
	tagLcl   ref = 3 << tagShift
	tagOther ref = 4 << tagShift
	idxMask  ref = 1<<tagShift - 1
	maxDepth     = 40 // cuts on any path: the bound of a lookup's stack
)

// buildDepth is the depth past which subtrees are built as leaves however
// big (at most maxDepth; a variable so tests can make big leaves).
var buildDepth = maxDepth

// bref (bounded ref) is a kid as its parent's table holds it: its ref in
// the low 32 bits and, in the high 32, a lower bound of its labels (label >>
// boundShift; labels are at most 2^62). A lookup skips a kid whose bound
// shows it cannot beat the best match so far without touching the kid's
// memory.
type bref = uint64

const boundShift = 31

// mkent returns the entry of subtree r whose smallest label is lo.
func mkent(r ref, lo uint64) bref {
	if r == 0 {
		return 0
	}
	return lo>>boundShift<<32 | uint64(r)
}

// lower returns k with its bound lowered to cover label.
func lower(k bref, label uint64) bref { return min(k>>32, label>>boundShift)<<32 | k&0xFFFFFFFF }

// A leaf is a run of pents in the slab, its rules sorted by label, of
// exactly its size: most leaves hold one rule. Its ref holds the index of
// its first rule and its number of rules, so reaching a leaf costs no
// header. Leaves of more than leafMax rules (only where no cut separates
// them) are kBig nodes that hold a run. Slot 0 is never used, so that slab
// index 0 never names a rule.
const (
	runShift     = 24
	runMask  ref = 1<<runShift - 1
	leafMax      = 31
	noLabel      = ^uint64(0) // above every label: the best match before one is found
)

func leafRef(first, n int) ref { return tagLeaf | ref(n)<<runShift | ref(first) }

// span returns the first slot and the number of rules of leaf r.
func span(r ref) (first, n int) { return int(r & runMask), int(r>>runShift) & leafMax }

// dnode is a direct cut: a table indexed by bits [off, off+s) of one
// address, for the rules that lie in the prefix pfx (the first off bits) and
// whose prefix is at least off+s long; the other rules stay. For IPv4 the
// fields a lookup reads fit in the first 48 bytes.
type dnode[K fkey] struct {
	min    uint64 // lower bound of the labels in the subtree
	pfx    K
	pmask  K // mask of the first off bits
	stay   ref
	sh, rs uint8 // the index is word << sh >> rs
	hi     bool  // IPv6: the bits are in the high word
	_      uint8
	kids   []bref
	n      int32 // rules in the subtree
	built  int32 // n when the subtree was last built
	off, s uint8 // bits [off, off+s) in the 128-bit space of boxes
}

// nkind is the kind of a cut.
type nkind uint8

const (
	kLeaf nkind = iota // no cut
	kRmt               // direct cuts
	kLcl
	kRmtHash // hash table keyed by the prefix of one length
	kLclHash
	kRport // port table keyed by an exact port
	kLport
	kBig // not a cut: a leaf too big for a ref
)

// onode is a hash or port cut.
type onode[K fkey] struct {
	min   uint64
	kind  nkind
	sh    uint8 // port cuts: port = ports >> sh
	off   uint8 // hash cuts: the prefix length (128-bit space)
	stay  ref
	pmask K // hash cuts: the length's mask
	htab  *tab[K, bref]
	ptab  []pslot
	n     int32
	built int32
	first int32 // kBig: its run
	cnt   int32
}

// cprobe is one cut of the root's chain of stays, flattened: the lookup
// runs through the chain as a plain loop over an array, the cheapest way to
// read the one kid entry per cut that every key needs. A final leaf stay is
// a probe of kind kLeaf whose entry is ent.
type cprobe[K fkey] struct {
	kind   nkind
	sh, rs uint8
	pos    uint8 // place in the chain
	sel    uint8 // IPv4 address cuts: 0 for the remote address, 32 for the local
	pfx    K
	pmask  K
	ent    bref
	kids   []bref
	htab   *tab[K, bref]
	ptab   []pslot
}

// chainMax is the longest root chain a lookup walks as a flat array;
// longer chains (pathological sets) are searched as any other subtree.
// flatMax (at most chainMax) is a variable so tests can take that path.
const chainMax = 16

var flatMax = chainMax

// engine is the fast index of one table.
type engine[K fkey] struct {
	chain  []cprobe[K] // the root's chain, rebuilt after every update
	cdir   []cprobe[K] // its direct cuts, its hash cuts and its port cuts,
	chash  []cprobe[K] // each with pos, its place in the chain
	cport  []cprobe[K]
	cleaf  bref // its final leaf (0 if it ends with a cut), at place len(chain)-1
	dn     []dnode[K]
	dfree  []ref
	on     []onode[K]
	ofree  []ref
	slab   []pent[K]
	sfree  map[int][]int // free runs by length
	root   ref
	recs   []erec // by tree node index
	keyOf  func(*box) (rmt, lcl K)
	maskOf func(n uint8) K
	base   uint8 // 96 for IPv4, 0 for IPv6
	nrules int
	stale  int

	rlens [129]int32 // rules per remote prefix length (128-bit space)
	rcs   []uint8    // the remote prefix lengths in use
}

func newEngine[K fkey](keyOf func(*box) (K, K), maskOf func(uint8) K) *engine[K] {
	var z K
	e := &engine[K]{keyOf: keyOf, maskOf: maskOf, base: z.base()}
	e.slab, e.sfree = make([]pent[K], 1), map[int][]int{}
	e.slab[0].label = noLabel // slot 0 never names a rule
	return e
}

func keys4(b *box) (a4, a4) { return a4(b.rmt.lo), a4(b.lcl.lo) }
func keys6(b *box) (a6, a6) { return a6(b.rmt), a6(b.lcl) }
func mask4(n uint8) a4      { return a4(mask128(n).lo) }
func mask6(n uint8) a6      { return a6(mask128(n)) }

// conv returns the engine's form of a 128-bit address.
func (e *engine[K]) conv(a u128) K {
	k, _ := e.keyOf(&box{rmt: a})
	return k
}

func (e *engine[K]) pentOf(id int32) pent[K] {
	r := &e.recs[id]
	rk, lk := e.keyOf(&r.b)
	ports, pmask := portsOf(&r.b)
	return pent[K]{label: r.label, rmt: rk, rmask: e.maskOf(r.b.rlen), lcl: lk, lmask: e.maskOf(r.b.llen), ports: ports, pmask: pmask, h: r.h}
}

// minLabel returns the smallest label of rules ids.
func (e *engine[K]) minLabel(ids []int32) uint64 {
	m := ^uint64(0)
	for _, id := range ids {
		m = min(m, e.recs[id].label)
	}
	return m
}

// Leaves.

// leafAlloc returns the first slot of a free run of n slots.
func (e *engine[K]) leafAlloc(n int) int {
	if fl := e.sfree[n]; len(fl) > 0 {
		e.sfree[n] = fl[:len(fl)-1]
		return fl[len(fl)-1]
	}
	first := len(e.slab)
	if first+n > int(runMask) {
		panic("rules: fast engine full (16M rules)")
	}
	e.slab = append(e.slab, make([]pent[K], n)...)
	return first
}

func (e *engine[K]) leafFree(first, n int) {
	clear(e.slab[first : first+n])
	e.sfree[n] = append(e.sfree[n], first)
}

// run returns the rules of the run of n slots at first.
func (e *engine[K]) run(first, n int) []pent[K] {
	return e.slab[first : first+n]
}

// runOf returns the run of leaf or kBig node r.
func (e *engine[K]) runOf(r ref) (first, n int) {
	if r&^idxMask == tagLeaf {
		return span(r)
	}
	nd := &e.on[r&idxMask]
	return int(nd.first), int(nd.cnt)
}

// isLeaf reports whether r is a leaf or a kBig node.
func (e *engine[K]) isLeaf(r ref) bool {
	return r&^idxMask == tagLeaf || r&tagOther != 0 && e.on[r&idxMask].kind == kBig
}

// sortRun sorts a run by label.
func (e *engine[K]) sortRun(first, n int) {
	slices.SortStableFunc(e.run(first, n), func(a, b pent[K]) int { return cmpLabel(a.label, b.label) })
}

// newLeaf makes a leaf of ids (their heads taken from their records), or a
// kBig node if there are too many.
func (e *engine[K]) newLeaf(ids []int32) ref {
	n := len(ids)
	first := e.leafAlloc(n)
	ents := e.run(first, n)
	for i, id := range ids {
		ents[i] = e.pentOf(id)
	}
	e.sortRun(first, n)
	if n <= leafMax {
		return leafRef(first, n)
	}
	i := e.newO()
	e.on[i] = onode[K]{kind: kBig, min: ents[0].label, n: int32(n), built: int32(n), first: int32(first), cnt: int32(n)}
	return i | tagOther
}

func cmpLabel(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// leafInsert adds rule id to leaf r (which holds fewer than leafMax rules)
// and returns the leaf, moved to a run one longer.
func (e *engine[K]) leafInsert(r ref, id int32) ref {
	first, n := span(r)
	nf := e.leafAlloc(n + 1)
	oe, ne := e.run(first, n), e.run(nf, n+1)
	p := e.pentOf(id)
	i := sort.Search(n, func(i int) bool { return oe[i].label > p.label })
	copy(ne, oe[:i])
	ne[i] = p
	copy(ne[i+1:], oe[i:])
	e.leafFree(first, n)
	return leafRef(nf, n+1)
}

// runIndex returns the index of rule id in a run.
func (e *engine[K]) runIndex(first, n int, id int32) int {
	return slices.IndexFunc(e.run(first, n), func(p pent[K]) bool { return p.h.id == id })
}

// leafRemove drops rule id from leaf r, keeping its head in its record, and
// returns the leaf (0 once empty), one shorter in place: its last slot is
// freed.
func (e *engine[K]) leafRemove(r ref, id int32) ref {
	first, n := span(r)
	ents := e.run(first, n)
	i := e.runIndex(first, n, id)
	e.recs[id].h = ents[i].h
	copy(ents[i:], ents[i+1:])
	e.leafFree(first+n-1, 1)
	if n == 1 {
		return 0
	}
	return leafRef(first, n-1)
}

// Cut nodes.

func (e *engine[K]) newD() ref { return newNode(&e.dn, &e.dfree) }

func (e *engine[K]) newO() ref { return newNode(&e.on, &e.ofree) }

// newNode takes a node index from the free list (last freed first) or
// appends a zero node to the pool.
func newNode[N any](pool *[]N, free *[]ref) ref {
	if k := len(*free); k > 0 {
		i := (*free)[k-1]
		*free = (*free)[:k-1]
		return i
	}
	var zero N
	*pool = append(*pool, zero)
	return ref(len(*pool) - 1)
}

// counts returns pointers to a cut's rule count, its count when built and
// its label bound.
func (e *engine[K]) counts(r ref) (n, built *int32, min *uint64) {
	if r&tagOther != 0 {
		nd := &e.on[r&idxMask]
		return &nd.n, &nd.built, &nd.min
	}
	nd := &e.dn[r&idxMask]
	return &nd.n, &nd.built, &nd.min
}

// freeTree returns subtree r's nodes and blocks to the free lists.
func (e *engine[K]) freeTree(r ref) {
	switch {
	case r == 0:
	case r&^idxMask == tagLeaf:
		e.leafFree(span(r))
	default:
		e.eachKid(r, e.freeTree)
		if i := r & idxMask; r&tagOther != 0 {
			if nd := &e.on[i]; nd.kind == kBig {
				e.leafFree(int(nd.first), int(nd.cnt))
			}
			e.on[i] = onode[K]{}
			e.ofree = append(e.ofree, i)
		} else {
			e.dn[i] = dnode[K]{}
			e.dfree = append(e.dfree, i)
		}
	}
}

// eachKid calls f for every kid of cut r and its stay.
func (e *engine[K]) eachKid(r ref, f func(ref)) {
	e.eachEnt(r, func(k *bref) { f(ref(*k)) })
	var stay ref
	if r&tagOther == 0 {
		stay = e.dn[r&idxMask].stay
	} else {
		stay = e.on[r&idxMask].stay
	}
	if stay != 0 {
		f(stay)
	}
}

// eachEnt calls f for every kid entry of cut r (not its stay).
func (e *engine[K]) eachEnt(r ref, f func(*bref)) {
	if r&tagOther == 0 {
		nd := &e.dn[r&idxMask]
		for i := range nd.kids {
			if nd.kids[i] != 0 {
				f(&nd.kids[i])
			}
		}
		return
	}
	nd := &e.on[r&idxMask]
	if t := nd.htab; t != nil {
		for i := range t.slots {
			if t.fp[i] >= 0x80 {
				f(&t.slots[i].val)
			}
		}
	}
	for i := range nd.ptab {
		if nd.ptab[i].ent != 0 {
			f(&nd.ptab[i].ent)
		}
	}
}

// collect appends the ids of subtree r's rules to ids, keeping their heads
// in their records.
func (e *engine[K]) collect(r ref, ids []int32) []int32 {
	switch {
	case r == 0:
	case e.isLeaf(r):
		for _, p := range e.run(e.runOf(r)) {
			e.recs[p.h.id].h = p.h
			ids = append(ids, p.h.id)
		}
	default:
		e.eachKid(r, func(k ref) { ids = e.collect(k, ids) })
	}
	return ids
}

// rebuild replaces subtree r by one built from its rules plus extra (or minus
// drop, if not -1) and returns the new subtree. The keys reaching r are
// modelled by the rules below area (see build).
func (e *engine[K]) rebuild(r, area ref, extra, drop int32, depth int) ref {
	ids := e.collect(r, nil)
	pop := e.collect(area, nil)
	if extra >= 0 {
		ids = append(ids, extra)
		pop = append(pop, extra)
	}
	if drop >= 0 {
		ids = slices.DeleteFunc(ids, func(id int32) bool { return id == drop })
		pop = slices.DeleteFunc(pop, func(id int32) bool { return id == drop })
	}
	e.freeTree(r)
	n, _ := e.build(ids, e.points(pop), depth, area == r)
	return n
}

// side returns b's address and prefix length on side dim (0 remote, 1
// local).
func side(dim int, b *box) (u128, uint8) {
	if dim == 0 {
		return b.rmt, b.rlen
	}
	return b.lcl, b.llen
}

// bits128 returns bits [off, off+s) of a, s in 1..32.
func bits128(a u128, off, s uint8) uint32 {
	w := a.hi
	switch {
	case off >= 64:
		w = a.lo << (off - 64)
	case off > 0:
		w = a.hi<<off | a.lo>>(64-off)
	}
	return uint32(w >> (64 - s))
}

// route returns the entry of the kid a rule with box b goes to at cut r
// (nil if b belongs to the stay, and a pointer to a zero entry when the kid
// does not exist yet, which insert must then fill in with setKid).
func (e *engine[K]) route(r ref, b *box) (k bref, ok bool) {
	if r&tagOther == 0 {
		nd := &e.dn[r&idxMask]
		if i := e.directIndex(nd, r, b); i >= 0 {
			return nd.kids[i], true
		}
		return 0, false
	}
	nd := &e.on[r&idxMask]
	switch nd.kind {
	case kRmtHash, kLclHash:
		if key, ok := e.hashKey(nd, b); ok {
			if i, _ := nd.htab.find(key); i >= 0 {
				return nd.htab.slots[i].val, true
			}
			return 0, true
		}
	default:
		if p := portKey(nd.kind, b); p != 0 {
			return portFind(nd.ptab, p), true
		}
	}
	return 0, false
}

// stayOf returns cut r's stay.
func (e *engine[K]) stayOf(r ref) ref {
	if r&tagOther == 0 {
		return e.dn[r&idxMask].stay
	}
	return e.on[r&idxMask].stay
}

// setKid sets the entry on b's route at cut r to k (0 removes the kid), or
// the stay to ref(k) when b belongs to the stay.
func (e *engine[K]) setKid(r ref, b *box, k bref) {
	if r&tagOther == 0 {
		nd := &e.dn[r&idxMask]
		if i := e.directIndex(nd, r, b); i >= 0 {
			nd.kids[i] = k
		} else {
			nd.stay = ref(k)
		}
		return
	}
	nd := &e.on[r&idxMask]
	switch nd.kind {
	case kRmtHash, kLclHash:
		if key, ok := e.hashKey(nd, b); ok {
			if k == 0 {
				i, _ := nd.htab.find(key)
				nd.htab.del(i)
			} else {
				i, _ := nd.htab.insert(key)
				nd.htab.slots[i].val = k
			}
			return
		}
	default:
		if p := portKey(nd.kind, b); p != 0 {
			setPortKid(nd, p, k)
			return
		}
	}
	nd.stay = ref(k)
}

// directIndex returns the table index of b at direct cut nd (ref r), or -1
// if b belongs to the stay.
func (e *engine[K]) directIndex(nd *dnode[K], r ref, b *box) int {
	a, l := side(int(r>>tagShift)-2, b)
	if l < nd.off+nd.s || e.conv(a.and(mask128(nd.off))) != nd.pfx {
		return -1
	}
	return int(bits128(a, nd.off, nd.s))
}

// hashKey returns b's key at hash cut nd, or false if b belongs to the stay.
func (e *engine[K]) hashKey(nd *onode[K], b *box) (K, bool) {
	a, l := side(int(nd.kind-kRmtHash), b)
	if l < nd.off {
		var z K
		return z, false
	}
	return e.conv(a.and(mask128(nd.off))), true
}

// portKey returns b's exact port at a port cut of kind k, 0 for the stay.
func portKey(k nkind, b *box) uint16 {
	if k == kRport {
		return b.rport
	}
	return b.lport
}

// setPortKid sets port's entry in nd's port table to k (0 removes it).
func setPortKid[K fkey](nd *onode[K], port uint16, k bref) {
	m := len(nd.ptab) - 1
	for i := portSlot(port, len(nd.ptab)); ; i = (i + 1) & m {
		s := &nd.ptab[i]
		if s.ent == 0 {
			break
		}
		if s.port == port {
			if k != 0 {
				s.ent = k
				return
			}
			break
		}
	}
	kids := make([]pslot, 0, len(nd.ptab)/2+1)
	for _, s := range nd.ptab {
		if s.ent != 0 && s.port != port {
			kids = append(kids, s)
		}
	}
	if k != 0 {
		kids = append(kids, pslot{port: port, ent: k})
	}
	nd.ptab = portTable(kids)
}

// Updates.

// add indexes rule id (box b) with its label and action.
func (e *engine[K]) add(id int32, b *box, label uint64, act Action) {
	if int(id) >= len(e.recs) {
		e.recs = append(e.recs, make([]erec, int(id)+1-len(e.recs))...)
	}
	e.recs[id] = erec{label: label, h: head{action: act, id: id}, b: *b}
	e.root = e.ins(e.root, e.root, id, 0)
	e.nrules++
	e.countRlen(b.rlen, 1)
	e.flatten()
}

// flatten rebuilds e.chain from the root's chain of stays (for IPv4: the
// IPv6 lookup searches the tree depth first).
func (e *engine[K]) flatten() {
	e.chain = e.chain[:0]
	if e.base != 96 {
		return
	}
	n := e.root
	for n != 0 {
		var c cprobe[K]
		switch n &^ idxMask {
		case tagLeaf:
			// The leaf's first label is its smallest: an exact bound.
			first, _ := span(n)
			c = cprobe[K]{kind: kLeaf, ent: mkent(n, e.slab[first].label)}
			n = 0
		case tagRmt, tagLcl:
			nd := &e.dn[n&idxMask]
			c = cprobe[K]{kind: kRmt + nkind(n>>tagShift-2), sh: nd.sh, rs: nd.rs, pfx: nd.pfx, pmask: nd.pmask, kids: nd.kids}
			n = nd.stay
		default:
			nd := &e.on[n&idxMask]
			if nd.kind == kBig {
				c = cprobe[K]{kind: kLeaf, ent: mkent(n, nd.min)}
				n = 0
				break
			}
			c = cprobe[K]{kind: nd.kind, sh: nd.sh, pmask: nd.pmask, htab: nd.htab, ptab: nd.ptab}
			n = nd.stay
		}
		c.pos = uint8(len(e.chain))
		if c.kind == kLcl || c.kind == kLclHash {
			c.sel = 32
		}
		e.chain = append(e.chain, c)
	}
	e.cdir, e.chash, e.cport, e.cleaf = e.cdir[:0], e.chash[:0], e.cport[:0], 0
	if len(e.chain) > flatMax {
		return
	}
	for _, c := range e.chain {
		switch c.kind {
		case kRmt, kLcl:
			e.cdir = append(e.cdir, c)
		case kRmtHash, kLclHash:
			e.chash = append(e.chash, c)
		case kRport, kLport:
			c.rs = uint8(64 - log2(len(c.ptab)))
			e.cport = append(e.cport, c)
		default:
			e.cleaf = c.ent
		}
	}
}

func (e *engine[K]) countRlen(l uint8, d int32) {
	e.rlens[l] += d
	if c := e.rlens[l]; c == 0 || c == d {
		e.rcs = e.rcs[:0]
		for l := len(e.rlens) - 1; l >= 0; l-- {
			if e.rlens[l] > 0 {
				e.rcs = append(e.rcs, uint8(l))
			}
		}
	}
}

// ins adds rule id to subtree r (0: none yet) and returns the subtree. area
// is the subtree whose rules model the keys reaching r: r's nearest
// ancestor-or-self that is a kid rather than a stay.
func (e *engine[K]) ins(r, area ref, id int32, depth int) ref {
	if r == 0 {
		return e.newLeaf([]int32{id})
	}
	if r&^idxMask == tagLeaf {
		_, n := span(r)
		// A leaf past groupMax is offered to the builder each time its size
		// reaches a power of two (so an uncuttable one costs O(log n)
		// tries), and always before it outgrows a ref.
		if n := n + 1; n > groupMax && depth < buildDepth && (n&(n-1) == 0 || n == groupMax+1) || n > leafMax {
			return e.rebuild(r, area, id, -1, depth)
		}
		return e.leafInsert(r, id)
	}
	if e.isLeaf(r) { // kBig
		return e.rebuild(r, area, id, -1, depth)
	}
	n, built, min := e.counts(r)
	if *n+1 > 2**built {
		return e.rebuild(r, area, id, -1, depth)
	}
	*n++
	label := e.recs[id].label
	*min = mini(*min, label)
	b := &e.recs[id].b
	k, ok := e.route(r, b)
	if !ok {
		if st := e.ins(e.stayOf(r), area, id, depth+1); st != e.stayOf(r) {
			e.setKid(r, b, bref(st))
		}
		return r
	}
	kid := e.ins(ref(k), ref(k), id, depth+1)
	if k == 0 {
		e.setKid(r, b, mkent(kid, label))
	} else {
		e.setKid(r, b, lower(k, label)&^0xFFFFFFFF|bref(kid))
	}
	return r
}

func mini(a, b uint64) uint64 {
	if b < a {
		return b
	}
	return a
}

// remove drops rule id and returns the hits it had counted.
func (e *engine[K]) remove(id int32, b *box) (hits uint64) {
	e.root = e.del(e.root, e.root, id, 0)
	r := &e.recs[id]
	hits = r.h.hits
	*r = erec{}
	e.nrules--
	e.countRlen(b.rlen, -1)
	e.stale++
	e.maybeRefresh()
	e.flatten()
	return hits
}

// del removes rule id from subtree r and returns the subtree (0 if empty).
// The rule's head is left in its record.
func (e *engine[K]) del(r, area ref, id int32, depth int) ref {
	if r&^idxMask == tagLeaf {
		return e.leafRemove(r, id)
	}
	if e.isLeaf(r) { // kBig
		return e.rebuild(r, area, -1, id, depth)
	}
	n, built, _ := e.counts(r)
	if *n == 1 {
		e.collect(r, nil)
		e.freeTree(r)
		return 0
	}
	if 4*(*n-1) < *built {
		return e.rebuild(r, area, -1, id, depth)
	}
	*n--
	b := &e.recs[id].b
	k, ok := e.route(r, b)
	if !ok {
		if st := e.del(e.stayOf(r), area, id, depth+1); st != e.stayOf(r) {
			e.setKid(r, b, bref(st))
		}
		return r
	}
	if kid := e.del(ref(k), ref(k), id, depth+1); kid == 0 {
		e.setKid(r, b, 0)
	} else if kid != ref(k) {
		e.setKid(r, b, k&^0xFFFFFFFF|bref(kid))
	}
	return r
}

// entry returns rule id's head (nil if the engine does not hold it).
func (e *engine[K]) entry(id int32, b *box) *head {
	if int(id) >= len(e.recs) || e.recs[id].label == 0 {
		return nil
	}
	n := e.root
	for !e.isLeaf(n) {
		if k, ok := e.route(n, b); ok {
			n = ref(k)
		} else {
			n = e.stayOf(n)
		}
	}
	first, cnt := e.runOf(n)
	return &e.slab[first+e.runIndex(first, cnt, id)].h
}

// setAction changes rule id's action in place.
func (e *engine[K]) setAction(id int32, b *box, act Action) { e.entry(id, b).action = act }

// hits returns the hits rule id has counted.
func (e *engine[K]) hits(id int32, b *box) uint64 { return loadHits(&e.entry(id, b).hits) }

// relabel gives rule id a new label: the rule moves within its leaf, and the
// bounds on its route are lowered if need be.
func (e *engine[K]) relabel(id int32, b *box, label uint64) {
	r := &e.recs[id]
	if label > r.label {
		e.stale++
	}
	r.label = label
	n := e.root
	for {
		if n&^idxMask != tagLeaf {
			_, _, min := e.counts(n)
			*min = mini(*min, label)
		}
		if e.isLeaf(n) {
			break
		}
		k, ok := e.route(n, b)
		if !ok {
			n = e.stayOf(n)
			continue
		}
		e.setKid(n, b, lower(k, label))
		n = ref(k)
	}
	first, cnt := e.runOf(n)
	ents := e.run(first, cnt)
	ents[e.runIndex(first, cnt, id)].label = label
	e.sortRun(first, cnt)
	e.maybeRefresh()
	e.flatten()
}

// relabelAll refreshes every label from the tree.
func (e *engine[K]) relabelAll(t *tree) {
	for i := range e.recs {
		if r := &e.recs[i]; r.label != 0 {
			r.label = t.nodes[i].label
		}
	}
	e.refresh()
}

func (e *engine[K]) maybeRefresh() {
	if e.stale > 64+e.nrules/2 {
		e.refresh()
	}
}

// refresh copies every label from the records and recomputes every bound
// exactly.
func (e *engine[K]) refresh() {
	if e.root != 0 {
		e.refreshMin(e.root)
	}
	e.stale = 0
	e.flatten()
}

func (e *engine[K]) refreshMin(r ref) uint64 {
	if e.isLeaf(r) {
		first, cnt := e.runOf(r)
		ents := e.run(first, cnt)
		for i := range ents {
			ents[i].label = e.recs[ents[i].h.id].label
		}
		e.sortRun(first, cnt)
		if r&^idxMask != tagLeaf {
			e.on[r&idxMask].min = ents[0].label
		}
		return ents[0].label
	}
	m := ^uint64(0)
	e.eachEnt(r, func(k *bref) {
		km := e.refreshMin(ref(*k))
		*k = mkent(ref(*k), km)
		m = mini(m, km)
	})
	if st := e.stayOf(r); st != 0 {
		m = mini(m, e.refreshMin(st))
	}
	_, _, min := e.counts(r)
	*min = m
	return m
}
