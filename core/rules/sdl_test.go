package rules

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// sdlRef is the reference SDL: a slice of routes, written directly from
// §4.9 and VPP's session_sdl_add_del; lookups scan every route for the
// longest matching prefix.
type sdlRef struct{ routes []refRoute }

type refRoute struct {
	p   netip.Prefix
	act Action
	tag string
	sdl bool // false for the routes every VPP FIB table is created with
}

func newSDLRef() *sdlRef {
	m := &sdlRef{}
	for _, s := range []string{"0.0.0.0/0", "0.0.0.0/32", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32", "::/0", "fe80::/10"} {
		m.routes = append(m.routes, refRoute{p: netip.MustParsePrefix(s), act: ActionNone})
	}
	return m
}

func (m *sdlRef) at(p netip.Prefix) int {
	return slices.IndexFunc(m.routes, func(r refRoute) bool { return r.p == p })
}

func (m *sdlRef) byTag(tag string) int {
	if tag == "" {
		return -1
	}
	return slices.IndexFunc(m.routes, func(r refRoute) bool { return r.tag == tag })
}

func (m *sdlRef) add(r Rule) error {
	switch {
	case m.byTag(r.Tag) >= 0, len(r.Tag) > MaxTagLen, !r.Rmt.IsValid():
		return ErrSDLInvalid
	case m.at(r.Rmt.Masked()) >= 0:
		return ErrSDLIPInUse
	}
	m.routes = append(m.routes, refRoute{p: r.Rmt.Masked(), act: r.Action, tag: r.Tag, sdl: true})
	return nil
}

func (m *sdlRef) del(r Rule) error {
	i := m.byTag(r.Tag)
	if i < 0 {
		switch {
		case r.Rmt.IsValid():
			i = m.at(r.Rmt.Masked())
		case r.Tag != "":
			return ErrSDLNoRoute
		default:
			return ErrSDLInvalid
		}
	}
	if i < 0 || !m.routes[i].sdl {
		return ErrSDLNoRoute
	}
	m.routes = slices.Delete(m.routes, i, i+1)
	return nil
}

func (m *sdlRef) lookup(a netip.Addr) Action {
	best, act := -1, ActionNone
	for _, r := range m.routes {
		if r.p.Contains(a.WithZone("")) && r.p.Bits() > best {
			best, act = r.p.Bits(), r.act
		}
	}
	return act
}

func (m *sdlRef) walk(ip4 bool) []string {
	var out []refRoute
	for _, r := range m.routes {
		if r.sdl && r.p.Addr().Is4() == ip4 {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b refRoute) int {
		if c := a.p.Addr().Compare(b.p.Addr()); c != 0 {
			return c
		}
		return a.p.Bits() - b.p.Bits()
	})
	var s []string
	for _, r := range out {
		s = append(s, fmt.Sprintf("%s %d %q", r.p, r.act, r.tag))
	}
	return s
}

func sdlWalk(s *SDL, ip4 bool) []string {
	var out []string
	s.Walk(ip4, func(r Rule) bool {
		out = append(out, fmt.Sprintf("%s %d %q", r.Rmt, r.Action, r.Tag))
		return true
	})
	return out
}

func errClass(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrSDLInvalid):
		return "INVALID"
	case errors.Is(err, ErrSDLIPInUse):
		return "IPINUSE"
	case errors.Is(err, ErrSDLNoRoute):
		return "NOROUTE"
	}
	return "other: " + err.Error()
}

func sdlRule(p string, act Action, tag string) Rule {
	return Rule{Rmt: netip.MustParsePrefix(p), Action: act, Tag: tag}
}

