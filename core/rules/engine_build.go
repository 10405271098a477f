package rules

import (
	"math"
	"slices"
)

// Building a subtree: choosing each node's cut.
//
// The cut at a node is chosen to minimise the expected cost of the lookups
// that reach it, in rough instruction counts: the cut's own cost, plus the
// stay's (every key reaching the node visits it), plus each kid's weighted
// by the share of the keys reaching the node that fall in the kid's region.
// Keys are modelled by one point per rule, drawn inside the rule's ranges
// (keys fall where rules are, in real traffic as in the benchmarks), and the
// points that model the keys reaching a node are those of the region it
// covers: a kid's region is its parent's cut down to the kid, a stay's is
// its parent's whole region. That matters: the few rules left in a deep stay
// are looked at by every key of the region above, so splitting them further
// pays even when they are few. A part yet to be built is estimated as a leaf
// when small and as a leaf plus a cut per halving beyond (a kid that will be
// a cut also pays for the depth-first search the lookup gives it); once the
// parts are built their real costs are known, and a small node whose cut
// turns out no cheaper than scanning becomes a leaf after all.
//
// The candidates: direct cuts on every 4-bit-aligned field of 4 to 16 bits of
// either address (the prefix above the field chosen to capture the most
// cost), hash cuts on every prefix length in use on either side, and cuts on
// either exact port. A cut must leave every part smaller than the node, so
// building terminates.

// groupMax is the size up to which a node is always a leaf, and
// cheapLeaves whether a bigger node that a cut does not make cheaper is a
// leaf too: variables so tests can make cuts common.
var (
	groupMax    = 4
	cheapLeaves = true
)

// Costs, in instructions, of visiting a cut or a leaf and of checking one
// rule in a leaf, measured on the lookup loop (callgrind). costNested is
// not an instruction count but what a nested search costs in time: its
// walk down a chain of stays with a stack, dependent loads and branches
// that depend on the data. Timed on the firewall-shaped sets (10k rules,
// whose local-port cut has kids of 15 to 30 rules), scanning such a kid as
// a leaf beats cutting it further (106 ns against 112 per lookup at 600;
// 115 at the 120 this was).
const (
	costDirect = 30
	costHash   = 70
	costPort   = 40
	costLeaf   = 20
	costEntry  = 30
	costNested = 600 // a kid that is a cut: a depth-first search of its own
)

func leafCost(x int) float64 { return costLeaf + costEntry*float64(x) }

// est estimates the cost of a stay of x rules not built yet.
func est(x int) float64 {
	const g = 8
	if x <= g {
		return leafCost(x)
	}
	return min(leafCost(x), leafCost(g)+costDirect*math.Log2(float64(x)/g))
}

// estKid estimates the cost of a kid of x rules not built yet.
func estKid(x int) float64 {
	if x <= groupMax {
		return leafCost(x)
	}
	c := costNested + est(x)
	if x <= leafMax {
		c = min(c, leafCost(x))
	}
	return c
}

// kpt is a point that models a key: addresses and ports, [0] remote and [1]
// local.
type kpt struct {
	a [2]u128
	p [2]uint16
}

// points returns one point inside each rule's ranges: the host bits drawn
// from a hash of the rule, so that keys of wide rules spread over their
// ranges. A wildcard local port becomes one of the local ports the rules
// name (keys of "any port" rules go to the services other rules are about,
// so they do reach port cuts' kids); a wildcard remote port stays 0, an
// ephemeral port no rule names.
func (e *engine[K]) points(ids []int32) []kpt {
	var lports []uint16
	for _, id := range ids {
		if p := e.recs[id].b.lport; p != 0 {
			lports = append(lports, p)
		}
	}
	out := make([]kpt, len(ids))
	for i, id := range ids {
		b := &e.recs[id].b
		h := mix64(uint64(id) + 0x9E3779B97F4A7C15)
		r := u128{h, mix64(h)}
		l := u128{mix64(h ^ 1), mix64(h ^ 2)}
		out[i] = kpt{
			a: [2]u128{b.rmt.or(r.and(mask128(b.rlen).not())), b.lcl.or(l.and(mask128(b.llen).not()))},
			p: [2]uint16{b.rport, b.lport},
		}
		if b.lport == 0 && len(lports) > 0 {
			out[i].p[1] = lports[h%uint64(len(lports))]
		}
		if e.base == 96 {
			out[i].a[0].hi, out[i].a[1].hi = 0, 0
			out[i].a[0].lo &= 0xFFFFFFFF
			out[i].a[1].lo &= 0xFFFFFFFF
		}
	}
	return out
}

