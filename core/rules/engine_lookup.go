package rules

import "math/bits"

// The lookups, written out per family: the hot loop of the engine.
//
// lookup4 first reads, for every cut on the root's chain of stays, the
// entry of the one kid the key falls in: an array index for a direct cut, a
// probe for a hash or port cut. These loads depend only on the key, not on
// one another, so the processor overlaps their cache misses; the loops run
// over small arrays (engine.chash, cdir, cport) without a branch on the kind
// of cut, the hash cuts first because theirs are the longest probes (a
// control word, then the slot it names), which then overlap the others
// (0.5 ns a lookup at 1k and 10k rules). It then searches those kids in chain order, the narrowest rules
// first. A kid whose entry's bound shows it cannot beat the best match so far
// is dropped without touching its memory; once the kid holding the winner
// has been searched, most others cost a comparison. A leaf is scanned in
// label order until the labels reach the best match, with the match folded
// into the label (a rule that does not match counts as the largest label):
// one predictable branch per rule instead of three that are not. A kid that
// is itself a cut (uncommon) is searched depth first by search4, as is the
// whole tree when the root's chain is too long to flatten.
//
// The loops hold no function calls on their common paths (the hash probe is
// written out, the nested search comes last): Go has no callee-saved
// registers, so a call in a loop makes it keep its state in memory.

// lookup4 finds the best rule for an IPv4 key (ports = rport<<16 | lport), or
// nil.
func lookup4(e *engine[a4], rmt, lcl a4, ports uint32) *head {
	nc := len(e.chain)
	if nc > flatMax {
		_, at := search4(e, e.root, rmt, lcl, ports, ^uint64(0), 0)
		if at == 0 {
			return nil
		}
		return &e.slab[at].h
	}
	var kids [chainMax]bref
	both := uint64(lcl)<<32 | uint64(rmt) // a cut's address is both >> sel
	cdir, cport, chash := e.cdir, e.cport, e.chash
	for i := range chash {
		c := &chash[i]
		a := a4(both>>(c.sel&63)) & c.pmask
		// tabProbe written out: a call would make the loop spill its
		// registers (Go has no callee-saved ones).
		t := c.htab
		h := mix64(uint64(a))
		f := fpOf(h)
	probe:
		for g, m := int(h>>t.shift), len(t.fp)/8-1; ; g = (g + 1) & m {
			w := group8(t.fp, g)
			for b := matchByte(w, f); b != 0; b &= b - 1 {
				if s := &t.slots[g*8+bits.TrailingZeros64(b)/8]; s.key == a {
					kids[c.pos&(chainMax-1)] = s.val
					break probe
				}
			}
			if emptyBytes(w) != 0 {
				break
			}
		}
	}
	for i := range cdir {
		c := &cdir[i]
		if a := a4(both >> (c.sel & 63)); a&c.pmask == c.pfx {
			kids[c.pos&(chainMax-1)] = c.kids[uint32(a)<<(c.sh&31)>>(c.rs&31)]
		}
	}
	for i := range cport {
		c := &cport[i]
		port := uint16(ports >> (c.sh & 31))
		t := c.ptab
		for j := int(uint64(port) * 0x9E3779B97F4A7C15 >> (c.rs & 63)); ; j = (j + 1) & (len(t) - 1) {
			if s := t[j]; s.ent == 0 || s.port == port {
				kids[c.pos&(chainMax-1)] = s.ent
				break
			}
		}
	}
	if e.cleaf != 0 {
		kids[(nc-1)&(chainMax-1)] = e.cleaf
	}
	best, at := noLabel, 0
	hi := best >> boundShift // kids with a bound above hi cannot win
	slab := e.slab
	nd := 0 // kids that are cuts, searched last, are moved to kids[:nd]
	for _, k := range kids[:nc] {
		if k == 0 || k>>32 > hi {
			continue
		}
		n := ref(k)
		if n&^idxMask != tagLeaf {
			kids[nd&(chainMax-1)] = k
			nd++
			continue
		}
		// Branch-free: a rule that does not match counts as the largest
		// label.
		for i, end := int(n&runMask), int(n&runMask)+int(n>>runShift&leafMax); i < end; i++ {
			p := &slab[i]
			if p.label >= best {
				break // sorted: no later rule can win
			}
			m := (rmt&p.rmask ^ p.rmt) | (lcl&p.lmask ^ p.lcl) | a4(ports&p.pmask^p.ports)
			if l := p.label | -uint64((m|-m)>>31); l < best {
				best, at = l, i
			}
		}
		hi = best >> boundShift
	}
	for _, k := range kids[:nd] {
		if k>>32 <= best>>boundShift {
			best, at = search4(e, ref(k), rmt, lcl, ports, best, at)
		}
	}
	if at == 0 {
		return nil
	}
	return &e.slab[at].h
}

