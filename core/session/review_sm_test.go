package session

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Conformance review of the session state machine, events, half-opens,
// cut-through sessions, pools and worker event queues against spec §6, §8,
// §9.1–9.4, §9.6 and §7.6. These tests drive the layer through its public
// entry points (application operations, transport notifications, Poll) and
// check what the application receives, not only the internal queues.

// rvFixture is a layer with one server application listening on
// 0.0.0.0:80 over a recording (non-Auto) TCP transport.
type rvFixture struct {
	l   *Layer
	tp  *TestTransport
	app uint32
	ls  Handle
	q   *EventQueue
	rp  uint16
}

func newRvFixture(t *testing.T, cfg Config) *rvFixture {
	t.Helper()
	l, tcp, app, ls := server(t, cfg, AttachArgs{EventQueueSize: 4096})
	return &rvFixture{l: l, tp: tcp, app: app, ls: ls, q: queueOf(t, l, app), rp: 2000}
}

// ready accepts a connection on thread th and completes the accept: a
// READY session whose ACCEPTED event has been consumed.
func (f *rvFixture) ready(t *testing.T, th uint32) Handle {
	t.Helper()
	f.rp++
	h, err := f.l.Accept(th, f.ls, uint32(f.rp), conn(f.rp), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.l.AcceptNotify(h); err != nil {
		t.Fatal(err)
	}
	if err := f.l.AcceptReply(f.app, h, ErrNone); err != nil {
		t.Fatal(err)
	}
	f.events()
	f.tp.Calls = nil
	return h
}

// events polls every thread once and returns what the app received, as
// short strings ("DISCONNECTED", "CLEANUP(transport)", ...).
func (f *rvFixture) events() []string {
	f.l.PollAll(0, 1)
	var out []string
	for _, ev := range drain(f.q) {
		s := ev.Type.String()
		if ev.Type == EventCleanup {
			s += "(" + ev.Cleanup.String() + ")"
		}
		out = append(out, s)
	}
	return out
}

func (f *rvFixture) state(h Handle) string {
	si, ok := f.l.Session(h)
	if !ok {
		return "freed"
	}
	return si.State.String()
}

// TestReviewCloseSequences walks the typical sequences of spec §6.6 step by
// step through the public API, flushing the app's events after every step:
// state, delivered events and transport calls must follow the table, and
// the session is freed only once both the app and the transport confirmed.
func TestReviewCloseSequences(t *testing.T) {
	type step struct {
		op     string // close, reset, closing, treset, closed, delete, detach
		state  string // state afterwards ("freed")
		events []string
		calls  []string
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"active close", []step{
			{"close", "APP_CLOSED", nil, []string{"close"}},
			{"closed", "CLOSED", []string{"TRANSPORT_CLOSED"}, nil},
			{"delete", "freed", []string{"CLEANUP(transport)", "CLEANUP(session)"}, nil},
		}},
		{"active close, delete while APP_CLOSED", []step{
			{"close", "APP_CLOSED", nil, []string{"close"}},
			// delete: cleanup(T) and a queued CLOSE which completes the free.
			{"delete", "freed", []string{"CLEANUP(transport)", "CLEANUP(session)"}, nil},
		}},
		{"active reset", []step{
			{"reset", "APP_CLOSED", nil, []string{"reset"}},
			{"closed", "CLOSED", []string{"TRANSPORT_CLOSED"}, nil},
			{"delete", "freed", []string{"CLEANUP(transport)", "CLEANUP(session)"}, nil},
		}},
		{"passive close", []step{
			{"closing", "TRANSPORT_CLOSING", []string{"DISCONNECTED"}, nil},
			{"close", "APP_CLOSED", nil, []string{"close"}},
			{"closed", "CLOSED", []string{"TRANSPORT_CLOSED"}, nil},
			{"delete", "freed", []string{"CLEANUP(transport)", "CLEANUP(session)"}, nil},
		}},
		{"passive close, transport deleted before the app confirms", []step{
			{"closing", "TRANSPORT_CLOSING", []string{"DISCONNECTED"}, nil},
			{"closed", "TRANSPORT_CLOSED", []string{"TRANSPORT_CLOSED"}, nil},
			{"delete", "TRANSPORT_DELETED", []string{"CLEANUP(transport)"}, nil},
			{"close", "freed", []string{"CLEANUP(session)"}, nil},
		}},
		{"peer reset", []step{
			{"treset", "TRANSPORT_CLOSING", []string{"RESET"}, nil},
			{"delete", "TRANSPORT_DELETED", []string{"CLEANUP(transport)"}, nil},
			{"reset", "freed", []string{"CLEANUP(session)"}, nil},
		}},
		{"closed while READY (FIN and RST in close succession)", []step{
			{"closed", "TRANSPORT_CLOSED", []string{"DISCONNECTED", "TRANSPORT_CLOSED"}, nil},
			{"close", "CLOSED", nil, nil},
			{"delete", "freed", []string{"CLEANUP(transport)", "CLEANUP(session)"}, nil},
		}},
		{"unexpected delete while READY", []step{
			{"delete", "freed", []string{"CLEANUP(transport)", "CLEANUP(session)"}, nil},
		}},
		{"detach while READY", []step{
			{"detach", "APP_CLOSED", nil, []string{"unlisten", "close"}},
			{"closed", "CLOSED", nil, nil},
			// No app worker: cleanup(S) frees at once.
			{"delete", "freed", nil, nil},
		}},
		{"detach while the transport closes", []step{
			{"closing", "TRANSPORT_CLOSING", []string{"DISCONNECTED"}, nil},
			{"detach", "freed", nil, []string{"unlisten", "close", "unlink"}},
		}},
		{"detach after the transport was deleted", []step{
			{"closing", "TRANSPORT_CLOSING", []string{"DISCONNECTED"}, nil},
			{"delete", "TRANSPORT_DELETED", []string{"CLEANUP(transport)"}, nil},
			{"detach", "freed", nil, []string{"unlisten"}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newRvFixture(t, smallConfig())
			h := f.ready(t, 0)
			detached := false
			for i, st := range c.steps {
				var err error
				switch st.op {
				case "close":
					err = f.l.Close(f.app, h)
				case "reset":
					err = f.l.Reset(f.app, h)
				case "closing":
					err = f.l.TransportClosing(h)
				case "treset":
					err = f.l.TransportReset(h)
				case "closed":
					err = f.l.TransportClosed(h)
				case "delete":
					err = f.l.TransportDelete(h)
				case "detach":
					err = f.l.Detach(f.app)
					detached = true
				}
				if err != nil {
					t.Fatalf("step %d %s: %v", i, st.op, err)
				}
				var evs []string
				if detached {
					f.l.PollAll(0, 1)
				} else {
					evs = f.events()
				}
				if got := f.state(h); got != st.state {
					t.Errorf("step %d %s: state %s, want %s", i, st.op, got, st.state)
				}
				if !slices.Equal(evs, st.events) {
					t.Errorf("step %d %s: app got %v, want %v", i, st.op, evs, st.events)
				}
				if ops := f.tp.Ops(); !slices.Equal(ops, st.calls) {
					t.Errorf("step %d %s: transport calls %v, want %v", i, st.op, ops, st.calls)
				}
				f.tp.Calls = nil
			}
			if k := f.l.LeakCheck(); k.Sessions != 0 || k.Fifos != 0 || k.AppEvents != 0 || k.CtrlEvents != 0 {
				t.Fatalf("leaks after the sequence: %+v", k)
			}
		})
	}
}

// TestReviewAppCloseFlag: app close/reset set APP_CLOSED and clear
// CUSTOM_FIFO_TUNING in every state; at CLOSING or beyond nothing but the
// flag changes, except that TRANSPORT_CLOSED / TRANSPORT_DELETED queue the
// matching ctrl event (CLOSE for close, RESET for reset) (spec §6.3).
func TestReviewAppCloseFlag(t *testing.T) {
	f := newSMFixture(t)
	for _, st := range smStates {
		for _, reset := range []bool{false, true} {
			h := f.session(t, st, false)
			s := f.l.sessionAt(h)
			s.flags |= FlagCustomFifoTuning
			var err error
			if reset {
				err = f.l.Reset(f.app, h)
			} else {
				err = f.l.Close(f.app, h)
			}
			if err != nil {
				t.Fatal(err)
			}
			s = f.l.sessionAt(h)
			if s.flags&FlagAppClosed == 0 || s.flags&FlagCustomFifoTuning != 0 {
				t.Errorf("%s reset=%v: flags %s, want APP_CLOSED set, CUSTOM_FIFO_TUNING clear", st, reset, s.flags)
			}
			var ctrl []EventType
			for _, ev := range f.l.threads[0].ctrl.snapshot() {
				ctrl = append(ctrl, ev.typ)
			}
			want := EventClose
			if reset {
				want = EventReset
			}
			var wantCtrl []EventType
			wantState := StateClosing
			switch {
			case st == StateTransportClosed || st == StateTransportDeleted:
				wantCtrl, wantState = []EventType{want}, st
			case st >= StateClosing:
				wantState = st
			default:
				wantCtrl = []EventType{want}
			}
			if s.state != wantState || !slices.Equal(ctrl, wantCtrl) {
				t.Errorf("%s reset=%v: state %s ctrl %v, want %s %v", st, reset, s.state, ctrl, wantState, wantCtrl)
			}
			// A second close or reset is a no-op.
			f.reset()
			_ = f.l.Close(f.app, h)
			_ = f.l.Reset(f.app, h)
			if n := f.l.threads[0].ctrl.len(); n != 0 || f.l.sessionAt(h).state != wantState {
				t.Errorf("%s reset=%v: a second close queued %d events", st, reset, n)
			}
			f.cleanup(t, h)
		}
	}
}

// TestReviewShutdown: SHUTDOWN queues HALF_CLOSE without touching state or
// flags; the handler half-closes the transport only in READY or
// TRANSPORT_CLOSING (spec §6.3, §6.4).
func TestReviewShutdown(t *testing.T) {
	f := newSMFixture(t)
	for _, st := range smStates {
		h := f.session(t, st, false)
		before := f.l.sessionAt(h).flags
		if err := f.l.Shutdown(f.app, h); err != nil {
			t.Fatal(err)
		}
		s := f.l.sessionAt(h)
		if s.state != st || s.flags != before {
			t.Errorf("%s: shutdown changed state/flags to %s %s", st, s.state, s.flags)
		}
		f.l.RunCtrlEvents(0, 0)
		want := []string(nil)
		if st == StateReady || st == StateTransportClosing {
			want = []string{"half-close"}
		}
		if ops := f.tp.Ops(); !slices.Equal(ops, want) {
			t.Errorf("%s: transport calls %v, want %v", st, ops, want)
		}
		f.cleanup(t, h)
	}
}

// TestReviewOwnership: DISCONNECT, SHUTDOWN, TERMINATE and RESET_REPLY from
// an application that does not own the session fail with OWNER and change
// nothing; an unknown handle is NOSESSION (spec §6.3).
func TestReviewOwnership(t *testing.T) {
	f := newRvFixture(t, smallConfig())
	other := mustAttach(t, f.l, AttachArgs{Name: "other"})
	h := f.ready(t, 0)
	_ = f.l.TransportClosing(h)
	for name, op := range map[string]func(uint32, Handle) error{
		"close": f.l.Close, "reset": f.l.Reset, "shutdown": f.l.Shutdown, "reset-reply": f.l.ResetReply,
	} {
		if err := op(other, h); !errIs(err, ErrOwner) {
			t.Errorf("%s by another app: %v, want OWNER", name, err)
		}
		if err := op(f.app, MakeHandle(0, 999)); !errIs(err, ErrNoSession) {
			t.Errorf("%s of an unknown handle: %v, want NOSESSION", name, err)
		}
	}
	if si, _ := f.l.Session(h); si.State != StateTransportClosing || si.Flags&FlagAppClosed != 0 || f.l.threads[0].ctrl.len() != 0 {
		t.Fatalf("foreign operations changed the session: %+v", si)
	}
}

// TestReviewCtrlStaleHandle: a CLOSE queued for a session that is freed
// (and its slot reused) before the event runs is ignored (spec §6.4).
func TestReviewCtrlStaleHandle(t *testing.T) {
	f := newRvFixture(t, smallConfig())
	h := f.ready(t, 0)
	if err := f.l.Close(f.app, h); err != nil {
		t.Fatal(err)
	}
	// The transport goes away before the CLOSE runs: CLOSING + delete
	// parks the session in TRANSPORT_DELETED; free it directly.
	s := f.l.sessionAt(h)
	f.l.delSessionEntry(s, h)
	f.l.freeSession(h)
	h2 := f.ready(t, 0)
	if h2 != h {
		t.Fatalf("LIFO reuse: new session %v, want %v", h2, h)
	}
	f.l.RunCtrlEvents(0, 0)
	if si, _ := f.l.Session(h2); si.State != StateReady || si.Flags&FlagAppClosed != 0 {
		t.Fatalf("a stale CLOSE hit the slot's new session: %+v", si)
	}
	if ops := f.tp.Ops(); len(ops) != 0 {
		t.Fatalf("stale CLOSE reached the transport: %v", ops)
	}
}

// hoFixture is a client application with a route to 10.0.0.0/24.
type hoFixture struct {
	l   *Layer
	tp  *TestTransport
	app uint32
	q   *EventQueue
}

func newHoFixture(t *testing.T, cfg Config) *hoFixture {
	t.Helper()
	l, tcp, _ := newTestLayer(t, cfg, EngineRuleTable)
	loopback(t, l, "loop0", 0, "10.0.0.1/24")
	app := mustAttach(t, l, AttachArgs{Name: "client"})
	return &hoFixture{l: l, tp: tcp, app: app, q: queueOf(t, l, app)}
}

func (f *hoFixture) connect(t *testing.T, ctx uint64) (Handle, Connection) {
	t.Helper()
	ho, err := f.l.Connect(ConnectArgs{App: f.app, Proto: ProtoTCP, Remote: ap("10.0.0.2:80"), FibIndex: InvalidIndex, Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	return ho, f.tp.Calls[len(f.tp.Calls)-1].Conn5
}

func (f *hoFixture) inTable(c Connection) LookupKind {
	return f.l.Lookup(f.l.CtrlThread(), 0, ProtoTCP, c.Local.Addr(), c.Remote.Addr(), c.Local.Port(), c.Remote.Port()).Kind
}

// evSummary formats events for comparison, leaving out segment
// notifications.
func evSummary(evs []AppEvent) []string {
	var out []string
	for _, ev := range evs {
		if ev.Type == EventAppAddSegment || ev.Type == EventAppDelSegment {
			continue
		}
		s := ev.Type.String()
		switch ev.Type {
		case EventConnected:
			s += fmt.Sprintf("(%s ctx %d)", ev.Err.Name(), ev.Context)
		case EventCleanup:
			s += "(" + ev.Cleanup.String() + ")"
		}
		out = append(out, s)
	}
	return out
}

// TestReviewHalfOpenLifecycle: the half-open orders of spec §6.8 with
// workers (the half-open lives on the transport control thread 1, the
// connection on another worker): state, hash entry, port and the app's
// events at every step.
func TestReviewHalfOpenLifecycle(t *testing.T) {
	cfg := smallConfig()
	cfg.Workers = 2
	t.Run("connect fails, then the transport deletes the half-open", func(t *testing.T) {
		f := newHoFixture(t, cfg)
		ho, c := f.connect(t, 7)
		si, _ := f.l.Session(ho)
		if ho.Thread() != 1 || si.State != StateConnecting || si.Flags&FlagHalfOpen == 0 || f.inTable(c) != LookupHalfOpen {
			t.Fatalf("half-open %v: %+v (table %v)", ho, si, f.inTable(c))
		}
		if _, err := f.l.Connected(ho, 1, 0, ErrTimedOut); err != nil {
			t.Fatal(err)
		}
		if si, _ := f.l.Session(ho); si.State != StateTransportClosed || f.inTable(c) != LookupNone {
			t.Fatalf("after the failed connect: %+v, table %v", si, f.inTable(c))
		}
		f.l.PollAll(0, 2)
		if got := evSummary(drain(f.q)); !slices.Equal(got, []string{"CONNECTED(SESSION_E_TIMEDOUT ctx 7)"}) {
			t.Fatalf("events %v", got)
		}
		if err := f.l.HalfOpenDelete(ho); err != nil {
			t.Fatal(err)
		}
		if si, ok := f.l.Session(ho); !ok || si.State != StateTransportDeleted {
			t.Fatalf("the half-open is freed only when HALF_CLEANUP is processed: %+v", si)
		}
		f.l.PollAll(0, 2)
		if got := evSummary(drain(f.q)); !slices.Equal(got, []string{"HALF_CLEANUP"}) {
			t.Fatalf("events %v", got)
		}
		if k := f.l.LeakCheck(); !k.Empty() {
			t.Fatalf("leaks: %+v", k)
		}
	})
	t.Run("connect succeeds on another worker", func(t *testing.T) {
		f := newHoFixture(t, cfg)
		ho, c := f.connect(t, 8)
		h, err := f.l.Connected(ho, 2, 42, ErrNone)
		if err != nil {
			t.Fatal(err)
		}
		si, _ := f.l.Session(h)
		if h.Thread() != 2 || si.State != StateReady || si.Flags&FlagHalfOpen != 0 || f.l.Conn(h) != 42 {
			t.Fatalf("new session %v: %+v", h, si)
		}
		if r := f.l.Lookup(2, 0, ProtoTCP, c.Local.Addr(), c.Remote.Addr(), c.Local.Port(), c.Remote.Port()); r.Kind != LookupSession || r.Handle != h {
			t.Fatalf("lookup of the connection: %+v", r)
		}
		_ = f.l.HalfOpenDelete(ho)
		f.l.PollAll(0, 2)
		// CONNECTED is queued on the connection's thread (2), HALF_CLEANUP on
		// the control thread (1): per-thread orders only.
		got := evSummary(drain(f.q))
		slices.Sort(got)
		if !slices.Equal(got, []string{"CONNECTED(SESSION_E_NONE ctx 8)", "HALF_CLEANUP"}) {
			t.Fatalf("events %v", got)
		}
		if f.l.PortsInUse() != 1 {
			t.Fatalf("the source port should stay with the session: %d in use", f.l.PortsInUse())
		}
	})
	t.Run("the transport deletes a half-open it never connected", func(t *testing.T) {
		f := newHoFixture(t, cfg)
		ho, c := f.connect(t, 9)
		if err := f.l.HalfOpenDelete(ho); err != nil {
			t.Fatal(err)
		}
		if f.inTable(c) != LookupNone {
			t.Fatal("the half-open entry should be removed")
		}
		f.l.PollAll(0, 2)
		if got := evSummary(drain(f.q)); !slices.Equal(got, []string{"HALF_CLEANUP"}) {
			t.Fatalf("events %v", got)
		}
		if k := f.l.LeakCheck(); !k.Empty() {
			t.Fatalf("leaks: %+v", k)
		}
	})
	t.Run("the app detaches first", func(t *testing.T) {
		f := newHoFixture(t, cfg)
		ho, c := f.connect(t, 1)
		ho2, _ := f.connect(t, 2)
		_, _ = f.l.Connected(ho2, 1, 0, ErrRefused) // TRANSPORT_CLOSED, not yet deleted
		ho3, _ := f.connect(t, 3)
		_, _ = f.l.Connected(ho3, 1, 0, ErrRefused)
		_ = f.l.HalfOpenDelete(ho3) // HALF_CLEANUP pending
		f.tp.Calls = nil
		if err := f.l.Detach(f.app); err != nil {
			t.Fatal(err)
		}
		if f.inTable(c) != LookupNone {
			t.Fatal("detach should remove the half-open entry")
		}
		if got := f.tp.Ops(); !slices.Equal(got, []string{"half-open-cleanup", "half-open-cleanup"}) {
			t.Fatalf("transport calls %v: the two half-opens not deleted by the transport are cleaned", got)
		}
		for _, h := range []Handle{ho, ho2, ho3} {
			if _, ok := f.l.Session(h); ok {
				t.Fatalf("half-open %v survived the detach", h)
			}
		}
		f.l.PollAll(0, 2)
		if k := f.l.LeakCheck(); !k.Empty() {
			t.Fatalf("leaks: %+v", k)
		}
	})
}

// TestReviewEventFiltering: the delivery rules of spec §6.7 as the app sees
// them.
func TestReviewEventFiltering(t *testing.T) {
	t.Run("RX waits for RX_READY", func(t *testing.T) {
		f := newRvFixture(t, smallConfig())
		f.rp++
		h, _ := f.l.Accept(0, f.ls, 1, conn(f.rp), false)
		_ = f.l.AcceptNotify(h)
		_, _ = f.l.Enqueue(h, []byte("x"))
		if got := f.events(); !slices.Equal(got, []string{"ACCEPTED"}) {
			t.Fatalf("before the reply: %v", got)
		}
		_ = f.l.AcceptReply(f.app, h, ErrNone)
		if got := f.events(); !slices.Equal(got, []string{"RX"}) {
			t.Fatalf("after the reply: %v", got)
		}
	})
	t.Run("DISCONNECTED sets TPT_INIT_CLOSE and clears RX_READY", func(t *testing.T) {
		f := newRvFixture(t, smallConfig())
		h := f.ready(t, 0)
		_ = f.l.TransportClosing(h)
		if got := f.events(); !slices.Equal(got, []string{"DISCONNECTED"}) {
			t.Fatalf("events %v", got)
		}
		si, _ := f.l.Session(h)
		if si.Flags&FlagTptInitClose == 0 || si.Flags&FlagRxReady != 0 {
			t.Fatalf("flags %s", si.Flags)
		}
		// RX is no longer delivered.
		_, _ = f.l.Enqueue(h, []byte("late"))
		if got := f.events(); len(got) != 0 {
			t.Fatalf("RX after DISCONNECTED: %v", got)
		}
	})
	t.Run("RESET after the app closed is dropped", func(t *testing.T) {
		f := newRvFixture(t, smallConfig())
		h := f.ready(t, 0)
		_ = f.l.TransportReset(h)
		_ = f.l.Close(f.app, h)
		if got := f.events(); slices.Contains(got, "RESET") {
			t.Fatalf("events %v", got)
		}
		si, _ := f.l.Session(h)
		if si.Flags&FlagTptInitClose != 0 || si.Flags&FlagRxReady != 0 {
			t.Fatalf("a dropped RESET still clears RX_READY and does not set TPT_INIT_CLOSE: %s", si.Flags)
		}
	})
	t.Run("detached sessions report nothing", func(t *testing.T) {
		f := newRvFixture(t, smallConfig())
		h := f.ready(t, 0)
		other := mustAttach(t, f.l, AttachArgs{Name: "keeper"})
		_ = other
		_ = f.l.TransportClosing(h) // DISCONNECTED pending
		s := f.l.sessionAt(h)
		f.l.detachSession(s, h) // TRANSPORT_CLOSING: close+unlink, cleanup(S)
		if got := f.events(); len(got) != 0 {
			t.Fatalf("a detached session's events reached the app: %v", got)
		}
		if _, ok := f.l.Session(h); ok {
			t.Fatal("the session cleanup should free it")
		}
	})
}

// ctFixture is a server and a client application with local scope, the
// server listening on 0.0.0.0:7.
type ctFixture struct {
	l        *Layer
	srv, cli uint32
	sq, cq   *EventQueue
}

func newCtFixture(t *testing.T, workers int) *ctFixture {
	t.Helper()
	cfg := smallConfig()
	cfg.Workers = workers
	l, _, _ := newTestLayer(t, cfg, EngineRuleTable)
	srv := mustAttach(t, l, AttachArgs{Name: "srv", Flags: AppUseLocalScope})
	cli := mustAttach(t, l, AttachArgs{Name: "cli", Flags: AppUseLocalScope})
	if _, err := l.Listen(ListenArgs{App: srv, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 7, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	return &ctFixture{l: l, srv: srv, cli: cli, sq: queueOf(t, l, srv), cq: queueOf(t, l, cli)}
}

func (f *ctFixture) connect(t *testing.T, ctx uint64) Handle {
	t.Helper()
	ho, err := f.l.Connect(ConnectArgs{App: f.cli, Proto: ProtoTCP, Remote: ap("127.0.0.1:7"), FibIndex: InvalidIndex, Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	return ho
}

// accepted polls and returns the server's ACCEPTED event.
func (f *ctFixture) accepted(t *testing.T) Handle {
	t.Helper()
	f.l.PollAll(0, 3)
	ev, ok := hasEvent(drain(f.sq), EventAccepted)
	if !ok {
		t.Fatal("no ACCEPTED for the server")
	}
	return ev.Handle
}

// TestReviewCutThrough checks spec §6.9: accepts programmed round robin on
// workers 1..n, server session ACCEPTING before the client session exists,
// client CONNECTING → READY on the server's thread after the accept, and
// the refusal, close and reset notifications.
func TestReviewCutThrough(t *testing.T) {
	t.Run("round robin and establishment", func(t *testing.T) {
		f := newCtFixture(t, 2)
		var threads []uint32
		for i := range 3 {
			ho := f.connect(t, uint64(10+i))
			if ho.Thread() != 1 {
				t.Fatalf("CT half-open on thread %d, want the control thread 1", ho.Thread())
			}
			sh := f.accepted(t)
			si, _ := f.l.Session(sh)
			if si.State != StateAccepting || si.Type.Proto() != ProtoCT {
				t.Fatalf("server session %+v", si)
			}
			threads = append(threads, sh.Thread())
			// Only the half-open exists on the client side.
			n := 0
			f.l.Sessions(func(s SessionInfo) bool {
				if s.App == f.cli && s.Flags&FlagHalfOpen == 0 {
					n++
				}
				return true
			})
			if n != i {
				t.Fatalf("client sessions before the accept: %d, want %d", n, i)
			}
			if err := f.l.AcceptReply(f.srv, sh, ErrNone); err != nil {
				t.Fatal(err)
			}
			f.l.PollAll(0, 3)
			evs := drain(f.cq)
			ev, ok := hasEvent(evs, EventConnected)
			if !ok || ev.Err != ErrNone || ev.Context != uint64(10+i) {
				t.Fatalf("client events %v", evs)
			}
			if _, ok := hasEvent(evs, EventHalfCleanup); !ok {
				t.Fatalf("client events %v: want HALF_CLEANUP", evs)
			}
			ci, _ := f.l.Session(ev.Handle)
			if ci.State != StateReady || ev.Handle.Thread() != sh.Thread() || ci.Flags&FlagRxReady == 0 {
				t.Fatalf("client session %+v", ci)
			}
			if si, _ := f.l.Session(sh); si.State != StateReady {
				t.Fatalf("server session after the reply: %s", si.State)
			}
		}
		if !slices.Equal(threads, []uint32{2, 1, 2}) {
			t.Fatalf("accept threads %v, want round robin over workers 1..2 starting at 2", threads)
		}
	})
	t.Run("no workers: the accept runs on thread 0", func(t *testing.T) {
		f := newCtFixture(t, 0)
		f.connect(t, 1)
		if sh := f.accepted(t); sh.Thread() != 0 {
			t.Fatalf("server session on thread %d", sh.Thread())
		}
	})
	t.Run("refusal", func(t *testing.T) {
		f := newCtFixture(t, 1)
		f.connect(t, 5)
		sh := f.accepted(t)
		if err := f.l.AcceptReply(f.srv, sh, ErrRefused); err != nil {
			t.Fatal(err)
		}
		f.l.PollAll(0, 5)
		got := evSummary(drain(f.cq))
		if !slices.Equal(got, []string{"CONNECTED(SESSION_E_REFUSED ctx 5)", "HALF_CLEANUP"}) {
			t.Fatalf("client events %v", got)
		}
		if k := f.l.LeakCheck(); k.Sessions != 0 || k.Fifos != 0 || k.HalfOpens != 0 || k.LocalEndpoints != 0 {
			t.Fatalf("leaks after a refused cut-through connect: %+v", k)
		}
	})
	t.Run("server closes before replying", func(t *testing.T) {
		f := newCtFixture(t, 1)
		f.connect(t, 6)
		sh := f.accepted(t)
		if err := f.l.Close(f.srv, sh); err != nil {
			t.Fatal(err)
		}
		f.l.PollAll(0, 5)
		if got := evSummary(drain(f.cq)); !slices.Equal(got, []string{"CONNECTED(SESSION_E_REFUSED ctx 6)", "HALF_CLEANUP"}) {
			t.Fatalf("client events %v", got)
		}
	})
	for _, c := range []struct {
		name  string
		reset bool
		want  EventType
	}{{"close", false, EventDisconnected}, {"reset", true, EventReset}} {
		t.Run("client "+c.name, func(t *testing.T) {
			f := newCtFixture(t, 1)
			f.connect(t, 1)
			sh := f.accepted(t)
			_ = f.l.AcceptReply(f.srv, sh, ErrNone)
			f.l.PollAll(0, 3)
			ev, _ := hasEvent(drain(f.cq), EventConnected)
			ch := ev.Handle
			var err error
			if c.reset {
				err = f.l.Reset(f.cli, ch)
			} else {
				err = f.l.Close(f.cli, ch)
			}
			if err != nil {
				t.Fatal(err)
			}
			f.l.PollAll(0, 5)
			sevs := drain(f.sq)
			if len(sevs) != 1 || sevs[0].Type != c.want || sevs[0].Handle != sh {
				t.Fatalf("server events %v, want %v", sevs, c.want)
			}
			if si, _ := f.l.Session(sh); si.State != StateTransportClosing {
				t.Fatalf("server session %s, want TRANSPORT_CLOSING", si.State)
			}
			cevs := evSummary(drain(f.cq))
			if !slices.Equal(cevs, []string{"TRANSPORT_CLOSED", "CLEANUP(transport)", "CLEANUP(session)"}) {
				t.Fatalf("client events %v", cevs)
			}
			if _, ok := f.l.Session(ch); ok {
				t.Fatal("the client session should be freed")
			}
			_ = f.l.Close(f.srv, sh)
			f.l.PollAll(0, 5)
			if k := f.l.LeakCheck(); k.Sessions != 0 || k.Fifos != 0 {
				t.Fatalf("leaks: %+v", k)
			}
		})
	}
}

// TestReviewPools: handles are (thread << 32) | index; a fixed pool hands
// out 0, 1, 2, ... then reuses LIFO; exhaustion is ALLOC for accepts,
// connects (without leaking the reserved port) and connect completions,
// never a crash (spec §9.1, §9.2, modelling decisions).
func TestReviewPools(t *testing.T) {
	cfg := smallConfig()
	cfg.PreallocatedSessions = 4
	f := newRvFixture(t, cfg)
	if f.ls != MakeHandle(0, 0) {
		t.Fatalf("listener handle %v, want index 0 on thread 0", f.ls)
	}
	var hs []Handle
	for range 3 {
		hs = append(hs, f.ready(t, 0))
	}
	if !slices.Equal(hs, []Handle{1, 2, 3}) {
		t.Fatalf("handles %v, want 1 2 3", hs)
	}
	f.rp++
	if _, err := f.l.Accept(0, f.ls, 99, conn(f.rp), false); !errIs(err, ErrAlloc) {
		t.Fatalf("accept into a full pool: %v", err)
	}
	loopback(t, f.l, "loop0", 0, "10.0.0.1/24")
	ports := f.l.PortsInUse() // the listener's
	if _, err := f.l.Connect(ConnectArgs{App: f.app, Proto: ProtoTCP, Remote: ap("10.0.0.9:80"), FibIndex: InvalidIndex}); !errIs(err, ErrAlloc) {
		t.Fatalf("connect with a full pool: %v", err)
	}
	if f.l.PortsInUse() != ports {
		t.Fatalf("a failed connect leaked %d ports", f.l.PortsInUse()-ports)
	}
	for _, h := range []Handle{hs[1], hs[0]} {
		_ = f.l.TransportDelete(h)
	}
	f.events()
	// LIFO: the most recently freed index first.
	if h := f.ready(t, 0); h != hs[0] {
		t.Fatalf("reuse %v, want %v", h, hs[0])
	}
	// A connect takes the last slot; its completion finds the pool full.
	ho, err := f.l.Connect(ConnectArgs{App: f.app, Proto: ProtoTCP, Remote: ap("10.0.0.9:80"), FibIndex: InvalidIndex, Context: 4})
	if err != nil || ho != hs[1] {
		t.Fatalf("connect: %v %v", ho, err)
	}
	if _, err := f.l.Connected(ho, 0, 1, ErrNone); !errIs(err, ErrAlloc) {
		t.Fatalf("connect completion with a full pool: %v", err)
	}
	_ = f.l.HalfOpenDelete(ho)
	got := evSummary(drain2(f))
	if !slices.Equal(got, []string{"CONNECTED(SESSION_E_ALLOC ctx 4)", "HALF_CLEANUP"}) {
		t.Fatalf("events %v", got)
	}
	if f.l.PortsInUse() != ports {
		t.Fatalf("ports in use %d, want %d", f.l.PortsInUse(), ports)
	}

	// With workers: sessions live on their thread, handles say so.
	cfg.Workers, cfg.PreallocatedSessions = 2, 0
	w := newRvFixture(t, cfg)
	h := w.ready(t, 2)
	if h != MakeHandle(2, 0) || h.Thread() != 2 || h.Index() != 0 {
		t.Fatalf("handle %v, want thread 2 index 0", h)
	}
	if si, _ := w.l.Session(h); si.Thread != 2 {
		t.Fatalf("session view %+v", si)
	}
}

func drain2(f *rvFixture) []AppEvent {
	f.l.PollAll(0, 2)
	return drain(f.q)
}

// TestReviewErrorCodes checks every code of spec §9.6.
func TestReviewErrorCodes(t *testing.T) {
	names := []string{"NONE", "UNKNOWN", "REFUSED", "TIMEDOUT", "ALLOC", "OWNER", "NOROUTE", "NOINTF",
		"NOIP", "NOPORT", "NOSUPPORT", "NOLISTEN", "NOSESSION", "NOAPP", "APP_ATTACHED", "PORTINUSE",
		"IPINUSE", "ALREADY_LISTENING", "ADDR_NOT_IN_USE", "INVALID", "INVALID_RMT_IP", "INVALID_APPWRK",
		"INVALID_NS", "SEG_NO_SPACE", "SEG_NO_SPACE2", "SEG_CREATE", "FILTERED", "SCOPE", "BAPI_NO_FD",
		"BAPI_SEND_FD", "BAPI_NO_REG", "MQ_MSG_ALLOC", "TLS_HANDSHAKE", "EVENTFD_ALLOC", "NOEXTCFG",
		"NOCRYPTOENG", "NOCRYPTOCKP", "LOCAL_CONNECT", "WRONG_NS_SECRET", "SYSCALL", "TRANSPORT_NO_REG",
		"MAX_STREAMS_HIT"}
	consts := []Error{ErrNone, ErrUnknown, ErrRefused, ErrTimedOut, ErrAlloc, ErrOwner, ErrNoRoute, ErrNoIntf,
		ErrNoIP, ErrNoPort, ErrNoSupport, ErrNoListen, ErrNoSession, ErrNoApp, ErrAppAttached, ErrPortInUse,
		ErrIPInUse, ErrAlreadyListening, ErrAddrNotInUse, ErrInvalid, ErrInvalidRmtIP, ErrInvalidAppWrk,
		ErrInvalidNS, ErrSegNoSpace, ErrSegNoSpace2, ErrSegCreate, ErrFiltered, ErrScope, ErrBapiNoFD,
		ErrBapiSendFD, ErrBapiNoReg, ErrMQMsgAlloc, ErrTLSHandshake, ErrEventfdAlloc, ErrNoExtCfg,
		ErrNoCryptoEng, ErrNoCryptoCkp, ErrLocalConnect, ErrWrongNSSecret, ErrSyscall, ErrTransportNoReg,
		ErrMaxStreamsHit}
	if len(names) != NumErrors || len(consts) != NumErrors {
		t.Fatalf("%d names, %d constants, NumErrors %d", len(names), len(consts), NumErrors)
	}
	for i, n := range names {
		e := Error(-i)
		if consts[i] != e || e.Name() != "SESSION_E_"+n || !e.Valid() {
			t.Errorf("code %d: constant %d, name %s, want SESSION_E_%s", -i, consts[i], e.Name(), n)
		}
	}
}

// TestReviewEnumValues checks the numbering of states, flags and event
// types (spec §6.1, §8): the code compares states with < and >=, and the
// numbers are what VPP's API shows.
func TestReviewEnumValues(t *testing.T) {
	states := "CREATED LISTENING CONNECTING ACCEPTING READY OPENED TRANSPORT_CLOSING CLOSING APP_CLOSED TRANSPORT_CLOSED CLOSED TRANSPORT_DELETED"
	for i, n := range strings.Fields(states) {
		if State(i).String() != n {
			t.Errorf("state %d is %s, want %s", i, State(i), n)
		}
	}
	flags := "RX_EVT PROXY CUSTOM_TX IS_MIGRATING UNIDIRECTIONAL CUSTOM_FIFO_TUNING HALF_OPEN APP_CLOSED IS_CLESS RX_READY TPT_INIT_CLOSE STREAM"
	for i, n := range strings.Fields(flags) {
		if Flags(1<<i).String() != n {
			t.Errorf("flag bit %d is %s, want %s", i, Flags(1<<i), n)
		}
	}
	events := "RX TX TX_FLUSH BUILTIN_RX TX_MAIN RPC HALF_CLOSE CLOSE RESET BOUND UNLISTEN_REPLY ACCEPTED " +
		"ACCEPTED_REPLY CONNECTED DISCONNECTED DISCONNECTED_REPLY RESET_REPLY REQ_WORKER_UPDATE WORKER_UPDATE " +
		"WORKER_UPDATE_REPLY SHUTDOWN DISCONNECT CONNECT CONNECT_URI LISTEN LISTEN_URI UNLISTEN APP_DETACH " +
		"APP_ADD_SEGMENT APP_DEL_SEGMENT MIGRATED CLEANUP APP_WRK_RPC TRANSPORT_ATTR TRANSPORT_ATTR_REPLY " +
		"TRANSPORT_CLOSED HALF_CLEANUP CONNECT_STREAM TERMINATE"
	for i, n := range strings.Fields(events) {
		if EventType(i).String() != n || EventType(i).IsCtrl() != (i >= 5) {
			t.Errorf("event %d is %s, want %s", i, EventType(i), n)
		}
	}
	if CleanupTransport != 0 || CleanupSession != 1 {
		t.Error("cleanup types: transport 0, session 1")
	}
	if InvalidHandle != Handle(^uint64(0)) || DropHandle != Handle(^uint64(0)-1) || InvalidIndex != ^uint32(0) {
		t.Error("special handles")
	}
}

// TestReviewCutThroughRoundRobinStart: ct_program_connect_to_wrk counts
// the connect before choosing, (++n % workers) + 1, so with two workers the
// accepts go to threads 2, 1, 2, ... and with one worker always to 1.
func TestReviewCutThroughRoundRobinStart(t *testing.T) {
	f := newCtFixture(t, 2)
	var threads []uint32
	for i := range 3 {
		f.connect(t, uint64(i))
		threads = append(threads, f.accepted(t).Thread())
	}
	if !slices.Equal(threads, []uint32{2, 1, 2}) {
		t.Fatalf("accept threads %v, want 2 1 2", threads)
	}
}

// TestReviewCutThroughAcceptFailure: when the server side cannot take the
// accept (its worker is congested, or its fifos cannot be allocated) the
// client gets CONNECTED with ALLOC (ct_accept_one →
// ct_session_connect_notify(ss, SESSION_E_ALLOC)), then HALF_CLEANUP; the
// server hears nothing.
func TestReviewCutThroughAcceptFailure(t *testing.T) {
	t.Run("server worker congested", func(t *testing.T) {
		f := newCtFixture(t, 1)
		sw := f.l.wrks[f.l.apps[f.srv].workers[0]]
		f.connect(t, 3)
		sw.setCongested(0, true) // congested on another thread: still refuses (any thread)
		f.l.PollAll(0, 5)
		if got := evSummary(drain(f.cq)); !slices.Equal(got, []string{"CONNECTED(SESSION_E_ALLOC ctx 3)", "HALF_CLEANUP"}) {
			t.Fatalf("client events %v", got)
		}
		if evs := drain(f.sq); len(evs) != 0 {
			t.Fatalf("server events %v", evs)
		}
	})
	t.Run("server fifos do not fit", func(t *testing.T) {
		cfg := smallConfig()
		cfg.Workers = 1
		l, _, _ := newTestLayer(t, cfg, EngineRuleTable)
		srv := mustAttach(t, l, AttachArgs{Name: "srv", Flags: AppUseLocalScope, SegmentSize: 1 << 20, RxFifoSize: 4 << 20, TxFifoSize: 4 << 20})
		cli := mustAttach(t, l, AttachArgs{Name: "cli", Flags: AppUseLocalScope})
		if _, err := l.Listen(ListenArgs{App: srv, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 7, FibIndex: InvalidIndex}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Connect(ConnectArgs{App: cli, Proto: ProtoTCP, Remote: ap("127.0.0.1:7"), FibIndex: InvalidIndex, Context: 4}); err != nil {
			t.Fatal(err)
		}
		l.PollAll(0, 5)
		if got := evSummary(drain(queueOf(t, l, cli))); !slices.Equal(got, []string{"CONNECTED(SESSION_E_ALLOC ctx 4)", "HALF_CLEANUP"}) {
			t.Fatalf("client events %v", got)
		}
		if k := l.LeakCheck(); k.Sessions != 0 || k.HalfOpens != 0 || k.Fifos != 0 {
			t.Fatalf("leaks: %+v", k)
		}
	})
}

// TestReviewCutThroughClientAllocFailure: the server accepted but the
// client session cannot be allocated (fixed pool full): the client gets
// CONNECTED(ALLOC) and the server is disconnected as if the client had
// closed (ct_session_force_disconnect_server: closing notify, DISCONNECTED);
// the server app has not closed, so its own close is still needed and
// frees everything.
func TestReviewCutThroughClientAllocFailure(t *testing.T) {
	cfg := smallConfig()
	cfg.Workers = 1
	cfg.PreallocatedSessions = 2 // floor(2.2) = 2 on worker 1: half-open + server session
	l, _, _ := newTestLayer(t, cfg, EngineRuleTable)
	srv := mustAttach(t, l, AttachArgs{Name: "srv", Flags: AppUseLocalScope})
	cli := mustAttach(t, l, AttachArgs{Name: "cli", Flags: AppUseLocalScope})
	if _, err := l.Listen(ListenArgs{App: srv, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 7, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Connect(ConnectArgs{App: cli, Proto: ProtoTCP, Remote: ap("127.0.0.1:7"), FibIndex: InvalidIndex, Context: 5}); err != nil {
		t.Fatal(err)
	}
	l.PollAll(0, 3)
	sq, cq := queueOf(t, l, srv), queueOf(t, l, cli)
	acc, ok := hasEvent(drain(sq), EventAccepted)
	if !ok {
		t.Fatal("no accept")
	}
	if err := l.AcceptReply(srv, acc.Handle, ErrNone); err != nil {
		t.Fatal(err)
	}
	l.PollAll(0, 5)
	if got := evSummary(drain(cq)); !slices.Equal(got, []string{"CONNECTED(SESSION_E_ALLOC ctx 5)", "HALF_CLEANUP"}) {
		t.Fatalf("client events %v", got)
	}
	if got := evSummary(drain(sq)); !slices.Equal(got, []string{"DISCONNECTED"}) {
		t.Fatalf("server events %v, want DISCONNECTED", got)
	}
	si, _ := l.Session(acc.Handle)
	if si.State != StateTransportClosing || si.Flags&FlagAppClosed != 0 {
		t.Fatalf("server session %s %s: the server app has not closed", si.State, si.Flags)
	}
	if err := l.Close(srv, acc.Handle); err != nil {
		t.Fatal(err)
	}
	l.PollAll(0, 5)
	if k := l.LeakCheck(); k.Sessions != 0 || k.Fifos != 0 || k.HalfOpens != 0 {
		t.Fatalf("leaks: %+v", k)
	}
}

// TestReviewRxEvtFlag: RX_EVT marks an RX event queued for the app and not
// yet processed. The transport's enqueue sets it; session-input clears it
// when it processes the event, whether the event is delivered or dropped
// because the session is not RX_READY (session_enqueue_stream_connection,
// app_worker_flush_events_inline).
func TestReviewRxEvtFlag(t *testing.T) {
	f := newRvFixture(t, smallConfig())
	f.rp++
	h, _ := f.l.Accept(0, f.ls, 1, conn(f.rp), false)
	_ = f.l.AcceptNotify(h)
	flags := func() Flags { si, _ := f.l.Session(h); return si.Flags }
	_, _ = f.l.Enqueue(h, []byte("a"))
	if flags()&FlagRxEvt == 0 {
		t.Fatal("an enqueue that queues RX sets RX_EVT")
	}
	if got := f.events(); slices.Contains(got, "RX") {
		t.Fatalf("RX before RX_READY delivered: %v", got)
	}
	if flags()&FlagRxEvt != 0 {
		t.Fatal("a processed (dropped) RX event clears RX_EVT")
	}
	_ = f.l.AcceptReply(f.app, h, ErrNone)
	if got := f.events(); !slices.Equal(got, []string{"RX"}) {
		t.Fatalf("after the reply: %v", got)
	}
	buf := make([]byte, 8)
	_, _ = f.l.Read(f.app, h, buf)
	_, _ = f.l.Enqueue(h, []byte("b"))
	if flags()&FlagRxEvt == 0 {
		t.Fatal("RX_EVT after the second enqueue")
	}
	if got := f.events(); !slices.Equal(got, []string{"RX"}) || flags()&FlagRxEvt != 0 {
		t.Fatalf("second RX: %v, flags %s", got, flags())
	}
}

// TestReviewDeleteRequest: session_transport_delete_request behaves as the
// delete notification, except that the transport's cleanup runs only when
// the app has processed the transport cleanup (or at once when there is no
// app to tell, or nothing to wait for).
func TestReviewDeleteRequest(t *testing.T) {
	cases := []struct {
		name      string
		prep      func(f *rvFixture, h Handle)
		immediate bool   // cleanup runs inside the request
		state     string // after the request, before the flush
	}{
		{"CREATED", nil, true, "freed"},
		{"READY", func(*rvFixture, Handle) {}, false, "TRANSPORT_DELETED"},
		{"TRANSPORT_CLOSING", func(f *rvFixture, h Handle) { _ = f.l.TransportClosing(h) }, false, "TRANSPORT_DELETED"},
		{"already TRANSPORT_DELETED", func(f *rvFixture, h Handle) {
			_ = f.l.TransportClosing(h)
			_ = f.l.TransportDelete(h)
			f.events()
		}, true, "TRANSPORT_DELETED"},
		{"detached", func(f *rvFixture, h Handle) {
			_ = f.l.TransportClosing(h)
			s := f.l.sessionAt(h)
			s.appWrk = InvalidIndex // as session_detach_app leaves it, without the cleanup
		}, true, "TRANSPORT_DELETED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newRvFixture(t, smallConfig())
			var h Handle
			if c.prep == nil {
				f.rp++
				h, _ = f.l.Accept(0, f.ls, 1, conn(f.rp), false)
			} else {
				h = f.ready(t, 0)
				c.prep(f, h)
			}
			f.tp.Calls = nil
			if err := f.l.TransportDeleteRequest(h); err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(f.tp.Ops(), "cleanup"); got != c.immediate {
				t.Fatalf("transport cleanup inside the request: %v, want %v (%v)", got, c.immediate, f.tp.Ops())
			}
			if got := f.state(h); got != c.state {
				t.Fatalf("state %s, want %s", got, c.state)
			}
			f.events()
			if n := strings.Count(strings.Join(f.tp.Ops(), " "), "cleanup"); n != 1 {
				t.Fatalf("transport cleanup ran %d times: %v", n, f.tp.Ops())
			}
		})
	}
}

// TestReviewTransportCleanup: session_transport_cleanup (a transport error
// before establishment) removes the lookup entry, cleans the transport up
// unless it is already deleted, and frees fifos and session at once,
// without telling the app (spec §6.7).
func TestReviewTransportCleanup(t *testing.T) {
	for _, deleted := range []bool{false, true} {
		f := newRvFixture(t, smallConfig())
		f.rp++
		c := conn(f.rp)
		h, _ := f.l.Accept(0, f.ls, 1, c, false)
		_ = f.l.AcceptNotify(h)
		if deleted {
			_ = f.l.TransportDelete(h) // ACCEPTING: TRANSPORT_DELETED, cleanup(T) queued
		}
		f.tp.Calls = nil
		if err := f.l.TransportCleanup(h); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.l.Session(h); ok {
			t.Fatalf("deleted=%v: the session should be freed at once", deleted)
		}
		want := []string{"cleanup"}
		if deleted {
			want = nil
		}
		if ops := f.tp.Ops(); !slices.Equal(ops, want) {
			t.Fatalf("deleted=%v: transport calls %v, want %v", deleted, ops, want)
		}
		if r := f.l.Lookup(0, 0, ProtoTCP, c.Local.Addr(), c.Remote.Addr(), c.Local.Port(), c.Remote.Port()); r.Kind == LookupSession {
			t.Fatalf("deleted=%v: the lookup entry survived", deleted)
		}
		if got := f.events(); slices.Contains(got, "CLEANUP(session)") || slices.Contains(got, "CLEANUP(transport)") {
			t.Fatalf("deleted=%v: the app was told: %v", deleted, got)
		}
		if k := f.l.LeakCheck(); k.Sessions != 0 || k.Fifos != 0 || k.AppEvents != 0 {
			t.Fatalf("leaks: %+v", k)
		}
	}
}
