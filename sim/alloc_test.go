//go:build !race

package sim

import (
	"sync"
	"testing"

	"github.com/sessionlab/sessionlab/sim/internal/shim"
	"github.com/sessionlab/sessionlab/traffic/packet"
)

// TestZeroAllocsData proves the steady state of established flows
// allocates nothing: data segments through dispatch, the worker queue, the
// lookup, the shim's enqueue, the layer's events and the sink's reads.
func TestZeroAllocsData(t *testing.T) {
	for _, recorder := range []bool{true, false} {
		pl := newPipeline(t, recorder, &sync.Mutex{})
		m := pl.m
		const flows = 64
		seq := make([]uint32, flows)
		pk := func(i int, flags packet.TCPFlags, n int) shim.Packet {
			return shim.Packet{Src: packet.AddrFromV4(0xc0a80000 + uint32(i)), Dst: packet.MustParseAddr("10.0.0.1"),
				SrcPort: uint16(40000 + i), DstPort: 80, Proto: packet.ProtoTCP, Flags: flags, Seq: seq[i], Len: uint32(n),
				Wire: uint32(54 + n), Measured: true}
		}
		step := func(ps []shim.Packet) {
			for _, p := range ps {
				p.T = m.wall()
				if err := pl.qs[0].TryEnqueue(p); err != nil {
					t.Fatal(err)
				}
			}
			pl.flush()
		}
		var ps []shim.Packet
		for i := range flows {
			seq[i] = 1000
			ps = append(ps, pk(i, packet.TCPSyn, 0))
			seq[i]++
		}
		step(ps)
		ps = ps[:0]
		for i := range flows {
			ps = append(ps, pk(i, packet.TCPAck, 0))
		}
		step(ps)
		data := make([]shim.Packet, flows)
		send := func() {
			for i := range flows {
				data[i] = pk(i, packet.TCPAck|packet.TCPPsh, 1000)
				seq[i] += 1000
			}
			step(data)
		}
		for range 10 {
			send() // warm up
		}
		if n := testing.AllocsPerRun(100, send); n != 0 {
			t.Errorf("recorder %v: %v allocations per batch of %d data segments", recorder, n, flows)
		}
		if got := m.apps.Open(); got != flows {
			t.Fatalf("%d sessions open, want %d", got, flows)
		}
	}
}

// TestZeroAllocsFlows: whole flows — handshake, data, FIN both ways, the
// sessions created, closed and freed — allocate nothing either once the
// pools, rings and tables have grown: a pass over the capture (256 flows,
// 2816 inbound packets) makes no allocation at all.
func TestZeroAllocsFlows(t *testing.T) {
	pl := newPipeline(t, true, &sync.Mutex{})
	pass := func() {
		pl.run(pl.c.inbound)
		pl.flush()
	}
	for range 3 {
		pass()
	}
	if n := testing.AllocsPerRun(5, pass); n != 0 {
		t.Errorf("%v allocations per pass of the capture (%d inbound packets)", n, pl.c.inbound)
	}
}
