// Package apps holds the simulator's application models: the programs
// attached to the session layer that accept, read, write, connect and
// close, as VPP's builtin echo server, sink and clients do.
//
// Data flows from the layer to each model through the model's message
// queue: the engine calls Run after the layer's polls, and every model pops
// its events (ACCEPTED, RX, TX, CONNECTED, DISCONNECTED, RESET, CLEANUP)
// and answers through the layer's API (AcceptReply, Read, Write, Connect,
// Close). Clients also act on time: Tick opens their connections at the
// configured rate.
//
//   - echo: accepts; writes back what it reads (as much as its tx fifo
//     takes; the rest waits for room); closes when the peer closes.
//   - sink: accepts; discards everything it receives without copying it
//     (VPP's echo server in no-echo mode); closes when the peer closes.
//   - client: connects at a rate, keeping at most a number of sessions
//     open; writes its request; closes once the request is written and
//     taken by the peer (or at once without a request); reads whatever
//     comes back.
//   - proxy: accepts; opens one upstream connection per accepted session
//     and moves data both ways; a close on either side closes both.
//
// Every model runs in its namespace with its scope, attached with the
// namespace's secret, so cut-through and the local rules apply exactly as
// they would to a VPP application. Each operation is charged to the cost
// ledger, and the models record session setup latency (from the SYN or the
// connect to the moment the application sees the session) and fifo
// residence (from enqueue to the application's read).
package apps

