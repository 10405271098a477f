// Package shim is the transport shim: the TCP and UDP transports of the
// simulated session layer. It turns packets into the session layer's
// transport notifications, and the layer's transport calls (close, send,
// connect, ...) into the state changes a real TCP or UDP would make.
//
// Data flows in two directions:
//
//	inbound packet ──Input──> Layer.Lookup (VPP's order) ──> per-connection state
//	    ──> Accept / AcceptNotify / Enqueue / EnqueueAt / TransportClosing /
//	        TransportReset / TransportClosed / TransportDelete
//	Layer ──Transport calls (Close, Send, Connect, ...)──> deferred actions
//	    ──Flush──> notifications back into the layer
//
// Transport calls arrive from inside the layer's own calls (a CLOSE control
// event, a TX event), where calling back into the layer would re-enter it;
// like a real transport, which answers from its own input path, the shim
// queues what it must do and the engine runs the queue (Flush) between the
// layer's polls.
//
// TCP: a SYN that finds a listener creates the session (Accept, without
// notifying the application, as VPP's tcp46-listen does); the handshake's
// ACK notifies it (AcceptNotify). Sequence numbers are tracked per
// connection: in-order payload is appended to the rx fifo (Enqueue),
// payload beyond a hole is placed at its offset (EnqueueAt) and joins the
// stream when the hole fills. A FIN (once everything before it arrived)
// tells the layer the peer is closing; the application's close sends our
// FIN; when both directions are closed the connection is reported closed
// and deleted. An RST resets, closes and deletes at once. A connection that
// waits for the peer's last ACK or FIN longer than the close timeout is
// closed and deleted, as TCP's timers would.
//
// UDP: the first datagram of a flow to a UDP listener creates a session and
// notifies the application at once; datagrams are enqueued whole; a
// session idle for the idle timeout is reported closing, and the
// application's close deletes it.
//
// Active opens (an application's connect through the global path): a
// destination another application of this host listens on is connected
// in-process (both sessions created, data moved from one's tx fifo to the
// other's rx fifo); a destination that is local but has no listener is
// refused; any other destination is a remote peer that accepts at once,
// acknowledges all data and answers our FIN with its own.
//
// Payload bytes themselves are not carried: packets keep their lengths and
// the shim enqueues that many bytes of a fixed buffer. The session layer
// never looks at content; what it sees — lengths, offsets, fifo occupancy —
// is exact.
package shim

import (
	"net/netip"

	"github.com/sessionlab/sessionlab/core/fifo"
	"github.com/sessionlab/sessionlab/core/session"
	"github.com/sessionlab/sessionlab/sim/internal/cost"
	"github.com/sessionlab/sessionlab/sim/internal/metrics"
	"github.com/sessionlab/sessionlab/traffic/packet"
)

// Packet is an inbound packet as the engine queues it: the fields the
// transport needs, without the frame. It is a small value with no
// pointers, so a queue of them is one flat block the garbage collector
// never scans.
type Packet struct {
	// T is when the packet arrived (virtual ns in simulated mode, ns since
	// the run started live).
	T int64
	// Src and Dst are the addresses: Src the remote peer, Dst the local
	// side.
	Src, Dst packet.Addr
	// Seq and Ack are the TCP sequence and acknowledgement numbers.
	Seq, Ack uint32
	// Fib is the fib index of the interface the packet arrived on.
	Fib uint32
	// Len is the payload length, Wire the frame's length on the wire.
	Len, Wire uint32
	// SrcPort and DstPort are the transport ports.
	SrcPort, DstPort uint16
	// Flags are the TCP flags.
	Flags packet.TCPFlags
	// Proto is the IP protocol (packet.ProtoTCP, packet.ProtoUDP).
	Proto uint8
	// Measured is set for packets that arrived after the warm-up.
	Measured bool
}

// Config configures a Shim.
type Config struct {
	// Layer is the session layer the shim serves.
	Layer *session.Layer
	// Ledger is charged for every operation (simulated mode); may be an
	// inactive ledger.
	Ledger *cost.Ledger
	// Rec counts drops and bytes; Sessions times setups and fifo
	// residence.
	Rec      *metrics.Recorder
	Sessions *metrics.Sessions
	// Now returns the current time in ns (virtual or wall).
	Now func() int64
	// ThreadOf returns the thread that owns a connection's flow (the
	// dispatcher's choice for its 5-tuple), for active opens.
	ThreadOf func(c session.Connection) uint32
	// IsLocal reports whether an address is one of this host's (a
	// connect to it without a listener is refused).
	IsLocal func(a packet.Addr) bool
	// Rules says whether session rules are configured (a lookup that gets
	// past the tables then costs a rule lookup).
	Rules bool
	// CloseTimeout bounds how long a closing connection waits for the
	// peer (ns); UDPIdle is the idle time after which a UDP session is
	// closed (ns).
	CloseTimeout, UDPIdle int64
}

