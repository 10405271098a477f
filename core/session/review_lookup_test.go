package session

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/sessionlab/sessionlab/core/rules"
)

// Conformance tests for the session tables, lookups, application scope and
// namespaces (spec §3, §5, §9.1, §9.5, §9.6), written against the spec's
// statements rather than the implementation.

// rvLayer is a layer with two workers (threads 0, 1, 2), so that
// WRONG_THREAD and thread-encoded handles can be observed.
func rvLayer(t *testing.T) (*Layer, *TestTransport) {
	t.Helper()
	cfg := smallConfig()
	cfg.Workers = 2
	l, tcp, _ := newTestLayer(t, cfg, EngineRuleTable)
	return l, tcp
}

func rvListen(t *testing.T, l *Layer, app uint32, p Proto, addr string, port uint16) Handle {
	t.Helper()
	h, err := l.Listen(ListenArgs{App: app, Proto: p, Addr: ip(addr), Port: port, FibIndex: InvalidIndex})
	if err != nil {
		t.Fatalf("listen %s:%d: %v", addr, port, err)
	}
	return h
}

func rvAccept(t *testing.T, l *Layer, th uint32, ls Handle, lcl, rmt string) Handle {
	t.Helper()
	h, err := l.Accept(th, ls, 7, Connection{Proto: ProtoTCP, Local: ap(lcl), Remote: ap(rmt)}, false)
	if err != nil {
		t.Fatalf("accept %s <- %s: %v", lcl, rmt, err)
	}
	return h
}

func rvRule(lcl string, lport uint16, rmt string, rport uint16, act uint32, scope rules.Scope) RuleArgs {
	return RuleArgs{Rule: rules.Rule{Lcl: pfx(lcl), Rmt: pfx(rmt), LclPort: lport, RmtPort: rport,
		Proto: rules.ProtoTCP, Action: rules.Action(act), Scope: scope}, IsAdd: true, FibIndex: InvalidIndex}
}

func rvAddRule(t *testing.T, l *Layer, a RuleArgs) {
	t.Helper()
	if err := l.RuleAddDel(a); err != nil {
		t.Fatalf("rule %v: %v", a.Rule, err)
	}
}

// TestReviewLookupOrder walks §3.3 step by step, IPv4 and IPv6: an
// established 5-tuple wins over everything (WRONG_THREAD when another
// thread owns it), then half-opens, then global rules (DROP → FILTERED,
// ALLOW/no rule → listeners, redirect → the app's listener with no
// fallback), then exact, zero-address and proxy listeners.
func TestReviewLookupOrder(t *testing.T) {
	for _, fam := range []struct {
		name               string
		lcl, lcl2, rmt     string
		zero               string
		all, host, rmtHost string
	}{
		{"ip4", "10.0.0.1", "10.0.0.9", "10.0.0.2", "0.0.0.0", "0.0.0.0/0", "10.0.0.2/32", "10.0.0.1/32"},
		{"ip6", "2001:db8::1", "2001:db8::9", "2001:db8::2", "::", "::/0", "2001:db8::2/128", "2001:db8::1/128"},
	} {
		t.Run(fam.name, func(t *testing.T) {
			l, _ := rvLayer(t)
			sw, _ := l.AddInterface("loop0")
			for _, a := range []string{fam.lcl, fam.lcl2} {
				bits := 24
				if !ip(a).Is4() {
					bits = 64
				}
				if err := l.AddInterfaceAddress(sw, netip.PrefixFrom(ip(a), bits)); err != nil {
					t.Fatal(err)
				}
			}
			srv := mustAttach(t, l, AttachArgs{Name: "srv"})
			other := mustAttach(t, l, AttachArgs{Name: "other"})
			exact := rvListen(t, l, srv, ProtoTCP, fam.lcl, 80)
			zero := rvListen(t, l, other, ProtoTCP, fam.zero, 80)
			lk := func(th uint32, lcl string, lport, rport uint16) LookupResult {
				return l.Lookup(th, 0, ProtoTCP, ip(lcl), ip(fam.rmt), lport, rport)
			}
			// Listener steps: exact address, then the zero address.
			if r := lk(1, fam.lcl, 80, 5000); r.Kind != LookupListener || r.Handle != exact {
				t.Fatalf("exact listener: %+v, want %v", r, exact)
			}
			if r := lk(1, fam.lcl2, 80, 5000); r.Kind != LookupListener || r.Handle != zero {
				t.Fatalf("zero-address listener: %+v, want %v", r, zero)
			}
			if r := lk(1, fam.lcl2, 81, 5000); r.Kind != LookupNone || r.Handle != InvalidHandle {
				t.Fatalf("no listener: %+v", r)
			}
			// An established session on thread 2: WRONG_THREAD from
			// thread 1, the session from thread 2.
			s := rvAccept(t, l, 2, exact, netip.AddrPortFrom(ip(fam.lcl), 80).String(),
				netip.AddrPortFrom(ip(fam.rmt), 5000).String())
			if s.Thread() != 2 {
				t.Fatalf("accepted on thread 2, handle %v", s)
			}
			if r := lk(1, fam.lcl, 80, 5000); r.Kind != LookupWrongThread || r.Handle != s {
				t.Fatalf("other thread: %+v, want WRONG_THREAD %v", r, s)
			}
			if r := lk(2, fam.lcl, 80, 5000); r.Kind != LookupSession || r.Handle != s {
				t.Fatalf("own thread: %+v, want session %v", r, s)
			}
			if h := l.LookupSafe(0, ProtoTCP, ip(fam.lcl), ip(fam.rmt), 80, 5000); h != s {
				t.Fatalf("safe lookup ignores threads: %v, want %v", h, s)
			}
			// A drop rule covering everything: the established
			// session still wins, a new 5-tuple is FILTERED.
			rvAddRule(t, l, rvRule(fam.all, 0, fam.all, 0, ActionDrop, rules.ScopeGlobal))
			if r := lk(2, fam.lcl, 80, 5000); r.Kind != LookupSession {
				t.Fatalf("established before rules: %+v", r)
			}
			if r := lk(2, fam.lcl, 80, 5001); r.Kind != LookupFiltered || r.Handle != InvalidHandle {
				t.Fatalf("drop rule: %+v, want FILTERED", r)
			}
			if h := l.LookupSafe(0, ProtoTCP, ip(fam.lcl), ip(fam.rmt), 80, 5001); h != InvalidHandle {
				t.Fatalf("safe lookup of a dropped 5-tuple: %v", h)
			}
			// A more specific ALLOW masks the drop: listeners again.
			rvAddRule(t, l, rvRule(fam.rmtHost, 0, fam.host, 0, ActionAllow, rules.ScopeGlobal))
			if r := lk(2, fam.lcl, 80, 5001); r.Kind != LookupListener || r.Handle != exact {
				t.Fatalf("allow rule falls through to the listeners: %+v", r)
			}
			// A redirect to an app without a listener of this type:
			// nothing, although listeners exist (no fallback).
			nol := mustAttach(t, l, AttachArgs{Name: "nol"})
			rvAddRule(t, l, rvRule(fam.rmtHost, 80, fam.host, 0, nol, rules.ScopeGlobal))
			if r := lk(2, fam.lcl, 80, 5001); r.Kind != LookupNone || r.Handle != InvalidHandle {
				t.Fatalf("redirect to an app without listener: %+v, want none", r)
			}
			// A redirect to "other": its listener (the zero one), even
			// though the packet's exact listener belongs to srv.
			rvAddRule(t, l, rvRule(fam.rmtHost, 80, fam.host, 0, other, rules.ScopeGlobal))
			if r := lk(2, fam.lcl, 80, 5001); r.Kind != LookupListener || r.Handle != zero {
				t.Fatalf("redirect: %+v, want %v", r, zero)
			}
			if h := l.LookupSafe(0, ProtoTCP, ip(fam.lcl), ip(fam.rmt), 80, 5001); h != zero {
				t.Fatalf("safe lookup follows the redirect: %v, want %v", h, zero)
			}
		})
	}
}

