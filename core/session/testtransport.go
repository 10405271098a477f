package session

import "fmt"

// TestTransport is a Transport for tests, examples and the CLI: it records
// every call the layer makes and, in Auto mode, plays a loopback network
// between the sessions of one layer — connects reach the listener of the
// destination, closes become the peer's FIN, resets its RST, data moves
// from one side's tx fifo to the other's rx fifo. Network events are not
// delivered from inside the layer's calls: they are queued and delivered
// by Step (Settle alternates Step with the layer's polls), as a real
// transport delivers them from its own input path.
//
// Without Auto it only records, and the test drives the layer's
// notification methods itself.
type TestTransport struct {
	// L is the layer the transport notifies.
	L *Layer
	// Auto turns the loopback network on.
	Auto bool
	// TimeWait keeps an actively closed connection in TIME_WAIT (closed,
	// not deleted) until ExpireTimeWait, as TCP does.
	TimeWait bool
	// PeerFib maps a connect to the fib its destination is reached in
	// (route leaking between VRFs); nil means the same fib.
	PeerFib func(c Connection) uint32
	// Thread picks the thread of the sessions a connect creates; nil means
	// the control thread.
	Thread func(c Connection) uint32
	// Calls records the layer's calls, in order.
	Calls []TransportCall

	conns     []ttConn
	listeners []Endpoint
	hos       []ttHalfOpen
	queue     []func()
}

// TransportCall is one recorded call.
type TransportCall struct {
	Op     string // "ext", "listen", "unlisten", "connect", "close", "reset", "half-close", "send", "cleanup", "unlink", "half-open-cleanup"
	Thread uint32
	Conn   uint32
	Handle Handle
	Conn5  Connection
	Ep     Endpoint
	// Ext are the extended configs of an "ext" call.
	Ext *ExtCfgs
}

type ttConn struct {
	h        Handle
	peer     int // index into conns, -1 none
	finSent  bool
	finRcvd  bool
	closed   bool // no more data either way (closed notified)
	deleted  bool
	gone     bool // unlinked or cleaned up: no notifications
	timeWait bool
	c        Connection
}

type ttHalfOpen struct {
	h    Handle
	c    Connection
	gone bool
	done bool
}

var _ Transport = (*TestTransport)(nil)

func (t *TestTransport) record(c TransportCall) { t.Calls = append(t.Calls, c) }

// Listen records the listener.
func (t *TestTransport) Listen(ls Handle, ep Endpoint) (uint32, Error) {
	t.listeners = append(t.listeners, ep)
	i := uint32(len(t.listeners) - 1)
	t.record(TransportCall{Op: "listen", Conn: i, Handle: ls, Ep: ep})
	return i, ErrNone
}

// Unlisten records the call.
func (t *TestTransport) Unlisten(conn uint32) { t.record(TransportCall{Op: "unlisten", Conn: conn}) }

// SetExtCfgs records the extended configs of the listen or connect that
// follows (op "ext"): TestTransport is an ExtCfgTransport.
func (t *TestTransport) SetExtCfgs(h Handle, ext *ExtCfgs) {
	t.record(TransportCall{Op: "ext", Handle: h, Ext: ext})
}

// Connect records the half-open; in Auto mode the handshake is queued.
func (t *TestTransport) Connect(ho Handle, c Connection) (uint32, Error) {
	t.hos = append(t.hos, ttHalfOpen{h: ho, c: c})
	i := uint32(len(t.hos) - 1)
	t.record(TransportCall{Op: "connect", Conn: i, Handle: ho, Conn5: c})
	if t.Auto {
		t.queue = append(t.queue, func() { t.establish(i) })
	}
	return i, ErrNone
}

// Close records the call; in Auto mode a FIN goes to the peer.
func (t *TestTransport) Close(th, conn uint32) {
	t.record(TransportCall{Op: "close", Thread: th, Conn: conn})
	if t.Auto {
		t.queue = append(t.queue, func() { t.sendFin(int(conn)) })
	}
}

// Reset records the call; in Auto mode an RST goes to the peer and both
// connections are closed and deleted.
func (t *TestTransport) Reset(th, conn uint32) {
	t.record(TransportCall{Op: "reset", Thread: th, Conn: conn})
	if t.Auto {
		t.queue = append(t.queue, func() { t.reset(int(conn)) })
	}
}

// HalfClose records the call; in Auto mode a FIN goes to the peer.
func (t *TestTransport) HalfClose(th, conn uint32) {
	t.record(TransportCall{Op: "half-close", Thread: th, Conn: conn})
	if t.Auto {
		t.queue = append(t.queue, func() { t.sendFin(int(conn)) })
	}
}

