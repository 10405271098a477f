package session

import (
	"errors"
	"fmt"

	"github.com/sessionlab/sessionlab/core/fifo"
)

// allocFifos gives s an rx/tx fifo pair from app's segment manager
// (app_worker_init_accepted / app_worker_init_connected).
func (l *Layer) allocFifos(s *session, app *application) Error {
	sm := &l.segMgrs[app.sm]
	rx, tx, err := sm.mgr.AllocPair(app.rxSize, app.txSize)
	if err != nil {
		l.stats.FifoAllocFailures++
		return fifoErr(err)
	}
	sm.pairs++
	s.rx, s.tx, s.sm = rx, tx, app.sm
	return ErrNone
}

// fifoErr maps a fifo/segment error to the session error VPP reports.
func fifoErr(err error) Error {
	switch {
	case errors.Is(err, fifo.ErrSegNoSpace2):
		return ErrSegNoSpace2
	case errors.Is(err, fifo.ErrSegCreate):
		return ErrSegCreate
	case errors.Is(err, fifo.ErrSegNoSpace):
		return ErrSegNoSpace
	}
	return ErrAlloc
}

// freeFifos returns s's fifos: to their segment manager, or, for a
// cut-through session, to the shared pair (freed with its last session).
func (l *Layer) freeFifos(s *session) {
	if s.ctPair != InvalidIndex {
		l.ctPairRelease(s.ctPair)
		s.ctPair = InvalidIndex
		s.rx, s.tx = nil, nil
		return
	}
	if s.rx == nil || s.sm == InvalidIndex {
		return
	}
	sm := &l.segMgrs[s.sm]
	if err := sm.mgr.FreePair(s.rx, s.tx); err != nil {
		l.stats.FifoFreeErrors++
	}
	sm.pairs--
	s.rx, s.tx = nil, nil
	smi := s.sm
	s.sm = InvalidIndex
	l.maybeFreeSegMgr(smi)
}

// Enqueue appends in-order data a transport received to the session's rx
// fifo (session_enqueue_stream_connection). When the fifo's event flag goes
// from unset to set, the application gets an RX event (one per burst). It
// returns the number of bytes the tail advanced (data plus out-of-order
// bytes it joined).
func (l *Layer) Enqueue(h Handle, data []byte) (int, error) {
	s := l.sessionAt(h)
	if s == nil || s.rx == nil {
		return 0, l.fail(ErrNoSession)
	}
	n, err := s.rx.Enqueue(data)
	if n > 0 && s.rx.SetEvent() {
		// RX_EVT: an RX event is pending for the app (spec §6.1).
		s.flags |= FlagRxEvt
		l.queueAppEvent(s, h, AppEvent{Type: EventRx, Handle: h})
	}
	return n, err
}

// EnqueueAt writes out-of-order data offset bytes past the rx fifo's tail
// (svm_fifo_enqueue_with_offset): all or nothing, the tail does not move and
// no event is sent; a later in-order Enqueue collects it.
func (l *Layer) EnqueueAt(h Handle, offset uint32, data []byte) error {
	s := l.sessionAt(h)
	if s == nil || s.rx == nil {
		return l.fail(ErrNoSession)
	}
	return s.rx.EnqueueAt(offset, data)
}

// Read is the application reading its rx fifo: it clears the fifo's event
// flag (so the next enqueue signals again) and dequeues up to len(p) bytes.
func (l *Layer) Read(app uint32, h Handle, p []byte) (int, error) {
	s, e := l.sessionForApp(app, h)
	if e != ErrNone {
		return 0, l.fail(e)
	}
	if s.rx == nil {
		return 0, l.fail(ErrNoSession)
	}
	s.rx.UnsetEvent()
	return s.rx.Dequeue(p)
}

// Write is the application writing its tx fifo: the data is enqueued and,
// when the fifo's event flag goes from unset to set, a TX event is queued
// for the session's thread (the transport is told on the next
// RunCtrlEvents; a cut-through peer gets an RX event).
func (l *Layer) Write(app uint32, h Handle, p []byte) (int, error) {
	s, e := l.sessionForApp(app, h)
	if e != ErrNone {
		return 0, l.fail(e)
	}
	if s.tx == nil {
		return 0, l.fail(ErrNoSession)
	}
	n, err := s.tx.Enqueue(p)
	if n > 0 && s.tx.SetEvent() {
		l.programCtrl(h, s, EventTx)
	}
	return n, err
}

// txEvent handles a TX event on the session's thread.
func (l *Layer) txEvent(s *session, h Handle) {
	if s.tx == nil {
		return
	}
	s.tx.UnsetEvent()
	if s.proto() == ProtoCT {
		l.ctTx(s, h)
		return
	}
	if s.state < StateReady || s.state > StateTransportClosing && s.state != StateClosing {
		return
	}
	if tp := l.transport[s.proto()]; tp != nil {
		tp.Send(h.Thread(), l.connOf(h))
	}
}

// TxDequeued is called by a transport after it consumed n bytes of the
// session's tx fifo: if the application asked for dequeue notifications and
// the fifo's conditions are met, it gets a TX event
// (session_dequeue_notify).
func (l *Layer) TxDequeued(h Handle, n uint32) {
	s := l.sessionAt(h)
	if s == nil || s.tx == nil {
		return
	}
	if s.tx.NeedsDeqNotif(n) {
		s.tx.ClearDeqNotif()
		l.queueAppEvent(s, h, AppEvent{Type: EventTx, Handle: h})
	}
}

// Fifos returns the session's rx and tx fifos (nil for listeners and
// half-opens). Transports read the tx fifo and write the rx fifo through
// them (or through Enqueue).
func (l *Layer) Fifos(h Handle) (rx, tx *fifo.Fifo, err error) {
	s := l.sessionAt(h)
	if s == nil {
		return nil, nil, fmt.Errorf("session: fifos of %v: %w", h, ErrNoSession)
	}
	return s.rx, s.tx, nil
}
