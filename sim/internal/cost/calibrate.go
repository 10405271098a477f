package cost

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/sessionlab/sessionlab/core/fifo"
	"github.com/sessionlab/sessionlab/core/rules"
	"github.com/sessionlab/sessionlab/core/session"
)

// Calibration times the real core operations on this machine: session-table
// lookups (hit, and the miss path through the rules and the listeners),
// accepts, closes, fifo enqueue and dequeue at two sizes (fixed and
// per-byte parts), and application event delivery. The remaining
// operations keep their built-in costs. Each figure is the fastest of three
// timed rounds, which discards rounds a busy machine disturbed.
//
// It runs once per process (the sweep's points share it) and takes some
// tens of milliseconds.
var (
	calOnce  sync.Once
	calModel Model
	calErr   error
)

// Calibrate returns the built-in model with the calibrated operations
// replaced by their cost measured on this machine.
func Calibrate() (Model, error) {
	calOnce.Do(func() { calModel, calErr = calibrate() })
	return calModel, calErr
}

// best runs f rounds times and returns the fastest per-iteration time in
// nanoseconds.
func best(iters int, f func(n int)) float64 {
	b := 0.0
	for r := 0; r < 3; r++ {
		t0 := time.Now()
		f(iters)
		ns := float64(time.Since(t0).Nanoseconds()) / float64(iters)
		if r == 0 || ns < b {
			b = ns
		}
	}
	return b
}

