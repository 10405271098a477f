package session

// Application event delivery (VPP's app_worker_add_event and the
// session-input node, spec §6.7, §7.6). Notifications are queued per
// (application worker, thread) and delivered to the worker's message queue
// when the thread's FlushAppEvents runs, with VPP's filtering and
// congestion rules.

// maxFlushPerPass is how many events one pass of a worker's flush attempts
// (the congestion mark is cleared after a pass that delivered all it
// attempted).
const maxFlushPerPass = 128

// queueAppEvent queues ev for the session's app worker on the session's
// thread. Without a valid worker the event is dropped (counted).
func (l *Layer) queueAppEvent(s *session, h Handle, ev AppEvent) {
	w := l.wrkAt(s.appWrk)
	if w == nil {
		l.stats.EventsNoApp++
		return
	}
	l.queueWrkEvent(w, h.Thread(), pendingEvent{ev: ev, gen: s.gen})
}

func (l *Layer) queueWrkEvent(w *appWorker, th uint32, pe pendingEvent) {
	w.pending[th].push(pe)
	if !w.scheduled[th] {
		w.scheduled[th] = true
		t := &l.threads[th]
		t.pendingWrks = append(t.pendingWrks, w.index)
	}
}

// FlushAppEvents runs thread th's session-input node: the events queued for
// every application worker on this thread are delivered to the workers'
// message queues, in order. A worker whose queue is full is marked
// congested for this thread and keeps its remaining events (delivered by a
// later call); the mark is cleared by a pass that delivers everything it
// attempts. Cleanup events free their session as they are delivered. It
// returns the number of events processed.
func (l *Layer) FlushAppEvents(th uint32) int {
	if !l.checkThread(th) {
		return 0
	}
	t := &l.threads[th]
	total := 0
	for len(t.pendingWrks) > 0 {
		wrks := t.pendingWrks
		t.pendingWrks = t.nextWrks[:0]
		var stuck []uint32
		for _, wi := range wrks {
			w := l.wrkAt(wi)
			if w == nil || !w.scheduled[th] {
				continue
			}
			w.scheduled[th] = false
			n, done := l.flushWrk(w, th)
			total += n
			if !done {
				stuck = append(stuck, wi)
			}
		}
		t.nextWrks = wrks[:0]
		if len(stuck) > 0 {
			// Congested workers wait for the next call.
			for _, wi := range stuck {
				if w := l.wrkAt(wi); w != nil && !w.scheduled[th] && w.pending[th].len() > 0 {
					w.scheduled[th] = true
					t.pendingWrks = append(t.pendingWrks, wi)
				}
			}
			break
		}
	}
	return total
}

// flushWrk delivers worker w's events of thread th. It reports whether the
// worker's pending list was emptied (false: congested).
func (l *Layer) flushWrk(w *appWorker, th uint32) (int, bool) {
	q := &w.pending[th]
	n := 0
	for q.len() > 0 {
		attempted, delivered := 0, true
		for q.len() > 0 && attempted < maxFlushPerPass {
			if w.q.fullFor(q.at(0).ev.Type) {
				if !w.congested[th] {
					w.setCongested(th, true)
					l.stats.Congestions++
				}
				delivered = false
				break
			}
			pe, _ := q.pop()
			attempted++
			n++
			l.deliver(w, th, pe)
			if l.wrkAt(w.index) != w {
				return n, true // the worker was freed by a callback path
			}
		}
		if !delivered {
			return n, false
		}
		w.setCongested(th, false)
	}
	return n, true
}

// deliver applies one pending event (session_input.c's per-type handling).
func (l *Layer) deliver(w *appWorker, th uint32, pe pendingEvent) {
	ev := pe.ev
	switch ev.Type {
	case EventHalfCleanup:
		l.halfCleanup(w, ev.Handle, pe.gen, true)
		return
	case EventAppAddSegment, EventAppDelSegment:
		w.q.push(ev)
		return
	case EventConnected:
		if ev.Err != ErrNone || ev.Handle == InvalidHandle {
			w.q.push(ev)
			return
		}
	}
	s := l.sessionAt(ev.Handle)
	if s == nil || s.gen != pe.gen {
		l.stats.StaleEvents++
		return
	}
	mine := s.appWrk == w.index
	switch ev.Type {
	case EventRx:
		// Processed, delivered or not: the RX event is no longer pending.
		s.flags &^= FlagRxEvt
		if !mine || s.flags&FlagRxReady == 0 {
			l.stats.EventsFiltered++
			return
		}
		w.q.push(ev)
	case EventTx, EventAccepted:
		if !mine {
			l.stats.EventsFiltered++
			return
		}
		w.q.push(ev)
	case EventConnected:
		if !mine {
			l.stats.EventsFiltered++
			return
		}
		// Data that arrives after the connect queues its RX behind this
		// event, so RX_READY is set before it is delivered.
		s.flags |= FlagRxReady
		w.q.push(ev)
	case EventDisconnected, EventReset:
		s.flags &^= FlagRxReady
		if !mine || s.flags&FlagAppClosed != 0 {
			l.stats.EventsFiltered++
			return
		}
		s.flags |= FlagTptInitClose
		w.q.push(ev)
	case EventTransportClosed:
		if !mine {
			l.stats.EventsFiltered++
			return
		}
		w.q.push(ev)
	case EventCleanup:
		if mine && (ev.Cleanup == CleanupSession || s.state == StateTransportDeleted) {
			w.q.push(ev)
		}
		if ev.Cleanup == CleanupTransport {
			if s.deferTpCleanup {
				s.deferTpCleanup = false
				l.tpCleanup(ev.Handle, s)
			}
			return
		}
		l.freeSession(ev.Handle)
	default:
		w.q.push(ev)
	}
}

// drainEvent handles a pending event of a worker being freed: cleanups
// still run, nothing is delivered.
func (l *Layer) drainEvent(w *appWorker, th uint32, pe pendingEvent) {
	ev := pe.ev
	switch ev.Type {
	case EventHalfCleanup:
		l.halfCleanup(w, ev.Handle, pe.gen, false)
	case EventCleanup:
		s := l.sessionAt(ev.Handle)
		if s == nil || s.gen != pe.gen {
			return
		}
		if ev.Cleanup == CleanupSession {
			l.freeSession(ev.Handle)
		} else if s.deferTpCleanup {
			s.deferTpCleanup = false
			l.tpCleanup(ev.Handle, s)
		}
	}
}

// Poll runs thread th's control events and then delivers its application
// events: one iteration of the thread's session nodes. It returns the
// number of events handled.
func (l *Layer) Poll(th uint32, now int64) int {
	return l.RunCtrlEvents(th, now) + l.FlushAppEvents(th)
}

// PollAll polls every thread until no control event or application event
// is left to run (congested workers excepted), at most rounds times. It
// returns the number of events handled. Tests and single-goroutine
// simulations use it to reach quiescence.
func (l *Layer) PollAll(now int64, rounds int) int {
	total := 0
	for range rounds {
		n := 0
		for th := range l.threads {
			n += l.Poll(uint32(th), now)
		}
		total += n
		if n == 0 {
			break
		}
	}
	return total
}
