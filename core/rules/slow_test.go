package rules

import (
	"net/netip"
)

// This file holds the slow, obviously right reference the package is checked
// against: VPP's match-mask-action tree (spec §4.3-4.6) written directly over
// netip prefixes with plain slices and recursion, with the fixes of
// modelling-decisions.md (containment on whole ranges, correct upper bounds,
// tags that always go with their rules). It shares no code with tree.go or
// engine.go.

type refNode struct {
	index  uint32
	r      Rule // normalised; Action and Tag live here
	parent *refNode
	kids   []*refNode
}

type refTable struct {
	is4   bool
	root  *refNode
	pool  []*refNode // by index; nil = free
	free  []uint32   // LIFO, like VPP's pool
	owner *refTransport
}

type refTransport struct {
	proto  Proto
	v4, v6 *refTable
	tags   map[string]*refNode
}

func newRefTransport(p Proto) *refTransport {
	rt := &refTransport{proto: p, tags: map[string]*refNode{}}
	rt.v4 = newRefTable(true, rt)
	rt.v6 = newRefTable(false, rt)
	return rt
}

func newRefTable(is4 bool, owner *refTransport) *refTable {
	z := netip.IPv6Unspecified()
	if is4 {
		z = netip.IPv4Unspecified()
	}
	root := &refNode{r: Rule{Lcl: netip.PrefixFrom(z, 0), Rmt: netip.PrefixFrom(z, 0), Action: ActionNone}}
	return &refTable{is4: is4, root: root, pool: []*refNode{root}, owner: owner}
}

func (rt *refTransport) table(is4 bool) *refTable {
	if is4 {
		return rt.v4
	}
	return rt.v6
}

// lastAddr returns the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	b := a.AsSlice()
	host := len(b)*8 - p.Bits()
	for i := len(b) - 1; i >= 0 && host > 0; i-- {
		n := min(host, 8)
		b[i] |= byte(1<<n - 1)
		host -= n
	}
	out, _ := netip.AddrFromSlice(b)
	return out
}

func refPortMax(p uint16) uint16 {
	if p == 0 {
		return 0xFFFF
	}
	return p
}

// refCmp is VPP's rule_cmp on max_match: remote ip, local ip, remote port,
// local port (wildcard port = 65535).
func refCmp(a, b Rule) int {
	if c := lastAddr(a.Rmt).Compare(lastAddr(b.Rmt)); c != 0 {
		return c
	}
	if c := lastAddr(a.Lcl).Compare(lastAddr(b.Lcl)); c != 0 {
		return c
	}
	ar, br := refPortMax(a.RmtPort), refPortMax(b.RmtPort)
	if ar != br {
		if ar < br {
			return -1
		}
		return 1
	}
	al, bl := refPortMax(a.LclPort), refPortMax(b.LclPort)
	switch {
	case al < bl:
		return -1
	case al > bl:
		return 1
	}
	return 0
}

// refContains: outer's whole range contains inner's.
func refContains(outer, inner Rule) bool {
	in := func(o, i netip.Prefix) bool { return o.Bits() <= i.Bits() && o.Contains(i.Addr()) }
	return in(outer.Rmt, inner.Rmt) && in(outer.Lcl, inner.Lcl) &&
		(outer.RmtPort == 0 || outer.RmtPort == inner.RmtPort) &&
		(outer.LclPort == 0 || outer.LclPort == inner.LclPort)
}

func refSame(a, b Rule) bool {
	return a.Rmt == b.Rmt && a.Lcl == b.Lcl && a.RmtPort == b.RmtPort && a.LclPort == b.LclPort
}

func (t *refTable) find(n *refNode, r Rule) *refNode {
	if refSame(n.r, r) {
		return n
	}
	for _, k := range n.kids {
		if f := t.find(k, r); f != nil {
			return f
		}
	}
	return nil
}

func (t *refTable) alloc(r Rule) *refNode {
	n := &refNode{r: r}
	if k := len(t.free); k > 0 {
		n.index = t.free[k-1]
		t.free = t.free[:k-1]
		t.pool[n.index] = n
	} else {
		n.index = uint32(len(t.pool))
		t.pool = append(t.pool, n)
	}
	return n
}

// add is session_rules_table_add_del for an add, on a normalised rule.
func (rt *refTransport) add(r Rule) error {
	if r.Tag != "" && rt.tags[r.Tag] != nil {
		return ErrTagInUse
	}
	t := rt.table(r.Rmt.Addr().Is4())
	if n := t.find(t.root, r); n != nil {
		n.r.Action = r.Action
		if n.r.Tag != "" {
			delete(rt.tags, n.r.Tag)
		}
		n.r.Tag = r.Tag
		if r.Tag != "" {
			rt.tags[r.Tag] = n
		}
		return nil
	}
	p := t.root
	for descended := true; descended; {
		descended = false
		for _, k := range p.kids {
			if refContains(k.r, r) {
				p, descended = k, true
				break
			}
		}
	}
	nr := t.alloc(r)
	nr.parent = p
	var kids []*refNode
	added := false
	for _, k := range p.kids {
		if refContains(r, k.r) {
			nr.kids = append(nr.kids, k)
			k.parent = nr
			if !added {
				kids, added = append(kids, nr), true
			}
			continue
		}
		if !added && refCmp(r, k.r) < 0 {
			kids, added = append(kids, nr), true
		}
		kids = append(kids, k)
	}
	if !added {
		kids = append(kids, nr)
	}
	p.kids = kids
	if r.Tag != "" {
		rt.tags[r.Tag] = nr
	}
	return nil
}

