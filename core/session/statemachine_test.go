package session

import (
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/golden"
)

// The close state machine's transition table (spec §6.6), transcribed as
// data: for every state an established session can be in and every event,
// the next state, whether the APP_CLOSED flag ends up set, the
// notifications queued for the application, the control events queued,
// the transport calls made, and whether the session left the lookup table
// (or was freed). This table is the independent model: the table-driven
// test checks every cell against the implementation, and the model-based
// random test (model_test.go) predicts every step with it.

type smEvent uint8

const (
	evAppClose smEvent = iota
	evAppReset
	evCtrlClose
	evCtrlReset
	evTpClosing
	evTpReset
	evTpClosed
	evTpDelete
	numSmEvents
)

var smEventNames = [...]string{"app close", "app reset", "ctrl CLOSE", "ctrl RESET", "transport closing",
	"transport reset", "transport closed", "transport delete"}

func (e smEvent) String() string { return smEventNames[e] }

// Notification names used by the model.
const (
	nDisc  = "DISCONNECTED"
	nReset = "RESET"
	nTC    = "TRANSPORT_CLOSED"
	nCT    = "CLEANUP(T)"
	nCS    = "CLEANUP(S)"
)

// cell is one entry of the transition table.
type cell struct {
	next  State
	freed bool     // the session is freed at once (CREATED + delete)
	flag  bool     // APP_CLOSED is set afterwards (app close/reset always set it)
	app   []string // notifications queued for the app, in order
	ctrl  []EventType
	tp    []string // transport calls
	del   bool     // removed from the lookup table
}

// smStates are the states an established session moves through.
var smStates = []State{StateCreated, StateConnecting, StateAccepting, StateReady, StateOpened,
	StateTransportClosing, StateClosing, StateAppClosed, StateTransportClosed, StateClosed, StateTransportDeleted}

// expectedCell returns the table entry for (st, ev) when the APP_CLOSED
// flag is clear before the event.
func expectedCell(st State, ev smEvent) cell {
	appOp := func(typ EventType) cell {
		switch st {
		case StateClosing, StateAppClosed, StateClosed:
			return cell{next: st, flag: true} // flag only
		case StateTransportClosed, StateTransportDeleted:
			return cell{next: st, flag: true, ctrl: []EventType{typ}}
		}
		return cell{next: StateClosing, flag: true, ctrl: []EventType{typ}}
	}
	ctrlOp := func(tp string) cell {
		switch st {
		case StateAppClosed, StateClosed:
			return cell{next: st} // no-op
		case StateTransportClosed:
			return cell{next: StateClosed}
		case StateTransportDeleted:
			return cell{next: st, app: []string{nCS}}
		}
		return cell{next: StateAppClosed, tp: []string{tp}}
	}
	closing := func(n string) cell {
		switch {
		case st >= StateTransportClosing:
			return cell{next: st} // ignore
		case st == StateAccepting:
			return cell{next: StateTransportClosing} // no notify, replayed on accept reply
		}
		return cell{next: StateTransportClosing, app: []string{n}}
	}
	switch ev {
	case evAppClose:
		return appOp(EventClose)
	case evAppReset:
		return appOp(EventReset)
	case evCtrlClose:
		return ctrlOp("close")
	case evCtrlReset:
		return ctrlOp("reset")
	case evTpClosing:
		return closing(nDisc)
	case evTpReset:
		return closing(nReset)
	case evTpClosed:
		switch {
		case st >= StateTransportClosed:
			return cell{next: st}
		case st == StateReady:
			return cell{next: StateTransportClosed, app: []string{nDisc, nTC}}
		case st == StateAppClosed:
			return cell{next: StateClosed, app: []string{nTC}}
		}
		return cell{next: StateTransportClosed, app: []string{nTC}}
	case evTpDelete:
		switch st {
		case StateCreated:
			return cell{freed: true, del: true}
		case StateAccepting, StateTransportClosing, StateClosing, StateTransportClosed:
			return cell{next: StateTransportDeleted, del: true, app: []string{nCT}}
		case StateAppClosed:
			return cell{next: StateTransportDeleted, del: true, app: []string{nCT}, ctrl: []EventType{EventClose}}
		case StateTransportDeleted:
			return cell{next: st}
		}
		// CONNECTING, READY, OPENED (warn), CLOSED
		return cell{next: StateTransportDeleted, del: true, app: []string{nCT, nCS}}
	}
	panic("unknown event")
}

