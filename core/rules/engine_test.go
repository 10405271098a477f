package rules

import (
	"fmt"
	"net/netip"
	"testing"
	"unsafe"
)

// engineShapes are engine settings that force its rarer paths: leaves too
// big for a ref (kBig), a root chain too long to flatten (search4 from the
// root), cuts everywhere, and the defaults.
var engineShapes = []struct {
	name                          string
	groupMax, buildDepth, flatMax int
	cheapLeaves                   bool
}{
	{"default", groupMax, buildDepth, flatMax, true},
	{"big-leaves", groupMax, 2, flatMax, true},
	{"no-flat-chain", groupMax, buildDepth, 1, true},
	{"short-chain", groupMax, buildDepth, 3, true},
	{"tiny-leaves", 1, buildDepth, flatMax, false},
}

func withShape(t *testing.T, gm, bd, fm int, cl bool, f func()) {
	t.Helper()
	defer func(gm, bd, fm int, cl bool) {
		groupMax, buildDepth, flatMax, cheapLeaves = gm, bd, fm, cl
	}(groupMax, buildDepth, flatMax, cheapLeaves)
	groupMax, buildDepth, flatMax, cheapLeaves = gm, bd, fm, cl
	f()
}

// checkEngine compares the fast engine (through Match, which counts
// nothing) with the tree walk on keys.
func checkEngine(t *testing.T, tab *Table, keys []key4t) {
	t.Helper()
	for _, k := range keys {
		lcl, rmt := numAddr(k.lcl), numAddr(k.rmt)
		want := tab.LookupTree(lcl, rmt, k.lp, k.rp)
		got := ActionNone
		if r, _, ok := tab.Match(lcl, rmt, k.lp, k.rp); ok {
			got = r.Action
		}
		if got != want {
			t.Fatalf("Match(%v:%d <- %v:%d) = %v, tree walk %v", lcl, k.lp, rmt, k.rp, got, want)
		}
	}
}

// checkShapeUsed fails if the engine does not have the feature its shape
// is meant to exercise.
func checkShapeUsed(t *testing.T, shape string, e *engine[a4]) {
	t.Helper()
	big := 0
	for i := range e.on {
		if e.on[i].kind == kBig && e.on[i].n > 0 {
			big++
		}
	}
	switch {
	case shape == "big-leaves" && big == 0:
		t.Errorf("%s: no leaf too big for a ref", shape)
	case shape == "no-flat-chain" && len(e.chain) <= flatMax:
		t.Errorf("%s: root chain of %d flattened", shape, len(e.chain))
	case shape == "tiny-leaves" && len(e.dn)+len(e.on) < 100:
		t.Errorf("%s: only %d cuts", shape, len(e.dn)+len(e.on))
	}
}

// ruleKey names a rule by its match and mask.
func ruleKey(r Rule) string { return fmt.Sprint(r.Lcl, r.LclPort, r.Rmt, r.RmtPort) }

// TestEngineShapes checks the engine against the tree walk on ClassBench
// sets under every engine shape, through inserts, lookups and deletes; and
// that the hits a rule has counted survive the rebuilds that later inserts
// and deletes cause.
func TestEngineShapes(t *testing.T) {
	for _, sh := range engineShapes {
		for _, kind := range []string{"acl", "fw", "worst"} {
			t.Run(fmt.Sprintf("%s/%s", sh.name, kind), func(t *testing.T) {
				withShape(t, sh.groupMax, sh.buildDepth, sh.flatMax, sh.cheapLeaves, func() {
					s := genSet(kind, 1500, 3)
					keys := s.keys(1<<11, 5)
					tab := buildTable(s.rules[:750])
					checkEngine(t, tab, keys)
					for _, k := range keys[:500] {
						tab.Lookup4(k.lcl, k.rmt, k.lp, k.rp)
					}
					hits := map[string]uint64{}
					for _, ri := range tab.Rules() {
						hits[ruleKey(ri.Rule)] = ri.Hits
					}
					for _, r := range s.rules[750:] {
						if err := tab.Add(r); err != nil {
							t.Fatal(err)
						}
					}
					checkEngine(t, tab, keys)
					checkShapeUsed(t, sh.name, tab.e4)
					for i := 0; i < 1500; i += 2 {
						if err := tab.Del(s.rules[i]); err != nil {
							t.Fatal(err)
						}
					}
					checkEngine(t, tab, keys)
					for _, ri := range tab.Rules() {
						if h, ok := hits[ruleKey(ri.Rule)]; ok && ri.Hits != h {
							t.Errorf("rule [%d] %v: %d hits after rebuilds, had %d", ri.Index, ri.Rule, ri.Hits, h)
						}
					}
				})
			})
		}
	}
}

