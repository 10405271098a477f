package session

import (
	"net/netip"

	"github.com/sessionlab/sessionlab/core/bihash"
)

// Stats are the layer's counters (item 8): closes per path, failures of
// every kind, event accounting. Every failure an API call returns is
// counted in Errors by its code; the other fields count what has no error
// code of its own or happens without a caller to tell.
type Stats struct {
	// Errors[i] counts API failures with code -i (Errors[0] unused).
	Errors [NumErrors]uint64
	// ClosesApp, ClosesTransport and ClosesReset count sessions by the
	// way their close started: the application closed first, the transport
	// (peer FIN) closed first, or either side reset.
	ClosesApp, ClosesTransport, ClosesReset uint64
	// Accepted, Established (active opens completed, cut-through included),
	// Connects (connects started) and Freed count sessions.
	Accepted, Established, Connects, CTConnects, Freed uint64
	// TableFull counts inserts a lookup table's arena could not hold.
	TableFull uint64
	// PoolExhausted counts allocations a fixed session pool refused.
	PoolExhausted uint64
	// PortExhausted counts source port allocations that found no port.
	PortExhausted uint64
	// FifoAllocFailures counts fifo pairs the segments could not hold;
	// FifoFreeErrors counts fifo frees the segment manager rejected (a
	// bug if ever non-zero).
	FifoAllocFailures, FifoFreeErrors uint64
	// Filtered counts lookups a drop rule filtered (ingress and egress).
	Filtered uint64
	// CtrlQueueFull counts control events that found their thread's queue
	// full and waited in the overflow list (never lost).
	CtrlQueueFull uint64
	// Congestions counts transitions of an app worker to congested;
	// AcceptsRefused counts accepts refused because of congestion.
	Congestions, AcceptsRefused uint64
	// EventsFiltered counts application events dropped by the delivery
	// rules (RX before RX_READY, DISCONNECTED after the app closed, ...);
	// EventsNoApp those with no application left; StaleEvents those whose
	// session was freed before they ran.
	EventsFiltered, EventsNoApp, StaleEvents uint64
	// UnexpectedDeletes counts transport deletes of sessions that were
	// neither closing nor closed (VPP warns).
	UnexpectedDeletes uint64
}

// Stats returns a copy of the counters.
func (l *Layer) Stats() Stats { return l.stats }

// StateCounts returns the number of live sessions per state on thread th
// (listeners and half-opens included).
func (l *Layer) StateCounts(th uint32) [NumStates]int64 {
	if !l.checkThread(th) {
		return [NumStates]int64{}
	}
	return l.threads[th].states
}

// TotalStateCounts returns the number of live sessions per state over all
// threads.
func (l *Layer) TotalStateCounts() [NumStates]int64 {
	var c [NumStates]int64
	for th := range l.threads {
		for s, n := range l.threads[th].states {
			c[s] += n
		}
	}
	return c
}

// SessionsPerThread returns the number of live records per thread (VPP's
// /sys/session/sessions_per_worker).
func (l *Layer) SessionsPerThread() []int {
	out := make([]int, len(l.threads))
	for th := range l.threads {
		out[th] = l.threads[th].pool.used
	}
	return out
}

// SessionInfo describes one session (a read-only view for `show session`).
type SessionInfo struct {
	Handle   Handle
	Thread   uint32
	State    State
	Flags    Flags
	Type     SessionType
	Local    netip.AddrPort
	Remote   netip.AddrPort
	Fib      uint32
	App      uint32 // application index, InvalidIndex when detached
	Worker   uint32 // app worker index
	Conn     uint32 // transport connection index
	Listener Handle // listener of an accepted session
	// RxBytes and TxBytes are the bytes waiting in the fifos.
	RxBytes, TxBytes uint32
	// CreatedAt is the time (ns) the session was allocated.
	CreatedAt int64
}

// Session returns a view of the session h.
func (l *Layer) Session(h Handle) (SessionInfo, bool) {
	s := l.sessionAt(h)
	if s == nil {
		return SessionInfo{}, false
	}
	return l.sessionInfo(s, h), true
}

