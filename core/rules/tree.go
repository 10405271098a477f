package rules

import "sort"

// This file is the match-mask-action tree of spec §4.3-4.5 with the quirks
// fixed: containment is judged on whole ranges, so every rule lies inside its
// parent. Two things are added to VPP's structure, neither of which changes
// the tree's shape or answers:
//
//   - Child lists are chunked, and every chunk carries a summary of its
//     children's ranges and largest ordering key. An insert has to find the
//     first child that contains the new rule, every child the new rule
//     contains, and the first child that sorts after it; the summaries let it
//     skip whole chunks, so inserting into a node with 100k children does not
//     look at 100k children. (VPP scans them all.)
//   - Every node carries a label that increases along the tree's post-order,
//     kept by order maintenance: an insert relabels only the new rule and the
//     subtrees it adopts (or, rarely, everything when a gap runs out); a
//     delete relabels nothing because splicing children into their parent's
//     place keeps the post-order of the remaining rules. The fast engine uses
//     the labels as priorities.

// labelMax is the root's label before any relabelling; labels live in
// [1, labelMax] so 0 can mean "empty" in the fast engine. It is a variable
// so tests can shrink the label space and make relabelling frequent.
var labelMax = uint64(1) << 62

// chunkMax bounds the number of entries of one chunk of a child list. It is a
// variable so tests can shrink it and exercise splits and merges.
var chunkMax = 128

// kent is one child in a child list: its node index and, inline, its box, so
// scans do not have to touch the child's node.
type kent struct {
	id int32
	b  box
}

// summary bounds the children of a chunk: the largest ordering key, and the
// extreme low and high ends of the remote and local ranges. A chunk whose
// summary rules something out is skipped without looking at its entries.
type summary struct {
	maxKey                         ordKey
	minRLo, maxRLo, minRHi, maxRHi u128
	minLLo, maxLLo, minLHi, maxLHi u128
}

type chunk struct {
	ents []kent
	sum  summary
}

// probe is a rule being inserted, with its ranges precomputed.
type probe struct {
	b                  box
	k                  ordKey
	rlo, rhi, llo, lhi u128
}

func newProbe(b box) probe {
	return probe{b: b, k: b.key(), rlo: b.rmt, rhi: b.rmtHi(), llo: b.lcl, lhi: b.lclHi()}
}

func (c *chunk) recompute() {
	s := &c.sum
	for i := range c.ents {
		b := &c.ents[i].b
		k := b.key()
		rlo, rhi, llo, lhi := b.rmt, b.rmtHi(), b.lcl, b.lclHi()
		if i == 0 {
			*s = summary{maxKey: k, minRLo: rlo, maxRLo: rlo, minRHi: rhi, maxRHi: rhi,
				minLLo: llo, maxLLo: llo, minLHi: lhi, maxLHi: lhi}
			continue
		}
		if k.cmp(s.maxKey) > 0 {
			s.maxKey = k
		}
		s.minRLo, s.maxRLo = min128(s.minRLo, rlo), max128(s.maxRLo, rlo)
		s.minRHi, s.maxRHi = min128(s.minRHi, rhi), max128(s.maxRHi, rhi)
		s.minLLo, s.maxLLo = min128(s.minLLo, llo), max128(s.maxLLo, llo)
		s.minLHi, s.maxLHi = min128(s.minLHi, lhi), max128(s.maxLHi, lhi)
	}
}

func min128(a, b u128) u128 {
	if b.less(a) {
		return b
	}
	return a
}

func max128(a, b u128) u128 {
	if a.less(b) {
		return b
	}
	return a
}

// mayContain reports whether some child of the chunk might contain p: such a
// child starts at or before p and ends at or after it in both dimensions.
func (s *summary) mayContain(p *probe) bool {
	return !p.rlo.less(s.minRLo) && !s.maxRHi.less(p.rhi) &&
		!p.llo.less(s.minLLo) && !s.maxLHi.less(p.lhi)
}

// mayBeInside reports whether some child of the chunk might lie inside p: such
// a child starts and ends within p's range in both dimensions.
func (s *summary) mayBeInside(p *probe) bool {
	return !s.maxRLo.less(p.rlo) && !p.rhi.less(s.minRHi) && !p.rhi.less(s.minRLo) && !s.maxRHi.less(p.rlo) &&
		!s.maxLLo.less(p.llo) && !p.lhi.less(s.minLHi) && !p.lhi.less(s.minLLo) && !s.maxLHi.less(p.llo)
}

