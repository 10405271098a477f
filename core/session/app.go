package session

import (
	"fmt"

	"github.com/sessionlab/sessionlab/core/fifo"
)

// AppFlags are the application option flags (application_interface.h,
// §3.7), with VPP's bit positions.
type AppFlags uint32

// Application flags.
const (
	AppAcceptRedirect   AppFlags = 1 << 0
	AppAddSegment       AppFlags = 1 << 1
	AppIsBuiltin        AppFlags = 1 << 2
	AppIsTransportApp   AppFlags = 1 << 3
	AppIsProxy          AppFlags = 1 << 4
	AppUseGlobalScope   AppFlags = 1 << 5
	AppUseLocalScope    AppFlags = 1 << 6
	AppEvtMqUseEventfd  AppFlags = 1 << 7
	AppMemfdForBuiltin  AppFlags = 1 << 8
	AppUseHugePage      AppFlags = 1 << 9
	AppGetOriginalDst   AppFlags = 1 << 10
	AppEvtCollector     AppFlags = 1 << 11
	AppNoDumpSegments   AppFlags = 1 << 12
	AppUseLocalAndScope          = AppUseGlobalScope | AppUseLocalScope
)

// AttachArgs are the arguments of Attach (VPP's vnet_app_attach_args_t and
// the APP_OPTIONS_* values).
type AttachArgs struct {
	// Name identifies the application; attaching a second application with
	// the same name fails with ErrAppAttached.
	Name string
	// Namespace is the namespace id; empty means the default namespace,
	// without a secret check.
	Namespace string
	// Secret must equal the namespace's secret when Namespace is set.
	Secret uint64
	// Flags are the option flags. Neither scope flag means global scope.
	Flags AppFlags
	// ProxyTransports is the bitmap (1 << Proto) of the transports a proxy
	// application (AppIsProxy) proxies.
	ProxyTransports uint32
	// RxFifoSize and TxFifoSize are the session fifo sizes (raised to at
	// least 4096).
	RxFifoSize, TxFifoSize uint32
	// SegmentSize is the first segment's size (at least 1 MiB).
	SegmentSize uint64
	// AddSegmentSize, when not zero, allows additional segments of that
	// size (VPP's APP_OPTIONS_ADD_SEGMENT_SIZE; AppAddSegment does the same
	// with the default size).
	AddSegmentSize uint64
	// EventQueueSize is the length of each worker's message queue (default
	// Config.AppEventQueueSize, VPP's 128).
	EventQueueSize uint32
}

// application is an attached application (application_t).
type application struct {
	index     uint32
	name      string
	ns        uint32
	flags     AppFlags
	proxyTp   uint32
	rxSize    uint32
	txSize    uint32
	evqSize   uint32
	sm        uint32   // segment manager index
	workers   []uint32 // app worker index by map index (InvalidIndex: none)
	listeners []uint32 // app listener indices
	proxies   []proxyEntry
}

func (a *application) isProxy() bool   { return a.flags&AppIsProxy != 0 }
func (a *application) hasGlobal() bool { return a.flags&AppUseGlobalScope != 0 }
func (a *application) hasLocal() bool  { return a.flags&AppUseLocalScope != 0 }

// appWorker is one worker of an application (app_worker_t): its own
// message queue, per-thread pending events and congestion marks, and its
// half-open sessions.
type appWorker struct {
	index      uint32
	app        uint32
	mapIndex   uint32
	q          *EventQueue
	pending    []ring[pendingEvent] // per thread
	scheduled  []bool               // per thread: listed in thread.pendingWrks
	congested  []bool               // per thread
	nCongested int                  // threads marked congested (isCongested)
	halfOpens  []Handle             // by slot; InvalidHandle = free
	freeHo     []uint32
	nSessions  int // established sessions owned (views, detach)
}

// pendingEvent is an application event waiting for its thread's flush,
// with the generation of its session.
type pendingEvent struct {
	ev  AppEvent
	gen uint32
}

