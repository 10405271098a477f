package session

import "testing"

// TestSessionEndptCfg reproduces session_test.c "endpt-cfg"
// (session_test_endpoint_cfg): a server in a namespace bound to an
// interface in VRF 1 and a client in the default namespace (VRF 0), with
// routes leaking between the VRFs; the client connects with a forced local
// address and port, the transport connection carries them, the server's
// disconnect tears the client session down, and no local port stays in use.
// The test is then redone with the client in the non-default namespace.
func TestSessionEndptCfg(t *testing.T) {
	for _, clientInNS := range []bool{false, true} {
		name := "client-default-ns"
		if clientInNS {
			name = "client-in-ns"
		}
		t.Run(name, func(t *testing.T) {
			l, tcp, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
			tcp.Auto = true
			tcp.PeerFib = peerFibByAddr(l)
			const secret = 1234
			clientVrf, serverVrf := uint32(0), uint32(1)
			if clientInNS {
				clientVrf, serverVrf = 1, 0
			}
			loopback(t, l, "loop0", clientVrf, "1.1.1.1/24")
			loop1 := loopback(t, l, "loop1", serverVrf, "2.2.2.2/24")
			loop0, _ := l.InterfaceByName("loop0")

			nsSw, nsID := loop1, "appns_server"
			if clientInNS {
				nsSw, nsID = loop0, "appns_client"
			}
			if _, err := l.AddNamespace(NamespaceArgs{ID: nsID, Secret: secret, SwIfIndex: nsSw, IP4FibID: 0}); err != nil {
				t.Fatalf("app ns insertion should succeed: %v", err)
			}
			clientArgs := AttachArgs{Name: "session_test_client", Flags: AppIsBuiltin | AppUseGlobalScope}
			serverArgs := AttachArgs{Name: "session_test_server", Flags: AppIsBuiltin | AppUseGlobalScope, AddSegmentSize: 32 << 20}
			if clientInNS {
				clientArgs.Namespace, clientArgs.Secret = nsID, secret
			} else {
				serverArgs.Namespace, serverArgs.Secret = nsID, secret
			}
			client := mustAttach(t, l, clientArgs)
			server := mustAttach(t, l, serverArgs)
			lh, err := l.Listen(ListenArgs{App: server, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 1234, FibIndex: InvalidIndex})
			if err != nil {
				t.Fatalf("server bind should work: %v", err)
			}
			// Connect and force lcl ip.
			if _, err := l.Connect(ConnectArgs{App: client, Proto: ProtoTCP, Remote: ap("2.2.2.2:1234"),
				Local: ap("1.1.1.1:5678"), FibIndex: InvalidIndex}); err != nil {
				t.Fatalf("connect should work: %v", err)
			}
			cp, sp := newPlaceholder(l, client), newPlaceholder(l, server)
			settle(t, tcp, cp, sp)
			if cp.connected == InvalidHandle || sp.accepted == InvalidHandle {
				t.Fatalf("sessions should exist: connected %v accepted %v (client error %v)", cp.connected, sp.accepted, cp.connErr)
			}
			si, ok := l.Session(cp.connected)
			if !ok {
				t.Fatal("transport should exist")
			}
			if si.Local != ap("1.1.1.1:5678") {
				t.Fatalf("ips and ports should be equal: local %v", si.Local)
			}
			// Disconnect server session, should lead to faster port cleanup
			// on client.
			if err := l.Close(server, sp.accepted); err != nil {
				t.Fatalf("disconnect should work: %v", err)
			}
			settle(t, tcp, cp, sp)
			if cp.connected != InvalidHandle {
				t.Fatal("session should not exist")
			}
			if cp.errors != 0 || sp.errors != 0 {
				t.Fatal("no app session errors")
			}
			if err := l.Unlisten(server, lh); err != nil {
				t.Fatalf("server unbind should work: %v", err)
			}
			if n := l.PortsInUse(); n != 0 {
				t.Fatalf("port should be cleaned up: %d in use", n)
			}
			for _, a := range []uint32{server, client} {
				if err := l.Detach(a); err != nil {
					t.Fatal(err)
				}
			}
			if err := l.DelNamespace(nsID); err != nil {
				t.Fatalf("app ns delete should succeed: %v", err)
			}
			settle(t, tcp)
			if k := l.LeakCheck(); !k.Empty() {
				t.Fatalf("leaks: %+v", k)
			}
		})
	}
}
