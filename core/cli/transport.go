package cli

import (
	"github.com/sessionlab/sessionlab/core/session"
)

// TransportMode says who plays the network behind the session layer.
type TransportMode uint8

const (
	// ModeManual: the transport only records what the session layer asks
	// of it (the CLI prints each call); the user answers with `transport
	// connected|accept|closing|reset|closed|delete`. This is how a script
	// walks a session through the close state machine one notification at
	// a time.
	ModeManual TransportMode = iota
	// ModeLoopback: session.TestTransport's loopback network: a connect
	// reaches the listener of its destination in the same layer, a close
	// sends a FIN to the peer, a reset an RST; the session layer sees
	// exactly the notifications a TCP stack would send.
	ModeLoopback
)

// String returns "manual" or "loopback".
func (m TransportMode) String() string {
	if m == ModeLoopback {
		return "loopback"
	}
	return "manual"
}

// manualBase is the first transport connection index the manual transport
// hands out, far above any index the loopback network uses, so that the
// two never collide when a script switches modes.
const manualBase = 1 << 24

// transport is the CLI's transport for one protocol: it delegates to a
// session.TestTransport (recording, and playing the loopback network in
// ModeLoopback) and keeps the connections created by hand. A connection
// stays in the mode it was created in.
type transport struct {
	x     *Executor
	proto session.Proto
	tt    *session.TestTransport
	mode  TransportMode

	manual   map[uint32]session.Handle // manual connection index -> session
	next     uint32                    // next manual connection index
	hoHandle map[uint32]session.Handle // test transport half-open index -> half-open session
	manualHO map[session.Handle]bool   // half-opens created in manual mode
}

var _ session.Transport = (*transport)(nil)

func newTransport(x *Executor, p session.Proto) *transport {
	return &transport{x: x, proto: p, tt: &session.TestTransport{L: x.l}, next: manualBase,
		manual: make(map[uint32]session.Handle), hoHandle: make(map[uint32]session.Handle),
		manualHO: make(map[session.Handle]bool)}
}

// SetTransportMode switches both transports to mode. timeWait keeps a
// loopback connection closed by its application in TIME_WAIT (closed, not
// deleted) until `transport expire`, as TCP does. Connections that exist
// keep the mode they were created in.
func (x *Executor) SetTransportMode(mode TransportMode, timeWait bool) {
	for _, t := range x.tr {
		t.mode = mode
		t.tt.Auto = mode == ModeLoopback
		t.tt.TimeWait = timeWait
		t.tt.PeerFib = x.peerFib
	}
}

// TransportMode returns the current transport mode.
func (x *Executor) TransportMode() TransportMode { return x.tr[session.ProtoTCP].mode }

// peerFib routes a loopback connect to the fib of the interface that owns
// the destination address (VRFs leak routes to each other in the loopback
// network), or keeps the connect's fib.
func (x *Executor) peerFib(c session.Connection) uint32 {
	dst := c.Remote.Addr()
	for _, it := range x.l.Interfaces() {
		for _, p := range it.Addrs {
			if p.Addr() != dst {
				continue
			}
			f := 0
			if dst.Is6() {
				f = 1
			}
			if fi, ok := x.l.FibIndex(dst.Is6(), it.FibID[f]); ok {
				return fi
			}
		}
	}
	return c.Fib
}

// note records a call in the current command's result when it concerns a
// connection played by hand.
func (t *transport) note(op string, h session.Handle) {
	if t.x.cur == nil {
		return
	}
	t.x.cur.notes = append(t.x.cur.notes, note{call: &TransportCall{Proto: t.proto.String(), Op: op, Handle: h}})
}

// connHandle returns the session of connection conn and whether the
// connection is played by hand (created manually, or a loopback one while
// the mode is manual).
func (t *transport) connHandle(conn uint32) (session.Handle, bool) {
	if conn >= manualBase {
		h, ok := t.manual[conn]
		if !ok {
			h = session.InvalidHandle
		}
		return h, true
	}
	return t.tt.ConnSession(conn), t.mode == ModeManual
}

// Listen implements session.Transport.
func (t *transport) Listen(ls session.Handle, ep session.Endpoint) (uint32, session.Error) {
	return t.tt.Listen(ls, ep)
}

// Unlisten implements session.Transport.
func (t *transport) Unlisten(conn uint32) { t.tt.Unlisten(conn) }

// Connect implements session.Transport.
func (t *transport) Connect(ho session.Handle, c session.Connection) (uint32, session.Error) {
	i, err := t.tt.Connect(ho, c)
	if err == session.ErrNone {
		t.hoHandle[i] = ho
		if t.mode == ModeManual {
			t.manualHO[ho] = true
			t.note("connect", ho)
		}
	}
	return i, err
}

// op forwards a connection operation to the test transport (loopback
// connections) and notes it when the connection is played by hand.
func (t *transport) op(name string, th, conn uint32, fwd func(th, conn uint32)) {
	h, byHand := t.connHandle(conn)
	if conn < manualBase {
		fwd(th, conn)
	}
	if byHand {
		t.note(name, h)
	}
}

// Close implements session.Transport.
func (t *transport) Close(th, conn uint32) { t.op("close", th, conn, t.tt.Close) }

// Reset implements session.Transport.
func (t *transport) Reset(th, conn uint32) { t.op("reset", th, conn, t.tt.Reset) }

// HalfClose implements session.Transport.
func (t *transport) HalfClose(th, conn uint32) { t.op("half-close", th, conn, t.tt.HalfClose) }

// Send implements session.Transport.
func (t *transport) Send(th, conn uint32) { t.op("send", th, conn, t.tt.Send) }

// Cleanup implements session.Transport.
func (t *transport) Cleanup(th, conn uint32) {
	t.op("cleanup", th, conn, t.tt.Cleanup)
	delete(t.manual, conn)
}

// Unlink implements session.Transport.
func (t *transport) Unlink(th, conn uint32) {
	t.op("unlink", th, conn, t.tt.Unlink)
	delete(t.manual, conn)
}

// HalfOpenCleanup implements session.Transport.
func (t *transport) HalfOpenCleanup(ho uint32) {
	t.tt.HalfOpenCleanup(ho)
	h, ok := t.hoHandle[ho]
	if ok && t.manualHO[h] {
		t.note("half-open-cleanup", h)
		delete(t.manualHO, h)
	}
	delete(t.hoHandle, ho)
}

// newConn returns a fresh manual connection index for session h.
func (t *transport) newConn() uint32 {
	c := t.next
	t.next++
	return c
}
