package session

import (
	"fmt"
	"net/netip"
)

// ConnectArgs are the arguments of Connect (vnet_connect_args_t).
type ConnectArgs struct {
	App uint32
	// Worker is the app worker's map index.
	Worker uint32
	Proto  Proto
	// Remote is the destination; a zero address fails with
	// ErrInvalidRmtIP.
	Remote netip.AddrPort
	// Local optionally forces the source: a valid address is used as is
	// ("the session layer vetted it"), a port other than 0 is reserved
	// (ErrPortInUse if the 6-tuple is taken).
	Local netip.AddrPort
	// FibIndex overrides the namespace's fib for applications in the
	// default namespace; InvalidIndex means "not given" (the namespace's
	// fib). 0 is a fib like any other.
	FibIndex uint32
	// Context is returned in the CONNECTED event (the api context).
	Context uint64
	// Ext are extended configs for the transport (VPP's sep_ext.ext_cfgs),
	// passed to an ExtCfgTransport with the half-open's handle.
	Ext ExtCfgs
}

// Connect opens a session (vnet_connect, §3.7). Applications with local
// scope first try a cut-through connection (a local listener in the
// namespace, or a global listener in the same fib when the application
// also has global scope); otherwise the transport opens a half-open
// connection. It returns the half-open handle; the application learns the
// outcome from its CONNECTED event.
//
// Errors: ErrInvalidRmtIP (zero destination), ErrFiltered (an egress rule
// drops it), ErrNoRoute (local scope, zero or loopback destination, no local
// listener), ErrScope (local scope only, no local listener), ErrRefused
// (the worker's queue is congested), ErrNoIntf, ErrNoIP, ErrNoPort,
// ErrPortInUse (source selection), ErrTransportNoReg, ErrAlloc.
func (l *Layer) Connect(a ConnectArgs) (Handle, error) {
	h, e := l.connect(a)
	if e != ErrNone {
		return InvalidHandle, fmt.Errorf("session: connect %s %v: %w", a.Proto, a.Remote, l.fail(e))
	}
	return h, nil
}

func (l *Layer) connect(a ConnectArgs) (Handle, Error) {
	// VPP checks the destination before anything else.
	ra := a.Remote.Addr()
	if !ra.IsValid() || ra.IsUnspecified() {
		return InvalidHandle, ErrInvalidRmtIP
	}
	app, w, e := l.appWorkerOf(a.App, a.Worker)
	if e != ErrNone {
		return InvalidHandle, e
	}
	if a.Proto == ProtoCT || a.Proto >= numProtos {
		return InvalidHandle, ErrInvalid
	}
	f := famOf(ra.Is4())
	rmt := addrFrom(ra)
	ns := l.nsAt(app.ns)
	fib := ns.fib[f]
	if app.ns == l.defaultNSIndex() && a.FibIndex != InvalidIndex {
		// The caller supplied a fib (0 included), spec §3.7 step 2.
		fib = a.FibIndex
	}
	if fib == InvalidIndex {
		return InvalidHandle, ErrInvalidNS
	}
	rport := a.Remote.Port()
	if app.hasLocal() {
		h, e := l.ctTryConnect(app, w, ns, f, fib, &rmt, rport, a.Proto, a.Context)
		if e != ErrLocalConnect {
			return h, e
		}
	}
	if w.isCongested() {
		return InvalidHandle, ErrRefused
	}
	if !l.fibExists(f, fib) {
		// A default-namespace app may name any fib index; in one that
		// does not exist there is no route to anywhere (and no table to
		// create a half-open entry in).
		return InvalidHandle, ErrNoRoute
	}
	return l.openVC(app, w, ns, f, fib, rmt, rport, a)
}

