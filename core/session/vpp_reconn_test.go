package session

import "testing"

// TestSessionReconnWhileClosed reproduces session_test.c
// "reconn-while-closed" (session_test_reconn_while_closed): the server
// closes a connection, the client side is torn down, the server's
// connection is forced to CLOSED (it lingers, still in the lookup table),
// and an immediate reconnect with the identical 5-tuple must succeed: the
// source port was released with the client session and the SYN that finds
// the closed server connection deletes it and reaches the listener.
func TestSessionReconnWhileClosed(t *testing.T) {
	l, tcp, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	tcp.Auto = true
	tcp.TimeWait = true
	tcp.PeerFib = peerFibByAddr(l)
	const secret = 1234
	loopback(t, l, "loop0", 0, "3.3.3.3/24")
	loop1 := loopback(t, l, "loop1", 1, "4.4.4.4/24")
	if _, err := l.AddNamespace(NamespaceArgs{ID: "appns_server", Secret: secret, SwIfIndex: loop1, IP4FibID: 0}); err != nil {
		t.Fatalf("app ns insertion should succeed: %v", err)
	}
	client := mustAttach(t, l, AttachArgs{Name: "session_test_client", Flags: AppIsBuiltin | AppUseGlobalScope})
	server := mustAttach(t, l, AttachArgs{Name: "session_test_server", Namespace: "appns_server", Secret: secret,
		Flags: AppIsBuiltin | AppUseGlobalScope, AddSegmentSize: 32 << 20})
	if _, err := l.Listen(ListenArgs{App: server, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 1234, FibIndex: InvalidIndex}); err != nil {
		t.Fatalf("server is listening: %v", err)
	}
	connect := ConnectArgs{App: client, Proto: ProtoTCP, Remote: ap("4.4.4.4:1234"), Local: ap("3.3.3.3:5678"), FibIndex: InvalidIndex}
	if _, err := l.Connect(connect); err != nil {
		t.Fatalf("connecting first session: %v", err)
	}
	cp, sp := newPlaceholder(l, client), newPlaceholder(l, server)
	settle(t, tcp, cp, sp)
	if sp.accepted == InvalidHandle {
		t.Fatal("first session is accepted")
	}
	if cp.connected == InvalidHandle {
		t.Fatal("first session is connected")
	}
	srv, _ := l.Session(sp.accepted)
	first := sp.accepted

	// Close the first connection from the server side.
	if err := l.Close(server, sp.accepted); err != nil {
		t.Fatalf("first session is being disconnected by server: %v", err)
	}
	settle(t, tcp, cp, sp)
	if cp.connected != InvalidHandle {
		t.Fatal("the client connection is disconnected")
	}
	// Force the server side to CLOSED.
	tcp.ForceClosed(srv.Conn)
	settle(t, tcp, cp, sp)
	if si, ok := l.Session(first); !ok || si.State != StateClosed {
		t.Fatalf("the server connection is in CLOSED: %+v (present %v)", si, ok)
	}

	// Second connection: identical 5-tuple.
	if _, err := l.Connect(connect); err != nil {
		t.Fatalf("immediate second connect should not fail: %v", err)
	}
	settle(t, tcp, cp, sp)
	if cp.connected == InvalidHandle {
		t.Fatalf("immediate second connection should establish (client error %v)", cp.connErr)
	}
	if err := l.Close(client, cp.connected); err != nil {
		t.Fatalf("second disconnect should work: %v", err)
	}
	settle(t, tcp, cp, sp)
	for _, a := range []uint32{server, client} {
		if err := l.Detach(a); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.DelNamespace("appns_server"); err != nil {
		t.Fatalf("app ns delete should succeed: %v", err)
	}
	tcp.ExpireTimeWait()
	settle(t, tcp)
	if k := l.LeakCheck(); !k.Empty() {
		t.Fatalf("leaks: %+v", k)
	}
	if cp.errors+sp.errors != 0 {
		t.Fatal("no app session errors")
	}
}