// del is session_rules_table_add_del for a delete: by tag when the tag exists,
// else by match and mask (missing = success). hasTuple false = tag only.
func (rt *refTransport) del(r Rule, hasTuple bool) {
	if n := rt.tags[r.Tag]; r.Tag != "" && n != nil {
		rt.tableOf(n).remove(n)
		return
	}
	if !hasTuple {
		return
	}
	t := rt.table(r.Rmt.Addr().Is4())
	if n := t.find(t.root, r); n != nil {
		t.remove(n)
	}
}

func (rt *refTransport) tableOf(n *refNode) *refTable {
	if n.r.Rmt.Addr().Is4() {
		return rt.v4
	}
	return rt.v6
}

func (t *refTable) remove(n *refNode) {
	if n.r.Tag != "" {
		delete(t.owner.tags, n.r.Tag)
		n.r.Tag = ""
	}
	if n == t.root {
		n.r.Action = ActionNone
		return
	}
	p := n.parent
	var kids []*refNode
	for _, k := range p.kids {
		if k != n {
			kids = append(kids, k)
			continue
		}
		for _, g := range n.kids {
			g.parent = p
			kids = append(kids, g)
		}
	}
	p.kids = kids
	t.pool[n.index] = nil
	t.free = append(t.free, n.index)
}

func (r Rule) refMatches(lcl, rmt netip.Addr, lp, rp uint16) bool {
	return r.Lcl.Contains(lcl) && r.Rmt.Contains(rmt) &&
		(r.LclPort == 0 || r.LclPort == lp) && (r.RmtPort == 0 || r.RmtPort == rp)
}

// lookup is mma_rules_table_lookup: depth-first, first non-none child result,
// else the node's own action.
func (t *refTable) lookup(n *refNode, lcl, rmt netip.Addr, lp, rp uint16) (Action, *refNode) {
	if !n.r.refMatches(lcl, rmt, lp, rp) {
		return ActionNone, nil
	}
	for _, k := range n.kids {
		if a, w := t.lookup(k, lcl, rmt, lp, rp); a != ActionNone {
			return a, w
		}
	}
	if n.r.Action == ActionNone {
		return ActionNone, nil
	}
	return n.r.Action, n
}

// showRule is mma_rules_table_lookup_rule.
func (t *refTable) showRule(n *refNode, lcl, rmt netip.Addr, lp, rp uint16) *refNode {
	if !n.r.refMatches(lcl, rmt, lp, rp) {
		return nil
	}
	for _, k := range n.kids {
		if w := t.showRule(k, lcl, rmt, lp, rp); w != nil {
			return w
		}
	}
	return n
}

// listing returns index -> (rule, children) for the whole table.
func (t *refTable) listing() map[uint32]refEntry {
	out := map[uint32]refEntry{}
	for _, n := range t.pool {
		if n == nil {
			continue
		}
		e := refEntry{r: n.r}
		for _, k := range n.kids {
			e.kids = append(e.kids, k.index)
		}
		out[n.index] = e
	}
	return out
}

type refEntry struct {
	r    Rule
	kids []uint32
}

// linear is the "linear scan over rules in priority order" peer of the
// benchmarks: the rules of a table (action not none) in the order of the
// tree's post-order, scanned for the first match. For IPv4 tables only.
type linear struct {
	rules []linRule
}

type linRule struct {
	rmt, rmask, lcl, lmask uint32
	ports, pmask           uint32
	action                 Action
}

func newLinear(t *Table) *linear {
	l := &linear{}
	tr := t.tr
	for n := tr.head; n >= 0; n = tr.nodes[n].next {
		nd := &tr.nodes[n]
		if nd.action == ActionNone {
			continue
		}
		ports, pmask := portsOf(&nd.b)
		l.rules = append(l.rules, linRule{
			rmt: uint32(nd.b.rmt.lo), rmask: uint32(mask128(nd.b.rlen).lo),
			lcl: uint32(nd.b.lcl.lo), lmask: uint32(mask128(nd.b.llen).lo),
			ports: ports, pmask: pmask, action: nd.action,
		})
	}
	return l
}

func (l *linear) lookup(lcl, rmt uint32, lp, rp uint16) Action {
	ports := uint32(rp)<<16 | uint32(lp)
	for i := range l.rules {
		r := &l.rules[i]
		if rmt&r.rmask == r.rmt && lcl&r.lmask == r.lcl && ports&r.pmask == r.ports {
			return r.action
		}
	}
	return ActionNone
}