// TestVPPSessionSDL replays session_test_sdl from VPP's
// src/plugins/unittest/session_test.c.
func TestVPPSessionSDL(t *testing.T) {
	s := NewSDL()
	ref := newSDLRef()
	step := func(what string, err error, want string, refErr error) {
		t.Helper()
		if got := errClass(err); got != want {
			t.Fatalf("%s: got %s (%v), want %s", what, got, err, want)
		}
		if got := errClass(refErr); got != want {
			t.Fatalf("%s: reference got %s, want %s", what, got, want)
		}
	}
	add := func(p string, act Action, tag, want string) {
		t.Helper()
		r := sdlRule(p, act, tag)
		step("add "+p+" "+tag, s.Add(r), want, ref.add(r))
	}
	del := func(p, tag, want string) {
		t.Helper()
		r := sdlRule(p, 0, tag)
		step("del "+p+" "+tag, s.Del(r), want, ref.del(r))
	}
	look := func(a string, want Action) {
		t.Helper()
		ad := netip.MustParseAddr(a)
		if got := s.Lookup(ad); got != want {
			t.Fatalf("lookup %s = %v, want %v", a, got, want)
		}
		if got := ref.lookup(ad); got != want {
			t.Fatalf("reference lookup %s = %v, want %v", a, got, want)
		}
		if ad.Is4() {
			if got := s.Lookup4(v4num(ad)); got != want {
				t.Fatalf("Lookup4 %s = %v, want %v", a, got, want)
			}
		}
	}
	count := func(ip4 bool) int {
		n := 0
		s.Walk(ip4, func(Rule) bool { n++; return true })
		return n
	}

	add("1.2.0.0/16", 1, "", "ok")
	look("1.2.3.4", 1)
	add("1.2.3.0/24", 2, "", "ok")
	look("1.2.3.4", 2)
	look("1.1.1.1", ActionNone)
	add("1.2.0.0/16", 1, "", "IPINUSE")
	add("0.0.0.0/0", 1, "", "IPINUSE")
	del("0.0.0.0/0", "", "NOROUTE")
	add("1.2.3.4/32", 3, "sdl-exact-ip4", "ok")
	look("1.2.3.4", 3)
	if n := count(true); n < 3 {
		t.Fatalf("walk v4 found %d rules, want at least 3", n)
	}
	add("1.2.3.4/32", 3, "sdl-exact-ip4", "INVALID") // duplicate tag is checked first
	del("0.0.0.0/0", "sdl-exact-ip4", "ok")
	look("1.2.3.4", 2)
	del("1.2.0.0/16", "", "ok")
	del("1.2.3.0/24", "", "ok")
	look("1.2.3.4", ActionNone)
	if s.Len() != 0 {
		t.Fatalf("Len = %d after deleting every rule", s.Len())
	}

	add("2501:db8:85a3::8a2e:371:1/124", 4, "", "ok")
	look("2501:db8:85a3::8a2e:371:1", 4)
	if n := count(false); n < 1 {
		t.Fatalf("walk v6 found %d rules, want at least 1", n)
	}
	look("2501:db8:85a3::8a2e:372:1", ActionNone)
	del("2501:db8:85a3::8a2e:371:1/124", "", "ok")
	look("2501:db8:85a3::8a2e:371:1", ActionNone)
	if s.Len() != 0 || count(true)+count(false) != 0 {
		t.Fatalf("rules left: %d", s.Len())
	}
}

