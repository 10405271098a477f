package session

import (
	"fmt"
	"net/netip"
	"slices"
)

// appListener is an application's listener (app_listener_t): the global
// (transport) listen session and/or the local (cut-through) listen
// session, and the app workers sharing it.
type appListener struct {
	index   uint32
	app     uint32
	ls      uint32 // global listen session (thread 0), InvalidIndex if none
	lls     uint32 // local CT listen session (thread 0), InvalidIndex if none
	workers []uint32
	rr      uint32
	proto   Proto
	fam     family
	ip      addr // as requested
	gip     addr // key of the global entry (interface address for zero binds)
	port    uint16
	fib     uint32
	lt      uint32 // local table holding lls
	conn    uint32 // transport listener index
	proxy   bool
	ownPort bool
}

// proxyEntry is a key a proxy application added (§3.2).
type proxyEntry struct {
	local bool
	fam   family
	proto Proto
	ip    addr
	fib   uint32
	table uint32
}

// ListenArgs are the arguments of Listen (vnet_listen_args_t).
type ListenArgs struct {
	App uint32
	// Worker is the app worker's map index (0 = the default worker).
	Worker uint32
	Proto  Proto
	// Addr is the local address; the zero address of a family
	// (0.0.0.0, ::) listens on every address. It must be valid.
	Addr netip.Addr
	Port uint16
	// FibIndex overrides the namespace's fib for applications in the
	// default namespace; InvalidIndex means "not given" (the namespace's
	// fib). 0 is a fib like any other.
	FibIndex uint32
	// Ext are extended configs for the transport (VPP's sep_ext.ext_cfgs),
	// passed to an ExtCfgTransport with the listener's handle.
	Ext ExtCfgs
}

// Listen starts listening (vnet_listen, §3.7). It returns the listener
// handle: the global (transport) listen session's if the application has
// global scope, else the local (cut-through) one's.
//
// Errors: ErrNoApp, ErrInvalidAppWrk, ErrInvalidNS (the address is not
// local to the namespace), ErrAlreadyListening, ErrTransportNoReg,
// ErrAlloc (neither listener could be created, or a table is full).
func (l *Layer) Listen(a ListenArgs) (Handle, error) {
	h, e := l.listen(a, false)
	if e != ErrNone {
		return InvalidHandle, fmt.Errorf("session: listen %s %v:%d: %w", a.Proto, a.Addr, a.Port, l.fail(e))
	}
	return h, nil
}

func (l *Layer) listen(a ListenArgs, proxy bool) (Handle, Error) {
	app, w, e := l.appWorkerOf(a.App, a.Worker)
	if e != ErrNone {
		return InvalidHandle, e
	}
	if !a.Addr.IsValid() {
		return InvalidHandle, ErrInvalid
	}
	if a.Proto == ProtoCT || a.Proto >= numProtos {
		return InvalidHandle, ErrInvalid
	}
	ns := l.nsAt(app.ns)
	f := famOf(a.Addr.Is4())
	ip := addrFrom(a.Addr)
	fib := ns.fib[f]
	if app.ns == l.defaultNSIndex() && a.FibIndex != InvalidIndex {
		// The caller supplied a fib (0 included), spec §3.7 step 2.
		fib = a.FibIndex
	}
	if !l.fibExists(f, fib) {
		// No such fib (a default-namespace app may name any index): the
		// endpoint is in no namespace, as a non-zero address there
		// would not be local.
		return InvalidHandle, ErrInvalidNS
	}
	zeroOrLo := ip.isZero() || ip.isLoopback(f == fam4)
	// session_endpoint_in_ns: with an interface the address must be on it,
	// and in any case local in the fib the listen uses (which differs from
	// the interface's when a default-namespace app names a fib).
	if !proxy && !zeroOrLo {
		if ns.sw != InvalidIndex && !l.ifaceHasIP(ns.sw, ip, f) {
			return InvalidHandle, ErrInvalidNS
		}
		if !l.isLocalIP(fib, ip, f) {
			return InvalidHandle, ErrInvalidNS
		}
	}
	// Is there a listener already?
	if al := l.findAppListener(app, ns, f, fib, &ip, a.Port, a.Proto, zeroOrLo); al != nil {
		if al.app != app.index {
			return InvalidHandle, ErrAlreadyListening
		}
		if slices.Contains(al.workers, w.index) {
			return InvalidHandle, ErrAlreadyListening
		}
		al.workers = append(al.workers, w.index)
		return l.appListenerHandle(al), ErrNone
	}
	al := l.newAppListener(app, a.Proto, f, ip, a.Port, fib)
	al.proxy = proxy
	al.workers = append(al.workers, w.index)
	if app.hasLocal() && zeroOrLo && !proxy {
		if e := l.startLocalListen(al, ns, w); e != ErrNone {
			l.freeAppListener(al)
			return InvalidHandle, e
		}
	}
	if app.hasGlobal() {
		if e := l.startGlobalListen(al, ns, w, &a.Ext); e != ErrNone {
			l.freeAppListener(al)
			return InvalidHandle, e
		}
	}
	if al.ls == InvalidIndex && al.lls == InvalidIndex {
		l.freeAppListener(al)
		return InvalidHandle, ErrAlloc
	}
	return l.appListenerHandle(al), ErrNone
}

