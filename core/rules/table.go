package rules

import (
	"encoding/binary"
	"net/netip"
	"sync/atomic"
)

// tagSet maps tags to their rules; one is shared by the IPv4 and IPv6 tables
// of a transport table, which makes tags unique across both families.
type tagSet map[string]tagRef

type tagRef struct {
	t  *Table
	id int32
}

// Table is the session rules table of one (transport protocol, address
// family): VPP's match-mask-action tree (kept for updates, listings and
// [Table.LookupTree]) plus the fast engine that answers [Table.Lookup].
//
// The zero value is not usable; use [NewTable] or a [TransportTable].
type Table struct {
	proto Proto
	is4   bool
	local bool
	tags  tagSet
	tr    *tree
	e4    *engine[a4]
	e6    *engine[a6]

	// The lookup count is not a counter of its own: a locked add per lookup
	// on a line every worker writes would cost more than the lookup's
	// misses. Lookups are the hits of the rules (counted in each winner's
	// line, which the lookup has just read) plus the lookups no rule decided
	// plus the hits of rules deleted since (see Stats).
	misses  atomic.Uint64 // lookups that returned ActionNone
	retired uint64        // hits of deleted rules (updates are exclusive)
}

// NewTable returns an empty global table for proto and the given family
// (is4 true for IPv4) with its own tag namespace. The root rule (0/0 any 0/0
// any, action none) is rule 0.
func NewTable(proto Proto, is4 bool) *Table {
	return newTable(proto, is4, false, tagSet{})
}

func newTable(proto Proto, is4, local bool, tags tagSet) *Table {
	t := &Table{proto: proto, is4: is4, local: local, tags: tags, tr: newTree(is4)}
	if is4 {
		t.e4 = newEngine(keys4, mask4)
	} else {
		t.e6 = newEngine(keys6, mask6)
	}
	return t
}

// Proto returns the table's transport protocol.
func (t *Table) Proto() Proto { return t.proto }

// Is4 reports whether the table holds IPv4 rules.
func (t *Table) Is4() bool { return t.is4 }

// Local reports whether the table is a namespace's local table, whose rules
// have their local prefix and port forced to zero.
func (t *Table) Local() bool { return t.local }

// Len returns the number of rules in the table, not counting the root.
func (t *Table) Len() int { return t.tr.live - 1 }

// Add adds r, or, when a rule with the same match and mask exists, replaces
// that rule's action and tag (an empty tag leaves it untagged). It fails with
// ErrTagInUse if r's tag is already used in the transport table (even by the
// same rule, as in VPP), and with an error matching ErrInvalid if r does not
// fit the table. A local table applies [Rule.ForLocalTable] first.
func (t *Table) Add(r Rule) error {
	if t.local {
		r = r.ForLocalTable()
	}
	r, err := t.check(r)
	if err != nil {
		return err
	}
	if r.Tag != "" {
		if _, ok := t.tags[r.Tag]; ok {
			return ErrTagInUse
		}
	}
	b := boxOf(&r)
	id, replaced := t.tr.insert(b, r.Action)
	n := &t.tr.nodes[id]
	if replaced {
		if n.tag != "" {
			delete(t.tags, n.tag)
		}
		t.engineSet(id, r.Action)
	} else if r.Action != ActionNone {
		t.engAdd(id)
	}
	n.tag = r.Tag
	if r.Tag != "" {
		t.tags[r.Tag] = tagRef{t, id}
	}
	t.syncLabels(id)
	return nil
}

func (t *Table) check(r Rule) (Rule, error) {
	r, err := r.Normalize()
	if err != nil {
		return r, err
	}
	if r.Proto != t.proto {
		return r, ErrProto
	}
	if r.Is4() != t.is4 {
		return r, ErrFamily
	}
	return r, nil
}

// Del deletes a rule. If r.Tag names a rule of the transport table, that rule
// is deleted (whatever its family). Otherwise the rule with r's match and mask
// is deleted; deleting a rule that does not exist succeeds, as in VPP, and so
// does a tag-only delete (invalid prefixes) of an unknown tag. Deleting the
// root only resets its action to none. A deleted rule's tag is freed.
func (t *Table) Del(r Rule) error {
	if r.Tag != "" {
		if ref, ok := t.tags[r.Tag]; ok {
			ref.t.removeNode(ref.id)
			return nil
		}
	}
	if !r.Lcl.IsValid() && !r.Rmt.IsValid() {
		return nil
	}
	if t.local {
		r = r.ForLocalTable()
	}
	r.Tag = ""
	r, err := t.check(r)
	if err != nil {
		return err
	}
	if id, ok := t.tr.exact[boxOf(&r)]; ok {
		t.removeNode(id)
	}
	return nil
}

