package veth

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// benchTopology builds one topology for a benchmark and its sub-benchmarks.
func benchTopology(b *testing.B) *Topology {
	b.Helper()
	requireRoot(b)
	return newTopology(b, Config{})
}

// BenchmarkThroughput measures frames per second through the veth pair into
// each receive path, our ring first (the subject) and plain recvfrom as the
// peer, in one run. The sender (TPACKET_V2 transmit ring, unpaced) keeps at
// most window frames in flight, credited by what the receiver has read, so
// the run is lossless by construction and the reported rate is one the
// receive path sustains without kernel drops; the drops metric proves it.
// One op is one frame.
//
// End B's receive processing is steered (RPS) to the last CPU, as a NIC's
// interrupt would put it on the receiving host's CPU: on a bare veth the
// kernel runs it on the sending CPU inside the send call (see
// Topology.SteerReceive), which bills the ring's copy to the sender and
// hides what each receive path costs. The rps-cpu metric says where it ran
// (-1: one CPU only, not steered).
func BenchmarkThroughput(b *testing.B) {
	topo := benchTopology(b)
	rpsCPU := runtime.NumCPU() - 1
	if rpsCPU == 0 {
		rpsCPU = -1
	}
	if err := topo.SteerReceive(B, rpsCPU); err != nil {
		b.Fatal(err)
	}
	// One window for every size: 4096 frames fit the ring (16 MiB) and
	// recvfrom's 16 MiB socket buffer even at 1500 bytes, so no path is
	// throttled below what it sustains (the drops metric shows none).
	const window = 4096
	for _, size := range []int{64, 1500} {
		for _, ring := range []RingKind{RingTPacketV3, RingRecvfrom, RingTPacketV2} {
			b.Run(fmt.Sprintf("size=%d/impl=%s", size, ring), func(b *testing.B) {
				benchFlow(b, topo, size, 0, window, ring)
				b.ReportMetric(float64(rpsCPU), "rps-cpu")
			})
		}
	}
}

// BenchmarkLatency1k sends 1000 frames per second and reports one-way
// latency (kernel receive timestamp - send timestamp: p50-ns, p99-ns) and
// delivery latency (the moment the application read the frame - send
// timestamp: app-p50-ns, app-p99-ns). The low-rate target is a
// p99 under 200 µs. One op is one frame, so ns/op is the 1 ms interval.
//
// prio=rt runs the receive worker under SCHED_FIFO (ReceiverConfig.Realtime),
// which measures the receive path rather than how soon the scheduler gets
// round to a woken thread on a busy machine; prio=normal is the plain case.
// prio=rt is skipped without CAP_SYS_NICE.
func BenchmarkLatency1k(b *testing.B) {
	topo := benchTopology(b)
	for _, rt := range []bool{true, false} {
		prio := "normal"
		if rt {
			prio = "rt"
		}
		for _, ring := range []RingKind{RingTPacketV3, RingTPacketV2, RingRecvfrom} {
			b.Run(fmt.Sprintf("size=64/prio=%s/impl=%s", prio, ring), func(b *testing.B) {
				if rt && !hasCap(capSysNice) {
					b.Skip("needs CAP_SYS_NICE for SCHED_FIFO")
				}
				benchFlowRT(b, topo, 64, 1000, 0, ring, rt)
			})
		}
	}
}

func benchFlow(b *testing.B, topo *Topology, size int, rate float64, window uint64, ring RingKind) {
	benchFlowRT(b, topo, size, rate, window, ring, false)
}

