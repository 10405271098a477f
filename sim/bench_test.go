package sim

import (
	"io"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/core/msgq"
	"github.com/sessionlab/sessionlab/sim/internal/cost"
	"github.com/sessionlab/sessionlab/sim/internal/shim"
	"github.com/sessionlab/sessionlab/sim/scenario"
	"github.com/sessionlab/sessionlab/traffic/packet"
	"github.com/sessionlab/sessionlab/traffic/synth"
)

// pipelineScenario is the benchmark's session layer: one worker, a sink
// listening on port 80 of eth0.
const pipelineScenario = `
name: pipeline
mode: live
seed: 1
duration: 1s
workers: 0
startup_conf: |
  session {
    enable rt-backend rule-table
    v4-session-table-buckets 65536
    v4-session-table-memory 256m
  }
interfaces:
  - name: eth0
    ip4: [10.0.0.1/24]
apps:
  - name: web
    kind: sink
    listen: ["tcp://0.0.0.0:80"]
traffic:
  - synth: {flows: 1}
`

// memCapture is an in-memory capture: raw Ethernet frames of complete TCP
// flows (handshake, 10000 bytes in 7 segments, FIN both ways), decoded on
// the fly. Replayed in a loop, every pass opens and closes its flows again.
type memCapture struct {
	frames  [][]byte
	srv     netip.Prefix
	next    int
	inbound int
}

func newMemCapture(tb testing.TB, flows int) *memCapture {
	o := synth.Options{Seed: 1, Flows: flows, Arrival: synth.Arrival{Process: "constant", Rate: 100000},
		Clients: synth.Pool{Prefix4: netip.MustParsePrefix("192.168.0.0/16"), Count: 60000},
		Servers: synth.Pool{Prefix4: netip.MustParsePrefix("10.0.0.0/24"), Count: 1, Ports: []uint16{80}}}
	g, err := synth.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	c := &memCapture{srv: netip.MustParsePrefix("10.0.0.0/24")}
	var p packet.Packet
	for {
		if err := g.Next(&p); err == io.EOF {
			break
		} else if err != nil {
			tb.Fatal(err)
		}
		c.frames = append(c.frames, append([]byte(nil), p.Data...))
		if c.srv.Contains(p.Dst.Netip()) {
			c.inbound++
		}
	}
	return c
}

// read decodes the next frame (looping) into p and says which way it goes.
func (c *memCapture) read(p *packet.Packet) direction {
	f := c.frames[c.next]
	c.next++
	if c.next == len(c.frames) {
		c.next = 0
	}
	if err := packet.Decode(f, packet.LinkEthernet, p); err != nil {
		return nonflow
	}
	if d, ok := flowDirection(p); ok {
		return d
	}
	if p.Dst.Is4() && c.srv.Contains(p.Dst.Netip()) {
		return inbound
	}
	return outbound
}

func newPipelineModel(tb testing.TB, recorder bool) *model {
	s, err := scenario.Parse("pipeline.yaml", []byte(pipelineScenario), scenario.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	p, err := s.Resolve(0)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := newModel(p, 1, cost.BuiltinModel(), true, recorder)
	if err != nil {
		tb.Fatal(err)
	}
	base := time.Now()
	m.wall = func() int64 { return int64(time.Since(base)) }
	m.startMeasuring()
	return m
}

// pipeline is the live data path on one goroutine: the feed side
// (decode, classify, hash, enqueue) and the worker side (dequeue a batch,
// lock, shim + layer + applications, latencies, unlock), exactly the
// functions live mode's goroutines run.
type pipeline struct {
	m   *model
	c   *memCapture
	qs  []*msgq.Queue[shim.Packet]
	buf []shim.Packet
	mu  sync.Locker
	fc  feedCounts
	p   packet.Packet
}

func newPipeline(tb testing.TB, recorder bool, mu sync.Locker) *pipeline {
	m := newPipelineModel(tb, recorder)
	q, err := msgq.NewQueue[shim.Packet](4096)
	if err != nil {
		tb.Fatal(err)
	}
	pl := &pipeline{m: m, c: newMemCapture(tb, 256), qs: []*msgq.Queue[shim.Packet]{q}, buf: make([]shim.Packet, BatchSize), mu: mu}
	tb.Cleanup(m.release)
	return pl
}

// run pushes n inbound packets through the pipeline (and every batch they
// complete).
func (pl *pipeline) run(n int) {
	m := pl.m
	for i := 0; i < n; {
		d := pl.c.read(&pl.p)
		if d != inbound {
			continue
		}
		m.dispatch(pl.qs, &pl.p, d, m.wall(), true, &pl.fc)
		i++
		if pl.qs[0].Len() >= BatchSize {
			k := pl.qs[0].DequeueBatch(pl.buf)
			m.liveBatch(pl.mu, 0, pl.buf[:k])
		}
	}
}

// flush processes what is still queued.
func (pl *pipeline) flush() {
	for pl.qs[0].Len() > 0 {
		k := pl.qs[0].DequeueBatch(pl.buf)
		pl.m.liveBatch(pl.mu, 0, pl.buf[:k])
	}
}

type nopLocker struct{}

func (nopLocker) Lock()   {}
func (nopLocker) Unlock() {}

// BenchmarkPipeline measures live end-to-end packets/s on one worker from
// an in-memory capture (raw frames, decoded on the fly) through dispatch,
// the worker queue, lookup, the transport shim, the session layer and a
// sink application: with the recorder on (the subject) and off (its
// overhead). The target, 2M packets/s, is an absolute line in
// benchdata/targets/sim.txt.
func BenchmarkPipeline(b *testing.B) {
	for _, bc := range []struct {
		name     string
		recorder bool
	}{{"recorder-on", true}, {"recorder-off", false}} {
		b.Run("impl="+bc.name, func(b *testing.B) {
			pl := newPipeline(b, bc.recorder, &sync.Mutex{})
			pl.run(3 * pl.c.inbound) // warm the pools, rings and tables up
			pl.flush()
			b.ReportAllocs()
			b.ResetTimer()
			t0 := time.Now()
			pl.run(b.N)
			pl.flush()
			b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "pkts/s")
		})
	}
}

// BenchmarkWorkerLock measures what serialising the session layer costs:
// the same one-worker pipeline with the layer's mutex (as live mode runs
// it) and without.
func BenchmarkWorkerLock(b *testing.B) {
	for _, bc := range []struct {
		name string
		mu   sync.Locker
	}{{"locked", &sync.Mutex{}}, {"unlocked", nopLocker{}}} {
		b.Run("impl="+bc.name, func(b *testing.B) {
			pl := newPipeline(b, true, bc.mu)
			pl.run(2 * pl.c.inbound)
			pl.flush()
			b.ResetTimer()
			t0 := time.Now()
			pl.run(b.N)
			pl.flush()
			b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "pkts/s")
		})
	}
}
