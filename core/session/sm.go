package session

import "fmt"

// The close state machine (spec §6): application operations, control-event
// handlers, transport notifications and the two-phase cleanup. Every
// function here is one row or column of the transition table §6.6; the
// table-driven test (statemachine_test.go) checks every cell.

// allocSession allocates a record on thread th, counted in state CREATED.
func (l *Layer) allocSession(th uint32) (*session, uint32, bool) {
	t := &l.threads[th]
	i, ok := t.pool.get()
	if !ok {
		// The error itself is counted once, where it is reported
		// (the public entry points and the cut-through notifiers).
		l.stats.PoolExhausted++
		return nil, 0, false
	}
	s := &t.pool.recs[i]
	s.created = t.now
	t.states[StateCreated]++
	return s, i, true
}

// setState moves s to st, keeping the per-state counters.
func (l *Layer) setState(th uint32, s *session, st State) {
	c := &l.threads[th].states
	c[s.state]--
	c[st]++
	s.state = st
}

// freeSessionRecord releases a record (no fifos, no port).
func (l *Layer) freeSessionRecord(th, i uint32) {
	t := &l.threads[th]
	s := &t.pool.recs[i]
	t.states[s.state]--
	t.pool.put(i)
}

// sessionAt resolves a handle to a live record.
func (l *Layer) sessionAt(h Handle) *session {
	th := h.Thread()
	if int(th) >= len(l.threads) {
		return nil
	}
	return l.threads[th].pool.at(h.Index())
}

// freeSession frees a session completely: fifos back to their segment (or
// the cut-through pair), its port reservation, the record (session_free
// after segment_manager_dealloc_fifos).
func (l *Layer) freeSession(h Handle) {
	s := l.sessionAt(h)
	if s == nil {
		return
	}
	if s.deferTpCleanup {
		s.deferTpCleanup = false
		l.tpCleanup(h, s)
	}
	l.freeFifos(s)
	if s.ownsPort {
		l.ports.release(&s.lcl, s.fib, s.lport, s.portProto())
		s.ownsPort = false
	}
	if w := l.wrkAt(s.appWrk); w != nil && s.flags&FlagHalfOpen == 0 && s.state != StateListening {
		w.nSessions--
	}
	l.stats.Freed++
	l.freeSessionRecord(h.Thread(), h.Index())
}

// portProto is the protocol a session's port reservation was made with.
func (s *session) portProto() Proto {
	return s.proto()
}

// programCtrl queues a control event for the session's thread
// (session_program_transport_ctrl_evt).
func (l *Layer) programCtrl(h Handle, s *session, typ EventType) {
	t := &l.threads[h.Thread()]
	if !t.ctrl.push(ctrlEvent{typ: typ, h: h, gen: s.gen}) {
		l.stats.CtrlQueueFull++
	}
}

// --- Application operations (§6.3) ---

// sessionForApp resolves h for application app, checking ownership.
func (l *Layer) sessionForApp(app uint32, h Handle) (*session, Error) {
	if l.appAt(app) == nil {
		return nil, ErrNoApp
	}
	s := l.sessionAt(h)
	if s == nil {
		return nil, ErrNoSession
	}
	w := l.wrkAt(s.appWrk)
	if w == nil || w.app != app {
		return nil, ErrOwner
	}
	return s, ErrNone
}

// Close is the application's close (DISCONNECT): the session moves to
// CLOSING and a CLOSE control event is queued; a session the transport
// already closed or deleted just gets the APP_CLOSED flag and the event
// that completes its cleanup (§6.3, session_close).
func (l *Layer) Close(app uint32, h Handle) error { return l.appClose(app, h, false) }

// Reset is the application's reset (TERMINATE): like Close, but the
// transport is reset instead of closed gracefully.
func (l *Layer) Reset(app uint32, h Handle) error { return l.appClose(app, h, true) }

func (l *Layer) appClose(app uint32, h Handle, reset bool) error {
	s, e := l.sessionForApp(app, h)
	if e != ErrNone {
		return fmt.Errorf("session: close %v: %w", h, l.fail(e))
	}
	if s.state == StateListening {
		return fmt.Errorf("session: close %v: a listener is not closed but unlistened: %w", h, l.fail(ErrInvalid))
	}
	if s.flags&FlagHalfOpen != 0 {
		l.closeHalfOpen(s, h)
		return nil
	}
	l.sessionClose(s, h, reset)
	return nil
}