// ctTryConnect is step 3 of §3.7 connect (ct_session_connect's lookups).
// It returns ErrLocalConnect when the connect should go to the transport.
func (l *Layer) ctTryConnect(app *application, w *appWorker, ns *namespace, f family, fib uint32, rmt *addr, rport uint16, p Proto, ctx uint64) (Handle, Error) {
	r := l.localEndpoint(l.tables[ns.local], f, rmt, rport, p)
	switch r.Kind {
	case LocalFiltered:
		return InvalidHandle, ErrFiltered
	case LocalListener:
		// A listener of the connecting app itself (a generic proxy's, or
		// any other) is skipped: the connect goes on to the global step,
		// as ct_session_connect breaks the loop.
		if al := l.alOfListenSession(r.Handle); al == nil || al.app != app.index {
			return l.ctConnect(app, w, r.Handle, f, rmt, rport, ctx)
		}
	case LocalProxy:
		if r.App != app.index {
			if pa := l.appAt(r.App); pa != nil {
				if al := l.firstListener(pa, f, p, true); al != nil {
					return l.ctConnect(app, w, MakeHandle(0, al.lls), f, rmt, rport, ctx)
				}
				if al := l.firstProxyListener(pa, f, p); al != nil {
					return l.ctConnect(app, w, l.appListenerHandle(al), f, rmt, rport, ctx)
				}
			}
		}
	}
	if rmt.isZero() || rmt.isLoopback(f == fam4) {
		return InvalidHandle, ErrNoRoute
	}
	if !app.hasGlobal() {
		return InvalidHandle, ErrScope
	}
	if gt := l.lookupTable(f, fib); gt != nil {
		if lh := l.listenerWildcard(gt, f, rmt, rport, p, true); lh != InvalidHandle {
			// Never to the app's own listener (VPP checks the app, not
			// only its proxy listeners).
			if al := l.alOfListenSession(lh); al != nil && al.app != app.index {
				return l.ctConnect(app, w, lh, f, rmt, rport, ctx)
			}
		}
	}
	return InvalidHandle, ErrLocalConnect
}

// firstProxyListener returns an application's proxy listener of (f, p).
func (l *Layer) firstProxyListener(app *application, f family, p Proto) *appListener {
	for _, ali := range app.listeners {
		if al := l.listeners[ali]; al != nil && al.proxy && al.fam == f && al.proto == p {
			return al
		}
	}
	return nil
}

// openVC is session_open_vc: choose and reserve the source endpoint,
// have the transport open a half-open connection and track it with a
// half-open session on the control thread.
func (l *Layer) openVC(app *application, w *appWorker, ns *namespace, f family, fib uint32, rmt addr, rport uint16, a ConnectArgs) (Handle, Error) {
	tp := l.transport[a.Proto]
	if tp == nil {
		return InvalidHandle, ErrTransportNoReg
	}
	ip4 := f == fam4
	// transport_alloc_local_endpoint: the local address...
	var lcl addr
	if la := a.Local.Addr(); la.IsValid() && !la.IsUnspecified() {
		if la.Is4() != ip4 {
			return InvalidHandle, ErrInvalid
		}
		lcl = addrFrom(la)
	} else {
		sw := ns.sw
		if sw == InvalidIndex {
			var e Error
			if sw, e = l.resolveInterface(fib, rmt, f); e != ErrNone {
				return InvalidHandle, e
			}
		}
		ip, ok := l.firstIP(sw, f)
		if !ok {
			return InvalidHandle, ErrNoIP
		}
		lcl = ip
	}
	// ...and the source port.
	lport := a.Local.Port()
	if lport == 0 {
		p, e := l.allocLocalPort(&lcl, &rmt, rport, fib, a.Proto, ip4)
		if e != ErrNone {
			return InvalidHandle, e
		}
		lport = p
	} else if e := l.markUsed(&lcl, fib, lport, a.Proto); e != ErrNone {
		if e != ErrPortInUse {
			return InvalidHandle, e
		}
		if l.sixTupleInUse(fib, &lcl, &rmt, lport, rport, a.Proto, ip4) {
			return InvalidHandle, ErrPortInUse
		}
		l.ports.share(&lcl, fib, lport, a.Proto)
	}
	th := l.ctrlTh
	if cl, ok := tp.(Connectionless); ok && cl.Connectionless() {
		return l.openCL(tp, w, a, f, fib, lcl, lport, rmt, rport)
	}
	ho, hi, ok := l.allocSession(th)
	if !ok {
		l.ports.release(&lcl, fib, lport, a.Proto)
		return InvalidHandle, ErrAlloc
	}
	h := MakeHandle(th, hi)
	ho.flags |= FlagHalfOpen
	ho.stype = MakeSessionType(a.Proto, ip4)
	ho.lcl, ho.rmt, ho.lport, ho.rport, ho.fib = lcl, rmt, lport, rport, fib
	ho.appWrk = w.index
	ho.opaque = a.Context
	ho.ownsPort = true
	l.setState(th, ho, StateConnecting)
	passExtCfgs(tp, h, &a.Ext)
	conn, e := tp.Connect(h, Connection{Proto: a.Proto,
		Local:  netip.AddrPortFrom(lcl.netip(ip4), lport),
		Remote: netip.AddrPortFrom(rmt.netip(ip4), rport), Fib: fib})
	ho = l.sessionAt(h)
	if e != ErrNone {
		l.freeSession(h)
		return InvalidHandle, e
	}
	l.setConn(h, conn)
	ho.alIndex = th
	ho.hoSlot = w.addHalfOpen(h)
	if e := l.addHalfOpenEntry(ho, uint64(MakeHandle(th, conn))); e != ErrNone {
		tp.HalfOpenCleanup(conn)
		w.delHalfOpen(ho.hoSlot)
		l.freeSession(h)
		return InvalidHandle, e
	}
	l.stats.Connects++
	return h, ErrNone
}

