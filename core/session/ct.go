package session

import "github.com/sessionlab/sessionlab/core/fifo"

// Cut-through (CT) sessions (application_local.c, spec §6.9): two
// applications on this host talk through a pair of fifos in a segment they
// share, without a transport. The client's connect creates a CT half-open
// on the control thread and programs the accept on a worker (round robin);
// the server session is created there, CREATED → ACCEPTING with fifos from
// a segment dedicated to the (client app, server app) pair; the client
// session is created only when the server accepts. A close unlinks the
// peers: the peer gets a reset (reset requested, or unread data left in the
// closer's rx) or a closing notification, and the closer's side is closed
// and deleted through the normal §6.5 machinery.

// ctState holds the cut-through pairs and the segments per app pair.
type ctState struct {
	pairs    []ctPair
	freePair []uint32
	segs     map[[2]uint32]uint32 // (client app, server app) -> segMgr index
}

// ctPair is one fifo pair shared by a client and a server session.
type ctPair struct {
	rx, tx *fifo.Fifo // the server's rx and tx (the client's tx and rx)
	sm     uint32
	refs   int
}

func (c *ctState) init() { c.segs = make(map[[2]uint32]uint32) }

// ctConnect starts a cut-through connect to listen session lh.
func (l *Layer) ctConnect(app *application, w *appWorker, lh Handle, f family, rmt *addr, rport uint16, ctx uint64) (Handle, Error) {
	if w.isCongested() {
		return InvalidHandle, ErrRefused
	}
	th := l.ctrlTh
	ho, hi, ok := l.allocSession(th)
	if !ok {
		return InvalidHandle, ErrAlloc
	}
	h := MakeHandle(th, hi)
	ho.flags |= FlagHalfOpen
	ho.stype = MakeSessionType(ProtoCT, f == fam4)
	ho.rmt, ho.rport = *rmt, rport
	ho.lcl = *rmt
	ho.appWrk = w.index
	ho.opaque = ctx
	ho.listener = lh
	l.setConn(h, hi)
	ho.alIndex = th
	l.setState(th, ho, StateConnecting)
	if ls := l.sessionAt(lh); ls != nil {
		ho.fib = ls.fib
	}
	// No local port: like VPP's ct_connect (lcl_port 0), a cut-through
	// half-open takes no local endpoint; CT sessions are never looked up
	// by 5-tuple, so nothing needs them distinct.
	ho.hoSlot = w.addHalfOpen(h)
	// Program the accept on a worker, round robin (thread 0 without
	// workers). VPP counts the connect before choosing
	// (ct_program_connect_to_wrk: (++n % workers) + 1), so with two
	// workers the first accept goes to thread 2.
	target := uint32(0)
	if n := uint32(len(l.threads) - 1); n > 0 {
		l.ctRR++
		target = 1 + l.ctRR%n
	}
	t := &l.threads[target]
	if !t.ctrl.push(ctrlEvent{typ: EventRPC, h: h, gen: ho.gen}) {
		l.stats.CtrlQueueFull++
	}
	l.stats.Connects++
	l.stats.CTConnects++
	return h, ErrNone
}

// ctAcceptOne runs on the chosen worker (ct_accept_one): create the server
// session and offer it to the server application.
func (l *Layer) ctAcceptOne(th uint32, ho *session, hoH Handle) {
	if ho.flags&FlagHalfOpen == 0 || ho.state != StateConnecting {
		return
	}
	cw := l.wrkAt(ho.appWrk)
	if cw == nil {
		return
	}
	al := l.alOfListenSession(ho.listener)
	if al == nil {
		l.ctConnectFail(ho, hoH, ErrRefused)
		return
	}
	// A server worker that cannot take the session (congested, or no
	// room for the fifos) fails the client's connect with ALLOC, whatever
	// the cause (ct_accept_one: app_worker_init_accepted_ct fails →
	// ct_session_connect_notify(ss, SESSION_E_ALLOC)).
	sw := l.pickWorker(al)
	if sw == nil || sw.isCongested() {
		l.stats.AcceptsRefused++
		l.ctConnectFail(ho, hoH, ErrAlloc)
		return
	}
	pi, e := l.ctAllocPair(l.apps[cw.app], l.apps[al.app], th)
	if e != ErrNone {
		l.ctConnectFail(ho, hoH, ErrAlloc)
		return
	}
	ss, si, ok := l.allocSession(th)
	if !ok {
		l.ctPairRelease(pi)
		l.ctConnectFail(l.sessionAt(hoH), hoH, ErrAlloc)
		return
	}
	ho = l.sessionAt(hoH)
	sh := MakeHandle(th, si)
	p := &l.ct.pairs[pi]
	ss.stype = ho.stype
	ss.lcl, ss.lport = ho.rmt, ho.rport
	ss.rmt, ss.rport = ho.lcl, ho.lport
	ss.fib = ho.fib
	ss.listener = ho.listener
	ss.appWrk = sw.index
	ss.ctPair = pi
	ss.rx, ss.tx = p.rx, p.tx
	// Until the client side exists, peer names the client's half-open and
	// opaque its generation (server sessions have no connect context).
	ss.peer = hoH
	ss.opaque = uint64(ho.gen)
	p.refs++
	sw.nSessions++
	l.stats.Accepted++
	l.setState(th, ss, StateAccepting)
	l.queueAppEvent(ss, sh, AppEvent{Type: EventAccepted, Handle: sh, Listener: ss.listener})
}

