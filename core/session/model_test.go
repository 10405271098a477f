package session

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// The model-based random test: many sessions through random interleavings
// of application and transport events (close, reset, shutdown, transport
// closing/reset/closed/delete, control-event processing, application event
// processing, detach). An independent model — the §6.6 table of
// statemachine_test.go plus the delivery and cleanup rules of §6.7 — predicts
// every step; after each step the implementation's state, flags, lookup
// entry and delivered events must match, each session must be freed exactly
// once and only when both sides are done, and at the end the pools must be
// empty (LeakCheck).

// mSession is the model of one session.
type mSession struct {
	h         Handle
	gen       uint32 // the pool slot's generation while the session lives
	thread    uint32
	state     State
	flag      bool // APP_CLOSED
	rxReady   bool
	inTable   bool
	tpGone    bool // the transport may not notify any more (deleted or unlinked)
	detached  bool
	freed     bool
	notified  bool // the app was told about the accept
	ctrl      []EventType
	app       []string // notifications queued for the app
	delivered []string // notifications the app received (model)
	appDone   bool     // the app side has closed (or detached)
	tpDeleted bool     // the transport deleted its connection
}

type model struct {
	t        *rapid.T
	l        *Layer
	tp       *TestTransport
	app      uint32
	appGen   int
	ls       Handle
	sessions []*mSession
	port     uint16
}