// openCL is session_open_cl: the transport connects at once; the session
// is OPENED (IS_CLESS) on the control thread with fifos and a lookup entry,
// and the application gets CONNECTED immediately.
func (l *Layer) openCL(tp Transport, w *appWorker, a ConnectArgs, f family, fib uint32, lcl addr, lport uint16, rmt addr, rport uint16) (Handle, Error) {
	ip4 := f == fam4
	th := l.ctrlTh
	s, si, ok := l.allocSession(th)
	if !ok {
		l.ports.release(&lcl, fib, lport, a.Proto)
		return InvalidHandle, ErrAlloc
	}
	h := MakeHandle(th, si)
	s.stype = MakeSessionType(a.Proto, ip4)
	s.lcl, s.rmt, s.lport, s.rport, s.fib = lcl, rmt, lport, rport, fib
	s.appWrk = w.index
	s.opaque = a.Context
	s.ownsPort = true
	passExtCfgs(tp, h, &a.Ext)
	conn, e := tp.Connect(h, Connection{Proto: a.Proto,
		Local:  netip.AddrPortFrom(lcl.netip(ip4), lport),
		Remote: netip.AddrPortFrom(rmt.netip(ip4), rport), Fib: fib})
	s = l.sessionAt(h)
	if e != ErrNone {
		l.freeSession(h)
		return InvalidHandle, e
	}
	l.setConn(h, conn)
	l.setState(th, s, StateOpened)
	s.flags |= FlagIsCless
	if e := l.allocFifos(s, l.apps[w.app]); e != ErrNone {
		tp.Cleanup(th, conn)
		l.freeSession(h)
		return InvalidHandle, e
	}
	if e := l.addSessionEntry(s, h); e != ErrNone {
		tp.Cleanup(th, conn)
		l.freeSession(h)
		return InvalidHandle, e
	}
	w.nSessions++
	l.stats.Connects++
	l.stats.Established++
	l.queueAppEvent(s, h, AppEvent{Type: EventConnected, Handle: h, Context: a.Context})
	return h, ErrNone
}

func (w *appWorker) addHalfOpen(h Handle) uint32 {
	if n := len(w.freeHo); n > 0 {
		i := w.freeHo[n-1]
		w.freeHo = w.freeHo[:n-1]
		w.halfOpens[i] = h
		return i
	}
	w.halfOpens = append(w.halfOpens, h)
	return uint32(len(w.halfOpens) - 1)
}

func (w *appWorker) delHalfOpen(slot uint32) {
	if int(slot) < len(w.halfOpens) && w.halfOpens[slot] != InvalidHandle {
		w.halfOpens[slot] = InvalidHandle
		w.freeHo = append(w.freeHo, slot)
	}
}