func TestSDLSemantics(t *testing.T) {
	s := NewSDL()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	is := func(err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Fatalf("got %v, want %v", err, want)
		}
	}

	// Host bits are cleared; the normalised prefix is the rule's identity.
	must(s.Add(sdlRule("10.1.2.3/16", 7, "")))
	is(s.Add(sdlRule("10.1.0.0/16", 8, "")), ErrSDLIPInUse)
	is(s.Add(sdlRule("10.1.255.255/16", 8, "")), ErrSDLIPInUse)
	if got := s.Lookup(netip.MustParseAddr("10.1.200.1")); got != 7 {
		t.Fatalf("lookup = %v", got)
	}
	must(s.Del(sdlRule("10.1.9.9/16", 0, "")))
	is(s.Del(sdlRule("10.1.0.0/16", 0, "")), ErrSDLNoRoute)

	// Local prefix, ports, protocol and scope are ignored.
	r := Rule{Lcl: netip.MustParsePrefix("9.9.9.9/32"), Rmt: netip.MustParsePrefix("20.0.0.0/8"),
		LclPort: 80, RmtPort: 443, Proto: 7, Action: ActionDrop, Scope: 99}
	must(s.Add(r))
	if got := s.Lookup(netip.MustParseAddr("20.1.1.1")); got != ActionDrop {
		t.Fatalf("lookup = %v", got)
	}
	must(s.Del(Rule{Rmt: netip.MustParsePrefix("20.0.0.0/8"), Proto: 3, LclPort: 1}))

	// Errors carry their context and the right classes.
	err := s.Add(Rule{})
	is(err, ErrSDLInvalid)
	is(err, ErrInvalid)
	is(s.Del(Rule{}), ErrSDLInvalid)
	long := strings.Repeat("x", MaxTagLen+1)
	err = s.Add(sdlRule("30.0.0.0/8", 1, long))
	is(err, ErrSDLInvalid)
	is(err, ErrTagTooLong)
	must(s.Add(sdlRule("30.0.0.0/8", 1, strings.Repeat("y", MaxTagLen))))
	must(s.Add(sdlRule("31.0.0.0/8", 1, "web")))
	err = s.Add(sdlRule("2001:db8::/32", 1, "web")) // tags are unique across families
	is(err, ErrSDLInvalid)
	if errors.Is(err, ErrSDLIPInUse) || !strings.Contains(err.Error(), `"web"`) || !strings.Contains(err.Error(), "31.0.0.0/8") {
		t.Fatalf("error %q", err)
	}
	err = s.Add(sdlRule("31.0.0.0/8", 1, ""))
	if !strings.Contains(err.Error(), "31.0.0.0/8") || errors.Is(err, ErrInvalid) {
		t.Fatalf("error %q", err)
	}

	// Delete by tag ignores the prefix, and works across families.
	must(s.Add(sdlRule("2001:db8::/32", 5, "v6")))
	must(s.Del(sdlRule("0.0.0.0/0", 0, "v6")))
	if got := s.Lookup(netip.MustParseAddr("2001:db8::1")); got != ActionNone {
		t.Fatalf("lookup after delete by tag = %v", got)
	}
	// An unknown tag: NOROUTE without a prefix (or with 0/0), else the prefix.
	is(s.Del(Rule{Tag: "nope"}), ErrSDLNoRoute)
	is(s.Del(sdlRule("0.0.0.0/0", 0, "nope")), ErrSDLNoRoute)
	must(s.Del(sdlRule("31.0.0.0/8", 0, "nope")))
	// A rule deleted by prefix frees its tag.
	must(s.Add(sdlRule("32.0.0.0/8", 1, "web")))

	// The routes every FIB table starts with: exact adds collide, deletes
	// find no SDL rule, and they win lookups unless an SDL rule is longer.
	for _, p := range []string{"0.0.0.0/0", "0.0.0.0/32", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32", "::/0", "fe80::/10"} {
		is(s.Add(sdlRule(p, 1, "")), ErrSDLIPInUse)
		is(s.Del(sdlRule(p, 0, "")), ErrSDLNoRoute)
	}
	must(s.Add(sdlRule("192.0.0.0/2", 6, ""))) // covers 224/4 and 240/4
	must(s.Add(sdlRule("224.1.0.0/16", 9, "")))
	must(s.Add(sdlRule("fe00::/7", 6, "")))
	for a, want := range map[string]Action{
		"192.168.1.1": 6, "225.0.0.1": ActionNone, "224.1.2.3": 9, "250.0.0.1": ActionNone,
		"255.255.255.255": ActionNone, "255.255.255.254": ActionNone, "fc00::1": ActionNone,
		"fe00::1": 6, "fe80::1": ActionNone, "fec0::1": 6,
	} {
		if got := s.Lookup(netip.MustParseAddr(a)); got != want {
			t.Errorf("lookup %s = %v, want %v", a, got, want)
		}
	}

	// IPv4-mapped IPv6 addresses are IPv6, as in Table.Lookup; zones are
	// ignored; invalid addresses match nothing.
	must(s.Add(sdlRule("::ffff:40.0.0.0/104", 11, "")))
	must(s.Add(sdlRule("40.0.0.0/8", 12, "")))
	for a, want := range map[string]Action{"::ffff:40.1.2.3": 11, "40.1.2.3": 12, "::ffff:41.1.2.3": ActionNone} {
		if got := s.Lookup(netip.MustParseAddr(a)); got != want {
			t.Errorf("lookup %s = %v, want %v", a, got, want)
		}
	}
	if got := s.Lookup(netip.MustParseAddr("fe00::1%eth0")); got != 6 {
		t.Errorf("zoned lookup = %v", got)
	}
	if got := s.Lookup(netip.Addr{}); got != ActionNone {
		t.Errorf("invalid lookup = %v", got)
	}
}