// ctConnectFail reports a failed cut-through connect to the client and
// cleans its half-open up.
func (l *Layer) ctConnectFail(ho *session, hoH Handle, e Error) {
	if ho == nil {
		return
	}
	l.fail(e)
	l.setState(hoH.Thread(), ho, StateTransportClosed)
	if w := l.wrkAt(ho.appWrk); w != nil {
		l.queueWrkEvent(w, hoH.Thread(), pendingEvent{ev: AppEvent{Type: EventConnected, Handle: InvalidHandle, Err: e, Context: ho.opaque}})
	}
	_ = l.HalfOpenDelete(hoH)
}

// ctPeerHalfOpen returns the client half-open a server session still
// waits to complete.
func (l *Layer) ctPeerHalfOpen(ss *session) (*session, Handle) {
	hoH := ss.peer
	ho := l.sessionAt(hoH)
	if ho == nil || ho.flags&FlagHalfOpen == 0 || uint64(ho.gen) != ss.opaque {
		return nil, hoH
	}
	return ho, hoH
}

// ctConnectNotify completes the client side once the server accepted
// (ct_session_connect_notify).
func (l *Layer) ctConnectNotify(ss *session, sh Handle) {
	ho, hoH := l.ctPeerHalfOpen(ss)
	var cw *appWorker
	if ho != nil && ho.state == StateConnecting {
		cw = l.wrkAt(ho.appWrk)
	}
	if cw == nil {
		// The client went away while the accept was pending: the server
		// is told the peer is closing (ct_session_force_disconnect_server
		// sends a closing notification), and closes its side itself.
		ss.peer = InvalidHandle
		l.closingNotify(ss, sh, false)
		return
	}
	th := sh.Thread()
	cs, ci, ok := l.allocSession(th)
	if !ok {
		// The client gets CONNECTED(ALLOC); the server is disconnected as
		// if the client had closed (ct_session_force_disconnect_server): it
		// hears DISCONNECTED and closes itself.
		ss = l.sessionAt(sh)
		ss.peer = InvalidHandle
		l.ctConnectFail(l.sessionAt(hoH), hoH, ErrAlloc)
		l.closingNotify(ss, sh, false)
		return
	}
	ss = l.sessionAt(sh)
	ho = l.sessionAt(hoH)
	ch := MakeHandle(th, ci)
	p := &l.ct.pairs[ss.ctPair]
	cs.stype = ho.stype
	cs.lcl, cs.lport, cs.rmt, cs.rport, cs.fib = ho.lcl, ho.lport, ho.rmt, ho.rport, ho.fib
	cs.appWrk = cw.index
	cs.opaque = ho.opaque
	cs.ctPair = ss.ctPair
	cs.rx, cs.tx = p.tx, p.rx
	p.refs++
	l.setState(th, cs, StateConnecting)
	l.setState(th, cs, StateReady)
	cs.peer, ss.peer = sh, ch
	cw.nSessions++
	l.stats.Established++
	ctx := ho.opaque
	// The half-open is done: TRANSPORT_CLOSED, then deleted (the client
	// gets HALF_CLEANUP after CONNECTED).
	l.setState(hoH.Thread(), ho, StateTransportClosed)
	l.queueAppEvent(cs, ch, AppEvent{Type: EventConnected, Handle: ch, Context: ctx})
	_ = l.HalfOpenDelete(hoH)
}

// ctAcceptRejected tells the client its connect was refused.
func (l *Layer) ctAcceptRejected(ss *session, sh Handle, e Error) {
	ho, hoH := l.ctPeerHalfOpen(ss)
	ss.peer = InvalidHandle
	if ho != nil && ho.state == StateConnecting {
		l.ctConnectFail(ho, hoH, ErrRefused)
	}
}

// ctClose is the CT transport's close/reset (ct_session_close): unlink the
// peer and notify it, then close and delete our side.
func (l *Layer) ctClose(s *session, h Handle, reset bool) {
	if ps := l.ctPeer(s, h); ps != nil {
		ph := s.peer
		ps.peer = InvalidHandle
		unread := s.rx != nil && s.rx.MaxDequeue() > 0
		if reset || unread {
			l.closingNotify(ps, ph, true)
		} else {
			l.closingNotify(ps, ph, false)
		}
	} else if ho, hoH := l.ctPeerHalfOpen(s); ho != nil && ho.state == StateConnecting {
		// Server closed before the client side existed.
		l.ctConnectFail(ho, hoH, ErrRefused)
	}
	s.peer = InvalidHandle
	_ = l.TransportClosed(h)
	if s = l.sessionAt(h); s != nil {
		_ = l.deleteNotify(h, false)
	}
}