// Connected reports the outcome of a half-open connection
// (session_stream_connect_notify, §6.8): the half-open leaves the half-open
// table and moves to TRANSPORT_CLOSED; on success a session is created on
// thread th for transport connection conn (fifos, lookup entry, READY) and
// the application gets CONNECTED; with err set the application gets
// CONNECTED carrying the error. The transport later deletes the half-open
// with HalfOpenDelete. It returns the new session's handle.
func (l *Layer) Connected(ho Handle, th, conn uint32, err Error) (Handle, error) {
	hs := l.sessionAt(ho)
	if hs == nil || hs.flags&FlagHalfOpen == 0 {
		return InvalidHandle, fmt.Errorf("session: connected: %v is not a half-open: %w", ho, l.fail(ErrNoSession))
	}
	if !l.checkThread(th) {
		return InvalidHandle, fmt.Errorf("session: connected: thread %d out of range: %w", th, l.fail(ErrInvalid))
	}
	if hs.state != StateTransportClosed && hs.state != StateTransportDeleted {
		l.delHalfOpenEntry(hs)
	}
	l.setState(ho.Thread(), hs, StateTransportClosed)
	w := l.wrkAt(hs.appWrk)
	if w == nil {
		return InvalidHandle, fmt.Errorf("session: connected %v: %w", ho, l.fail(ErrNoApp))
	}
	ctx := hs.opaque
	if err != ErrNone {
		l.fail(err)
		l.queueWrkEvent(w, ho.Thread(), pendingEvent{ev: AppEvent{Type: EventConnected, Handle: InvalidHandle, Err: err, Context: ctx}})
		return InvalidHandle, nil
	}
	s, si, ok := l.allocSession(th)
	if !ok {
		l.queueWrkEvent(w, ho.Thread(), pendingEvent{ev: AppEvent{Type: EventConnected, Handle: InvalidHandle, Err: ErrAlloc, Context: ctx}})
		return InvalidHandle, fmt.Errorf("session: connected %v: %w", ho, l.fail(ErrAlloc))
	}
	hs = l.sessionAt(ho) // the pool may have moved (same thread)
	h := MakeHandle(th, si)
	s.stype = hs.stype
	s.lcl, s.rmt, s.lport, s.rport, s.fib = hs.lcl, hs.rmt, hs.lport, hs.rport, hs.fib
	l.setConn(h, conn)
	s.appWrk = w.index
	s.opaque = ctx
	l.setState(th, s, StateConnecting)
	if e := l.allocFifos(s, l.apps[w.app]); e != ErrNone {
		l.freeSessionRecord(th, si)
		l.queueWrkEvent(w, th, pendingEvent{ev: AppEvent{Type: EventConnected, Handle: InvalidHandle, Err: e, Context: ctx}})
		return InvalidHandle, fmt.Errorf("session: connected %v: %w", ho, l.fail(e))
	}
	l.setState(th, s, StateReady)
	if e := l.addSessionEntry(s, h); e != ErrNone {
		l.freeFifos(s)
		l.freeSessionRecord(th, si)
		l.queueWrkEvent(w, th, pendingEvent{ev: AppEvent{Type: EventConnected, Handle: InvalidHandle, Err: e, Context: ctx}})
		return InvalidHandle, fmt.Errorf("session: connected %v: %w", ho, e)
	}
	// The established connection takes over the source port.
	hs = l.sessionAt(ho)
	if hs.ownsPort {
		hs.ownsPort = false
		s.ownsPort = true
	}
	w.nSessions++
	l.stats.Established++
	l.queueAppEvent(s, h, AppEvent{Type: EventConnected, Handle: h, Context: ctx})
	return h, nil
}

// HalfOpenDelete reports that the transport freed a half-open connection
// (session_half_open_delete_notify): the half-open is marked
// TRANSPORT_DELETED and the application gets HALF_CLEANUP, which frees it
// (at once when the application is gone).
func (l *Layer) HalfOpenDelete(ho Handle) error {
	hs := l.sessionAt(ho)
	if hs == nil || hs.flags&FlagHalfOpen == 0 {
		return fmt.Errorf("session: half-open delete: %v is not a half-open: %w", ho, l.fail(ErrNoSession))
	}
	if hs.state != StateTransportClosed && hs.state != StateTransportDeleted {
		l.delHalfOpenEntry(hs)
	}
	l.halfOpenDeleted(hs, ho)
	return nil
}