// smFixture is a layer with one server application and a listener, able
// to make an accepted session in any state.
type smFixture struct {
	l      *Layer
	tp     *TestTransport
	app    uint32
	ls     Handle
	nextRP uint16
}

func newSMFixture(t testing.TB) *smFixture {
	l, tcp, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	app := mustAttach(t, l, AttachArgs{Name: "server", EventQueueSize: 1 << 16})
	ls, err := l.Listen(ListenArgs{App: app, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 80, FibIndex: InvalidIndex})
	if err != nil {
		t.Fatal(err)
	}
	return &smFixture{l: l, tp: tcp, app: app, ls: ls, nextRP: 1000}
}

// session makes an accepted session, forces it into st (with the APP_CLOSED
// flag if flag), and clears everything queued so far.
func (f *smFixture) session(t testing.TB, st State, flag bool) Handle {
	t.Helper()
	f.nextRP++
	c := Connection{Proto: ProtoTCP, Local: ap("10.0.0.1:80"), Remote: ap(fmt.Sprintf("10.0.0.2:%d", f.nextRP))}
	h, err := f.l.Accept(0, f.ls, uint32(f.nextRP), c, false)
	if err != nil {
		t.Fatal(err)
	}
	s := f.l.sessionAt(h)
	f.l.setState(0, s, st)
	if flag {
		s.flags |= FlagAppClosed
	}
	f.reset()
	return h
}

// reset forgets queued events and recorded calls.
func (f *smFixture) reset() {
	for _, w := range f.l.wrks {
		if w != nil {
			for th := range w.pending {
				w.pending[th] = ring[pendingEvent]{}
				w.scheduled[th] = false
			}
		}
	}
	for th := range f.l.threads {
		c := &f.l.threads[th].ctrl
		for {
			if _, ok := c.pop(); !ok {
				break
			}
		}
		f.l.threads[th].pendingWrks = nil
	}
	f.tp.Calls = nil
}

// apply delivers one event to h.
func (f *smFixture) apply(t testing.TB, h Handle, ev smEvent) {
	t.Helper()
	l := f.l
	var err error
	switch ev {
	case evAppClose:
		err = l.Close(f.app, h)
	case evAppReset:
		err = l.Reset(f.app, h)
	case evCtrlClose, evCtrlReset:
		s := l.sessionAt(h)
		typ := EventClose
		if ev == evCtrlReset {
			typ = EventReset
		}
		l.programCtrl(h, s, typ)
		l.RunCtrlEvents(h.Thread(), 0)
	case evTpClosing:
		err = l.TransportClosing(h)
	case evTpReset:
		err = l.TransportReset(h)
	case evTpClosed:
		err = l.TransportClosed(h)
	case evTpDelete:
		err = l.TransportDelete(h)
	}
	if err != nil {
		t.Fatalf("%v: %v", ev, err)
	}
}

// observed collects what the implementation did to session h, whose
// 5-tuple si had before the event.
func (f *smFixture) observed(h Handle, si SessionInfo) cell {
	l := f.l
	var c cell
	s := l.sessionAt(h)
	if s == nil {
		c.freed = true
	} else {
		c.next = s.state
		c.flag = s.flags&FlagAppClosed != 0
	}
	for _, w := range l.wrks {
		if w == nil {
			continue
		}
		for th := range w.pending {
			for i := range w.pending[th].len() {
				ev := w.pending[th].at(i).ev
				switch ev.Type {
				case EventDisconnected:
					c.app = append(c.app, nDisc)
				case EventReset:
					c.app = append(c.app, nReset)
				case EventTransportClosed:
					c.app = append(c.app, nTC)
				case EventCleanup:
					if ev.Cleanup == CleanupTransport {
						c.app = append(c.app, nCT)
					} else {
						c.app = append(c.app, nCS)
					}
				default:
					c.app = append(c.app, ev.Type.String())
				}
			}
		}
	}
	for th := range l.threads {
		for _, ev := range l.threads[th].ctrl.snapshot() {
			c.ctrl = append(c.ctrl, ev.typ)
		}
	}
	for _, call := range f.tp.Calls {
		c.tp = append(c.tp, call.Op)
	}
	// Without its entry the 5-tuple falls through to the listener.
	c.del = l.LookupSafe(0, ProtoTCP, si.Local.Addr(), si.Remote.Addr(), si.Local.Port(), si.Remote.Port()) != h
	return c
}

