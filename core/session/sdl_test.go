package session

import (
	"runtime"
	"testing"

	"github.com/sessionlab/sessionlab/core/rules"
)

// TestSDLEngine: with the sdl engine (spec §4.9) a rule keeps only its
// remote prefix, action and tag, in the global tables; lookups take the
// longest remote prefix (a drop filters the packet whatever its ports and
// local address); local-scope rules are skipped; the FIB's own routes and
// existing prefixes give IPINUSE, deletes of missing ones NOROUTE.
func TestSDLEngine(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineSDL)
	rvAddRule(t, l, rvRule("0.0.0.0/0", 0, "10.0.0.0/8", 0, ActionDrop, rules.ScopeGlobal))
	rvAddRule(t, l, rvRule("0.0.0.0/0", 0, "10.1.0.0/16", 0, ActionAllow, rules.ScopeGlobal))
	rvAddRule(t, l, rvRule("0.0.0.0/0", 0, "2001:db8::/32", 0, ActionDrop, rules.ScopeGlobal))
	for _, c := range []struct {
		rmt  string
		want LookupKind
	}{{"10.2.3.4", LookupFiltered}, {"10.1.3.4", LookupNone}, {"11.0.0.1", LookupNone}, {"2001:db8::1", LookupFiltered}, {"2001:db9::1", LookupNone}} {
		lcl := "1.1.1.1"
		if ip(c.rmt).Is6() {
			lcl = "2001::1"
		}
		if got := l.Lookup(0, 0, ProtoTCP, ip(lcl), ip(c.rmt), 80, 4000); got.Kind != c.want {
			t.Errorf("lookup from %s: %v, want %v", c.rmt, got.Kind, c.want)
		}
	}
	if got := l.RuleAction(0, ProtoUDP, ip("9.9.9.9"), ip("10.200.0.1"), 1, 2); got != ActionDrop {
		t.Errorf("the sdl ignores protocol, local address and ports: action %#x", got)
	}
	rvAddRule(t, l, rvRule("0.0.0.0/0", 0, "11.0.0.0/8", 0, ActionDrop, rules.ScopeLocal))
	if got := l.LocalRuleAction(0, ProtoTCP, ip("11.0.0.1"), 80); got != ActionNone {
		t.Errorf("local rules are skipped by the sdl engine: action %#x", got)
	}
	for _, c := range []struct {
		a    RuleArgs
		want Error
	}{
		{rvRule("0.0.0.0/0", 0, "10.0.0.0/8", 0, ActionAllow, rules.ScopeGlobal), ErrIPInUse},
		{rvRule("0.0.0.0/0", 0, "0.0.0.0/0", 0, ActionAllow, rules.ScopeGlobal), ErrIPInUse},
		{func() RuleArgs {
			a := rvRule("0.0.0.0/0", 0, "12.0.0.0/8", 0, 0, rules.ScopeGlobal)
			a.IsAdd = false
			return a
		}(), ErrNoRoute},
	} {
		if err := l.RuleAddDel(c.a); !errIs(err, c.want) {
			t.Errorf("%v (add %v): %v, want %v", c.a.Rule, c.a.IsAdd, err, c.want)
		}
	}
	var saw bool
	for _, ti := range l.RuleTables() {
		if ti.Group != nil {
			t.Errorf("table %d has a rule-table group under the sdl engine", ti.Table)
		}
		saw = saw || ti.SDL != nil && ti.SDL.Len() == 2 && !ti.IP6
	}
	if !saw {
		t.Error("RuleTables does not show the IPv4 SDL table with its two rules")
	}
}

// TestDisableFreesRules: disabling the rules engine frees the rules of
// every namespace's local table and of its fibs' global tables (VPP's
// session_rules_table_enable_disable walk), for both engines.
func TestDisableFreesRules(t *testing.T) {
	for _, e := range []Engine{EngineRuleTable, EngineSDL} {
		l, _, _ := newTestLayer(t, smallConfig(), e)
		rvAddRule(t, l, rvRule("0.0.0.0/0", 0, "10.0.0.0/8", 0, ActionDrop, rules.ScopeGlobal))
		if e == EngineRuleTable {
			rvAddRule(t, l, rvRule("0.0.0.0/0", 0, "11.0.0.0/8", 0, ActionDrop, rules.ScopeLocal))
		}
		if err := l.Disable(); err != nil {
			t.Fatal(err)
		}
		if err := l.Enable(e); err != nil {
			t.Fatal(err)
		}
		if got := l.RuleAction(0, ProtoTCP, ip("1.1.1.1"), ip("10.0.0.1"), 80, 80); got != ActionNone {
			t.Errorf("%s: a global rule outlived the disable: action %#x", e, got)
		}
		if got := l.LocalRuleAction(0, ProtoTCP, ip("11.0.0.1"), 80); got != ActionNone {
			t.Errorf("%s: a local rule outlived the disable: action %#x", e, got)
		}
	}
}

// TestEnableDisableCycles ports VPP's session_test_enable_disable: switching
// the rules engine back and forth (disable, sdl, disable, rule-table) with
// rules added in each phase leaves nothing behind: every disable frees the
// rules, no table is created twice, and the heap does not grow with the
// number of cycles.
func TestEnableDisableCycles(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	tables := len(l.tables)
	cycle := func() {
		for _, e := range []Engine{EngineSDL, EngineRuleTable} {
			if err := l.Disable(); err != nil {
				t.Fatal(err)
			}
			if n := len(l.RuleTables()); n != 0 {
				t.Fatalf("%d rule tables after a disable", n)
			}
			if err := l.Enable(e); err != nil {
				t.Fatal(err)
			}
			rvAddRule(t, l, rvRule("0.0.0.0/0", 0, "10.0.0.0/8", 0, ActionDrop, rules.ScopeGlobal))
			if got := l.RuleAction(0, ProtoTCP, ip("1.1.1.1"), ip("10.0.0.1"), 80, 80); got != ActionDrop {
				t.Fatalf("%s: rule not applied: %#x", e, got)
			}
		}
	}
	for range 10 { // warm up, as VPP's test does
		cycle()
	}
	before := heapInUse()
	for range 200 {
		cycle()
	}
	if after := heapInUse(); after > before+1<<20 {
		t.Errorf("heap grew from %d to %d bytes over 200 enable/disable cycles", before, after)
	}
	if len(l.tables) != tables {
		t.Errorf("%d tables after the cycles, %d before", len(l.tables), tables)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