// cut is a candidate cut.
type cut struct {
	kind   nkind
	off, s uint8
	pfx    u128
	cost   float64
	stay   int // rules the cut leaves in its stay
}

// better reports whether c should be preferred to b for a node of n rules.
// A cut that leaves more than half the rules in its stay (which every key
// visits) makes little progress however cheap it looks, since the estimate
// of what the stay will cost once it is cut in turn is rough: such cuts are
// taken only when there is no other.
func (c cut) better(b cut, n int) bool {
	if pc, pb := 2*c.stay <= n, 2*b.stay <= n; pc != pb {
		return pc
	}
	return c.cost < b.cost
}

// citem is a rule's address and prefix length on one side.
type citem struct {
	a u128
	l uint8
}

// build builds a subtree holding rules ids, for keys modelled by pop, and
// returns it with its expected cost per key.
func (e *engine[K]) build(ids []int32, pop []kpt, depth int, kid bool) (ref, float64) {
	if len(ids) == 0 {
		return 0, 0
	}
	if len(ids) <= groupMax || depth >= buildDepth {
		return e.newLeaf(ids), leafCost(len(ids))
	}
	c := e.choose(ids, pop)
	if c.kind == kLeaf {
		return e.newLeaf(ids), leafCost(len(ids))
	}
	r, cost := e.buildCut(c, ids, pop, depth)
	if kid {
		cost += costNested
	}
	if lc := leafCost(len(ids)); cost >= lc && len(ids) <= leafMax && cheapLeaves {
		e.freeTree(r)
		return e.newLeaf(ids), lc
	}
	return r, cost
}

// weight returns the share of pop in a part of n points (the rules' share
// when no points reach the node).
func weight(np, nr, pop, n int) float64 {
	if pop == 0 {
		return float64(nr) / float64(n)
	}
	return float64(np) / float64(pop)
}

