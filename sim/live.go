package sim

import (
	"context"
	"errors"
	"io"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionlab/sessionlab/core/msgq"
	"github.com/sessionlab/sessionlab/sim/internal/metrics"
	"github.com/sessionlab/sessionlab/sim/internal/shim"
	"github.com/sessionlab/sessionlab/traffic/packet"
	"github.com/sessionlab/sessionlab/traffic/pcap"
)

// Live mode: real goroutines on the wall clock.
//
//	feed goroutines (one per source: read, pace, classify, hash)
//	    ──TryEnqueue──> per-worker msgq.Queue (bounded; full → queue_full)
//	worker goroutines (one per worker: WaitBatch up to BatchSize)
//	    ──lock──> model.batch (shim, layer, settle, apps) ──unlock
//	control goroutine (every millisecond: clients, shim timers,
//	    telemetry, progress) ──lock──> model.tick / model.sample
//
// The session layer is single-threaded (core/session's Layer is not safe
// for concurrent use), so every step holds one mutex: the workers contend
// for it, as VPP's workers would contend for a shared structure. A batch
// holds the lock once for up to BatchSize packets, which keeps the cost
// of the lock itself to a few nanoseconds per packet (BenchmarkPipeline
// measures it: impl=lock against impl=nolock on one worker). The queues
// and the dispatch run outside the lock, truly in parallel.

// clockFunc adapts the model's wall clock for a pcap.Pacer. The pacer
// spins on Now during the last stretch before a packet is due (sleeps
// overshoot; spinning hits 10 µs gaps); Now yields the processor first, so
// a spinning source leaves the workers their share of a small machine
// instead of holding a core.
type clockFunc func() int64

// Now yields, then reads the model's wall clock.
func (c clockFunc) Now() int64 {
	runtime.Gosched()
	return c()
}

// Sleep sleeps on the real clock.
func (c clockFunc) Sleep(d time.Duration) { time.Sleep(d) }

// feedCounts are one feed goroutine's counters, merged at the end.
type feedCounts struct {
	offered, offeredBytes, outbound, nonflow uint64
}

// dispatch hands a source's packet (direction d, read at now) to its
// worker's queue, counting it in c: the feed side of the pipeline. It
// reports whether the packet was measured and whether it was inbound.
func (m *model) dispatch(qs []*msgq.Queue[shim.Packet], p *packet.Packet, d direction, now int64, measured bool, c *feedCounts) (bool, bool) {
	switch d {
	case outbound:
		if measured {
			c.outbound++
		}
		return measured, false
	case nonflow:
		if measured {
			c.nonflow++
		}
		return measured, false
	}
	pk := m.toShim(p, now)
	pk.Measured = measured
	if measured {
		c.offered++
		c.offeredBytes += uint64(pk.Wire)
	}
	if err := qs[m.workerOf(&pk)].TryEnqueue(pk); err != nil && measured {
		m.rec.DropAtomic(metrics.QueueFull)
	}
	return measured, true
}

// liveBatch is the worker side: one dequeued batch through the model,
// under the layer's lock, and the packets' latencies (dispatch to the end
// of the batch).
func (m *model) liveBatch(mu sync.Locker, w int, buf []shim.Packet) {
	mu.Lock()
	m.liveStep()
	m.batch(w, buf, nil)
	if m.rec.On {
		now := m.wall()
		for i := range buf {
			if buf[i].Measured {
				m.rec.Packet.Record(now - buf[i].T)
			}
		}
	}
	mu.Unlock()
}