func calibrate() (Model, error) {
	m := BuiltinModel()
	m.Source = Calibrated
	l, err := session.New(session.Options{Config: session.Config{
		V4SessionBuckets: 1 << 14, V4SessionMemory: 64 << 20, HeapSegments: true,
	}})
	if err != nil {
		return m, err
	}
	defer l.Release()
	if err := l.Enable(session.EngineRuleTable); err != nil {
		return m, err
	}
	if err := l.RegisterTransport(session.ProtoTCP, session.NopTransport{}); err != nil {
		return m, err
	}
	app, err := l.Attach(session.AttachArgs{Name: "calibrate", SegmentSize: 256 << 20, Flags: session.AppAddSegment, EventQueueSize: 1 << 16})
	if err != nil {
		return m, err
	}
	q, err := l.Queue(app, 0)
	if err != nil {
		return m, err
	}
	ls, err := l.Listen(session.ListenArgs{App: app, Proto: session.ProtoTCP, Addr: netip.IPv4Unspecified(), Port: 80, FibIndex: session.InvalidIndex})
	if err != nil {
		return m, err
	}
	lcl := netip.MustParseAddr("10.0.0.1")
	const nSess = 4096
	hs := make([]session.Handle, 0, nSess)
	rmts := make([][4]byte, nSess)
	rng := rand.New(rand.NewPCG(1, 2))
	// drain empties the app queue and delivers what waited for room (a
	// burst of control events outgrows the control ring), until nothing
	// is left on either side, so no accept meets a congested worker.
	drain := func() {
		for {
			popped := 0
			for {
				if _, ok := q.Pop(); !ok {
					break
				}
				popped++
			}
			if l.FlushAppEvents(0) == 0 && popped == 0 {
				return
			}
		}
	}
	// Accepts (session, fifos, table insert, notification), the fastest
	// of three rounds of nSess accepts; the sessions of the last round stay
	// for the lookups.
	for i := range rmts {
		rmts[i] = [4]byte{172, 16, byte(rng.UintN(256)), byte(i)}
	}
	var conn uint32
	acceptNS := 0.0
	for r := 0; r < 3; r++ {
		if r > 0 {
			for _, h := range hs {
				_ = l.TransportDelete(h)
			}
			l.PollAll(0, 8)
			drain()
			hs = hs[:0]
		}
		t0 := time.Now()
		for i := range nSess {
			c := session.Connection{Proto: session.ProtoTCP, Local: netip.AddrPortFrom(lcl, 80),
				Remote: netip.AddrPortFrom(netip.AddrFrom4(rmts[i]), uint16(1024+i))}
			conn++
			h, err := l.Accept(0, ls, conn, c, true)
			if err != nil {
				return m, fmt.Errorf("calibration accept: %w", err)
			}
			hs = append(hs, h)
		}
		d := float64(time.Since(t0).Nanoseconds()) / nSess
		if r == 0 || d < acceptNS {
			acceptNS = d
		}
		l.FlushAppEvents(0)
		drain()
		for _, h := range hs {
			_ = l.AcceptReply(app, h, session.ErrNone)
		}
	}
	// Lookups of established sessions.
	lcl4 := lcl.As4()
	hit := best(50000, func(n int) {
		for i := range n {
			k := i % nSess
			_ = l.Lookup4(0, 0, session.ProtoTCP, lcl4, rmts[k], 80, uint16(1024+k))
		}
	})
	// The miss path: rules (empty), then the listeners.
	miss := best(50000, func(n int) {
		for i := range n {
			_ = l.Lookup4(0, 0, session.ProtoTCP, lcl4, [4]byte{192, 0, 2, byte(i)}, 80, uint16(i))
		}
	})
	// With 1000 rules in the global table.
	for i := range 1000 {
		r := rules.Rule{Lcl: netip.MustParsePrefix("0.0.0.0/0"), Rmt: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24),
			Proto: rules.ProtoTCP, Action: rules.ActionAllow}
		if err := l.RuleAddDel(session.RuleArgs{Rule: r, IsAdd: true}); err != nil {
			return m, fmt.Errorf("calibration rule: %w", err)
		}
	}
	missRules := best(50000, func(n int) {
		for i := range n {
			_ = l.Lookup4(0, 0, session.ProtoTCP, lcl4, [4]byte{10, 1, byte(i), 7}, 80, uint16(i))
		}
	})
	// Fifo enqueue and dequeue at 64 and 1460 bytes.
	f, err := fifo.NewHeapSegment("calibrate", 1<<20)
	if err != nil {
		return m, err
	}
	defer f.Close()
	rx, err := f.AllocFifo(256<<10, fifo.KindRx)
	if err != nil {
		return m, err
	}
	buf := make([]byte, 1460)
	fifoPair := func(size int) (enq, deq float64) {
		p := buf[:size]
		enq = best(20000, func(n int) {
			for range n {
				if _, err := rx.Enqueue(p); err != nil {
					rx.DropAll()
				}
				if rx.MaxEnqueue() < uint32(size) {
					rx.DropAll()
				}
			}
		})
		deq = best(20000, func(n int) {
			for range n {
				_, _ = rx.Enqueue(p)
				_, _ = rx.Dequeue(p)
			}
		}) - enq
		return enq, max(deq, 1)
	}
	e64, d64 := fifoPair(64)
	e1460, d1460 := fifoPair(1460)
	perByte := func(a, b float64) float64 { return max((b-a)/(1460-64), 0) }
	// Event delivery: RX events through FlushAppEvents.
	data := buf[:64]
	event := best(2000, func(n int) {
		for i := range n {
			h := hs[i%len(hs)]
			_, _ = l.Enqueue(h, data)
			l.FlushAppEvents(0)
			drain()
			rxf, _, _ := l.Fifos(h)
			rxf.DropAll()
			rxf.UnsetEvent()
		}
	})
	event -= e64
	// Closes: application close, control event, transport closed and
	// deleted, cleanups delivered.
	var closeNS float64
	{
		t0 := time.Now()
		for _, h := range hs {
			_ = l.Close(app, h)
		}
		l.RunCtrlEvents(0, 0)
		for _, h := range hs {
			_ = l.TransportClosed(h)
			_ = l.TransportDelete(h)
		}
		l.PollAll(0, 64)
		drain()
		closeNS = float64(time.Since(t0).Nanoseconds()) / float64(len(hs))
	}

	set := func(op Op, ns float64) {
		if ns > 0 {
			m.PS[op] = toPS(ns)
		}
	}
	set(Lookup, hit)
	set(ListenerLookup, miss-2*hit)
	set(RuleLookup, missRules-miss)
	set(Accept, acceptNS-float64(m.PS[Insert])/1000)
	set(Enqueue, e64-64*perByte(e64, e1460))
	set(EnqueueByte, perByte(e64, e1460))
	set(Dequeue, d64-64*perByte(d64, d1460))
	set(DequeueByte, perByte(d64, d1460))
	set(Event, event)
	// A close is four state-machine steps (close, control event, closed,
	// delete) plus the table delete and the cleanup deliveries.
	set(Close, (closeNS-float64(m.PS[Delete])/1000)/4)
	return m, nil
}
