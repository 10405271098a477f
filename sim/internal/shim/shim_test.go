package shim

import (
	"net/netip"
	"testing"

	"github.com/sessionlab/sessionlab/core/rules"
	"github.com/sessionlab/sessionlab/core/session"
	"github.com/sessionlab/sessionlab/sim/internal/metrics"
	"github.com/sessionlab/sessionlab/traffic/packet"
)

// env is a session layer with one application listening on TCP and UDP
// port 80 of 10.0.0.1, served by a shim. The test plays the application:
// it drains the event queue itself (apply).
type env struct {
	t   testing.TB
	l   *session.Layer
	s   *Shim
	rec *metrics.Recorder
	app uint32
	q   *session.EventQueue
	now int64
	// events seen by the application, by type
	seen map[session.EventType]int
	// handles of the sessions the application was told about
	accepted []session.Handle
	// read is what the application read, per session
	read map[session.Handle]int
	// autoAccept answers ACCEPTED; autoClose closes on DISCONNECTED/RESET.
	autoAccept, autoClose bool
}

func newEnv(t testing.TB, cfg session.Config) *env {
	t.Helper()
	if cfg.V4SessionBuckets == 0 {
		cfg.V4SessionBuckets, cfg.V4SessionMemory = 1024, 4<<20
	}
	cfg.HeapSegments = true
	l, err := session.New(session.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Release() })
	if err := l.Enable(session.EngineRuleTable); err != nil {
		t.Fatal(err)
	}
	sw, _ := l.AddInterface("eth0")
	if err := l.AddInterfaceAddress(sw, netip.MustParsePrefix("10.0.0.1/24")); err != nil {
		t.Fatal(err)
	}
	if err := l.AddRoute(false, 0, netip.MustParsePrefix("0.0.0.0/0"), sw); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, l: l, rec: metrics.New(true), seen: map[session.EventType]int{}, read: map[session.Handle]int{}, autoAccept: true, autoClose: true}
	e.rec.StartMeasuring()
	e.s = New(Config{Layer: l, Rec: e.rec, Sessions: metrics.NewSessions(l.NumThreads()), Now: func() int64 { return e.now },
		ThreadOf: func(session.Connection) uint32 { return 0 },
		IsLocal:  func(a packet.Addr) bool { return a == packet.MustParseAddr("10.0.0.1") },
		Rules:    true})
	if err := e.s.Register(); err != nil {
		t.Fatal(err)
	}
	e.app, err = l.Attach(session.AttachArgs{Name: "app", SegmentSize: 8 << 20, RxFifoSize: 8192, TxFifoSize: 8192})
	if err != nil {
		t.Fatal(err)
	}
	e.q, _ = l.Queue(e.app, 0)
	for _, p := range []session.Proto{session.ProtoTCP, session.ProtoUDP} {
		if _, err := l.Listen(session.ListenArgs{App: e.app, Proto: p, Addr: netip.IPv4Unspecified(), Port: 80, FibIndex: session.InvalidIndex}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// apply runs the layer, the shim's deferred actions and the application
// until nothing moves.
func (e *env) apply() {
	for range 1000 {
		n := e.l.PollAll(e.now, 4) + e.s.Flush()
		for {
			ev, ok := e.q.Pop()
			if !ok {
				break
			}
			n++
			e.seen[ev.Type]++
			switch ev.Type {
			case session.EventAccepted:
				e.accepted = append(e.accepted, ev.Handle)
				if e.autoAccept {
					_ = e.l.AcceptReply(e.app, ev.Handle, session.ErrNone)
				}
			case session.EventRx:
				buf := make([]byte, 65536)
				k, _ := e.l.Read(e.app, ev.Handle, buf)
				e.read[ev.Handle] += k
			case session.EventDisconnected, session.EventReset:
				if e.autoClose {
					_ = e.l.Close(e.app, ev.Handle)
				}
			}
		}
		if n == 0 {
			return
		}
	}
	e.t.Fatal("the model did not settle")
}

var (
	client = packet.MustParseAddr("192.168.1.2")
	server = packet.MustParseAddr("10.0.0.1")
)

func tcp(sport uint16, flags packet.TCPFlags, seq uint32, n int) *Packet {
	return &Packet{Src: client, Dst: server, SrcPort: sport, DstPort: 80, Proto: packet.ProtoTCP,
		Flags: flags, Seq: seq, Len: uint32(n), Wire: uint32(54 + n), Measured: true}
}

func udp(sport uint16, n int) *Packet {
	return &Packet{Src: client, Dst: server, SrcPort: sport, DstPort: 80, Proto: packet.ProtoUDP,
		Len: uint32(n), Wire: uint32(42 + n), Measured: true}
}

func (e *env) in(p *Packet) bool {
	e.t.Helper()
	p.T = e.now
	d := e.s.Input(0, p)
	e.apply()
	return d
}

const isn = 1000

// handshake opens a connection from sport and returns its session.
func (e *env) handshake(sport uint16) session.Handle {
	e.t.Helper()
	if e.in(tcp(sport, packet.TCPSyn, isn, 0)) {
		e.t.Fatalf("SYN dropped: %v", e.rec.DropList())
	}
	before := len(e.accepted)
	e.in(tcp(sport, packet.TCPAck, isn+1, 0))
	if len(e.accepted) != before+1 {
		e.t.Fatalf("no ACCEPTED after the handshake (events %v)", e.seen)
	}
	return e.accepted[len(e.accepted)-1]
}

func (e *env) state(h session.Handle) session.State {
	info, ok := e.l.Session(h)
	if !ok {
		return session.StateTransportDeleted + 1
	}
	return info.State
}

func TestHandshakeDataClose(t *testing.T) {
	e := newEnv(t, session.Config{})
	e.in(tcp(5000, packet.TCPSyn, isn, 0))
	if e.s.Live() != 1 || len(e.accepted) != 0 {
		t.Fatalf("after SYN: %d connections, accepted %v; want a session not yet notified", e.s.Live(), e.accepted)
	}
	// A retransmitted SYN changes nothing.
	e.in(tcp(5000, packet.TCPSyn, isn, 0))
	if e.s.Live() != 1 || e.rec.Get(metrics.Stray) != 1 {
		t.Fatalf("retransmitted SYN: %d connections, %d stray", e.s.Live(), e.rec.Get(metrics.Stray))
	}
	e.in(tcp(5000, packet.TCPAck, isn+1, 0))
	if len(e.accepted) != 1 {
		t.Fatalf("after the handshake: accepted %v", e.accepted)
	}
	h := e.accepted[0]
	if st := e.state(h); st != session.StateReady {
		t.Fatalf("state %v, want READY", st)
	}
	e.in(tcp(5000, packet.TCPAck|packet.TCPPsh, isn+1, 1000))
	e.in(tcp(5000, packet.TCPAck|packet.TCPPsh, isn+1001, 500))
	if e.read[h] != 1500 {
		t.Fatalf("the application read %d bytes, want 1500", e.read[h])
	}
	// The peer closes; the application closes; the last ACK completes.
	e.in(tcp(5000, packet.TCPFin|packet.TCPAck, isn+1501, 0))
	if e.seen[session.EventDisconnected] != 1 {
		t.Fatalf("no DISCONNECTED after FIN (events %v)", e.seen)
	}
	if e.s.Live() != 1 {
		t.Fatalf("the connection ended before the last ACK")
	}
	e.in(tcp(5000, packet.TCPAck, isn+1502, 0))
	if e.s.Live() != 0 {
		t.Fatalf("%d connections after the last ACK", e.s.Live())
	}
	if k := e.l.LeakCheck(); k.Sessions != 0 || k.Fifos != 0 {
		t.Fatalf("leaks after the close: %+v", k)
	}
	if d := e.rec.TotalDrops(); d != 0 {
		t.Fatalf("drops %v", e.rec.DropList())
	}
}

func TestOutOfOrder(t *testing.T) {
	e := newEnv(t, session.Config{})
	h := e.handshake(5001)
	// Second segment first: it waits at its offset; the first fills the
	// hole and both reach the application.
	e.in(tcp(5001, packet.TCPAck, isn+1+100, 200))
	if e.read[h] != 0 {
		t.Fatalf("out-of-order data delivered early: %d", e.read[h])
	}
	e.in(tcp(5001, packet.TCPAck, isn+1, 100))
	if e.read[h] != 300 {
		t.Fatalf("read %d after the hole filled, want 300", e.read[h])
	}
	// A duplicate is discarded and counted.
	e.in(tcp(5001, packet.TCPAck, isn+1, 100))
	if e.rec.Get(metrics.DupBytes) != 100 || e.read[h] != 300 {
		t.Fatalf("duplicate: %d duplicate bytes, read %d; want 100 and 300", e.rec.Get(metrics.DupBytes), e.read[h])
	}
	// A FIN beyond a hole waits for the hole.
	e.in(tcp(5001, packet.TCPFin|packet.TCPAck, isn+1+400, 0))
	if e.seen[session.EventDisconnected] != 0 {
		t.Fatal("FIN applied before the data before it arrived")
	}
	e.in(tcp(5001, packet.TCPAck, isn+1+300, 100))
	if e.read[h] != 400 || e.seen[session.EventDisconnected] != 1 {
		t.Fatalf("read %d, DISCONNECTED %d; want 400 and 1", e.read[h], e.seen[session.EventDisconnected])
	}
}

func TestReset(t *testing.T) {
	e := newEnv(t, session.Config{})
	h := e.handshake(5002)
	e.in(tcp(5002, packet.TCPRst, isn+1, 0))
	if e.seen[session.EventReset] != 1 {
		t.Fatalf("no RESET event (events %v)", e.seen)
	}
	if e.s.Live() != 0 {
		t.Fatalf("%d connections after RST", e.s.Live())
	}
	if st := e.state(h); st <= session.StateTransportDeleted {
		t.Fatalf("session still %v after the application's close", st)
	}
	if k := e.l.LeakCheck(); k.Sessions != 0 {
		t.Fatalf("leaks: %+v", k)
	}
}

func TestActiveCloseTimeout(t *testing.T) {
	e := newEnv(t, session.Config{})
	h := e.handshake(5003)
	// The application closes first: FIN_WAIT until the peer's FIN or the
	// close timeout.
	if err := e.l.Close(e.app, h); err != nil {
		t.Fatal(err)
	}
	e.apply()
	if e.s.Live() != 1 || e.s.NextDeadline() < 0 {
		t.Fatalf("after the application's close: %d connections, deadline %d", e.s.Live(), e.s.NextDeadline())
	}
	e.now = e.s.NextDeadline() - 1
	if n := e.s.Expire(e.now); n != 0 {
		t.Fatalf("timer fired %d early", n)
	}
	e.now++
	if n := e.s.Expire(e.now); n != 1 {
		t.Fatalf("timer fired %d times at its deadline, want 1", n)
	}
	e.apply()
	if e.s.Live() != 0 || e.l.LeakCheck().Sessions != 0 {
		t.Fatalf("not closed after the timeout: %d connections, leaks %+v", e.s.Live(), e.l.LeakCheck())
	}
}

func TestActiveClosePeerFin(t *testing.T) {
	e := newEnv(t, session.Config{})
	h := e.handshake(5004)
	_ = e.l.Close(e.app, h)
	e.apply()
	e.in(tcp(5004, packet.TCPFin|packet.TCPAck, isn+1, 0))
	if e.s.Live() != 0 || e.l.LeakCheck().Sessions != 0 {
		t.Fatalf("peer FIN after ours did not finish the close: %d connections", e.s.Live())
	}
}

func TestDrops(t *testing.T) {
	e := newEnv(t, session.Config{})
	// No listener on port 81.
	p := tcp(6000, packet.TCPSyn, isn, 0)
	p.DstPort = 81
	if !e.in(p) || e.rec.Drops(metrics.NoListener) != 1 {
		t.Fatalf("SYN to a closed port: drops %v", e.rec.DropList())
	}
	// Data without a session.
	if !e.in(tcp(6001, packet.TCPAck, isn, 100)) || e.rec.Drops(metrics.NoSession) != 1 {
		t.Fatalf("data without a session: drops %v", e.rec.DropList())
	}
	// A bare ACK without a session is stray, not a drop.
	if e.in(tcp(6001, packet.TCPAck, isn, 0)) {
		t.Fatal("bare ACK without a session dropped")
	}
	// A global rule drops 192.168.1.0/24.
	r := rules.Rule{Lcl: netip.MustParsePrefix("0.0.0.0/0"), Rmt: netip.MustParsePrefix("192.168.1.0/24"), Proto: rules.ProtoTCP, Action: rules.ActionDrop}
	if err := e.l.RuleAddDel(session.RuleArgs{Rule: r, IsAdd: true}); err != nil {
		t.Fatal(err)
	}
	if !e.in(tcp(6002, packet.TCPSyn, isn, 0)) || e.rec.Drops(metrics.RuleDrop) != 1 {
		t.Fatalf("filtered SYN: drops %v", e.rec.DropList())
	}
}

func TestFifoFull(t *testing.T) {
	e := newEnv(t, session.Config{})
	e.autoAccept = false // nobody reads: the 8 KiB rx fifo fills
	e.in(tcp(7000, packet.TCPSyn, isn, 0))
	e.in(tcp(7000, packet.TCPAck, isn+1, 0))
	seq := uint32(isn + 1)
	for range 6 {
		e.in(tcp(7000, packet.TCPAck, seq, 1460))
		seq += 1460
	}
	if got := e.rec.Drops(metrics.FifoFull); got != 1 {
		t.Fatalf("fifo-full drops %d, want 1 (8192 bytes hold five 1460-byte segments)", got)
	}
	// The stream continues after the lost segment.
	if e.s.conns[0].rcvNxt != seq {
		t.Fatalf("rcv_nxt %d, want %d", e.s.conns[0].rcvNxt, seq)
	}
}

func TestTableFull(t *testing.T) {
	// A tiny table: one bucket, the smallest arena.
	e := newEnv(t, session.Config{V4SessionBuckets: 1, V4SessionMemory: 4096})
	var dropped int
	for i := range 300 {
		if e.in(tcp(uint16(8000+i), packet.TCPSyn, isn, 0)) {
			dropped++
		}
	}
	if dropped == 0 || e.rec.Drops(metrics.TableFull) != uint64(dropped) {
		t.Fatalf("%d SYNs dropped, table-full drops %d (drops %v)", dropped, e.rec.Drops(metrics.TableFull), e.rec.DropList())
	}
	if e.s.Live() != 300-dropped {
		t.Fatalf("%d connections held for %d accepted sessions", e.s.Live(), 300-dropped)
	}
}

func TestPoolExhausted(t *testing.T) {
	e := newEnv(t, session.Config{PreallocatedSessions: 4})
	var dropped int
	for i := range 10 {
		if e.in(tcp(uint16(9000+i), packet.TCPSyn, isn, 0)) {
			dropped++
		}
	}
	// The listeners take two of the four records.
	if dropped != 8 || e.rec.Drops(metrics.PoolExhausted) != 8 {
		t.Fatalf("%d dropped, pool-exhausted %d; want 8 and 8", dropped, e.rec.Drops(metrics.PoolExhausted))
	}
}

func TestUDP(t *testing.T) {
	e := newEnv(t, session.Config{})
	e.in(udp(4000, 100))
	if len(e.accepted) != 1 {
		t.Fatalf("first datagram: accepted %v", e.accepted)
	}
	h := e.accepted[0]
	e.now = 500e6
	e.in(udp(4000, 200))
	if e.read[h] != 300 || len(e.accepted) != 1 {
		t.Fatalf("read %d in %d sessions, want 300 in 1", e.read[h], len(e.accepted))
	}
	// Idle for the idle time after the last datagram: closed.
	e.now = 500e6 + DefaultUDPIdle - 1
	e.s.Expire(e.now)
	e.apply()
	if e.seen[session.EventDisconnected] != 0 {
		t.Fatal("closed before the idle time")
	}
	e.now++
	e.s.Expire(e.now)
	e.apply()
	if e.seen[session.EventDisconnected] != 1 || e.s.Live() != 0 || e.l.LeakCheck().Sessions != 0 {
		t.Fatalf("idle session: DISCONNECTED %d, %d connections, leaks %+v", e.seen[session.EventDisconnected], e.s.Live(), e.l.LeakCheck())
	}
}

func TestActiveOpenRemote(t *testing.T) {
	e := newEnv(t, session.Config{})
	ho, err := e.l.Connect(session.ConnectArgs{App: e.app, Proto: session.ProtoTCP, Remote: netip.MustParseAddrPort("172.16.0.9:443"), Context: 7})
	if err != nil {
		t.Fatal(err)
	}
	_ = ho
	e.apply()
	if e.seen[session.EventConnected] != 1 || e.s.Live() != 1 {
		t.Fatalf("connect to a remote peer: CONNECTED %d, %d connections", e.seen[session.EventConnected], e.s.Live())
	}
	var h session.Handle
	e.l.Sessions(func(si session.SessionInfo) bool {
		if si.State == session.StateReady {
			h = si.Handle
		}
		return true
	})
	if _, err := e.l.Write(e.app, h, make([]byte, 3000)); err != nil {
		t.Fatal(err)
	}
	e.apply()
	if got := e.rec.Get(metrics.TxBytes); got != 3000 {
		t.Fatalf("sent %d bytes, want 3000", got)
	}
	_ = e.l.Close(e.app, h)
	e.apply()
	if e.s.Live() != 0 || e.l.LeakCheck().Sessions != 0 || e.l.LeakCheck().HalfOpens != 0 {
		t.Fatalf("after close: %d connections, leaks %+v", e.s.Live(), e.l.LeakCheck())
	}
}

func TestActiveOpenLocal(t *testing.T) {
	e := newEnv(t, session.Config{})
	e.autoClose = true
	// A connect to our own listener is connected in-process.
	if _, err := e.l.Connect(session.ConnectArgs{App: e.app, Proto: session.ProtoTCP, Remote: netip.MustParseAddrPort("10.0.0.1:80")}); err != nil {
		t.Fatal(err)
	}
	e.apply()
	if e.seen[session.EventConnected] != 1 || len(e.accepted) != 1 || e.s.Live() != 2 {
		t.Fatalf("in-process connect: CONNECTED %d, accepted %d, %d connections", e.seen[session.EventConnected], len(e.accepted), e.s.Live())
	}
	srv := e.accepted[0]
	var cli session.Handle
	e.l.Sessions(func(si session.SessionInfo) bool {
		if si.State == session.StateReady && si.Handle != srv && si.Type.Proto() == session.ProtoTCP {
			cli = si.Handle
		}
		return true
	})
	if _, err := e.l.Write(e.app, cli, make([]byte, 1234)); err != nil {
		t.Fatal(err)
	}
	e.apply()
	if e.read[srv] != 1234 {
		t.Fatalf("the server read %d bytes, want 1234", e.read[srv])
	}
	_ = e.l.Close(e.app, cli)
	e.apply()
	if e.s.Live() != 0 || e.l.LeakCheck().Sessions != 0 {
		t.Fatalf("after close: %d connections, leaks %+v", e.s.Live(), e.l.LeakCheck())
	}
	// A local address without a listener refuses.
	if _, err := e.l.Connect(session.ConnectArgs{App: e.app, Proto: session.ProtoTCP, Remote: netip.MustParseAddrPort("10.0.0.1:99")}); err != nil {
		t.Fatal(err)
	}
	e.apply()
	if e.s.Live() != 0 || e.l.LeakCheck().HalfOpens != 0 {
		t.Fatalf("refused connect: %d connections, leaks %+v", e.s.Live(), e.l.LeakCheck())
	}
}

func TestCloseAll(t *testing.T) {
	e := newEnv(t, session.Config{})
	for i := range 20 {
		e.handshake(uint16(3000 + i))
	}
	e.in(udp(3999, 10))
	if n := e.s.CloseAll(); n != 21 {
		t.Fatalf("CloseAll ended %d connections, want 21", n)
	}
	e.apply()
	if e.s.Live() != 0 || e.l.LeakCheck().Sessions != 0 {
		t.Fatalf("after CloseAll: %d connections, leaks %+v", e.s.Live(), e.l.LeakCheck())
	}
}