// node is one rule in the tree. Index 0 is the root (0/0 any 0/0 any).
type node struct {
	b      box
	action Action
	parent int32
	kids   []*chunk // children in VPP's sibling order
	nkids  int
	label  uint64
	prev   int32 // post-order neighbours; -1 at the ends
	next   int32
	live   bool
	tag    string
	hits   uint64 // hits counted before the rule left the fast engine
}

// tree is one match-mask-action table.
type tree struct {
	is4   bool
	nodes []node
	free  []int32       // freed indices, reused last-in first-out like VPP's pool
	exact map[box]int32 // match/mask -> node, for replace and delete
	head  int32         // first node of the post-order
	live  int           // live nodes, root included

	// What the last insert or remove relabelled, for the fast engine.
	changed    []int32
	changedAll bool
	relabels   uint64 // full relabels so far

	// Prefix-length and port-wildness combinations in use, with counts:
	// the candidates for containing a new rule (see findParent).
	combos    map[combo]int
	comboList []combo
	found     []int32 // scratch

	movedPos []kpos   // scratch
	scratch  []*chunk // scratch
}

// combo is a class of rules: prefix lengths and which ports are wildcards.
type combo struct {
	rlen, llen   uint8
	rwild, lwild bool
}

func comboOf(b *box) combo { return combo{b.rlen, b.llen, b.rport == 0, b.lport == 0} }

func (t *tree) countCombo(b *box, d int) {
	c := comboOf(b)
	n := t.combos[c] + d
	if n == 0 {
		delete(t.combos, c)
	} else {
		t.combos[c] = n
	}
	if n == 0 || n == d {
		t.comboList = t.comboList[:0]
		for c := range t.combos {
			t.comboList = append(t.comboList, c)
		}
	}
}

// parentByProbe selects how insert finds a new rule's parent: 0 chooses by
// cost, 1 always probes, -1 always scans (tests exercise both).
var parentByProbe = 0

// findParent returns the deepest rule containing p, following the first
// containing child (in sibling order) at each level.
//
// Scanning child lists costs up to the number of children at each level. A
// rule containing p, though, has a box fully determined by its prefix
// lengths and port wildness: p's addresses masked to those lengths, p's ports
// or wildcards. So when few combinations are in use, probing the exact-match
// map with each candidate box finds every rule containing p. Those form a
// tree closed under parents (a container's parent contains it too), and the
// descent takes, at each level, the one with the smallest label among the
// current node's children: the first in sibling order.
func (t *tree) findParent(p *probe) int32 {
	probeIt := parentByProbe > 0
	if parentByProbe == 0 && len(t.comboList) < 4*t.nodes[0].nkids {
		cand := 0
		for _, c := range t.comboList {
			if c.rlen <= p.b.rlen && c.llen <= p.b.llen && (c.rwild || p.b.rport != 0) && (c.lwild || p.b.lport != 0) {
				cand++
			}
		}
		probeIt = 4*cand < t.nodes[0].nkids
	}
	if !probeIt {
		parent := int32(0)
		for {
			c := t.firstContainer(parent, p)
			if c < 0 {
				return parent
			}
			parent = c
		}
	}
	found := t.found[:0]
	for _, c := range t.comboList {
		if c.rlen > p.b.rlen || c.llen > p.b.llen || (!c.rwild && p.b.rport == 0) || (!c.lwild && p.b.lport == 0) {
			continue
		}
		cb := box{rmt: p.b.rmt.and(mask128(c.rlen)), lcl: p.b.lcl.and(mask128(c.llen)), rlen: c.rlen, llen: c.llen}
		if !c.rwild {
			cb.rport = p.b.rport
		}
		if !c.lwild {
			cb.lport = p.b.lport
		}
		if id, ok := t.exact[cb]; ok && id != 0 {
			found = append(found, id)
		}
	}
	t.found = found
	parent := int32(0)
	for {
		next := int32(-1)
		for _, id := range found {
			if t.nodes[id].parent == parent && (next < 0 || t.nodes[id].label < t.nodes[next].label) {
				next = id
			}
		}
		if next < 0 {
			return parent
		}
		parent = next
	}
}

type kpos struct{ ci, ei int }

func newTree(is4 bool) *tree {
	t := &tree{is4: is4, exact: map[box]int32{}, combos: map[combo]int{}}
	var root box
	if is4 {
		root.rlen, root.llen = 96, 96
	}
	t.nodes = append(t.nodes, node{b: root, action: ActionNone, parent: -1, label: labelMax, prev: -1, next: -1, live: true})
	t.exact[root] = 0
	t.live = 1
	return t
}

