package rules

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
)

// This file models VPP's second rules engine, SDL ("session deny list",
// session_sdl.c, spec §4.9): remote-prefix-only rules held as exclusive
// routes with a "deny" DPO in a private FIB table per global session table,
// looked up by longest prefix match on the remote address.

// Errors of SDL.Add and SDL.Del. Each error returned wraps exactly one of
// them (test with errors.Is) and names the prefix or tag in its message.
var (
	// ErrSDLInvalid (SESSION_E_INVALID): the add names a tag another SDL
	// rule carries (in either family), the tag is longer than MaxTagLen,
	// or the remote prefix is not valid. It also matches ErrInvalid.
	ErrSDLInvalid error = &invalidError{"invalid sdl rule"}
	// ErrSDLIPInUse (SESSION_E_IPINUSE): the add's exact prefix already
	// has a route in the private FIB: an SDL rule (an add never replaces)
	// or one of the routes every FIB table is created with (see SDL).
	ErrSDLIPInUse = errors.New("sdl: prefix in use")
	// ErrSDLNoRoute (SESSION_E_NOROUTE): the delete names no SDL rule:
	// neither a known tag nor the exact prefix of an SDL rule (the routes
	// every FIB table is created with are not SDL rules).
	ErrSDLNoRoute = errors.New("sdl: no such route")
)

// SDL is the session deny list of one global session table: VPP's pair of
// private FIB tables ("sdl4 <ns>", "sdl6 <ns>") whose SDL routes carry an
// action each. Only a rule's remote prefix, action and tag matter; its local
// prefix, ports, protocol and scope are ignored. Tags are unique across both
// families. Local session tables have no SDL (VPP skips them).
//
// Like any VPP FIB table, each family starts with routes that are not SDL
// rules and answer lookups with ActionNone: the default route (0.0.0.0/0,
// ::/0), and for IPv4 0.0.0.0/32, 224.0.0.0/4, 240.0.0.0/4 and
// 255.255.255.255/32 (ip4_fib.c's specials), for IPv6 fe80::/10
// (ip6_fib.c). Adding one of those exact prefixes fails with ErrSDLIPInUse,
// deleting one fails with ErrSDLNoRoute, and an address inside one of them
// is only denied by an SDL rule more specific than it.
//
// Lookups may run concurrently with each other but not with Add or Del (the
// caller serialises updates, as VPP does with its workers stopped). The zero
// value is not usable; use NewSDL.
type SDL struct {
	v4   sdlFam[a4]
	v6   sdlFam[a6]
	tags map[string]netip.Prefix // tag -> masked prefix of its rule
	tag  map[netip.Prefix]string // masked prefix -> tag
}

// sdlVal is what a route's slot holds: its action (ActionNone for the
// routes the FIB starts with) and whether it is an SDL rule.
type sdlVal struct {
	act Action
	sdl bool
}

// sdlFam is one family's FIB: a hash table of masked addresses per prefix
// length, and the lengths in use, longest first (the search order of VPP's
// IPv6 FIB). The default route's length (0) is never probed: its answer
// is ActionNone, the answer when nothing longer matches.
type sdlFam[K fkey] struct {
	byLen []*tab[K, sdlVal] // index = prefix length; nil when unused
	lens  []uint8           // lengths > 0 with at least one route, descending
	n     int               // SDL routes
}

var sdlFixed4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("0.0.0.0/32"),
	netip.MustParsePrefix("224.0.0.0/4"), netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("255.255.255.255/32"),
}

var sdlFixed6 = []netip.Prefix{netip.MustParsePrefix("::/0"), netip.MustParsePrefix("fe80::/10")}

// NewSDL returns an SDL table holding no SDL rule (only the routes every FIB
// table starts with).
func NewSDL() *SDL {
	s := &SDL{tags: map[string]netip.Prefix{}, tag: map[netip.Prefix]string{}}
	s.v4.byLen = make([]*tab[a4, sdlVal], 33)
	s.v6.byLen = make([]*tab[a6, sdlVal], 129)
	for _, p := range sdlFixed4 {
		s.v4.insert(sdlKey4(p), p.Bits(), sdlVal{act: ActionNone})
	}
	for _, p := range sdlFixed6 {
		s.v6.insert(sdlKey6(p), p.Bits(), sdlVal{act: ActionNone})
	}
	return s
}

func sdlMask4(l int) uint32 { return ^uint32(0) << (32 - l) } // l = 0 gives 0 (Go shifts)

func sdlMask6(l int) u128 {
	if l <= 64 {
		return u128{^uint64(0) << (64 - l), 0}
	}
	return u128{^uint64(0), ^uint64(0) << (128 - l)}
}

func sdlKey4(p netip.Prefix) a4 {
	b := p.Addr().As4()
	return a4(binary.BigEndian.Uint32(b[:]) & sdlMask4(p.Bits()))
}