// segMgr wraps a fifo segment manager with the bookkeeping the layer needs
// to free it when its application is gone and its last fifo pair returned.
type segMgr struct {
	mgr      *fifo.Manager
	app      uint32 // owning application, InvalidIndex once detached
	pairs    int
	ct       bool      // a cut-through segment shared by two applications
	ctApps   [2]uint32 // client and server apps of a CT segment
	inUse    bool
	segIndex uint64 // segment handle reported to applications
}

// Attach attaches an application (vnet_application_attach) and creates its
// first worker. It returns the application index.
//
// Errors: ErrAppAttached (name in use), ErrInvalidNS (unknown namespace),
// ErrWrongNSSecret (secret mismatch, compared in constant time), ErrInvalid
// (empty name), ErrSegCreate (the first segment could not be created).
func (l *Layer) Attach(a AttachArgs) (uint32, error) {
	if !l.enabled {
		return InvalidIndex, fmt.Errorf("session: attach %q: session layer not enabled: %w", a.Name, l.fail(ErrNoSupport))
	}
	if a.Name == "" {
		return InvalidIndex, fmt.Errorf("session: attach: empty application name: %w", l.fail(ErrInvalid))
	}
	if _, ok := l.appByName[a.Name]; ok {
		return InvalidIndex, fmt.Errorf("session: attach %q: %w", a.Name, l.fail(ErrAppAttached))
	}
	nsIndex, ok := l.nsByID[DefaultNamespace]
	if a.Namespace != "" {
		ns := l.nsByIDPtr(a.Namespace)
		if ns == nil {
			return InvalidIndex, fmt.Errorf("session: attach %q: namespace %q: %w", a.Name, a.Namespace, l.fail(ErrInvalidNS))
		}
		if !secretOK(ns.secret, a.Secret) {
			return InvalidIndex, fmt.Errorf("session: attach %q: namespace %q: %w", a.Name, a.Namespace, l.fail(ErrWrongNSSecret))
		}
		nsIndex, ok = ns.index, true
	}
	if !ok {
		return InvalidIndex, fmt.Errorf("session: attach %q: the default namespace was deleted: %w", a.Name, l.fail(ErrInvalidNS))
	}
	flags := a.Flags
	if flags&AppIsBuiltin != 0 && flags&AppMemfdForBuiltin == 0 && flags&AppEvtMqUseEventfd != 0 {
		// A builtin app without the memfd flag gets private segments,
		// where an eventfd message queue cannot live (spec §5.4).
		return InvalidIndex, fmt.Errorf("session: attach %q: an eventfd message queue needs memfd segments (builtin app without MEMFD_FOR_BUILTIN): %w", a.Name, l.fail(ErrNoSupport))
	}
	if flags&(AppUseGlobalScope|AppUseLocalScope) == 0 {
		flags |= AppUseGlobalScope
	}
	app := &application{
		name:    a.Name,
		ns:      nsIndex,
		flags:   flags,
		proxyTp: a.ProxyTransports,
		rxSize:  max(a.RxFifoSize, fifo.DefaultFifoSize),
		txSize:  max(a.TxFifoSize, fifo.DefaultFifoSize),
		evqSize: a.EventQueueSize,
	}
	if app.evqSize == 0 {
		app.evqSize = l.cfg.AppEventQueueSize
	}
	addSeg := flags&AppAddSegment != 0 || a.AddSegmentSize != 0
	smi, err := l.newSegMgr(fifo.ManagerConfig{
		Name:           a.Name,
		SegmentSize:    max(a.SegmentSize, fifo.DefaultSegmentSize),
		AddSegment:     addSeg,
		AddSegmentSize: a.AddSegmentSize,
		Heap:           l.cfg.HeapSegments,
	})
	if err != nil {
		return InvalidIndex, fmt.Errorf("session: attach %q: %v: %w", a.Name, err, l.fail(ErrSegCreate))
	}
	app.sm = smi
	if n := len(l.freeApps); n > 0 {
		app.index = l.freeApps[n-1]
		l.freeApps = l.freeApps[:n-1]
		l.apps[app.index] = app
	} else {
		app.index = uint32(len(l.apps))
		l.apps = append(l.apps, app)
	}
	l.segMgrs[smi].app = app.index
	l.appByName[a.Name] = app.index
	if _, err := l.addWorker(app); err != nil {
		l.freeApp(app)
		return InvalidIndex, err
	}
	if app.isProxy() {
		l.startProxy(app)
	}
	return app.index, nil
}