func cellEqual(a, b cell) bool {
	if a.freed != b.freed || a.del != b.del || !slices.Equal(a.app, b.app) || !slices.Equal(a.ctrl, b.ctrl) || !slices.Equal(a.tp, b.tp) {
		return false
	}
	return a.freed || a.next == b.next && a.flag == b.flag
}

// TestTransitionTable checks every cell of §6.6: every state × every event,
// with the APP_CLOSED flag clear and set beforehand.
func TestTransitionTable(t *testing.T) {
	f := newSMFixture(t)
	for _, st := range smStates {
		for ev := range numSmEvents {
			for _, preset := range []bool{false, true} {
				want := expectedCell(st, ev)
				if preset {
					want.flag = true
					if ev == evAppClose || ev == evAppReset {
						// Every app close/reset is a no-op once the flag is set.
						want = cell{next: st, flag: true}
					}
				}
				h := f.session(t, st, preset)
				si, _ := f.l.Session(h)
				f.apply(t, h, ev)
				got := f.observed(h, si)
				if !cellEqual(got, want) {
					t.Errorf("%s + %s (flag preset %v): got %+v, want %+v", st, ev, preset, got, want)
				}
				f.cleanup(t, h)
			}
		}
	}
}

// cleanup removes a test session and everything it queued.
func (f *smFixture) cleanup(t testing.TB, h Handle) {
	if s := f.l.sessionAt(h); s != nil {
		f.l.delSessionEntry(s, h)
		f.l.freeSession(h)
	}
	f.reset()
	if n := f.l.LeakCheck().Sessions; n != 0 {
		t.Fatalf("%d sessions left after cleanup", n)
	}
}

// snapshot returns the queued events (draining and re-queueing them).
func (c *ctrlQueue) snapshot() []ctrlEvent {
	var evs []ctrlEvent
	for {
		ev, ok := c.pop()
		if !ok {
			break
		}
		evs = append(evs, ev)
	}
	for _, ev := range evs {
		c.push(ev)
	}
	return evs
}

var update = flag.Bool("update", false, "rewrite golden files")

// TestTransitionTableGolden renders the implementation's transitions (flag
// clear beforehand) as a Markdown table and compares it with
// testdata/transition_table.md, the readable form of §6.6 as sessionlab
// implements it. Run with -update to rewrite it.
func TestTransitionTableGolden(t *testing.T) {
	f := newSMFixture(t)
	var b strings.Builder
	b.WriteString("| state |")
	for ev := range numSmEvents {
		b.WriteString(" " + ev.String() + " |")
	}
	b.WriteString("\n|---|")
	for range numSmEvents {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, st := range smStates {
		fmt.Fprintf(&b, "| %s (%d) |", st, st)
		for ev := range numSmEvents {
			h := f.session(t, st, false)
			si, _ := f.l.Session(h)
			f.apply(t, h, ev)
			b.WriteString(" " + renderCell(st, f.observed(h, si)) + " |")
			f.cleanup(t, h)
		}
		b.WriteString("\n")
	}
	golden.Check(t, filepath.Join("testdata", "transition_table.md"), b.String(), *update)
}

func renderCell(from State, c cell) string {
	var parts []string
	switch {
	case c.freed:
		parts = append(parts, "freed")
	case c.next != from:
		parts = append(parts, "→"+c.next.String())
	}
	if c.del && !c.freed {
		parts = append(parts, "del")
	}
	for _, ev := range c.ctrl {
		parts = append(parts, "queue "+ev.String())
	}
	for _, tp := range c.tp {
		parts = append(parts, "tp "+tp)
	}
	parts = append(parts, c.app...)
	if c.flag {
		parts = append(parts, "flag")
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}
