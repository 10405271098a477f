package rules

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// gen draws rules and keys from a small universe of addresses so that random
// rule sets are full of nesting, overlap, crossing ranges, duplicates and
// mixed ports.
type gen struct {
	rng   *rand.Rand
	data  []byte // fuzzer bytes steering the first choices
	shape uint8
}

const (
	shapeV6     = 1 << 0 // mix IPv6 rules in
	shapeManyPL = 1 << 1 // any prefix length, not just the usual ones
	shapeWide   = 1 << 2 // more short prefixes and wildcard ports
	shapeChunks = 1 << 3 // tiny chunks, to exercise splits and merges
	shapeTags   = 1 << 4 // many tags
	shapeLabels = 1 << 5 // tiny label space: frequent full relabels
	shapeDrain  = 1 << 6 // second half mostly deletes (big groups shrink)
	shapeGroups = 1 << 7 // tiny groups: the big-group paths everywhere
)

func (g *gen) byte() byte {
	if len(g.data) > 0 {
		b := g.data[0]
		g.data = g.data[1:]
		return b ^ byte(g.rng.Uint32())
	}
	return byte(g.rng.Uint32())
}

func (g *gen) intn(n int) int { return int(g.byte()) % n }

var v4Bases = []string{"10.0.0.0", "10.1.0.0", "10.1.2.0", "10.1.2.3", "10.1.3.0", "192.168.0.0",
	"192.168.1.128", "172.16.5.0", "0.0.0.0", "255.255.255.255", "10.255.255.255", "128.0.0.0"}
