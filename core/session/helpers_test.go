package session

import (
	"net/netip"
	"testing"
)

// smallConfig keeps the tables small so that tests create layers cheaply.
func smallConfig() Config { return TestConfig() }

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

// placeholder mimics session_test.c's builtin callbacks
// (test_session_helpers.h): an accept makes the session ready, a
// disconnect or reset is answered with a disconnect, cleanups of the
// remembered sessions clear them, segment notifications are counted.
type placeholder struct {
	l         *Layer
	app       uint32
	connected Handle
	accepted  Handle
	accepts   int
	segments  int
	errors    int
	connErr   Error
	events    []AppEvent
}

func newPlaceholder(l *Layer, app uint32) *placeholder {
	return &placeholder{l: l, app: app, connected: InvalidHandle, accepted: InvalidHandle}
}

// process drains the app's queue and reacts; it returns the number of
// events handled.
func (p *placeholder) process(t testing.TB) int {
	t.Helper()
	if p.l.appAt(p.app) == nil {
		return 0
	}
	q := queueOf(t, p.l, p.app)
	n := 0
	for {
		ev, ok := q.Pop()
		if !ok {
			return n
		}
		n++
		p.events = append(p.events, ev)
		switch ev.Type {
		case EventAccepted:
			p.accepts++
			p.accepted = ev.Handle
			if err := p.l.AcceptReply(p.app, ev.Handle, ErrNone); err != nil {
				t.Errorf("accept reply: %v", err)
			}
		case EventConnected:
			if ev.Err != ErrNone {
				p.connErr = ev.Err
				continue
			}
			p.connected = ev.Handle
		case EventDisconnected, EventReset:
			if ev.Handle != p.connected && ev.Handle != p.accepted {
				p.errors++
			}
			if err := p.l.Close(p.app, ev.Handle); err != nil {
				t.Errorf("disconnect in callback: %v", err)
			}
		case EventCleanup:
			if ev.Cleanup != CleanupSession {
				continue
			}
			switch ev.Handle {
			case p.connected:
				p.connected = InvalidHandle
			case p.accepted:
				p.accepted = InvalidHandle
			default:
				p.errors++
			}
		case EventAppAddSegment:
			p.segments = 1
		case EventAppDelSegment:
			p.segments = 0
		}
	}
}

// settle runs the transport, the layer and the apps until nothing moves.
func settle(t testing.TB, tt *TestTransport, apps ...*placeholder) {
	t.Helper()
	for range 100 {
		n := 0
		if tt != nil {
			n += tt.Step()
		}
		n += tt.L.PollAll(0, 1)
		for _, a := range apps {
			n += a.process(t)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("layer did not settle in 100 rounds")
}

// peerFibByAddr routes a connect to the fib of the interface that owns the
// destination address (the tests' inter-VRF routes).
func peerFibByAddr(l *Layer) func(Connection) uint32 {
	return func(c Connection) uint32 {
		for _, it := range l.Interfaces() {
			for _, p := range it.Addrs {
				if p.Addr() == c.Remote.Addr() {
					fi, _ := l.FibIndex(!p.Addr().Is4(), it.FibID[famOf(p.Addr().Is4())])
					return fi
				}
			}
		}
		return c.Fib
	}
}