// closeHalfOpen is the application's close of its pending connect: the
// attempt is abandoned. Its lookup entry goes, the transport drops the
// connection attempt without notifying about it again (a cut-through
// server that already accepted sees the client reset), and the application
// gets HALF_CLEANUP, which frees the half-open — what the transport's
// half-open delete notification would bring (§6.3, §6.8).
func (l *Layer) closeHalfOpen(s *session, h Handle) {
	if s.flags&FlagAppClosed != 0 {
		return
	}
	s.flags |= FlagAppClosed
	l.abandonHalfOpen(s, h)
	l.halfOpenDeleted(s, h)
}

// sessionClose is session_close / session_reset.
func (l *Layer) sessionClose(s *session, h Handle, reset bool) {
	if s.flags&FlagAppClosed != 0 {
		return
	}
	s.flags |= FlagAppClosed
	s.flags &^= FlagCustomFifoTuning
	typ := EventClose
	if reset {
		typ = EventReset
	}
	if s.state >= StateClosing {
		if s.state == StateTransportClosed || s.state == StateTransportDeleted {
			l.programCtrl(h, s, typ)
		}
		return
	}
	if s.tx != nil {
		s.tx.ClearDeqNotif()
	}
	if s.state < StateTransportClosing {
		if reset {
			l.countClose(s, closeReset)
		} else {
			l.countClose(s, closeApp)
		}
	}
	l.setState(h.Thread(), s, StateClosing)
	l.programCtrl(h, s, typ)
}

// ResetReply is the application's RESET_REPLY to a RESET event: it closes
// the session, and is ignored unless the transport is closing (state at
// least TRANSPORT_CLOSING), as VPP does.
func (l *Layer) ResetReply(app uint32, h Handle) error {
	s, e := l.sessionForApp(app, h)
	if e != ErrNone {
		return fmt.Errorf("session: reset reply %v: %w", h, l.fail(e))
	}
	if s.state < StateTransportClosing {
		return nil
	}
	l.sessionClose(s, h, false)
	return nil
}

// Shutdown half-closes the session (SHUTDOWN): a HALF_CLOSE control event
// is queued; state and flags do not change.
func (l *Layer) Shutdown(app uint32, h Handle) error {
	s, e := l.sessionForApp(app, h)
	if e != ErrNone {
		return fmt.Errorf("session: shutdown %v: %w", h, l.fail(e))
	}
	l.programCtrl(h, s, EventHalfClose)
	return nil
}

// detachSession is session_detach_app: the application lets go of the
// session; it is closed (or its cleanup completed) without telling the
// application anything more.
func (l *Layer) detachSession(s *session, h Handle) {
	switch {
	case s.state < StateTransportClosing:
		l.sessionClose(s, h, false)
	case s.state < StateTransportDeleted:
		// The transport is closing but not deleted: confirm the close,
		// unlink the transport (it finishes alone, without notifying) and
		// program the session's cleanup.
		l.tpClose(h, s, false)
		l.tpUnlink(h, s)
		l.delSessionEntry(s, h)
		l.setState(h.Thread(), s, StateTransportDeleted)
		l.cleanupNotify(s, h, CleanupSession)
	default:
		l.cleanupNotify(s, h, CleanupSession)
	}
	s.flags |= FlagAppClosed
	if w := l.wrkAt(s.appWrk); w != nil {
		w.nSessions--
	}
	s.appWrk = InvalidIndex
}

// --- Control events (§6.4) ---

// RunCtrlEvents runs thread th's session-queue node once: every control
// event queued when the call starts is handled (CLOSE, RESET, HALF_CLOSE,
// TX, cut-through accepts); events they queue run on the next call. now
// (ns) is the thread's current time. It returns the number of events
// handled.
func (l *Layer) RunCtrlEvents(th uint32, now int64) int {
	if !l.checkThread(th) {
		return 0
	}
	t := &l.threads[th]
	t.now = now
	n := t.ctrl.len()
	for i := 0; i < n; i++ {
		ev, ok := t.ctrl.pop()
		if !ok {
			break
		}
		l.runCtrl(th, ev)
	}
	return n
}

