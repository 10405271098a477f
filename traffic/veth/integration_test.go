package veth

import (
	"context"
	"testing"
	"time"
)

// TestIntegration is the acceptance run: two namespaces and a veth
// pair, 100k frames at 50k frames/s, every one received exactly once
// (count and sequence check), no kernel drops, latency percentiles logged,
// everything torn down (TestMain checks nothing is left).
func TestIntegration(t *testing.T) {
	topo := newTopology(t, Config{})
	const n = 100_000
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep, err := Run(ctx, topo, RunConfig{
		Gen:    GenConfig{FrameSize: 64, Flows: 4},
		Sender: SenderConfig{Rate: 50_000, Count: n},
		// 512 blocks: with the 1 ms retire timeout each block holds about a
		// millisecond of traffic, so the ring rides out a 512 ms reader stall
		// on a loaded CI machine.
		Receiver: ReceiverConfig{Ring: RingTPacketV3, Geometry: RingConfig{BlockSize: 64 << 10, BlockCount: 512}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sent %d at %.0f frames/s (%d retries, %d syscalls)", rep.TX.Sent, rep.TX.Rate, rep.TX.Retries, rep.TX.Syscalls)
	t.Logf("received %d, foreign %d, reordered %d, kernel %+v", rep.RX.Received, rep.RX.Foreign, rep.RX.Reordered, rep.RX.Kernel)
	t.Logf("one-way (kernel rx ts - send ts): %v", rep.RX.OneWay)
	t.Logf("delivery (read by app - send ts):  %v", rep.RX.Delivery)
	if rep.TX.Sent != n {
		t.Fatalf("sent %d frames, want %d", rep.TX.Sent, n)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if rep.RX.Received != n || rep.RX.Missing != 0 {
		t.Fatalf("received %d (missing %d), want all %d", rep.RX.Received, rep.RX.Missing, n)
	}
	if rep.RX.Kernel.Packets < n {
		t.Errorf("kernel counted %d packets for the ring, want >= %d", rep.RX.Kernel.Packets, n)
	}
}