// buildCut builds cut c over ids and returns the node and its cost.
func (e *engine[K]) buildCut(c cut, ids []int32, pop []kpt, depth int) (ref, float64) {
	var stay []int32
	cost := 0.0
	var r ref
	min := ^uint64(0)
	for _, id := range ids {
		min = mini(min, e.recs[id].label)
	}
	switch c.kind {
	case kRmt, kLcl:
		i := e.newD()
		r = i | tagRmt
		if c.kind == kLcl {
			r = i | tagLcl
		}
		nd := &e.dn[i]
		*nd = dnode[K]{min: min, pfx: e.conv(c.pfx), pmask: e.maskOf(c.off), off: c.off, s: c.s, n: int32(len(ids)), built: int32(len(ids))}
		if e.base == 96 {
			nd.sh, nd.rs = c.off-96, 32-c.s
		} else {
			nd.hi = c.off < 64
			nd.sh, nd.rs = c.off%64, 64-c.s
		}
		parts := map[int][]int32{}
		for _, id := range ids {
			if j := e.directIndex(nd, r, &e.recs[id].b); j >= 0 {
				parts[j] = append(parts[j], id)
			} else {
				stay = append(stay, id)
			}
		}
		pp := map[int][]kpt{}
		dim := int(c.kind - kRmt)
		for _, p := range pop {
			if p.a[dim].and(mask128(c.off)) == c.pfx {
				j := int(bits128(p.a[dim], c.off, c.s))
				if parts[j] != nil {
					pp[j] = append(pp[j], p)
				}
			}
		}
		kids := make([]bref, 1<<c.s)
		cost = costDirect
		for j, p := range parts {
			k, kc := e.build(p, pp[j], depth+1, true)
			kids[j] = mkent(k, e.minLabel(p))
			cost += weight(len(pp[j]), len(p), len(pop), len(ids)) * kc
		}
		e.dn[i].kids = kids
	case kRmtHash, kLclHash:
		i := e.newO()
		r = i | tagOther
		nd := &e.on[i]
		*nd = onode[K]{min: min, kind: c.kind, off: c.off, pmask: e.maskOf(c.off), n: int32(len(ids)), built: int32(len(ids))}
		parts, order, unplaced := partition(ids, func(id int32) (K, bool) { return e.hashKey(nd, &e.recs[id].b) })
		stay = append(stay, unplaced...)
		pp := map[K][]kpt{}
		dim := int(c.kind - kRmtHash)
		for _, p := range pop {
			if k := e.conv(p.a[dim].and(mask128(c.off))); parts[k] != nil {
				pp[k] = append(pp[k], p)
			}
		}
		t := newTab[K, bref]()
		nd.htab = t
		cost = costHash
		for _, k := range order {
			kid, kc := e.build(parts[k], pp[k], depth+1, true)
			j, _ := t.insert(k)
			t.slots[j].val = mkent(kid, e.minLabel(parts[k]))
			cost += weight(len(pp[k]), len(parts[k]), len(pop), len(ids)) * kc
		}
	case kRport, kLport:
		i := e.newO()
		r = i | tagOther
		nd := &e.on[i]
		*nd = onode[K]{min: min, kind: c.kind, n: int32(len(ids)), built: int32(len(ids))}
		if c.kind == kRport {
			nd.sh = 16
		}
		parts, order, unplaced := partition(ids, func(id int32) (uint16, bool) {
			p := portKey(c.kind, &e.recs[id].b)
			return p, p != 0
		})
		stay = append(stay, unplaced...)
		pp := map[uint16][]kpt{}
		dim := int(c.kind - kRport)
		for _, p := range pop {
			if parts[p.p[dim]] != nil {
				pp[p.p[dim]] = append(pp[p.p[dim]], p)
			}
		}
		kids := make([]pslot, 0, len(order))
		cost = costPort
		for _, p := range order {
			kid, kc := e.build(parts[p], pp[p], depth+1, true)
			kids = append(kids, pslot{port: p, ent: mkent(kid, e.minLabel(parts[p]))})
			cost += weight(len(pp[p]), len(parts[p]), len(pop), len(ids)) * kc
		}
		e.on[i].ptab = portTable(kids)
	}
	st, sc := e.build(stay, pop, depth+1, false)
	cost += sc
	if r&tagOther != 0 {
		e.on[r&idxMask].stay = st
	} else {
		e.dn[r&idxMask].stay = st
	}
	return r, cost
}

// choose returns the best cut for rules ids and keys pop, or a leaf.
func (e *engine[K]) choose(ids []int32, pop []kpt) cut {
	n := len(ids)
	best := cut{kind: kLeaf, cost: math.Inf(1), stay: n}
	items := make([]citem, n)
	pts := make([]u128, len(pop))
	for dim := range 2 {
		for i, id := range ids {
			a, l := side(dim, &e.recs[id].b)
			items[i] = citem{a, l}
		}
		slices.SortFunc(items, func(x, y citem) int {
			if c := x.a.cmp(y.a); c != 0 {
				return c
			}
			return int(x.l) - int(y.l)
		})
		for i := range pop {
			pts[i] = pop[i].a[dim]
		}
		slices.SortFunc(pts, u128.cmp)
		maxl := uint8(0)
		lens := [129]bool{}
		for _, it := range items {
			maxl = max(maxl, it.l)
			lens[it.l] = true
		}
		for off := e.base; off < maxl; off += 4 {
			for _, s := range []uint8{4, 8, 12, 16} {
				if int(off)+int(s) > int(maxl) || (off < 64 && off+s > 64) {
					continue
				}
				if c := evalDirect(items, pts, off, s, n); c.better(best, n) {
					c.kind = kRmt + nkind(dim)
					best = c
				}
			}
		}
		for l := int(e.base) + 1; l <= int(maxl); l++ {
			if !lens[l] {
				continue
			}
			if c := evalHash(items, pts, uint8(l), n); c.better(best, n) {
				c.kind = kRmtHash + nkind(dim)
				best = c
			}
		}
	}
	for dim := range 2 {
		var ports, pp []uint16
		for _, id := range ids {
			b := &e.recs[id].b
			if p := [2]uint16{b.rport, b.lport}[dim]; p != 0 {
				ports = append(ports, p)
			}
		}
		for i := range pop {
			if p := pop[i].p[dim]; p != 0 {
				pp = append(pp, p)
			}
		}
		slices.Sort(ports)
		slices.Sort(pp)
		kids, most, j := 0.0, 0, 0
		for i := 0; i < len(ports); {
			k := i + 1
			for k < len(ports) && ports[k] == ports[i] {
				k++
			}
			for j < len(pp) && pp[j] < ports[i] {
				j++
			}
			np := 0
			for j < len(pp) && pp[j] == ports[i] {
				j++
				np++
			}
			kids += weight(np, k-i, len(pop), n) * estKid(k-i)
			most = max(most, k-i)
			i = k
		}
		c := cut{kind: kRport + nkind(dim), cost: costPort + est(n-len(ports)) + kids, stay: n - len(ports)}
		if len(ports) > 0 && most < n && c.better(best, n) {
			best = c
		}
	}
	if best.cost >= leafCost(n) && cheapLeaves {
		best.kind = kLeaf
	}
	return best
}

