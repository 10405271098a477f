package session

import "github.com/sessionlab/sessionlab/core/fifo"

// session is one session record, VPP's session_t plus the 5-tuple and
// bookkeeping the core needs because its transports are pluggable. Records
// are values in a per-thread slice: no pointers between sessions, so a
// million of them are one allocation the garbage collector scans only for
// the two fifo pointers, and freeing one is pushing its index on a stack.
type session struct {
	rx, tx *fifo.Fifo // rx/tx fifos (nil for listeners and half-opens)

	appWrk   uint32 // owning app worker (InvalidIndex when detached)
	alIndex  uint32 // app listener (listeners); thread of the connection (half-opens)
	hoSlot   uint32 // slot in the app worker's half-open pool (half-opens)
	listener Handle // listener handle (accepted sessions)
	peer     Handle // cut-through peer session; the CT half-open for a CT client
	opaque   uint64 // application context (connects)
	fib      uint32 // fib index of the 5-tuple
	lcl, rmt addr   // local and remote addresses
	lport    uint16 // local port (host order)
	rport    uint16 // remote port (host order)

	state State
	flags Flags
	stype SessionType
	inUse bool
	// ownsPort: this session holds the local endpoint (port) reservation
	// of its 5-tuple and releases it when freed.
	ownsPort bool
	// closeCounted: the session's close path has been counted in Stats.
	closeCounted bool
	// ct marks a cut-through session (its fifos belong to a ctPair).
	ctPair uint32 // index of the CT fifo pair, InvalidIndex if none
	// sm is the segment manager the fifos came from.
	sm uint32
	// gen counts the allocations of this pool slot; events carry it so
	// that an event for a freed session never reaches the slot's next
	// occupant.
	gen uint32
	// deferTpCleanup: the transport asked (delete request) to run its
	// cleanup only after the app processed the transport cleanup.
	deferTpCleanup bool

	created int64 // time (ns) the session was allocated
}

// proto returns the session's transport protocol.
func (s *session) proto() Proto { return s.stype.Proto() }

// isIP4 reports whether the session is IPv4.
func (s *session) isIP4() bool { return s.stype.IsIP4() }

// sessionPool is a thread's pool of session records with VPP's pool
// semantics (spec conventions): a new element takes the most recently freed
// index; with none free a growable pool appends (index = length), a fixed
// pool fails. A fixed pool is allocated once, up front, and hands out
// indices 0, 1, 2, ... before reusing.
type sessionPool struct {
	recs []session
	// conns[i] is record i's transport connection index (the half-open
	// index for half-opens). It lives beside the records rather than in
	// them because it is the one field an established-session lookup
	// needs: 4 bytes per session stay cache resident at a million
	// sessions where the records would not, so a lookup costs the bucket
	// fetch and little more.
	conns []uint32
	free  []uint32 // LIFO stack of free indices
	limit int      // fixed capacity, 0 = growable
	used  int
}

func (p *sessionPool) init(limit int) {
	p.limit = limit
	if limit > 0 {
		p.recs = make([]session, limit)
		p.conns = make([]uint32, limit)
		p.free = make([]uint32, limit)
		for i := range limit {
			p.free[i] = uint32(limit - 1 - i)
		}
	}
}

// get allocates a zeroed record and returns its index, or false when a
// fixed pool is exhausted.
func (p *sessionPool) get() (uint32, bool) {
	var i uint32
	if n := len(p.free); n > 0 {
		i = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		if p.limit > 0 {
			return 0, false
		}
		i = uint32(len(p.recs))
		p.recs = append(p.recs, session{})
		p.conns = append(p.conns, 0)
	}
	p.conns[i] = InvalidIndex
	p.recs[i] = session{inUse: true, appWrk: InvalidIndex, alIndex: InvalidIndex, hoSlot: InvalidIndex,
		listener: InvalidHandle, peer: InvalidHandle, ctPair: InvalidIndex,
		sm: InvalidIndex, gen: p.recs[i].gen + 1}
	p.used++
	return i, true
}

// put frees index i.
func (p *sessionPool) put(i uint32) {
	p.recs[i].inUse = false
	p.recs[i].rx, p.recs[i].tx = nil, nil
	p.conns[i] = InvalidIndex
	p.free = append(p.free, i)
	p.used--
}

// at returns the live record at i, or nil.
func (p *sessionPool) at(i uint32) *session {
	if int(i) >= len(p.recs) || !p.recs[i].inUse {
		return nil
	}
	return &p.recs[i]
}

// reserve grows the backing arrays of a growable pool so that n more
// sessions can be allocated without allocating memory (used by benchmarks
// and by callers that know their working set).
func (p *sessionPool) reserve(n int) {
	if p.limit > 0 {
		return
	}
	if need := len(p.recs) - len(p.free); cap(p.recs) < need+n {
		recs := make([]session, len(p.recs), need+n)
		copy(recs, p.recs)
		p.recs = recs
		conns := make([]uint32, len(p.conns), need+n)
		copy(conns, p.conns)
		p.conns = conns
	}
	if cap(p.free) < len(p.free)+n {
		free := make([]uint32, len(p.free), len(p.free)+n)
		copy(free, p.free)
		p.free = free
	}
}

// connOf returns the transport connection index of session h.
func (l *Layer) connOf(h Handle) uint32 {
	p := &l.threads[h.Thread()].pool
	if int(h.Index()) >= len(p.conns) {
		return InvalidIndex
	}
	return p.conns[h.Index()]
}

// setConn records the transport connection index of session h.
func (l *Layer) setConn(h Handle, c uint32) { l.threads[h.Thread()].pool.conns[h.Index()] = c }
