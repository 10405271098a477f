package session

import (
	"slices"
	"testing"

	"github.com/sessionlab/sessionlab/core/config"
	"github.com/sessionlab/sessionlab/core/rules"
)

// Conformance review of spec §10 ("Differences between the fd.io wiki text
// and current code"): the "Code:" behaviours not already covered by the
// review tests of §3 and §5 (review_lookup_test.go, asf_namespace_test.go).

// TestReview10DefaultNamespace: §10 item 1 / §5.2 — the default namespace
// is created at enable as index 0, id `default`, secret 0, no interface,
// table id 0 in both families; an attach without a namespace id goes there
// without a secret check; it can be deleted like any other namespace
// (freeing its applications), after which an attach without a namespace id
// is refused (modelling decision: VPP takes index 0 blindly, see
// docs/vpp-compatibility.md) until a namespace `default` exists again.
func TestReview10DefaultNamespace(t *testing.T) {
	l, _ := rvLayer(t)
	info, ok := l.Namespace(DefaultNamespace)
	if !ok {
		t.Fatal("no default namespace after enable")
	}
	fib4, ok4 := l.FibIndex(false, 0)
	fib6, ok6 := l.FibIndex(true, 0)
	if !ok4 || !ok6 {
		t.Fatal("table id 0 missing")
	}
	if info.Index != 0 || info.Secret != 0 || info.SwIfIndex != InvalidIndex || info.FibIndex != [2]uint32{fib4, fib6} {
		t.Fatalf("default namespace %+v, want index 0, secret 0, no interface, fibs [%d %d]", info, fib4, fib6)
	}
	for _, ip6 := range []bool{false, true} {
		if got, ok := l.TableNamespaces(ip6, 0); !ok || !slices.Equal(got, []uint32{0}) {
			t.Fatalf("global table of fib 0 (ip6 %v) namespaces %v %v, want [0]", ip6, got, ok)
		}
	}
	app := mustAttach(t, l, AttachArgs{Name: "a", Secret: 0xdead}) // no id: secret ignored
	if a := l.Apps(); len(a) != 1 || a[0].Index != app || a[0].Namespace != 0 {
		t.Fatalf("apps %+v, want a in namespace 0", a)
	}

	if err := l.DelNamespace(DefaultNamespace); err != nil {
		t.Fatalf("the default namespace can be deleted: %v", err)
	}
	if _, ok := l.AppIndex("a"); ok {
		t.Fatal("the default namespace's application survived its deletion")
	}
	if _, ok := l.Namespace(DefaultNamespace); ok {
		t.Fatal("default namespace still listed")
	}
	if _, err := l.Attach(AttachArgs{Name: "b"}); !errIs(err, ErrInvalidNS) {
		t.Fatalf("attach without namespace id after the default was deleted: %v, want %s", err, ErrInvalidNS.Name())
	}
	if _, err := l.Attach(AttachArgs{Name: "b", Namespace: DefaultNamespace}); !errIs(err, ErrInvalidNS) {
		t.Fatalf("attach naming the deleted default: %v, want %s", err, ErrInvalidNS.Name())
	}
	if _, err := l.AddNamespace(NamespaceArgs{ID: DefaultNamespace, Secret: 3, SwIfIndex: InvalidIndex, IP4FibID: 0, IP6FibID: 0}); err != nil {
		t.Fatal(err)
	}
	// An empty id still skips the (now non-zero) secret.
	b := mustAttach(t, l, AttachArgs{Name: "b"})
	if _, err := l.Attach(AttachArgs{Name: "c", Namespace: DefaultNamespace}); !errIs(err, ErrWrongNSSecret) {
		t.Fatalf("naming the re-added default with secret 0: %v, want %s", err, ErrWrongNSSecret.Name())
	}
	if err := l.Detach(b); err != nil {
		t.Fatal(err)
	}
	if k := l.LeakCheck(); !k.Empty() {
		t.Fatalf("leaks: %+v", k)
	}
}