// TestReviewLookupHalfOpen: a half-open 5-tuple is found after the
// established table and before rules (§3.3 step 3); its value is the
// transport's half-open connection; it goes when the connect completes.
func TestReviewLookupHalfOpen(t *testing.T) {
	l, tcp := rvLayer(t)
	loopback(t, l, "loop0", 0, "10.0.0.1/24")
	cli := mustAttach(t, l, AttachArgs{Name: "cli"})
	ho, err := l.Connect(ConnectArgs{App: cli, Proto: ProtoTCP, Remote: ap("10.0.0.2:80"), Local: ap("10.0.0.1:4000"), FibIndex: InvalidIndex})
	if err != nil {
		t.Fatal(err)
	}
	if ho.Thread() != l.CtrlThread() || l.CtrlThread() != 1 {
		t.Fatalf("half-open %v should live on the transport control thread 1", ho)
	}
	conn := tcp.Calls[len(tcp.Calls)-1].Conn
	rvAddRule(t, l, rvRule("0.0.0.0/0", 0, "0.0.0.0/0", 0, ActionDrop, rules.ScopeGlobal))
	for _, th := range []uint32{0, 1, 2} {
		r := l.Lookup(th, 0, ProtoTCP, ip("10.0.0.1"), ip("10.0.0.2"), 4000, 80)
		if r.Kind != LookupHalfOpen || r.Conn != conn {
			t.Fatalf("thread %d: %+v, want half-open conn %d before the drop rule", th, r, conn)
		}
	}
	if h := l.LookupSafe(0, ProtoTCP, ip("10.0.0.1"), ip("10.0.0.2"), 4000, 80); h != InvalidHandle {
		t.Fatalf("safe lookup skips half-opens (and the drop rule filters): %v", h)
	}
	// UDP does not see the TCP half-open (proto is part of the key).
	if r := l.Lookup(1, 0, ProtoUDP, ip("10.0.0.1"), ip("10.0.0.2"), 4000, 80); r.Kind == LookupHalfOpen {
		t.Fatalf("UDP lookup found the TCP half-open: %+v", r)
	}
}

// TestReviewLookupNoTable: a fib without a session table finds nothing
// (§3.3 step 1), for every lookup variant.
func TestReviewLookupNoTable(t *testing.T) {
	l, _ := rvLayer(t)
	if r := l.Lookup(0, 77, ProtoTCP, ip("1.1.1.1"), ip("2.2.2.2"), 1, 2); r.Kind != LookupNone || r.Handle != InvalidHandle {
		t.Fatalf("v4: %+v", r)
	}
	if r := l.Lookup(0, 77, ProtoTCP, ip("::1"), ip("::2"), 1, 2); r.Kind != LookupNone || r.Handle != InvalidHandle {
		t.Fatalf("v6: %+v", r)
	}
	if h := l.LookupListener(77, ProtoTCP, ip("0.0.0.0"), 1, true); h != InvalidHandle {
		t.Fatal(h)
	}
	if h := l.LookupSafe(77, ProtoTCP, ip("1.1.1.1"), ip("2.2.2.2"), 1, 2); h != InvalidHandle {
		t.Fatal(h)
	}
}

// TestReviewListenerLookupVariants: §3.4 — the non-wildcard lookup skips
// only the zero-address step; the proxy key (port 0) is tried by both.
func TestReviewListenerLookupVariants(t *testing.T) {
	l, _ := rvLayer(t)
	loopback(t, l, "loop0", 0, "10.0.0.1/24")
	a := mustAttach(t, l, AttachArgs{Name: "a"})
	b := mustAttach(t, l, AttachArgs{Name: "b"})
	z := rvListen(t, l, a, ProtoTCP, "0.0.0.0", 80)
	p := rvListen(t, l, b, ProtoTCP, "10.0.0.1", 0) // key (10.0.0.1, port 0) = the proxy key
	cases := []struct {
		addr     string
		port     uint16
		wildcard bool
		want     Handle
	}{
		{"10.0.0.1", 80, true, z},  // exact miss, zero hit
		{"10.0.0.1", 80, false, p}, // exact miss, zero skipped, proxy hit
		{"10.0.0.1", 81, true, p},  // proxy for any port
		{"10.0.0.2", 80, false, InvalidHandle},
		{"0.0.0.0", 80, false, z}, // exact on the zero key
		{"10.0.0.2", 81, true, InvalidHandle},
	}
	for _, c := range cases {
		if h := l.LookupListener(0, ProtoTCP, ip(c.addr), c.port, c.wildcard); h != c.want {
			t.Errorf("%s:%d wildcard=%v: %v, want %v", c.addr, c.port, c.wildcard, h, c.want)
		}
	}
	if h := l.LookupListener(0, ProtoUDP, ip("10.0.0.1"), 80, true); h != InvalidHandle {
		t.Errorf("UDP must not see TCP listeners: %v", h)
	}
}

// TestReviewLocalEndpoint: §3.5 on a namespace's local table: rules
// first (DROP → DROP_HANDLE), the exact key, the zero key only for a
// loopback destination (127/8, ::1), then the local proxy entry.
func TestReviewLocalEndpoint(t *testing.T) {
	l, _ := rvLayer(t)
	ns, err := l.AddNamespace(NamespaceArgs{ID: "n", SwIfIndex: InvalidIndex})
	if err != nil {
		t.Fatal(err)
	}
	srv := mustAttach(t, l, AttachArgs{Name: "srv", Namespace: "n", Flags: AppUseLocalScope})
	z4 := rvListen(t, l, srv, ProtoTCP, "0.0.0.0", 80)
	z6 := rvListen(t, l, srv, ProtoTCP, "::", 80)
	lo := rvListen(t, l, srv, ProtoTCP, "127.0.0.5", 90)
	cases := []struct {
		addr string
		port uint16
		kind LocalKind
		h    Handle
	}{
		{"0.0.0.0", 80, LocalListener, z4},
		{"127.0.0.1", 80, LocalListener, z4},   // loopback → zero
		{"127.255.1.2", 80, LocalListener, z4}, // all of 127/8
		{"10.0.0.1", 80, LocalNone, InvalidHandle},
		{"128.0.0.1", 80, LocalNone, InvalidHandle},
		{"::", 80, LocalListener, z6},
		{"::1", 80, LocalListener, z6},
		{"::2", 80, LocalNone, InvalidHandle},
		{"127.0.0.5", 90, LocalListener, lo}, // exact loopback key
		{"127.0.0.6", 90, LocalNone, InvalidHandle},
		{"0.0.0.0", 81, LocalNone, InvalidHandle},
	}
	for _, c := range cases {
		r := l.LookupLocal(ns, ProtoTCP, ip(c.addr), c.port)
		if r.Kind != c.kind || r.Handle != c.h {
			t.Errorf("%s:%d: %+v, want kind %d handle %v", c.addr, c.port, r, c.kind, c.h)
		}
	}
	if r := l.LookupLocal(ns, ProtoUDP, ip("127.0.0.1"), 80); r.Kind != LocalNone {
		t.Errorf("UDP must not match a TCP local listener: %+v", r)
	}
	// The default namespace's local table does not hold n's listeners.
	if r := l.LookupLocal(0, ProtoTCP, ip("127.0.0.1"), 80); r.Kind != LocalNone {
		t.Errorf("another namespace's local table: %+v", r)
	}
	// Local rules come first: lcl is zeroed, rmt = destination.
	r := rvRule("0.0.0.0/0", 0, "127.0.0.0/8", 80, ActionDrop, rules.ScopeLocal)
	r.AppNs = ns
	rvAddRule(t, l, r)
	if got := l.LookupLocal(ns, ProtoTCP, ip("127.0.0.1"), 80); got.Kind != LocalFiltered || got.Handle != DropHandle {
		t.Errorf("local drop rule: %+v, want DROP_HANDLE", got)
	}
	if got := l.LookupLocal(ns, ProtoTCP, ip("127.0.0.1"), 81); got.Kind != LocalNone {
		t.Errorf("port-specific drop rule, other port: %+v", got)
	}
	// ALLOW continues with the listener keys.
	r = rvRule("0.0.0.0/0", 0, "127.0.0.1/32", 80, ActionAllow, rules.ScopeLocal)
	r.AppNs = ns
	rvAddRule(t, l, r)
	if got := l.LookupLocal(ns, ProtoTCP, ip("127.0.0.1"), 80); got.Kind != LocalListener || got.Handle != z4 {
		t.Errorf("allow masks the drop: %+v", got)
	}
	if got := l.LookupLocal(ns, ProtoTCP, ip("127.0.0.2"), 80); got.Kind != LocalFiltered {
		t.Errorf("drop still applies outside the allow: %+v", got)
	}
	// An unknown namespace finds nothing.
	if got := l.LookupLocal(99, ProtoTCP, ip("127.0.0.1"), 80); got.Kind != LocalNone || got.Handle != InvalidHandle {
		t.Errorf("unknown namespace: %+v", got)
	}
}