func TestSDLWalkAndListing(t *testing.T) {
	s := NewSDL()
	for _, r := range []Rule{
		sdlRule("10.0.0.0/16", 2, ""), sdlRule("10.0.0.0/8", 1, "ten"), sdlRule("9.0.0.0/8", ActionDrop, ""),
		sdlRule("10.0.0.128/25", 3, ""), sdlRule("2001:db8::/32", 4, "six"), sdlRule("::1/128", 5, ""),
	} {
		if err := s.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	if err := s.WriteListing(&b); err != nil {
		t.Fatal(err)
	}
	want := `IP4 rules
rule: 9.0.0.0/8 action: -2 tag none
rule: 10.0.0.0/8 action: 1 tag ten
rule: 10.0.0.0/16 action: 2 tag none
rule: 10.0.0.128/25 action: 3 tag none
IP6 rules
rule: ::1/128 action: 5 tag none
rule: 2001:db8::/32 action: 4 tag six
`
	if b.String() != want {
		t.Fatalf("listing:\n%s\nwant:\n%s", b.String(), want)
	}
	n := 0
	s.Walk(true, func(r Rule) bool {
		if r.Scope != ScopeGlobal || r.Lcl != netip.MustParsePrefix("0.0.0.0/0") {
			t.Errorf("walked rule %v", r)
		}
		n++
		return n < 2
	})
	if n != 2 {
		t.Fatalf("walk did not stop: %d", n)
	}
	// fn may change the table.
	s.Walk(true, func(r Rule) bool { return s.Del(r) == nil })
	if s.Len() != 2 {
		t.Fatalf("Len = %d", s.Len())
	}
}

func TestSDLLookupAllocs(t *testing.T) {
	s := NewSDL()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		_ = s.Add(Rule{Rmt: netip.PrefixFrom(numAddr(rng.Uint32()), 8+rng.IntN(25)), Action: 1})
	}
	for range 200 {
		var b [16]byte
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		_ = s.Add(Rule{Rmt: netip.PrefixFrom(netip.AddrFrom16(b), 16+rng.IntN(113)), Action: 1})
	}
	a4, a6 := netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("2001:db8::1")
	if n := testing.AllocsPerRun(100, func() {
		sink = s.Lookup4(0x0A010203)
		sink = s.Lookup(a4)
		sink = s.Lookup(a6)
	}); n != 0 {
		t.Fatalf("%v allocations per lookup", n)
	}
}

// sdlGen draws SDL operations from a small universe of addresses (with the
// FIB's own routes in it) so that random sets are full of nesting, exact
// collisions and tag clashes.
type sdlGen struct{ g *gen }

var sdlAddrs4 = []string{"224.0.0.0", "224.1.2.3", "239.255.255.255", "240.0.0.1", "192.0.0.0", "1.2.3.4", "1.2.0.0"}
var sdlAddrs6 = []string{"fe80::1", "febf:ffff::", "fe00::", "::ffff:10.1.2.3", "::ffff:0:0", "2501:db8:85a3::8a2e:371:1"}
var sdlLens6 = []int{0, 1, 7, 8, 10, 16, 32, 48, 63, 64, 65, 96, 104, 112, 120, 124, 127, 128}

func (sg sdlGen) addr(is4 bool) netip.Addr {
	g := sg.g
	if g.intn(3) == 0 {
		l := sdlAddrs6
		if is4 {
			l = sdlAddrs4
		}
		return netip.MustParseAddr(l[g.intn(len(l))])
	}
	return g.addr(is4)
}

func (sg sdlGen) prefix(is4 bool) netip.Prefix {
	g := sg.g
	l := sdlLens6[g.intn(len(sdlLens6))]
	if is4 {
		l = g.intn(33)
	}
	return netip.PrefixFrom(sg.addr(is4), l) // host bits left for Add to clear
}