// TestReview10SharedFibNeedsGlobalListener: §10 item 2 / §5.7 — between
// namespaces sharing a fib a connect is cut-through only when the server's
// listener is in the fib's global table: a server with local scope only
// (its listener is in its own namespace's local table) or a server in
// another fib is reached through the transport.
func TestReview10SharedFibNeedsGlobalListener(t *testing.T) {
	l, tcp := rvLayer(t)
	sw0 := loopback(t, l, "loop0", 0, "10.0.0.1/24")
	sw5 := loopback(t, l, "loop5", 5, "10.5.0.1/24")
	for _, ns := range []NamespaceArgs{{ID: "a", SwIfIndex: sw0}, {ID: "b", SwIfIndex: sw0}, {ID: "c", SwIfIndex: sw5}} {
		if _, err := l.AddNamespace(ns); err != nil {
			t.Fatal(err)
		}
	}
	locSrv := mustAttach(t, l, AttachArgs{Name: "loc", Namespace: "b", Flags: AppUseLocalScope})
	glbSrv := mustAttach(t, l, AttachArgs{Name: "glb", Namespace: "b", Flags: AppUseGlobalScope})
	farSrv := mustAttach(t, l, AttachArgs{Name: "far", Namespace: "c", Flags: AppUseLocalAndScope})
	rvListen(t, l, locSrv, ProtoTCP, "0.0.0.0", 9)
	rvListen(t, l, glbSrv, ProtoTCP, "0.0.0.0", 10)
	rvListen(t, l, farSrv, ProtoTCP, "0.0.0.0", 11)
	cli := mustAttach(t, l, AttachArgs{Name: "cli", Namespace: "a", Flags: AppUseLocalAndScope})
	cases := []struct {
		name, remote string
		ct           bool
	}{
		{"global listener of another namespace in the shared fib", "10.0.0.1:10", true},
		{"local-scope-only server of another namespace", "10.0.0.1:9", false},
		{"server in another fib", "10.5.0.1:11", false},
	}
	for _, c := range cases {
		n, ct := len(tcp.Calls), l.Stats().CTConnects
		if _, err := l.Connect(ConnectArgs{App: cli, Proto: ProtoTCP, Remote: ap(c.remote), FibIndex: InvalidIndex}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		gotCT, gotTP := l.Stats().CTConnects != ct, len(tcp.Calls) != n
		if gotCT != c.ct || gotTP == c.ct {
			t.Errorf("%s: cut-through %v, transport %v; want cut-through %v", c.name, gotCT, gotTP, c.ct)
		}
	}
}

// TestReview10InterfaceBindNoRefresh: §10 item 3 / §5.5 — a zero-address
// listen in a namespace with an interface is bound once, at listen time, to
// the interface's first address; later address changes do not move the
// global entry (VPP has no refresh), the local entry stays zero, and new
// listens take the interface's first address at their own bind time.
func TestReview10InterfaceBindNoRefresh(t *testing.T) {
	l, _ := rvLayer(t)
	sw := loopback(t, l, "loop0", 0, "10.0.0.1/24")
	if err := l.AddInterfaceAddress(sw, pfx("10.0.0.2/24")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.AddNamespace(NamespaceArgs{ID: "n", SwIfIndex: sw}); err != nil {
		t.Fatal(err)
	}
	ns, _ := l.NamespaceIndex("n")
	both := mustAttach(t, l, AttachArgs{Name: "both", Namespace: "n", Flags: AppUseLocalAndScope})
	glob := mustAttach(t, l, AttachArgs{Name: "glob", Namespace: "n"})
	h := rvListen(t, l, both, ProtoTCP, "0.0.0.0", 80)
	if err := l.DelInterfaceAddress(sw, pfx("10.0.0.1/24")); err != nil {
		t.Fatal(err)
	}
	if g := l.LookupListener(0, ProtoTCP, ip("10.0.0.1"), 80, false); g != h {
		t.Fatalf("global entry moved after the address went: %v, want %v under 10.0.0.1", g, h)
	}
	if g := l.LookupListener(0, ProtoTCP, ip("10.0.0.2"), 80, false); g != InvalidHandle {
		t.Fatalf("global entry refreshed to the new first address: %v", g)
	}
	if si, _ := l.Session(h); si.Local.Addr() != ip("10.0.0.1") {
		t.Fatalf("listen session rebound to %v", si.Local)
	}
	if r := l.LookupLocal(ns, ProtoTCP, ip("0.0.0.0"), 80); r.Kind != LocalListener {
		t.Fatalf("local entry should stay zero: %+v", r)
	}
	// A new listen binds the first address the interface has now.
	g := rvListen(t, l, glob, ProtoTCP, "0.0.0.0", 81)
	if si, _ := l.Session(g); si.Local.Addr() != ip("10.0.0.2") {
		t.Fatalf("new zero listen bound to %v, want 10.0.0.2", si.Local)
	}
	// Unlisten finds the entry under the address it was bound to.
	if err := l.Unlisten(both, h); err != nil {
		t.Fatal(err)
	}
	if g := l.LookupListener(0, ProtoTCP, ip("10.0.0.1"), 80, false); g != InvalidHandle {
		t.Fatalf("global entry left after unlisten: %v", g)
	}
	if r := l.LookupLocal(ns, ProtoTCP, ip("0.0.0.0"), 80); r.Kind != LocalNone {
		t.Fatalf("local entry left after unlisten: %+v", r)
	}
}

// TestReview10StartupConfig: §10 items 5 and 10 from startup.conf to the
// layer — plain `enable` gives the rule-table engine (modelling decision:
// the wiki's design, so rule adds work), `enable rt-backend sdl` the SDL
// engine, no `enable` no engine; the deprecated keywords are no-ops or
// aliases (event-queue-length sets the worker queue length) and the
// *-table-memory values reach the layer (honoured, modelling decision).
func TestReview10StartupConfig(t *testing.T) {
	const small = "v4-session-table-buckets 1024 v4-halfopen-table-buckets 256 v6-session-table-buckets 1024 " +
		"v6-halfopen-table-buckets 256 v4-halfopen-table-memory 1m v6-session-table-memory 4m " +
		"v6-halfopen-table-memory 1m local-endpoints-table-buckets 1024 local-endpoints-table-memory 4m "
	parse := func(body string) (Config, Engine) {
		t.Helper()
		f, err := config.Parse("startup.conf", []byte("session { "+small+body+" }"), config.Options{})
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return FromConfig(f.Session, f.Workers)
	}
	for _, c := range []struct {
		body string
		want Engine
	}{
		{"", EngineDisable},
		{"enable", EngineRuleTable},
		{"enable rt-backend rule-table", EngineRuleTable},
		{"enable rt-backend sdl", EngineSDL},
	} {
		if _, e := parse(c.body); e != c.want {
			t.Errorf("session { %s }: engine %s, want %s", c.body, e, c.want)
		}
	}
	cfg, e := parse("enable evt_qs_memfd_seg use-app-socket-api segment-baseva 0x7f0000000000 " +
		"event-queue-length 4096 v4-session-table-memory 3m")
	if cfg.WrkMqLength != 4096 || cfg.V4SessionMemory != 3<<20 || cfg.V6SessionMemory != 4<<20 {
		t.Fatalf("config %+v: want wrk-mq-length 4096 (alias), v4 session memory 3m, v6 4m", cfg)
	}
	cfg.HeapSegments = true
	l, err := New(Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Release() })
	if err := l.Enable(e); err != nil {
		t.Fatal(err)
	}
	r := rvRule("0.0.0.0/0", 0, "10.0.0.0/8", 0, ActionDrop, rules.ScopeAll)
	if err := l.RuleAddDel(r); err != nil {
		t.Fatalf("plain enable must allow rules (rule-table engine): %v", err)
	}
}