// TestReviewListenErrors: §3.7 listen's checks in order, with their codes.
func TestReviewListenErrors(t *testing.T) {
	l, _ := rvLayer(t)
	loopback(t, l, "loop0", 0, "10.0.0.1/24")
	a := mustAttach(t, l, AttachArgs{Name: "a"})
	b := mustAttach(t, l, AttachArgs{Name: "b"})
	local := mustAttach(t, l, AttachArgs{Name: "local", Flags: AppUseLocalScope})
	la := func(app, w uint32, addr string, port uint16) ListenArgs {
		return ListenArgs{App: app, Worker: w, Proto: ProtoTCP, Addr: ip(addr), Port: port, FibIndex: InvalidIndex}
	}
	if _, err := l.Listen(la(a, 0, "10.0.0.1", 80)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args ListenArgs
		want Error
	}{
		{"unknown app before anything", la(99, 5, "9.9.9.9", 80), ErrNoApp},
		{"unknown worker before the namespace check", la(a, 5, "9.9.9.9", 80), ErrInvalidAppWrk},
		{"address not local to the fib", la(a, 0, "9.9.9.9", 80), ErrInvalidNS},
		{"namespace check before the listener lookup", la(b, 0, "9.9.9.9", 80), ErrInvalidNS},
		{"same endpoint, other app", la(b, 0, "10.0.0.1", 80), ErrAlreadyListening},
		{"same endpoint, same worker", la(a, 0, "10.0.0.1", 80), ErrAlreadyListening},
		{"local scope only, non-local address: no listener at all", la(local, 0, "10.0.0.1", 81), ErrAlloc},
	}
	for _, c := range cases {
		if _, err := l.Listen(c.args); !errIs(err, c.want) {
			t.Errorf("%s: %v, want %s", c.name, err, c.want.Name())
		}
	}
	// Zero and loopback addresses need not be local to the fib.
	for _, addr := range []string{"0.0.0.0", "127.0.0.1", "127.9.9.9", "::", "::1"} {
		if _, err := l.Listen(la(b, 0, addr, 82)); err != nil {
			t.Errorf("listen %s: %v", addr, err)
		}
	}
	// Another worker of the same app joins the listener: same handle.
	w1, err := l.AddWorker(a)
	if err != nil {
		t.Fatal(err)
	}
	h0 := l.LookupListener(0, ProtoTCP, ip("10.0.0.1"), 80, false)
	if h1, err := l.Listen(la(a, w1, "10.0.0.1", 80)); err != nil || h1 != h0 {
		t.Fatalf("second worker: %v %v, want handle %v", h1, err, h0)
	}
	if _, err := l.Listen(la(a, w1, "10.0.0.1", 80)); !errIs(err, ErrAlreadyListening) {
		t.Fatalf("second worker twice: %v", err)
	}
	if s := l.Stats(); s.Errors[-ErrAlreadyListening] != 3 || s.Errors[-ErrInvalidNS] != 2 {
		t.Errorf("errors are counted: %v", s.Errors)
	}
}

// TestReviewListenScope: which tables a listener lands in (§3.2, §3.7
// listen step 5) and which handle the application gets back (§9.1).
func TestReviewListenScope(t *testing.T) {
	cases := []struct {
		name          string
		flags         AppFlags
		addr          string
		global, local bool // entries expected
		handleIsLocal bool
	}{
		{"default scope is global", 0, "0.0.0.0", true, false, false},
		{"global zero", AppUseGlobalScope, "0.0.0.0", true, false, false},
		{"local zero", AppUseLocalScope, "0.0.0.0", false, true, true},
		{"local loopback", AppUseLocalScope, "127.0.0.1", false, true, true},
		{"both zero", AppUseLocalAndScope, "0.0.0.0", true, true, false},
		{"both loopback", AppUseLocalAndScope, "127.0.0.1", true, true, false},
		{"both non-local address: global only", AppUseLocalAndScope, "10.0.0.1", true, false, false},
		{"both v6 zero", AppUseLocalAndScope, "::", true, true, false},
		{"local v6 loopback", AppUseLocalScope, "::1", false, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, _ := rvLayer(t)
			loopback(t, l, "loop0", 0, "10.0.0.1/24")
			app := mustAttach(t, l, AttachArgs{Name: "a", Flags: c.flags})
			h := rvListen(t, l, app, ProtoTCP, c.addr, 80)
			g := l.LookupListener(0, ProtoTCP, ip(c.addr), 80, false)
			lr := l.LookupLocal(0, ProtoTCP, ip(c.addr), 80)
			if (g != InvalidHandle) != c.global {
				t.Errorf("global entry %v, want %v", g, c.global)
			}
			if (lr.Kind == LocalListener) != c.local {
				t.Errorf("local entry %+v, want %v", lr, c.local)
			}
			want := g
			if c.handleIsLocal {
				want = lr.Handle
			}
			if h != want || h.Thread() != 0 {
				t.Errorf("handle %v, want %v (thread 0)", h, want)
			}
			if c.local {
				si, _ := l.Session(lr.Handle)
				if si.Type.Proto() != ProtoCT || si.State != StateListening || si.App != app {
					t.Errorf("local listen session: %+v, want a CT listener of the app", si)
				}
			}
			if c.global {
				si, _ := l.Session(g)
				if si.Type.Proto() != ProtoTCP || si.Type.IsIP4() != ip(c.addr).Is4() {
					t.Errorf("global listen session type %v", si.Type)
				}
			}
			// Unlisten removes every entry.
			if err := l.Unlisten(app, h); err != nil {
				t.Fatal(err)
			}
			if g := l.LookupListener(0, ProtoTCP, ip(c.addr), 80, false); g != InvalidHandle {
				t.Errorf("global entry after unlisten: %v", g)
			}
			if lr := l.LookupLocal(0, ProtoTCP, ip(c.addr), 80); lr.Kind != LocalNone {
				t.Errorf("local entry after unlisten: %+v", lr)
			}
			if n := l.PortsInUse(); n != 0 {
				t.Errorf("%d port reservations after unlisten", n)
			}
		})
	}
}

