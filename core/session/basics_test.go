package session

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/sessionlab/sessionlab/core/bihash"
	"github.com/sessionlab/sessionlab/core/rules"
)

func TestErrorNames(t *testing.T) {
	cases := []struct {
		e    Error
		code int32
		name string
	}{
		{ErrNone, 0, "SESSION_E_NONE"},
		{ErrAlloc, -4, "SESSION_E_ALLOC"},
		{ErrInvalid, -19, "SESSION_E_INVALID"},
		{ErrFiltered, -26, "SESSION_E_FILTERED"},
		{ErrLocalConnect, -37, "SESSION_E_LOCAL_CONNECT"},
		{ErrWrongNSSecret, -38, "SESSION_E_WRONG_NS_SECRET"},
		{ErrMaxStreamsHit, -41, "SESSION_E_MAX_STREAMS_HIT"},
	}
	for _, c := range cases {
		if c.e.Code() != c.code || c.e.Name() != c.name {
			t.Errorf("%d: code %d name %s, want %d %s", c.e, c.e.Code(), c.e.Name(), c.code, c.name)
		}
		if msg := c.e.Error(); msg == "" || msg[len(msg)-len(c.name)-1:len(msg)-1] != c.name {
			t.Errorf("%s: Error() = %q", c.name, msg)
		}
	}
	if Error(-42).Valid() || Error(1).Valid() || !ErrMaxStreamsHit.Valid() {
		t.Error("Valid")
	}
	if Error(-42).Name() != "SESSION_E_-42" {
		t.Error(Error(-42).Name())
	}
	var err error = fmt.Errorf("wrapped: %w", ErrFiltered)
	var se Error
	if !errors.As(err, &se) || se != ErrFiltered || !errors.Is(err, ErrFiltered) {
		t.Error("errors.As/Is")
	}
}

// TestKeyLayouts checks the byte layouts of spec §2.10 on the words VPP
// builds on a little-endian host.
func TestKeyLayouts(t *testing.T) {
	lcl, rmt := addrFrom(ip("1.2.3.4")), addrFrom(ip("5.6.7.8"))
	k := key4(&lcl, &rmt, 0x1234, 0xabcd, ProtoUDP)
	// bytes 0-3 local IP, 4-7 remote IP, 8-9 local port, 10-11 remote port
	// (network order), 12-15 proto.
	want := bihash.Key16{0x0807060504030201, 0x00000001cdab3412}
	if k != want {
		t.Fatalf("key4 = %#x, want %#x", k, want)
	}
	if k2 := key4raw([4]byte{1, 2, 3, 4}, [4]byte{5, 6, 7, 8}, 0x1234, 0xabcd, ProtoUDP); k2 != k {
		t.Fatalf("key4raw = %#x", k2)
	}
	if lk := listenKey4(&lcl, 80, ProtoTCP); lk != (bihash.Key16{0x04030201, 0x5000}) {
		t.Fatalf("listenKey4 = %#x", lk)
	}
	l6, r6 := addrFrom(ip("2001:db8::1")), addrFrom(ip("2001:db8::2"))
	k6 := key6(&l6, &r6, 80, 443, ProtoTCP)
	if k6[0] != 0xb80d0120 || k6[1] != 0x0100000000000000 || k6[3] != 0x0200000000000000 ||
		k6[4] != uint64(0xbb01)<<16|0x5000 || k6[5] != 0 {
		t.Fatalf("key6 = %#x", k6)
	}
	// Local endpoint: ip46 with the IPv4 address in bytes 12-15, then
	// fib << 32 | port << 8 | proto.
	ek := endpointKey(&lcl, 3, 0x1234, ProtoUDP)
	if ek != (bihash.Key24{0, 0x0403020100000000, 3<<32 | 0x3412<<8 | 1}) {
		t.Fatalf("endpointKey = %#x", ek)
	}
}