// Default timeouts.
const (
	DefaultCloseTimeout = 1e9
	DefaultUDPIdle      = 1e9
)

// Connection states.
const (
	stFree        uint8 = iota
	stNew               // allocated, not yet set up
	stSynRcvd           // passive open: session CREATED, waiting for the handshake's ACK
	stEstablished       // data flows
	stCloseWait         // the peer's FIN arrived; the application has been told
	stLastAck           // the peer's FIN, then ours: waiting for the peer's last ACK
	stFinWait           // our FIN first: waiting for the peer's FIN
	stHalfOpen          // an active open in progress
	stUDP               // a UDP session
)

// conn is one transport connection; its index is the connection index the
// layer knows it by.
type conn struct {
	h      session.Handle // the session (the half-open while stHalfOpen)
	rx, tx *fifo.Fifo
	c      session.Connection // active opens: the 5-tuple
	lastRx int64              // UDP: last datagram
	rcvNxt uint32             // next expected sequence number
	finSeq uint32             // the FIN's sequence number while finPending
	oooEnd uint32             // end of the out-of-order data placed so far
	gen    uint32
	peer   int32 // in-process peer connection, -1 none
	th     uint32
	state  uint8
	proto  session.Proto
	// remote: an active open to the remote peer model.
	remote bool
	// broken: data could not be placed at its offset (fifo full with
	// out-of-order data pending); from then on payload is appended as it
	// comes.
	broken     bool
	finPending bool
	hasOOO     bool
	// sendBlocked: an in-process send left data in the tx fifo.
	sendBlocked bool
	udpClosing  bool
}

type actKind uint8

const (
	actFinish    actKind = iota // report closed and deleted, free
	actEstablish                // complete an active open
	actSend                     // take data from the tx fifo
	actPeerFin                  // in-process: our FIN reaches the peer
	actPeerReset                // in-process: our RST reaches the peer
)

type action struct {
	kind actKind
	ci   uint32
	gen  uint32
}

type timer struct {
	at  int64
	ci  uint32
	gen uint32
}

// Shim is the TCP and UDP transport of one session layer. It is not safe
// for concurrent use: the engine serialises it with the layer.
type Shim struct {
	cfg     Config
	l       *session.Layer
	led     *cost.Ledger
	rec     *metrics.Recorder
	sess    *metrics.Sessions
	conns   []conn
	free    []uint32
	live    int
	pending []action
	running []action
	timers  []timer
	inproc  int
	scratch []byte

	// Counters of the layer last seen, to tell why an accept failed.
	lastTableFull, lastPool, lastFifo, lastRefused uint64
}

// zeros is the payload every enqueue copies from (read-only).
var zeros [1 << 16]byte

// New returns a shim for cfg.Layer; Register installs it.
func New(cfg Config) *Shim {
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = DefaultCloseTimeout
	}
	if cfg.UDPIdle <= 0 {
		cfg.UDPIdle = DefaultUDPIdle
	}
	if cfg.Ledger == nil {
		cfg.Ledger = cost.NewLedger(nil)
	}
	return &Shim{cfg: cfg, l: cfg.Layer, led: cfg.Ledger, rec: cfg.Rec, sess: cfg.Sessions}
}

// Register installs the shim as the layer's TCP and UDP transport.
func (s *Shim) Register() error {
	if err := s.l.RegisterTransport(session.ProtoTCP, transport{s, session.ProtoTCP}); err != nil {
		return err
	}
	return s.l.RegisterTransport(session.ProtoUDP, transport{s, session.ProtoUDP})
}

// Live returns the number of connections the shim holds.
func (s *Shim) Live() int { return s.live }

// FifoBytes returns the bytes waiting in the rx and tx fifos of every
// connection the shim holds.
func (s *Shim) FifoBytes() uint64 {
	var n uint64
	for i := range s.conns {
		c := &s.conns[i]
		if c.state == stFree || c.rx == nil {
			continue
		}
		n += uint64(c.rx.MaxDequeue()) + uint64(c.tx.MaxDequeue())
	}
	return n
}

func (s *Shim) alloc(p session.Proto) uint32 {
	var ci uint32
	if n := len(s.free); n > 0 {
		ci = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		s.conns = append(s.conns, conn{})
		ci = uint32(len(s.conns) - 1)
	}
	c := &s.conns[ci]
	gen := c.gen + 1
	*c = conn{gen: gen, peer: -1, proto: p, h: session.InvalidHandle, state: stNew}
	s.live++
	return ci
}