// TestReviewListenWithInterface: §5.5 — in a namespace with an interface,
// a zero bind goes to the global table under the interface's first
// address (local table: zero); a global-only app finds that listener
// again through the interface address (listen step 4), whoever owns it.
func TestReviewListenWithInterface(t *testing.T) {
	l, _ := rvLayer(t)
	sw := loopback(t, l, "loop0", 0, "10.0.0.1/24")
	if err := l.AddInterfaceAddress(sw, pfx("10.0.0.2/24")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.AddNamespace(NamespaceArgs{ID: "n", SwIfIndex: sw}); err != nil {
		t.Fatal(err)
	}
	both := mustAttach(t, l, AttachArgs{Name: "both", Namespace: "n", Flags: AppUseLocalAndScope})
	glob := mustAttach(t, l, AttachArgs{Name: "glob", Namespace: "n"})
	glob2 := mustAttach(t, l, AttachArgs{Name: "glob2", Namespace: "n"})
	ns, _ := l.NamespaceIndex("n")

	h := rvListen(t, l, both, ProtoTCP, "0.0.0.0", 80)
	if g := l.LookupListener(0, ProtoTCP, ip("10.0.0.1"), 80, false); g != h {
		t.Fatalf("global entry under the first address: %v, want %v", g, h)
	}
	if g := l.LookupListener(0, ProtoTCP, ip("0.0.0.0"), 80, false); g != InvalidHandle {
		t.Fatalf("no zero entry in the global table: %v", g)
	}
	if r := l.LookupLocal(ns, ProtoTCP, ip("0.0.0.0"), 80); r.Kind != LocalListener {
		t.Fatalf("zero entry in the local table: %+v", r)
	}
	si, _ := l.Session(h)
	if si.Local.Addr() != ip("10.0.0.1") {
		t.Fatalf("listen session bound to %v, want the interface's first address", si.Local)
	}
	// A global-only app of the namespace binding zero finds it through the
	// interface address.
	if _, err := l.Listen(ListenArgs{App: glob, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 80, FibIndex: InvalidIndex}); !errIs(err, ErrAlreadyListening) {
		t.Fatalf("zero bind over the interface's listener: %v", err)
	}
	// Its own zero bind, twice.
	gh := rvListen(t, l, glob, ProtoTCP, "0.0.0.0", 81)
	if _, err := l.Listen(ListenArgs{App: glob, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 81, FibIndex: InvalidIndex}); !errIs(err, ErrAlreadyListening) {
		t.Fatalf("second zero bind: %v", err)
	}
	if _, err := l.Listen(ListenArgs{App: glob2, Proto: ProtoTCP, Addr: ip("10.0.0.1"), Port: 81, FibIndex: InvalidIndex}); !errIs(err, ErrAlreadyListening) {
		t.Fatalf("explicit bind to the interface address: %v", err)
	}
	// The second interface address is its own endpoint.
	if _, err := l.Listen(ListenArgs{App: glob2, Proto: ProtoTCP, Addr: ip("10.0.0.2"), Port: 81, FibIndex: InvalidIndex}); err != nil {
		t.Fatalf("bind to the second address: %v", err)
	}
	if err := l.Unlisten(glob, gh); err != nil {
		t.Fatal(err)
	}
	if g := l.LookupListener(0, ProtoTCP, ip("10.0.0.2"), 81, false); g == InvalidHandle {
		t.Fatal("unlisten removed another app's entry")
	}
}

// TestReviewListenInNSBothChecks: session_endpoint_in_ns (§3.7 listen step
// 3) — with an interface the address must be on it, and it must also be
// local in the fib the listen uses (a default-namespace app may name
// another fib).
func TestReviewListenInNSBothChecks(t *testing.T) {
	l, _ := rvLayer(t)
	sw := loopback(t, l, "loop0", 0, "10.0.0.1/24")
	loopback(t, l, "loop5", 5, "10.5.0.1/24")
	if _, err := l.AddNamespace(NamespaceArgs{ID: DefaultNamespace, SwIfIndex: sw}); err != nil {
		t.Fatal(err)
	}
	fib5, _ := l.FibIndex(false, 5)
	app := mustAttach(t, l, AttachArgs{Name: "a"})
	cases := []struct {
		addr string
		fib  uint32
		want Error
	}{
		{"10.0.0.1", InvalidIndex, ErrNone},
		{"10.5.0.1", fib5, ErrInvalidNS}, // local to fib 5, not on the interface
		{"10.0.0.1", fib5, ErrInvalidNS}, // on the interface, not local to fib 5
		{"0.0.0.0", fib5, ErrNone},
	}
	for _, c := range cases {
		_, err := l.Listen(ListenArgs{App: app, Proto: ProtoTCP, Addr: ip(c.addr), Port: 80, FibIndex: c.fib})
		if !errIs(err, c.want) {
			t.Errorf("listen %s in fib %d: %v, want %s", c.addr, c.fib, err, c.want.Name())
		}
	}
}

// TestReviewListenRulesOnInterfaceAddress: listen step 4 looks the
// interface address up with rules too (session_lookup_endpoint_listener
// with rules, §3.6): a global rule redirecting that address's port to an
// application that listens makes a zero bind ALREADY_LISTENING.
func TestReviewListenRulesOnInterfaceAddress(t *testing.T) {
	l, _ := rvLayer(t)
	sw := loopback(t, l, "loop0", 0, "10.0.0.1/24")
	if _, err := l.AddNamespace(NamespaceArgs{ID: "n", SwIfIndex: sw}); err != nil {
		t.Fatal(err)
	}
	ns, _ := l.NamespaceIndex("n")
	owner := mustAttach(t, l, AttachArgs{Name: "owner", Namespace: "n"})
	rvListen(t, l, owner, ProtoTCP, "10.0.0.1", 8080)
	r := rvRule("0.0.0.0/0", 0, "10.0.0.1/32", 80, owner, rules.ScopeGlobal)
	r.AppNs = ns
	rvAddRule(t, l, r)
	other := mustAttach(t, l, AttachArgs{Name: "other", Namespace: "n"})
	if _, err := l.Listen(ListenArgs{App: other, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 80, FibIndex: InvalidIndex}); !errIs(err, ErrAlreadyListening) {
		t.Fatalf("zero bind whose interface endpoint a rule gives to another app: %v", err)
	}
	// The explicit address hits the same rule.
	if _, err := l.Listen(ListenArgs{App: other, Proto: ProtoTCP, Addr: ip("10.0.0.1"), Port: 80, FibIndex: InvalidIndex}); !errIs(err, ErrAlreadyListening) {
		t.Fatalf("explicit bind: %v", err)
	}
}

// TestReviewNamespaceAddErrors: §5.3 add, in the order of its checks.
func TestReviewNamespaceAddErrors(t *testing.T) {
	l, _ := rvLayer(t)
	sw := loopback(t, l, "loop5", 5, "10.5.0.1/24")
	fib5, _ := l.FibIndex(false, 5)
	cases := []struct {
		name     string
		args     NamespaceArgs
		want     Error
		fib4     uint32
		fib6     uint32
		wantSw   uint32
		updateOf string
	}{
		{"unknown interface, even with valid ids", NamespaceArgs{ID: "a", SwIfIndex: 42, IP4FibID: 0, IP6FibID: 0}, ErrInvalid, 0, 0, 0, ""},
		{"no interface, no ids", NamespaceArgs{ID: "a", SwIfIndex: InvalidIndex, IP4FibID: InvalidIndex, IP6FibID: InvalidIndex}, ErrInvalid, 0, 0, 0, ""},
		{"unknown v4 id", NamespaceArgs{ID: "a", SwIfIndex: InvalidIndex, IP4FibID: 7, IP6FibID: 0}, ErrInvalid, 0, 0, 0, ""},
		{"unknown v6 id", NamespaceArgs{ID: "a", SwIfIndex: InvalidIndex, IP4FibID: 0, IP6FibID: 7}, ErrInvalid, 0, 0, 0, ""},
		{"v4 only", NamespaceArgs{ID: "v4", SwIfIndex: InvalidIndex, IP4FibID: 5, IP6FibID: InvalidIndex}, ErrNone, fib5, InvalidIndex, InvalidIndex, ""},
		{"v6 only", NamespaceArgs{ID: "v6", SwIfIndex: InvalidIndex, IP4FibID: InvalidIndex, IP6FibID: 0}, ErrNone, InvalidIndex, 0, InvalidIndex, ""},
		{"interface ids override the given ones", NamespaceArgs{ID: "if", SwIfIndex: sw, IP4FibID: 77, IP6FibID: 77}, ErrNone, fib5, 0, sw, ""},
	}
	for _, c := range cases {
		idx, err := l.AddNamespace(c.args)
		if !errIs(err, c.want) {
			t.Errorf("%s: %v, want %s", c.name, err, c.want.Name())
			continue
		}
		if c.want != ErrNone {
			if idx != InvalidIndex {
				t.Errorf("%s: index %d on failure", c.name, idx)
			}
			if _, ok := l.Namespace(c.args.ID); ok {
				t.Errorf("%s: namespace created on failure", c.name)
			}
			continue
		}
		info, _ := l.Namespace(c.args.ID)
		if info.Index != idx || info.FibIndex != [2]uint32{c.fib4, c.fib6} || info.SwIfIndex != c.wantSw {
			t.Errorf("%s: %+v, want fibs %d/%d sw %d", c.name, info, c.fib4, c.fib6, c.wantSw)
		}
	}
	if err := l.DelNamespace("nope"); !errIs(err, ErrInvalid) {
		t.Errorf("delete unknown: %v", err)
	}
}

// TestReviewNamespaceUpdate: §5.3 — re-adding an id updates secret,
// interface and fibs in place; the index, local table and socket name
// stay; a failed update changes nothing.
func TestReviewNamespaceUpdate(t *testing.T) {
	l, _ := rvLayer(t)
	sw := loopback(t, l, "loop5", 5, "10.5.0.1/24")
	fib5, _ := l.FibIndex(false, 5)
	idx, err := l.AddNamespace(NamespaceArgs{ID: "n", Secret: 1, SwIfIndex: InvalidIndex, IP4FibID: 0, IP6FibID: 0, SockName: "first"})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := l.Namespace("n")
	app := mustAttach(t, l, AttachArgs{Name: "a", Namespace: "n", Secret: 1, Flags: AppUseLocalScope})
	rvListen(t, l, app, ProtoTCP, "0.0.0.0", 80)
	if _, err := l.AddNamespace(NamespaceArgs{ID: "n", Secret: 2, SwIfIndex: InvalidIndex, IP4FibID: 9, IP6FibID: 0}); !errIs(err, ErrInvalid) {
		t.Fatalf("update to an unknown table: %v", err)
	}
	if got, _ := l.Namespace("n"); got.Secret != 1 || got.FibIndex != before.FibIndex {
		t.Fatalf("failed update changed the namespace: %+v", got)
	}
	if got, _ := l.TableNamespaces(false, 0); !slices.Contains(got, idx) {
		t.Fatalf("failed update unbound the namespace: %v", got)
	}
	idx2, err := l.AddNamespace(NamespaceArgs{ID: "n", Secret: 2, SwIfIndex: sw, SockName: "second"})
	if err != nil || idx2 != idx {
		t.Fatalf("update: %d %v, want index %d", idx2, err, idx)
	}
	after, _ := l.Namespace("n")
	if after.Secret != 2 || after.SwIfIndex != sw || after.FibIndex != [2]uint32{fib5, 0} ||
		after.LocalTable != before.LocalTable || after.SockName != "first" {
		t.Fatalf("after update: %+v (before %+v)", after, before)
	}
	// The app and its local listener survive an update.
	if r := l.LookupLocal(idx, ProtoTCP, ip("127.0.0.1"), 80); r.Kind != LocalListener {
		t.Fatalf("local listener after update: %+v", r)
	}
	if got, _ := l.TableNamespaces(false, 0); slices.Contains(got, idx) {
		t.Fatalf("v4 table 0 still lists the namespace: %v", got)
	}
	if got, _ := l.TableNamespaces(false, fib5); !slices.Equal(got, []uint32{idx}) {
		t.Fatalf("v4 table 5: %v", got)
	}
	// The new secret applies.
	if _, err := l.Attach(AttachArgs{Name: "b", Namespace: "n", Secret: 1}); !errIs(err, ErrWrongNSSecret) {
		t.Fatalf("old secret: %v", err)
	}
	if _, err := l.Attach(AttachArgs{Name: "b", Namespace: "n", Secret: 2}); err != nil {
		t.Fatalf("new secret: %v", err)
	}
}

// TestReviewNamespaceSecrets: §5.4 / §10.1 — an empty namespace id means
// the default namespace with no secret check, whatever its secret; naming
// any namespace (default included) checks it; the name check comes first.
func TestReviewNamespaceSecrets(t *testing.T) {
	l, _ := rvLayer(t)
	if _, err := l.AddNamespace(NamespaceArgs{ID: DefaultNamespace, Secret: 5, SwIfIndex: InvalidIndex, IP4FibID: 0, IP6FibID: 0}); err != nil {
		t.Fatal(err)
	}
	mustAttach(t, l, AttachArgs{Name: "x"})
	cases := []struct {
		args AttachArgs
		want Error
	}{
		{AttachArgs{Name: "x", Namespace: "nope"}, ErrAppAttached},
		{AttachArgs{Name: "a", Namespace: "nope", Secret: 5}, ErrInvalidNS},
		{AttachArgs{Name: "a", Namespace: DefaultNamespace}, ErrWrongNSSecret},
		{AttachArgs{Name: "a", Namespace: DefaultNamespace, Secret: 5}, ErrNone},
		{AttachArgs{Name: "b", Secret: 99}, ErrNone}, // empty id: no check
		{AttachArgs{Name: "c"}, ErrNone},
	}
	for _, c := range cases {
		i, err := l.Attach(c.args)
		if !errIs(err, c.want) {
			t.Errorf("%+v: %v, want %s", c.args, err, c.want.Name())
			continue
		}
		if err == nil {
			if a := l.Apps(); a[slices.IndexFunc(a, func(x AppInfo) bool { return x.Index == i })].Namespace != 0 {
				t.Errorf("%s should be in the default namespace", c.args.Name)
			}
		}
	}
}

// TestReviewNamespaceDelete: §5.3 delete — the namespace's applications
// (proxies included) are freed at once, its listeners go from both tables,
// its local table and rules go, the global tables are unbound, and the
// index is reused LIFO.
func TestReviewNamespaceDelete(t *testing.T) {
	l, _ := rvLayer(t)
	sw := loopback(t, l, "loop0", 0, "10.0.0.1/24")
	a, _ := l.AddNamespace(NamespaceArgs{ID: "a", SwIfIndex: InvalidIndex, IP4FibID: 0, IP6FibID: 0})
	b, _ := l.AddNamespace(NamespaceArgs{ID: "b", SwIfIndex: sw})
	srv := mustAttach(t, l, AttachArgs{Name: "srv", Namespace: "b", Flags: AppUseLocalAndScope})
	prx := mustAttach(t, l, AttachArgs{Name: "prx", Namespace: "b", Flags: AppIsProxy | AppUseLocalAndScope,
		ProxyTransports: 1<<ProtoTCP | 1<<ProtoUDP})
	keep := mustAttach(t, l, AttachArgs{Name: "keep", Namespace: "a"})
	rvListen(t, l, srv, ProtoTCP, "0.0.0.0", 80)
	rvListen(t, l, keep, ProtoTCP, "10.0.0.1", 81)
	r := rvRule("0.0.0.0/0", 0, "10.9.0.0/16", 0, ActionDrop, rules.ScopeLocal)
	r.AppNs = b
	rvAddRule(t, l, r)
	if info, _ := l.Namespace("b"); !slices.Equal(info.Apps, []uint32{srv, prx}) {
		t.Fatalf("apps of b: %v", info.Apps)
	}
	if got, _ := l.TableNamespaces(false, 0); !slices.Equal(got, []uint32{0, a, b}) {
		t.Fatalf("v4 table 0: %v", got)
	}
	if err := l.DelNamespace("b"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"srv", "prx"} {
		if _, ok := l.AppIndex(name); ok {
			t.Errorf("%s should be freed with its namespace", name)
		}
	}
	if _, ok := l.AppIndex("keep"); !ok {
		t.Error("an app of another namespace was freed")
	}
	if h := l.LookupListener(0, ProtoTCP, ip("10.0.0.1"), 80, true); h != InvalidHandle {
		t.Errorf("b's listener still in the global table: %v", h)
	}
	if h := l.LookupListener(0, ProtoTCP, ip("10.0.0.1"), 81, true); h == InvalidHandle {
		t.Error("a's listener went too")
	}
	if r := l.LookupLocal(b, ProtoTCP, ip("10.9.0.1"), 1); r.Kind != LocalNone {
		t.Errorf("deleted namespace's local table: %+v", r)
	}
	for _, rt := range l.RuleTables() {
		if rt.Local && rt.Namespace == b {
			t.Errorf("local rules of the deleted namespace remain: %+v", rt)
		}
	}
	if got, _ := l.TableNamespaces(false, 0); !slices.Equal(got, []uint32{0, a}) {
		t.Errorf("v4 table 0 after delete: %v", got)
	}
	// LIFO reuse of the namespace index; the new namespace starts with an
	// empty local table (no rules of its predecessor).
	c, err := l.AddNamespace(NamespaceArgs{ID: "c", SwIfIndex: InvalidIndex, IP4FibID: 0, IP6FibID: 0})
	if err != nil || c != b {
		t.Fatalf("new namespace %d (%v), want reused index %d", c, err, b)
	}
	if act := l.LocalRuleAction(c, ProtoTCP, ip("10.9.0.1"), 1); act != ActionNone {
		t.Errorf("new namespace inherited a local rule: %#x", act)
	}
	if err := l.Detach(keep); err != nil {
		t.Fatal(err)
	}
	if k := l.LeakCheck(); !k.Empty() {
		t.Fatalf("leaks: %+v", k)
	}
}

// TestReviewTableRefcount: §3.1 — namespaces sharing a fib share its
// global table; the table (and its rules) goes with the last namespace,
// and a new one starts without rules.
func TestReviewTableRefcount(t *testing.T) {
	l, _ := rvLayer(t)
	fib5 := rvAddIPv4Table(t, l, 5)
	if _, ok := l.TableNamespaces(false, fib5); ok {
		t.Fatal("no table before anything uses fib 5")
	}
	x, _ := l.AddNamespace(NamespaceArgs{ID: "x", SwIfIndex: InvalidIndex, IP4FibID: 5, IP6FibID: InvalidIndex})
	y, _ := l.AddNamespace(NamespaceArgs{ID: "y", SwIfIndex: InvalidIndex, IP4FibID: 5, IP6FibID: InvalidIndex})
	if got, ok := l.TableNamespaces(false, fib5); !ok || !slices.Equal(got, []uint32{x, y}) {
		t.Fatalf("shared table: %v %v", got, ok)
	}
	if _, ok := l.TableNamespaces(true, fib5); ok {
		t.Fatal("a v4-only namespace created a v6 table")
	}
	r := rvRule("0.0.0.0/0", 0, "10.0.0.0/8", 0, ActionDrop, rules.ScopeGlobal)
	r.AppNs = y
	rvAddRule(t, l, r)
	// x sees y's global rule: same table.
	if act := l.RuleAction(fib5, ProtoTCP, ip("1.1.1.1"), ip("10.1.1.1"), 1, 2); act != ActionDrop {
		t.Fatalf("rule in the shared table: %#x", act)
	}
	if err := l.DelNamespace("y"); err != nil {
		t.Fatal(err)
	}
	if got, ok := l.TableNamespaces(false, fib5); !ok || !slices.Equal(got, []uint32{x}) {
		t.Fatalf("after one delete: %v %v", got, ok)
	}
	if err := l.DelNamespace("x"); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.TableNamespaces(false, fib5); ok {
		t.Fatal("the table should go with its last namespace")
	}
	if _, err := l.AddNamespace(NamespaceArgs{ID: "z", SwIfIndex: InvalidIndex, IP4FibID: 5, IP6FibID: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if act := l.RuleAction(fib5, ProtoTCP, ip("1.1.1.1"), ip("10.1.1.1"), 1, 2); act != ActionNone {
		t.Fatalf("a new table must not inherit the freed one's rules: %#x", act)
	}
	// A table created by traffic in a fib no namespace uses has no
	// namespaces.
	loopback(t, l, "loop6", 6, "10.6.0.1/24")
	fib6, _ := l.FibIndex(false, 6)
	app := mustAttach(t, l, AttachArgs{Name: "a"})
	if _, err := l.Listen(ListenArgs{App: app, Proto: ProtoTCP, Addr: ip("10.6.0.1"), Port: 80, FibIndex: fib6}); err != nil {
		t.Fatal(err)
	}
	if got, ok := l.TableNamespaces(false, fib6); !ok || len(got) != 0 {
		t.Fatalf("traffic-created table: %v %v", got, ok)
	}
	if r := l.Lookup(0, fib6, ProtoTCP, ip("10.6.0.1"), ip("10.6.0.2"), 80, 1); r.Kind != LookupListener {
		t.Fatalf("listener in the traffic-created table: %+v", r)
	}
}

// TestReviewConnectScope: §3.7 connect's decision tree, one row per path,
// with the exact result: an error, a cut-through connect, or the transport.
func TestReviewConnectScope(t *testing.T) {
	const (
		viaCT = "ct"
		viaTP = "transport"
	)
	type row struct {
		name   string
		client string // attach flags of the client, by name below; "self": the server near
		remote string
		want   Error
		via    string
	}
	rows := []row{
		{"zero destination", "both", "0.0.0.0:80", ErrInvalidRmtIP, ""},
		{"zero v6 destination", "both", "[::]:80", ErrInvalidRmtIP, ""},
		{"local listener via loopback", "local", "127.0.0.1:80", ErrNone, viaCT},
		{"local listener via ::1", "local", "[::1]:80", ErrNone, viaCT},
		{"loopback, no local listener", "local", "127.0.0.1:81", ErrNoRoute, ""},
		{"loopback, no local listener, global scope too", "both", "127.0.0.1:81", ErrNoRoute, ""},
		{"non-local destination, local scope only", "local", "10.0.0.1:80", ErrScope, ""},
		{"global listener in the shared fib", "both", "10.0.0.1:80", ErrNone, viaCT},
		{"global listener, global scope only: transport", "global", "10.0.0.1:80", ErrNone, viaTP},
		{"nothing listening: transport", "both", "10.0.0.1:81", ErrNone, viaTP},
		{"local egress drop beats a local listener", "both", "127.0.0.1:82", ErrFiltered, ""},
		{"local egress drop, non-local destination", "local", "10.9.9.9:80", ErrFiltered, ""},
		{"local egress drop does not apply to global-only apps", "global", "10.9.9.9:80", ErrNone, viaTP},
		// ct_session_connect never connects an app to its own listener,
		// proxy or not: a local hit goes on to the global step, and an own
		// global listener means LOCAL_CONNECT (the transport).
		{"own local listener skipped: loopback has no route", "self", "127.0.0.1:80", ErrNoRoute, ""},
		{"own global listener skipped: transport", "self", "10.0.0.1:82", ErrNone, viaTP},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			l, tcp := rvLayer(t)
			sw := loopback(t, l, "loop0", 0, "10.0.0.1/24")
			if err := l.AddInterfaceAddress(sw, pfx("2001:db8::1/64")); err != nil {
				t.Fatal(err)
			}
			if err := l.AddRoute(false, 0, pfx("10.9.0.0/16"), sw); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"s", "c"} {
				if _, err := l.AddNamespace(NamespaceArgs{ID: id, SwIfIndex: InvalidIndex, IP4FibID: 0, IP6FibID: 0}); err != nil {
					t.Fatal(err)
				}
			}
			cns, _ := l.NamespaceIndex("c")
			// A server in the client's namespace with both scopes
			// (local and global listeners), and one in another
			// namespace of the same fib with global scope only.
			near := mustAttach(t, l, AttachArgs{Name: "near", Namespace: "c", Flags: AppUseLocalAndScope})
			far := mustAttach(t, l, AttachArgs{Name: "far", Namespace: "s"})
			rvListen(t, l, near, ProtoTCP, "0.0.0.0", 80)
			rvListen(t, l, near, ProtoTCP, "::", 80)
			rvListen(t, l, near, ProtoTCP, "0.0.0.0", 82)
			rvListen(t, l, far, ProtoTCP, "10.0.0.1", 80)
			for _, rr := range []RuleArgs{
				rvRule("0.0.0.0/0", 0, "127.0.0.0/8", 82, ActionDrop, rules.ScopeLocal),
				rvRule("0.0.0.0/0", 0, "10.9.0.0/16", 0, ActionDrop, rules.ScopeLocal),
			} {
				rr.AppNs = cns
				rvAddRule(t, l, rr)
			}
			flags := map[string]AppFlags{"local": AppUseLocalScope, "global": AppUseGlobalScope, "both": AppUseLocalAndScope}
			cli := near
			if r.client != "self" {
				cli = mustAttach(t, l, AttachArgs{Name: "cli", Namespace: "c", Flags: flags[r.client]})
			}
			n, ct := len(tcp.Calls), l.Stats().CTConnects
			h, err := l.Connect(ConnectArgs{App: cli, Proto: ProtoTCP, Remote: ap(r.remote), FibIndex: InvalidIndex})
			if !errIs(err, r.want) {
				t.Fatalf("%v, want %s", err, r.want.Name())
			}
			gotCT := l.Stats().CTConnects != ct
			gotTP := len(tcp.Calls) != n
			switch r.via {
			case viaCT:
				if !gotCT || gotTP {
					t.Fatalf("want cut-through: ct %v transport %v", gotCT, gotTP)
				}
				if si, _ := l.Session(h); si.Type.Proto() != ProtoCT || si.Thread != l.CtrlThread() {
					t.Fatalf("CT half-open %+v", si)
				}
			case viaTP:
				if gotCT || !gotTP {
					t.Fatalf("want the transport: ct %v transport %v", gotCT, gotTP)
				}
			default:
				if gotCT || gotTP || h != InvalidHandle {
					t.Fatalf("a failed connect must do nothing: ct %v transport %v handle %v", gotCT, gotTP, h)
				}
			}
		})
	}
}