func (l *Layer) defaultNSIndex() uint32 {
	if i, ok := l.nsByID[DefaultNamespace]; ok {
		return i
	}
	return InvalidIndex
}

// findAppListener is step 4 of §3.7 listen: the local table for local-scope
// applications listening on zero/loopback, then the global table (with
// rules), then, for applications without local scope that bind zero in a
// namespace with an interface, the interface's first address.
func (l *Layer) findAppListener(app *application, ns *namespace, f family, fib uint32, ip *addr, port uint16, p Proto, zeroOrLo bool) *appListener {
	if app.hasLocal() && zeroOrLo {
		if v, ok := l.getListenEntry(l.tables[ns.local], f, ip, port, p); ok && v&valProxyApp == 0 {
			if al := l.alOfListenSession(Handle(v)); al != nil {
				return al
			}
		}
	}
	gt := l.lookupTable(f, fib)
	if h := l.endpointListener(gt, f, ip, port, p, true); h != InvalidHandle {
		if al := l.alOfListenSession(h); al != nil {
			return al
		}
	}
	if !app.hasLocal() && ip.isZero() && ns.sw != InvalidIndex {
		if fip, ok := l.firstIP(ns.sw, f); ok {
			if h := l.endpointListener(gt, f, &fip, port, p, true); h != InvalidHandle {
				return l.alOfListenSession(h)
			}
		}
	}
	return nil
}

// endpointListener is session_lookup_endpoint_listener (§3.6): the exact
// listener key, then optionally the rules (lcl = 0, rmt = the listen
// address): a valid action names an application whose first listener is
// returned.
func (l *Layer) endpointListener(t *table, f family, ip *addr, port uint16, p Proto, useRules bool) Handle {
	if t == nil {
		return InvalidHandle
	}
	if v, ok := l.getListenEntry(t, f, ip, port, p); ok {
		return Handle(v)
	}
	if !useRules || t.rules == nil || !l.rulesActive() {
		return InvalidHandle
	}
	var zero addr
	act := t.rules.lookup(p, f, &zero, ip, 0, port)
	if act == ActionNone || act == ActionAllow || act == ActionDrop {
		return InvalidHandle
	}
	if app := l.appAt(act); app != nil {
		if al := l.firstListener(app, f, p, false); al != nil {
			return l.appListenerHandle(al)
		}
	}
	return InvalidHandle
}

func (l *Layer) newAppListener(app *application, p Proto, f family, ip addr, port uint16, fib uint32) *appListener {
	al := &appListener{app: app.index, ls: InvalidIndex, lls: InvalidIndex, proto: p, fam: f, ip: ip, gip: ip,
		port: port, fib: fib, lt: InvalidIndex, conn: InvalidIndex}
	if n := len(l.freeAls); n > 0 {
		al.index = l.freeAls[n-1]
		l.freeAls = l.freeAls[:n-1]
		l.listeners[al.index] = al
	} else {
		al.index = uint32(len(l.listeners))
		l.listeners = append(l.listeners, al)
	}
	app.listeners = append(app.listeners, al.index)
	return al
}

// startLocalListen creates the CT listen session and its local table entry
// (keyed with the original transport protocol and the zero/loopback IP).
func (l *Layer) startLocalListen(al *appListener, ns *namespace, w *appWorker) Error {
	s, i, ok := l.allocSession(0)
	if !ok {
		return ErrAlloc
	}
	l.setState(0, s, StateListening)
	s.stype = MakeSessionType(ProtoCT, al.fam == fam4)
	s.alIndex = al.index
	s.appWrk = w.index
	s.lcl, s.lport, s.fib = al.ip, al.port, al.fib
	lt := l.tables[ns.local]
	if e := l.addListenEntry(lt, al.fam, &al.ip, al.port, al.proto, uint64(MakeHandle(0, i))); e != ErrNone {
		l.freeSessionRecord(0, i)
		return e
	}
	al.lls, al.lt = i, lt.index
	return ErrNone
}

