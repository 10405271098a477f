package cli

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/sessionlab/sessionlab/core/session"
)

// Options configure an Executor.
type Options struct {
	// Config sizes the session layer (zero fields take VPP's defaults).
	Config session.Config
	// Engine, when not session.EngineDisable, enables the layer before the
	// first command, as a startup.conf `session { enable }` does. Without
	// it the layer starts disabled and `session enable` must come first,
	// as in VPP.
	Engine session.Engine
	// Seed seeds the port allocator (0: the layer's fixed default), so
	// that every run of a script picks the same ephemeral ports.
	Seed uint64
}

// maxSettleRounds bounds one settle (transport steps, polls of every
// thread, application event handling): a model that keeps producing work
// for this long is reported instead of looping for ever.
const maxSettleRounds = 10000

// Executor runs commands against one in-process session layer. It owns the
// layer, a TCP and a UDP transport (see [TransportMode]) and a small model
// of every application attached through it (the application side of the
// message queues: events are popped, recorded and, for accepts, answered).
//
// An Executor is not safe for concurrent use.
type Executor struct {
	l        *session.Layer
	tr       [2]*transport // by session.Proto (TCP, UDP)
	apps     map[uint32]*appModel
	autoPoll bool
	now      int64

	// names caches application and namespace names for one command
	// (show commands name thousands of sessions); nil = stale.
	names   map[uint32]string
	nsNames map[uint32]string

	// cur collects the notes (events, transport calls) of the command
	// being run.
	cur *Result
}

// New builds an Executor with a fresh session layer.
func New(o Options) (*Executor, error) {
	opts := session.Options{Config: o.Config}
	if o.Seed != 0 {
		opts.Rand = rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)
	}
	l, err := session.New(opts)
	if err != nil {
		return nil, err
	}
	x := &Executor{l: l, apps: make(map[uint32]*appModel), autoPoll: true}
	for _, p := range []session.Proto{session.ProtoTCP, session.ProtoUDP} {
		t := newTransport(x, p)
		x.tr[p] = t
		if err := l.RegisterTransport(p, t); err != nil {
			return nil, err
		}
	}
	x.SetTransportMode(ModeManual, false)
	if o.Engine != session.EngineDisable {
		if err := l.Enable(o.Engine); err != nil {
			return nil, fmt.Errorf("enabling the session layer (%s): %w", o.Engine, err)
		}
	}
	return x, nil
}

// Layer returns the session layer the commands drive.
func (x *Executor) Layer() *session.Layer { return x.l }

// Exec runs one command line (a comment-only or blank line is a no-op with
// an empty Result) and returns what it did. It never panics on any input.
func (x *Executor) Exec(line string) *Result {
	r := &Result{Cmd: stripComment(line)}
	x.cur = r
	x.names, x.nsNames = nil, nil
	defer func() { x.cur = nil; x.names, x.nsNames = nil, nil }()
	toks := tokenize(line, nil)
	if len(toks) == 0 {
		r.empty = true
		return r
	}
	toks = resolvePath(toks)
	cmd, n := lookupCommand(toks)
	if cmd == nil {
		r.Err = commandError(toks, n, len(line))
		return r
	}
	r.Path = strings.Join(cmd.path, " ")
	s := &scanner{line: line, toks: toks[len(cmd.path):], end: len(line)}
	if cmd.needEnabled {
		if on, _ := x.l.Enabled(); !on {
			r.Err = errCLI(NameNotEnabled, "session layer is not enabled")
			return r
		}
	}
	if err := cmd.run(x, s, r); err != nil {
		r.Err = err
	}
	x.names, x.nsNames = nil, nil // the command may have attached, detached, deleted
	if x.autoPoll && !cmd.noSettle {
		x.settle(maxSettleRounds)
	}
	return r
}

// commandError explains why toks select no command: the n-th word
// continues no command path, or the line stops after a path prefix.
func commandError(toks []token, n, end int) *Error {
	words := make([]string, n)
	for i := range n {
		words[i] = toks[i].text
	}
	next := continuations(words)
	if n >= len(toks) {
		return errMissing(end, fmt.Sprintf("command word after `%s' (one of %s)", strings.Join(words, " "), strings.Join(next, ", ")))
	}
	e := errUnknown(toks[n])
	if n > 0 {
		e.Msg += fmt.Sprintf(" (after `%s' expected one of %s)", strings.Join(words, " "), strings.Join(next, ", "))
	}
	return e
}

// settle runs the model until nothing moves: the transports deliver their
// queued network events, every thread runs its control events and delivers
// application events, the application models consume them. It returns the
// number of things that happened.
func (x *Executor) settle(rounds int) int {
	total := 0
	for i := 0; i < rounds; i++ {
		n := 0
		for _, t := range x.tr {
			n += t.tt.Step()
		}
		x.now += 1_000_000 // 1 ms of virtual time per round
		n += x.l.PollAll(x.now, 1)
		n += x.drainApps()
		total += n
		if n == 0 {
			return total
		}
	}
	if x.cur != nil {
		x.cur.Warnings = append(x.cur.Warnings, fmt.Sprintf("the model did not settle in %d rounds", rounds))
	}
	return total
}