// ctPeer returns s's established CT peer (linked both ways).
func (l *Layer) ctPeer(s *session, h Handle) *session {
	if s.peer == InvalidHandle {
		return nil
	}
	ps := l.sessionAt(s.peer)
	if ps == nil || ps.flags&FlagHalfOpen != 0 || ps.peer != h {
		return nil
	}
	return ps
}

// ctTx delivers a CT write: the peer's rx fifo is our tx fifo, so the peer
// just needs an RX event.
func (l *Layer) ctTx(s *session, h Handle) {
	ps := l.ctPeer(s, h)
	if ps == nil {
		return
	}
	if ps.rx.MaxDequeue() > 0 && ps.rx.SetEvent() {
		ps.flags |= FlagRxEvt
		l.queueAppEvent(ps, s.peer, AppEvent{Type: EventRx, Handle: s.peer})
	}
}

// ctHalfOpenCleanup cleans a CT half-open whose client detached; a server
// session waiting for it is left to find no peer when it is accepted.
func (l *Layer) ctHalfOpenCleanup(ho *session, h Handle) {}

// ctAllocPair allocates a fifo pair in the segment of (client, server),
// creating the segment (and telling both applications) if needed.
func (l *Layer) ctAllocPair(client, server *application, th uint32) (uint32, Error) {
	key := [2]uint32{client.index, server.index}
	smi, ok := l.ct.segs[key]
	if !ok {
		var err error
		smi, err = l.newSegMgr(fifo.ManagerConfig{
			Name:             server.name + "-ct-" + client.name,
			SegmentSize:      l.segMgrs[server.sm].mgr.Segment(0).Size(),
			UnprotectedFirst: true,
			Heap:             l.cfg.HeapSegments,
		})
		if err != nil {
			l.stats.FifoAllocFailures++
			return InvalidIndex, ErrSegCreate
		}
		sm := &l.segMgrs[smi]
		sm.ct = true
		sm.ctApps = key
		l.ct.segs[key] = smi
		l.ctSegNotify(sm, EventAppAddSegment, th)
	}
	sm := &l.segMgrs[smi]
	rx, tx, err := sm.mgr.AllocPair(server.rxSize, server.txSize)
	if err != nil {
		l.stats.FifoAllocFailures++
		if sm.pairs == 0 {
			l.ctFreeSeg(smi, th)
		}
		return InvalidIndex, fifoErr(err)
	}
	sm.pairs++
	var pi uint32
	if n := len(l.ct.freePair); n > 0 {
		pi = l.ct.freePair[n-1]
		l.ct.freePair = l.ct.freePair[:n-1]
	} else {
		pi = uint32(len(l.ct.pairs))
		l.ct.pairs = append(l.ct.pairs, ctPair{})
	}
	l.ct.pairs[pi] = ctPair{rx: rx, tx: tx, sm: smi}
	return pi, ErrNone
}

// ctPairRelease drops one session's reference to a pair; the last one
// frees the fifos, and an emptied CT segment is removed.
func (l *Layer) ctPairRelease(pi uint32) {
	p := &l.ct.pairs[pi]
	p.refs--
	if p.refs > 0 {
		return
	}
	sm := &l.segMgrs[p.sm]
	if err := sm.mgr.FreePair(p.rx, p.tx); err != nil {
		l.stats.FifoFreeErrors++
	}
	sm.pairs--
	smi := p.sm
	*p = ctPair{}
	l.ct.freePair = append(l.ct.freePair, pi)
	if sm.pairs == 0 {
		l.ctFreeSeg(smi, 0)
	}
}

func (l *Layer) ctFreeSeg(smi uint32, th uint32) {
	sm := &l.segMgrs[smi]
	l.ctSegNotify(sm, EventAppDelSegment, th)
	delete(l.ct.segs, sm.ctApps)
	_ = sm.mgr.Close()
	l.segMgrs[smi] = segMgr{}
}

// ctSegNotify tells both applications of a CT segment that it was added or
// removed (the app add/del segment callbacks).
func (l *Layer) ctSegNotify(sm *segMgr, typ EventType, th uint32) {
	for _, ai := range sm.ctApps {
		a := l.appAt(ai)
		if a == nil {
			continue
		}
		for _, wi := range a.workers {
			if w := l.wrkAt(wi); w != nil {
				l.queueWrkEvent(w, th, pendingEvent{ev: AppEvent{Type: typ, Handle: InvalidHandle, Context: sm.segIndex}})
				break
			}
		}
	}
}