func TestHandleAndTypes(t *testing.T) {
	h := MakeHandle(3, 0x1234)
	if h.Thread() != 3 || h.Index() != 0x1234 || uint64(h) != 3<<32|0x1234 || h.String() != "0x300001234" {
		t.Fatal(h)
	}
	if InvalidHandle.String() != "invalid" || DropHandle != InvalidHandle-1 {
		t.Fatal("special handles")
	}
	st := MakeSessionType(ProtoUDP, true)
	if st != 3 || st.Proto() != ProtoUDP || !st.IsIP4() || st.String() != "udp4" {
		t.Fatal(st)
	}
	if StateTransportDeleted != 11 || StateTransportDeleted.String() != "TRANSPORT_DELETED" {
		t.Fatal("state numbering")
	}
	if (FlagAppClosed|FlagRxReady).String() != "APP_CLOSED|RX_READY" || FlagAppClosed != 1<<7 {
		t.Fatal("flags")
	}
	if EventCleanup != 31 || EventHalfCleanup != 36 || EventTerminate != 38 || !EventClose.IsCtrl() || EventRx.IsCtrl() {
		t.Fatal("event numbering")
	}
	for p := range Proto(numProtos) {
		if q, err := ParseProto(p.String()); err != nil || q != p {
			t.Fatal(p)
		}
	}
}

func TestPoolLIFOAndExhaustion(t *testing.T) {
	cfg := smallConfig()
	cfg.PreallocatedSessions = 3
	l, _, _ := newTestLayer(t, cfg, EngineRuleTable)
	var idx []uint32
	for range 3 {
		_, i, ok := l.allocSession(0)
		if !ok {
			t.Fatal("alloc")
		}
		idx = append(idx, i)
	}
	if !slices.Equal(idx, []uint32{0, 1, 2}) {
		t.Fatalf("fixed pool hands out %v, want 0 1 2", idx)
	}
	if _, _, ok := l.allocSession(0); ok {
		t.Fatal("fixed pool should be exhausted")
	}
	// The internal allocator counts the exhaustion; the error is counted
	// where it is reported (below, through Accept).
	if s := l.Stats(); s.PoolExhausted != 1 || s.Errors[-ErrAlloc] != 0 {
		t.Fatalf("exhaustion should be counted once: %+v", s)
	}
	l.freeSessionRecord(0, 1)
	l.freeSessionRecord(0, 0)
	if _, i, _ := l.allocSession(0); i != 0 {
		t.Fatalf("LIFO reuse: got %d, want 0", i)
	}
	if _, i, _ := l.allocSession(0); i != 1 {
		t.Fatalf("LIFO reuse: got %d, want 1", i)
	}

	// With workers: floor(1.1 × N / workers) per worker, main growable.
	cfg.Workers, cfg.PreallocatedSessions = 3, 100
	l2, _, _ := newTestLayer(t, cfg, EngineRuleTable)
	if l2.threads[0].pool.limit != 0 || l2.threads[1].pool.limit != 36 || l2.threads[3].pool.limit != 36 {
		t.Fatalf("pool limits %d %d", l2.threads[0].pool.limit, l2.threads[1].pool.limit)
	}
	// An accept into an exhausted pool is a counted error, never a crash.
	app := mustAttach(t, l2, AttachArgs{Name: "a"})
	ls, _ := l2.Listen(ListenArgs{App: app, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 80, FibIndex: InvalidIndex})
	var err error
	for i := range 40 {
		_, err = l2.Accept(1, ls, uint32(i), Connection{Proto: ProtoTCP, Local: ap("10.0.0.1:80"),
			Remote: netip.AddrPortFrom(ip("10.0.0.2"), uint16(1000+i))}, false)
		if err != nil {
			if i != 36 {
				t.Fatalf("accept %d failed: %v", i, err)
			}
			break
		}
	}
	if !errIs(err, ErrAlloc) {
		t.Fatalf("exhausted accept: %v", err)
	}
	// One failed accept is one ALLOC error and one exhaustion, not two.
	if _, err := l2.Accept(1, ls, 99, Connection{Proto: ProtoTCP, Local: ap("10.0.0.1:80"),
		Remote: ap("10.0.0.3:99")}, false); !errIs(err, ErrAlloc) {
		t.Fatalf("second exhausted accept: %v", err)
	}
	if s := l2.Stats(); s.PoolExhausted != 2 || s.Errors[-ErrAlloc] != 2 {
		t.Fatalf("two failed accepts: pool-exhausted %d, SESSION_E_ALLOC %d; want 2 and 2", s.PoolExhausted, s.Errors[-ErrAlloc])
	}
}

