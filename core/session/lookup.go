package session

import (
	"net/netip"
)

// LookupKind says what a lookup found.
type LookupKind uint8

// Lookup result kinds.
const (
	// LookupNone: nothing matched (or a redirect rule named an application
	// without a listener: no fallback to the listeners).
	LookupNone LookupKind = iota
	// LookupSession: an established session of the calling thread.
	LookupSession
	// LookupHalfOpen: a half-open connection; Conn is its transport index
	// and Handle its (thread << 32 | index) as stored in the table.
	LookupHalfOpen
	// LookupListener: a listener (exact, wildcard, redirect or proxy).
	LookupListener
	// LookupFiltered: a global rule dropped the 5-tuple.
	LookupFiltered
	// LookupWrongThread: an established session owned by another thread;
	// Handle names it.
	LookupWrongThread
)

var lookupKindNames = [...]string{"none", "session", "half-open", "listener", "filtered", "wrong-thread"}

// String returns the kind's name.
func (k LookupKind) String() string {
	if int(k) < len(lookupKindNames) {
		return lookupKindNames[k]
	}
	return "lookup?"
}

// LookupResult is the result of an incoming-packet lookup.
type LookupResult struct {
	Kind LookupKind
	// Handle is the session, listener or half-open found.
	Handle Handle
	// Conn is the transport listener index of a listener, or the
	// transport half-open index of a half-open. For an established
	// session it is not filled in: the lookup stops at the table (one
	// memory access at a million sessions, where the connection index is
	// a second, dependent one); Layer.Conn gives it when the transport
	// needs it.
	Conn uint32
}

// Lookup is the incoming-packet lookup (session_lookup_connection_wt4/6,
// spec §3.3) for a packet with local address lcl (its destination) and
// remote address rmt (its source), on thread th, in fib. The order is
// VPP's: established 5-tuple (WRONG_THREAD if another thread owns it),
// half-open, global rules (DROP → FILTERED; redirect → the application's
// first listener, with no fallback), then listeners (exact address,
// 0.0.0.0/::, proxy).
func (l *Layer) Lookup(th, fib uint32, p Proto, lcl, rmt netip.Addr, lport, rport uint16) LookupResult {
	if lcl.Is4() {
		return l.Lookup4(th, fib, p, lcl.As4(), rmt.As4(), lport, rport)
	}
	a, b := addrFrom(lcl), addrFrom(rmt)
	return l.lookup6(th, fib, p, &a, &b, lport, rport)
}

// Lookup4 is Lookup for IPv4 addresses given as 4-byte arrays (the
// allocation-free fast path).
func (l *Layer) Lookup4(th, fib uint32, p Proto, lcl, rmt [4]byte, lport, rport uint16) LookupResult {
	t := l.lookupTable(fam4, fib)
	if t == nil {
		return LookupResult{Handle: InvalidHandle}
	}
	k := key4raw(lcl, rmt, lport, rport, p)
	if v, ok := t.v4s.Lookup(k); ok {
		return establishedResult(th, Handle(v))
	}
	if v, ok := t.v4h.Lookup(k); ok {
		return LookupResult{Kind: LookupHalfOpen, Handle: Handle(v), Conn: Handle(v).Index()}
	}
	var la, ra addr
	copy(la[12:], lcl[:])
	copy(ra[12:], rmt[:])
	return l.lookupRulesListeners(t, fam4, p, &la, &ra, lport, rport)
}

func (l *Layer) lookup6(th, fib uint32, p Proto, lcl, rmt *addr, lport, rport uint16) LookupResult {
	t := l.lookupTable(fam6, fib)
	if t == nil {
		return LookupResult{Handle: InvalidHandle}
	}
	k := key6(lcl, rmt, lport, rport, p)
	if v, ok := t.v6s.Lookup(k); ok {
		return establishedResult(th, Handle(v))
	}
	if v, ok := t.v6h.Lookup(k); ok {
		return LookupResult{Kind: LookupHalfOpen, Handle: Handle(v), Conn: Handle(v).Index()}
	}
	return l.lookupRulesListeners(t, fam6, p, lcl, rmt, lport, rport)
}