func (l *Layer) runCtrl(th uint32, ev ctrlEvent) {
	s := l.sessionAt(ev.h)
	if s == nil || s.gen != ev.gen {
		l.stats.StaleEvents++
		return
	}
	switch ev.typ {
	case EventClose:
		l.transportCloseCtrl(s, ev.h, false)
	case EventReset:
		l.transportCloseCtrl(s, ev.h, true)
	case EventHalfClose:
		if s.state == StateReady || s.state == StateTransportClosing {
			l.tpHalfClose(ev.h, s)
		}
	case EventTx:
		l.txEvent(s, ev.h)
	case EventRPC:
		l.ctAcceptOne(th, s, ev.h)
	}
}

// transportCloseCtrl is session_transport_close / session_transport_reset.
func (l *Layer) transportCloseCtrl(s *session, h Handle, reset bool) {
	if s.state >= StateAppClosed {
		if s.state == StateTransportClosed {
			l.setState(h.Thread(), s, StateClosed)
		} else if s.state >= StateTransportDeleted && s.flags&FlagHalfOpen == 0 {
			l.cleanupNotify(s, h, CleanupSession)
		}
		return
	}
	l.setState(h.Thread(), s, StateAppClosed)
	l.tpClose(h, s, reset)
}

// --- Transport notifications (§6.5, §6.6) ---

// TransportClosing reports that the peer closed (FIN): the application
// gets DISCONNECTED (except while the accept is pending: it is told after
// it replies).
func (l *Layer) TransportClosing(h Handle) error {
	s := l.sessionAt(h)
	if s == nil {
		return fmt.Errorf("session: transport closing %v: %w", h, l.fail(ErrNoSession))
	}
	l.closingNotify(s, h, false)
	return nil
}

// TransportReset reports that the peer reset the connection (RST): like
// TransportClosing but the application gets RESET.
func (l *Layer) TransportReset(h Handle) error {
	s := l.sessionAt(h)
	if s == nil {
		return fmt.Errorf("session: transport reset %v: %w", h, l.fail(ErrNoSession))
	}
	l.closingNotify(s, h, true)
	return nil
}

func (l *Layer) closingNotify(s *session, h Handle, reset bool) {
	if s.state >= StateTransportClosing || s.state == StateListening {
		return
	}
	if reset {
		l.countClose(s, closeReset)
	} else {
		l.countClose(s, closeTransport)
	}
	if s.state == StateAccepting {
		l.setState(h.Thread(), s, StateTransportClosing)
		return
	}
	l.setState(h.Thread(), s, StateTransportClosing)
	typ := EventDisconnected
	if reset {
		typ = EventReset
	}
	l.queueAppEvent(s, h, AppEvent{Type: typ, Handle: h})
}

// TransportClosed reports that no more data will flow either way (for
// example TCP entered TIME_WAIT or CLOSED).
func (l *Layer) TransportClosed(h Handle) error {
	s := l.sessionAt(h)
	if s == nil {
		return nil
	}
	if s.state >= StateTransportClosed || s.state == StateListening {
		return nil
	}
	switch {
	case s.state == StateReady:
		l.closingNotify(s, h, false)
		l.setState(h.Thread(), s, StateTransportClosed)
	case s.state <= StateClosing:
		l.setState(h.Thread(), s, StateTransportClosed)
	case s.state == StateAppClosed:
		l.setState(h.Thread(), s, StateClosed)
	}
	if l.wrkAt(s.appWrk) != nil {
		l.queueAppEvent(s, h, AppEvent{Type: EventTransportClosed, Handle: h})
	}
	return nil
}

// TransportDelete reports that the transport freed its connection: the
// session leaves the lookup table, is marked TRANSPORT_DELETED and the
// application is told (transport cleanup); it is freed once the
// application has closed too.
func (l *Layer) TransportDelete(h Handle) error { return l.deleteNotify(h, false) }

// TransportDeleteRequest is TransportDelete for transports that need their
// own cleanup (Transport.Cleanup) to run only after the application has
// processed the transport cleanup notification (for example to collect
// statistics).
func (l *Layer) TransportDeleteRequest(h Handle) error { return l.deleteNotify(h, true) }

