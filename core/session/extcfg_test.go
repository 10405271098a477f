package session

import (
	"net/netip"
	"testing"
)

// TestVPPExtCfg ports VPP's session_test_ext_cfg: configs of several types
// added to an endpoint are found again by type with their values; freeing
// drops them all.
func TestVPPExtCfg(t *testing.T) {
	var ext ExtCfgs
	ext.Add(ExtCfgHTTP, 4).SetOpaque(60)
	ext.Add(ExtCfgCrypto, 32).SetCkpairIndex(1)
	ext.Add(ExtCfgNone, 4).SetOpaque(345)
	if c := ext.Get(ExtCfgHTTP); c == nil || c.Opaque() != 60 {
		t.Fatalf("HTTP config: %+v, want opaque 60", c)
	}
	if c := ext.Get(ExtCfgCrypto); c == nil || c.CkpairIndex() != 1 || len(c.Data) != 32 {
		t.Fatalf("crypto config: %+v, want ckpair_index 1 in 32 bytes", c)
	}
	if c := ext.Get(ExtCfgNone); c == nil || c.Opaque() != 345 {
		t.Fatalf("NONE config: %+v, want opaque 345", c)
	}
	ext.Add(ExtCfgHTTP, 4).SetOpaque(7)
	if c := ext.Get(ExtCfgHTTP); c.Opaque() != 60 {
		t.Fatalf("Get returns the first config of a type: opaque %d", c.Opaque())
	}
	ext.Free()
	if ext.Len() != 0 || ext.Get(ExtCfgHTTP) != nil {
		t.Fatal("configs left after Free")
	}
	if (&ExtCfg{}).Opaque() != 0 {
		t.Fatal("a config without data has opaque 0")
	}
}

// TestExtCfgReachTransport: a listen's and a connect's extended configs
// reach the transport, with the session's handle, just before the call
// that creates it; without configs the transport is not bothered.
func TestExtCfgReachTransport(t *testing.T) {
	l, tcp, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	loopback(t, l, "loop0", 0, "10.0.0.1/24")
	srv := mustAttach(t, l, AttachArgs{Name: "srv"})
	la := ListenArgs{App: srv, Proto: ProtoTCP, Addr: ip("10.0.0.1"), Port: 443, FibIndex: InvalidIndex}
	la.Ext.Add(ExtCfgCrypto, 32).SetCkpairIndex(9)
	ls, err := l.Listen(la)
	if err != nil {
		t.Fatal(err)
	}
	cli := mustAttach(t, l, AttachArgs{Name: "cli"})
	ca := ConnectArgs{App: cli, Proto: ProtoTCP, Remote: netip.MustParseAddrPort("10.0.0.2:80"), FibIndex: InvalidIndex}
	ca.Ext.Add(ExtCfgHTTP, 8).SetOpaque(60)
	ho, err := l.Connect(ca)
	if err != nil {
		t.Fatal(err)
	}
	plain := ConnectArgs{App: cli, Proto: ProtoTCP, Remote: netip.MustParseAddrPort("10.0.0.3:80"), FibIndex: InvalidIndex}
	if _, err := l.Connect(plain); err != nil {
		t.Fatal(err)
	}
	var got []TransportCall
	for i, c := range tcp.Calls {
		if c.Op != "ext" {
			continue
		}
		got = append(got, c)
		if i+1 >= len(tcp.Calls) || tcp.Calls[i+1].Handle != c.Handle || (tcp.Calls[i+1].Op != "listen" && tcp.Calls[i+1].Op != "connect") {
			t.Errorf("ext call %d is not followed by the listen or connect of its session", i)
		}
	}
	if len(got) != 2 {
		t.Fatalf("%d ext calls, want 2 (the listen's and the first connect's)", len(got))
	}
	if got[0].Handle != ls || got[0].Ext.Get(ExtCfgCrypto).CkpairIndex() != 9 {
		t.Errorf("listen: %+v", got[0])
	}
	if got[1].Handle != ho || got[1].Ext.Get(ExtCfgHTTP).Opaque() != 60 {
		t.Errorf("connect: %+v", got[1])
	}
}
