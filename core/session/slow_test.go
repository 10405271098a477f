package session

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/sessionlab/sessionlab/core/rules"
	"pgregory.net/rapid"
)

// slowLookup is §3.3 by brute force, the obviously right reference for
// Lookup: scan every live record for an established session with the
// 5-tuple, then for a half-open, then ask the rules through the tree walk
// (rules' LookupTree, not the fast engine), then scan the listeners for
// the exact address, the zero address and the proxy key (port 0).
func slowLookup(l *Layer, th, fib uint32, p Proto, lcl, rmt netip.Addr, lport, rport uint16) LookupResult {
	none := LookupResult{Handle: InvalidHandle}
	f := famOf(lcl.Is4())
	if l.lookupTable(f, fib) == nil {
		return none
	}
	la, ra := addrFrom(lcl), addrFrom(rmt)
	match := func(s *session) bool {
		return s.fib == fib && s.isIP4() == lcl.Is4() && s.proto() == p && s.lcl == la && s.rmt == ra && s.lport == lport && s.rport == rport
	}
	for pass := range 2 {
		for t := range l.threads {
			pl := &l.threads[t].pool
			for i := range pl.recs {
				s := &pl.recs[i]
				if !s.inUse || s.state == StateListening || !match(s) {
					continue
				}
				h := MakeHandle(uint32(t), uint32(i))
				ho := s.flags&FlagHalfOpen != 0
				switch {
				case pass == 0 && !ho && s.state < StateTransportDeleted:
					// Sessions leave the table when the transport is deleted.
					if uint32(t) != th {
						return LookupResult{Kind: LookupWrongThread, Handle: h, Conn: InvalidIndex}
					}
					return LookupResult{Kind: LookupSession, Handle: h, Conn: InvalidIndex}
				case pass == 1 && ho && s.state == StateConnecting:
					v := MakeHandle(uint32(t), l.connOf(h))
					return LookupResult{Kind: LookupHalfOpen, Handle: v, Conn: v.Index()}
				}
			}
		}
	}
	if t := l.lookupTable(f, fib); t.rules != nil && l.rulesActive() {
		tt := t.rules.g.Transport(rules.Proto(p))
		act := uint32(tt.Table(lcl.Is4()).LookupTree(lcl, rmt, lport, rport))
		switch act {
		case ActionDrop:
			return LookupResult{Kind: LookupFiltered, Handle: InvalidHandle}
		case ActionAllow, ActionNone:
		default:
			if app := l.appAt(act); app != nil {
				for _, ali := range app.listeners {
					al := l.listeners[ali]
					if al.fam == f && al.proto == p && !al.proxy && al.ls != InvalidIndex {
						h := MakeHandle(0, al.ls)
						return LookupResult{Kind: LookupListener, Handle: h, Conn: l.connOf(h)}
					}
				}
			}
			return none
		}
	}
	var zero addr
	for _, want := range []struct {
		ip   addr
		port uint16
	}{{la, lport}, {zero, lport}, {la, 0}} {
		for _, al := range l.listeners {
			if al == nil || al.ls == InvalidIndex || al.fam != f || al.proto != p || al.fib != fib {
				continue
			}
			if al.gip == want.ip && al.port == want.port {
				h := MakeHandle(0, al.ls)
				return LookupResult{Kind: LookupListener, Handle: h, Conn: l.connOf(h)}
			}
		}
	}
	return none
}

