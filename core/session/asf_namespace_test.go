package session

import (
	"slices"
	"testing"

	"github.com/sessionlab/sessionlab/core/rules"
)

func tableNS(t *testing.T, l *Layer, ip6 bool, tableID uint32) []uint32 {
	t.Helper()
	fi, ok := l.FibIndex(ip6, tableID)
	if !ok {
		t.Fatalf("no table %d", tableID)
	}
	ns, ok := l.TableNamespaces(ip6, fi)
	if !ok {
		t.Fatalf("no session table for fib %d", fi)
	}
	return ns
}

// TestApplicationNamespace reproduces test_session.py
// TestApplicationNamespace.test_application_namespace: two namespaces on
// one interface share the interface's global table (its namespace list is
// default, ns0, ns1); deleting one removes it from the list; a rule for an
// unknown namespace index fails.
func TestApplicationNamespace(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	sw, err := l.AddInterface("loop0")
	if err != nil {
		t.Fatal(err)
	}
	app0, err := l.AddNamespace(NamespaceArgs{ID: "0", SwIfIndex: sw})
	if err != nil {
		t.Fatal(err)
	}
	app1, err := l.AddNamespace(NamespaceArgs{ID: "1", SwIfIndex: sw})
	if err != nil {
		t.Fatal(err)
	}
	r := rules.Rule{Lcl: pfx("172.100.1.1/32"), Rmt: pfx("172.100.1.2/32"), LclPort: 5000, RmtPort: 5000,
		Proto: rules.ProtoTCP, Action: 1, Scope: rules.ScopeGlobal}
	if err := l.RuleAddDel(RuleArgs{Rule: r, AppNs: app0, IsAdd: true, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if got := tableNS(t, l, false, 0); !slices.Equal(got, []uint32{0, app0, app1}) {
		t.Fatalf("session table should contain 3 appns indices (default, app0, app1): %v", got)
	}
	if rt := l.RuleTables(); len(rt) != 1 || !slices.Equal(rt[0].Namespaces, []uint32{0, app0, app1}) {
		t.Fatalf("rules dump: %+v", rt)
	}
	if err := l.DelNamespace("1"); err != nil {
		t.Fatal(err)
	}
	if got := tableNS(t, l, false, 0); !slices.Equal(got, []uint32{0, app0}) {
		t.Fatalf("session table should contain the remaining appns indices: %v", got)
	}
	if err := l.RuleAddDel(RuleArgs{Rule: r, AppNs: app0, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if err := l.DelNamespace("0"); err != nil {
		t.Fatal(err)
	}
	if err := l.RuleAddDel(RuleArgs{Rule: r, AppNs: 10, IsAdd: true, FibIndex: InvalidIndex}); !errIs(err, ErrInvalidNS) {
		t.Fatalf("bad appns index should fail with INVALID_NS: %v", err)
	}
}

// TestApplicationNamespaceBinding reproduces test_session.py
// TestApplicationNamespace.test_application_namespace_binding: table ids
// that do not exist are INVALID (-19); v4+v6, v4-only and v6-only
// namespaces; moving the namespace's interface to another VRF deletes and
// re-adds the namespace, which moves it to the new table (the old table's
// namespace list shrinks) and back.
func TestApplicationNamespaceBinding(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	sw, err := l.AddInterface("loop0")
	if err != nil {
		t.Fatal(err)
	}
	const tableID = 99
	if _, err := l.AddNamespace(NamespaceArgs{ID: "2", SwIfIndex: InvalidIndex, IP4FibID: tableID, IP6FibID: 0}); !errIs(err, ErrInvalid) || ErrInvalid.Code() != -19 {
		t.Fatalf("bad ip4_fib_id: %v", err)
	}
	if _, err := l.AddNamespace(NamespaceArgs{ID: "2", SwIfIndex: InvalidIndex, IP4FibID: 0, IP6FibID: tableID}); !errIs(err, ErrInvalid) {
		t.Fatalf("bad ip6_fib_id: %v", err)
	}
	if err := l.AddIPTable(false, tableID); err != nil {
		t.Fatal(err)
	}
	if err := l.AddIPTable(true, tableID); err != nil {
		t.Fatal(err)
	}
	for _, ids := range [][2]uint32{{tableID, tableID}, {tableID, InvalidIndex}, {InvalidIndex, tableID}} {
		idx, err := l.AddNamespace(NamespaceArgs{ID: "2", SwIfIndex: InvalidIndex, IP4FibID: ids[0], IP6FibID: ids[1]})
		if err != nil {
			t.Fatalf("valid table ids %v: %v", ids, err)
		}
		info, _ := l.Namespace("2")
		for f, id := range ids {
			if (id == InvalidIndex) != (info.FibIndex[f] == InvalidIndex) {
				t.Fatalf("ids %v: namespace %d fib indices %v", ids, idx, info.FibIndex)
			}
		}
		if err := l.DelNamespace("2"); err != nil {
			t.Fatal(err)
		}
	}
	app0, err := l.AddNamespace(NamespaceArgs{ID: "0", SwIfIndex: sw})
	if err != nil {
		t.Fatal(err)
	}
	r4 := rules.Rule{Lcl: pfx("172.100.1.1/32"), Rmt: pfx("172.100.1.2/32"), LclPort: 5000, RmtPort: 5000,
		Proto: rules.ProtoTCP, Action: 1, Scope: rules.ScopeGlobal}
	if err := l.RuleAddDel(RuleArgs{Rule: r4, AppNs: app0, IsAdd: true, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if got := tableNS(t, l, false, 0); len(got) != 2 {
		t.Fatalf("v4 table 0 should list 2 namespaces: %v", got)
	}
	// Move the interface to vrf 99: the namespace is re-created there.
	if err := l.SetInterfaceTable(sw, false, tableID); err != nil {
		t.Fatal(err)
	}
	if got := tableNS(t, l, false, 0); !slices.Equal(got, []uint32{0}) {
		t.Fatalf("v4 table 0 should list only the default namespace: %v", got)
	}
	if got := tableNS(t, l, false, tableID); !slices.Equal(got, []uint32{app0}) {
		t.Fatalf("v4 table 99 should list ns 0 (index %d): %v", app0, got)
	}
	if err := l.RuleAddDel(RuleArgs{Rule: r4, AppNs: 0, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if err := l.SetInterfaceTable(sw, false, 0); err != nil {
		t.Fatal(err)
	}
	r6 := rules.Rule{Lcl: pfx("2001::1/128"), Rmt: pfx("2002::1/128"), LclPort: 5000, RmtPort: 5000,
		Proto: rules.ProtoTCP, Action: 1, Scope: rules.ScopeGlobal}
	if err := l.RuleAddDel(RuleArgs{Rule: r6, AppNs: app0, IsAdd: true, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if got := tableNS(t, l, true, 0); len(got) != 2 {
		t.Fatalf("v6 table 0 should list 2 namespaces: %v", got)
	}
	if err := l.SetInterfaceTable(sw, true, tableID); err != nil {
		t.Fatal(err)
	}
	// The namespace was re-created with v4 table 0 and v6 table 99.
	if got := tableNS(t, l, false, 0); len(got) != 2 {
		t.Fatalf("v4 table 0 should still list 2 namespaces: %v", got)
	}
	if got := tableNS(t, l, true, 0); !slices.Equal(got, []uint32{0}) {
		t.Fatalf("v6 table 0 should list only the default namespace: %v", got)
	}
	if err := l.SetInterfaceTable(sw, true, 0); err != nil {
		t.Fatal(err)
	}
	if err := l.RuleAddDel(RuleArgs{Rule: r6, AppNs: 0, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if err := l.DelNamespace("0"); err != nil {
		t.Fatal(err)
	}
	if err := l.DelIPTable(false, tableID); err != nil {
		t.Fatal(err)
	}
	if err := l.DelIPTable(true, tableID); err != nil {
		t.Fatal(err)
	}
}

// TestApplicationNamespaceMoveFreesApps checks §5.5's consequence the
// VPP tests do not show: moving the interface frees the applications of
// the namespaces using it.
func TestApplicationNamespaceMoveFreesApps(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	sw := loopback(t, l, "loop0", 0, "10.0.0.1/24")
	if _, err := l.AddNamespace(NamespaceArgs{ID: "ns", Secret: 7, SwIfIndex: sw}); err != nil {
		t.Fatal(err)
	}
	app := mustAttach(t, l, AttachArgs{Name: "a", Namespace: "ns", Secret: 7})
	if _, err := l.Listen(ListenArgs{App: app, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 80, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if err := l.DelInterfaceAddress(sw, pfx("10.0.0.1/24")); err != nil {
		t.Fatal(err)
	}
	if err := l.AddIPTable(false, 5); err != nil {
		t.Fatal(err)
	}
	if err := l.SetInterfaceTable(sw, false, 5); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.AppIndex("a"); ok {
		t.Fatal("the application should have been freed with its namespace")
	}
	info, ok := l.Namespace("ns")
	if !ok || info.Secret != 7 || info.SwIfIndex != sw {
		t.Fatalf("namespace should be re-created with its secret and interface: %+v", info)
	}
	if fi, _ := l.FibIndex(false, 5); info.FibIndex[0] != fi {
		t.Fatalf("namespace should be in table 5: %+v", info)
	}
	if k := l.LeakCheck(); !k.Empty() {
		t.Fatalf("leaks: %+v", k)
	}
}