func (l *Layer) sessionInfo(s *session, h Handle) SessionInfo {
	ip4 := s.isIP4()
	info := SessionInfo{Handle: h, Thread: h.Thread(), State: s.state, Flags: s.flags, Type: s.stype,
		Local:  netip.AddrPortFrom(s.lcl.netip(ip4), s.lport),
		Remote: netip.AddrPortFrom(s.rmt.netip(ip4), s.rport),
		Fib:    s.fib, App: InvalidIndex, Worker: s.appWrk, Conn: l.connOf(h), Listener: s.listener, CreatedAt: s.created}
	if w := l.wrkAt(s.appWrk); w != nil {
		info.App = w.app
	}
	if s.state == StateListening {
		info.Listener = InvalidHandle
	}
	if s.rx != nil {
		info.RxBytes = s.rx.MaxDequeue()
		info.TxBytes = s.tx.MaxDequeue()
	}
	return info
}

// Sessions calls fn for every live session (listeners and half-opens
// included), by thread then index, until fn returns false.
func (l *Layer) Sessions(fn func(SessionInfo) bool) {
	for th := range l.threads {
		p := &l.threads[th].pool
		for i := range p.recs {
			if !p.recs[i].inUse {
				continue
			}
			if !fn(l.sessionInfo(&p.recs[i], MakeHandle(uint32(th), uint32(i)))) {
				return
			}
		}
	}
}

// AppInfo describes an application (a read-only view for `show app`).
type AppInfo struct {
	Index     uint32
	Name      string
	Namespace uint32
	Flags     AppFlags
	// Workers are the app worker indices by map index (InvalidIndex: a
	// deleted worker).
	Workers []uint32
	// Listeners are the handles of the application's listeners.
	Listeners []ListenerInfo
	// Sessions is the number of established sessions its workers own.
	Sessions int
	// Segments is the number of fifo segments of its segment manager.
	Segments int
}

// ListenerInfo describes an application listener.
type ListenerInfo struct {
	// Handle is what Listen returned.
	Handle Handle
	// Global and Local are the global (transport) and local (cut-through)
	// listen sessions, InvalidHandle when absent.
	Global, Local Handle
	Proto         Proto
	// Addr is the address listened on as requested; GlobalAddr is the
	// global table's (the interface address for zero binds).
	Addr, GlobalAddr netip.Addr
	Port             uint16
	Fib              uint32
	Proxy            bool
	Workers          []uint32
}

// Apps lists the attached applications, by index.
func (l *Layer) Apps() []AppInfo {
	var out []AppInfo
	for _, a := range l.apps {
		if a == nil {
			continue
		}
		info := AppInfo{Index: a.index, Name: a.name, Namespace: a.ns, Flags: a.flags,
			Workers: append([]uint32(nil), a.workers...)}
		for _, wi := range a.workers {
			if w := l.wrkAt(wi); w != nil {
				info.Sessions += w.nSessions
			}
		}
		if sm := l.segMgrs[a.sm].mgr; sm != nil {
			info.Segments = sm.NumSegments()
		}
		for _, ali := range a.listeners {
			al := l.listeners[ali]
			li := ListenerInfo{Handle: l.appListenerHandle(al), Global: InvalidHandle, Local: InvalidHandle,
				Proto: al.proto, Addr: al.ip.netip(al.fam == fam4), GlobalAddr: al.gip.netip(al.fam == fam4),
				Port: al.port, Fib: al.fib, Proxy: al.proxy, Workers: append([]uint32(nil), al.workers...)}
			if al.ls != InvalidIndex {
				li.Global = MakeHandle(0, al.ls)
			}
			if al.lls != InvalidIndex {
				li.Local = MakeHandle(0, al.lls)
			}
			info.Listeners = append(info.Listeners, li)
		}
		out = append(out, info)
	}
	return out
}

// TableInfo describes one session table's hashes (for `show session
// lookup`): bihash statistics and the formatter of each.
type TableInfo struct {
	Table     uint32
	Local     bool
	IP6       bool   // global tables: the family
	FibIndex  uint32 // global tables
	Namespace uint32 // local tables
	// Hashes are the table's bihashes: for a global table its session and
	// half-open hash; for a local table its v4 and v6 session hashes.
	Hashes []HashInfo
}

