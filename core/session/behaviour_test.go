package session

import (
	"net/netip"
	"slices"
	"testing"
)

// server is a layer with one application listening on 0.0.0.0:80.
// established accepts transport connection c from remote port rport on listener
// ls (thread 0) and completes the accept: a READY session of app.
func established(l *Layer, app uint32, ls Handle, c uint32, rport uint16) Handle {
	h, _ := l.Accept(0, ls, c, conn(rport), false)
	_ = l.AcceptNotify(h)
	_ = l.AcceptReply(app, h, ErrNone)
	return h
}

func server(t *testing.T, cfg Config, a AttachArgs) (*Layer, *TestTransport, uint32, Handle) {
	t.Helper()
	l, tcp, _ := newTestLayer(t, cfg, EngineRuleTable)
	if a.Name == "" {
		a.Name = "server"
	}
	app := mustAttach(t, l, a)
	ls, err := l.Listen(ListenArgs{App: app, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 80, FibIndex: InvalidIndex})
	if err != nil {
		t.Fatal(err)
	}
	return l, tcp, app, ls
}

func conn(port uint16) Connection {
	return Connection{Proto: ProtoTCP, Local: ap("10.0.0.1:80"), Remote: netip.AddrPortFrom(ip("10.0.0.2"), port)}
}