func (s *Shim) release(ci uint32) {
	c := &s.conns[ci]
	if c.state == stFree {
		return
	}
	if c.peer >= 0 {
		s.inproc--
		if p := &s.conns[c.peer]; p.peer == int32(ci) {
			p.peer = -1
		}
	}
	c.state = stFree
	c.rx, c.tx = nil, nil
	c.gen++
	s.free = append(s.free, ci)
	s.live--
}

func (s *Shim) conn(ci, gen uint32) *conn {
	if int(ci) >= len(s.conns) {
		return nil
	}
	c := &s.conns[ci]
	if c.state == stFree || c.gen != gen {
		return nil
	}
	return c
}

func (s *Shim) defer_(k actKind, ci uint32) {
	s.pending = append(s.pending, action{kind: k, ci: ci, gen: s.conns[ci].gen})
}

// Pending reports whether deferred actions wait for Flush.
func (s *Shim) Pending() bool { return len(s.pending) > 0 }

// Flush runs the deferred actions (and those they queue) and returns how
// many ran.
func (s *Shim) Flush() int {
	n := 0
	for len(s.pending) > 0 {
		s.running, s.pending = s.pending, s.running[:0]
		for _, a := range s.running {
			n++
			if s.conn(a.ci, a.gen) == nil {
				continue
			}
			switch a.kind {
			case actFinish:
				s.finish(a.ci)
			case actEstablish:
				s.establish(a.ci)
			case actSend:
				s.send(a.ci)
			case actPeerFin:
				s.peerFin(a.ci)
			case actPeerReset:
				s.peerReset(a.ci)
			}
		}
	}
	return n
}

// --- measurement helpers ---

func (s *Shim) drop(p *Packet, c metrics.Cause) {
	if p.Measured {
		s.rec.Drop(c)
	}
}

func (s *Shim) count(p *Packet, c metrics.Counter, n uint64) {
	if p.Measured {
		s.rec.Count(c, n)
	}
}

// failCause tells why an accept or connect failed from the layer's
// counters.
func (s *Shim) failCause() metrics.Cause {
	st := s.l.Stats()
	c := metrics.Refused
	switch {
	case st.TableFull > s.lastTableFull:
		c = metrics.TableFull
	case st.PoolExhausted > s.lastPool:
		c = metrics.PoolExhausted
	case st.FifoAllocFailures > s.lastFifo:
		c = metrics.FifoFull
	}
	s.lastTableFull, s.lastPool, s.lastFifo, s.lastRefused = st.TableFull, st.PoolExhausted, st.FifoAllocFailures, st.AcceptsRefused
	return c
}

func (s *Shim) chargeLookup(k session.LookupKind) {
	switch k {
	case session.LookupSession, session.LookupWrongThread:
		s.led.ChargeLookup(1)
	case session.LookupHalfOpen:
		s.led.ChargeLookup(2)
	case session.LookupFiltered:
		s.led.ChargeLookup(2)
		s.led.Charge(cost.RuleLookup, 1)
	default:
		s.led.ChargeLookup(2)
		if s.cfg.Rules {
			s.led.Charge(cost.RuleLookup, 1)
		}
		s.led.Charge(cost.ListenerLookup, 1)
	}
}

// connOf returns the transport connection of an established-session
// lookup result.
func (s *Shim) connOf(r session.LookupResult) uint32 {
	if r.Conn != session.InvalidIndex {
		return r.Conn
	}
	return s.l.Conn(r.Handle)
}

func (s *Shim) lookup(th uint32, p *Packet, proto session.Proto) session.LookupResult {
	var r session.LookupResult
	if p.Dst.Is4() {
		r = s.l.Lookup4(th, p.Fib, proto, p.Dst.As4(), p.Src.As4(), p.DstPort, p.SrcPort)
	} else {
		r = s.l.Lookup(th, p.Fib, proto, p.Dst.Netip(), p.Src.Netip(), p.DstPort, p.SrcPort)
	}
	s.chargeLookup(r.Kind)
	return r
}

// Input processes one inbound packet on thread th. It reports whether the
// packet was dropped (the drop is counted by cause).
func (s *Shim) Input(th uint32, p *Packet) (dropped bool) {
	switch p.Proto {
	case packet.ProtoTCP:
		return s.tcpInput(th, p)
	case packet.ProtoUDP:
		return s.udpInput(th, p)
	}
	s.count(p, metrics.Nonflow, 1)
	return false
}

// --- TCP ---