// count returns the number of points of pts (sorted), from index j on, that
// lie in [lo, hi], and the index past them.
func count(pts []u128, j int, lo, hi u128) (int, int) {
	for j < len(pts) && pts[j].less(lo) {
		j++
	}
	n := 0
	for j < len(pts) && !hi.less(pts[j]) {
		j++
		n++
	}
	return n, j
}

// evalDirect rates direct cuts on bits [off, off+s) of items (sorted by
// address), choosing the best prefix of length off.
func evalDirect(items []citem, pts []u128, off, s uint8, n int) cut {
	end := off + s
	pm, em := mask128(off), mask128(end)
	host := em.not()
	best := cut{cost: math.Inf(1), stay: n}
	j := 0
	for i := 0; i < len(items); {
		if items[i].l < end {
			i++
			continue
		}
		p := items[i].a.and(pm)
		k, kids, most := 0, 0.0, 0
		var cur u128
		cnt := 0
		flush := func() {
			if cnt > 0 {
				var np int
				np, j = count(pts, j, cur, cur.or(host))
				kids += weight(np, cnt, len(pts), n) * estKid(cnt)
				most = max(most, cnt)
			}
		}
		x := i
		for ; x < len(items) && items[x].a.and(pm) == p; x++ {
			if items[x].l < end {
				continue
			}
			k++
			if t := items[x].a.and(em); cnt > 0 && t == cur {
				cnt++
			} else {
				flush()
				cur, cnt = t, 1
			}
		}
		flush()
		i = x
		if 1<<s > 8*k+16 || most == n {
			continue
		}
		if c := (cut{off: off, s: s, pfx: p, cost: costDirect + est(n-k) + kids, stay: n - k}); c.better(best, n) {
			best = c
		}
	}
	return best
}

// evalHash rates a hash cut on prefixes of length l.
func evalHash(items []citem, pts []u128, l uint8, n int) cut {
	m := mask128(l)
	host := m.not()
	k, kids, most, j := 0, 0.0, 0, 0
	var cur u128
	cnt := 0
	flush := func() {
		if cnt > 0 {
			var np int
			np, j = count(pts, j, cur, cur.or(host))
			kids += weight(np, cnt, len(pts), n) * estKid(cnt)
			most = max(most, cnt)
		}
	}
	for _, it := range items {
		if it.l < l {
			continue
		}
		k++
		if t := it.a.and(m); cnt > 0 && t == cur {
			cnt++
		} else {
			flush()
			cur, cnt = t, 1
		}
	}
	flush()
	if k == 0 || most == n {
		return cut{cost: math.Inf(1), stay: n}
	}
	return cut{off: l, cost: costHash + est(n-k) + kids, stay: n - k}
}

// partition groups rules by the key of the kid a cut sends them to, keys in
// first-seen order (so builds are deterministic), and returns the rules the
// cut cannot place (no key) as the stay.
func partition[T comparable](ids []int32, keyOf func(int32) (T, bool)) (parts map[T][]int32, order []T, stay []int32) {
	parts = map[T][]int32{}
	for _, id := range ids {
		k, ok := keyOf(id)
		if !ok {
			stay = append(stay, id)
			continue
		}
		if parts[k] == nil {
			order = append(order, k)
		}
		parts[k] = append(parts[k], id)
	}
	return parts, order, stay
}