// halfOpenDeleted marks half-open hs TRANSPORT_DELETED and programs the
// HALF_CLEANUP that tells its application and frees it (at once when the
// application is gone).
func (l *Layer) halfOpenDeleted(hs *session, ho Handle) {
	l.setState(ho.Thread(), hs, StateTransportDeleted)
	w := l.wrkAt(hs.appWrk)
	if w == nil {
		l.freeSession(ho)
		return
	}
	l.queueWrkEvent(w, ho.Thread(), pendingEvent{ev: AppEvent{Type: EventHalfCleanup, Handle: ho}, gen: hs.gen})
}

// halfCleanup processes HALF_CLEANUP: tell the app (if deliver), release the
// worker's half-open slot, free the half-open.
func (l *Layer) halfCleanup(w *appWorker, h Handle, gen uint32, deliver bool) {
	s := l.sessionAt(h)
	if s == nil || s.gen != gen {
		l.stats.StaleEvents++
		return
	}
	if deliver && s.appWrk == w.index {
		w.q.push(AppEvent{Type: EventHalfCleanup, Handle: h})
	}
	if s.appWrk == w.index {
		w.delHalfOpen(s.hoSlot)
	}
	l.freeSession(h)
}

// cleanupHalfOpen is session_cleanup_half_open (the application detaches
// before the transport deleted the half-open).
func (l *Layer) cleanupHalfOpen(s *session, h Handle) {
	l.abandonHalfOpen(s, h)
	s.appWrk = InvalidIndex
	l.freeSession(h)
}

// abandonHalfOpen takes a half-open the transport has not deleted out of
// the lookup table (unless the transport already closed it) and tells the
// transport to drop the attempt without notifying about it again.
func (l *Layer) abandonHalfOpen(s *session, h Handle) {
	if s.state == StateTransportDeleted {
		return
	}
	if s.state != StateTransportClosed {
		l.delHalfOpenEntry(s)
	}
	if s.proto() == ProtoCT {
		l.ctHalfOpenCleanup(s, h)
	} else if tp := l.transport[s.proto()]; tp != nil {
		tp.HalfOpenCleanup(l.connOf(h))
	}
}

// Accept creates a session for a connection a transport accepted on
// listener ls (session_stream_accept): on thread th, in state CREATED,
// with fifos from the listener application's segments, in the lookup
// table. With notify set the application is told at once (ACCEPTED, the
// state stays CREATED); otherwise the transport calls AcceptNotify when the
// handshake completes. The application worker is picked round robin among
// the listener's workers; a congested worker refuses (ErrRefused).
func (l *Layer) Accept(th uint32, ls Handle, conn uint32, c Connection, notify bool) (Handle, error) {
	h, e := l.accept(th, ls, conn, c, notify)
	if e != ErrNone {
		return InvalidHandle, fmt.Errorf("session: accept on %v: %w", ls, l.fail(e))
	}
	return h, nil
}

func (l *Layer) accept(th uint32, ls Handle, conn uint32, c Connection, notify bool) (Handle, Error) {
	if !l.checkThread(th) {
		return InvalidHandle, ErrInvalid
	}
	al := l.alOfListenSession(ls)
	if al == nil {
		return InvalidHandle, ErrNoListen
	}
	lss := l.sessionAt(ls)
	if lss.proto() == ProtoCT {
		return InvalidHandle, ErrInvalid // cut-through listeners accept through Connect
	}
	ip4 := lss.isIP4()
	if c.Local.Addr().Is4() != ip4 || c.Remote.Addr().Is4() != ip4 {
		return InvalidHandle, ErrInvalid
	}
	w := l.pickWorker(al)
	if w == nil {
		return InvalidHandle, ErrInvalidAppWrk
	}
	if w.isCongested() {
		l.stats.AcceptsRefused++
		return InvalidHandle, ErrRefused
	}
	s, si, ok := l.allocSession(th)
	if !ok {
		return InvalidHandle, ErrAlloc
	}
	h := MakeHandle(th, si)
	s.stype = lss.stype
	s.lcl, s.lport = addrFrom(c.Local.Addr()), c.Local.Port()
	s.rmt, s.rport = addrFrom(c.Remote.Addr()), c.Remote.Port()
	s.fib = al.fib
	l.setConn(h, conn)
	s.listener = ls
	s.appWrk = w.index
	if e := l.allocFifos(s, l.apps[al.app]); e != ErrNone {
		l.freeSessionRecord(th, si)
		return InvalidHandle, e
	}
	if e := l.addSessionEntry(s, h); e != ErrNone {
		l.freeFifos(s)
		l.freeSessionRecord(th, si)
		return InvalidHandle, e
	}
	w.nSessions++
	l.stats.Accepted++
	if notify {
		l.queueAppEvent(s, h, AppEvent{Type: EventAccepted, Handle: h, Listener: ls})
	}
	return h, ErrNone
}