import (
	"fmt"
	"math"
	"slices"

	"github.com/sessionlab/sessionlab/core/fifo"
	"github.com/sessionlab/sessionlab/core/session"
	"github.com/sessionlab/sessionlab/sim/internal/cost"
	"github.com/sessionlab/sessionlab/sim/internal/metrics"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// Env is what the models share: the layer, the cost ledger, the
// recorder, the clock, and the transport shim's read hook.
type Env struct {
	Layer    *session.Layer
	Ledger   *cost.Ledger
	Rec      *metrics.Recorder
	Sessions *metrics.Sessions
	// Now returns the current time in ns (live: the step's start).
	Now func() int64
	// ReadClock returns the time of an application's read, for the fifo
	// latency (live: the wall clock itself, so bytes enqueued and read in
	// the same step are timed; simulated: Now).
	ReadClock func() int64
	// AfterRead is called after an application read a session's rx fifo
	// (the shim resumes an in-process sender blocked on it); may be nil.
	AfterRead func(h session.Handle)
}

// sessState is what a model keeps per session.
type sessState struct {
	rx, tx  *fifo.Fifo     // cut-through: the fifos keyed in the Set's maps
	peer    session.Handle // proxy: the other side; InvalidHandle none
	written uint64         // client: request bytes written
	ct      bool           // a cut-through session
	closed  bool           // the model closed it (or was told it closed)
	blocked bool           // a write waits for room in the tx fifo
	upPend  bool           // proxy: the upstream connect is pending
}

// App is one application model.
type App struct {
	// Name and Kind are the scenario's.
	Name string
	Kind scenario.AppKind
	// Index is the layer's application index.
	Index uint32

	env *Env
	set *Set
	q   *session.EventQueue
	// sess maps a session to its state in states (a slab with a free list,
	// so that sessions coming and going allocate nothing once it has
	// grown). Pointers into states stay valid until the next newState.
	sess   map[session.Handle]int32
	states []sessState
	freeSt []int32

	// client
	connect     session.ConnectArgs
	request     uint64
	rate        float64
	concurrency int
	total       uint64
	started     uint64
	open        int
	t0          int64
	k           int64 // connects scheduled so far (rate pacing)
	stopped     bool
	due         bool // a paced connect is due and waits for a free slot
}

// Set is every application model of a run.
type Set struct {
	env  Env
	apps []*App
	buf  []byte
	// ctReaders maps a cut-through fifo to the session reading it, so a
	// writer's enqueue is timed on the reader's side; ctBlocked maps it to
	// a writer waiting for room (cut-through reads send the writer no
	// event).
	ctReaders map[*fifo.Fifo]ctRef
	ctBlocked map[*fifo.Fifo]ctRef
	wake      []ctRef
}

type ctRef struct {
	app *App
	h   session.Handle
}

// chunk is the most one read or write moves.
const chunk = 64 << 10

// NewSet returns an empty set.
func NewSet(env Env) *Set {
	return &Set{env: env, buf: make([]byte, chunk), ctReaders: map[*fifo.Fifo]ctRef{}, ctBlocked: map[*fifo.Fifo]ctRef{}}
}

// Apps returns the models in attach order.
func (s *Set) Apps() []*App { return s.apps }

// segmentSize is the size of each application's fifo segments: large
// enough that segments are never the limit (they are not what the
// scenarios study), and memfd-backed, so untouched memory costs nothing.
const segmentSize = 256 << 20

// Attach attaches the scenario's app a, starts its listeners and returns
// the model. A failing attach or listen is returned as an error naming the
// app.
func (s *Set) Attach(a *scenario.App) (*App, error) {
	l := s.env.Layer
	var flags session.AppFlags = session.AppAddSegment
	switch a.Scope {
	case scenario.ScopeLocal:
		flags |= session.AppUseLocalScope
	case scenario.ScopeAll:
		flags |= session.AppUseLocalScope | session.AppUseGlobalScope
	default:
		flags |= session.AppUseGlobalScope
	}
	ns := a.Namespace
	if ns == scenario.DefaultNamespace {
		ns = ""
	}
	idx, err := l.Attach(session.AttachArgs{Name: a.Name, Namespace: ns, Secret: a.Secret, Flags: flags,
		RxFifoSize: uint32(min(uint64(a.RxFifo), math.MaxUint32)), TxFifoSize: uint32(min(uint64(a.TxFifo), math.MaxUint32)),
		SegmentSize: segmentSize, AddSegmentSize: segmentSize})
	if err != nil {
		return nil, err
	}
	q, err := l.Queue(idx, 0)
	if err != nil {
		return nil, err
	}
	app := &App{Name: a.Name, Kind: a.Kind, Index: idx, env: &s.env, set: s, q: q, sess: map[session.Handle]int32{}}
	for _, ep := range a.Listen {
		p, err := proto(ep.Proto)
		if err != nil {
			return nil, err
		}
		if _, err := l.Listen(session.ListenArgs{App: idx, Proto: p, Addr: ep.Addr.Addr(), Port: ep.Addr.Port(), FibIndex: session.InvalidIndex}); err != nil {
			return nil, fmt.Errorf("listen %s: %w", ep, err)
		}
	}
	if a.Connect != nil {
		p, err := proto(a.Connect.Proto)
		if err != nil {
			return nil, err
		}
		app.connect = session.ConnectArgs{App: idx, Proto: p, Remote: a.Connect.Addr, FibIndex: session.InvalidIndex}
	}
	app.request = uint64(a.Request)
	app.rate = a.Rate
	app.concurrency = max(a.Concurrency, 1)
	app.total = a.Sessions
	s.apps = append(s.apps, app)
	return app, nil
}

func proto(s string) (session.Proto, error) {
	switch s {
	case "tcp":
		return session.ProtoTCP, nil
	case "udp":
		return session.ProtoUDP, nil
	}
	return 0, fmt.Errorf("protocol %q: want tcp or udp", s)
}

// ScaleRate sets a client's connection rate (the NDR/PDR search's load).
func (a *App) ScaleRate(rate float64) { a.rate = rate }

// Rate returns a client's connection rate (0: as fast as its concurrency
// allows).
func (a *App) Rate() float64 { return a.rate }

// IsClient reports whether the model opens connections.
func (a *App) IsClient() bool { return a.Kind == scenario.AppClient && a.connect.Remote.IsValid() }

// Start starts a client's connections at time t0.
func (a *App) Start(t0 int64) {
	a.t0, a.k = t0, 0
	a.due = a.IsClient()
}

// Stop stops a client from opening further connections.
func (a *App) Stop() { a.stopped = true }

// NextDue returns when a client next wants to connect (-1: not before a
// session closes, or never).
func (a *App) NextDue() int64 {
	if !a.IsClient() || a.stopped || a.total > 0 && a.started >= a.total || a.open >= a.concurrency {
		return -1
	}
	if a.rate <= 0 {
		return a.t0
	}
	return a.t0 + int64(float64(a.k)*1e9/a.rate)
}

// Tick opens the connections due at now and returns how many it opened.
func (a *App) Tick(now int64) int {
	n := 0
	for {
		due := a.NextDue()
		if due < 0 || due > now {
			return n
		}
		a.k++
		a.dial(now)
		n++
		if n > 1<<16 {
			return n
		}
	}
}

func (a *App) dial(now int64) {
	e := a.env
	a.started++
	if e.Rec.Measuring() {
		e.Rec.Count(metrics.OfferedSessions, 1)
	}
	args := a.connect
	args.Context = uint64(now)
	e.Ledger.Charge(cost.Connect, 1)
	if _, err := e.Layer.Connect(args); err != nil {
		if e.Rec.Measuring() {
			e.Rec.Count(metrics.SessionsFailed, 1)
		}
		return
	}
	a.open++
}

// Run lets every model handle the events in its queue, then the
// cut-through writers woken by reads, and returns how many events were
// handled.
func (s *Set) Run() int {
	n := 0
	for _, a := range s.apps {
		for {
			ev, ok := a.q.Pop()
			if !ok {
				break
			}
			n++
			// The delivery was charged when the layer's poll queued it.
			s.env.Ledger.Charge(cost.App, 1)
			a.handle(ev)
		}
	}
	for len(s.wake) > 0 {
		w := s.wake[len(s.wake)-1]
		s.wake = s.wake[:len(s.wake)-1]
		n++
		s.env.Ledger.Charge(cost.App, 1)
		w.app.writable(w.h)
	}
	return n
}

// state returns session h's state, nil when the model does not know h.
func (a *App) state(h session.Handle) *sessState {
	i, ok := a.sess[h]
	if !ok {
		return nil
	}
	return &a.states[i]
}

// newState registers session h (invalidating earlier state pointers).
func (a *App) newState(h session.Handle) *sessState {
	var i int32
	if n := len(a.freeSt); n > 0 {
		i = a.freeSt[n-1]
		a.freeSt = a.freeSt[:n-1]
	} else {
		a.states = append(a.states, sessState{})
		i = int32(len(a.states) - 1)
	}
	a.states[i] = sessState{peer: session.InvalidHandle}
	a.sess[h] = i
	return &a.states[i]
}

func (a *App) handle(ev session.AppEvent) {
	switch ev.Type {
	case session.EventAccepted:
		a.accepted(ev.Handle)
	case session.EventConnected:
		a.connected(ev)
	case session.EventRx:
		a.readable(ev.Handle)
	case session.EventTx:
		a.writable(ev.Handle)
	case session.EventDisconnected, session.EventReset:
		a.peerClosed(ev.Handle)
	case session.EventCleanup:
		if ev.Cleanup == session.CleanupSession {
			a.forget(ev.Handle)
		}
	}
}

func (a *App) accepted(h session.Handle) {
	e := a.env
	st := a.newState(h)
	if info, ok := e.Layer.Session(h); ok && info.Type.Proto() == session.ProtoCT {
		e.Sessions.Reset(h, -1)
		a.markCT(h, st)
	}
	e.Ledger.Charge(cost.Event, 1)
	if err := e.Layer.AcceptReply(a.Index, h, session.ErrNone); err != nil {
		a.forget(h)
		return
	}
	if t := e.Sessions.TakeSetup(h); t >= 0 && e.Rec.On && e.Rec.Measuring() {
		e.Rec.Setup.Record(e.Now() - t)
	}
	if a.Kind == scenario.AppProxy && a.connect.Remote.IsValid() {
		st.upPend = true
		args := a.connect
		args.Context = uint64(h)
		e.Ledger.Charge(cost.Connect, 1)
		if _, err := e.Layer.Connect(args); err != nil {
			st.upPend = false
			a.close(h, st)
		}
	}
}

func (a *App) connected(ev session.AppEvent) {
	e := a.env
	if a.Kind == scenario.AppProxy {
		down := session.Handle(ev.Context)
		if ds := a.state(down); ds != nil {
			ds.upPend = false
		}
		if ev.Err != session.ErrNone || ev.Handle == session.InvalidHandle {
			if ds := a.state(down); ds != nil {
				a.close(down, ds)
			}
			return
		}
		st := a.newSession(ev.Handle)
		ds := a.state(down)
		if ds == nil || ds.closed {
			a.close(ev.Handle, st)
			return
		}
		st.peer, ds.peer = down, ev.Handle
		a.readable(down) // data that arrived while the upstream was pending
		return
	}
	if ev.Err != session.ErrNone || ev.Handle == session.InvalidHandle {
		a.open--
		if e.Rec.Measuring() {
			e.Rec.Count(metrics.SessionsFailed, 1)
		}
		return
	}
	st := a.newSession(ev.Handle)
	if e.Rec.On && e.Rec.Measuring() {
		e.Rec.Setup.Record(e.Now() - int64(ev.Context))
	}
	a.writable(ev.Handle)
	_ = st
}

// newSession registers a session the model opened.
func (a *App) newSession(h session.Handle) *sessState {
	e := a.env
	st := a.newState(h)
	e.Sessions.Reset(h, -1)
	if info, ok := e.Layer.Session(h); ok && info.Type.Proto() == session.ProtoCT {
		a.markCT(h, st)
	}
	return st
}

// markCT records a cut-through session: its rx fifo is read by h.
func (a *App) markCT(h session.Handle, st *sessState) {
	st.ct = true
	if rx, tx, err := a.env.Layer.Fifos(h); err == nil && rx != nil {
		st.rx, st.tx = rx, tx
		a.set.ctReaders[rx] = ctRef{a, h}
	}
}

// readable reads what session h's rx fifo holds.
func (a *App) readable(h session.Handle) {
	st := a.state(h)
	if st == nil || st.closed {
		return
	}
	switch a.Kind {
	case scenario.AppEcho:
		a.move(h, h, st)
	case scenario.AppProxy:
		if st.peer == session.InvalidHandle {
			return // the upstream is not there yet
		}
		if ps := a.state(st.peer); ps != nil && !ps.closed {
			a.move(h, st.peer, ps)
		}
	default:
		a.drain(h)
	}
}

// writable continues what waited for room in session h's tx fifo.
func (a *App) writable(h session.Handle) {
	st := a.state(h)
	if st == nil || st.closed {
		return
	}
	st.blocked = false
	switch a.Kind {
	case scenario.AppClient:
		a.sendRequest(h, st)
	case scenario.AppEcho:
		a.move(h, h, st)
	case scenario.AppProxy:
		if st.peer != session.InvalidHandle {
			a.move(st.peer, h, st)
		}
	}
}

// drain discards everything in h's rx fifo without copying it, as VPP's
// echo server does in no-echo mode (svm_fifo_dequeue_drop): the event flag
// is cleared, as a read clears it, and the head moves past the data.
func (a *App) drain(h session.Handle) {
	e := a.env
	rx, _, err := e.Layer.Fifos(h)
	if err != nil || rx == nil {
		return
	}
	rx.UnsetEvent()
	n, _ := rx.Drop(rx.MaxDequeue())
	if n > 0 {
		e.Ledger.Charge(cost.Dequeue, 1)
	}
	a.afterRead(h, n)
}

func (a *App) afterRead(h session.Handle, n int) {
	if n == 0 {
		return
	}
	e := a.env
	if e.Rec.Measuring() {
		e.Rec.Count(metrics.AppBytes, uint64(n))
	}
	if e.Rec.On {
		now := e.Now()
		if e.ReadClock != nil {
			now = e.ReadClock()
		}
		var hist *metrics.Hist
		if e.Rec.Measuring() {
			hist = e.Rec.Fifo
		}
		e.Sessions.Dequeued(h, n, now, hist)
	}
	if e.AfterRead != nil {
		e.AfterRead(h)
	}
	if len(a.set.ctBlocked) > 0 {
		if rx, _, err := e.Layer.Fifos(h); err == nil && rx != nil {
			if w, ok := a.set.ctBlocked[rx]; ok {
				delete(a.set.ctBlocked, rx)
				a.set.wake = append(a.set.wake, w)
			}
		}
	}
	if a.Kind == scenario.AppClient {
		if st := a.state(h); st != nil {
			a.maybeDone(h, st)
		}
	}
}

// move reads from src's rx fifo what dst's tx fifo can take and writes it
// there (echo: src == dst; proxy: the two sides).
func (a *App) move(src, dst session.Handle, dstState *sessState) {
	e := a.env
	rx, _, err := e.Layer.Fifos(src)
	if err != nil || rx == nil {
		return
	}
	_, tx, err := e.Layer.Fifos(dst)
	if err != nil || tx == nil {
		return
	}
	buf := a.set.buf
	total := 0
	for {
		avail := rx.MaxDequeue()
		if avail == 0 {
			break
		}
		room := tx.MaxEnqueue()
		if room == 0 {
			a.block(dst, dstState, tx)
			break
		}
		m := min(avail, room, uint32(len(buf)))
		n, err := e.Layer.Read(a.Index, src, buf[:m])
		if n > 0 {
			total += n
			e.Ledger.ChargeBytes(cost.Dequeue, n)
			a.write(dst, dstState, tx, buf[:n])
		}
		if err != nil || n == 0 {
			break
		}
	}
	a.afterRead(src, total)
}

// write writes p (which fits) to dst's tx fifo.
func (a *App) write(dst session.Handle, st *sessState, tx *fifo.Fifo, p []byte) {
	e := a.env
	e.Ledger.ChargeBytes(cost.Enqueue, len(p))
	n, _ := e.Layer.Write(a.Index, dst, p)
	if n > 0 && st.ct && e.Rec.On {
		if r, ok := a.set.ctReaders[tx]; ok {
			e.Sessions.Enqueued(r.h, n, e.Now())
		}
	}
}

// block waits for room in dst's tx fifo: a TX event after the transport
// dequeues, or, for cut-through, a wake-up after the peer reads.
func (a *App) block(dst session.Handle, st *sessState, tx *fifo.Fifo) {
	st.blocked = true
	if st.ct {
		a.set.ctBlocked[tx] = ctRef{a, dst}
		return
	}
	tx.AddWantDeqNotif(fifo.WantDeqNotif)
}

// sendRequest writes the client's request; once all of it is written and
// taken by the peer, the client closes.
func (a *App) sendRequest(h session.Handle, st *sessState) {
	e := a.env
	_, tx, err := e.Layer.Fifos(h)
	if err != nil || tx == nil {
		return
	}
	buf := a.set.buf
	for st.written < a.request {
		room := tx.MaxEnqueue()
		if room == 0 {
			a.block(h, st, tx)
			return
		}
		m := min(a.request-st.written, uint64(room), uint64(len(buf)))
		a.write(h, st, tx, buf[:m])
		st.written += m
	}
	a.maybeDone(h, st)
}

// maybeDone closes a client session whose request is written and taken by
// the peer; until then it asks to hear when the tx fifo drains.
func (a *App) maybeDone(h session.Handle, st *sessState) {
	if st.closed || st.written < a.request {
		return
	}
	e := a.env
	if a.request > 0 {
		_, tx, err := e.Layer.Fifos(h)
		if err == nil && tx != nil && tx.MaxDequeue() > 0 {
			a.block(h, st, tx)
			return
		}
	}
	// Whatever came back is read before closing (an unread rx fifo makes
	// a cut-through close a reset).
	a.drain(h)
	if !st.closed {
		a.close(h, st)
	}
}

// peerClosed handles DISCONNECTED and RESET: the model closes its side
// (and a proxy the other side too).
func (a *App) peerClosed(h session.Handle) {
	st := a.state(h)
	if st == nil {
		st = a.newState(h)
	}
	if st.closed {
		return
	}
	if a.Kind != scenario.AppClient {
		a.readable(h)
	}
	a.close(h, st)
	if st.peer != session.InvalidHandle {
		if ps := a.state(st.peer); ps != nil && !ps.closed {
			a.close(st.peer, ps)
		}
	}
}

func (a *App) close(h session.Handle, st *sessState) {
	if st.closed {
		return
	}
	st.closed = true
	e := a.env
	e.Ledger.Charge(cost.Close, 1)
	_ = e.Layer.Close(a.Index, h)
	if a.Kind == scenario.AppClient {
		a.open--
	}
}

func (a *App) forget(h session.Handle) {
	i, ok := a.sess[h]
	if !ok {
		return
	}
	st := &a.states[i]
	if !st.closed && a.Kind == scenario.AppClient {
		a.open--
	}
	if st.rx != nil {
		if r, ok := a.set.ctReaders[st.rx]; ok && r.app == a && r.h == h {
			delete(a.set.ctReaders, st.rx)
		}
	}
	if st.tx != nil {
		if r, ok := a.set.ctBlocked[st.tx]; ok && r.app == a && r.h == h {
			delete(a.set.ctBlocked, st.tx)
		}
	}
	*st = sessState{}
	delete(a.sess, h)
	a.freeSt = append(a.freeSt, i)
}

// CloseAll closes every session the models hold (the end of a run) and
// stops the clients. It returns how many it closed.
func (s *Set) CloseAll() int {
	n := 0
	for _, a := range s.apps {
		a.Stop()
		// In handle order, so the drain is deterministic.
		hs := make([]session.Handle, 0, len(a.sess))
		for h := range a.sess {
			hs = append(hs, h)
		}
		slices.Sort(hs)
		for _, h := range hs {
			if st := a.state(h); st != nil && !st.closed {
				a.close(h, st)
				n++
			}
		}
	}
	return n
}

// DetachAll detaches every application (the end of a run).
func (s *Set) DetachAll() error {
	var first error
	for _, a := range s.apps {
		if err := s.env.Layer.Detach(a.Index); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// CTFifoBytes returns the bytes waiting in cut-through fifos (each fifo
// of a pair is some session's rx fifo, counted once).
func (s *Set) CTFifoBytes() uint64 {
	var n uint64
	for f := range s.ctReaders {
		n += uint64(f.MaxDequeue())
	}
	return n
}

// ClientsDone reports whether every client has opened all the sessions it
// will open and holds none (a client without a session count never is).
func (s *Set) ClientsDone() bool {
	for _, a := range s.apps {
		if a.IsClient() && (a.total == 0 || a.started < a.total || a.open > 0) {
			return false
		}
	}
	return true
}

// Open returns the sessions the models hold.
func (s *Set) Open() int {
	n := 0
	for _, a := range s.apps {
		n += len(a.sess)
	}
	return n
}