func (sg sdlGen) rule() Rule {
	g := sg.g
	r := Rule{Rmt: sg.prefix(g.intn(3) != 0), Action: Action(g.intn(8))}
	switch g.intn(16) {
	case 0:
		r.Action = ActionDrop
	case 1:
		r.Action = ActionNone
	case 2:
		r.Rmt = netip.Prefix{}
	}
	if g.intn(3) == 0 {
		r.Tag = fmt.Sprintf("t%d", g.intn(10))
		if g.intn(20) == 0 {
			r.Tag = strings.Repeat("L", MaxTagLen+g.intn(2))
		}
	}
	return r
}

// sdlKeys returns keys at, just inside and just outside p's boundaries.
func sdlKeys(p netip.Prefix) []netip.Addr {
	first := p.Masked().Addr()
	b := first.AsSlice()
	host := len(b)*8 - p.Bits()
	for i := len(b) - 1; i >= 0 && host > 0; i-- {
		n := min(host, 8)
		b[i] |= byte(1<<n - 1)
		host -= n
	}
	last, _ := netip.AddrFromSlice(b)
	out := []netip.Addr{first, last, first.Next(), last.Prev(), first.Prev(), last.Next()}
	return slices.DeleteFunc(out, func(a netip.Addr) bool { return !a.IsValid() })
}

// runSDL runs n random operations on an SDL and the reference, comparing
// every result, lookups at every rule's boundaries and the walks.
func runSDL(t testing.TB, seed uint64, n int, data []byte) {
	sg := sdlGen{&gen{rng: rand.New(rand.NewPCG(seed, 5)), data: data}}
	g := sg.g
	s, ref := NewSDL(), newSDLRef()
	var added []Rule
	check := func() {
		var keys []netip.Addr
		for _, r := range ref.routes {
			keys = append(keys, sdlKeys(r.p)...)
		}
		for range 16 {
			keys = append(keys, sg.addr(g.intn(2) == 0))
		}
		for _, k := range keys {
			want := ref.lookup(k)
			if got := s.Lookup(k); got != want {
				t.Fatalf("Lookup(%s) = %v, reference %v", k, got, want)
			}
			if k.Is4() {
				if got := s.Lookup4(v4num(k)); got != want {
					t.Fatalf("Lookup4(%s) = %v, reference %v", k, got, want)
				}
			}
		}
		for _, ip4 := range []bool{true, false} {
			if got, want := sdlWalk(s, ip4), ref.walk(ip4); !slices.Equal(got, want) {
				t.Fatalf("walk(ip4=%v):\n%q\nreference:\n%q", ip4, got, want)
			}
		}
		if want := len(ref.walk(true)) + len(ref.walk(false)); s.Len() != want {
			t.Fatalf("Len = %d, reference %d", s.Len(), want)
		}
	}
	for i := range n {
		var r Rule
		var err, refErr error
		op := "add"
		switch x := g.intn(10); {
		case x < 5 || len(added) == 0:
			r = sg.rule()
			err, refErr = s.Add(r), ref.add(r)
			if refErr == nil {
				added = append(added, r)
			}
		case x < 8: // delete a rule added before (maybe gone), by prefix
			op = "del"
			r = added[g.intn(len(added))]
			r.Tag = ""
			if g.intn(4) == 0 {
				r = sg.rule()
				r.Tag = ""
			}
			err, refErr = s.Del(r), ref.del(r)
		default: // delete by tag, with 0/0, another prefix or none
			op = "del"
			r = sg.rule()
			r.Tag = fmt.Sprintf("t%d", g.intn(10))
			switch g.intn(3) {
			case 0:
				r.Rmt = netip.MustParsePrefix("0.0.0.0/0")
			case 1:
				r.Rmt = netip.Prefix{}
			}
			err, refErr = s.Del(r), ref.del(r)
		}
		if got, want := errClass(err), errClass(refErr); got != want {
			t.Fatalf("op %d: %s %v %q: %s (%v), reference %s", i, op, r.Rmt, r.Tag, got, err, want)
		}
		if i%16 == 15 || i == n-1 {
			check()
		}
	}
	check()
}

func TestSDLDifferential(t *testing.T) {
	seeds, n := 40, 600
	if testing.Short() {
		seeds = 8
	}
	for seed := range uint64(seeds) {
		runSDL(t, seed, n, nil)
	}
}