// TestReviewConnectRmtIPFirst: the zero-destination check comes before
// everything else, even an unknown application (§3.7 connect step 1).
func TestReviewConnectRmtIPFirst(t *testing.T) {
	l, _ := rvLayer(t)
	if _, err := l.Connect(ConnectArgs{App: 99, Proto: ProtoTCP, Remote: ap("0.0.0.0:1"), FibIndex: InvalidIndex}); !errIs(err, ErrInvalidRmtIP) {
		t.Fatalf("zero destination, unknown app: %v", err)
	}
	if _, err := l.Connect(ConnectArgs{App: 99, Proto: ProtoTCP, Remote: ap("1.1.1.1:1"), FibIndex: InvalidIndex}); !errIs(err, ErrNoApp) {
		t.Fatalf("unknown app: %v", err)
	}
}

// TestReviewConnectSourceFromInterface: §5.5 — a namespace's interface
// gives a connect its source address, whatever the fib would route
// through; without one the route's interface does, and no address of the
// family is NOIP.
func TestReviewConnectSourceFromInterface(t *testing.T) {
	l, tcp := rvLayer(t)
	sw0 := loopback(t, l, "loop0", 0, "10.0.0.1/24")
	sw1 := loopback(t, l, "loop1", 0, "10.1.0.1/24")
	if err := l.AddRoute(false, 0, pfx("20.0.0.0/8"), sw1); err != nil {
		t.Fatal(err)
	}
	if _, err := l.AddNamespace(NamespaceArgs{ID: "n", SwIfIndex: sw0}); err != nil {
		t.Fatal(err)
	}
	inNS := mustAttach(t, l, AttachArgs{Name: "in", Namespace: "n"})
	out := mustAttach(t, l, AttachArgs{Name: "out"})
	src := func(app uint32, dst string) (netip.Addr, error) {
		n := len(tcp.Calls)
		_, err := l.Connect(ConnectArgs{App: app, Proto: ProtoTCP, Remote: ap(dst), FibIndex: InvalidIndex})
		if err != nil || len(tcp.Calls) == n {
			return netip.Addr{}, err
		}
		return tcp.Calls[len(tcp.Calls)-1].Conn5.Local.Addr(), nil
	}
	if a, err := src(inNS, "20.1.1.1:80"); err != nil || a != ip("10.0.0.1") {
		t.Errorf("namespace with interface: source %v (%v), want 10.0.0.1", a, err)
	}
	if a, err := src(out, "20.1.1.1:80"); err != nil || a != ip("10.1.0.1") {
		t.Errorf("default namespace: source %v (%v), want the route's interface address 10.1.0.1", a, err)
	}
	if _, err := src(out, "30.1.1.1:80"); !errIs(err, ErrNoIntf) {
		t.Errorf("no route: %v", err)
	}
	if _, err := src(inNS, "[2001:db8::5]:80"); !errIs(err, ErrNoIP) {
		t.Errorf("interface without an IPv6 address: %v", err)
	}
}