const (
	synMask = packet.TCPSyn | packet.TCPAck
)

func (s *Shim) tcpInput(th uint32, p *Packet) bool {
	r := s.lookup(th, p, session.ProtoTCP)
	syn := p.Flags&synMask == packet.TCPSyn
	switch r.Kind {
	case session.LookupSession:
		if ci := s.connOf(r); int(ci) < len(s.conns) {
			if c := &s.conns[ci]; c.state != stFree && c.h == r.Handle {
				return s.segment(ci, p)
			}
		}
		s.count(p, metrics.Stray, 1)
		return false
	case session.LookupListener:
		if syn {
			return s.accept(th, r.Handle, p)
		}
		return s.noSession(p)
	case session.LookupFiltered:
		if syn {
			s.count(p, metrics.OfferedSessions, 1)
			s.count(p, metrics.SessionsFailed, 1)
		}
		s.drop(p, metrics.RuleDrop)
		return true
	case session.LookupWrongThread:
		s.drop(p, metrics.WrongThread)
		return true
	case session.LookupHalfOpen:
		s.count(p, metrics.Stray, 1)
		return false
	}
	if syn {
		s.count(p, metrics.OfferedSessions, 1)
		s.count(p, metrics.SessionsFailed, 1)
		s.drop(p, metrics.NoListener)
		return true
	}
	return s.noSession(p)
}

// noSession handles a non-SYN segment without a session: one carrying
// payload is a drop (a real stack answers RST); a bare ACK, FIN or RST of
// a connection already gone is stray.
func (s *Shim) noSession(p *Packet) bool {
	if p.Len > 0 {
		s.drop(p, metrics.NoSession)
		return true
	}
	s.count(p, metrics.Stray, 1)
	return false
}

func (s *Shim) accept(th uint32, ls session.Handle, p *Packet) bool {
	s.count(p, metrics.OfferedSessions, 1)
	ci := s.alloc(session.ProtoTCP)
	c := session.Connection{Proto: session.ProtoTCP, Fib: p.Fib,
		Local:  netipPort(p.Dst, p.DstPort),
		Remote: netipPort(p.Src, p.SrcPort)}
	s.led.Charge(cost.Accept, 1)
	s.led.ChargeInsert()
	h, err := s.l.Accept(th, ls, ci, c, false)
	if err != nil {
		s.release(ci)
		s.count(p, metrics.SessionsFailed, 1)
		s.drop(p, s.failCause())
		return true
	}
	k := &s.conns[ci]
	k.h, k.th, k.state = h, th, stSynRcvd
	k.rcvNxt = p.Seq + 1
	k.rx, k.tx, _ = s.l.Fifos(h)
	s.sess.Reset(h, p.T)
	return false
}

func seqLT(a, b uint32) bool { return int32(a-b) < 0 }

// segment processes a segment of an existing connection.
func (s *Shim) segment(ci uint32, p *Packet) bool {
	c := &s.conns[ci]
	if p.Flags&packet.TCPRst != 0 {
		s.resetConn(ci)
		return false
	}
	switch c.state {
	case stSynRcvd:
		if p.Flags&packet.TCPAck == 0 {
			s.count(p, metrics.Stray, 1) // a retransmitted SYN
			return false
		}
		s.led.Charge(cost.Event, 1)
		_ = s.l.AcceptNotify(c.h)
		c.state = stEstablished
	case stHalfOpen:
		s.count(p, metrics.Stray, 1)
		return false
	}
	dropped := false
	if p.Len > 0 {
		dropped = s.data(ci, p)
		if s.conns[ci].state == stFree {
			return dropped // a pending FIN completed the close
		}
	}
	if p.Flags&packet.TCPFin != 0 {
		s.fin(ci, p.Seq+p.Len)
	} else if p.Len == 0 && c.state == stLastAck {
		s.finish(ci) // the peer's last ACK
	}
	return dropped
}