// HashInfo is one bihash of a session table.
type HashInfo struct {
	Name  string
	Stats bihash.Stats
	// Format renders VPP's `show bihash` text at the given verbosity.
	Format func(verbose int) string
}

// Tables lists the session tables, by index.
func (l *Layer) Tables() []TableInfo {
	var out []TableInfo
	for _, t := range l.tables {
		if t == nil {
			continue
		}
		info := TableInfo{Table: t.index, Local: t.isLocal, IP6: t.fam == fam6, FibIndex: t.fib, Namespace: t.ns}
		if t.isLocal {
			info.FibIndex = InvalidIndex
		} else {
			info.Namespace = InvalidIndex
		}
		for _, h := range []*bihash.Table[bihash.Key16]{t.v4s, t.v4h} {
			if h != nil {
				info.Hashes = append(info.Hashes, HashInfo{Name: h.Name(), Stats: h.Stats(), Format: h.Format})
			}
		}
		for _, h := range []*bihash.Table[bihash.Key48]{t.v6s, t.v6h} {
			if h != nil {
				info.Hashes = append(info.Hashes, HashInfo{Name: h.Name(), Stats: h.Stats(), Format: h.Format})
			}
		}
		out = append(out, info)
	}
	return out
}

// ActiveFibs returns the fib indices that have a global table, per family
// (index 0 = IPv4, 1 = IPv6), as `show session lookup` prints them.
func (l *Layer) ActiveFibs() [2][]uint32 {
	var out [2][]uint32
	for f := range 2 {
		for fib, ti := range l.fibTables[f] {
			if ti != InvalidIndex {
				out[f] = append(out[f], uint32(fib))
			}
		}
	}
	return out
}

// PortTableStats returns the local endpoints table's bihash statistics.
func (l *Layer) PortTableStats() (bihash.Stats, bool) {
	if l.ports.h == nil {
		return bihash.Stats{}, false
	}
	return l.ports.h.Stats(), true
}

// Leaks is what LeakCheck found still allocated. The zero value means no
// leak.
type Leaks struct {
	// Sessions are established (or closing) sessions, HalfOpens pending
	// connects, Listeners listen sessions.
	Sessions, HalfOpens, Listeners int
	// Fifos is the number of fifos still allocated in any segment.
	Fifos int
	// LocalEndpoints is the number of port reservations.
	LocalEndpoints int
	// CtrlEvents and AppEvents are events still queued.
	CtrlEvents, AppEvents int
	// Handles lists the leaked sessions (at most 32).
	Handles []Handle
}

// Empty reports whether nothing leaked.
func (k Leaks) Empty() bool {
	return k.Sessions == 0 && k.HalfOpens == 0 && k.Listeners == 0 && k.Fifos == 0 &&
		k.LocalEndpoints == 0 && k.CtrlEvents == 0 && k.AppEvents == 0
}

// LeakCheck reports what remains allocated. At quiescence (every
// application detached, every transport connection deleted, all threads
// polled) the result must be empty.
func (l *Layer) LeakCheck() Leaks {
	var k Leaks
	for th := range l.threads {
		t := &l.threads[th]
		k.CtrlEvents += t.ctrl.len()
		p := &t.pool
		for i := range p.recs {
			s := &p.recs[i]
			if !s.inUse {
				continue
			}
			switch {
			case s.state == StateListening:
				k.Listeners++
			case s.flags&FlagHalfOpen != 0:
				k.HalfOpens++
			default:
				k.Sessions++
			}
			if len(k.Handles) < 32 {
				k.Handles = append(k.Handles, MakeHandle(uint32(th), uint32(i)))
			}
		}
	}
	for i := range l.segMgrs {
		sm := &l.segMgrs[i]
		if !sm.inUse {
			continue
		}
		for _, seg := range sm.mgr.Segments(nil) {
			k.Fifos += seg.NumFifos()
		}
	}
	for _, w := range l.wrks {
		if w == nil {
			continue
		}
		for th := range w.pending {
			k.AppEvents += w.pending[th].len()
		}
	}
	k.LocalEndpoints = l.ports.inUse
	return k
}