// DelTag deletes the rule carrying tag and reports whether there was one.
func (t *Table) DelTag(tag string) bool {
	ref, ok := t.tags[tag]
	if ok {
		ref.t.removeNode(ref.id)
	}
	return ok
}

func (t *Table) removeNode(id int32) {
	n := &t.tr.nodes[id]
	if n.action != ActionNone {
		n.hits += t.engRemove(id)
	}
	if id != 0 {
		t.retired += n.hits // the root keeps its hits: it is never freed
	}
	if n.tag != "" {
		delete(t.tags, n.tag)
		n.tag = ""
	}
	t.tr.remove(id)
}

func (t *Table) engAdd(id int32) {
	n := &t.tr.nodes[id]
	if t.is4 {
		t.e4.add(id, &n.b, n.label, n.action)
	} else {
		t.e6.add(id, &n.b, n.label, n.action)
	}
}

func (t *Table) engRemove(id int32) uint64 {
	b := &t.tr.nodes[id].b
	if t.is4 {
		return t.e4.remove(id, b)
	}
	return t.e6.remove(id, b)
}

// engineSet updates the engine after rule id's action was replaced (the tree
// already holds the new one; the engine still knows whether it had the rule).
func (t *Table) engineSet(id int32, act Action) {
	n := &t.tr.nodes[id]
	had := t.engHas(id)
	switch {
	case had && act == ActionNone:
		n.hits += t.engRemove(id)
	case had:
		if t.is4 {
			t.e4.setAction(id, &n.b, act)
		} else {
			t.e6.setAction(id, &n.b, act)
		}
	case act != ActionNone:
		t.engAdd(id)
	}
}

func (t *Table) engHas(id int32) bool {
	b := &t.tr.nodes[id].b
	if t.is4 {
		return t.e4.entry(id, b) != nil
	}
	return t.e6.entry(id, b) != nil
}

// syncLabels passes the tree's relabelling to the engine. Rule self was just
// added or replaced and is already up to date.
func (t *Table) syncLabels(self int32) {
	tr := t.tr
	if tr.changedAll {
		if t.is4 {
			t.e4.relabelAll(tr)
		} else {
			t.e6.relabelAll(tr)
		}
		return
	}
	for _, id := range tr.changed {
		n := &tr.nodes[id]
		if id == self || n.action == ActionNone {
			continue
		}
		if t.is4 {
			t.e4.relabel(id, &n.b, n.label)
		} else {
			t.e6.relabel(id, &n.b, n.label)
		}
	}
}

// Lookup returns the action of the rule that VPP's depth-first walk would
// return for the connection (lcl, lclPort) ↔ (rmt, rmtPort), or ActionNone.
// Addresses of the wrong family never match. It counts the lookup and the
// winning rule's hit, and does not allocate.
func (t *Table) Lookup(lcl, rmt netip.Addr, lclPort, rmtPort uint16) Action {
	if t.is4 {
		if !lcl.Is4() || !rmt.Is4() {
			t.misses.Add(1)
			return ActionNone
		}
		l, r := lcl.As4(), rmt.As4()
		return t.Lookup4(binary.BigEndian.Uint32(l[:]), binary.BigEndian.Uint32(r[:]), lclPort, rmtPort)
	}
	if lcl.Is4() || rmt.Is4() || !lcl.IsValid() || !rmt.IsValid() {
		t.misses.Add(1)
		return ActionNone
	}
	h := lookup6(t.e6, addrTo128(rmt), addrTo128(lcl), uint32(rmtPort)<<16|uint32(lclPort))
	if h == nil {
		t.misses.Add(1)
		return ActionNone
	}
	atomic.AddUint64(&h.hits, 1)
	return h.action
}

// Lookup4 is Lookup for an IPv4 table with addresses as big-endian numbers
// (a.b.c.d is a<<24 | b<<16 | c<<8 | d), the raw form for hot paths that
// already hold them so. On an IPv6 table it returns ActionNone.
func (t *Table) Lookup4(lcl, rmt uint32, lclPort, rmtPort uint16) Action {
	if t.e4 == nil {
		t.misses.Add(1)
		return ActionNone
	}
	h := lookup4(t.e4, a4(rmt), a4(lcl), uint32(rmtPort)<<16|uint32(lclPort))
	if h == nil {
		t.misses.Add(1)
		return ActionNone
	}
	atomic.AddUint64(&h.hits, 1)
	return h.action
}