// kidsDo calls f for every child of n in order until f returns false.
func (t *tree) kidsDo(n int32, f func(id int32) bool) {
	for _, c := range t.nodes[n].kids {
		for i := range c.ents {
			if !f(c.ents[i].id) {
				return
			}
		}
	}
}

// leftmost returns the first node of n's subtree in post-order.
func (t *tree) leftmost(n int32) int32 {
	for len(t.nodes[n].kids) > 0 {
		n = t.nodes[n].kids[0].ents[0].id
	}
	return n
}

// firstContainer returns the first child of n (in sibling order) whose range
// contains p, or -1.
func (t *tree) firstContainer(n int32, p *probe) int32 {
	for _, c := range t.nodes[n].kids {
		if !c.sum.mayContain(p) {
			continue
		}
		for i := range c.ents {
			if c.ents[i].b.contains(&p.b) {
				return c.ents[i].id
			}
		}
	}
	return -1
}

// insert adds a rule with box b and action act. If a rule with the same match
// and mask exists, its action is replaced and replaced is true. Otherwise the
// new rule becomes the child of the deepest rule containing it (the first
// containing child at each level), adopts the children of that parent that it
// contains (keeping their order), and is placed where VPP places it: before
// the first child that it contains or that sorts after it.
func (t *tree) insert(b box, act Action) (id int32, replaced bool) {
	t.changed, t.changedAll = t.changed[:0], false
	if id, ok := t.exact[b]; ok {
		t.nodes[id].action = act
		return id, true
	}
	p := newProbe(b)
	parent := t.findParent(&p)
	id = t.alloc(b, act, parent)
	after := t.adopt(parent, id, &p)

	// Post-order: the adopted subtrees, then the new rule, now sit right
	// before the first node of the sibling that follows the new rule (or
	// before the parent when the new rule is its last child).
	chainFirst, chainLast := int32(-1), int32(-1)
	t.kidsDo(id, func(m int32) bool {
		f := t.leftmost(m)
		t.unlink(f, m)
		if chainFirst < 0 {
			chainFirst = f
		} else {
			t.nodes[chainLast].next, t.nodes[f].prev = f, chainLast
		}
		chainLast = m
		return true
	})
	if chainFirst < 0 {
		chainFirst = id
	} else {
		t.nodes[chainLast].next, t.nodes[id].prev = id, chainLast
	}
	succ := parent
	if after >= 0 {
		succ = t.leftmost(after)
	}
	t.linkBefore(chainFirst, id, succ)
	t.exact[b] = id
	t.countCombo(&b, 1)
	t.live++
	t.labelRange(chainFirst, id)
	return id, false
}

func (t *tree) alloc(b box, act Action, parent int32) int32 {
	n := node{b: b, action: act, parent: parent, prev: -1, next: -1, live: true}
	if k := len(t.free); k > 0 {
		id := t.free[k-1]
		t.free = t.free[:k-1]
		t.nodes[id] = n
		return id
	}
	t.nodes = append(t.nodes, n)
	return int32(len(t.nodes) - 1)
}