// establishedResult reports an established-session hit. Table entries
// only ever name live sessions (they are removed before a session is
// freed), so the record is not consulted.
func establishedResult(th uint32, h Handle) LookupResult {
	if h.Thread() != th {
		return LookupResult{Kind: LookupWrongThread, Handle: h, Conn: InvalidIndex}
	}
	return LookupResult{Kind: LookupSession, Handle: h, Conn: InvalidIndex}
}

// Conn returns the transport connection index of session h (InvalidIndex
// if h is not a live session).
func (l *Layer) Conn(h Handle) uint32 {
	if int(h.Thread()) >= len(l.threads) || l.sessionAt(h) == nil {
		return InvalidIndex
	}
	return l.connOf(h)
}

// lookupRulesListeners is steps 4-5 of §3.3.
func (l *Layer) lookupRulesListeners(t *table, f family, p Proto, lcl, rmt *addr, lport, rport uint16) LookupResult {
	if t.rules != nil && l.rulesActive() {
		act := t.rules.lookup(p, f, lcl, rmt, lport, rport)
		switch {
		case act == ActionDrop:
			l.stats.Filtered++
			return LookupResult{Kind: LookupFiltered, Handle: InvalidHandle}
		case act == ActionAllow || act == ActionNone:
		default:
			if app := l.appAt(act); app != nil {
				// The default worker's first listener (spec §4.8),
				// not any worker's.
				if wi := app.workers[0]; wi != InvalidIndex {
					if al := l.workerFirstListener(app, wi, f, p); al != nil {
						return l.listenerResult(MakeHandle(0, al.ls))
					}
				}
			}
			return LookupResult{Handle: InvalidHandle}
		}
	}
	if h := l.listenerWildcard(t, f, lcl, lport, p, true); h != InvalidHandle {
		return l.listenerResult(h)
	}
	return LookupResult{Handle: InvalidHandle}
}

func (l *Layer) listenerResult(h Handle) LookupResult {
	s := l.sessionAt(h)
	if s == nil {
		return LookupResult{Handle: InvalidHandle}
	}
	return LookupResult{Kind: LookupListener, Handle: h, Conn: l.connOf(h)}
}

// listenerWildcard is session_lookup_listener4_i/6_i (§3.4): exact (ip,
// port), then (zero, port) if wildcard, then the proxy key (ip, port 0).
func (l *Layer) listenerWildcard(t *table, f family, ip *addr, port uint16, p Proto, wildcard bool) Handle {
	if v, ok := l.getListenEntry(t, f, ip, port, p); ok {
		return Handle(v)
	}
	if wildcard {
		var zero addr
		if v, ok := l.getListenEntry(t, f, &zero, port, p); ok {
			return Handle(v)
		}
	}
	if v, ok := l.getListenEntry(t, f, ip, 0, p); ok {
		return Handle(v)
	}
	return InvalidHandle
}

// LookupListener finds the listener of (ip, port) in fib (exact, then
// zero address when wildcard, then proxy), as session_lookup_listener
// does. It returns InvalidHandle when there is none.
func (l *Layer) LookupListener(fib uint32, p Proto, ip netip.Addr, port uint16, wildcard bool) Handle {
	f := famOf(ip.Is4())
	t := l.lookupTable(f, fib)
	if t == nil {
		return InvalidHandle
	}
	a := addrFrom(ip)
	return l.listenerWildcard(t, f, &a, port, p, wildcard)
}