var v6Bases = []string{"2001:db8::", "2001:db8:1::", "2001:db8:1:2::", "2001:db8:1:2:8000::1",
	"fe80::", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8:0:0:8000::"}
var usualLens = []int{0, 8, 16, 24, 32}
var oddLens = []int{0, 1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 30, 31, 32}
var v6Lens = []int{0, 16, 32, 48, 63, 64, 65, 96, 127, 128}
var genPorts = []uint16{80, 443, 1234, 1, 65535, 22}

func (g *gen) addr(is4 bool) netip.Addr {
	bases := v6Bases
	if is4 {
		bases = v4Bases
	}
	a := netip.MustParseAddr(bases[g.intn(len(bases))])
	if g.intn(3) == 0 { // perturb some low bits
		b := a.AsSlice()
		b[len(b)-1-g.intn(3)] ^= g.byte()
		a, _ = netip.AddrFromSlice(b)
	}
	return a
}

func (g *gen) prefix(is4 bool) netip.Prefix {
	lens := usualLens
	switch {
	case !is4:
		lens = v6Lens
	case g.shape&shapeManyPL != 0:
		lens = oddLens
	}
	l := lens[g.intn(len(lens))]
	if g.shape&shapeWide != 0 && g.intn(3) == 0 {
		l = lens[g.intn(min(3, len(lens)))]
	}
	return netip.PrefixFrom(g.addr(is4), l).Masked()
}

func (g *gen) port() uint16 {
	wild := 3
	if g.shape&shapeWide != 0 {
		wild = 2
	}
	if g.intn(wild+1) != 0 {
		return 0
	}
	return genPorts[g.intn(len(genPorts))]
}

func (g *gen) rule(proto Proto) Rule {
	is4 := g.shape&shapeV6 == 0 || g.intn(3) != 0
	r := Rule{Lcl: g.prefix(is4), Rmt: g.prefix(is4), LclPort: g.port(), RmtPort: g.port(), Proto: proto}
	switch x := g.intn(20); {
	case x < 6:
		r.Action = ActionDrop
	case x < 10:
		r.Action = ActionAllow
	case x < 11:
		r.Action = ActionNone
	default:
		r.Action = Action(g.intn(6))
	}
	tagOdds := 8
	if g.shape&shapeTags != 0 {
		tagOdds = 2
	}
	if g.intn(tagOdds) == 0 {
		r.Tag = fmt.Sprintf("t%d", g.intn(12))
	}
	return r
}

// keyIn returns a key in or just around r.
func (g *gen) keyIn(r Rule) (lcl, rmt netip.Addr, lp, rp uint16) {
	pick := func(p netip.Prefix) netip.Addr {
		switch g.intn(6) {
		case 0:
			return p.Addr()
		case 1:
			return lastAddr(p)
		case 2:
			if a := p.Addr().Prev(); a.IsValid() {
				return a
			}
			return p.Addr()
		case 3:
			if a := lastAddr(p).Next(); a.IsValid() {
				return a
			}
			return lastAddr(p)
		default: // random inside
			b := p.Addr().AsSlice()
			for i := p.Bits(); i < len(b)*8; i++ {
				if g.intn(2) == 0 {
					b[i/8] |= 0x80 >> (i % 8)
				}
			}
			a, _ := netip.AddrFromSlice(b)
			return a
		}
	}
	port := func(p uint16) uint16 {
		switch g.intn(5) {
		case 0, 1:
			if p != 0 {
				return p
			}
		case 2:
			return p + 1
		case 3:
			return p - 1
		}
		return genPorts[g.intn(len(genPorts))]
	}
	return pick(r.Lcl), pick(r.Rmt), port(r.LclPort), port(r.RmtPort)
}

// harness keeps a TransportTable and the reference side by side.
type harness struct {
	t     testing.TB
	tt    *TransportTable
	ref   *refTransport
	rules []Rule // every rule ever added (for deletes and keys)
	g     *gen
}

func newHarness(t testing.TB, g *gen) *harness {
	return &harness{t: t, tt: NewTransportTable(ProtoTCP, false), ref: newRefTransport(ProtoTCP), g: g}
}

func (h *harness) step(drain bool) {
	g := h.g
	op := g.intn(20)
	if drain {
		op = 14 + g.intn(6)
	}
	switch {
	case op < 14 || len(h.rules) == 0: // add
		r := g.rule(ProtoTCP)
		nr, _ := r.Normalize()
		err := h.tt.Add(r)
		want := h.ref.add(nr)
		if !errors.Is(err, want) || (err == nil) != (want == nil) {
			h.t.Fatalf("add %v: got error %v, reference %v", r, err, want)
		}
		if err == nil {
			h.rules = append(h.rules, nr)
		}
	case op < 18: // delete an existing (or once existing) rule by match
		i := g.intn(len(h.rules))
		r := h.rules[i]
		h.rules[i] = h.rules[len(h.rules)-1]
		h.rules = h.rules[:len(h.rules)-1]
		r.Tag = ""
		if err := h.tt.Del(r); err != nil {
			h.t.Fatalf("del %v: %v", r, err)
		}
		h.ref.del(r, true)
	case op < 19: // delete by tag only
		r := Rule{Proto: ProtoTCP, Tag: fmt.Sprintf("t%d", g.intn(12))}
		if err := h.tt.Del(r); err != nil {
			h.t.Fatalf("del tag %q: %v", r.Tag, err)
		}
		h.ref.del(r, false)
	default: // delete a random rule by tuple (usually missing)
		r := g.rule(ProtoTCP)
		nr, _ := r.Normalize()
		nr.Tag = ""
		if err := h.tt.Del(nr); err != nil {
			h.t.Fatalf("del %v: %v", nr, err)
		}
		h.ref.del(nr, true)
	}
}

// checkStructure compares both families' listings with the reference.
func (h *harness) checkStructure() {
	h.t.Helper()
	for _, is4 := range []bool{true, false} {
		tab := h.tt.Table(is4)
		want := h.ref.table(is4).listing()
		got := tab.Rules()
		if len(got) != len(want) {
			h.t.Fatalf("is4=%v: %d rules, reference %d", is4, len(got), len(want))
		}
		for _, ri := range got {
			w, ok := want[ri.Index]
			if !ok {
				h.t.Fatalf("is4=%v: rule [%d] %v not in reference", is4, ri.Index, ri.Rule)
			}
			r := ri.Rule
			if !refSame(r, w.r) || r.Action != w.r.Action || r.Tag != w.r.Tag {
				h.t.Fatalf("is4=%v: rule [%d] = %v, reference %v", is4, ri.Index, r, w.r)
			}
			if !slices.Equal(ri.Children, w.kids) {
				h.t.Fatalf("is4=%v: rule [%d] %v children %v, reference %v", is4, ri.Index, r, ri.Children, w.kids)
			}
		}
		if tab.Len()+1 != len(want) {
			h.t.Fatalf("Len %d, reference %d rules incl. root", tab.Len(), len(want))
		}
	}
}

// checkKeys compares lookups on n keys: around random rules and random.
func (h *harness) checkKeys(n int) {
	h.t.Helper()
	g := h.g
	for i := 0; i < n; i++ {
		var lcl, rmt netip.Addr
		var lp, rp uint16
		if len(h.rules) > 0 && i%4 != 3 {
			lcl, rmt, lp, rp = g.keyIn(h.rules[g.intn(len(h.rules))])
		} else {
			is4 := g.shape&shapeV6 == 0 || g.intn(2) == 0
			lcl, rmt, lp, rp = g.addr(is4), g.addr(is4), g.port(), g.port()
		}
		h.checkKey(lcl, rmt, lp, rp)
	}
}

func (h *harness) checkKey(lcl, rmt netip.Addr, lp, rp uint16) {
	h.t.Helper()
	is4 := rmt.Is4()
	tab := h.tt.Table(is4)
	rt := h.ref.table(is4)
	want, wn := rt.lookup(rt.root, lcl, rmt, lp, rp)
	if got := tab.Lookup(lcl, rmt, lp, rp); got != want {
		h.t.Fatalf("Lookup(%v:%d <- %v:%d) = %v, reference %v (winner %v)", lcl, lp, rmt, rp, got, want, wn)
	}
	if got := tab.LookupTree(lcl, rmt, lp, rp); got != want {
		h.t.Fatalf("LookupTree(%v:%d <- %v:%d) = %v, reference %v", lcl, lp, rmt, rp, got, want)
	}
	if is4 {
		if got := tab.Lookup4(v4num(lcl), v4num(rmt), lp, rp); got != want {
			h.t.Fatalf("Lookup4(%v:%d <- %v:%d) = %v, reference %v", lcl, lp, rmt, rp, got, want)
		}
	}
	_, idx, ok := tab.Match(lcl, rmt, lp, rp)
	if ok != (wn != nil) || (ok && idx != wn.index) {
		h.t.Fatalf("Match(%v:%d <- %v:%d) = %d %v, reference %v", lcl, lp, rmt, rp, idx, ok, wn)
	}
	if got, w := tab.ShowMatch(lcl, rmt, lp, rp).Index, rt.showRule(rt.root, lcl, rmt, lp, rp); got != w.index {
		h.t.Fatalf("ShowMatch(%v:%d <- %v:%d) = %d, reference %d", lcl, lp, rmt, rp, got, w.index)
	}
}

func v4num(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// runEngines runs n random operations, checking structure and lookups as it
// goes and thoroughly at the end.
func runEngines(t testing.TB, seed uint64, n uint16, shape uint8, data []byte) {
	ops := min(int(n), 1500)
	if shape&shapeChunks != 0 {
		old := chunkMax
		chunkMax = 3
		defer func() { chunkMax = old }()
	}
	if shape&shapeLabels != 0 {
		old := labelMax
		labelMax = 1 << 14
		defer func() { labelMax = old }()
	}
	if shape&shapeGroups != 0 {
		old := groupMax
		groupMax = 8
		defer func() { groupMax = old }()
	}
	defer func(old int) { parentByProbe = old }(parentByProbe)
	parentByProbe = int(seed%3) - 1 // scan, choose, probe
	g := &gen{rng: rand.New(rand.NewPCG(seed, uint64(shape))), data: data, shape: shape}
	h := newHarness(t, g)
	every := max(ops/8, 1)
	for i := 0; i < ops; i++ {
		h.step(shape&shapeDrain != 0 && i > ops/2 && g.intn(5) != 0)
		if i%every == every-1 {
			h.checkStructure()
			h.checkKeys(64)
		}
	}
	h.checkStructure()
	h.checkKeys(400)
}

// FuzzEngines is the differential test: random rule sets (up to 1500
// operations: adds, replaces, deletes by match and by tag; nested,
// overlapping, crossing, mixed ports, both families) must give the same tree
// (indices, order, children, actions, tags) and the same answers from the
// fast engine, the tree walk and the reference, on keys at and around rule
// boundaries and random keys.
func FuzzEngines(f *testing.F) {
	f.Add(uint64(1), uint16(200), uint8(0), []byte{})
	f.Add(uint64(2), uint16(1000), uint8(shapeV6|shapeManyPL), []byte{})
	f.Add(uint64(3), uint16(800), uint8(shapeWide|shapeChunks), []byte{})
	f.Add(uint64(4), uint16(600), uint8(shapeV6|shapeWide|shapeTags), []byte{})
	f.Add(uint64(5), uint16(1200), uint8(shapeManyPL|shapeChunks|shapeTags), []byte("\x00\x01\x02"))
	f.Add(uint64(6), uint16(1000), uint8(shapeLabels|shapeGroups|shapeV6), []byte{})
	f.Add(uint64(7), uint16(1500), uint8(shapeDrain|shapeGroups|shapeWide), []byte{})
	f.Add(uint64(8), uint16(1500), uint8(shapeDrain|shapeLabels|shapeV6|shapeManyPL), []byte{})
	f.Fuzz(func(t *testing.T, seed uint64, n uint16, shape uint8, data []byte) {
		runEngines(t, seed, n, shape, data)
	})
}

// FuzzParseCommand feeds random lines to the `session rule` and `show session
// rules` parsers: they never panic; errors name a token at its column; a
// parsed command prints back to text that parses to the same command, and a
// table accepts it or rejects it with ErrInvalid.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"session rule add proto tcp 1.2.3.4/16 1234 5.6.7.8/16 4321 action 5",
		"session rule add appns ns1 proto udp ::/0 0 2001:db8::/32 53 action drop tag dns scope all",
		"session rule del proto tcp tag web",
		"show session rules tcp 1.2.3.4/32 1 5.6.7.8/32 2 scope local appns x",
		"session rule add proto tcp 1.2.3.4/33 70000 ::/0 1 action -2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		checkErr := func(err error) {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%q: error %T %v is not a *SyntaxError", line, err, err)
			}
			if se.Col > 0 && (se.Col > len(line) || !strings.HasPrefix(line[se.Col-1:], se.Token)) {
				t.Fatalf("%q: error column %d does not point at %q", line, se.Col, se.Token)
			}
		}
		c, err := ParseCommand(line)
		if err != nil {
			checkErr(err)
		} else {
			again, err := ParseCommand(c.String())
			if err != nil || again != c {
				t.Fatalf("%q: %+v prints as %q which parses to %+v, %v", line, c, c.String(), again, err)
			}
			tt := NewTransportTable(c.Rule.Proto, false)
			if c.Op == OpAdd {
				err = tt.Add(c.Rule)
			} else {
				err = tt.Del(c.Rule)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q: table error %v", line, err)
			}
		}
		if _, err := ParseShowCommand(line); err != nil {
			checkErr(err)
		}
	})
}
