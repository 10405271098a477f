package session

import (
	"net/netip"
	"testing"

	"github.com/sessionlab/sessionlab/core/rules"
)

// rule builds a rules.Rule from CLI-like strings.
func rule(lcl string, lport uint16, rmt string, rport uint16, act uint32, scope rules.Scope, tag string) rules.Rule {
	return rules.Rule{Lcl: pfx(lcl), Rmt: pfx(rmt), LclPort: lport, RmtPort: rport, Proto: rules.ProtoTCP,
		Action: rules.Action(act), Scope: scope, Tag: tag}
}

// TestSessionRulesTable reproduces session_test.c "rules-table"
// (session_test_rule_table) through the session layer: rules added to the
// default namespace's global table, most-specific matches between /16 and
// /24 rules, an overwrite changing the action, wildcard ports, and deletes
// restoring the less specific action.
func TestSessionRulesTable(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	lcl, rmt := ip("1.2.3.4"), ip("5.6.7.8")
	const lp, rp = 1234, 4321
	add := func(r rules.Rule, what string) {
		t.Helper()
		if err := l.RuleAddDel(RuleArgs{Rule: r, IsAdd: true, FibIndex: InvalidIndex}); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	del := func(r rules.Rule, what string) {
		t.Helper()
		if err := l.RuleAddDel(RuleArgs{Rule: r, FibIndex: InvalidIndex}); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	look := func(lcl, rmt netip.Addr, lport, rport uint16, want uint32, what string) {
		t.Helper()
		if got := l.RuleAction(0, ProtoTCP, lcl, rmt, lport, rport); got != want {
			t.Fatalf("%s: action %d, want %d", what, got, want)
		}
	}
	add(rule("1.2.3.4/16", lp, "5.6.7.8/16", rp, 1, 0, ""), "Add 1.2.3.4/16 1234 5.6.7.8/16 4321 action 1")
	look(lcl, rmt, lp, rp, 1, "Lookup 1.2.3.4 1234 5.6.7.8 4321")
	add(rule("1.2.3.4/24", lp, "5.6.7.8/16", rp, 2, 0, ""), "Add 1.2.3.4/24 1234 5.6.7.8/16 4321 action 2")
	add(rule("1.2.3.4/24", lp, "5.6.7.8/24", rp, 3, 0, ""), "Add 1.2.3.4/24 1234 5.6.7.8/24 4321 action 3")
	add(rule("2.2.2.2/24", lp, "6.6.6.6/16", rp, 4, 0, ""), "Add 2.2.2.2/24 1234 6.6.6.6/16 4321 action 4")
	add(rule("3.3.3.3/24", lp, "7.7.7.7/16", rp, 5, 0, ""), "Add 3.3.3.3/24 1234 7.7.7.7/16 4321 action 5")
	add(rule("3.3.3.3/24", lp, "7.7.7.7/16", rp, 6, 0, ""), "overwrite 3.3.3.3/24 1234 7.7.7.7/16 4321 action 6")
	look(lcl, rmt, lp, rp, 3, "Lookup 1.2.3.4 1234 5.6.7.8 4321")
	look(ip("1.2.2.4"), ip("5.6.7.9"), lp, rp, 1, "Lookup 1.2.2.4 1234 5.6.7.9 4321")
	look(ip("3.3.3.3"), ip("7.7.7.7"), lp, rp, 6, "Lookup 3.3.3.3 1234 7.7.7.7 4321 (updated)")

	add(rule("1.2.3.4/24", 0, "5.6.7.8/24", 0, 7, 0, ""), "Add 1.2.3.4/24 * 5.6.7.8/24 * action 7")
	look(lcl, rmt, lp, rp, 7, "Lookup 1.2.3.4 1234 5.6.7.8 4321 (lpm dst)")
	look(lcl, rmt, lp+1, rp, 7, "Lookup 1.2.3.4 1235 5.6.7.8 4321")

	del(rule("1.2.3.4/24", 0, "5.6.7.8/24", 0, 7, 0, ""), "Del 1.2.3.4/24 * 5.6.7.8/24 *")
	add(rule("1.2.3.4/16", 0, "5.6.7.8/16", 0, 8, 0, ""), "Add 1.2.3.4/16 * 5.6.7.8/16 * action 8")
	add(rule("1.2.3.4/24", lp+1, "5.6.7.8/24", rp, 9, 0, ""), "Add 1.2.3.4/24 1235 5.6.7.8/24 4321 action 9")
	look(lcl, rmt, lp, rp, 3, "Lookup 1.2.3.4 1234 5.6.7.8 4321")
	look(lcl, rmt, lp+1, rp, 9, "Lookup 1.2.3.4 1235 5.6.7.8 4321")
	look(lcl, rmt, lp+1, rp+1, 8, "Lookup 1.2.3.4 1235 5.6.7.8 4322")

	del(rule("1.2.3.4/16", lp, "5.6.7.8/16", rp, 0, 0, ""), "Del 1.2.0.0/16 1234 5.6.0.0/16 4321")
	look(lcl, rmt, lp, rp, 3, "Lookup 1.2.3.4 1234 5.6.7.8 4321")
	del(rule("1.2.3.4/16", 0, "5.6.7.8/16", 0, 0, 0, ""), "Del 1.2.0.0/16 * 5.6.0.0/16 *")
	look(lcl, rmt, lp, rp, 3, "Lookup 1.2.3.4 1234 5.6.7.8 4321")
	del(rule("1.2.3.4/24", lp, "5.6.7.8/24", rp, 0, 0, ""), "Del 1.2.3.4/24 1234 5.6.7.5/24")
	look(lcl, rmt, lp, rp, 2, "Action should be 2")
}

// TestSessionRules reproduces session_test.c "rules" (session_test_rules):
// rules integrated with lookups — a redirect to the server's listener, a
// drop rule giving FILTERED in the global table and DROP in the local one,
// an allow rule masking a deny, local-scope rules (local prefix zeroed),
// tag add/overwrite/delete, and per-namespace local rules filtering
// connects.
//
// Where VPP's local lookup returns the redirect's raw application index
// (QUIRK), this checks the fixed behaviour: the application's local
// listener.
func TestSessionRules(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	flags := AppIsBuiltin | AppUseGlobalScope | AppUseLocalScope
	server := mustAttach(t, l, AttachArgs{Name: "session_test", Flags: flags})
	lh, err := l.Listen(ListenArgs{App: server, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 1111, FibIndex: InvalidIndex})
	if err != nil {
		t.Fatalf("server bound: %v", err)
	}
	var localListener Handle
	for _, li := range l.Apps()[0].Listeners {
		if li.Handle == lh {
			localListener = li.Local
		}
	}
	lcl, rmt := ip("1.2.3.4"), ip("5.6.7.8")
	const lp, rp = 1234, 4321
	wt4 := func(lport uint16) LookupResult { return l.Lookup(0, 0, ProtoTCP, lcl, rmt, lport, rp) }
	localEp := func(ns uint32, dst string, port uint16) LocalResult {
		return l.LookupLocal(ns, ProtoTCP, ip(dst), port)
	}
	ruleOp := func(r rules.Rule, ns uint32, isAdd bool, what string) {
		t.Helper()
		if err := l.RuleAddDel(RuleArgs{Rule: r, AppNs: ns, IsAdd: isAdd, FibIndex: InvalidIndex}); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	both := rules.ScopeGlobal | rules.ScopeLocal

	if r := wt4(lp); r.Kind != LookupNone {
		t.Fatalf("optimized lookup should not work (port): %+v", r)
	}
	ruleOp(rule("1.2.3.4/16", lp, "5.6.7.8/16", rp, server, 0, ""), 0, true, "Add 1.2.3.4/16 1234 5.6.7.8/16 4321 action server")
	if r := wt4(lp); r.Kind != LookupListener || r.Handle != lh {
		t.Fatalf("lookup should return the listener: %+v", r)
	}
	if h := l.LookupSafe(0, ProtoTCP, lcl, rmt, lp, rp); h != lh {
		t.Fatalf("safe lookup should return the listener: %v", h)
	}
	if r := localEp(0, "5.6.7.8", rp); r.Kind == LocalListener {
		t.Fatal("local session endpoint lookup should not work (global scope)")
	}
	if r := wt4(lp + 1); r.Kind != LookupNone {
		t.Fatal("optimized lookup for wrong lcl port + 1 should not work")
	}

	ruleOp(rule("1.2.3.4/16", 0, "5.6.7.8/16", rp, server, both, ""), 0, true, "Add 1.2.3.4/16 * 5.6.7.8/16 4321")
	if r := wt4(lp + 1); r.Kind != LookupListener || r.Handle != lh {
		t.Fatal("optimized lookup for lcl port + 1 should work")
	}
	if r := localEp(0, "5.6.7.8", rp); r.Kind != LocalListener || r.App != server || r.Handle != localListener {
		t.Fatalf("local session endpoint lookup should work (lcl ip was zeroed): %+v", r)
	}

	ruleOp(rule("1.2.3.4/30", lp, "5.6.7.8/30", rp, ActionDrop, both, ""), 0, true, "Add 1.2.3.4/30 1234 5.6.7.8/30 4321 drop")
	if r := wt4(lp); r.Kind != LookupFiltered {
		t.Fatalf("lookup should be filtered (deny): %+v", r)
	}
	if r := localEp(0, "5.6.7.8", rp); r.Kind != LocalFiltered || r.Handle != DropHandle {
		t.Fatalf("lookup in local table should return deny: %+v", r)
	}
	if r := wt4(lp + 1); r.Kind != LookupListener {
		t.Fatal("lookup 1.2.3.4/32 1235 5.6.7.8/16 4321 should work")
	}

	// "Mask" the deny rule with a more specific allow.
	ruleOp(rule("1.2.3.4/32", lp, "5.6.7.8/32", rp, ActionAllow, both, ""), 0, true, "Add masking allow rule")
	if r := wt4(lp); r.Kind != LookupNone {
		t.Fatalf("lookup should fail (allow without app) and NOT be filtered: %+v", r)
	}
	if r := localEp(0, "5.6.7.8", rp); r.Kind != LocalNone || r.Handle != InvalidHandle {
		t.Fatalf("lookup in local table should return invalid: %+v", r)
	}
	if r := localEp(0, "5.6.7.9", rp); r.Kind != LocalFiltered {
		t.Fatalf("lookup for 5.6.7.9 in local table should return deny: %+v", r)
	}
	if _, err := l.Connect(ConnectArgs{App: server, Proto: ProtoTCP, Remote: ap("5.6.7.9:4321"), FibIndex: InvalidIndex}); !errIs(err, ErrFiltered) {
		t.Fatalf("connect should be filtered: %v", err)
	}
	ruleOp(rule("1.2.3.4/32", lp, "5.6.7.8/32", rp, 0, both, ""), 0, false, "Del masking allow rule")

	// Local scope rule with action none (replaces the redirect's action).
	ruleOp(rule("1.2.3.4/0", 0, "5.6.7.8/16", rp, ActionNone, both, ""), 0, true, "Add * * 5.6.7.8/16 4321 action -1")
	if r := localEp(0, "5.6.7.8", rp); r.Kind != LocalFiltered {
		t.Fatal("local session endpoint lookup should return deny")
	}
	ruleOp(rule("1.2.3.4/30", lp, "5.6.7.8/30", rp, 0, both, ""), 0, false, "Del 1.2.3.4/30 1234 5.6.7.8/30 4321 deny")
	if r := localEp(0, "5.6.7.8", rp); r.Kind != LocalNone || r.Handle != InvalidHandle {
		t.Fatalf("local session endpoint lookup should return invalid: %+v", r)
	}
	ruleOp(rule("1.2.3.4/0", 0, "5.6.7.8/16", rp, 0, both, ""), 0, false, "Del 0/0 * 5.6.7.8/16 4321")
	if r := localEp(0, "5.6.7.8", rp); r.Kind == LocalListener {
		t.Fatal("local session endpoint lookup should not work (removed)")
	}
	ruleOp(rule("1.2.3.4/16", 0, "5.6.7.8/16", rp, 0, both, ""), 0, false, "Del 1.2.3.4/16 * 5.6.7.8/16 4321")
	if r := wt4(lp + 1); r.Kind != LookupNone {
		t.Fatal("lookup 1.2.3.4/32 1235 5.6.7.8/16 4321 should not work (del)")
	}
	ruleOp(rule("1.2.3.4/16", lp, "5.6.7.8/16", rp, 0, both, ""), 0, false, "Del 1.2.3.4/16 1234 5.6.7.8/16 4321")
	if r := wt4(lp); r.Kind != LookupNone {
		t.Fatal("lookup 1.2.3.4/32 1234 5.6.7.8/16 4321 should not work (del + deny)")
	}

	// Tags: add, overwrite, delete.
	ruleOp(rule("1.2.3.4/16", lp, "5.6.7.8/16", rp, server, both, "test_rule"), 0, true, "Add tag test_rule")
	if r := wt4(lp); r.Kind != LookupListener {
		t.Fatal("lookup 1.2.3.4/32 1234 5.6.7.8/16 4321 should work")
	}
	ruleOp(rule("1.2.3.4/16", lp, "5.6.7.8/16", rp, server, both, "test_rule_overwrite"), 0, true, "Overwrite tag")
	ruleOp(rule("1.2.3.4/16", lp+1, "5.6.7.8/16", rp, server, both, "test_rule_overwrite"), 0, false, "Del by tag test_rule_overwrite")
	if r := wt4(lp); r.Kind != LookupNone {
		t.Fatal("lookup 1.2.3.4/32 1234 5.6.7.8/32 4321 should not work (del)")
	}

	// Local rules with multiple namespaces.
	local := rules.ScopeLocal
	ruleOp(rule("1.2.3.4/32", lp, "5.6.7.8/32", 0, ActionDrop, local, ""), 0, true, "Add deny 5.6.7.8/32 * local")
	ruleOp(rule("1.2.3.4/32", lp, "5.6.7.8/32", rp, ActionAllow, local, ""), 0, true, "Add allow 5.6.7.8/32 4321 local")
	ns1, err := l.AddNamespace(NamespaceArgs{ID: "appns1", SwIfIndex: InvalidIndex, IP4FibID: 0, IP6FibID: 0})
	if err != nil {
		t.Fatalf("app ns insertion should succeed: %v", err)
	}
	server2 := mustAttach(t, l, AttachArgs{Name: "server_test2", Namespace: "appns1", Flags: flags})
	ruleOp(rule("1.2.3.4/32", lp, "5.6.7.8/32", 0, ActionDrop, local, ""), ns1, true, "Add deny 5.6.7.8/32 * in test namespace")
	if r := localEp(0, "5.6.7.8", rp); r.Kind != LocalNone {
		t.Fatalf("lookup in default local table should return allow (invalid): %+v", r)
	}
	if r := localEp(0, "5.6.7.8", rp+1); r.Kind != LocalFiltered {
		t.Fatal("lookup 5.6.7.8 4322 in default local table should return deny")
	}
	conn := ConnectArgs{App: server, Proto: ProtoTCP, Remote: ap("5.6.7.8:4322"), FibIndex: InvalidIndex}
	if _, err := l.Connect(conn); !errIs(err, ErrFiltered) {
		t.Fatalf("connect should be filtered: %v", err)
	}
	if r := localEp(ns1, "5.6.7.8", rp+1); r.Kind != LocalFiltered {
		t.Fatal("lookup 5.6.7.8 4322 in test namespace should return deny")
	}
	if _, err := l.Connect(conn); !errIs(err, ErrFiltered) {
		t.Fatalf("connect should be filtered: %v", err)
	}
	ruleOp(rule("1.2.3.4/32", lp, "5.6.7.8/32", 0, 0, local, ""), ns1, false, "del ns1 deny")
	ruleOp(rule("1.2.3.4/32", lp, "5.6.7.8/32", 0, 0, local, ""), 0, false, "del default deny")
	ruleOp(rule("1.2.3.4/32", lp, "5.6.7.8/32", rp, 0, local, ""), 0, false, "del default allow")
	for _, a := range []uint32{server, server2} {
		if err := l.Detach(a); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.DelNamespace("appns1"); err != nil {
		t.Fatalf("app ns delete should succeed: %v", err)
	}
	if k := l.LeakCheck(); !k.Empty() {
		t.Fatalf("leaks: %+v", k)
	}
	if s := l.Stats(); s.Filtered == 0 || s.Errors[-ErrFiltered] != 3 {
		t.Fatalf("filtered lookups and connects should be counted: %d lookups, %d connect errors", s.Filtered, s.Errors[-ErrFiltered])
	}
}

// twoWorkerApp is a layer with loop0 (10.0.0.1/24) and a builtin
// global-scope app with a second worker, whose map index it returns.
func twoWorkerApp(t *testing.T) (*Layer, uint32, uint32) {
	t.Helper()
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	app := mustAttach(t, l, AttachArgs{Name: "s", Flags: AppIsBuiltin | AppUseGlobalScope})
	w1, err := l.AddWorker(app)
	if err != nil {
		t.Fatal(err)
	}
	loopback(t, l, "loop0", 0, "10.0.0.1/24")
	return l, app, w1
}

// A redirect rule in the global table goes to the application's default
// worker's first listener (spec §4.8): a listener that only another worker
// holds is not one, and the lookup finds nothing (no fall-through).
func TestRedirectNeedsDefaultWorkersListener(t *testing.T) {
	l, app, w1 := twoWorkerApp(t)
	if _, err := l.Listen(ListenArgs{App: app, Worker: w1, Proto: ProtoTCP, Addr: ip("10.0.0.1"), Port: 8080, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if err := l.RuleAddDel(RuleArgs{Rule: rule("10.0.0.1/32", 80, "0.0.0.0/0", 0, app, rules.ScopeGlobal, ""), IsAdd: true, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if r := l.Lookup(0, 0, ProtoTCP, ip("10.0.0.1"), ip("10.0.0.2"), 80, 5555); r.Kind != LookupNone {
		t.Fatalf("redirect to a listener only worker %d holds: %+v, want none", w1, r)
	}
}

// An app in the default namespace that names a fib gets that fib, 0
// included (spec §3.7 step 2): with the default namespace moved to table 5,
// a listen with FibIndex 0 listens in fib 0, and one without (InvalidIndex)
// in the namespace's.
func TestExplicitFibZero(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	if err := l.AddIPTable(false, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := l.AddNamespace(NamespaceArgs{ID: DefaultNamespace, SwIfIndex: InvalidIndex, IP4FibID: 5, IP6FibID: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	app := mustAttach(t, l, AttachArgs{Name: "s", Flags: AppIsBuiltin | AppUseGlobalScope})
	if _, err := l.Listen(ListenArgs{App: app, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 80, FibIndex: 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Listen(ListenArgs{App: app, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 81, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	fib5, ok := l.FibIndex(false, 5)
	if !ok || fib5 == 0 {
		t.Fatalf("table 5 has fib index %d (%v)", fib5, ok)
	}
	fibOf := func(port uint16) []uint32 {
		var in []uint32
		for _, fib := range []uint32{0, fib5} {
			if r := l.Lookup(0, fib, ProtoTCP, ip("0.0.0.0"), ip("10.0.0.2"), port, 5555); r.Kind == LookupListener {
				in = append(in, fib)
			}
		}
		return in
	}
	if got := fibOf(80); len(got) != 1 || got[0] != 0 {
		t.Errorf("FibIndex 0: listener in fibs %v, want [0]", got)
	}
	if got := fibOf(81); len(got) != 1 || got[0] == 0 {
		t.Errorf("no FibIndex: listener in fibs %v, want the namespace's (table 5)", got)
	}
}

// Unlisten is per worker (vnet_unlisten): the listener stays while another
// of its workers listens, and goes with the last one.
func TestUnlistenPerWorker(t *testing.T) {
	l, app, w1 := twoWorkerApp(t)
	var err error
	var lh Handle
	for _, w := range []uint32{0, w1} {
		if lh, err = l.Listen(ListenArgs{App: app, Worker: w, Proto: ProtoTCP, Addr: ip("10.0.0.1"), Port: 80, FibIndex: InvalidIndex}); err != nil {
			t.Fatal(err)
		}
	}
	listening := func() bool {
		return l.Lookup(0, 0, ProtoTCP, ip("10.0.0.1"), ip("10.0.0.2"), 80, 5555).Kind == LookupListener
	}
	if err := l.UnlistenWorker(app, 7, lh); !errIs(err, ErrInvalidAppWrk) {
		t.Fatalf("unlisten by a worker the app does not have: %v", err)
	}
	if err := l.UnlistenWorker(app, w1, lh); err != nil || !listening() {
		t.Fatalf("after worker %d unlistened (%v), the default worker still listens: listening %v", w1, err, listening())
	}
	if err := l.UnlistenWorker(app, w1, lh); err != nil || !listening() {
		t.Fatalf("a worker that no longer listens changes nothing: %v, listening %v", err, listening())
	}
	if err := l.Unlisten(app, lh); err != nil || listening() {
		t.Fatalf("after the last worker unlistened (%v) the listener should be gone: listening %v", err, listening())
	}
}
