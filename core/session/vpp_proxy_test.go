package session

import "testing"

// TestSessionProxy reproduces session_test.c "proxy" (session_test_proxy):
// a proxy application with global and local scope in a namespace bound to
// an interface gets a proxy listener in the global table (interface
// address, port 0) that incoming lookups for that address hit on any port,
// and a local proxy entry that connects in the namespace hit; both go when
// the application detaches.
func TestSessionProxy(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	sw := loopback(t, l, "loop0", 0, "1.2.3.4/24")
	if _, err := l.AddNamespace(NamespaceArgs{ID: DefaultNamespace, SwIfIndex: sw}); err != nil {
		t.Fatal(err)
	}
	server := mustAttach(t, l, AttachArgs{Name: "session_test",
		Flags:           AppIsBuiltin | AppAcceptRedirect | AppIsProxy | AppUseGlobalScope | AppUseLocalScope,
		ProxyTransports: 1 << ProtoTCP})
	r := l.Lookup(0, 0, ProtoTCP, ip("1.2.3.4"), ip("5.6.7.8"), 1234, 4321)
	if r.Kind != LookupListener {
		t.Fatalf("lookup 1.2.3.4 1234 5.6.7.8 4321 should be successful: %+v", r)
	}
	if si, _ := l.Session(r.Handle); si.App != server {
		t.Fatal("lookup should return the server")
	}
	if r := l.Lookup(0, 0, ProtoTCP, ip("5.6.7.8"), ip("5.6.7.8"), 1234, 4321); r.Kind != LookupNone {
		t.Fatalf("lookup 5.6.7.8 1234 5.6.7.8 4321 should not work: %+v", r)
	}
	if r := l.LookupLocal(0, ProtoTCP, ip("5.6.7.8"), 4321); r.Kind != LocalProxy || r.App != server {
		t.Fatalf("local session endpoint lookup should work: %+v", r)
	}
	if err := l.Detach(server); err != nil {
		t.Fatal(err)
	}
	if r := l.LookupLocal(0, ProtoTCP, ip("5.6.7.8"), 4321); r.Kind != LocalNone || r.App != InvalidIndex {
		t.Fatalf("local session endpoint lookup should not work after detach: %+v", r)
	}
	if r := l.Lookup(0, 0, ProtoTCP, ip("1.2.3.4"), ip("5.6.7.8"), 1234, 4321); r.Kind != LookupNone {
		t.Fatalf("proxy listener should be gone: %+v", r)
	}
	if _, err := l.AddNamespace(NamespaceArgs{ID: DefaultNamespace, SwIfIndex: InvalidIndex, IP4FibID: 0, IP6FibID: 0}); err != nil {
		t.Fatal(err)
	}
	if k := l.LeakCheck(); !k.Empty() {
		t.Fatalf("leaks: %+v", k)
	}
}