// Match returns the rule whose action Lookup returns for the key, with its
// index, or ok false when Lookup returns ActionNone. It counts nothing.
func (t *Table) Match(lcl, rmt netip.Addr, lclPort, rmtPort uint16) (r Rule, index uint32, ok bool) {
	if lcl.Is4() != t.is4 || rmt.Is4() != t.is4 || !lcl.IsValid() || !rmt.IsValid() {
		return Rule{}, 0, false
	}
	ports := uint32(rmtPort)<<16 | uint32(lclPort)
	var h *head
	if t.is4 {
		l, rm := lcl.As4(), rmt.As4()
		h = lookup4(t.e4, a4(binary.BigEndian.Uint32(rm[:])), a4(binary.BigEndian.Uint32(l[:])), ports)
	} else {
		h = lookup6(t.e6, addrTo128(rmt), addrTo128(lcl), ports)
	}
	if h == nil {
		return Rule{}, 0, false
	}
	return t.rule(h.id), uint32(h.id), true
}

// LookupTree answers like Lookup by walking the tree depth-first as VPP does
// (its cost grows with the number of rules). It is the reference the fast
// engine is tested against, and counts nothing.
func (t *Table) LookupTree(lcl, rmt netip.Addr, lclPort, rmtPort uint16) Action {
	if lcl.Is4() != t.is4 || rmt.Is4() != t.is4 || !lcl.IsValid() || !rmt.IsValid() {
		return ActionNone
	}
	return t.tr.walk(0, addrTo128(rmt), addrTo128(lcl), rmtPort, lclPort)
}

// ShowMatch returns the rule that VPP's `show session rules <5-tuple>` prints:
// the first rule of the depth-first walk that matches the key whatever its
// action, the root when no other rule matches. The key's addresses must be of
// the table's family (otherwise the root is returned).
func (t *Table) ShowMatch(lcl, rmt netip.Addr, lclPort, rmtPort uint16) RuleInfo {
	id := int32(0)
	if lcl.Is4() == t.is4 && rmt.Is4() == t.is4 && lcl.IsValid() && rmt.IsValid() {
		id = t.tr.showRule(0, addrTo128(rmt), addrTo128(lcl), rmtPort, lclPort)
	}
	return t.info(id)
}

// RuleInfo describes one rule of a table as `show session rules` lists it.
type RuleInfo struct {
	Index    uint32   // VPP's rule index (pool index; the root is 0)
	Rule     Rule     // the rule; Scope says whether the table is local or global
	Children []uint32 // indices of the rule's children, in sibling order
	Hits     uint64   // lookups this rule decided
}

func (t *Table) rule(id int32) Rule {
	n := &t.tr.nodes[id]
	r := n.b.rule(t.is4)
	r.Proto, r.Action, r.Tag, r.Scope = t.proto, n.action, n.tag, ScopeGlobal
	if t.local {
		r.Scope = ScopeLocal
	}
	return r
}

func (t *Table) info(id int32) RuleInfo {
	ri := RuleInfo{Index: uint32(id), Rule: t.rule(id), Hits: t.Hits(uint32(id))}
	t.tr.kidsDo(id, func(k int32) bool {
		ri.Children = append(ri.Children, uint32(k))
		return true
	})
	return ri
}

// Hits returns how many lookups rule index decided (0 for a free index).
func (t *Table) Hits(index uint32) uint64 {
	if int(index) >= len(t.tr.nodes) || !t.tr.nodes[index].live {
		return 0
	}
	n := &t.tr.nodes[index]
	h := loadHits(&n.hits)
	if n.action != ActionNone {
		if t.is4 {
			h += t.e4.hits(int32(index), &n.b)
		} else {
			h += t.e6.hits(int32(index), &n.b)
		}
	}
	return h
}

func loadHits(p *uint64) uint64 { return atomic.LoadUint64(p) }

// Rule returns the rule at index and whether the index holds one.
func (t *Table) Rule(index uint32) (RuleInfo, bool) {
	if int(index) >= len(t.tr.nodes) || !t.tr.nodes[index].live {
		return RuleInfo{}, false
	}
	return t.info(int32(index)), true
}

// Rules returns every rule, the root first, in index order (the order VPP's
// listing walks its rule pool).
func (t *Table) Rules() []RuleInfo {
	out := make([]RuleInfo, 0, t.tr.live)
	for i := range t.tr.nodes {
		if t.tr.nodes[i].live {
			out = append(out, t.info(int32(i)))
		}
	}
	return out
}