// data places a segment's payload in the rx fifo.
func (s *Shim) data(ci uint32, p *Packet) bool {
	c := &s.conns[ci]
	if c.state != stEstablished && c.state != stFinWait {
		s.count(p, metrics.Stray, 1) // data after the peer's FIN
		return false
	}
	n := int(p.Len)
	if c.broken {
		return s.appendData(c, p, n)
	}
	off := int32(p.Seq - c.rcvNxt)
	if off < 0 {
		if int(-off) >= n {
			s.count(p, metrics.DupBytes, uint64(n))
			return false
		}
		s.count(p, metrics.DupBytes, uint64(-off))
		n += int(off)
		off = 0
	}
	if off > 0 {
		end := p.Seq + p.Len
		if c.rx.MaxEnqueue() < uint32(off)+uint32(n) {
			// Out-of-order data that cannot be placed: the hole before it
			// will never be filled consistently.
			c.broken = true
			s.drop(p, metrics.FifoFull)
			return true
		}
		s.led.ChargeBytes(cost.Enqueue, n)
		if err := s.l.EnqueueAt(c.h, uint32(off), zeros[:n]); err != nil {
			c.broken = true
			s.drop(p, metrics.FifoFull)
			return true
		}
		if !c.hasOOO || seqLT(c.oooEnd, end) {
			c.oooEnd = end
		}
		c.hasOOO = true
		return false
	}
	if c.rx.MaxEnqueue() < uint32(n) {
		// The segment does not fit: it is lost (a replay will not
		// retransmit it), and the stream continues after it.
		c.rcvNxt += uint32(n)
		if c.hasOOO {
			c.broken = true
		}
		s.drop(p, metrics.FifoFull)
		s.maybePendingFin(ci)
		return true
	}
	s.led.ChargeBytes(cost.Enqueue, n)
	adv, err := s.l.Enqueue(c.h, zeros[:n])
	if err != nil {
		s.drop(p, metrics.FifoFull)
		return true
	}
	c.rcvNxt += uint32(adv)
	if c.hasOOO && !seqLT(c.rcvNxt, c.oooEnd) {
		c.hasOOO = false
	}
	if s.rec.On {
		s.sess.Enqueued(c.h, adv, s.cfg.Now())
	}
	s.maybePendingFin(ci)
	return false
}

// appendData appends payload regardless of sequence numbers (broken
// connections, UDP).
func (s *Shim) appendData(c *conn, p *Packet, n int) bool {
	if c.rx == nil || c.rx.MaxEnqueue() < uint32(n) {
		s.drop(p, metrics.FifoFull)
		return true
	}
	s.led.ChargeBytes(cost.Enqueue, n)
	adv, err := s.l.Enqueue(c.h, zeros[:n])
	if err != nil {
		s.drop(p, metrics.FifoFull)
		return true
	}
	if s.rec.On {
		s.sess.Enqueued(c.h, adv, s.cfg.Now())
	}
	return false
}

func (s *Shim) maybePendingFin(ci uint32) {
	c := &s.conns[ci]
	if c.finPending && !seqLT(c.rcvNxt, c.finSeq) {
		c.finPending = false
		s.fin(ci, c.finSeq)
	}
}

// fin processes the peer's FIN at sequence number seq.
func (s *Shim) fin(ci uint32, seq uint32) {
	c := &s.conns[ci]
	if !c.broken && seqLT(c.rcvNxt, seq) {
		c.finPending, c.finSeq = true, seq
		return
	}
	c.rcvNxt = seq + 1
	switch c.state {
	case stSynRcvd, stEstablished:
		c.state = stCloseWait
		s.led.Charge(cost.Close, 1)
		_ = s.l.TransportClosing(c.h)
	case stFinWait:
		s.finish(ci)
	}
}

// finish reports the connection closed and deleted and frees it.
func (s *Shim) finish(ci uint32) {
	c := &s.conns[ci]
	h := c.h
	s.release(ci)
	s.led.Charge(cost.Close, 2)
	s.led.Charge(cost.Delete, 1)
	_ = s.l.TransportClosed(h)
	_ = s.l.TransportDelete(h)
}

// resetConn is an RST from the peer: reset, closed and deleted at once.
func (s *Shim) resetConn(ci uint32) {
	c := &s.conns[ci]
	h := c.h
	s.release(ci)
	s.led.Charge(cost.Close, 3)
	s.led.Charge(cost.Delete, 1)
	_ = s.l.TransportReset(h)
	_ = s.l.TransportClosed(h)
	_ = s.l.TransportDelete(h)
}

// --- UDP ---