// TestEngineLookupAllocs checks that lookups allocate nothing on a big
// table, whose lookups take the flattened chain and the depth-first search
// of cut kids.
func TestEngineLookupAllocs(t *testing.T) {
	s := genSet("fw", 4000, 11)
	tab := buildTable(s.rules)
	keys := s.keys(256, 13)
	i := 0
	if n := testing.AllocsPerRun(1000, func() {
		k := &keys[i%len(keys)]
		sink = tab.Lookup4(k.lcl, k.rmt, k.lp, k.rp)
		i++
	}); n != 0 {
		t.Errorf("%v allocations per lookup", n)
	}
	var addr netip.Addr
	if n := testing.AllocsPerRun(100, func() {
		k := &keys[i%len(keys)]
		addr = numAddr(k.rmt)
		_, _, _ = tab.Match(numAddr(k.lcl), addr, k.lp, k.rp)
		i++
	}); n != 0 {
		t.Errorf("Match: %v allocations", n)
	}
}

// TestEngineDifferential runs the differential test of FuzzEngines (tree,
// reference and engines on nested, overlapping, v4 and v6, tagged rule sets
// with interleaved deletes and relabels) under every engine shape.
func TestEngineDifferential(t *testing.T) {
	for _, sh := range engineShapes[1:] {
		t.Run(sh.name, func(t *testing.T) {
			withShape(t, sh.groupMax, sh.buildDepth, sh.flatMax, sh.cheapLeaves, func() {
				for seed, shape := range []uint8{0, shapeV6 | shapeManyPL, shapeWide | shapeChunks,
					shapeLabels | shapeV6, shapeDrain | shapeWide, shapeManyPL | shapeTags} {
					runEngines(t, uint64(seed+100), 600, shape, nil)
				}
			})
		})
	}
}

// TestPentLayout checks the IPv4 leaf layout a lookup's cache behaviour
// rests on: a rule is one 64-byte line, its head inside it, and the slab's
// slot 0 (read for kids that are not leaves) never matches.
func TestPentLayout(t *testing.T) {
	var p pent[a4]
	if s := unsafe.Sizeof(p); s != 64 {
		t.Errorf("pent[a4] is %d bytes, want 64", s)
	}
	if o := unsafe.Offsetof(p.h) + unsafe.Sizeof(p.h); o > 64 {
		t.Errorf("pent[a4]'s head ends at byte %d, past its line", o)
	}
	e := newEngine(keys4, mask4)
	if e.slab[0].label != noLabel {
		t.Errorf("slab slot 0 has label %#x, want noLabel", e.slab[0].label)
	}
	tab := NewTable(ProtoTCP, true)
	if err := tab.Add(Rule{Lcl: netip.MustParsePrefix("0.0.0.0/0"), Rmt: netip.MustParsePrefix("0.0.0.0/0"), LclPort: 80, Proto: ProtoTCP, Action: ActionDrop}); err != nil {
		t.Fatal(err)
	}
	if got := tab.Lookup4(0x01020304, 0x05060708, 80, 1234); got != ActionDrop {
		t.Fatalf("Lookup4 = %v, want drop", got)
	}
	for i := 1; i < len(tab.e4.slab); i++ {
		if p := &tab.e4.slab[i]; p.label != 0 && p.h.hits != 1 {
			t.Errorf("slot %d: %d hits, want 1 (counted in the rule's line)", i, p.h.hits)
		}
	}
}