// runLive runs the repetition live and returns the measured span.
func (m *model) runLive(ctx context.Context, feeds []*feed, win window) (int64, error) {
	var mu sync.Mutex
	for _, f := range feeds {
		if ps, ok := f.st.(*pcapStream); ok {
			ps.lock = &mu
		}
	}
	capacity := int(m.cfg.Session.WorkerMQLength())
	qs := make([]*msgq.Queue[shim.Packet], m.workers)
	for i := range qs {
		q, err := msgq.NewQueue[shim.Packet](capacity)
		if err != nil {
			return 0, err
		}
		qs[i] = q
	}
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }) }
	var measured atomic.Uint64
	var feedErr error
	var errOnce sync.Once
	fail := func(err error) {
		errOnce.Do(func() { feedErr = err })
		halt()
	}

	mu.Lock()
	m.liveStep()
	for _, a := range m.apps.Apps() {
		if a.IsClient() {
			a.Start(m.now())
		}
	}
	warmed := win.warm <= 0
	if warmed {
		m.startMeasuring()
	}
	mu.Unlock()

	counts := make([]feedCounts, len(feeds))
	var feedsWG sync.WaitGroup
	var feedsLeft atomic.Int32
	feedsLeft.Store(int32(len(feeds)))
	for i, f := range feeds {
		feedsWG.Add(1)
		go func() {
			defer feedsWG.Done()
			defer func() {
				if feedsLeft.Add(-1) == 0 && win.end == math.MaxInt64 {
					halt()
				}
			}()
			c := &counts[i]
			pacer := pcap.NewPacer(clockFunc(m.wall))
			pacer.Wait(0)
			var p packet.Packet
			for {
				select {
				case <-stop:
					return
				default:
				}
				d, err := f.st.next(&p)
				if err != nil {
					if !errors.Is(err, io.EOF) {
						fail(err)
					}
					return
				}
				if !f.realtime {
					if p.Timestamp >= win.end {
						return
					}
					pacer.Wait(p.Timestamp)
				}
				now := m.wall()
				if now >= win.end {
					return
				}
				isMeasured, ok := m.dispatch(qs, &p, d, now, now >= win.warm, c)
				if ok && isMeasured && win.packets > 0 && measured.Add(1) >= win.packets {
					halt()
					return
				}
			}
		}()
	}

	var workersWG sync.WaitGroup
	for w := range qs {
		workersWG.Add(1)
		go func() {
			defer workersWG.Done()
			buf := make([]shim.Packet, BatchSize)
			for {
				n, err := qs[w].WaitBatch(buf)
				if err != nil {
					return
				}
				m.liveBatch(&mu, w, buf[:n])
			}
		}()
	}

	depth := func(w int) int { return qs[w].Len() }
	ctlDone := make(chan struct{})
	go func() {
		defer close(ctlDone)
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		nextSample := int64(0)
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				halt()
				return
			case <-tk.C:
			}
			mu.Lock()
			m.liveStep()
			now := m.now()
			if !warmed && now >= win.warm {
				m.startMeasuring()
				warmed = true
			}
			if d := m.nextTick(); d >= 0 && d <= now {
				m.tick(now)
			}
			if now >= nextSample {
				m.sample(now, depth, false)
				nextSample = now + win.sample
			}
			if win.progress != nil {
				win.progress(float64(now), win.total())
			}
			// Without a duration the run ends when the sources and the
			// clients are done.
			done := win.end == math.MaxInt64 && feedsLeft.Load() == 0 && m.apps.ClientsDone()
			mu.Unlock()
			if now >= win.end || done {
				halt()
				return
			}
		}
	}()

	<-stop
	feedsWG.Wait()
	end := m.wall()
	for _, q := range qs {
		q.Close()
	}
	workersWG.Wait()
	<-ctlDone
	mu.Lock()
	defer mu.Unlock()
	for _, c := range counts {
		m.rec.Count(metrics.Offered, c.offered)
		m.rec.Count(metrics.OfferedBytes, c.offeredBytes)
		m.rec.Count(metrics.Outbound, c.outbound)
		m.rec.Count(metrics.Nonflow, c.nonflow)
	}
	if !warmed {
		m.startMeasuring()
	}
	m.liveStep()
	m.sample(m.now(), depth, true)
	m.endMeasuring()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if feedErr != nil {
		return 0, feedErr
	}
	if win.end != math.MaxInt64 && end > win.end {
		end = win.end
	}
	return max(end-win.warm, 0), nil
}