// AcceptDgram creates a session for a datagram "connection" a transport
// accepted on listener ls (session_dgram_accept): like Accept, but the
// session goes straight to ACCEPTING and the application gets ACCEPTED.
func (l *Layer) AcceptDgram(th uint32, ls Handle, conn uint32, c Connection) (Handle, error) {
	h, e := l.accept(th, ls, conn, c, false)
	if e != ErrNone {
		return InvalidHandle, fmt.Errorf("session: dgram accept on %v: %w", ls, l.fail(e))
	}
	s := l.sessionAt(h)
	l.setState(th, s, StateAccepting)
	l.queueAppEvent(s, h, AppEvent{Type: EventAccepted, Handle: h, Listener: ls})
	return h, nil
}

// pickWorker picks the next worker of a listener, round robin.
func (l *Layer) pickWorker(al *appListener) *appWorker {
	if len(al.workers) == 0 {
		return nil
	}
	w := l.wrkAt(al.workers[al.rr%uint32(len(al.workers))])
	al.rr++
	return w
}

// AcceptNotify tells the application about an accepted session
// (session_stream_accept_notify): CREATED → ACCEPTING and ACCEPTED is
// queued. A session in another state is left alone.
func (l *Layer) AcceptNotify(h Handle) error {
	s := l.sessionAt(h)
	if s == nil {
		return fmt.Errorf("session: accept notify %v: %w", h, l.fail(ErrNoSession))
	}
	if l.wrkAt(s.appWrk) == nil {
		return fmt.Errorf("session: accept notify %v: %w", h, l.fail(ErrNoApp))
	}
	if s.state != StateCreated {
		return nil
	}
	l.setState(h.Thread(), s, StateAccepting)
	l.queueAppEvent(s, h, AppEvent{Type: EventAccepted, Handle: h, Listener: s.listener})
	return nil
}

// AcceptReply is the application's ACCEPTED_REPLY. A non-zero retval
// rejects the session (it is closed and forgotten by the application).
// Otherwise the session becomes READY (RX_READY set; data already received
// is signalled with an RX event); if the transport started closing while
// the accept was pending, DISCONNECTED is sent now and the closing state
// restored. For a cut-through session the client side is completed.
func (l *Layer) AcceptReply(app uint32, h Handle, retval Error) error {
	s, e := l.sessionForApp(app, h)
	if e != ErrNone {
		return fmt.Errorf("session: accept reply %v: %w", h, l.fail(e))
	}
	if retval != ErrNone {
		if s.proto() == ProtoCT {
			l.ctAcceptRejected(s, h, retval)
		}
		l.sessionClose(s, h, false)
		if w := l.wrkAt(s.appWrk); w != nil {
			w.nSessions--
		}
		s.appWrk = InvalidIndex
		return nil
	}
	s.flags |= FlagRxReady
	if s.proto() == ProtoCT {
		if s.state < StateReady {
			l.setState(h.Thread(), s, StateReady)
		}
		l.ctConnectNotify(s, h)
		return nil
	}
	old := s.state
	l.setState(h.Thread(), s, StateReady)
	if s.rx != nil && s.rx.MaxDequeue() > 0 {
		l.queueAppEvent(s, h, AppEvent{Type: EventRx, Handle: h})
	}
	if old >= StateTransportClosing {
		l.queueAppEvent(s, h, AppEvent{Type: EventDisconnected, Handle: h})
		l.setState(h.Thread(), s, old)
	}
	return nil
}