// TestReviewProxy: §3.2 proxy entries per scope and family: a global
// proxy listener keyed (interface address, port 0) only when that address
// is not zero, local entries (zero address, port 0) naming the app, for
// every proxied transport; all go at detach; a redirect rule never picks a
// proxy listener.
func TestReviewProxy(t *testing.T) {
	cases := []struct {
		name           string
		flags          AppFlags
		v6addr         bool
		global4, glob6 bool
		local          bool
	}{
		{"both scopes, v4 interface", AppUseLocalAndScope, false, true, false, true},
		{"both scopes, v4+v6 interface", AppUseLocalAndScope, true, true, true, true},
		{"global only", AppUseGlobalScope, true, true, true, false},
		{"local only", AppUseLocalScope, true, false, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, _ := rvLayer(t)
			sw := loopback(t, l, "loop0", 0, "1.2.3.4/24")
			if c.v6addr {
				if err := l.AddInterfaceAddress(sw, pfx("2001:db8::4/64")); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := l.AddNamespace(NamespaceArgs{ID: "p", SwIfIndex: sw}); err != nil {
				t.Fatal(err)
			}
			ns, _ := l.NamespaceIndex("p")
			app := mustAttach(t, l, AttachArgs{Name: "proxy", Namespace: "p", Flags: AppIsProxy | c.flags,
				ProxyTransports: 1<<ProtoTCP | 1<<ProtoUDP})
			for _, p := range []Proto{ProtoTCP, ProtoUDP} {
				for _, x := range []struct {
					lcl, rmt string
					want     bool
				}{{"1.2.3.4", "5.6.7.8", c.global4}, {"2001:db8::4", "2001:db8::8", c.glob6}} {
					r := l.Lookup(0, 0, p, ip(x.lcl), ip(x.rmt), 1234, 4321)
					if (r.Kind == LookupListener) != x.want {
						t.Errorf("%s %s any port: %+v, want listener %v", p, x.lcl, r, x.want)
					}
					if r.Kind == LookupListener {
						if si, _ := l.Session(r.Handle); si.App != app || si.Flags&FlagProxy == 0 {
							t.Errorf("%s %s: %+v, want the app's proxy listener", p, x.lcl, si)
						}
					}
				}
				// Other local addresses are not proxied.
				if r := l.Lookup(0, 0, p, ip("5.6.7.8"), ip("5.6.7.8"), 1234, 4321); r.Kind != LookupNone {
					t.Errorf("%s: lookup of another address: %+v", p, r)
				}
				for _, dst := range []string{"5.6.7.8", "2001:db8::8"} {
					r := l.LookupLocal(ns, p, ip(dst), 4321)
					if (r.Kind == LocalProxy && r.App == app) != c.local {
						t.Errorf("%s local %s: %+v, want proxy %v", p, dst, r, c.local)
					}
				}
			}
			// A redirect to the proxy app finds no (non-proxy) listener.
			rr := rvRule("0.0.0.0/0", 0, "0.0.0.0/0", 0, app, rules.ScopeGlobal)
			rr.AppNs = ns
			rvAddRule(t, l, rr)
			if r := l.Lookup(0, 0, ProtoTCP, ip("1.2.3.4"), ip("5.6.7.8"), 1234, 4321); r.Kind != LookupNone {
				t.Errorf("redirect to a proxy-only app: %+v", r)
			}
			if err := l.Detach(app); err != nil {
				t.Fatal(err)
			}
			if r := l.LookupLocal(ns, ProtoTCP, ip("5.6.7.8"), 4321); r.Kind != LocalNone {
				t.Errorf("local proxy after detach: %+v", r)
			}
			if h := l.LookupListener(0, ProtoTCP, ip("1.2.3.4"), 0, false); h != InvalidHandle {
				t.Errorf("global proxy after detach: %v", h)
			}
			if k := l.LeakCheck(); !k.Empty() {
				t.Errorf("leaks: %+v", k)
			}
		})
	}
}

