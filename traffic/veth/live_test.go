package veth

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/traffic/internal/afpacket"
)

// TestReplies runs the responder path both ways a filtered or served
// connection looks: UDP echo and TCP SYN answered by RST. Every frame gets a
// reply and the sender times every one.
func TestReplies(t *testing.T) {
	topo := newTopology(t, Config{})
	for _, gc := range []GenConfig{
		{Proto: "udp", FrameSize: 128},
		{Proto: "tcp", TCPFlags: TCPSyn, FrameSize: 74},
		{Proto: "tcp", FrameSize: 200},
	} {
		rep, err := Run(context.Background(), topo, RunConfig{
			Gen:    gc,
			Sender: SenderConfig{Rate: 20_000, Count: 2000},
			Reply:  true,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := rep.Err(); err != nil {
			t.Fatalf("%s: %v", gc.Proto, err)
		}
		t.Logf("%s flags %#x: rtt %v", gc.Proto, gc.TCPFlags, rep.TX.RTT)
		if rep.RX.Replies != 2000 || rep.TX.Replies != 2000 || rep.TX.RTT.Count != 2000 {
			t.Fatalf("%s: %d replies sent, %d timed (%d unmatched)", gc.Proto, rep.RX.Replies, rep.TX.Replies, rep.TX.Unmatched)
		}
	}
}

// TestFanout spreads 32 flows over 3 workers in a PACKET_FANOUT_HASH group:
// all frames arrive, each flow on exactly one worker.
func TestFanout(t *testing.T) {
	topo := newTopology(t, Config{})
	flowWorker := make(map[uint16]map[int]bool)
	var perWorker [3]int
	rep, err := Run(context.Background(), topo, RunConfig{
		Gen:    GenConfig{Flows: 32, FrameSize: 64},
		Sender: SenderConfig{Rate: 30_000, Count: 6400},
		Receiver: ReceiverConfig{Workers: 3, Handler: func(f *Frame) {
			// Handlers run on their worker's goroutine; the maps are only
			// touched under this lock.
			fanoutMu <- struct{}{}
			defer func() { <-fanoutMu }()
			v := parseFrame(f.Data)
			if !v.ok {
				return
			}
			sp := uint16(f.Data[v.l4])<<8 | uint16(f.Data[v.l4+1])
			if flowWorker[sp] == nil {
				flowWorker[sp] = map[int]bool{}
			}
			flowWorker[sp][f.Worker] = true
			perWorker[f.Worker]++
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if len(flowWorker) != 32 {
		t.Fatalf("%d flows seen, want 32", len(flowWorker))
	}
	for sp, ws := range flowWorker {
		if len(ws) != 1 {
			t.Fatalf("flow from port %d split over workers %v", sp, ws)
		}
	}
	busy := 0
	for _, n := range perWorker {
		if n > 0 {
			busy++
		}
	}
	t.Logf("frames per worker %v", perWorker)
	if busy < 2 {
		t.Fatalf("hash fanout used %d of 3 workers for 32 flows", busy)
	}
}

var fanoutMu = make(chan struct{}, 1)

// TestKernelClientARP is the VPP host-stack test path: an ordinary kernel
// UDP socket in namespace A talks to sessionlab's address at end B. The
// kernel must resolve it with ARP (answered by the Replier) before it sends;
// the echo comes back into the kernel socket.
func TestKernelClientARP(t *testing.T) {
	topo := newTopology(t, Config{})
	b := topo.End(B)
	rx, err := NewReceiver(topo, B, ReceiverConfig{Ring: RingTPacketV2, Responder: NewReplier([6]byte(b.MAC), b.Addr.Addr())})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	rx.Start()
	var conn *net.UDPConn
	if err := topo.Do(A, func() (err error) {
		conn, err = net.DialUDP("udp4", nil, &net.UDPAddr{IP: b.Addr.Addr().AsSlice(), Port: 7})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	buf := make([]byte, 100)
	for i := 0; i < 3; i++ {
		msg := []byte("hello sessionlab")
		if _, err := conn.Write(msg); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no echo from sessionlab's address: %v", err)
		}
		if string(buf[:n]) != string(msg) {
			t.Fatalf("echo %q", buf[:n])
		}
	}
	rx.Stop()
	if res := rx.Result(); res.Replies < 4 || res.Foreign < 4 {
		t.Fatalf("replies %d for %d non-probe frames, want ARP + 3 echoes", res.Replies, res.Foreign)
	}
}

// TestSocketAllocs proves the kernel-facing per-frame calls allocate
// nothing: ring and transmit-ring writes, sendmmsg batching, plain send and
// recvmsg, and ring reads of both versions.
func TestSocketAllocs(t *testing.T) {
	topo := newTopology(t, Config{})
	a, b := topo.End(A), topo.End(B)
	gen, err := NewGenerator(GenConfig{FrameSize: 64, SrcMAC: [6]byte(a.MAC), DstMAC: [6]byte(b.MAC), Src: ClientAddr(topo), Dst: b.Addr.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	frame, _ := gen.NextFrame()
	var ring, batch afpacket.Writer
	var conn *afpacket.Conn
	if err := topo.Do(A, func() (err error) {
		if ring, err = afpacket.NewTxRing(a.Index, afpacket.TxConfig{}); err != nil {
			return err
		}
		if batch, err = afpacket.NewBatch(a.Index, afpacket.TxConfig{}); err != nil {
			return err
		}
		conn, err = afpacket.NewConn(a.Index, afpacket.ConnConfig{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	defer batch.Close()
	defer conn.Close()
	var v3, v2 *afpacket.RxRing
	var rc *afpacket.Conn
	if err := topo.Do(B, func() (err error) {
		if v3, err = afpacket.NewRxRing(b.Index, afpacket.RxConfig{BlockSize: 1 << 16, BlockCount: 64}); err != nil {
			return err
		}
		if v2, err = afpacket.NewRxRing(b.Index, afpacket.RxConfig{Version: afpacket.TPacketV2, BlockSize: 1 << 16, BlockCount: 64}); err != nil {
			return err
		}
		rc, err = afpacket.NewConn(b.Index, afpacket.ConnConfig{Receive: true, RecvBuffer: 8 << 20})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer v3.Close()
	defer v2.Close()
	defer rc.Close()

	const runs = 200
	for name, w := range map[string]afpacket.Writer{"txring": ring, "sendmmsg": batch} {
		if n := testing.AllocsPerRun(runs, func() { _ = w.Write(frame) }); n != 0 {
			t.Errorf("%s Write allocates %.1f times", name, n)
		}
		_ = w.Flush()
	}
	if n := testing.AllocsPerRun(runs, func() { _ = conn.Send(frame) }); n != 0 {
		t.Errorf("sendto allocates %.1f times", n)
	}
	// 3 × (runs+1) frames are queued in each receive socket; read most.
	buf := make([]byte, 2048)
	time.Sleep(20 * time.Millisecond) // let the V3 retire timer close the blocks
	for name, next := range map[string]func(){
		"tpacketv3": func() { _, _ = v3.Next() },
		"tpacketv2": func() { _, _ = v2.Next() },
		"recvmsg":   func() { _, _ = rc.Recv(buf) },
	} {
		if n := testing.AllocsPerRun(runs, next); n != 0 {
			t.Errorf("%s receive allocates %.1f times", name, n)
		}
	}
	st, err := v3.Stats()
	if err != nil || st.Packets < 3*runs || st.Drops != 0 {
		t.Errorf("tpacketv3 stats %+v, %v", st, err)
	}
}

// TestRealtimeWorkers runs receive workers under SCHED_FIFO: the run is
// complete and no worker reports a failure to raise its priority.
func TestRealtimeWorkers(t *testing.T) {
	topo := newTopology(t, Config{})
	if !hasCap(capSysNice) {
		t.Skip("needs CAP_SYS_NICE")
	}
	rep, err := Run(context.Background(), topo, RunConfig{
		Gen:      GenConfig{Flows: 4},
		Sender:   SenderConfig{Rate: 10_000, Count: 2000},
		Receiver: ReceiverConfig{Workers: 2, Realtime: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
}
