package session

import (
	"net/netip"
	"testing"
)

// smallConfig keeps the tables small so that tests create layers cheaply.
func smallConfig() Config {
	return Config{
		V4SessionBuckets: 1024, V4HalfOpenBuckets: 256, V6SessionBuckets: 1024, V6HalfOpenBuckets: 256,
		V4SessionMemory: 4 << 20, V4HalfOpenMemory: 1 << 20, V6SessionMemory: 4 << 20, V6HalfOpenMemory: 1 << 20,
		LocalEndpointsBuckets: 1024, LocalEndpointsMemory: 4 << 20,
		HeapSegments: true,
	}
}

// newTestLayer builds an enabled layer with a TCP and a UDP test transport.
func newTestLayer(t testing.TB, cfg Config, e Engine) (*Layer, *TestTransport, *TestTransport) {
	t.Helper()
	l, err := New(Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Enable(e); err != nil {
		t.Fatal(err)
	}
	tcp := &TestTransport{L: l}
	udp := &TestTransport{L: l}
	if err := l.RegisterTransport(ProtoTCP, tcp); err != nil {
		t.Fatal(err)
	}
	if err := l.RegisterTransport(ProtoUDP, udp); err != nil {
		t.Fatal(err)
	}
	return l, tcp, udp
}

func mustAttach(t testing.TB, l *Layer, a AttachArgs) uint32 {
	t.Helper()
	i, err := l.Attach(a)
	if err != nil {
		t.Fatalf("attach %q: %v", a.Name, err)
	}
	return i
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
func ip(s string) netip.Addr     { return netip.MustParseAddr(s) }
func pfx(s string) netip.Prefix  { return netip.MustParsePrefix(s) }

// errIs reports whether err is the session error e.
func errIs(err error, e Error) bool {
	var se Error
	for err != nil {
		if x, ok := err.(Error); ok {
			se = x
			return se == e
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return e == ErrNone
}

// drain pops every event of a queue.
func drain(q *EventQueue) []AppEvent {
	var out []AppEvent
	for {
		ev, ok := q.Pop()
		if !ok {
			return out
		}
		out = append(out, ev)
	}
}

func queueOf(t testing.TB, l *Layer, app uint32) *EventQueue {
	t.Helper()
	q, err := l.Queue(app, 0)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// loopback adds an interface with addr in table id (created if needed).
func loopback(t testing.TB, l *Layer, name string, tableID uint32, addr string) uint32 {
	t.Helper()
	sw, err := l.AddInterface(name)
	if err != nil {
		t.Fatal(err)
	}
	if tableID != 0 {
		if err := l.AddIPTable(false, tableID); err != nil {
			t.Fatal(err)
		}
		if err := l.SetInterfaceTable(sw, false, tableID); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.AddInterfaceAddress(sw, pfx(addr)); err != nil {
		t.Fatal(err)
	}
	return sw
}