// TestLookupAgainstSlow checks Lookup against slowLookup on random
// layers: established sessions on random threads, half-opens, exact,
// wildcard and proxy listeners, and random drop/allow/redirect rules.
func TestLookupAgainstSlow(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := smallConfig()
		cfg.Workers = 2
		l, err := New(Options{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Enable(EngineRuleTable); err != nil {
			t.Fatal(err)
		}
		tp := &TestTransport{L: l}
		_ = l.RegisterTransport(ProtoTCP, tp)
		_ = l.RegisterTransport(ProtoUDP, &TestTransport{L: l})
		sw, _ := l.AddInterface("loop0")
		_ = l.AddInterfaceAddress(sw, pfx("10.0.0.1/24"))
		_ = l.AddInterfaceAddress(sw, pfx("10.0.0.2/24"))
		addrs := []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}
		rmts := []string{"192.168.0.1", "192.168.0.2", "192.168.1.1"}
		ports := []uint16{80, 443, 1000, 0}
		protos := []Proto{ProtoTCP, ProtoUDP}
		var apps []uint32
		for i := range 3 {
			flags := AppUseGlobalScope
			if i == 2 {
				flags |= AppIsProxy
			}
			a, err := l.Attach(AttachArgs{Name: fmt.Sprint("app", i), Flags: flags, ProxyTransports: 1 << ProtoTCP})
			if err != nil {
				t.Fatal(err)
			}
			apps = append(apps, a)
		}
		for range rapid.IntRange(0, 4).Draw(t, "listeners") {
			a := apps[rapid.IntRange(0, 1).Draw(t, "app")]
			addr := rapid.SampledFrom([]string{"0.0.0.0", "10.0.0.1", "10.0.0.2"}).Draw(t, "laddr")
			_, _ = l.Listen(ListenArgs{App: a, Proto: rapid.SampledFrom(protos).Draw(t, "proto"), Addr: ip(addr),
				Port: rapid.SampledFrom(ports[:3]).Draw(t, "lport"), FibIndex: InvalidIndex})
		}
		apps2 := l.Apps()
		var listeners []Handle
		for _, a := range apps2 {
			for _, li := range a.Listeners {
				if li.Global != InvalidHandle && !li.Proxy {
					listeners = append(listeners, li.Global)
				}
			}
		}
		used := map[Connection]bool{}
		for i := range rapid.IntRange(0, 12).Draw(t, "sessions") {
			if len(listeners) == 0 {
				break
			}
			ls := rapid.SampledFrom(listeners).Draw(t, "listener")
			si, _ := l.Session(ls)
			lcl := si.Local.Addr()
			if lcl.IsUnspecified() {
				lcl = ip(rapid.SampledFrom(addrs).Draw(t, "lcl"))
			}
			c := Connection{Proto: si.Type.Proto(), Local: netip.AddrPortFrom(lcl, si.Local.Port()),
				Remote: netip.AddrPortFrom(ip(rapid.SampledFrom(rmts).Draw(t, "rmt")), rapid.SampledFrom(ports[:3]).Draw(t, "rport"))}
			if used[c] {
				continue // a transport never accepts a 5-tuple twice
			}
			used[c] = true
			h, err := l.Accept(uint32(rapid.IntRange(0, 2).Draw(t, "thread")), ls, uint32(i), c, false)
			if err == nil && rapid.Bool().Draw(t, "delete") {
				_ = l.TransportDelete(h)
			}
		}
		for range rapid.IntRange(0, 3).Draw(t, "half-opens") {
			_, _ = l.Connect(ConnectArgs{App: apps[0], Proto: ProtoTCP, FibIndex: InvalidIndex,
				Remote: netip.AddrPortFrom(ip(rapid.SampledFrom(rmts).Draw(t, "ho-rmt")), rapid.SampledFrom(ports[:3]).Draw(t, "ho-port"))})
		}
		for range rapid.IntRange(0, 5).Draw(t, "rules") {
			act := rapid.SampledFrom([]uint32{ActionDrop, ActionAllow, apps[0], apps[1], 17}).Draw(t, "action")
			r := rules.Rule{
				Lcl:     netip.PrefixFrom(ip(rapid.SampledFrom(addrs).Draw(t, "rl")), rapid.SampledFrom([]int{0, 24, 32}).Draw(t, "rll")),
				Rmt:     netip.PrefixFrom(ip(rapid.SampledFrom(rmts).Draw(t, "rr")), rapid.SampledFrom([]int{0, 16, 32}).Draw(t, "rrl")),
				LclPort: rapid.SampledFrom(ports).Draw(t, "rlp"), RmtPort: rapid.SampledFrom(ports).Draw(t, "rrp"),
				Proto: rules.Proto(rapid.SampledFrom(protos).Draw(t, "rproto")), Action: rules.Action(act), Scope: rules.ScopeGlobal,
			}
			if err := l.RuleAddDel(RuleArgs{Rule: r, IsAdd: true, FibIndex: InvalidIndex}); err != nil {
				t.Fatal(err)
			}
		}
		var kinds [6]int
		defer func() {
			if kinds[LookupNone] == 50 {
				t.Skip("nothing to look up")
			}
		}()
		for range 50 {
			th := uint32(rapid.IntRange(0, 2).Draw(t, "qthread"))
			p := rapid.SampledFrom(protos).Draw(t, "qproto")
			lcl := ip(rapid.SampledFrom(addrs).Draw(t, "qlcl"))
			rmt := ip(rapid.SampledFrom(rmts).Draw(t, "qrmt"))
			lp := rapid.SampledFrom(ports[:3]).Draw(t, "qlp")
			rp := rapid.SampledFrom(ports[:3]).Draw(t, "qrp")
			got := l.Lookup(th, 0, p, lcl, rmt, lp, rp)
			want := slowLookup(l, th, 0, p, lcl, rmt, lp, rp)
			kinds[want.Kind]++
			if got != want {
				t.Fatalf("lookup thread %d %s %v:%d <- %v:%d: got %+v, want %+v", th, p, lcl, lp, rmt, rp, got, want)
			}
		}
		_ = l.Release()
	})
}