func sdlKey6(p netip.Prefix) a6 { return a6(addrTo128(p.Addr()).and(sdlMask6(p.Bits()))) }

func (f *sdlFam[K]) get(k K, l int) (*sdlVal, bool) {
	t := f.byLen[l]
	if t == nil {
		return nil, false
	}
	if i := tabProbe(t, k, k.hash()); i >= 0 {
		return &t.slots[i].val, true
	}
	return nil, false
}

func (f *sdlFam[K]) insert(k K, l int, v sdlVal) {
	t := f.byLen[l]
	if t == nil {
		t = newTab[K, sdlVal]()
		f.byLen[l] = t
		if l > 0 {
			i, _ := slices.BinarySearchFunc(f.lens, uint8(l), func(a, b uint8) int { return cmp.Compare(b, a) })
			f.lens = slices.Insert(f.lens, i, uint8(l))
		}
	}
	i, _ := t.insert(k)
	t.slots[i].val = v
	if v.sdl {
		f.n++
	}
}

func (f *sdlFam[K]) remove(k K, l int) {
	t := f.byLen[l]
	i, _ := t.find(k)
	t.del(i)
	f.n--
	if t.live == 0 {
		f.byLen[l] = nil
		f.lens = slices.DeleteFunc(f.lens, func(x uint8) bool { return int(x) == l })
	}
}

// find returns the route of the masked prefix p, if the FIB has one.
func (s *SDL) find(p netip.Prefix) (*sdlVal, bool) {
	if p.Addr().Is4() {
		return s.v4.get(sdlKey4(p), p.Bits())
	}
	return s.v6.get(sdlKey6(p), p.Bits())
}

// Add adds an SDL rule for r.Rmt (normalised: host bits cleared) with
// r.Action and r.Tag, as session_sdl_add_del does: a tag that any SDL rule
// carries fails with ErrSDLInvalid (checked first), so do a tag longer than
// MaxTagLen (the error also matches ErrTagTooLong) and an invalid prefix; a
// prefix that already has a route fails with ErrSDLIPInUse (an add never
// replaces). Other fields of r are ignored.
func (s *SDL) Add(r Rule) error {
	if r.Tag != "" {
		if p, ok := s.tags[r.Tag]; ok {
			return fmt.Errorf("sdl: add tag %q: tag already in use by %s: %w", r.Tag, p, ErrSDLInvalid)
		}
		if len(r.Tag) > MaxTagLen {
			return fmt.Errorf("sdl: add tag %q: %w: %w", r.Tag, ErrSDLInvalid, ErrTagTooLong)
		}
	}
	if !r.Rmt.IsValid() {
		return fmt.Errorf("sdl: add %s: remote prefix not valid: %w", r.Rmt, ErrSDLInvalid)
	}
	p := r.Rmt.Masked()
	if _, ok := s.find(p); ok {
		return fmt.Errorf("sdl: add %s: %w", p, ErrSDLIPInUse)
	}
	v := sdlVal{act: r.Action, sdl: true}
	if p.Addr().Is4() {
		s.v4.insert(sdlKey4(p), p.Bits(), v)
	} else {
		s.v6.insert(sdlKey6(p), p.Bits(), v)
	}
	if r.Tag != "" {
		s.tags[r.Tag] = p
		s.tag[p] = r.Tag
	}
	return nil
}

// Del deletes an SDL rule. If r.Tag names one (of either family), that rule
// is deleted and r.Rmt is ignored, as VPP's session_test_sdl deletes by tag
// with prefix 0/0. Otherwise the SDL rule with r.Rmt's normalised prefix is
// deleted (also when r.Tag is set but unknown, as in VPP). It fails with
// ErrSDLNoRoute when there is no such rule: an unknown tag with an invalid
// prefix, or a prefix without a route or whose route is not an SDL rule
// (0/0 and the other routes the FIB starts with). Without a tag an invalid
// prefix fails with ErrSDLInvalid. The deleted rule's tag is freed, whichever
// way it was deleted (VPP leaves it reserved after a delete by prefix).
func (s *SDL) Del(r Rule) error {
	var p netip.Prefix
	if q, ok := s.tags[r.Tag]; ok && r.Tag != "" {
		p = q
	} else {
		switch {
		case r.Rmt.IsValid():
			p = r.Rmt.Masked()
		case r.Tag != "":
			return fmt.Errorf("sdl: del tag %q: %w", r.Tag, ErrSDLNoRoute)
		default:
			return fmt.Errorf("sdl: del %s: remote prefix not valid: %w", r.Rmt, ErrSDLInvalid)
		}
		if v, ok := s.find(p); !ok || !v.sdl {
			if r.Tag != "" {
				return fmt.Errorf("sdl: del tag %q (unknown), %s: %w", r.Tag, p, ErrSDLNoRoute)
			}
			return fmt.Errorf("sdl: del %s: %w", p, ErrSDLNoRoute)
		}
	}
	if p.Addr().Is4() {
		s.v4.remove(sdlKey4(p), p.Bits())
	} else {
		s.v6.remove(sdlKey6(p), p.Bits())
	}
	if t, ok := s.tag[p]; ok {
		delete(s.tags, t)
		delete(s.tag, p)
	}
	return nil
}