// adopt edits parent's child list for the insertion of id: the children id
// contains move (in order) to id's child list, and id takes the place of the
// first child that it contains or that sorts after it (VPP's mma add_rule
// loop), or goes last. It returns the child that now follows id, or -1.
func (t *tree) adopt(parent, id int32, p *probe) (after int32) {
	chunks := t.nodes[parent].kids
	pivot := kpos{-1, -1}
	moved := t.movedPos[:0]
	for ci, c := range chunks {
		inside := c.sum.mayBeInside(p)
		event := pivot.ci < 0 && (inside || c.sum.maxKey.cmp(p.k) > 0)
		if !inside && !event {
			continue
		}
		for ei := range c.ents {
			e := &c.ents[ei]
			if p.b.contains(&e.b) {
				moved = append(moved, kpos{ci, ei})
				if pivot.ci < 0 {
					pivot = kpos{ci, ei}
				}
			} else if pivot.ci < 0 && event && e.b.key().cmp(p.k) > 0 {
				pivot = kpos{ci, ei}
			}
		}
	}
	t.movedPos = moved

	var adopted []kent
	if len(moved) > 0 {
		adopted = make([]kent, 0, len(moved))
	}
	ent := kent{id: id, b: p.b}
	out := t.scratch[:0]
	where, whereIdx := -1, -1 // position of id in out
	mi := 0
	for ci, c := range chunks {
		touched := ci == pivot.ci || (mi < len(moved) && moved[mi].ci == ci)
		if !touched {
			out = append(out, c)
			continue
		}
		ents := c.ents
		w, at := 0, -1
		for ei := range ents {
			if ci == pivot.ci && ei == pivot.ei {
				at = w
			}
			if mi < len(moved) && moved[mi].ci == ci && moved[mi].ei == ei {
				adopted = append(adopted, ents[ei])
				mi++
				continue
			}
			ents[w] = ents[ei]
			w++
		}
		ents = ents[:w]
		if at >= 0 {
			ents = append(ents, kent{})
			copy(ents[at+1:], ents[at:])
			ents[at] = ent
		}
		c.ents = ents
		switch {
		case len(ents) == 0:
			// drop the chunk
		case len(ents) > chunkMax:
			h := len(ents) / 2
			c2 := &chunk{ents: append(make([]kent, 0, chunkMax+1), ents[h:]...)}
			c.ents = ents[:h:h]
			c.recompute()
			c2.recompute()
			if at >= 0 {
				if at < h {
					where, whereIdx = len(out), at
				} else {
					where, whereIdx = len(out)+1, at-h
				}
			}
			out = append(out, c, c2)
		default:
			c.recompute()
			if at >= 0 {
				where, whereIdx = len(out), at
			}
			out = append(out, c)
		}
	}
	if pivot.ci < 0 {
		if k := len(out); k > 0 && len(out[k-1].ents) < chunkMax {
			c := out[k-1]
			c.ents = append(c.ents, ent)
			c.recompute()
			where, whereIdx = k-1, len(c.ents)-1
		} else {
			c := &chunk{ents: append(make([]kent, 0, 4), ent)}
			c.recompute()
			out = append(out, c)
			where, whereIdx = len(out)-1, 0
		}
	}
	pn := &t.nodes[parent]
	t.scratch = pn.kids[:0]
	clear(t.scratch[:cap(t.scratch)])
	pn.kids = out
	pn.nkids += 1 - len(adopted)

	after = -1
	if whereIdx+1 < len(out[where].ents) {
		after = out[where].ents[whereIdx+1].id
	} else if where+1 < len(out) {
		after = out[where+1].ents[0].id
	}

	n := &t.nodes[id]
	n.kids = chunkify(adopted)
	n.nkids = len(adopted)
	for i := range adopted {
		t.nodes[adopted[i].id].parent = id
	}
	return after
}

// chunkify packs entries into chunks of at most chunkMax.
func chunkify(ents []kent) []*chunk {
	if len(ents) == 0 {
		return nil
	}
	var out []*chunk
	for len(ents) > 0 {
		k := min(len(ents), chunkMax)
		c := &chunk{ents: append(make([]kent, 0, k+1), ents[:k]...)}
		c.recompute()
		out = append(out, c)
		ents = ents[k:]
	}
	return out
}

// remove deletes rule id: the root only loses its action; any other rule is
// replaced, in its parent's child list, by its own children in order.
func (t *tree) remove(id int32) {
	t.changed, t.changedAll = t.changed[:0], false
	n := &t.nodes[id]
	if id == 0 {
		n.action = ActionNone
		return
	}
	parent := n.parent
	t.splice(parent, id)
	t.kidsDo(id, func(k int32) bool {
		t.nodes[k].parent = parent
		return true
	})
	t.unlink(id, id)
	delete(t.exact, n.b)
	t.countCombo(&n.b, -1)
	*n = node{parent: -1, prev: -1, next: -1}
	t.free = append(t.free, id)
	t.live--
}

