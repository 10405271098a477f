package session

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"
)

// cycler runs open-data-close-free cycles: a passive open (accept, accept
// notification, the application's accept reply), 64 bytes of data (enqueue,
// RX event, application read), an application close (control event,
// transport close), the transport's closed and delete notifications, and
// the application's processing of the cleanups that free the session.
type cycler struct {
	l    *Layer
	app  uint32
	ls   Handle
	q    *EventQueue
	port uint16
	data []byte
	buf  []byte
	lcl  netip.AddrPort
	rmt  netip.Addr
}

func newCycler(tb testing.TB, prealloc uint32) *cycler {
	cfg := smallConfig()
	cfg.PreallocatedSessions = prealloc
	l, err := New(Options{Config: cfg})
	if err != nil {
		tb.Fatal(err)
	}
	if err := l.Enable(EngineRuleTable); err != nil {
		tb.Fatal(err)
	}
	if err := l.RegisterTransport(ProtoTCP, NopTransport{}); err != nil {
		tb.Fatal(err)
	}
	app := mustAttach(tb, l, AttachArgs{Name: "bench"})
	ls, err := l.Listen(ListenArgs{App: app, Proto: ProtoTCP, Addr: netip.IPv4Unspecified(), Port: 80, FibIndex: InvalidIndex})
	if err != nil {
		tb.Fatal(err)
	}
	c := &cycler{l: l, app: app, ls: ls, q: queueOf(tb, l, app), port: 1024,
		data: make([]byte, 64), buf: make([]byte, 64),
		lcl: netip.MustParseAddrPort("10.0.0.1:80"), rmt: netip.MustParseAddr("10.0.0.2")}
	for range 64 { // warm the rings and slices up
		c.cycle(tb)
	}
	return c
}

func (c *cycler) cycle(tb testing.TB) {
	l := c.l
	c.port++
	if c.port == 0 {
		c.port = 1024
	}
	conn := Connection{Proto: ProtoTCP, Local: c.lcl, Remote: netip.AddrPortFrom(c.rmt, c.port)}
	h, err := l.Accept(0, c.ls, uint32(c.port), conn, false)
	if err != nil {
		tb.Fatal(err)
	}
	_ = l.AcceptNotify(h)
	l.FlushAppEvents(0)
	if ev, _ := c.q.Pop(); ev.Type != EventAccepted {
		tb.Fatalf("want ACCEPTED, got %v", ev)
	}
	_ = l.AcceptReply(c.app, h, ErrNone)
	_, _ = l.Enqueue(h, c.data)
	l.FlushAppEvents(0)
	if ev, _ := c.q.Pop(); ev.Type != EventRx {
		tb.Fatalf("want RX, got %v", ev)
	}
	if n, _ := l.Read(c.app, h, c.buf); n != len(c.data) {
		tb.Fatalf("read %d bytes", n)
	}
	_ = l.Close(c.app, h)
	l.RunCtrlEvents(0, 0)
	_ = l.TransportClosed(h)
	_ = l.TransportDelete(h)
	l.FlushAppEvents(0)
	for n := 0; ; n++ {
		if _, ok := c.q.Pop(); !ok {
			if n != 3 {
				tb.Fatalf("want 3 close events, got %d", n)
			}
			break
		}
	}
}

// BenchmarkCycle measures open-data-close-free cycles on one goroutine,
// with a preallocated (fixed) session pool and with a growable one, and
// reports cycles/s (the target, 1M cycles/s, is an absolute line
// in benchdata/targets/session.txt).
func BenchmarkCycle(b *testing.B) {
	for _, bc := range []struct {
		name     string
		prealloc uint32
	}{{"prealloc", 1 << 12}, {"growable", 0}} {
		b.Run("impl="+bc.name, func(b *testing.B) {
			c := newCycler(b, bc.prealloc)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				c.cycle(b)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cycles/s")
		})
	}
}

// benchTuple is a 5-tuple of the lookup benchmark.
type benchTuple struct {
	lcl, rmt     [4]byte
	lport, rport uint16
}

// lookupFixture holds n established sessions (records and table entries,
// without fifos: the lookup does not touch them) and the same 5-tuples in
// a Go map.
type lookupFixture struct {
	l      *Layer
	tuples []benchTuple
	m      map[benchTuple]Handle
}

