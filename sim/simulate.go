package sim

import (
	"context"
	"errors"
	"io"
	"math"
	"time"

	"github.com/sessionlab/sessionlab/sim/internal/metrics"
	"github.com/sessionlab/sessionlab/sim/internal/shim"
	"github.com/sessionlab/sessionlab/traffic/packet"
)

// BatchSize is the most packets a worker takes from its queue in one step
// (VPP's frame size): the packets are processed one after another, then
// the layer's events and the applications run once for the whole batch.
const BatchSize = 256

// window is a repetition's time frame.
type window struct {
	// warm is when measuring starts; end when traffic stops (math.MaxInt64:
	// when the sources end); packets, when non-zero, ends the repetition
	// after that many measured packets instead.
	warm, end int64
	packets   uint64
	// sample is the telemetry interval.
	sample int64
	// progress, when set, is told how far the repetition is.
	progress func(done, total float64)
}

// total returns the span progress is reported against.
func (w *window) total() float64 {
	if w.end == math.MaxInt64 {
		return 0
	}
	return float64(w.end)
}

// simWorker is a worker queue on the virtual clock: the packets that
// arrived and wait for the worker (a ring of fixed capacity), and when the
// worker is next free.
type simWorker struct {
	q       []shim.Packet
	head, n int
	busy    int64
}

func (w *simWorker) push(p shim.Packet) bool {
	if w.n == len(w.q) {
		return false
	}
	w.q[(w.head+w.n)%len(w.q)] = p
	w.n++
	return true
}

func (w *simWorker) pop() shim.Packet {
	p := w.q[w.head]
	w.head = (w.head + 1) % len(w.q)
	w.n--
	return p
}

// simFeed is a source with its next inbound packet.
type simFeed struct {
	f    *feed
	pk   shim.Packet
	has  bool
	raw  packet.Packet
	done bool
}

// Agents of the discrete-event loop, in the order that breaks ties at
// equal times: the warm-up switch and telemetry first (they observe the
// state as of that instant), then timers, arrivals, and workers finishing.
const (
	agWarm = iota
	agSample
	agTick
	agFeed
	agWorker
	agEnd
)