func (s *Shim) udpInput(th uint32, p *Packet) bool {
	r := s.lookup(th, p, session.ProtoUDP)
	switch r.Kind {
	case session.LookupSession:
		if ci := s.connOf(r); int(ci) < len(s.conns) {
			if c := &s.conns[ci]; c.state == stUDP && c.h == r.Handle {
				c.lastRx = p.T
				return s.appendData(c, p, int(p.Len))
			}
		}
		s.count(p, metrics.Stray, 1)
		return false
	case session.LookupListener:
		s.count(p, metrics.OfferedSessions, 1)
		ci := s.alloc(session.ProtoUDP)
		c := session.Connection{Proto: session.ProtoUDP, Fib: p.Fib,
			Local:  netipPort(p.Dst, p.DstPort),
			Remote: netipPort(p.Src, p.SrcPort)}
		s.led.Charge(cost.Accept, 1)
		s.led.ChargeInsert()
		h, err := s.l.Accept(th, r.Handle, ci, c, true)
		if err != nil {
			s.release(ci)
			s.count(p, metrics.SessionsFailed, 1)
			s.drop(p, s.failCause())
			return true
		}
		k := &s.conns[ci]
		k.h, k.th, k.state, k.lastRx = h, th, stUDP, p.T
		k.rx, k.tx, _ = s.l.Fifos(h)
		s.sess.Reset(h, p.T)
		s.arm(ci, p.T+s.cfg.UDPIdle)
		return s.appendData(k, p, int(p.Len))
	case session.LookupFiltered:
		s.count(p, metrics.OfferedSessions, 1)
		s.count(p, metrics.SessionsFailed, 1)
		s.drop(p, metrics.RuleDrop)
		return true
	case session.LookupWrongThread:
		s.drop(p, metrics.WrongThread)
		return true
	case session.LookupHalfOpen:
		s.count(p, metrics.Stray, 1)
		return false
	}
	s.count(p, metrics.OfferedSessions, 1)
	s.count(p, metrics.SessionsFailed, 1)
	s.drop(p, metrics.NoListener)
	return true
}

// --- timers ---

func (s *Shim) arm(ci uint32, at int64) {
	s.timers = append(s.timers, timer{at: at, ci: ci, gen: s.conns[ci].gen})
	// sift up
	i := len(s.timers) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !timerLess(&s.timers[i], &s.timers[p]) {
			break
		}
		s.timers[i], s.timers[p] = s.timers[p], s.timers[i]
		i = p
	}
}

func timerLess(a, b *timer) bool {
	return a.at < b.at || a.at == b.at && (a.ci < b.ci || a.ci == b.ci && a.gen < b.gen)
}