// Lookup4 returns the action of the longest-prefix route for the IPv4 remote
// address rmt, given as a big-endian number (a.b.c.d is a<<24 | b<<16 | c<<8
// | d, as for Table.Lookup4): the SDL rule's action, or ActionNone when the
// longest match is not an SDL rule (no rule matches, or one of the routes
// the FIB starts with is more specific). It does not allocate.
func (s *SDL) Lookup4(rmt uint32) Action {
	f := &s.v4
	for _, l := range f.lens {
		t := f.byLen[l]
		k := a4(rmt & sdlMask4(int(l)))
		if i := tabProbe(t, k, k.hash()); i >= 0 {
			return t.slots[i].val.act
		}
	}
	return ActionNone
}

// Lookup is Lookup4 for an address of either family. As elsewhere in the
// package, an IPv4-mapped IPv6 address is IPv6 (it matches IPv6 rules such
// as ::ffff:0:0/96, not IPv4 ones); zones are ignored; an invalid address
// gives ActionNone. It does not allocate.
func (s *SDL) Lookup(rmt netip.Addr) Action {
	if rmt.Is4() {
		b := rmt.As4()
		return s.Lookup4(binary.BigEndian.Uint32(b[:]))
	}
	if !rmt.IsValid() {
		return ActionNone
	}
	a := addrTo128(rmt)
	f := &s.v6
	for _, l := range f.lens {
		t := f.byLen[l]
		k := a6(a.and(sdlMask6(int(l))))
		if i := tabProbe(t, k, k.hash()); i >= 0 {
			return t.slots[i].val.act
		}
	}
	return ActionNone
}

// Len returns the number of SDL rules, both families.
func (s *SDL) Len() int { return s.v4.n + s.v6.n }

// Walk calls fn with every SDL rule of one family (ip4 true for IPv4), in
// order of prefix address then length, until fn returns false. A rule has
// Rmt, Action and Tag set, Lcl the family's 0/0 and Scope ScopeGlobal. The
// rules are collected before the first call, so fn may add or delete.
func (s *SDL) Walk(ip4 bool, fn func(Rule) bool) {
	lcl := netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	if ip4 {
		lcl = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	}
	var out []Rule
	add := func(a netip.Addr, l int, v sdlVal) {
		if v.sdl {
			p := netip.PrefixFrom(a, l)
			out = append(out, Rule{Lcl: lcl, Rmt: p, Action: v.act, Tag: s.tag[p], Scope: ScopeGlobal})
		}
	}
	if ip4 {
		for l, t := range s.v4.byLen {
			for i := range t.slotsOrNil() {
				if t.fp[i] >= 0x80 {
					add(addrFrom128(u128{0, uint64(t.slots[i].key)}, true), l, t.slots[i].val)
				}
			}
		}
	} else {
		for l, t := range s.v6.byLen {
			for i := range t.slotsOrNil() {
				if t.fp[i] >= 0x80 {
					add(addrFrom128(u128(t.slots[i].key), false), l, t.slots[i].val)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Rule) int {
		if c := a.Rmt.Addr().Compare(b.Rmt.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.Rmt.Bits(), b.Rmt.Bits())
	})
	for _, r := range out {
		if !fn(r) {
			return
		}
	}
}

// slotsOrNil returns t's slots, or nil for a nil table.
func (t *tab[K, V]) slotsOrNil() []kv[K, V] {
	if t == nil {
		return nil
	}
	return t.slots
}

// FormatSDL formats one SDL rule as VPP's `show session sdl` prints it
// (session_sdl_fib_table_show), without the FIB entry index VPP puts first:
// "rule: rmt/plen action: N tag t", the action as a signed number (as
// FormatRule prints it: drop -2, allow -3, none -1) and a missing tag as
// "none".
func FormatSDL(r Rule) string {
	tag := r.Tag
	if tag == "" {
		tag = "none"
	}
	return fmt.Sprintf("rule: %s/%d action: %d tag %s", r.Rmt.Addr(), r.Rmt.Bits(), int32(r.Action), tag)
}

// WriteListing writes the table as VPP's `show session sdl` does (without
// FIB indices): "IP4 rules", the IPv4 rules, "IP6 rules", the IPv6 rules,
// each in Walk order and formatted by FormatSDL.
func (s *SDL) WriteListing(w io.Writer) error {
	for _, ip4 := range []bool{true, false} {
		fam := "IP6"
		if ip4 {
			fam = "IP4"
		}
		if _, err := fmt.Fprintf(w, "%s rules\n", fam); err != nil {
			return err
		}
		var err error
		s.Walk(ip4, func(r Rule) bool {
			_, err = fmt.Fprintln(w, FormatSDL(r))
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