// startGlobalListen binds the transport (a zero address becomes the
// namespace interface's first address, §5.5) and adds the global table
// entry.
func (l *Layer) startGlobalListen(al *appListener, ns *namespace, w *appWorker, ext *ExtCfgs) Error {
	tp := l.transport[al.proto]
	if tp == nil {
		return ErrTransportNoReg
	}
	if al.ip.isZero() && ns.sw != InvalidIndex {
		if fip, ok := l.firstIP(ns.sw, al.fam); ok {
			al.gip = fip
		}
	}
	gt, err := l.globalTable(al.fam, al.fib, true)
	if err != nil {
		return ErrAlloc
	}
	s, i, ok := l.allocSession(0)
	if !ok {
		return ErrAlloc
	}
	l.setState(0, s, StateListening)
	s.stype = MakeSessionType(al.proto, al.fam == fam4)
	s.alIndex = al.index
	s.appWrk = w.index
	s.lcl, s.lport, s.fib = al.gip, al.port, al.fib
	if al.proxy {
		s.flags |= FlagProxy
	}
	h := MakeHandle(0, i)
	al.ownPort = l.ports.share(&al.gip, al.fib, al.port, al.proto)
	passExtCfgs(tp, h, ext)
	conn, e := tp.Listen(h, Endpoint{Proto: al.proto, Addr: al.gip.netip(al.fam == fam4), Port: al.port, Fib: al.fib, SwIfIndex: ns.sw})
	if e != ErrNone {
		l.releaseListenPort(al)
		l.freeSessionRecord(0, i)
		return e
	}
	l.setConn(h, conn)
	if e := l.addListenEntry(gt, al.fam, &al.gip, al.port, al.proto, uint64(h)); e != ErrNone {
		tp.Unlisten(conn)
		l.releaseListenPort(al)
		l.freeSessionRecord(0, i)
		return e
	}
	al.ls, al.conn = i, conn
	return ErrNone
}

func (l *Layer) releaseListenPort(al *appListener) {
	if al.ownPort {
		l.ports.release(&al.gip, al.fib, al.port, al.proto)
		al.ownPort = false
	}
}

// appListenerHandle is the handle returned to the application.
func (l *Layer) appListenerHandle(al *appListener) Handle {
	if al.ls != InvalidIndex {
		return MakeHandle(0, al.ls)
	}
	return MakeHandle(0, al.lls)
}

// alOfListenSession returns the app listener of a listen session handle.
func (l *Layer) alOfListenSession(h Handle) *appListener {
	if h.Thread() != 0 {
		return nil
	}
	s := l.threads[0].pool.at(h.Index())
	if s == nil || s.state != StateListening || int(s.alIndex) >= len(l.listeners) {
		return nil
	}
	return l.listeners[s.alIndex]
}

// Unlisten is UnlistenWorker for the default worker (map index 0), as
// VPP's API defaults: when it was the listener's last worker, the transport
// stops listening, the table entries go and the listen sessions are freed.
// Established sessions accepted from it are not affected.
func (l *Layer) Unlisten(app uint32, h Handle) error { return l.UnlistenWorker(app, 0, h) }

// UnlistenWorker is vnet_unlisten for the app worker with map index worker:
// that worker stops listening, and the listener (its lookup entries and
// transport listener) goes with its last worker. A worker that does not
// hold the listener changes nothing, as in VPP.
func (l *Layer) UnlistenWorker(app, worker uint32, h Handle) error {
	a, w, e := l.appWorkerOf(app, worker)
	if a == nil {
		return fmt.Errorf("session: unlisten %v: %w", h, l.fail(e))
	}
	al := l.alOfListenSession(h)
	if al == nil {
		return fmt.Errorf("session: unlisten %v: %w", h, l.fail(ErrNoListen))
	}
	if al.app != app {
		return fmt.Errorf("session: unlisten %v: %w", h, l.fail(ErrOwner))
	}
	if e != ErrNone {
		return fmt.Errorf("session: unlisten %v: worker %d: %w", h, worker, l.fail(e))
	}
	if !slices.Contains(al.workers, w.index) {
		return nil
	}
	l.appListenerRemoveWorker(al, w.index)
	return nil
}

// appListenerRemoveWorker removes a worker from a listener, cleaning the
// listener up when it was the last one.
func (l *Layer) appListenerRemoveWorker(al *appListener, wrk uint32) {
	if i := slices.Index(al.workers, wrk); i >= 0 {
		al.workers = slices.Delete(al.workers, i, i+1)
	}
	if len(al.workers) == 0 {
		l.freeAppListener(al)
	}
}