// TestReviewListenHandles: §9.1 — listen sessions live on thread 0, so a
// listener handle is its pool index; freed indices are reused LIFO.
func TestReviewListenHandles(t *testing.T) {
	l, _ := rvLayer(t)
	app := mustAttach(t, l, AttachArgs{Name: "a"})
	var hs []Handle
	for port := uint16(1); port <= 3; port++ {
		hs = append(hs, rvListen(t, l, app, ProtoTCP, "0.0.0.0", port))
	}
	if !slices.Equal(hs, []Handle{0, 1, 2}) {
		t.Fatalf("first listener handles %v, want 0 1 2", hs)
	}
	for _, h := range []Handle{hs[0], hs[2]} {
		if err := l.Unlisten(app, h); err != nil {
			t.Fatal(err)
		}
	}
	if h := rvListen(t, l, app, ProtoTCP, "0.0.0.0", 4); h != 2 {
		t.Fatalf("LIFO reuse: %v, want 2", h)
	}
	if h := rvListen(t, l, app, ProtoTCP, "0.0.0.0", 5); h != 0 {
		t.Fatalf("LIFO reuse: %v, want 0", h)
	}
	// Local and global listeners of one endpoint: the local (CT) session
	// is allocated first, the handle is the global one.
	both := mustAttach(t, l, AttachArgs{Name: "b", Flags: AppUseLocalAndScope})
	h := rvListen(t, l, both, ProtoTCP, "0.0.0.0", 6)
	lr := l.LookupLocal(0, ProtoTCP, ip("0.0.0.0"), 6)
	if lr.Handle != 3 || h != 4 {
		t.Fatalf("local %v global %v, want 3 and 4", lr.Handle, h)
	}
	// An unlisten by another application is OWNER; of no listener NOLISTEN.
	if err := l.Unlisten(app, h); !errIs(err, ErrOwner) {
		t.Fatalf("unlisten of another app's listener: %v", err)
	}
	if err := l.Unlisten(app, 77); !errIs(err, ErrNoListen) {
		t.Fatalf("unlisten of nothing: %v", err)
	}
	if err := l.Unlisten(99, h); !errIs(err, ErrNoApp) {
		t.Fatalf("unlisten by an unknown app: %v", err)
	}
}