// TestLookupAgainstSlowCoverage makes sure the random layers of
// TestLookupAgainstSlow produce every kind of result.
func TestLookupAgainstSlowCoverage(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	sw, _ := l.AddInterface("loop0")
	_ = l.AddInterfaceAddress(sw, pfx("10.0.0.1/24"))
	a := mustAttach(t, l, AttachArgs{Name: "a"})
	ls, err := l.Listen(ListenArgs{App: a, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 80, FibIndex: InvalidIndex})
	if err != nil {
		t.Fatal(err)
	}
	h, err := l.Accept(1%uint32(l.NumThreads()), ls, 1, Connection{Proto: ProtoTCP, Local: ap("10.0.0.1:80"), Remote: ap("192.168.0.1:1000")}, false)
	if err != nil {
		t.Fatal(err)
	}
	ho, err := l.Connect(ConnectArgs{App: a, Proto: ProtoTCP, Remote: ap("10.0.0.9:443"), FibIndex: InvalidIndex})
	if err != nil {
		t.Fatal(err)
	}
	_ = ho
	if err := l.RuleAddDel(RuleArgs{Rule: rules.Rule{Lcl: pfx("0.0.0.0/0"), Rmt: pfx("192.168.9.0/24"), Proto: rules.ProtoTCP,
		Action: rules.ActionDrop, Scope: rules.ScopeGlobal}, IsAdd: true, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	si, _ := l.Session(h)
	hoi, _ := l.Session(ho)
	cases := []struct {
		lcl, rmt   string
		lport, rp  uint16
		want       LookupKind
		wantHandle Handle
	}{
		{"10.0.0.1", "192.168.0.1", 80, 1000, LookupSession, h},
		{"10.0.0.1", "192.168.0.2", 80, 1000, LookupListener, ls},
		{"10.0.0.1", "192.168.9.1", 80, 1000, LookupFiltered, InvalidHandle},
		{"10.0.0.1", "192.168.0.1", 81, 1000, LookupNone, InvalidHandle},
		{hoi.Local.Addr().String(), "10.0.0.9", hoi.Local.Port(), 443, LookupHalfOpen, MakeHandle(hoi.Thread, hoi.Conn)},
	}
	for _, c := range cases {
		got := l.Lookup(si.Thread, 0, ProtoTCP, ip(c.lcl), ip(c.rmt), c.lport, c.rp)
		want := slowLookup(l, si.Thread, 0, ProtoTCP, ip(c.lcl), ip(c.rmt), c.lport, c.rp)
		if got != want || got.Kind != c.want || got.Handle != c.wantHandle {
			t.Errorf("%+v: got %+v, slow %+v", c, got, want)
		}
	}
	if l.NumThreads() == 1 {
		return
	}
	if r := l.Lookup(0, 0, ProtoTCP, ip("10.0.0.1"), ip("192.168.0.1"), 80, 1000); r.Kind != LookupWrongThread || r.Handle != h {
		t.Errorf("wrong thread: %+v", r)
	}
}