// simulate runs the repetition on the virtual clock: a discrete-event
// loop over the sources' arrivals, the workers' service completions, the
// applications' and the shim's timers and the telemetry samples. A step's
// length is what the cost ledger charged for it. It returns the measured
// span.
func (m *model) simulate(ctx context.Context, feeds []*feed, win window) (int64, error) {
	capacity := int(m.cfg.Session.WorkerMQLength())
	ws := make([]simWorker, m.workers)
	for i := range ws {
		ws[i].q = make([]shim.Packet, capacity)
	}
	sf := make([]simFeed, len(feeds))
	for i, f := range feeds {
		sf[i].f = f
	}
	buf := make([]shim.Packet, BatchSize)
	done := make([]int64, BatchSize)
	var measuredPkts uint64
	lastT := int64(0)
	end := win.end
	ended := false

	// advance reads feed i's next inbound packet; packets of other
	// directions are counted and skipped.
	advance := func(f *simFeed) error {
		for {
			d, err := f.f.st.next(&f.raw)
			if err != nil {
				f.has, f.done = false, true
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			t := f.raw.Timestamp
			if t >= end {
				f.has, f.done = false, true
				return nil
			}
			measured := t >= win.warm
			switch d {
			case outbound:
				if measured {
					m.rec.Count(metrics.Outbound, 1)
				}
				continue
			case nonflow:
				if measured {
					m.rec.Count(metrics.Nonflow, 1)
				}
				continue
			}
			f.pk = m.toShim(&f.raw, t)
			f.pk.Measured = measured
			f.has = true
			return nil
		}
	}
	for i := range sf {
		if err := advance(&sf[i]); err != nil {
			return 0, err
		}
	}

	runBatch := func(w int, t int64) {
		wk := &ws[w]
		m.stepStart = t
		m.led.Reset()
		n := min(wk.n, BatchSize)
		for i := range n {
			buf[i] = wk.pop()
		}
		m.batch(w, buf[:n], done[:n])
		if m.rec.On {
			for i := range n {
				if buf[i].Measured {
					m.rec.Packet.Record(done[i] - buf[i].T)
				}
			}
		}
		wk.busy = t + max(m.led.NS(), 1)
	}
	depth := func(w int) int { return ws[w].n }

	for _, a := range m.apps.Apps() {
		if a.IsClient() {
			a.Start(0)
		}
	}
	warmed := false
	if win.warm == 0 {
		m.startMeasuring()
		warmed = true
	}
	nextSample := int64(0)
	lastProgress := time.Now()
	for iter := 0; ; iter++ {
		if iter&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			if win.progress != nil && time.Since(lastProgress) > 100*time.Millisecond {
				lastProgress = time.Now()
				win.progress(float64(lastT), win.total())
			}
		}
		t, kind, idx := int64(math.MaxInt64), -1, 0
		consider := func(at int64, k, i int) {
			if at < t {
				t, kind, idx = at, k, i
			}
		}
		active := false
		for i := range sf {
			if sf[i].has {
				active = true
				break
			}
		}
		if !active && !ended && end == math.MaxInt64 && m.apps.ClientsDone() {
			// Without a duration or a packet count the traffic ends when
			// the sources and the clients are done; what is still queued
			// is processed, timers no longer run.
			ended, end = true, lastT+1
		}
		for w := range ws {
			if ws[w].n > 0 {
				active = true
			}
		}
		next := int64(-1)
		if !ended {
			next = m.nextTick()
			if next >= end {
				next = -1 // the window is [0, end)
			}
			if next >= 0 {
				active = true
			}
		}
		if !warmed {
			consider(win.warm, agWarm, 0)
		}
		if !ended && active && nextSample <= end {
			consider(nextSample, agSample, 0)
		}
		if next >= 0 {
			consider(max(next, ws[0].busy), agTick, 0)
		}
		for i := range sf {
			if sf[i].has {
				consider(sf[i].pk.T, agFeed, i)
			}
		}
		for w := range ws {
			if ws[w].n > 0 {
				consider(ws[w].busy, agWorker, w)
			}
		}
		if !ended && end != math.MaxInt64 {
			consider(end, agEnd, 0)
		}
		if kind < 0 {
			break
		}
		lastT = max(lastT, t)
		switch kind {
		case agWarm:
			m.startMeasuring()
			warmed = true
		case agSample:
			m.sample(t, depth, false)
			nextSample = t + win.sample
		case agTick:
			m.stepStart = t
			m.led.Reset()
			m.tick(t)
			if ns := m.led.NS(); ns > 0 {
				ws[0].busy = t + ns
			}
		case agFeed:
			f := &sf[idx]
			p := f.pk
			w := m.workerOf(&p)
			if p.Measured {
				m.rec.Count(metrics.Offered, 1)
				m.rec.Count(metrics.OfferedBytes, uint64(p.Wire))
				measuredPkts++
			}
			wk := &ws[w]
			if !wk.push(p) {
				if p.Measured {
					m.rec.Drop(metrics.QueueFull)
				}
			} else if wk.busy <= t {
				runBatch(w, t)
			}
			if win.packets > 0 && measuredPkts >= win.packets {
				end = t
				for i := range sf {
					sf[i].has, sf[i].done = false, true
				}
			} else if err := advance(f); err != nil {
				return 0, err
			}
		case agWorker:
			runBatch(idx, t)
		case agEnd:
			ended = true
			for i := range sf {
				sf[i].has, sf[i].done = false, true
			}
		}
		if end != math.MaxInt64 && !ended && t >= end && kind != agEnd {
			// A packet count ended the run: stop the clock's agents too.
			if win.packets > 0 && measuredPkts >= win.packets {
				ended = true
			}
		}
	}
	if !ended {
		end = lastT
	}
	m.stepStart = lastT
	m.led.Reset()
	m.sample(min(end, lastT), depth, true)
	m.endMeasuring()
	return max(end-win.warm, 0), nil
}