// sdlBenchSet returns n IPv4 SDL rules shaped like a deny list (mostly /24
// and /32, some shorter), outside the FIB's own routes, and 64k keys: three
// quarters inside a random rule, the rest random unicast addresses.
func sdlBenchSet(n int) ([]Rule, []uint32) {
	rng := rand.New(rand.NewPCG(uint64(n), 42))
	lens := lenDist{{8, 1}, {12, 2}, {16, 8}, {20, 8}, {22, 10}, {24, 40}, {28, 6}, {32, 25}}
	unicast := func() uint32 { return uint32(1+rng.IntN(223))<<24 | rng.Uint32()&0xFFFFFF }
	var rules []Rule
	seen := map[netip.Prefix]bool{}
	for len(rules) < n {
		p := netip.PrefixFrom(numAddr(unicast()), lens.pick(rng)).Masked()
		if !seen[p] {
			seen[p] = true
			rules = append(rules, Rule{Rmt: p, Action: Action(rng.IntN(1000))})
		}
	}
	keys := make([]uint32, 1<<16)
	for i := range keys {
		if i%4 == 3 {
			keys[i] = unicast()
			continue
		}
		p := rules[rng.IntN(len(rules))].Rmt
		keys[i] = v4num(p.Addr()) | rng.Uint32()&^sdlMask4(p.Bits())
	}
	return rules, keys
}

// sdlMapPeer is the peer implementation: a Go map per prefix length, probed
// longest length first.
type sdlMapPeer struct {
	lens []int
	m    [33]map[uint32]Action
}

func newSDLMapPeer(rules []Rule) *sdlMapPeer {
	p := &sdlMapPeer{}
	for _, r := range rules {
		l := r.Rmt.Bits()
		if p.m[l] == nil {
			p.m[l] = map[uint32]Action{}
		}
		p.m[l][v4num(r.Rmt.Addr())] = r.Action
	}
	for l := 32; l > 0; l-- {
		if p.m[l] != nil {
			p.lens = append(p.lens, l)
		}
	}
	return p
}

func (p *sdlMapPeer) lookup(a uint32) Action {
	for _, l := range p.lens {
		if act, ok := p.m[l][a&sdlMask4(l)]; ok {
			return act
		}
	}
	return ActionNone
}

// sdlLinear is the other peer: a linear scan for the longest match.
type sdlLinear []struct {
	addr, mask uint32
	act        Action
}

func (s sdlLinear) lookup(a uint32) Action {
	best, act := uint32(0), ActionNone
	found := false
	for i := range s {
		e := &s[i]
		if a&e.mask == e.addr && (!found || e.mask > best) {
			best, act, found = e.mask, e.act, true
		}
	}
	return act
}

// BenchmarkSDLLookup measures IPv4 SDL lookups on deny-list-shaped sets:
// SDL.Lookup4 (subject) against a Go map per prefix length and a linear scan
// (peers), each called directly in its own loop.
func BenchmarkSDLLookup(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		rules, keys := sdlBenchSet(n)
		s := NewSDL()
		lin := make(sdlLinear, 0, n)
		for _, r := range rules {
			if err := s.Add(r); err != nil {
				b.Fatal(err)
			}
			lin = append(lin, struct {
				addr, mask uint32
				act        Action
			}{v4num(r.Rmt.Addr()), sdlMask4(r.Rmt.Bits()), r.Action})
		}
		mp := newSDLMapPeer(rules)
		for _, k := range keys[:1024] {
			if a, w := s.Lookup4(k), mp.lookup(k); a != w || lin.lookup(k) != w {
				b.Fatalf("key %08x: sdl %v, map %v, linear %v", k, a, w, lin.lookup(k))
			}
		}
		mask := len(keys) - 1
		runtime.GC()
		for _, impl := range []string{"sdl", "map", "linear"} {
			b.Run(fmt.Sprintf("prefixes=%d/impl=%s", n, impl), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				switch impl {
				case "sdl":
					for b.Loop() {
						sink = s.Lookup4(keys[i&mask])
						i++
					}
				case "map":
					for b.Loop() {
						sink = mp.lookup(keys[i&mask])
						i++
					}
				case "linear":
					for b.Loop() {
						sink = lin.lookup(keys[i&mask])
						i++
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
			})
		}
	}
}