// TestReviewNamespaceLocksFib: a namespace holds its fib (VPP locks the
// FIB with a "session lookup" source, §3.1), so its table cannot vanish
// under it and be reused for another table id.
func TestReviewNamespaceLocksFib(t *testing.T) {
	l, _ := rvLayer(t)
	fib5 := rvAddIPv4Table(t, l, 5)
	if _, err := l.AddNamespace(NamespaceArgs{ID: "n", SwIfIndex: InvalidIndex, IP4FibID: 5, IP6FibID: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if err := l.DelIPTable(false, 5); !errIs(err, ErrInvalid) {
		t.Fatalf("deleting a table a namespace uses: %v", err)
	}
	if err := l.AddIPTable(false, 7); err != nil {
		t.Fatal(err)
	}
	if fib7, _ := l.FibIndex(false, 7); fib7 == fib5 {
		t.Fatalf("table 7 took the namespace's fib index %d", fib5)
	}
	if id, ok := l.FibID(false, fib5); !ok || id != 5 {
		t.Fatalf("fib %d is table %d (%v), want 5", fib5, id, ok)
	}
	if err := l.DelNamespace("n"); err != nil {
		t.Fatal(err)
	}
	if err := l.DelIPTable(false, 5); err != nil {
		t.Fatalf("once the namespace is gone: %v", err)
	}
}

// TestReviewListenUnknownFib: a default-namespace app naming a fib that
// does not exist is not in any namespace (INVALID_NS, as a non-zero
// address there would be), and no session table is created for it.
func TestReviewListenUnknownFib(t *testing.T) {
	l, _ := rvLayer(t)
	app := mustAttach(t, l, AttachArgs{Name: "a"})
	for _, fib := range []uint32{3, 1 << 30} {
		for _, addr := range []string{"0.0.0.0", "127.0.0.1", "::", "10.0.0.1"} {
			_, err := l.Listen(ListenArgs{App: app, Proto: ProtoTCP, Addr: ip(addr), Port: 80, FibIndex: fib})
			if !errIs(err, ErrInvalidNS) {
				t.Errorf("listen %s in fib %d: %v, want INVALID_NS", addr, fib, err)
			}
		}
		if _, ok := l.TableNamespaces(false, fib); ok {
			t.Errorf("a session table was created for fib %d", fib)
		}
	}
}

// TestReviewConnectUnknownFib: a default-namespace app that names a fib
// index with no table connects nowhere: NOROUTE before the transport is
// called, with no port taken and no table created.
func TestReviewConnectUnknownFib(t *testing.T) {
	l, tcp := rvLayer(t)
	app := mustAttach(t, l, AttachArgs{Name: "a"})
	for _, fib := range []uint32{3, 1 << 30} {
		for _, c := range []struct{ rmt, lcl string }{
			{"10.0.0.1:80", ""}, {"[2001:db8::1]:80", ""},
			{"10.0.0.1:80", "10.0.0.5:0"}, {"[2001:db8::1]:80", "[2001:db8::5]:0"}, // explicit source
		} {
			rmt := c.rmt
			a := ConnectArgs{App: app, Proto: ProtoTCP, Remote: ap(rmt), FibIndex: fib}
			if c.lcl != "" {
				a.Local = ap(c.lcl)
			}
			n, ports := len(tcp.Calls), l.PortsInUse()
			h, err := l.Connect(a)
			if !errIs(err, ErrNoRoute) || h != InvalidHandle {
				t.Errorf("connect to %s in fib %d: %v %v, want NOROUTE", rmt, fib, h, err)
			}
			if len(tcp.Calls) != n || l.PortsInUse() != ports {
				t.Errorf("connect to %s in fib %d reached the transport or took a port", rmt, fib)
			}
		}
		if _, ok := l.TableNamespaces(false, fib); ok {
			t.Errorf("a session table was created for fib %d", fib)
		}
	}
}

// TestReviewRuleAddDelErrors: §4.7 namespace-level add/del, in the order
// of its checks: namespace, scope, protocol, the global table, and only
// then the engine (the table-level add/del is what answers NOSUPPORT).
func TestReviewRuleAddDelErrors(t *testing.T) {
	for _, engine := range []Engine{EngineRuleTable, EngineNone} {
		t.Run(engine.String(), func(t *testing.T) {
			l, _, _ := newTestLayer(t, smallConfig(), engine)
			v4only, _ := l.AddNamespace(NamespaceArgs{ID: "v4", SwIfIndex: InvalidIndex, IP4FibID: 0, IP6FibID: InvalidIndex})
			noSupport := func(e Error) Error {
				if engine == EngineNone {
					return ErrNoSupport
				}
				return e
			}
			base := rvRule("0.0.0.0/0", 0, "10.0.0.0/8", 0, ActionDrop, rules.ScopeGlobal)
			with := func(f func(*RuleArgs)) RuleArgs {
				a := base
				f(&a)
				return a
			}
			cases := []struct {
				name string
				args RuleArgs
				want Error
			}{
				{"unknown namespace", with(func(a *RuleArgs) { a.AppNs = 99; a.Rule.Scope = 9 }), ErrInvalidNS},
				{"scope > 3", with(func(a *RuleArgs) { a.Rule.Scope = 4; a.Rule.Proto = 7 }), ErrInvalid},
				{"protocol not TCP/UDP", with(func(a *RuleArgs) { a.Rule.Proto = 2 }), ErrInvalid},
				{"no global table for the family", with(func(a *RuleArgs) {
					a.AppNs = v4only
					a.Rule.Lcl, a.Rule.Rmt = pfx("::/0"), pfx("2001:db8::/32")
				}), ErrInvalid},
				{"global", base, noSupport(ErrNone)},
				{"scope 0 is global", with(func(a *RuleArgs) { a.Rule.Scope = 0; a.Rule.Rmt = pfx("10.1.0.0/16") }), noSupport(ErrNone)},
				{"local", with(func(a *RuleArgs) { a.Rule.Scope = rules.ScopeLocal; a.Rule.Rmt = pfx("10.2.0.0/16") }), noSupport(ErrNone)},
				{"delete of nothing", with(func(a *RuleArgs) { a.IsAdd = false; a.Rule.Rmt = pfx("10.9.0.0/16") }), noSupport(ErrNone)},
			}
			for _, c := range cases {
				if err := l.RuleAddDel(c.args); !errIs(err, c.want) {
					t.Errorf("%s: %v, want %s", c.name, err, c.want.Name())
				}
			}
			if engine == EngineNone {
				return
			}
			// Scope 0 went to the global table only.
			if act := l.RuleAction(0, ProtoTCP, ip("1.1.1.1"), ip("10.1.1.1"), 1, 2); act != ActionDrop {
				t.Errorf("scope 0 rule not global: %#x", act)
			}
			if act := l.LocalRuleAction(0, ProtoTCP, ip("10.1.1.1"), 2); act != ActionNone {
				t.Errorf("scope 0 rule went local: %#x", act)
			}
		})
	}
}

// TestReviewListenIgnoresRulesWithoutEngine: without the rule-table engine
// every rules lookup is ALLOW (§4.1), the listen-time one (§3.6) included:
// a redirect from an earlier enable (freed by the disable) does not make a
// listen ALREADY_LISTENING.
func TestReviewListenIgnoresRulesWithoutEngine(t *testing.T) {
	l, _ := rvLayer(t)
	loopback(t, l, "loop0", 0, "10.0.0.1/24")
	owner := mustAttach(t, l, AttachArgs{Name: "owner"})
	rvListen(t, l, owner, ProtoTCP, "10.0.0.1", 8080)
	rvAddRule(t, l, rvRule("0.0.0.0/0", 0, "10.0.0.1/32", 80, owner, rules.ScopeGlobal))
	other := mustAttach(t, l, AttachArgs{Name: "other"})
	la := ListenArgs{App: other, Proto: ProtoTCP, Addr: ip("10.0.0.1"), Port: 80, FibIndex: InvalidIndex}
	if _, err := l.Listen(la); !errIs(err, ErrAlreadyListening) {
		t.Fatalf("with the engine the redirect owns the endpoint: %v", err)
	}
	if err := l.Disable(); err != nil {
		t.Fatal(err)
	}
	if err := l.Enable(EngineNone); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Listen(la); err != nil {
		t.Fatalf("without an engine rules are not consulted: %v", err)
	}
}

// rvAddIPv4Table adds the IPv4 table with id and returns its fib index.
func rvAddIPv4Table(t *testing.T, l *Layer, id uint32) uint32 {
	t.Helper()
	if err := l.AddIPTable(false, id); err != nil {
		t.Fatal(err)
	}
	fib, _ := l.FibIndex(false, id)
	return fib
}