// splice replaces child id of parent by id's children.
func (t *tree) splice(parent, id int32) {
	pn := &t.nodes[parent]
	lab := t.nodes[id].label
	// Sibling order is post-order, so labels increase along the child list.
	ci := sort.Search(len(pn.kids), func(i int) bool {
		c := pn.kids[i]
		return t.nodes[c.ents[len(c.ents)-1].id].label >= lab
	})
	c := pn.kids[ci]
	ei := 0
	for c.ents[ei].id != id {
		ei++
	}
	var repl []kent
	for _, kc := range t.nodes[id].kids {
		repl = append(repl, kc.ents...)
	}
	pn.nkids += len(repl) - 1
	if len(c.ents)-1+len(repl) <= chunkMax {
		ents := c.ents
		if len(repl) != 1 {
			ne := make([]kent, 0, len(ents)-1+len(repl)+1)
			ne = append(ne, ents[:ei]...)
			ne = append(ne, repl...)
			ne = append(ne, ents[ei+1:]...)
			ents = ne
		} else {
			ents[ei] = repl[0]
		}
		if len(ents) == 0 {
			pn.kids = append(pn.kids[:ci], pn.kids[ci+1:]...)
			return
		}
		c.ents = ents
		c.recompute()
		return
	}
	all := make([]kent, 0, len(c.ents)-1+len(repl))
	all = append(all, c.ents[:ei]...)
	all = append(all, repl...)
	all = append(all, c.ents[ei+1:]...)
	nc := chunkify(all)
	kids := make([]*chunk, 0, len(pn.kids)-1+len(nc))
	kids = append(kids, pn.kids[:ci]...)
	kids = append(kids, nc...)
	kids = append(kids, pn.kids[ci+1:]...)
	pn.kids = kids
}

// unlink takes the post-order run first..last out of the list.
func (t *tree) unlink(first, last int32) {
	p, n := t.nodes[first].prev, t.nodes[last].next
	if p >= 0 {
		t.nodes[p].next = n
	} else {
		t.head = n
	}
	if n >= 0 {
		t.nodes[n].prev = p
	}
	t.nodes[first].prev, t.nodes[last].next = -1, -1
}

// linkBefore puts the detached run first..last into the post-order list right
// before succ.
func (t *tree) linkBefore(first, last, succ int32) {
	p := t.nodes[succ].prev
	t.nodes[first].prev = p
	if p >= 0 {
		t.nodes[p].next = first
	} else {
		t.head = first
	}
	t.nodes[last].next = succ
	t.nodes[succ].prev = last
}

// labelRange gives the run first..last (just linked in) labels spread evenly
// between its neighbours', or relabels everything when the gap is too small.
func (t *tree) labelRange(first, last int32) {
	count := uint64(0)
	for n := first; ; n = t.nodes[n].next {
		count++
		if n == last {
			break
		}
	}
	lo := uint64(0)
	if p := t.nodes[first].prev; p >= 0 {
		lo = t.nodes[p].label
	}
	hi := t.nodes[t.nodes[last].next].label
	step := (hi - lo) / (count + 1)
	if step == 0 {
		t.relabelAll()
		return
	}
	l := lo
	for n := first; ; n = t.nodes[n].next {
		l += step
		t.nodes[n].label = l
		t.changed = append(t.changed, n)
		if n == last {
			break
		}
	}
}

// relabelAll spreads all labels evenly over [1, labelMax] in post-order.
func (t *tree) relabelAll() {
	t.relabels++
	t.changedAll = true
	step := labelMax / uint64(t.live+1)
	l := uint64(0)
	for n := t.head; n >= 0; n = t.nodes[n].next {
		l += step
		t.nodes[n].label = l
	}
}

// walk is VPP's depth-first lookup: the first matching child subtree that
// yields an action other than none wins; otherwise the node's own action.
// The caller has checked that node n matches.
func (t *tree) walk(n int32, rmt, lcl u128, rport, lport uint16) Action {
	for _, c := range t.nodes[n].kids {
		for i := range c.ents {
			e := &c.ents[i]
			if e.b.matches(rmt, lcl, rport, lport) {
				if a := t.walk(e.id, rmt, lcl, rport, lport); a != ActionNone {
					return a
				}
			}
		}
	}
	return t.nodes[n].action
}

// showRule is VPP's mma lookup_rule: the first node of the depth-first walk
// that matches the key, whatever its action (the root if nothing deeper).
func (t *tree) showRule(n int32, rmt, lcl u128, rport, lport uint16) int32 {
	for _, c := range t.nodes[n].kids {
		for i := range c.ents {
			e := &c.ents[i]
			if e.b.matches(rmt, lcl, rport, lport) {
				return t.showRule(e.id, rmt, lcl, rport, lport)
			}
		}
	}
	return n
}

// depth returns the number of edges on the longest root-to-leaf path.
func (t *tree) depth() int {
	var d func(n int32) int
	d = func(n int32) int {
		best := 0
		t.kidsDo(n, func(k int32) bool {
			best = max(best, d(k)+1)
			return true
		})
		return best
	}
	return d(0)
}