// freeAppListener is app_listener_cleanup.
func (l *Layer) freeAppListener(al *appListener) {
	if al.ls != InvalidIndex {
		if gt := l.lookupTable(al.fam, al.fib); gt != nil {
			if v, ok := l.getListenEntry(gt, al.fam, &al.gip, al.port, al.proto); ok && Handle(v) == MakeHandle(0, al.ls) {
				l.delListenEntry(gt, al.fam, &al.gip, al.port, al.proto)
			}
		}
		if tp := l.transport[al.proto]; tp != nil && al.conn != InvalidIndex {
			tp.Unlisten(al.conn)
		}
		l.releaseListenPort(al)
		l.freeSessionRecord(0, al.ls)
		al.ls = InvalidIndex
	}
	if al.lls != InvalidIndex {
		if lt := l.tableAt(al.lt); lt != nil {
			if v, ok := l.getListenEntry(lt, al.fam, &al.ip, al.port, al.proto); ok && Handle(v) == MakeHandle(0, al.lls) {
				l.delListenEntry(lt, al.fam, &al.ip, al.port, al.proto)
			}
		}
		l.freeSessionRecord(0, al.lls)
		al.lls = InvalidIndex
	}
	if a := l.appAt(al.app); a != nil {
		if i := slices.Index(a.listeners, al.index); i >= 0 {
			a.listeners = slices.Delete(a.listeners, i, i+1)
		}
	}
	l.listeners[al.index] = nil
	l.freeAls = append(l.freeAls, al.index)
}

func (l *Layer) tableAt(i uint32) *table {
	if int(i) >= len(l.tables) {
		return nil
	}
	return l.tables[i]
}

// firstListener is application_first_listener: the app's first listener of
// the family and protocol (skipping proxy listeners unless asked). With
// local set it must have a local (CT) listen session, else a global one.
func (l *Layer) firstListener(app *application, f family, p Proto, local bool) *appListener {
	for _, ali := range app.listeners {
		al := l.listeners[ali]
		if al == nil || al.fam != f || al.proto != p || al.proxy {
			continue
		}
		if local && al.lls != InvalidIndex || !local && al.ls != InvalidIndex {
			return al
		}
	}
	return nil
}

// workerFirstListener is app_worker_first_listener: the first global,
// non-proxy listener of the family and protocol that worker wi holds.
func (l *Layer) workerFirstListener(app *application, wi uint32, f family, p Proto) *appListener {
	for _, ali := range app.listeners {
		al := l.listeners[ali]
		if al == nil || al.fam != f || al.proto != p || al.proxy || al.ls == InvalidIndex {
			continue
		}
		if slices.Contains(al.workers, wi) {
			return al
		}
	}
	return nil
}

// startProxy installs a proxy application's entries (§3.2): for every
// proxied protocol and family, a global listener on the namespace
// interface's address with port 0 (the proxy key) when the app has global
// scope, and local-table entries (zero address, port 0) whose value is the
// application index when it has local scope.
func (l *Layer) startProxy(app *application) {
	ns := l.nsAt(app.ns)
	for p := range Proto(numProtos) {
		if p != ProtoTCP && p != ProtoUDP || app.proxyTp&(1<<p) == 0 {
			continue
		}
		for f := range family(2) {
			if app.hasLocal() {
				lt := l.tables[ns.local]
				var zero addr
				if l.addListenEntry(lt, f, &zero, 0, p, valProxyApp|uint64(app.index)) == ErrNone {
					app.proxies = append(app.proxies, proxyEntry{local: true, fam: f, proto: p, table: lt.index})
				}
			}
			if app.hasGlobal() && ns.fib[f] != InvalidIndex {
				zero := netip.IPv4Unspecified()
				if f == fam6 {
					zero = netip.IPv6Unspecified()
				}
				h, e := l.listen(ListenArgs{App: app.index, Proto: p, Addr: zero, FibIndex: InvalidIndex}, true)
				if e != ErrNone {
					continue
				}
				al := l.alOfListenSession(h)
				if al == nil || al.gip.isZero() {
					continue
				}
				gt := l.lookupTable(f, al.fib)
				if l.addListenEntry(gt, f, &al.gip, 0, p, uint64(al.ls)) == ErrNone {
					app.proxies = append(app.proxies, proxyEntry{fam: f, proto: p, ip: al.gip, fib: al.fib, table: gt.index})
				}
			}
		}
	}
}

// stopProxy removes what startProxy added (the proxy listeners themselves
// go with the application's other listeners).
func (l *Layer) stopProxy(app *application) {
	for _, pe := range app.proxies {
		t := l.tableAt(pe.table)
		if t == nil {
			continue
		}
		if pe.local {
			var zero addr
			if v, ok := l.getListenEntry(t, pe.fam, &zero, 0, pe.proto); ok && v == valProxyApp|uint64(app.index) {
				l.delListenEntry(t, pe.fam, &zero, 0, pe.proto)
			}
			continue
		}
		l.delListenEntry(t, pe.fam, &pe.ip, 0, pe.proto)
	}
	app.proxies = nil
}