// TestTableFull: an arena too small for the sessions makes inserts fail
// with a counted ALLOC error; nothing is lost silently.
func TestTableFull(t *testing.T) {
	cfg := smallConfig()
	cfg.V4SessionBuckets = 1
	cfg.V4SessionMemory = 200 // the inline bucket (104 B) and nothing more
	l, _, _ := newTestLayer(t, cfg, EngineRuleTable)
	app := mustAttach(t, l, AttachArgs{Name: "a"})
	ls, err := l.Listen(ListenArgs{App: app, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 80, FibIndex: InvalidIndex})
	if err != nil {
		t.Fatal(err)
	}
	var accepted, failed int
	for i := range 10 {
		_, err := l.Accept(0, ls, uint32(i), Connection{Proto: ProtoTCP, Local: ap("10.0.0.1:80"),
			Remote: netip.AddrPortFrom(ip("10.0.0.2"), uint16(1000+i))}, false)
		if err != nil {
			if !errIs(err, ErrAlloc) {
				t.Fatal(err)
			}
			failed++
			continue
		}
		accepted++
	}
	if failed == 0 || accepted == 0 {
		t.Fatalf("accepted %d failed %d", accepted, failed)
	}
	if s := l.Stats(); s.TableFull != uint64(failed) {
		t.Fatalf("table-full count %d, failures %d", s.TableFull, failed)
	}
	if k := l.LeakCheck(); k.Sessions != accepted || k.Fifos != 2*accepted {
		t.Fatalf("a failed accept must not leave anything behind: %+v", k)
	}
}

