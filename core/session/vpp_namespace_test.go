package session

import (
	"slices"
	"testing"
)

// eventTypes returns the types of evs.
func eventTypes(evs []AppEvent) []EventType {
	out := make([]EventType, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

func hasEvent(evs []AppEvent, typ EventType) (AppEvent, bool) {
	for _, e := range evs {
		if e.Type == typ {
			return e, true
		}
	}
	return AppEvent{}, false
}

// TestSessionNamespace reproduces session_test.c "namespace"
// (session_test_namespace): namespace insert and lookup, wrong secret,
// global-only listener present in the global table and absent from the
// local one, local+global listeners, connect to a zero IP
// (INVALID_RMT_IP), a local connect that triggers an accept through
// cut-through (with a new shared segment), a global connect without an
// interface (NOINTF), a local-only listener absent from the global table,
// a local-scope connect from the default namespace (NOROUTE), and a
// namespace with an interface (zero bind becomes the interface address in
// the global table only).
func TestSessionNamespace(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	const secret = 1234
	const port = 1234

	// Insert namespace and lookup.
	nsIndex, err := l.AddNamespace(NamespaceArgs{ID: "appns1", Secret: secret, SwIfIndex: InvalidIndex})
	if err != nil {
		t.Fatalf("app ns insertion should succeed: %v", err)
	}
	ns, ok := l.Namespace("appns1")
	if !ok || ns.Index != nsIndex {
		t.Fatal("should find ns appns1")
	}
	if ns.Secret != secret {
		t.Fatalf("secret should be %d, got %d", secret, ns.Secret)
	}
	if ns.SwIfIndex != InvalidIndex {
		t.Fatal("sw_if_index should be invalid")
	}

	// Application attach with wrong secret.
	_, err = l.Attach(AttachArgs{Name: "session_test", Namespace: "appns1", Secret: secret - 1,
		Flags: AppIsBuiltin | AppUseGlobalScope | AppUseLocalScope})
	if !errIs(err, ErrWrongNSSecret) {
		t.Fatalf("code should be wrong ns secret, got %v", err)
	}

	// Attach server with global default scope.
	server := mustAttach(t, l, AttachArgs{Name: "session_test", Flags: AppIsBuiltin})
	if a := l.Apps()[0]; a.Namespace != 0 {
		t.Fatal("server should be in the default ns")
	}
	bind := ListenArgs{App: server, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: port, FibIndex: InvalidIndex}
	lh, err := l.Listen(bind)
	if err != nil {
		t.Fatalf("server bind should work: %v", err)
	}
	h := l.LookupListener(0, ProtoTCP, ip("0.0.0.0"), port, false)
	if h == InvalidHandle {
		t.Fatal("listener should exist in global table")
	}
	if si, _ := l.Session(h); si.App != server {
		t.Fatal("app_index should be that of the server")
	}
	if r := l.LookupLocal(0, ProtoTCP, ip("0.0.0.0"), port); r.Kind != LocalNone {
		t.Fatalf("server shouldn't have access to local table: %+v", r)
	}
	if err := l.Unlisten(server, lh); err != nil {
		t.Fatalf("unbind should work: %v", err)
	}
	if h := l.LookupListener(0, ProtoTCP, ip("0.0.0.0"), port, false); h != InvalidHandle {
		t.Fatal("listener should not exist in global table")
	}
	if err := l.Detach(server); err != nil {
		t.Fatal(err)
	}

	// Attach server with local and global scope.
	server = mustAttach(t, l, AttachArgs{Name: "session_test", Namespace: "appns1", Secret: secret,
		Flags: AppIsBuiltin | AppUseGlobalScope | AppUseLocalScope})
	bind.App = server
	if lh, err = l.Listen(bind); err != nil {
		t.Fatalf("bind should work: %v", err)
	}
	h = l.LookupListener(0, ProtoTCP, ip("0.0.0.0"), port, false)
	if si, _ := l.Session(h); h == InvalidHandle || si.App != server {
		t.Fatal("listener should exist in global table and belong to the server")
	}
	if r := l.LookupLocal(nsIndex, ProtoTCP, ip("0.0.0.0"), port); r.Kind != LocalListener {
		t.Fatal("listener should exist in local table")
	}

	// Client connect with 1) local scope 2) global scope.
	client := mustAttach(t, l, AttachArgs{Name: "session_test_client", Namespace: "appns1", Secret: secret,
		Flags: AppIsBuiltin | AppUseLocalScope})
	conn := ConnectArgs{App: client, Proto: ProtoTCP, Remote: ap("0.0.0.0:1234"), FibIndex: InvalidIndex, Context: 4321}
	if _, err := l.Connect(conn); !errIs(err, ErrInvalidRmtIP) {
		t.Fatalf("error code should be invalid value (zero ip), got %v", err)
	}
	l.PollAll(0, 10)
	cq, sq := queueOf(t, l, client), queueOf(t, l, server)
	if _, ok := hasEvent(drain(cq), EventAppAddSegment); ok {
		t.Fatal("shouldn't have received request to map new segment")
	}
	conn.Remote = ap("127.0.0.0:1234")
	if _, err := l.Connect(conn); err != nil {
		t.Fatalf("client connect should not return error code: %v", err)
	}
	l.PollAll(0, 10)
	cevs, sevs := drain(cq), drain(sq)
	if _, ok := hasEvent(cevs, EventAppAddSegment); !ok {
		t.Fatalf("client should've received request to map new segment: %v", eventTypes(cevs))
	}
	acc, ok := hasEvent(sevs, EventAccepted)
	if !ok {
		t.Fatalf("should've received accept request: %v", eventTypes(sevs))
	}
	if acc.Listener != MakeHandle(0, l.LookupLocal(nsIndex, ProtoTCP, ip("0.0.0.0"), port).Handle.Index()) {
		t.Fatalf("accept should come from the local listener: %v", acc)
	}
	// The builtin app's accept callback sets the session ready.
	if err := l.AcceptReply(server, acc.Handle, ErrNone); err != nil {
		t.Fatal(err)
	}
	l.PollAll(0, 10)
	if ev, ok := hasEvent(drain(cq), EventConnected); !ok || ev.Err != ErrNone || ev.Context != 4321 {
		t.Fatalf("client should be connected through cut-through: %v", ev)
	}
	if err := l.Detach(client); err != nil {
		t.Fatal(err)
	}

	client = mustAttach(t, l, AttachArgs{Name: "session_test_client", Namespace: "appns1", Secret: secret,
		Flags: AppIsBuiltin | AppUseGlobalScope})
	conn.App = client
	if _, err := l.Connect(conn); !errIs(err, ErrNoIntf) {
		t.Fatalf("error code should be NOINTF (nothing in local scope), got %v", err)
	}
	if err := l.Detach(client); err != nil {
		t.Fatal(err)
	}

	// Unbind and detach server and then re-attach with local scope only.
	if err := l.Unlisten(server, lh); err != nil {
		t.Fatalf("unbind should work: %v", err)
	}
	if h := l.LookupListener(0, ProtoTCP, ip("0.0.0.0"), port, false); h != InvalidHandle {
		t.Fatal("listener should not exist in global table")
	}
	if r := l.LookupLocal(nsIndex, ProtoTCP, ip("0.0.0.0"), port); r.Kind != LocalNone {
		t.Fatal("listener should not exist in local table")
	}
	if err := l.Detach(server); err != nil {
		t.Fatal(err)
	}
	server = mustAttach(t, l, AttachArgs{Name: "session_test", Namespace: "appns1", Secret: secret,
		Flags: AppIsBuiltin | AppUseLocalScope})
	bind.App = server
	if lh, err = l.Listen(bind); err != nil {
		t.Fatalf("bind should work: %v", err)
	}
	if h := l.LookupListener(0, ProtoTCP, ip("0.0.0.0"), port, false); h != InvalidHandle {
		t.Fatal("listener should not exist in global table")
	}
	if r := l.LookupLocal(nsIndex, ProtoTCP, ip("0.0.0.0"), port); r.Kind != LocalListener {
		t.Fatal("listener should exist in local table")
	}
	if err := l.Unlisten(server, lh); err != nil {
		t.Fatalf("unbind should work: %v", err)
	}
	if r := l.LookupLocal(nsIndex, ProtoTCP, ip("0.0.0.0"), port); r.Kind != LocalNone {
		t.Fatal("listener should not exist in local table")
	}

	// Client attach + connect in default ns with local scope.
	client = mustAttach(t, l, AttachArgs{Name: "session_test_client", Flags: AppIsBuiltin | AppUseLocalScope})
	conn.App = client
	if _, err := l.Connect(conn); !errIs(err, ErrNoRoute) {
		t.Fatalf("error code should be noroute (not in same ns), got %v", err)
	}
	if err := l.Detach(client); err != nil {
		t.Fatal(err)
	}
	if err := l.Detach(server); err != nil {
		t.Fatal(err)
	}

	// Create loopback interface and update the namespace with it.
	sw := loopback(t, l, "loop0", 0, "7.0.1.5/24")
	if _, err := l.AddNamespace(NamespaceArgs{ID: "appns1", Secret: secret, SwIfIndex: sw}); err != nil {
		t.Fatalf("app ns update should succeed: %v", err)
	}
	server = mustAttach(t, l, AttachArgs{Name: "session_test", Namespace: "appns1", Secret: secret,
		Flags: AppIsBuiltin | AppUseGlobalScope | AppUseLocalScope})
	bind.App = server
	if _, err := l.Listen(bind); err != nil {
		t.Fatal(err)
	}
	if h := l.LookupListener(0, ProtoTCP, ip("0.0.0.0"), port, false); h != InvalidHandle {
		t.Fatal("zero listener should not exist in global table")
	}
	h = l.LookupListener(0, ProtoTCP, ip("7.0.1.5"), port, false)
	if si, _ := l.Session(h); h == InvalidHandle || si.App != server {
		t.Fatal("intf listener should exist in global table and be the server's")
	}
	if r := l.LookupLocal(nsIndex, ProtoTCP, ip("0.0.0.0"), port); r.Kind != LocalListener {
		t.Fatal("zero listener should exist in local table")
	}
	if err := l.Detach(server); err != nil {
		t.Fatal(err)
	}
	if err := l.DelNamespace("appns1"); err != nil {
		t.Fatalf("app ns delete should succeed: %v", err)
	}
	l.PollAll(0, 10)
	if k := l.LeakCheck(); !k.Empty() {
		t.Fatalf("leaks: %+v", k)
	}
	if ids := nsIDs(l); !slices.Equal(ids, []string{DefaultNamespace}) {
		t.Fatalf("namespaces after delete: %v", ids)
	}
}

func nsIDs(l *Layer) []string {
	var out []string
	for _, n := range l.Namespaces() {
		out = append(out, n.ID)
	}
	return out
}
