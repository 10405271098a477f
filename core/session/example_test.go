package session_test

import (
	"fmt"
	"net/netip"

	"github.com/sessionlab/sessionlab/core/session"
)

// A server accepts a connection, reads, and the peer closes: the events
// the application sees and the states the session goes through.
func Example() {
	l, _ := session.New(session.Options{Config: session.TestConfig()})
	_ = l.Enable(session.EngineRuleTable)
	tcp := &session.TestTransport{L: l}
	_ = l.RegisterTransport(session.ProtoTCP, tcp)

	app, _ := l.Attach(session.AttachArgs{Name: "echo"})
	_, _ = l.Listen(session.ListenArgs{App: app, Proto: session.ProtoTCP, Addr: netip.IPv4Unspecified(), Port: 80})
	q, _ := l.Queue(app, 0)

	// The transport finds the listener for a SYN and accepts.
	c := session.Connection{Proto: session.ProtoTCP,
		Local: netip.MustParseAddrPort("10.0.0.1:80"), Remote: netip.MustParseAddrPort("10.0.0.2:4000")}
	r := l.Lookup(0, 0, c.Proto, c.Local.Addr(), c.Remote.Addr(), c.Local.Port(), c.Remote.Port())
	h, _ := l.Accept(0, r.Handle, 7, c, false)
	_ = l.AcceptNotify(h)
	l.Poll(0, 0)
	ev, _ := q.Pop()
	fmt.Println(r.Kind, ev.Type)
	_ = l.AcceptReply(app, h, session.ErrNone)

	// Data, then the peer's FIN.
	_, _ = l.Enqueue(h, []byte("hi"))
	_ = l.TransportClosing(h)
	l.Poll(0, 0)
	for ev, ok := q.Pop(); ok; ev, ok = q.Pop() {
		fmt.Println(ev.Type)
	}
	buf := make([]byte, 8)
	n, _ := l.Read(app, h, buf)
	fmt.Printf("%q\n", buf[:n])

	// The application confirms the close; the transport finishes.
	_ = l.Close(app, h)
	l.Poll(0, 0)
	si, _ := l.Session(h)
	fmt.Println(si.State, tcp.Ops())
	_ = l.TransportClosed(h)
	_ = l.TransportDelete(h)
	l.Poll(0, 0)
	for ev, ok := q.Pop(); ok; ev, ok = q.Pop() {
		fmt.Println(ev)
	}
	_, live := l.Session(h)
	fmt.Println("freed:", !live)
	// Output:
	// listener ACCEPTED
	// RX
	// DISCONNECTED
	// "hi"
	// APP_CLOSED [listen close]
	// TRANSPORT_CLOSED 0x1
	// CLEANUP 0x1 transport
	// CLEANUP 0x1 session
	// freed: true
}