func benchFlowRT(b *testing.B, topo *Topology, size int, rate float64, window uint64, ring RingKind, realtime bool) {
	a, bb := topo.End(A), topo.End(B)
	dst := [6]byte(bb.MAC)
	if window > 0 {
		// Throughput runs address frames to a MAC that end B does not
		// own. AF_PACKET taps still get every frame, but B's IP stack
		// drops them at once (PACKET_OTHERHOST) instead of running the
		// UDP lookup and the port-unreachable path for each. On a veth
		// that kernel work runs on the sending CPU, so it capped both
		// receive paths at the same rate and hid their difference.
		dst = otherHost(dst)
	}
	gen, err := NewGenerator(GenConfig{FrameSize: size, Count: uint64(b.N), SrcMAC: [6]byte(a.MAC), DstMAC: dst, Src: ClientAddr(topo), Dst: bb.Addr.Addr()})
	if err != nil {
		b.Fatal(err)
	}
	rx, err := NewReceiver(topo, B, ReceiverConfig{Ring: ring, Expect: uint64(b.N), Realtime: realtime})
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	sc := SenderConfig{Rate: rate, Count: uint64(b.N)}
	if window > 0 {
		sc.Window, sc.Credit = window, rx.Received
	}
	tx, err := NewSender(topo, A, gen, sc)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Close()
	rx.Start()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	if err := tx.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for rx.Received() < uint64(b.N) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Microsecond)
	}
	el := time.Since(start)
	b.StopTimer()
	rx.Stop()
	res := rx.Result()
	if res.Err != nil {
		b.Fatal(res.Err)
	}
	b.ReportMetric(float64(res.Received)/el.Seconds(), "frames/s")
	b.ReportMetric(float64(res.Kernel.Drops), "drops")
	b.ReportMetric(float64(res.Missing), "lost")
	b.ReportMetric(float64(res.OneWay.P50), "p50-ns")
	b.ReportMetric(float64(res.OneWay.P99), "p99-ns")
	b.ReportMetric(float64(res.Delivery.P50), "app-p50-ns")
	b.ReportMetric(float64(res.Delivery.P99), "app-p99-ns")
}

// BenchmarkTransmit compares the transmit paths, frames/s into the veth
// (nothing reads end B; its kernel drops the frames after the receive path
// has run on the sending CPU). The TPACKET_V2 transmit ring is the subject.
// As in BenchmarkThroughput, frames go to a MAC end B does not own, so B's
// IP stack discards them on arrival and what is timed is the transmit path
// and the veth hop.
func BenchmarkTransmit(b *testing.B) {
	topo := benchTopology(b)
	for _, size := range []int{64, 1500} {
		for _, tk := range []TxKind{TxRing, TxSendmmsg, TxSendto} {
			b.Run(fmt.Sprintf("size=%d/impl=%s", size, tk), func(b *testing.B) {
				a, bb := topo.End(A), topo.End(B)
				gen, err := NewGenerator(GenConfig{FrameSize: size, Count: uint64(b.N), SrcMAC: [6]byte(a.MAC), DstMAC: otherHost([6]byte(bb.MAC)), Src: ClientAddr(topo), Dst: bb.Addr.Addr()})
				if err != nil {
					b.Fatal(err)
				}
				tx, err := NewSender(topo, A, gen, SenderConfig{TX: tk, Count: uint64(b.N)})
				if err != nil {
					b.Fatal(err)
				}
				defer tx.Close()
				b.ReportAllocs()
				b.ResetTimer()
				if err := tx.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				r := tx.Result()
				b.ReportMetric(r.Rate, "frames/s")
				b.ReportMetric(float64(r.Syscalls)/float64(max(r.Sent, 1)), "syscalls/frame")
			})
		}
	}
}

// BenchmarkGenerate is the sender's per-frame user-space work: take the next
// prebuilt frame and stamp its probe (incremental checksum). No root needed.
func BenchmarkGenerate(b *testing.B) {
	for _, size := range []int{64, 1500} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			f := testFlow(protoUDP)
			g, err := NewGenerator(GenConfig{FrameSize: size, SrcMAC: f.SrcMAC, DstMAC: f.DstMAC, Src: f.Src, Dst: f.Dst})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var seq uint64
			for b.Loop() {
				fr, _ := g.NextFrame()
				Stamp(fr, Probe{Seq: seq, Sent: time.Now().UnixNano()})
				seq++
			}
		})
	}
}

// BenchmarkRespond is the responder's per-frame work for a UDP echo.
func BenchmarkRespond(b *testing.B) {
	var pl [ProbeLen]byte
	f := testFlow(protoUDP)
	rx := make([]byte, 2048)
	n, _ := f.Build(rx, TCPFields{}, pl[:], 64)
	r := NewReplier(macB, addrB)
	out := make([]byte, 2048)
	b.ReportAllocs()
	for b.Loop() {
		r.Respond(rx[:n], out)
	}
}

// otherHost returns a unicast MAC that differs from mac (still locally
// administered).
func otherHost(mac [6]byte) [6]byte {
	mac[5] ^= 0x80
	return mac
}