// AddWorker adds a worker to an application and returns its map index.
func (l *Layer) AddWorker(app uint32) (uint32, error) {
	a := l.appAt(app)
	if a == nil {
		return InvalidIndex, fmt.Errorf("session: add worker: application %d: %w", app, l.fail(ErrNoApp))
	}
	w, err := l.addWorker(a)
	if err != nil {
		return InvalidIndex, err
	}
	return w.mapIndex, nil
}

// DelWorker frees worker m (map index) of an application, as a worker
// that exits does (app_worker_free): its sessions are detached, its
// listeners lose it, its half-opens are cleaned and its pending events
// drained. The default worker (0) goes only with the application (Detach).
func (l *Layer) DelWorker(app, m uint32) error {
	a, w, e := l.appWorkerOf(app, m)
	if e != ErrNone {
		return fmt.Errorf("session: del worker %d of app %d: %w", m, app, l.fail(e))
	}
	if m == 0 {
		return fmt.Errorf("session: del worker 0 of app %q: the default worker goes with the application: %w", a.name, l.fail(ErrInvalid))
	}
	l.freeWorker(w)
	return nil
}

func (l *Layer) addWorker(a *application) (*appWorker, error) {
	n := len(l.threads)
	q, err := newEventQueue(int(a.evqSize))
	if err != nil {
		return nil, fmt.Errorf("session: app %q worker queue: %v: %w", a.name, err, l.fail(ErrInvalid))
	}
	w := &appWorker{
		app:       a.index,
		q:         q,
		pending:   make([]ring[pendingEvent], n),
		scheduled: make([]bool, n),
		congested: make([]bool, n),
	}
	w.mapIndex = uint32(len(a.workers))
	for i, wi := range a.workers {
		if wi == InvalidIndex {
			w.mapIndex = uint32(i)
			break
		}
	}
	if n := len(l.freeWrks); n > 0 {
		w.index = l.freeWrks[n-1]
		l.freeWrks = l.freeWrks[:n-1]
		l.wrks[w.index] = w
	} else {
		w.index = uint32(len(l.wrks))
		l.wrks = append(l.wrks, w)
	}
	if int(w.mapIndex) == len(a.workers) {
		a.workers = append(a.workers, w.index)
	} else {
		a.workers[w.mapIndex] = w.index
	}
	return w, nil
}

// Detach detaches an application (vnet_application_detach): every worker
// is freed (sessions detached, listeners stopped, half-opens cleaned,
// pending events drained), its proxies are removed and the application is
// freed. Sessions still closing finish in the background and are freed
// without notifying anyone.
func (l *Layer) Detach(app uint32) error {
	a := l.appAt(app)
	if a == nil {
		return fmt.Errorf("session: detach: application %d: %w", app, l.fail(ErrNoApp))
	}
	l.freeApp(a)
	return nil
}

func (l *Layer) freeApp(a *application) {
	if a.isProxy() {
		l.stopProxy(a)
	}
	for _, wi := range a.workers {
		if wi != InvalidIndex {
			l.freeWorker(l.wrks[wi])
		}
	}
	for len(a.listeners) > 0 {
		l.freeAppListener(l.listeners[a.listeners[0]])
	}
	sm := &l.segMgrs[a.sm]
	sm.app = InvalidIndex
	l.maybeFreeSegMgr(a.sm)
	delete(l.appByName, a.name)
	l.apps[a.index] = nil
	l.freeApps = append(l.freeApps, a.index)
}