// LookupSafe finds the established session or listener of a 5-tuple
// regardless of the calling thread (session_lookup_safe4/6: no half-opens).
func (l *Layer) LookupSafe(fib uint32, p Proto, lcl, rmt netip.Addr, lport, rport uint16) Handle {
	f := famOf(lcl.Is4())
	t := l.lookupTable(f, fib)
	if t == nil {
		return InvalidHandle
	}
	la, ra := addrFrom(lcl), addrFrom(rmt)
	if f == fam4 {
		if v, ok := t.v4s.Lookup(key4(&la, &ra, lport, rport, p)); ok {
			return Handle(v)
		}
	} else if v, ok := t.v6s.Lookup(key6(&la, &ra, lport, rport, p)); ok {
		return Handle(v)
	}
	r := l.lookupRulesListeners(t, f, p, &la, &ra, lport, rport)
	if r.Kind == LookupListener {
		return r.Handle
	}
	return InvalidHandle
}

// LocalKind says what a local-table (connect) lookup found.
type LocalKind uint8

// Local lookup result kinds.
const (
	// LocalNone: nothing; the connect continues (VPP's INVALID_HANDLE).
	LocalNone LocalKind = iota
	// LocalFiltered: an egress rule drops it (VPP's DROP_HANDLE).
	LocalFiltered
	// LocalListener: a cut-through listener; Handle is its listen session.
	LocalListener
	// LocalProxy: a local proxy entry; App is the proxy application.
	LocalProxy
)

// LocalResult is the result of LookupLocal.
type LocalResult struct {
	Kind LocalKind
	// Handle is the CT listen session for LocalListener, DropHandle for
	// LocalFiltered, InvalidHandle otherwise.
	Handle Handle
	// App is the application of a proxy entry or of a redirect rule.
	App uint32
}

// LookupLocal is session_lookup_local_endpoint (§3.5) on namespace ns's
// local table, for a connect to (ip, port): local rules (lcl zeroed), the
// exact listener, the zero-address listener for a loopback destination,
// then the local proxy entry.
//
// A redirect rule yields that application's local (cut-through) listener.
// VPP returns the raw application index and the caller misuses it as a
// listener index (QUIRK, fixed; docs/vpp-compatibility.md). The proxy step
// keeps the protocol in the key, so UDP local proxies match too (VPP zeroes
// the whole protocol/port word, so only TCP ones do: QUIRK, fixed).
func (l *Layer) LookupLocal(ns uint32, p Proto, ip netip.Addr, port uint16) LocalResult {
	n := l.nsAt(ns)
	if n == nil {
		return LocalResult{Handle: InvalidHandle, App: InvalidIndex}
	}
	a := addrFrom(ip)
	return l.localEndpoint(l.tables[n.local], famOf(ip.Is4()), &a, port, p)
}

func (l *Layer) localEndpoint(t *table, f family, ip *addr, port uint16, p Proto) LocalResult {
	none := LocalResult{Handle: InvalidHandle, App: InvalidIndex}
	if t == nil {
		return none
	}
	if t.rules != nil && l.rulesActive() {
		var zero addr
		act := t.rules.lookup(p, f, &zero, ip, 0, port)
		switch {
		case act == ActionDrop:
			l.stats.Filtered++
			return LocalResult{Kind: LocalFiltered, Handle: DropHandle, App: InvalidIndex}
		case act == ActionAllow || act == ActionNone:
		default:
			if app := l.appAt(act); app != nil {
				if al := l.firstListener(app, f, p, true); al != nil {
					return LocalResult{Kind: LocalListener, Handle: MakeHandle(0, al.lls), App: act}
				}
			}
			return LocalResult{Handle: InvalidHandle, App: act}
		}
	}
	if v, ok := l.getListenEntry(t, f, ip, port, p); ok {
		return localValue(v)
	}
	var zero addr
	if ip.isLoopback(f == fam4) {
		if v, ok := l.getListenEntry(t, f, &zero, port, p); ok {
			return localValue(v)
		}
	}
	if v, ok := l.getListenEntry(t, f, &zero, 0, p); ok {
		return localValue(v)
	}
	return none
}

func localValue(v uint64) LocalResult {
	if v&valProxyApp != 0 {
		return LocalResult{Kind: LocalProxy, Handle: InvalidHandle, App: uint32(v)}
	}
	return LocalResult{Kind: LocalListener, Handle: Handle(v), App: InvalidIndex}
}