func (l *Layer) deleteNotify(h Handle, request bool) error {
	s := l.sessionAt(h)
	if s == nil {
		return fmt.Errorf("session: transport delete %v: %w", h, l.fail(ErrNoSession))
	}
	th := h.Thread()
	if request {
		s.deferTpCleanup = true
	}
	switch s.state {
	case StateCreated:
		// Accept not yet notified: clean up everything, no app notice.
		l.delSessionEntry(s, h)
		l.freeSession(h)
	case StateAccepting, StateTransportClosing, StateClosing, StateTransportClosed:
		l.delSessionEntry(s, h)
		l.setState(th, s, StateTransportDeleted)
		l.cleanupNotify(s, h, CleanupTransport)
	case StateAppClosed:
		l.delSessionEntry(s, h)
		l.setState(th, s, StateTransportDeleted)
		l.cleanupNotify(s, h, CleanupTransport)
		l.programCtrl(h, s, EventClose)
	case StateTransportDeleted:
		if s.deferTpCleanup {
			s.deferTpCleanup = false
			l.tpCleanup(h, s)
		}
	case StateListening:
		return fmt.Errorf("session: transport delete %v: listeners are stopped with Unlisten: %w", h, l.fail(ErrInvalid))
	default: // CONNECTING, READY, OPENED, CLOSED
		if s.state != StateClosed {
			l.stats.UnexpectedDeletes++
		}
		l.delSessionEntry(s, h)
		l.setState(th, s, StateTransportDeleted)
		l.cleanupNotify(s, h, CleanupTransport)
		l.cleanupNotify(s, h, CleanupSession)
	}
	return nil
}

// TransportCleanup is session_transport_cleanup: the transport failed
// before the session was fully established and is already closed; the
// session is removed from the lookup table, the transport cleaned up and
// the session freed at once.
func (l *Layer) TransportCleanup(h Handle) error {
	s := l.sessionAt(h)
	if s == nil {
		return fmt.Errorf("session: transport cleanup %v: %w", h, l.fail(ErrNoSession))
	}
	l.delSessionEntry(s, h)
	if s.state != StateTransportDeleted {
		l.tpCleanup(h, s)
	}
	s.deferTpCleanup = false
	l.freeSession(h)
	return nil
}

// cleanupNotify is session_cleanup_notify: tell the application (which
// frees the session when it processes a SESSION cleanup), or, with no
// application left, free at once.
func (l *Layer) cleanupNotify(s *session, h Handle, typ CleanupType) {
	if l.wrkAt(s.appWrk) == nil {
		if typ == CleanupSession {
			l.freeSession(h)
		} else if s.deferTpCleanup {
			s.deferTpCleanup = false
			l.tpCleanup(h, s)
		}
		return
	}
	l.queueAppEvent(s, h, AppEvent{Type: EventCleanup, Handle: h, Cleanup: typ})
}

// --- Transport calls ---

func (l *Layer) tpClose(h Handle, s *session, reset bool) {
	if s.proto() == ProtoCT {
		l.ctClose(s, h, reset)
		return
	}
	if tp := l.transport[s.proto()]; tp != nil {
		if reset {
			tp.Reset(h.Thread(), l.connOf(h))
		} else {
			tp.Close(h.Thread(), l.connOf(h))
		}
	}
}

func (l *Layer) tpHalfClose(h Handle, s *session) {
	if s.proto() == ProtoCT {
		return
	}
	if tp := l.transport[s.proto()]; tp != nil {
		tp.HalfClose(h.Thread(), l.connOf(h))
	}
}

func (l *Layer) tpCleanup(h Handle, s *session) {
	if s.proto() == ProtoCT {
		return
	}
	if tp := l.transport[s.proto()]; tp != nil {
		tp.Cleanup(h.Thread(), l.connOf(h))
	}
}

func (l *Layer) tpUnlink(h Handle, s *session) {
	if s.proto() == ProtoCT {
		return
	}
	if tp := l.transport[s.proto()]; tp != nil {
		tp.Unlink(h.Thread(), l.connOf(h))
	}
}

// close paths (Stats.Closes*).
type closePath uint8

const (
	closeApp closePath = iota
	closeTransport
	closeReset
)

func (l *Layer) countClose(s *session, p closePath) {
	if s.closeCounted {
		return
	}
	s.closeCounted = true
	switch p {
	case closeApp:
		l.stats.ClosesApp++
	case closeTransport:
		l.stats.ClosesTransport++
	case closeReset:
		l.stats.ClosesReset++
	}
}