// TestEngineGating: without the rule-table engine rules cannot be added
// (NOSUPPORT) and lookups ignore them; re-enabling with another engine
// needs a disable first.
func TestEngineGating(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	r := rules.Rule{Lcl: pfx("0.0.0.0/0"), Rmt: pfx("10.0.0.0/8"), Proto: rules.ProtoTCP, Action: rules.ActionDrop}
	if err := l.RuleAddDel(RuleArgs{Rule: r, IsAdd: true, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if got := l.Lookup(0, 0, ProtoTCP, ip("1.1.1.1"), ip("10.1.1.1"), 80, 80); got.Kind != LookupFiltered {
		t.Fatal(got)
	}
	if err := l.Enable(EngineNone); err == nil {
		t.Fatal("enabling with another engine should need a disable first")
	}
	if err := l.Disable(); err != nil {
		t.Fatal(err)
	}
	if err := l.Disable(); err == nil {
		t.Fatal("disabling twice should fail")
	}
	if err := l.Enable(EngineNone); err != nil {
		t.Fatal(err)
	}
	if err := l.RuleAddDel(RuleArgs{Rule: r, IsAdd: true, FibIndex: InvalidIndex}); !errIs(err, ErrNoSupport) {
		t.Fatalf("rule add without engine: %v", err)
	}
	if got := l.Lookup(0, 0, ProtoTCP, ip("1.1.1.1"), ip("10.1.1.1"), 80, 80); got.Kind != LookupNone {
		t.Fatalf("rules must be ignored without an engine: %+v", got)
	}
	if err := l.Enable(EngineSDL); err == nil {
		t.Fatal("switching to the sdl engine needs a disable first")
	}
	if _, err := New(Options{Config: smallConfig()}); err != nil {
		t.Fatal(err)
	}
}

func TestAttachErrors(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	mustAttach(t, l, AttachArgs{Name: "a"})
	if _, err := l.Attach(AttachArgs{Name: "a"}); !errIs(err, ErrAppAttached) {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := l.Attach(AttachArgs{Name: "b", Namespace: "nope"}); !errIs(err, ErrInvalidNS) {
		t.Fatalf("unknown ns: %v", err)
	}
	if _, err := l.Attach(AttachArgs{Name: "b", Namespace: DefaultNamespace, Secret: 1}); !errIs(err, ErrWrongNSSecret) {
		t.Fatalf("default ns named explicitly needs secret 0: %v", err)
	}
	if _, err := l.Attach(AttachArgs{Name: "b", Namespace: DefaultNamespace}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Attach(AttachArgs{}); !errIs(err, ErrInvalid) {
		t.Fatal(err)
	}
	// An eventfd mq needs memfd segments; a builtin app has private ones
	// unless it asks for memfd (spec §5.4).
	if _, err := l.Attach(AttachArgs{Name: "c", Flags: AppIsBuiltin | AppEvtMqUseEventfd}); !errIs(err, ErrNoSupport) {
		t.Fatalf("builtin + eventfd without memfd: %v", err)
	}
	if _, err := l.Attach(AttachArgs{Name: "c", Flags: AppIsBuiltin | AppEvtMqUseEventfd | AppMemfdForBuiltin}); err != nil {
		t.Fatalf("builtin + eventfd + memfd: %v", err)
	}
	if err := l.Detach(99); !errIs(err, ErrNoApp) {
		t.Fatal(err)
	}
	if s := l.Stats(); s.Errors[-ErrAppAttached] != 1 || s.Errors[-ErrWrongNSSecret] != 1 {
		t.Fatalf("errors should be counted: %+v", s.Errors)
	}
	if !secretOK(7, 7) || secretOK(7, 8) {
		t.Fatal("secretOK")
	}
}

func TestNamespaceErrors(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	if _, err := l.AddNamespace(NamespaceArgs{ID: "x", SwIfIndex: 42}); !errIs(err, ErrInvalid) {
		t.Fatalf("bad interface: %v", err)
	}
	if _, err := l.AddNamespace(NamespaceArgs{ID: "x", SwIfIndex: InvalidIndex, IP4FibID: InvalidIndex, IP6FibID: InvalidIndex}); !errIs(err, ErrInvalid) {
		t.Fatalf("no interface and no table: %v", err)
	}
	if err := l.DelNamespace("x"); !errIs(err, ErrInvalid) {
		t.Fatalf("unknown id: %v", err)
	}
	// Deleting a namespace frees its apps without telling them.
	if _, err := l.AddNamespace(NamespaceArgs{ID: "x", Secret: 5, SwIfIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	a := mustAttach(t, l, AttachArgs{Name: "a", Namespace: "x", Secret: 5})
	if _, err := l.Listen(ListenArgs{App: a, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 1, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if err := l.DelNamespace("x"); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.AppIndex("a"); ok {
		t.Fatal("app should be freed with its namespace")
	}
	if k := l.LeakCheck(); !k.Empty() {
		t.Fatalf("leaks: %+v", k)
	}
}

// TestListenNamespaceCheck: a non-zero listen address must belong to the
// namespace (its interface, or its fib).
func TestListenNamespaceCheck(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	sw := loopback(t, l, "loop0", 0, "10.0.0.1/24")
	_ = loopback(t, l, "loop1", 0, "10.0.1.1/24")
	a := mustAttach(t, l, AttachArgs{Name: "a"})
	if _, err := l.Listen(ListenArgs{App: a, Proto: ProtoTCP, Addr: ip("10.0.1.1"), Port: 1, FibIndex: InvalidIndex}); err != nil {
		t.Fatalf("an address local to the fib: %v", err)
	}
	if _, err := l.Listen(ListenArgs{App: a, Proto: ProtoTCP, Addr: ip("10.9.9.9"), Port: 1, FibIndex: InvalidIndex}); !errIs(err, ErrInvalidNS) {
		t.Fatalf("a foreign address: %v", err)
	}
	if _, err := l.AddNamespace(NamespaceArgs{ID: "n", SwIfIndex: sw}); err != nil {
		t.Fatal(err)
	}
	b := mustAttach(t, l, AttachArgs{Name: "b", Namespace: "n"})
	if _, err := l.Listen(ListenArgs{App: b, Proto: ProtoTCP, Addr: ip("10.0.1.1"), Port: 2, FibIndex: InvalidIndex}); !errIs(err, ErrInvalidNS) {
		t.Fatalf("an address not on the namespace's interface: %v", err)
	}
	if _, err := l.Listen(ListenArgs{App: b, Proto: ProtoTCP, Addr: ip("10.0.0.1"), Port: 2, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	// Another app cannot listen on the same endpoint.
	if _, err := l.Listen(ListenArgs{App: a, Proto: ProtoTCP, Addr: ip("10.0.0.1"), Port: 2, FibIndex: InvalidIndex}); !errIs(err, ErrAlreadyListening) {
		t.Fatalf("same endpoint by another app: %v", err)
	}
	if _, err := l.Listen(ListenArgs{App: a, Proto: ProtoCT, Addr: ip("10.0.0.1"), Port: 3, FibIndex: InvalidIndex}); !errIs(err, ErrInvalid) {
		t.Fatal(err)
	}
}

// TestPortAllocator: ports are drawn from the caller's generator within
// [min, max), a busy 6-tuple is PORTINUSE, a port busy towards another
// peer is shared, an exhausted range is NOPORT.
func TestPortAllocator(t *testing.T) {
	run := func(seed uint64) []uint16 {
		cfg := smallConfig()
		cfg.MinSrcPort, cfg.MaxSrcPort = 40000, 40004
		l, err := New(Options{Config: cfg, Rand: rand.NewPCG(seed, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Enable(EngineRuleTable); err != nil {
			t.Fatal(err)
		}
		tp := &TestTransport{L: l}
		_ = l.RegisterTransport(ProtoTCP, tp)
		loopback(t, l, "loop0", 0, "10.0.0.1/24")
		a := mustAttach(t, l, AttachArgs{Name: "a"})
		var ports []uint16
		for range 4 {
			if _, err := l.Connect(ConnectArgs{App: a, Proto: ProtoTCP, Remote: ap("10.0.0.2:80"), FibIndex: InvalidIndex}); err != nil {
				t.Fatal(err)
			}
			ports = append(ports, tp.Calls[len(tp.Calls)-1].Conn5.Local.Port())
		}
		if _, err := l.Connect(ConnectArgs{App: a, Proto: ProtoTCP, Remote: ap("10.0.0.2:80"), FibIndex: InvalidIndex}); !errIs(err, ErrNoPort) {
			t.Fatalf("range exhausted: %v", err)
		}
		// A different peer shares a busy port.
		if _, err := l.Connect(ConnectArgs{App: a, Proto: ProtoTCP, Remote: ap("10.0.0.3:80"), FibIndex: InvalidIndex}); err != nil {
			t.Fatalf("sharing towards another peer: %v", err)
		}
		// A forced busy 6-tuple.
		if _, err := l.Connect(ConnectArgs{App: a, Proto: ProtoTCP, Remote: ap("10.0.0.2:80"),
			Local: netip.AddrPortFrom(ip("10.0.0.1"), ports[0]), FibIndex: InvalidIndex}); !errIs(err, ErrPortInUse) {
			t.Fatalf("busy 6-tuple: %v", err)
		}
		if l.PortsInUse() != 4 {
			t.Fatalf("%d reservations", l.PortsInUse())
		}
		return ports
	}
	a, b := run(7), run(7)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different ports: %v %v", a, b)
	}
	s := slices.Clone(a)
	slices.Sort(s)
	if !slices.Equal(s, []uint16{40000, 40001, 40002, 40003}) {
		t.Fatalf("ports %v outside [40000, 40004)", a)
	}
}