// Stats are a table's counters.
type Stats struct {
	Rules    int    // rules, not counting the root
	Lookups  uint64 // calls to Lookup and Lookup4
	Depth    int    // edges on the longest root-to-leaf path of the tree
	Classes  int    // remote prefix lengths in use in the fast engine
	Relabels uint64 // times the tree ran out of label space and relabelled everything
}

// Lookups returns the number of Lookup and Lookup4 calls so far: the hits of
// every rule, live or deleted, plus the lookups no rule decided. It walks the
// rules, O(rules).
func (t *Table) Lookups() uint64 {
	n := t.misses.Load() + t.retired
	for i := range t.tr.nodes {
		if t.tr.nodes[i].live {
			n += t.Hits(uint32(i))
		}
	}
	return n
}

// Stats returns the table's counters. Depth is computed by walking the tree.
func (t *Table) Stats() Stats {
	s := Stats{Rules: t.Len(), Lookups: t.Lookups(), Depth: t.tr.depth(), Relabels: t.tr.relabels}
	if t.is4 {
		s.Classes = len(t.e4.rcs)
	} else {
		s.Classes = len(t.e6.rcs)
	}
	return s
}

// TransportTable holds the IPv4 and IPv6 tables of one transport protocol,
// with tags unique across both (VPP's session_rules_table_t).
type TransportTable struct {
	proto  Proto
	v4, v6 *Table
}

// NewTransportTable returns empty tables for proto; local tables force every
// rule's local prefix and port to zero.
func NewTransportTable(proto Proto, local bool) *TransportTable {
	tags := tagSet{}
	return &TransportTable{proto: proto, v4: newTable(proto, true, local, tags), v6: newTable(proto, false, local, tags)}
}

// Proto returns the transport protocol.
func (tt *TransportTable) Proto() Proto { return tt.proto }

// Table returns the IPv4 (is4 true) or IPv6 table.
func (tt *TransportTable) Table(is4 bool) *Table {
	if is4 {
		return tt.v4
	}
	return tt.v6
}

// Add adds r to the table of its remote prefix's family (see [Table.Add]).
func (tt *TransportTable) Add(r Rule) error {
	if !r.Rmt.IsValid() {
		return ErrFamily
	}
	return tt.Table(r.Is4()).Add(r)
}

// Del deletes by tag (whatever the family) or by match and mask (see
// [Table.Del]).
func (tt *TransportTable) Del(r Rule) error {
	if r.Tag != "" && tt.v4.DelTag(r.Tag) {
		return nil
	}
	if !r.Rmt.IsValid() {
		return tt.v4.Del(r)
	}
	return tt.Table(r.Is4()).Del(r)
}

// Lookup looks the connection up in the table of its family.
func (tt *TransportTable) Lookup(lcl, rmt netip.Addr, lclPort, rmtPort uint16) Action {
	return tt.Table(rmt.Is4()).Lookup(lcl, rmt, lclPort, rmtPort)
}

// Len returns the number of rules in both tables, roots not counted.
func (tt *TransportTable) Len() int { return tt.v4.Len() + tt.v6.Len() }

// Group is what a session table attaches when its first rule is added: one
// transport table per protocol (VPP's session_rules_table_group_t).
type Group struct {
	local bool
	tt    [2]*TransportTable
}

// NewGroup returns an empty group; local groups belong to namespaces' local
// tables and force every rule's local prefix and port to zero.
func NewGroup(local bool) *Group {
	return &Group{local: local, tt: [2]*TransportTable{NewTransportTable(ProtoTCP, local), NewTransportTable(ProtoUDP, local)}}
}

// Local reports whether the group belongs to a local table.
func (g *Group) Local() bool { return g.local }

// Transport returns the transport table of proto, or nil if proto is not TCP
// or UDP.
func (g *Group) Transport(proto Proto) *TransportTable {
	if !proto.Valid() {
		return nil
	}
	return g.tt[proto]
}

// Add adds r to the table of its protocol and family.
func (g *Group) Add(r Rule) error {
	if !r.Proto.Valid() {
		return ErrProto
	}
	return g.tt[r.Proto].Add(r)
}

// Del deletes r from the table of its protocol (see [TransportTable.Del]).
func (g *Group) Del(r Rule) error {
	if !r.Proto.Valid() {
		return ErrProto
	}
	return g.tt[r.Proto].Del(r)
}

// Lookup looks a connection up in the table of proto and the addresses'
// family; ActionNone for other protocols.
func (g *Group) Lookup(proto Proto, lcl, rmt netip.Addr, lclPort, rmtPort uint16) Action {
	if !proto.Valid() {
		return ActionNone
	}
	return g.tt[proto].Lookup(lcl, rmt, lclPort, rmtPort)
}