func (s *Shim) popTimer() timer {
	h := s.timers
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && timerLess(&h[r], &h[l]) {
			m = r
		}
		if !timerLess(&h[m], &h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	s.timers = h
	return top
}

// NextDeadline returns the earliest timer, or -1 when none is armed.
func (s *Shim) NextDeadline() int64 {
	if len(s.timers) == 0 {
		return -1
	}
	return s.timers[0].at
}

// Expire runs the timers due at now: connections waiting too long for the
// peer's FIN or last ACK are closed and deleted; idle UDP sessions are
// reported closing. It returns how many fired.
func (s *Shim) Expire(now int64) int {
	n := 0
	for len(s.timers) > 0 && s.timers[0].at <= now {
		t := s.popTimer()
		c := s.conn(t.ci, t.gen)
		if c == nil {
			continue
		}
		switch c.state {
		case stFinWait, stLastAck:
			n++
			s.finish(t.ci)
		case stUDP:
			if idle := c.lastRx + s.cfg.UDPIdle; idle > now {
				s.arm(t.ci, idle)
				continue
			}
			if !c.udpClosing {
				n++
				c.udpClosing = true
				s.led.Charge(cost.Close, 1)
				_ = s.l.TransportClosing(c.h)
			}
		}
	}
	return n
}

// --- transport calls ---

// transport is the shim as one protocol's session.Transport.
type transport struct {
	s *Shim
	p session.Proto
}

var _ session.Transport = transport{}

// Listen accepts every listener: the shim needs no state per listener.
func (t transport) Listen(session.Handle, session.Endpoint) (uint32, session.Error) {
	return 0, session.ErrNone
}

// Unlisten has nothing to undo.
func (t transport) Unlisten(uint32) {}

// Connect records the half-open and completes it from Flush (see
// establish), as a SYN-ACK would arrive later.
func (t transport) Connect(ho session.Handle, c session.Connection) (uint32, session.Error) {
	s := t.s
	ci := s.alloc(t.p)
	k := &s.conns[ci]
	k.h, k.c, k.state = ho, c, stHalfOpen
	s.led.Charge(cost.Connect, 1)
	s.defer_(actEstablish, ci)
	return ci, session.ErrNone
}

func (t transport) live(ci uint32) *conn {
	s := t.s
	if int(ci) >= len(s.conns) || s.conns[ci].state == stFree {
		return nil
	}
	return &s.conns[ci]
}

// Close sends our FIN: a connection whose peer already closed waits for
// the last ACK, one whose peer did not waits for its FIN (both bounded by
// the close timeout); UDP, remote-peer and in-process connections finish
// from Flush.
func (t transport) Close(_, ci uint32) {
	s := t.s
	c := t.live(ci)
	if c == nil {
		return
	}
	switch {
	case c.state == stUDP || c.remote:
		s.defer_(actFinish, ci)
		return
	case c.peer >= 0:
		switch c.state {
		case stSynRcvd, stEstablished:
			c.state = stFinWait
		case stCloseWait:
			c.state = stLastAck
		}
		s.defer_(actPeerFin, ci)
		return
	}
	switch c.state {
	case stSynRcvd, stEstablished:
		c.state = stFinWait
		s.arm(ci, s.cfg.Now()+s.cfg.CloseTimeout)
	case stCloseWait:
		c.state = stLastAck
		s.arm(ci, s.cfg.Now()+s.cfg.CloseTimeout)
	}
}

// Reset sends an RST: the connection is closed and deleted from Flush (an
// in-process peer is reset too).
func (t transport) Reset(_, ci uint32) {
	s := t.s
	c := t.live(ci)
	if c == nil {
		return
	}
	if c.peer >= 0 {
		s.defer_(actPeerReset, ci)
		return
	}
	s.defer_(actFinish, ci)
}

// HalfClose sends our FIN like Close.
func (t transport) HalfClose(th, ci uint32) { t.Close(th, ci) }

// Send takes the tx fifo's data from Flush (see send).
func (t transport) Send(_, ci uint32) {
	if t.live(ci) != nil {
		t.s.defer_(actSend, ci)
	}
}

// Cleanup forgets the connection.
func (t transport) Cleanup(_, ci uint32) {
	if t.live(ci) != nil {
		t.s.release(ci)
	}
}

// Unlink forgets the connection, which closes on its own without telling
// the layer; an in-process peer sees the connection end.
func (t transport) Unlink(_, ci uint32) {
	s := t.s
	c := t.live(ci)
	if c == nil {
		return
	}
	if c.peer >= 0 {
		// The in-process peer sees a reset.
		p := uint32(c.peer)
		if s.conns[p].state != stFree {
			s.pending = append(s.pending, action{kind: actFinish, ci: p, gen: s.conns[p].gen})
		}
	}
	s.release(ci)
}

// HalfOpenCleanup forgets a half-open whose application went away.
func (t transport) HalfOpenCleanup(ci uint32) {
	if c := t.live(ci); c != nil && c.state == stHalfOpen {
		t.s.release(ci)
	}
}

// --- deferred actions ---

// send takes the data the application wrote: to an in-process peer's rx
// fifo, or acknowledged at once by the remote peer (or the capture's
// client, which the simulator does not model further).
func (s *Shim) send(ci uint32) {
	c := &s.conns[ci]
	if c.tx == nil {
		return
	}
	n := c.tx.MaxDequeue()
	if n == 0 {
		return
	}
	if c.peer >= 0 {
		p := &s.conns[c.peer]
		if p.rx == nil {
			return
		}
		m := min(n, p.rx.MaxEnqueue(), uint32(len(zeros)))
		c.sendBlocked = m < n
		if m == 0 {
			return
		}
		if len(s.scratch) < int(m) {
			s.scratch = make([]byte, len(zeros))
		}
		k, _ := c.tx.Peek(0, s.scratch[:m])
		s.led.ChargeBytes(cost.Dequeue, k)
		s.led.ChargeBytes(cost.Enqueue, k)
		adv, _ := s.l.Enqueue(p.h, s.scratch[:k])
		if s.rec.On {
			s.sess.Enqueued(p.h, adv, s.cfg.Now())
		}
		_, _ = c.tx.Drop(uint32(k))
		s.l.TxDequeued(c.h, uint32(k))
		if s.rec.Measuring() {
			s.rec.Count(metrics.TxBytes, uint64(k))
		}
		return
	}
	s.led.ChargeBytes(cost.Dequeue, int(n))
	_, _ = c.tx.Drop(n)
	s.l.TxDequeued(c.h, n)
	if s.rec.Measuring() {
		s.rec.Count(metrics.TxBytes, uint64(n))
	}
}

// AfterRead tells the shim that the application read session h's rx fifo:
// an in-process peer blocked on it may send again.
func (s *Shim) AfterRead(h session.Handle) {
	if s.inproc == 0 {
		return
	}
	info, ok := s.l.Session(h)
	if !ok || int(info.Conn) >= len(s.conns) {
		return
	}
	c := &s.conns[info.Conn]
	if c.state == stFree || c.h != h || c.peer < 0 {
		return
	}
	if p := &s.conns[c.peer]; p.sendBlocked {
		p.sendBlocked = false
		s.defer_(actSend, uint32(c.peer))
	}
}

// establish completes an active open (see the package comment).
func (s *Shim) establish(ci uint32) {
	c := &s.conns[ci]
	ho, cn := c.h, c.c
	th := s.cfg.ThreadOf(cn)
	r := s.l.Lookup(th, cn.Fib, cn.Proto, cn.Remote.Addr(), cn.Local.Addr(), cn.Remote.Port(), cn.Local.Port())
	s.chargeLookup(r.Kind)
	switch {
	case r.Kind == session.LookupListener:
		s.connectInProcess(ci, r.Handle, th)
		return
	case s.cfg.IsLocal(packet.AddrFromNetip(cn.Remote.Addr())) || r.Kind == session.LookupFiltered:
		s.release(ci)
		_, _ = s.l.Connected(ho, s.l.CtrlThread(), 0, session.ErrRefused)
		_ = s.l.HalfOpenDelete(ho)
		return
	}
	h, err := s.l.Connected(ho, th, ci, session.ErrNone)
	if err != nil || h == session.InvalidHandle {
		s.release(ci)
		_ = s.l.HalfOpenDelete(ho)
		return
	}
	c = &s.conns[ci]
	c.h, c.th, c.state, c.remote = h, th, stEstablished, true
	c.rx, c.tx, _ = s.l.Fifos(h)
	_ = s.l.HalfOpenDelete(ho)
}

// connectInProcess connects half-open ci to listener ls of this host.
func (s *Shim) connectInProcess(ci uint32, ls session.Handle, th uint32) {
	c := &s.conns[ci]
	ho, cn := c.h, c.c
	si := s.alloc(cn.Proto)
	srv := session.Connection{Proto: cn.Proto, Local: cn.Remote, Remote: cn.Local, Fib: cn.Fib}
	s.led.Charge(cost.Accept, 1)
	s.led.ChargeInsert()
	sh, err := s.l.Accept(th, ls, si, srv, false)
	if err != nil {
		s.release(si)
		s.release(ci)
		_, _ = s.l.Connected(ho, s.l.CtrlThread(), 0, session.ErrRefused)
		_ = s.l.HalfOpenDelete(ho)
		return
	}
	ch, err := s.l.Connected(ho, th, ci, session.ErrNone)
	if err != nil || ch == session.InvalidHandle {
		s.release(si)
		s.release(ci)
		_ = s.l.TransportDelete(sh)
		_ = s.l.HalfOpenDelete(ho)
		return
	}
	c = &s.conns[ci]
	k := &s.conns[si]
	c.h, c.th, c.state, c.peer = ch, th, stEstablished, int32(si)
	k.h, k.th, k.state, k.peer = sh, th, stEstablished, int32(ci)
	if cn.Proto == session.ProtoUDP {
		c.state, k.state = stEstablished, stEstablished
	}
	c.rx, c.tx, _ = s.l.Fifos(ch)
	k.rx, k.tx, _ = s.l.Fifos(sh)
	s.inproc += 2
	s.sess.Reset(sh, -1)
	s.led.Charge(cost.Event, 1)
	_ = s.l.AcceptNotify(sh)
	_ = s.l.HalfOpenDelete(ho)
}

// peerFin delivers connection ci's FIN to its in-process peer.
func (s *Shim) peerFin(ci uint32) {
	c := &s.conns[ci]
	if c.peer < 0 {
		s.finish(ci)
		return
	}
	pi := uint32(c.peer)
	p := &s.conns[pi]
	switch {
	case p.state == stFinWait || c.state == stLastAck:
		s.finish(ci)
		if p.state != stFree {
			s.finish(pi)
		}
	case p.state == stSynRcvd || p.state == stEstablished:
		p.state = stCloseWait
		s.led.Charge(cost.Close, 1)
		_ = s.l.TransportClosing(p.h)
	}
}

// peerReset delivers connection ci's RST to its in-process peer.
func (s *Shim) peerReset(ci uint32) {
	c := &s.conns[ci]
	if c.peer >= 0 {
		pi := uint32(c.peer)
		if s.conns[pi].state != stFree {
			s.resetConn(pi)
		}
	}
	if s.conns[ci].state != stFree {
		s.finish(ci)
	}
}

// CloseAll ends every connection as if its peer had reset it (the end of
// a run): the applications get RESET and their closes complete the
// cleanup. Half-opens are left to the applications' detach.
func (s *Shim) CloseAll() int {
	n := 0
	for ci := range s.conns {
		c := &s.conns[ci]
		switch c.state {
		case stFree, stHalfOpen:
			continue
		}
		n++
		s.resetConn(uint32(ci))
	}
	return n
}

// netipPort converts an address and port (allocation-free).
func netipPort(a packet.Addr, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(a.Netip(), port)
}