func newLookupFixture(tb testing.TB, n int) *lookupFixture {
	cfg := smallConfig()
	cfg.V4SessionBuckets = uint32(n / 2)
	cfg.V4SessionMemory = 256 << 20
	l, err := New(Options{Config: cfg})
	if err != nil {
		tb.Fatal(err)
	}
	if err := l.Enable(EngineRuleTable); err != nil {
		tb.Fatal(err)
	}
	f := &lookupFixture{l: l, tuples: make([]benchTuple, n), m: make(map[benchTuple]Handle, n)}
	l.threads[0].pool.reserve(n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		var t benchTuple
		binary.BigEndian.PutUint32(t.lcl[:], 0x0a000000|uint32(i>>16))
		binary.BigEndian.PutUint32(t.rmt[:], r.Uint32())
		t.lport, t.rport = 80, uint16(i)
		s, si, ok := l.allocSession(0)
		if !ok {
			tb.Fatal("pool")
		}
		s.stype = MakeSessionType(ProtoTCP, true)
		copy(s.lcl[12:], t.lcl[:])
		copy(s.rmt[12:], t.rmt[:])
		s.lport, s.rport = t.lport, t.rport
		l.setState(0, s, StateReady)
		h := MakeHandle(0, si)
		if e := l.addSessionEntry(s, h); e != ErrNone {
			tb.Fatal(e)
		}
		f.tuples[i] = t
		f.m[t] = h
	}
	r.Shuffle(n, func(i, j int) { f.tuples[i], f.tuples[j] = f.tuples[j], f.tuples[i] })
	// Finish the collection the set-up triggered, so that it does not run
	// concurrently with the measurement.
	runtime.GC()
	return f
}

// BenchmarkLookup measures established-session lookups at 1M sessions:
// the layer's Lookup4 (bihash, §3.3 order: established hit) against a Go
// map of the same 5-tuples.
func BenchmarkLookup(b *testing.B) {
	const n = 1 << 20
	f := newLookupFixture(b, n)
	b.Run("sessions=1M/impl=session", func(b *testing.B) {
		var miss int
		for i := range b.N {
			t := &f.tuples[i&(n-1)]
			if r := f.l.Lookup4(0, 0, ProtoTCP, t.lcl, t.rmt, t.lport, t.rport); r.Kind != LookupSession {
				miss++
			}
		}
		if miss > 0 {
			b.Fatalf("%d misses", miss)
		}
	})
	b.Run("sessions=1M/impl=map", func(b *testing.B) {
		var miss int
		for i := range b.N {
			if _, ok := f.m[f.tuples[i&(n-1)]]; !ok {
				miss++
			}
		}
		if miss > 0 {
			b.Fatalf("%d misses", miss)
		}
	})
}

// BenchmarkSessionMemory measures establishing a session (accept with
// fifos and lookup entry, growable pools) and reports the heap bytes and
// allocations per session and the lookup-table arena bytes per session.
// Sessions accumulate in batches of 16384 per layer.
func BenchmarkSessionMemory(b *testing.B) {
	const batch = 1 << 14
	var heap, mallocs, table uint64
	var l *Layer
	var ls Handle
	lcl := netip.MustParseAddrPort("10.0.0.1:80")
	var before, after runtime.MemStats
	b.ResetTimer()
	for i := 0; i < b.N; {
		b.StopTimer()
		cfg := smallConfig()
		cfg.V4SessionBuckets = batch
		cfg.V4SessionMemory = 64 << 20
		var err error
		if l, err = New(Options{Config: cfg}); err != nil {
			b.Fatal(err)
		}
		if err := l.Enable(EngineRuleTable); err != nil {
			b.Fatal(err)
		}
		_ = l.RegisterTransport(ProtoTCP, NopTransport{})
		app := mustAttach(b, l, AttachArgs{Name: "mem", SegmentSize: 160 << 20})
		ls, _ = l.Listen(ListenArgs{App: app, Proto: ProtoTCP, Addr: netip.IPv4Unspecified(), Port: 80, FibIndex: InvalidIndex})
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		j := 0
		for ; j < batch && i < b.N; j, i = j+1, i+1 {
			rmt := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(j >> 8), byte(j)}), 5000)
			if _, err := l.Accept(0, ls, uint32(j), Connection{Proto: ProtoTCP, Local: lcl, Remote: rmt}, false); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		runtime.ReadMemStats(&after)
		heap += after.TotalAlloc - before.TotalAlloc
		mallocs += after.Mallocs - before.Mallocs
		st := l.Tables()[0].Hashes[0].Stats
		table += st.ArenaUsed - st.BucketArrayBytes
		if err := l.Release(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(heap)/float64(b.N), "heapB/session")
	b.ReportMetric(float64(mallocs)/float64(b.N), "allocs/session")
	b.ReportMetric(float64(table)/float64(b.N), "tableB/session")
}