// TestCongestion (§7.6): a full application queue marks the worker
// congested for the thread; its accepts fail and its connects are refused
// while it is; a flush that delivers everything clears the mark.
func TestCongestion(t *testing.T) {
	l, _, app, ls := server(t, smallConfig(), AttachArgs{EventQueueSize: 2})
	q := queueOf(t, l, app)
	var hs []Handle
	for i := range 3 {
		h, err := l.Accept(0, ls, uint32(i), conn(uint16(1000+i)), true)
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	l.FlushAppEvents(0)
	if q.Len() != 2 {
		t.Fatalf("queue holds %d, want 2", q.Len())
	}
	w := l.wrks[l.apps[app].workers[0]]
	if !w.congested[0] || l.Stats().Congestions != 1 {
		t.Fatal("the worker should be congested")
	}
	if _, err := l.Accept(0, ls, 9, conn(2000), true); !errIs(err, ErrRefused) {
		t.Fatalf("accept while congested: %v", err)
	}
	// Connects run on the control thread (0 here).
	loopback(t, l, "loop0", 0, "10.0.0.1/24")
	if _, err := l.Connect(ConnectArgs{App: app, Proto: ProtoTCP, Remote: ap("10.0.0.9:1"), FibIndex: InvalidIndex}); !errIs(err, ErrRefused) {
		t.Fatalf("connect while congested: %v", err)
	}
	drain(q)
	l.FlushAppEvents(0)
	if w.congested[0] {
		t.Fatal("a flush that delivered everything should clear congestion")
	}
	if got := drain(q); len(got) != 1 || got[0].Handle != hs[2] {
		t.Fatalf("the pending ACCEPTED should arrive after the flush: %v", got)
	}
	if _, err := l.Accept(0, ls, 9, conn(2000), true); err != nil {
		t.Fatal(err)
	}
}

// TestCtrlRing: control events have their own ring of max(16, n/16) slots
// in an app queue of n (spec §7.6): 20 ACCEPTED events for a queue of 128
// deliver 16 and congest the worker though io slots are free; io events
// still fit.
func TestCtrlRing(t *testing.T) {
	l, _, app, ls := server(t, smallConfig(), AttachArgs{EventQueueSize: 128})
	q := queueOf(t, l, app)
	for i := range 20 {
		if _, err := l.Accept(0, ls, uint32(i), conn(uint16(1000+i)), true); err != nil {
			t.Fatal(err)
		}
	}
	l.FlushAppEvents(0)
	w := l.wrks[l.apps[app].workers[0]]
	if q.Len() != 16 || !w.congested[0] || CtrlRingSize(128) != 16 {
		t.Fatalf("queue holds %d (congested %v), want the 16 the control ring takes", q.Len(), w.congested[0])
	}
	q.Pop()
	l.FlushAppEvents(0)
	if q.Len() != 16 || !w.congested[0] {
		t.Fatalf("one control slot freed: queue holds %d, congested %v; want 16 and still congested (3 wait)", q.Len(), w.congested[0])
	}
	drain(q)
	l.FlushAppEvents(0)
	if got := drain(q); len(got) != 3 || w.congested[0] {
		t.Fatalf("after draining: %d more events, congested %v; want the last 3 and no congestion", len(got), w.congested[0])
	}
}

// TestCongestionAnyThread: a worker congested on one thread refuses
// accepts and connects on every thread (app_worker_mq_is_congested).
func TestCongestionAnyThread(t *testing.T) {
	cfg := smallConfig()
	cfg.Workers = 2
	l, _, app, ls := server(t, cfg, AttachArgs{EventQueueSize: 4})
	for i := range 8 {
		if _, err := l.Accept(2, ls, uint32(i), conn(uint16(1000+i)), true); err != nil {
			t.Fatal(err)
		}
	}
	l.FlushAppEvents(2)
	w := l.wrks[l.apps[app].workers[0]]
	if !w.congested[2] || w.congested[1] {
		t.Fatalf("congested per thread %v, want thread 2 only", w.congested)
	}
	if _, err := l.Accept(1, ls, 99, conn(2000), true); !errIs(err, ErrRefused) {
		t.Fatalf("accept on thread 1 while congested on thread 2: %v", err)
	}
	loopback(t, l, "loop0", 0, "10.0.0.1/24")
	if _, err := l.Connect(ConnectArgs{App: app, Proto: ProtoTCP, Remote: ap("10.0.0.9:1"), FibIndex: InvalidIndex}); !errIs(err, ErrRefused) {
		t.Fatalf("connect (control thread %d) while congested on thread 2: %v", l.ctrlTh, err)
	}
}

// TestCtrlQueueOverflow: a full worker queue never loses a control event
// (modelling decision): it waits, is counted, and runs later.
func TestCtrlQueueOverflow(t *testing.T) {
	cfg := smallConfig()
	cfg.WrkMqLength = 2
	l, tcp, app, ls := server(t, cfg, AttachArgs{EventQueueSize: 1024})
	var hs []Handle
	for i := range 5 {
		hs = append(hs, established(l, app, ls, uint32(i), uint16(1000+i)))
	}
	for _, h := range hs {
		if err := l.Close(app, h); err != nil {
			t.Fatal(err)
		}
	}
	if s := l.Stats(); s.CtrlQueueFull != 3 {
		t.Fatalf("overflowing events counted %d, want 3", s.CtrlQueueFull)
	}
	for range 3 {
		l.RunCtrlEvents(0, 0)
	}
	closes := 0
	for _, c := range tcp.Calls {
		if c.Op == "close" {
			closes++
		}
	}
	if closes != 5 {
		t.Fatalf("transport closed %d connections, want 5 (no control event may be lost)", closes)
	}
	for _, h := range hs {
		if si, _ := l.Session(h); si.State != StateAppClosed {
			t.Fatalf("%v: %s", h, si.State)
		}
	}
}

// TestHalfOpenLifecycle (§6.8): a failed connect reports CONNECTED with the
// error and, once the transport deletes the half-open, HALF_CLEANUP frees
// it and its port; a successful one hands the port to the session; an app
// detaching before establishment cleans the transport's half-open.
// TestCloseHalfOpen: an application may close its pending connect (§6.3
// makes no exception): the lookup entry goes, the transport is told to drop
// the attempt, the app gets HALF_CLEANUP, and nothing is left behind; a
// late Connected for it is refused. A cut-through connect closed before the
// server's worker ran never reaches the server.
func TestCloseHalfOpen(t *testing.T) {
	l, tcp, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	loopback(t, l, "loop0", 0, "10.0.0.1/24")
	a := mustAttach(t, l, AttachArgs{Name: "client"})
	q := queueOf(t, l, a)
	ho, err := l.Connect(ConnectArgs{App: a, Proto: ProtoTCP, Remote: ap("10.0.0.2:80"), FibIndex: InvalidIndex})
	if err != nil {
		t.Fatal(err)
	}
	c5 := tcp.Calls[len(tcp.Calls)-1].Conn5
	if err := l.Close(a, ho); err != nil {
		t.Fatalf("close of a pending connect: %v", err)
	}
	if err := l.Close(a, ho); err != nil {
		t.Fatalf("a second close is a no-op: %v", err)
	}
	if ops := tcp.Ops(); ops[len(ops)-1] != "half-open-cleanup" {
		t.Fatalf("transport calls %v: want the attempt dropped", ops)
	}
	if r := l.Lookup(0, 0, ProtoTCP, c5.Local.Addr(), c5.Remote.Addr(), c5.Local.Port(), c5.Remote.Port()); r.Kind != LookupNone {
		t.Fatalf("the half-open should have left the table: %+v", r)
	}
	l.PollAll(0, 5)
	if evs := drain(q); len(evs) != 1 || evs[0].Type != EventHalfCleanup || evs[0].Handle != ho {
		t.Fatalf("events %v: want HALF_CLEANUP", evs)
	}
	if _, err := l.Connected(ho, 0, 0, ErrNone); err == nil {
		t.Fatal("Connected for a closed half-open was accepted")
	}
	if k := l.LeakCheck(); !k.Empty() {
		t.Fatalf("a closed connect should leave nothing: %+v", k)
	}

	// Cut-through: the client closes before the server's worker runs.
	srv := mustAttach(t, l, AttachArgs{Name: "server", Flags: AppUseLocalScope})
	if _, err := l.Listen(ListenArgs{App: srv, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 99, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	cl := mustAttach(t, l, AttachArgs{Name: "ctclient", Flags: AppUseLocalScope})
	cq, sq := queueOf(t, l, cl), queueOf(t, l, srv)
	cho, err := l.Connect(ConnectArgs{App: cl, Proto: ProtoTCP, Remote: ap("127.0.0.1:99"), FibIndex: InvalidIndex})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(cl, cho); err != nil {
		t.Fatal(err)
	}
	l.PollAll(0, 5)
	if evs := drain(cq); len(evs) != 1 || evs[0].Type != EventHalfCleanup {
		t.Fatalf("client events %v: want HALF_CLEANUP", evs)
	}
	if evs := drain(sq); len(evs) != 0 {
		t.Fatalf("server events %v: the closed connect should not reach it", evs)
	}
	if k := l.LeakCheck(); k.Sessions != 0 || k.HalfOpens != 0 || k.Fifos != 0 || k.AppEvents != 0 || k.CtrlEvents != 0 {
		t.Fatalf("a closed cut-through connect should leave nothing but the server's listener: %+v", k)
	}
}

func TestHalfOpenLifecycle(t *testing.T) {
	l, tcp, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	loopback(t, l, "loop0", 0, "10.0.0.1/24")
	a := mustAttach(t, l, AttachArgs{Name: "client"})
	q := queueOf(t, l, a)
	ho, err := l.Connect(ConnectArgs{App: a, Proto: ProtoTCP, Remote: ap("10.0.0.2:80"), FibIndex: InvalidIndex, Context: 77})
	if err != nil {
		t.Fatal(err)
	}
	c5 := tcp.Calls[len(tcp.Calls)-1].Conn5
	if r := l.Lookup(0, 0, ProtoTCP, c5.Local.Addr(), c5.Remote.Addr(), c5.Local.Port(), c5.Remote.Port()); r.Kind != LookupHalfOpen {
		t.Fatalf("the half-open should be in the table: %+v", r)
	}
	if hi, _ := l.Session(ho); hi.State != StateConnecting || hi.Flags&FlagHalfOpen == 0 || hi.Thread != l.CtrlThread() {
		t.Fatalf("half-open: %+v", hi)
	}
	if _, err := l.Connected(ho, 0, 0, ErrRefused); err != nil {
		t.Fatal(err)
	}
	if r := l.Lookup(0, 0, ProtoTCP, c5.Local.Addr(), c5.Remote.Addr(), c5.Local.Port(), c5.Remote.Port()); r.Kind != LookupNone {
		t.Fatalf("the half-open should have left the table: %+v", r)
	}
	if err := l.HalfOpenDelete(ho); err != nil {
		t.Fatal(err)
	}
	l.PollAll(0, 5)
	evs := drain(q)
	if len(evs) != 2 || evs[0].Type != EventConnected || evs[0].Err != ErrRefused || evs[0].Context != 77 || evs[1].Type != EventHalfCleanup {
		t.Fatalf("events %v", evs)
	}
	if k := l.LeakCheck(); !k.Empty() {
		t.Fatalf("the failed connect should leave nothing: %+v", k)
	}

	// Success: the port moves to the session.
	ho, _ = l.Connect(ConnectArgs{App: a, Proto: ProtoTCP, Remote: ap("10.0.0.2:80"), FibIndex: InvalidIndex})
	h, err := l.Connected(ho, 0, 5, ErrNone)
	if err != nil {
		t.Fatal(err)
	}
	_ = l.HalfOpenDelete(ho)
	l.PollAll(0, 5)
	if evs := drain(q); len(evs) != 2 || evs[0].Type != EventConnected || evs[0].Handle != h || evs[1].Type != EventHalfCleanup {
		t.Fatalf("events %v", evs)
	}
	if l.PortsInUse() != 1 || l.Conn(h) != 5 {
		t.Fatalf("ports %d conn %d", l.PortsInUse(), l.Conn(h))
	}
	if si, _ := l.Session(h); si.State != StateReady || si.Flags&FlagRxReady == 0 {
		t.Fatalf("connected session: %+v", si)
	}

	// Detach before establishment.
	ho2, _ := l.Connect(ConnectArgs{App: a, Proto: ProtoTCP, Remote: ap("10.0.0.3:80"), FibIndex: InvalidIndex})
	hoConn := tcp.Calls[len(tcp.Calls)-1].Conn
	if err := l.Detach(a); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(tcp.Calls, func(c TransportCall) bool { return c.Op == "half-open-cleanup" && c.Conn == hoConn }) {
		t.Fatalf("detach should clean the transport's half-open: %v", tcp.Ops())
	}
	if _, ok := l.Session(ho2); ok {
		t.Fatal("the half-open should be freed")
	}
	// The established session closes in the background.
	l.PollAll(0, 5)
	_ = l.TransportClosed(h)
	_ = l.TransportDelete(h)
	l.PollAll(0, 5)
	if k := l.LeakCheck(); !k.Empty() {
		t.Fatalf("leaks: %+v", k)
	}
}

// TestDeliveryFiltering (§6.7): RX before the accept reply is not delivered
// but signalled when the app replies; a peer close during the pending
// accept is replayed as DISCONNECTED on the reply (state restored);
// DISCONNECTED is dropped once the app closed.
func TestDeliveryFiltering(t *testing.T) {
	l, _, app, ls := server(t, smallConfig(), AttachArgs{})
	q := queueOf(t, l, app)
	h, _ := l.Accept(0, ls, 1, conn(1000), false)
	_ = l.AcceptNotify(h)
	if _, err := l.Enqueue(h, []byte("early")); err != nil {
		t.Fatal(err)
	}
	_ = l.TransportClosing(h) // ACCEPTING: silent
	l.FlushAppEvents(0)
	if evs := eventTypes(drain(q)); !slices.Equal(evs, []EventType{EventAccepted}) {
		t.Fatalf("before the reply: %v", evs)
	}
	if si, _ := l.Session(h); si.State != StateTransportClosing {
		t.Fatal(si.State)
	}
	if err := l.AcceptReply(app, h, ErrNone); err != nil {
		t.Fatal(err)
	}
	if si, _ := l.Session(h); si.State != StateTransportClosing || si.Flags&FlagRxReady == 0 {
		t.Fatalf("after the reply: %+v", si)
	}
	l.FlushAppEvents(0)
	if evs := eventTypes(drain(q)); !slices.Equal(evs, []EventType{EventRx, EventDisconnected}) {
		t.Fatalf("after the reply: %v", evs)
	}
	buf := make([]byte, 16)
	if n, _ := l.Read(app, h, buf); string(buf[:n]) != "early" {
		t.Fatalf("read %q", buf[:n])
	}

	// DISCONNECTED dropped after the app closed.
	h2, _ := l.Accept(0, ls, 2, conn(1001), false)
	_ = l.AcceptNotify(h2)
	_ = l.AcceptReply(app, h2, ErrNone)
	_ = l.TransportReset(h2) // RESET queued
	_ = l.Close(app, h2)     // the app closes before the flush
	l.FlushAppEvents(0)
	if evs := eventTypes(drain(q)); slices.Contains(evs, EventReset) {
		t.Fatalf("RESET should be dropped after the app closed: %v", evs)
	}
	if l.Stats().EventsFiltered == 0 {
		t.Fatal("filtered events should be counted")
	}

	// A rejected accept: the session is closed and forgotten by the app.
	h3, _ := l.Accept(0, ls, 3, conn(1002), false)
	_ = l.AcceptNotify(h3)
	_ = l.AcceptReply(app, h3, ErrRefused)
	if si, _ := l.Session(h3); si.State != StateClosing || si.App != InvalidIndex {
		t.Fatalf("rejected: %+v", si)
	}
}

// TestCutThroughClose (§6.9): a cut-through pair shares one fifo pair in a
// segment of its own; data written by one side is read by the other; a
// close with unread data in the closer's rx resets the peer, otherwise the
// peer sees a close; both sides are freed, the segment goes, nothing leaks.
func TestCutThroughClose(t *testing.T) {
	for _, unread := range []bool{false, true} {
		cfg := smallConfig()
		cfg.Workers = 2
		l, _, _ := newTestLayer(t, cfg, EngineRuleTable)
		srv := mustAttach(t, l, AttachArgs{Name: "srv", Flags: AppUseLocalScope})
		cli := mustAttach(t, l, AttachArgs{Name: "cli", Flags: AppUseLocalScope})
		if _, err := l.Listen(ListenArgs{App: srv, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 7, FibIndex: InvalidIndex}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Connect(ConnectArgs{App: cli, Proto: ProtoTCP, Remote: ap("127.0.0.1:7"), FibIndex: InvalidIndex}); err != nil {
			t.Fatal(err)
		}
		sp, cp := newPlaceholder(l, srv), newPlaceholder(l, cli)
		settle(t, &TestTransport{L: l}, sp, cp)
		if cp.connected == InvalidHandle || sp.accepted == InvalidHandle || cp.segments != 1 || sp.segments != 1 {
			t.Fatalf("cut-through not established: %+v %+v", cp, sp)
		}
		ci, _ := l.Session(cp.connected)
		si, _ := l.Session(sp.accepted)
		if ci.Type.Proto() != ProtoCT || si.Type.Proto() != ProtoCT || ci.Thread != si.Thread || ci.Thread == 0 {
			t.Fatalf("CT sessions on a worker: %+v %+v", ci, si)
		}
		if _, err := l.Write(cli, cp.connected, []byte("ping")); err != nil {
			t.Fatal(err)
		}
		if unread {
			if _, err := l.Write(srv, sp.accepted, []byte("unread")); err != nil {
				t.Fatal(err)
			}
		}
		l.PollAll(0, 5)
		sevs := drain(queueOf(t, l, srv))
		if _, ok := hasEvent(sevs, EventRx); !ok {
			t.Fatalf("server should get RX: %v", sevs)
		}
		buf := make([]byte, 8)
		if n, _ := l.Read(srv, sp.accepted, buf); string(buf[:n]) != "ping" {
			t.Fatalf("server read %q", buf[:n])
		}
		drain(queueOf(t, l, cli))
		// The client closes; with unread data in its rx the server is reset.
		if err := l.Close(cli, cp.connected); err != nil {
			t.Fatal(err)
		}
		l.PollAll(0, 5)
		sevs = drain(queueOf(t, l, srv))
		want := EventDisconnected
		if unread {
			want = EventReset
		}
		if _, ok := hasEvent(sevs, want); !ok {
			t.Fatalf("unread=%v: server events %v, want %v", unread, eventTypes(sevs), want)
		}
		sp.events, cp.events = nil, nil
		if err := l.Close(srv, sp.accepted); err != nil {
			t.Fatal(err)
		}
		settle(t, &TestTransport{L: l}, sp, cp)
		if cp.segments != 0 || sp.segments != 0 {
			t.Fatal("the cut-through segment should be removed and both apps told")
		}
		if k := l.LeakCheck(); k.Sessions != 0 || k.Fifos != 0 || k.LocalEndpoints != 0 {
			t.Fatalf("leaks: %+v", k)
		}
		_ = l.Detach(srv)
		_ = l.Detach(cli)
		if k := l.LeakCheck(); !k.Empty() {
			t.Fatalf("leaks: %+v", k)
		}
	}
}

// TestCutThroughSharedFib (§5.7): two namespaces sharing a fib talk through
// cut-through when the client has local and global scope and the server
// listens with global scope; with local scope only the connect fails with
// SCOPE.
func TestCutThroughSharedFib(t *testing.T) {
	l, tcp, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	sw := loopback(t, l, "loop0", 0, "10.0.0.1/24")
	for _, id := range []string{"a", "b"} {
		if _, err := l.AddNamespace(NamespaceArgs{ID: id, SwIfIndex: sw}); err != nil {
			t.Fatal(err)
		}
	}
	srv := mustAttach(t, l, AttachArgs{Name: "srv", Namespace: "b"})
	if _, err := l.Listen(ListenArgs{App: srv, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 9, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	cli := mustAttach(t, l, AttachArgs{Name: "cli", Namespace: "a", Flags: AppUseLocalScope | AppUseGlobalScope})
	n := len(tcp.Calls)
	if _, err := l.Connect(ConnectArgs{App: cli, Proto: ProtoTCP, Remote: ap("10.0.0.1:9"), FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if len(tcp.Calls) != n || l.Stats().CTConnects != 1 {
		t.Fatalf("the connect should be cut-through, not TCP: %v", tcp.Ops()[n:])
	}
	local := mustAttach(t, l, AttachArgs{Name: "local", Namespace: "a", Flags: AppUseLocalScope})
	if _, err := l.Connect(ConnectArgs{App: local, Proto: ProtoTCP, Remote: ap("10.0.0.1:9"), FibIndex: InvalidIndex}); !errIs(err, ErrScope) {
		t.Fatalf("local scope only: %v", err)
	}
}

// TestDeleteRequest: with TransportDeleteRequest the transport's own
// cleanup runs only after the app processed the transport cleanup.
func TestDeleteRequest(t *testing.T) {
	l, tcp, app, ls := server(t, smallConfig(), AttachArgs{})
	h := established(l, app, ls, 4, 1000)
	_ = l.TransportClosing(h)
	_ = l.TransportClosed(h)
	if err := l.TransportDeleteRequest(h); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(tcp.Ops(), "cleanup") {
		t.Fatal("cleanup must wait for the app")
	}
	l.FlushAppEvents(0)
	if !slices.Contains(tcp.Ops(), "cleanup") {
		t.Fatalf("cleanup should run once the app processed CLEANUP(transport): %v", tcp.Ops())
	}
	_ = l.Close(app, h)
	l.PollAll(0, 5)
	if k := l.LeakCheck(); k.Sessions != 0 {
		t.Fatalf("leaks: %+v", k)
	}
}

// TestDetachWhileClosing: an app detaching from a session the transport is
// closing confirms the close, unlinks the transport and frees the session.
func TestDetachWhileClosing(t *testing.T) {
	l, tcp, app, ls := server(t, smallConfig(), AttachArgs{})
	h := established(l, app, ls, 4, 1000)
	_ = l.TransportClosing(h)
	if err := l.Detach(app); err != nil {
		t.Fatal(err)
	}
	if got := tcp.Ops(); !slices.Equal(got, []string{"listen", "unlisten", "close", "unlink"}) {
		t.Fatalf("calls %v", got)
	}
	if k := l.LeakCheck(); !k.Empty() {
		t.Fatalf("leaks: %+v", k)
	}
}

// TestStatsViews: sessions per state, closes per path, views.
func TestStatsViews(t *testing.T) {
	l, _, app, ls := server(t, smallConfig(), AttachArgs{})
	var hs []Handle
	for i := range 3 {
		hs = append(hs, established(l, app, ls, uint32(i), uint16(1000+i)))
	}
	_ = l.Close(app, hs[0])
	_ = l.TransportClosing(hs[1])
	_ = l.TransportReset(hs[2])
	c := l.TotalStateCounts()
	if c[StateListening] != 1 || c[StateClosing] != 1 || c[StateTransportClosing] != 2 {
		t.Fatalf("states %v", c)
	}
	if s := l.Stats(); s.ClosesApp != 1 || s.ClosesTransport != 1 || s.ClosesReset != 1 || s.Accepted != 3 {
		t.Fatalf("stats %+v", s)
	}
	n := 0
	l.Sessions(func(si SessionInfo) bool {
		if si.State != StateListening && (si.App != app || si.Listener != ls || si.Local != ap("10.0.0.1:80")) {
			t.Errorf("session view %+v", si)
		}
		n++
		return true
	})
	if n != 4 || l.SessionsPerThread()[0] != 4 {
		t.Fatalf("%d sessions", n)
	}
	apps := l.Apps()
	if len(apps) != 1 || apps[0].Sessions != 3 || len(apps[0].Listeners) != 1 || apps[0].Listeners[0].Handle != ls {
		t.Fatalf("apps %+v", apps)
	}
	tabs := l.Tables()
	if len(tabs) < 3 || tabs[0].Hashes[0].Stats.Pairs != 4 || tabs[0].Hashes[0].Format(0) == "" {
		t.Fatalf("tables %+v", tabs[0])
	}
	if f := l.ActiveFibs(); !slices.Equal(f[0], []uint32{0}) || !slices.Equal(f[1], []uint32{0}) {
		t.Fatalf("active fibs %v", f)
	}
}

// TestWorkers: a listener shared by two workers hands accepts out round
// robin; deleting a worker detaches its sessions and leaves the listener
// to the other.
func TestWorkers(t *testing.T) {
	l, _, app, ls := server(t, smallConfig(), AttachArgs{})
	m, err := l.AddWorker(app)
	if err != nil || m != 1 {
		t.Fatalf("add worker: %d %v", m, err)
	}
	if _, err := l.Listen(ListenArgs{App: app, Worker: m, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 80, FibIndex: InvalidIndex}); err != nil {
		t.Fatalf("the second worker joins the listener: %v", err)
	}
	if _, err := l.Listen(ListenArgs{App: app, Worker: m, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 80, FibIndex: InvalidIndex}); !errIs(err, ErrAlreadyListening) {
		t.Fatal(err)
	}
	q0, _ := l.Queue(app, 0)
	q1, _ := l.Queue(app, m)
	for i := range 4 {
		if _, err := l.Accept(0, ls, uint32(i), conn(uint16(1000+i)), true); err != nil {
			t.Fatal(err)
		}
	}
	l.FlushAppEvents(0)
	if q0.Len() != 2 || q1.Len() != 2 {
		t.Fatalf("round robin: %d and %d accepts", q0.Len(), q1.Len())
	}
	if err := l.DelWorker(app, 0); !errIs(err, ErrInvalid) {
		t.Fatal(err)
	}
	if err := l.DelWorker(app, m); err != nil {
		t.Fatal(err)
	}
	if apps := l.Apps(); len(apps[0].Listeners[0].Workers) != 1 || apps[0].Sessions != 2 {
		t.Fatalf("after deleting the worker: %+v", apps[0])
	}
	if _, err := l.Queue(app, m); !errIs(err, ErrInvalidAppWrk) {
		t.Fatal(err)
	}
}

// TestCutThroughClientGone: a client that detaches while its cut-through
// accept is pending leaves the server a session that is disconnected (a
// closing notification, as VPP's ct_session_force_disconnect_server sends)
// as soon as the server accepts it; everything is freed once the server
// closes.
func TestCutThroughClientGone(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	srv := mustAttach(t, l, AttachArgs{Name: "srv", Flags: AppUseLocalScope})
	cli := mustAttach(t, l, AttachArgs{Name: "cli", Flags: AppUseLocalScope})
	if _, err := l.Listen(ListenArgs{App: srv, Proto: ProtoTCP, Addr: ip("0.0.0.0"), Port: 7, FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Connect(ConnectArgs{App: cli, Proto: ProtoTCP, Remote: ap("127.0.0.1:7"), FibIndex: InvalidIndex}); err != nil {
		t.Fatal(err)
	}
	l.PollAll(0, 5)
	acc, ok := hasEvent(drain(queueOf(t, l, srv)), EventAccepted)
	if !ok {
		t.Fatal("no accept")
	}
	if err := l.Detach(cli); err != nil {
		t.Fatal(err)
	}
	if err := l.AcceptReply(srv, acc.Handle, ErrNone); err != nil {
		t.Fatal(err)
	}
	l.PollAll(0, 5)
	if _, ok := hasEvent(drain(queueOf(t, l, srv)), EventDisconnected); !ok {
		t.Fatal("the server should see the client's departure as a disconnect")
	}
	if err := l.Close(srv, acc.Handle); err != nil {
		t.Fatal(err)
	}
	l.PollAll(0, 5)
	if err := l.Detach(srv); err != nil {
		t.Fatal(err)
	}
	if k := l.LeakCheck(); !k.Empty() {
		t.Fatalf("leaks: %+v", k)
	}
}

// clTransport is a connectionless TestTransport.
type clTransport struct{ TestTransport }

func (*clTransport) Connectionless() bool { return true }

// TestConnectionlessOpen (§6.2 session_open_cl): a connect over a
// connectionless transport opens the session at once (OPENED, IS_CLESS)
// and the application gets CONNECTED without a half-open; a datagram accept
// goes straight to ACCEPTING.
func TestConnectionlessOpen(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	udp := &clTransport{TestTransport{L: l}}
	if err := l.RegisterTransport(ProtoUDP, udp); err != nil {
		t.Fatal(err)
	}
	loopback(t, l, "loop0", 0, "10.0.0.1/24")
	a := mustAttach(t, l, AttachArgs{Name: "a"})
	h, err := l.Connect(ConnectArgs{App: a, Proto: ProtoUDP, Remote: ap("10.0.0.2:53"), FibIndex: InvalidIndex, Context: 3})
	if err != nil {
		t.Fatal(err)
	}
	si, _ := l.Session(h)
	if si.State != StateOpened || si.Flags&FlagIsCless == 0 || si.Flags&FlagHalfOpen != 0 {
		t.Fatalf("cl session: %+v", si)
	}
	if r := l.Lookup(si.Thread, 0, ProtoUDP, si.Local.Addr(), si.Remote.Addr(), si.Local.Port(), si.Remote.Port()); r.Kind != LookupSession || r.Handle != h {
		t.Fatalf("lookup: %+v", r)
	}
	l.PollAll(0, 3)
	if evs := drain(queueOf(t, l, a)); len(evs) != 1 || evs[0].Type != EventConnected || evs[0].Handle != h || evs[0].Context != 3 {
		t.Fatalf("events %v", evs)
	}
	ls, err := l.Listen(ListenArgs{App: a, Proto: ProtoUDP, Addr: ip("0.0.0.0"), Port: 53, FibIndex: InvalidIndex})
	if err != nil {
		t.Fatal(err)
	}
	dh, err := l.AcceptDgram(0, ls, 9, Connection{Proto: ProtoUDP, Local: ap("10.0.0.1:53"), Remote: ap("10.0.0.7:5000")})
	if err != nil {
		t.Fatal(err)
	}
	if di, _ := l.Session(dh); di.State != StateAccepting {
		t.Fatal(di.State)
	}
	l.PollAll(0, 3)
	if evs := drain(queueOf(t, l, a)); len(evs) != 1 || evs[0].Type != EventAccepted {
		t.Fatalf("events %v", evs)
	}
	// RESET_REPLY is ignored until the transport closes.
	if err := l.ResetReply(a, dh); err != nil {
		t.Fatal(err)
	}
	if di, _ := l.Session(dh); di.Flags&FlagAppClosed != 0 {
		t.Fatal("reset reply before the transport closed must be ignored")
	}
	_ = l.TransportReset(dh)
	_ = l.ResetReply(a, dh)
	if di, _ := l.Session(dh); di.State != StateClosing {
		t.Fatal(di.State)
	}
}