// appModel is the application side of one attached application: what
// `app attach` created. It pops the application's message queue as the
// application process would and keeps the events it saw.
type appModel struct {
	index  uint32
	name   string
	manual bool // accepts wait for `app accept` instead of being answered
	// history keeps the most recent events (see maxHistory).
	history []Event
	seen    int // events ever received
}

// maxHistory bounds an application's event history (`show app events`).
const maxHistory = 1000

// drainApps pops every application's queue, in application index order,
// records each event and reacts as a builtin application would: an
// accepted session is answered at once unless the application is manual.
func (x *Executor) drainApps() int {
	idx := make([]uint32, 0, len(x.apps))
	for i := range x.apps {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	n := 0
	for _, i := range idx {
		m := x.apps[i]
		if cur, ok := x.l.AppIndex(m.name); !ok || cur != m.index {
			delete(x.apps, i) // freed by a namespace delete or interface move
			x.names = nil
			continue
		}
		q, err := x.l.Queue(m.index, 0)
		if err != nil {
			continue
		}
		for {
			ev, ok := q.Pop()
			if !ok {
				break
			}
			n++
			e := x.event(m, ev)
			m.seen++
			m.history = append(m.history, e)
			if len(m.history) > maxHistory {
				m.history = m.history[len(m.history)-maxHistory:]
			}
			if x.cur != nil {
				x.cur.notes = append(x.cur.notes, note{event: &e})
			}
			if ev.Type == session.EventAccepted && !m.manual {
				if err := x.l.AcceptReply(m.index, ev.Handle, session.ErrNone); err != nil && x.cur != nil {
					x.cur.Warnings = append(x.cur.Warnings, fmt.Sprintf("%s: accept reply for %s: %v", m.name, ev.Handle, err))
				}
			}
		}
	}
	return n
}

// event converts an application event into its CLI form.
func (x *Executor) event(m *appModel, ev session.AppEvent) Event {
	e := Event{App: m.name, Type: ev.Type.String(), Handle: ev.Handle}
	switch ev.Type {
	case session.EventAccepted:
		e.Listener = ev.Listener
	case session.EventConnected:
		e.Context = ev.Context
		if ev.Err != session.ErrNone {
			e.Error = ev.Err.Name()
		}
	case session.EventCleanup:
		e.Cleanup = ev.Cleanup.String()
	case session.EventAppAddSegment, session.EventAppDelSegment:
		e.Segment = ev.Context
	}
	if si, ok := x.l.Session(ev.Handle); ok && ev.Handle != session.InvalidHandle {
		e.State = si.State.String()
	}
	return e
}

// appByName returns the index of the named application.
func (x *Executor) appByName(t token) (uint32, *Error) {
	i, ok := x.l.AppIndex(t.text)
	if !ok {
		e := errSession(session.ErrNoApp, fmt.Sprintf("no application named '%s'", t.text))
		e.Token, e.Col = t.text, t.col
		return 0, e
	}
	return i, nil
}

// onlyApp reads a command's one argument, an application name, and
// returns the name's token and the application's index.
func (x *Executor) onlyApp(s *scanner) (token, uint32, *Error) {
	t, err := s.next("application name")
	if err != nil {
		return t, 0, err
	}
	if err := s.expectEnd(); err != nil {
		return t, 0, err
	}
	idx, err := x.appByName(t)
	return t, idx, err
}

// nsByID returns the index of the namespace with id t.
func (x *Executor) nsByID(t token) (uint32, *Error) {
	i, ok := x.l.NamespaceIndex(t.text)
	if !ok {
		e := errSession(session.ErrInvalidNS, fmt.Sprintf("unknown namespace '%s'", t.text))
		e.Token, e.Col = t.text, t.col
		return 0, e
	}
	return i, nil
}

// appName returns the name of application index i ("" if none).
func (x *Executor) appName(i uint32) string {
	if i == session.InvalidIndex {
		return ""
	}
	if x.names == nil {
		x.names = make(map[uint32]string)
		for _, a := range x.l.Apps() {
			x.names[a.Index] = a.Name
		}
	}
	return x.names[i]
}

// nsID returns the id of namespace index i.
func (x *Executor) nsID(i uint32) string {
	if x.nsNames == nil {
		x.nsNames = make(map[uint32]string)
		for _, n := range x.l.Namespaces() {
			x.nsNames[n.Index] = n.ID
		}
	}
	if id, ok := x.nsNames[i]; ok {
		return id
	}
	return fmt.Sprint(i)
}

// session returns the session h or a NOSESSION error naming t.
func (x *Executor) session(t token, h session.Handle) (session.SessionInfo, *Error) {
	si, ok := x.l.Session(h)
	if !ok {
		e := errSession(session.ErrNoSession, fmt.Sprintf("no session %s", h))
		e.Token, e.Col = t.text, t.col
		return si, e
	}
	return si, nil
}