// Send records the call; in Auto mode the tx fifo is moved to the peer.
func (t *TestTransport) Send(th, conn uint32) {
	t.record(TransportCall{Op: "send", Thread: th, Conn: conn})
	if t.Auto {
		t.queue = append(t.queue, func() { t.send(int(conn)) })
	}
}

// Cleanup records the call and forgets the connection.
func (t *TestTransport) Cleanup(th, conn uint32) {
	t.record(TransportCall{Op: "cleanup", Thread: th, Conn: conn})
	if int(conn) < len(t.conns) {
		t.conns[conn].gone = true
	}
}

// Unlink records the call; the connection finishes closing silently.
func (t *TestTransport) Unlink(th, conn uint32) {
	t.record(TransportCall{Op: "unlink", Thread: th, Conn: conn})
	if int(conn) < len(t.conns) {
		t.conns[conn].gone = true
		if t.Auto {
			t.queue = append(t.queue, func() { t.sendFin(int(conn)) })
		}
	}
}

// HalfOpenCleanup records the call and forgets the half-open.
func (t *TestTransport) HalfOpenCleanup(ho uint32) {
	t.record(TransportCall{Op: "half-open-cleanup", Conn: ho})
	if int(ho) < len(t.hos) {
		t.hos[ho].gone = true
	}
}

// Ops returns the recorded operation names, in order.
func (t *TestTransport) Ops() []string {
	out := make([]string, len(t.Calls))
	for i, c := range t.Calls {
		out[i] = c.Op
	}
	return out
}

// Step delivers the queued network events (events they queue wait for
// the next Step) and returns how many ran.
func (t *TestTransport) Step() int {
	q := t.queue
	t.queue = nil
	for _, f := range q {
		f()
	}
	return len(q)
}

// Settle alternates Step with polls of every thread of the layer until
// nothing is left to do (at most rounds rounds) and returns the number of
// events processed.
func (t *TestTransport) Settle(now int64, rounds int) int {
	total := 0
	for range rounds {
		n := t.Step() + t.L.PollAll(now, 1)
		total += n
		if n == 0 && len(t.queue) == 0 {
			break
		}
	}
	return total
}

// ConnSession returns the session handle of transport connection conn.
func (t *TestTransport) ConnSession(conn uint32) Handle {
	if int(conn) >= len(t.conns) {
		return InvalidHandle
	}
	return t.conns[conn].h
}

// NumConns returns the number of connections the transport has created
// (indices 0..NumConns-1, including closed ones).
func (t *TestTransport) NumConns() int { return len(t.conns) }

// Abort resets connection conn and its peer from the network (a middlebox
// RST to both ends): both sessions are reset, closed and deleted.
func (t *TestTransport) Abort(conn uint32) {
	if int(conn) >= len(t.conns) {
		return
	}
	for _, i := range []int{int(conn), t.conns[conn].peer} {
		if i < 0 {
			continue
		}
		c := &t.conns[i]
		if !c.gone && !c.deleted && !c.closed {
			_ = t.L.TransportReset(c.h)
		}
		t.closeConn(i, false)
	}
}

// ExpireTimeWait deletes every connection waiting in TIME_WAIT.
func (t *TestTransport) ExpireTimeWait() {
	for i := range t.conns {
		c := &t.conns[i]
		if c.timeWait && !c.deleted {
			c.timeWait = false
			t.deleteConn(i)
		}
	}
}

// ForceClosed is VPP's transport_reset on a connection that is waiting in
// TIME_WAIT or closing: it becomes CLOSED (notified closed) without a
// delete, as the reconn-while-closed test forces it.
func (t *TestTransport) ForceClosed(conn uint32) {
	c := &t.conns[conn]
	if !c.closed {
		c.closed = true
		if !c.gone {
			_ = t.L.TransportClosed(c.h)
		}
	}
	c.timeWait = true
}

func (t *TestTransport) thread(c Connection) uint32 {
	if t.Thread != nil {
		return t.Thread(c)
	}
	return t.L.CtrlThread()
}