func newModel(t *rapid.T) *model {
	cfg := smallConfig()
	cfg.Workers = 2
	l, err := New(Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Enable(EngineRuleTable); err != nil {
		t.Fatal(err)
	}
	tp := &TestTransport{L: l}
	if err := l.RegisterTransport(ProtoTCP, tp); err != nil {
		t.Fatal(err)
	}
	m := &model{t: t, l: l, tp: tp, port: 1000}
	m.attach()
	return m
}

func (m *model) attach() {
	m.appGen++
	app, err := m.l.Attach(AttachArgs{Name: fmt.Sprintf("server%d", m.appGen), EventQueueSize: 1 << 16})
	if err != nil {
		m.t.Fatal(err)
	}
	ls, err := m.l.Listen(ListenArgs{App: app, Proto: ProtoTCP, Addr: netip.IPv4Unspecified(), Port: 80, FibIndex: InvalidIndex})
	if err != nil {
		m.t.Fatal(err)
	}
	m.app, m.ls = app, ls
}

func (m *model) live() []*mSession {
	var out []*mSession
	for _, s := range m.sessions {
		if !s.freed {
			out = append(out, s)
		}
	}
	return out
}

// pick draws a live session, or nil.
func (m *model) pick(t *rapid.T, filter func(*mSession) bool) *mSession {
	var c []*mSession
	for _, s := range m.live() {
		if filter == nil || filter(s) {
			c = append(c, s)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return c[rapid.IntRange(0, len(c)-1).Draw(t, "session")]
}

// queueApp records notifications the layer queues for the app; without
// an app the rules of cleanupNotify / queueAppEvent apply.
func (m *model) queueApp(s *mSession, ns []string) {
	for _, n := range ns {
		if s.detached {
			if n == nCS {
				m.free(s, false)
				return
			}
			continue
		}
		s.app = append(s.app, n)
	}
}

// free records the free of s. A session is freed exactly once, only after
// its transport deleted its connection, and only when the application
// side is done: it closed, detached, never knew the session, or is told by
// the CLEANUP(session) that frees it (a transport delete of a session the
// application did not close, §6.6's "warn" cells).
func (m *model) free(s *mSession, viaCleanup bool) {
	if s.freed {
		m.t.Fatalf("session %v freed twice", s.h)
	}
	if !s.tpDeleted || !(s.appDone || !s.notified || s.detached || viaCleanup) {
		m.t.Fatalf("session %v freed before both sides were done (app done %v, transport deleted %v)", s.h, s.appDone, s.tpDeleted)
	}
	s.freed = true
}

// applyCell applies the §6.6 cell of ev to the model.
func (m *model) applyCell(s *mSession, ev smEvent) {
	c := expectedCell(s.state, ev)
	if s.flag && (ev == evAppClose || ev == evAppReset) {
		c = cell{next: s.state, flag: true}
	}
	if c.freed {
		s.tpDeleted = true
		m.free(s, false)
		return
	}
	if c.del {
		s.inTable = false
	}
	if ev == evTpDelete {
		s.tpDeleted = true
	}
	s.state = c.next
	if c.flag {
		s.flag = true
	}
	if ev == evAppClose || ev == evAppReset {
		s.appDone = true
	}
	s.ctrl = append(s.ctrl, c.ctrl...)
	m.queueApp(s, c.app)
}

// check compares one session with the implementation.
func (m *model) check(s *mSession) {
	got := m.l.sessionAt(s.h)
	if s.freed {
		// The slot may hold a newer session (LIFO reuse), never this one.
		if got != nil && got.gen == s.gen {
			m.t.Fatalf("session %v should be freed, is %s", s.h, got.state)
		}
		return
	}
	if got == nil {
		m.t.Fatalf("session %v (model %s) was freed", s.h, s.state)
	}
	if got.state != s.state {
		m.t.Fatalf("session %v: state %s, model %s", s.h, got.state, s.state)
	}
	if (got.flags&FlagAppClosed != 0) != s.flag {
		m.t.Fatalf("session %v: APP_CLOSED %v, model %v", s.h, got.flags&FlagAppClosed != 0, s.flag)
	}
	inTable := m.l.LookupSafe(0, ProtoTCP, got.lcl.netip(true), got.rmt.netip(true), got.lport, got.rport) == s.h
	if inTable != s.inTable {
		m.t.Fatalf("session %v: in lookup table %v, model %v", s.h, inTable, s.inTable)
	}
}

func (m *model) checkAll() {
	for _, s := range m.sessions {
		m.check(s)
	}
}

// runCtrl runs every thread's control events.
func (m *model) runCtrl() {
	for _, s := range m.live() {
		evs := s.ctrl
		s.ctrl = nil
		for _, ev := range evs {
			if s.freed {
				break
			}
			switch ev {
			case EventClose:
				m.applyCell(s, evCtrlClose)
			case EventReset:
				m.applyCell(s, evCtrlReset)
			case EventHalfClose:
			}
		}
	}
	for th := range m.l.threads {
		m.l.RunCtrlEvents(uint32(th), 0)
	}
}

// flush delivers application events and compares what the app received.
func (m *model) flush() {
	for _, s := range m.live() {
		evs := s.app
		s.app = nil
		for _, n := range evs {
			if s.freed {
				break
			}
			switch n {
			case nDisc, nReset:
				s.rxReady = false
				if !s.flag && !s.detached {
					s.delivered = append(s.delivered, n)
				}
			case nTC:
				if !s.detached {
					s.delivered = append(s.delivered, n)
				}
			case nCT:
				if !s.detached && s.state == StateTransportDeleted {
					s.delivered = append(s.delivered, n)
				}
			case nCS:
				if !s.detached {
					s.delivered = append(s.delivered, n)
				}
				m.free(s, !s.detached)
			default:
				s.delivered = append(s.delivered, n)
			}
		}
	}
	for th := range m.l.threads {
		m.l.FlushAppEvents(uint32(th))
	}
	m.readQueue()
}

// readQueue compares the app's queue with the model's deliveries.
func (m *model) readQueue() {
	q, err := m.l.Queue(m.app, 0)
	if err != nil {
		return
	}
	got := map[Handle][]string{}
	for {
		ev, ok := q.Pop()
		if !ok {
			break
		}
		name := ev.Type.String()
		switch ev.Type {
		case EventCleanup:
			name = nCT
			if ev.Cleanup == CleanupSession {
				name = nCS
			}
		case EventDisconnected:
			name = nDisc
		case EventReset:
			name = nReset
		case EventTransportClosed:
			name = nTC
		}
		got[ev.Handle] = append(got[ev.Handle], name)
	}
	want := map[Handle][]string{}
	for _, s := range m.sessions {
		if len(s.delivered) > 0 {
			want[s.h] = append(want[s.h], s.delivered...)
			s.delivered = nil
		}
	}
	for h, w := range want {
		if !slices.Equal(got[h], w) {
			m.t.Fatalf("session %v: app received %v, model %v", h, got[h], w)
		}
	}
	for h, g := range got {
		if _, ok := want[h]; !ok {
			m.t.Fatalf("session %v: app received %v, model nothing", h, g)
		}
	}
}

// newSession accepts a connection, in one of three stages: created (not
// notified), accepting (notified) or ready (the app replied).
func (m *model) newSession(t *rapid.T) {
	th := uint32(rapid.IntRange(0, 2).Draw(t, "thread"))
	stage := rapid.IntRange(0, 2).Draw(t, "stage")
	m.port++
	c := Connection{Proto: ProtoTCP, Local: netip.MustParseAddrPort("10.0.0.1:80"),
		Remote: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), m.port)}
	h, err := m.l.Accept(th, m.ls, uint32(m.port), c, false)
	if err != nil {
		t.Fatal(err)
	}
	s := &mSession{h: h, gen: m.l.sessionAt(h).gen, thread: th, state: StateCreated, inTable: true}
	m.sessions = append(m.sessions, s)
	if stage >= 1 {
		if err := m.l.AcceptNotify(h); err != nil {
			t.Fatal(err)
		}
		s.state, s.notified = StateAccepting, true
		s.app = append(s.app, "ACCEPTED")
	}
	if stage == 2 {
		m.flush()
		if err := m.l.AcceptReply(m.app, h, ErrNone); err != nil {
			t.Fatal(err)
		}
		s.state, s.rxReady = StateReady, true
	}
}

func (m *model) appOp(t *rapid.T, ev smEvent) {
	s := m.pick(t, func(s *mSession) bool { return !s.detached && s.notified })
	if s == nil {
		return
	}
	var err error
	if ev == evAppClose {
		err = m.l.Close(m.app, s.h)
	} else {
		err = m.l.Reset(m.app, s.h)
	}
	if err != nil {
		t.Fatalf("%v %v: %v", ev, s.h, err)
	}
	m.applyCell(s, ev)
}

func (m *model) tpOp(t *rapid.T, ev smEvent) {
	// A connection the application was never told about (TCP's SYN_RCVD)
	// can only be deleted.
	s := m.pick(t, func(s *mSession) bool { return !s.tpGone && (s.notified || ev == evTpDelete) })
	if s == nil {
		return
	}
	var err error
	switch ev {
	case evTpClosing:
		err = m.l.TransportClosing(s.h)
	case evTpReset:
		err = m.l.TransportReset(s.h)
	case evTpClosed:
		err = m.l.TransportClosed(s.h)
	case evTpDelete:
		err = m.l.TransportDelete(s.h)
		s.tpGone = true
	}
	if err != nil {
		t.Fatalf("%v %v: %v", ev, s.h, err)
	}
	m.applyCell(s, ev)
}

func (m *model) shutdown(t *rapid.T) {
	s := m.pick(t, func(s *mSession) bool { return !s.detached && s.notified })
	if s == nil {
		return
	}
	if err := m.l.Shutdown(m.app, s.h); err != nil {
		t.Fatal(err)
	}
	s.ctrl = append(s.ctrl, EventHalfClose)
}

// detach detaches the server app (session_detach_app for each session,
// pending events drained) and attaches a new one.
func (m *model) detach() {
	if err := m.l.Detach(m.app); err != nil {
		m.t.Fatal(err)
	}
	for _, s := range m.live() {
		if s.detached {
			continue
		}
		switch {
		case s.state < StateTransportClosing:
			m.applyCell(s, evAppClose)
		case s.state < StateTransportDeleted:
			s.tpGone = true
			s.tpDeleted = true // unlinked: the transport finishes alone
			s.inTable = false
			s.state = StateTransportDeleted
			s.app = append(s.app, nCS)
		default:
			s.app = append(s.app, nCS)
		}
		s.flag, s.appDone, s.detached = true, true, true
		// The worker's pending events are drained: cleanups run.
		evs := s.app
		s.app = nil
		for _, n := range evs {
			if n == nCS && !s.freed {
				m.free(s, false)
			}
		}
	}
	m.attach()
}

// quiesce closes everything and checks that nothing leaks.
func (m *model) quiesce() {
	for round := 0; len(m.live()) > 0; round++ {
		if round > 20 {
			m.t.Fatalf("sessions not freed: %d", len(m.live()))
		}
		for _, s := range m.live() {
			if !s.detached && !s.flag && s.notified {
				if err := m.l.Close(m.app, s.h); err != nil {
					m.t.Fatal(err)
				}
				m.applyCell(s, evAppClose)
			}
		}
		m.runCtrl()
		for _, s := range m.live() {
			if !s.tpGone && !s.freed {
				if !s.notified {
					if err := m.l.TransportDelete(s.h); err != nil {
						m.t.Fatal(err)
					}
					s.tpGone = true
					m.applyCell(s, evTpDelete)
					continue
				}
				if err := m.l.TransportClosed(s.h); err != nil {
					m.t.Fatal(err)
				}
				m.applyCell(s, evTpClosed)
				if s.freed {
					continue
				}
				if err := m.l.TransportDelete(s.h); err != nil {
					m.t.Fatal(err)
				}
				s.tpGone = true
				m.applyCell(s, evTpDelete)
			}
		}
		m.runCtrl()
		m.flush()
		m.checkAll()
	}
	if err := m.l.Detach(m.app); err != nil {
		m.t.Fatal(err)
	}
	m.l.PollAll(0, 10)
	if k := m.l.LeakCheck(); !k.Empty() {
		m.t.Fatalf("leaks at quiescence: %+v", k)
	}
}

// TestModelRandom is the model-based random test.
func TestModelRandom(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := newModel(t)
		n := rapid.IntRange(1, 120).Draw(t, "steps")
		for range n {
			switch op := rapid.IntRange(0, 13).Draw(t, "op"); op {
			case 0, 1:
				m.newSession(t)
			case 2:
				m.appOp(t, evAppClose)
			case 3:
				m.appOp(t, evAppReset)
			case 4:
				m.shutdown(t)
			case 5:
				m.tpOp(t, evTpClosing)
			case 6:
				m.tpOp(t, evTpReset)
			case 7:
				m.tpOp(t, evTpClosed)
			case 8:
				m.tpOp(t, evTpDelete)
			case 9, 10:
				m.runCtrl()
			case 11, 12:
				m.flush()
			case 13:
				if rapid.IntRange(0, 3).Draw(t, "detach?") == 0 {
					m.detach()
				}
			}
			m.checkAll()
		}
		m.quiesce()
	})
}