// freeWorker frees an app worker (app_worker_free): its listeners lose the
// worker, its sessions are detached, its half-opens cleaned, and its
// pending events drained (cleanups still run).
func (l *Layer) freeWorker(w *appWorker) {
	a := l.apps[w.app]
	for _, ali := range append([]uint32(nil), a.listeners...) {
		al := l.listeners[ali]
		if al != nil {
			l.appListenerRemoveWorker(al, w.index)
		}
	}
	// Detach established sessions.
	for th := range l.threads {
		p := &l.threads[th].pool
		for i := range p.recs {
			s := &p.recs[i]
			if !s.inUse || s.appWrk != w.index || s.state == StateListening || s.flags&FlagHalfOpen != 0 {
				continue
			}
			l.detachSession(s, MakeHandle(uint32(th), uint32(i)))
		}
	}
	// Half-opens.
	for slot, h := range w.halfOpens {
		if h == InvalidHandle {
			continue
		}
		w.halfOpens[slot] = InvalidHandle
		if s := l.sessionAt(h); s != nil {
			l.cleanupHalfOpen(s, h)
		}
	}
	// Drain pending events: cleanups still execute, the rest is dropped.
	for th := range w.pending {
		for {
			pe, ok := w.pending[th].pop()
			if !ok {
				break
			}
			l.drainEvent(w, uint32(th), pe)
		}
		w.scheduled[th] = false
	}
	a.workers[w.mapIndex] = InvalidIndex
	w.q.close()
	l.wrks[w.index] = nil
	l.freeWrks = append(l.freeWrks, w.index)
}

func (l *Layer) appAt(i uint32) *application {
	if int(i) >= len(l.apps) {
		return nil
	}
	return l.apps[i]
}

func (l *Layer) wrkAt(i uint32) *appWorker {
	if int(i) >= len(l.wrks) {
		return nil
	}
	return l.wrks[i]
}

// appWorkerOf returns the worker with map index m of app.
func (l *Layer) appWorkerOf(app, m uint32) (*application, *appWorker, Error) {
	a := l.appAt(app)
	if a == nil {
		return nil, nil, ErrNoApp
	}
	if int(m) >= len(a.workers) || a.workers[m] == InvalidIndex {
		return a, nil, ErrInvalidAppWrk
	}
	return a, l.wrks[a.workers[m]], ErrNone
}

// Queue returns the message queue of worker m (map index) of app.
func (l *Layer) Queue(app, m uint32) (*EventQueue, error) {
	_, w, e := l.appWorkerOf(app, m)
	if e != ErrNone {
		return nil, fmt.Errorf("session: queue of app %d worker %d: %w", app, m, l.fail(e))
	}
	return w.q, nil
}

// AppIndex returns the index of the application with the given name.
func (l *Layer) AppIndex(name string) (uint32, bool) {
	i, ok := l.appByName[name]
	return i, ok
}

// newSegMgr creates a fifo segment manager and returns its index.
func (l *Layer) newSegMgr(cfg fifo.ManagerConfig) (uint32, error) {
	m, err := fifo.NewManager(cfg)
	if err != nil {
		return InvalidIndex, err
	}
	sm := segMgr{mgr: m, app: InvalidIndex, inUse: true, ctApps: [2]uint32{InvalidIndex, InvalidIndex}}
	for i := range l.segMgrs {
		if !l.segMgrs[i].inUse {
			sm.segIndex = uint64(i) << 32
			l.segMgrs[i] = sm
			return uint32(i), nil
		}
	}
	sm.segIndex = uint64(len(l.segMgrs)) << 32
	l.segMgrs = append(l.segMgrs, sm)
	return uint32(len(l.segMgrs) - 1), nil
}

// maybeFreeSegMgr frees a segment manager whose owner is gone and that
// holds no fifo pairs (a detached, empty segment manager is freed, §7.5).
func (l *Layer) maybeFreeSegMgr(i uint32) {
	sm := &l.segMgrs[i]
	if !sm.inUse || sm.pairs > 0 {
		return
	}
	if sm.ct || sm.app == InvalidIndex {
		_ = sm.mgr.Close()
		*sm = segMgr{}
	}
}

// isCongested reports whether the worker's queue is congested on any thread
// (app_worker_mq_is_congested): while it is, new accepts for the worker fail
// and its connects are refused, whichever thread asks (spec §7.6).
func (w *appWorker) isCongested() bool { return w.nCongested > 0 }

// setCongested marks or clears thread th's congestion, keeping the count.
func (w *appWorker) setCongested(th uint32, c bool) {
	if w.congested[th] == c {
		return
	}
	w.congested[th] = c
	if c {
		w.nCongested++
	} else {
		w.nCongested--
	}
}