// establish plays the handshake of half-open i.
func (t *TestTransport) establish(i uint32) {
	ho := &t.hos[i]
	if ho.gone || ho.done {
		return
	}
	ho.done = true
	c := ho.c
	fib := c.Fib
	if t.PeerFib != nil {
		fib = t.PeerFib(c)
	}
	th := t.thread(c)
	srv := Connection{Proto: c.Proto, Local: c.Remote, Remote: c.Local, Fib: fib}
	for try := 0; try < 2; try++ {
		r := t.L.Lookup(th, fib, c.Proto, c.Remote.Addr(), c.Local.Addr(), c.Remote.Port(), c.Local.Port())
		switch r.Kind {
		case LookupSession, LookupWrongThread:
			// A SYN for a connection that is closed (TIME_WAIT or CLOSED)
			// deletes the old connection and is looked up again.
			if ci := t.connOf(r.Handle); ci >= 0 && t.conns[ci].closed {
				t.conns[ci].timeWait = false
				t.deleteConn(ci)
				continue
			}
		case LookupListener:
			sc := len(t.conns)
			t.conns = append(t.conns, ttConn{peer: -1, c: srv})
			sh, err := t.L.Accept(th, r.Handle, uint32(sc), srv, false)
			if err != nil {
				t.conns[sc].gone = true
				break
			}
			t.conns[sc].h = sh
			cc := len(t.conns)
			t.conns = append(t.conns, ttConn{peer: sc, c: c})
			ch, err := t.L.Connected(ho.h, th, uint32(cc), ErrNone)
			if err != nil || ch == InvalidHandle {
				t.conns[cc].gone = true
				_ = t.L.TransportDelete(sh)
				_ = t.L.HalfOpenDelete(ho.h)
				return
			}
			t.conns[cc].h = ch
			t.conns[sc].peer = cc
			_ = t.L.AcceptNotify(sh)
			_ = t.L.HalfOpenDelete(ho.h)
			return
		}
		break
	}
	_, _ = t.L.Connected(ho.h, t.L.CtrlThread(), 0, ErrRefused)
	_ = t.L.HalfOpenDelete(ho.h)
}

func (t *TestTransport) connOf(h Handle) int {
	for i := range t.conns {
		if t.conns[i].h == h && !t.conns[i].deleted && !t.conns[i].gone {
			return i
		}
	}
	return -1
}

// sendFin: conn i sends FIN. The peer learns it (closing); when both have
// sent, both are closed: the active closer waits in TIME_WAIT (or is
// deleted at once), the passive one is deleted.
func (t *TestTransport) sendFin(i int) {
	c := &t.conns[i]
	if c.finSent || c.deleted {
		return
	}
	c.finSent = true
	if c.peer < 0 {
		t.closeConn(i, false)
		return
	}
	p := &t.conns[c.peer]
	p.finRcvd = true
	if !p.gone && !p.deleted {
		_ = t.L.TransportClosing(p.h)
	}
	if c.finRcvd {
		// We were the passive closer: the peer (active) goes to
		// TIME_WAIT, we are done.
		t.closeConn(c.peer, t.TimeWait)
		t.closeConn(i, false)
	}
}

func (t *TestTransport) reset(i int) {
	c := &t.conns[i]
	if c.deleted {
		return
	}
	if c.peer >= 0 {
		p := &t.conns[c.peer]
		if !p.gone && !p.deleted && !p.closed {
			_ = t.L.TransportReset(p.h)
		}
		t.closeConn(c.peer, false)
	}
	t.closeConn(i, false)
}

// closeConn reports closed and, unless it waits in TIME_WAIT, deleted.
func (t *TestTransport) closeConn(i int, timeWait bool) {
	c := &t.conns[i]
	if c.deleted {
		return
	}
	if !c.closed {
		c.closed = true
		if !c.gone {
			_ = t.L.TransportClosed(c.h)
		}
	}
	if timeWait {
		c.timeWait = true
		return
	}
	t.deleteConn(i)
}

func (t *TestTransport) deleteConn(i int) {
	c := &t.conns[i]
	if c.deleted {
		return
	}
	c.deleted = true
	if !c.gone {
		_ = t.L.TransportDelete(c.h)
	}
}

// send moves conn i's tx fifo into its peer's rx fifo.
func (t *TestTransport) send(i int) {
	c := &t.conns[i]
	if c.gone || c.deleted || c.peer < 0 {
		return
	}
	p := &t.conns[c.peer]
	_, tx, err := t.L.Fifos(c.h)
	if err != nil || tx == nil {
		return
	}
	buf := make([]byte, tx.MaxDequeue())
	n, _ := tx.Peek(0, buf)
	if p.gone || p.deleted {
		return
	}
	m, _ := t.L.Enqueue(p.h, buf[:n])
	if m > 0 {
		_, _ = tx.Drop(uint32(m))
		t.L.TxDequeued(c.h, uint32(m))
	}
}

// String summarises the transport's state.
func (t *TestTransport) String() string {
	return fmt.Sprintf("test transport: %d listeners, %d half-opens, %d connections, %d queued events",
		len(t.listeners), len(t.hos), len(t.conns), len(t.queue))
}