// search4 searches subtree n depth first, for lookup4, from the best match
// so far (label best at slab index at).
func search4(e *engine[a4], n ref, rmt, lcl a4, ports uint32, best uint64, at int) (uint64, int) {
	var stack [maxDepth + 1]ref
	hi := best >> boundShift // kids with a bound above hi cannot win
	dn, slab := e.dn, e.slab
	sp := 0
	for {
		var k bref
		first, cnt := -1, 0
		switch n &^ idxMask {
		case tagLeaf:
			first, cnt = span(n)
		case tagRmt, tagLcl:
			nd := &dn[n&idxMask]
			if nd.min < best {
				if nd.stay != 0 {
					stack[sp] = nd.stay
					sp++
				}
				a := rmt
				if n&^idxMask == tagLcl {
					a = lcl
				}
				if a&nd.pmask == nd.pfx {
					k = nd.kids[uint32(a)<<(nd.sh&31)>>(nd.rs&31)]
				}
			}
		default:
			nd := &e.on[n&idxMask]
			if nd.min < best {
				if nd.stay != 0 {
					stack[sp] = nd.stay
					sp++
				}
				switch nd.kind {
				case kBig:
					first, cnt = int(nd.first), int(nd.cnt)
				case kRport, kLport:
					k = portFind(nd.ptab, uint16(ports>>(nd.sh&31)))
				default:
					a := rmt
					if nd.kind == kLclHash {
						a = lcl
					}
					a &= nd.pmask
					if i := tabProbe(nd.htab, a, a.hash()); i >= 0 {
						k = nd.htab.slots[i].val
					}
				}
			}
		}
		if first >= 0 {
			for i, end := first, first+cnt; i < end; i++ {
				p := &slab[i]
				if p.label >= best {
					break
				}
				if rmt&p.rmask == p.rmt && lcl&p.lmask == p.lcl && ports&p.pmask == p.ports {
					best, at = p.label, i
					hi = best >> boundShift
					break
				}
			}
		}
		if k != 0 && k>>32 <= hi {
			n = ref(k)
			continue
		}
		if sp == 0 {
			return best, at
		}
		sp--
		n = stack[sp]
	}
}

// lookup6 is lookup4 for IPv6 keys, without the flattened chain: a depth
// first search from the root.
func lookup6(e *engine[a6], rmt, lcl u128, ports uint32) *head {
	var stack [maxDepth + 1]ref
	best, at := noLabel, 0
	hi := best >> boundShift
	dn, slab := e.dn, e.slab
	sp, n := 0, e.root
	if n == 0 {
		return nil
	}
	for {
		var k bref
		first, cnt := -1, 0
		switch n &^ idxMask {
		case tagLeaf:
			first, cnt = span(n)
		case tagRmt, tagLcl:
			nd := &dn[n&idxMask]
			if nd.min < best {
				if nd.stay != 0 {
					stack[sp] = nd.stay
					sp++
				}
				a := rmt
				if n&^idxMask == tagLcl {
					a = lcl
				}
				if a6(a.and(u128(nd.pmask))) == nd.pfx {
					w := a.lo
					if nd.hi {
						w = a.hi
					}
					k = nd.kids[w<<(nd.sh&63)>>(nd.rs&63)]
				}
			}
		default:
			nd := &e.on[n&idxMask]
			if nd.min < best {
				if nd.stay != 0 {
					stack[sp] = nd.stay
					sp++
				}
				switch nd.kind {
				case kBig:
					first, cnt = int(nd.first), int(nd.cnt)
				case kRport, kLport:
					k = portFind(nd.ptab, uint16(ports>>(nd.sh&31)))
				default:
					a := rmt
					if nd.kind == kLclHash {
						a = lcl
					}
					key := a6(a.and(u128(nd.pmask)))
					if i := tabProbe(nd.htab, key, key.hash()); i >= 0 {
						k = nd.htab.slots[i].val
					}
				}
			}
		}
		if first >= 0 {
			for i, end := first, first+cnt; i < end; i++ {
				p := &slab[i]
				if p.label >= best {
					break
				}
				if rmt.and(u128(p.rmask)) == u128(p.rmt) && lcl.and(u128(p.lmask)) == u128(p.lcl) && ports&p.pmask == p.ports {
					best, at = p.label, i
					hi = best >> boundShift
					break
				}
			}
		}
		if k != 0 && k>>32 <= hi {
			n = ref(k)
			continue
		}
		if sp == 0 {
			break
		}
		sp--
		n = stack[sp]
	}
	if at == 0 {
		return nil
	}
	return &e.slab[at].h
}
