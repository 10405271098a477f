package veth

import (
	"errors"
	"io"
	"testing"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

// TestSource drives the simulator-facing Source: the built-in generator
// plays 3000 TCP segments from end A, Next returns each decoded with its
// kernel timestamp, the consumer answers every one through Reply, and the
// sender times the replies.
func TestSource(t *testing.T) {
	topo := newTopology(t, Config{})
	src, err := NewSource(SourceConfig{
		Topology: topo,
		Gen:      GenConfig{Proto: "tcp", FrameSize: 100, Flows: 3},
		Sender:   SenderConfig{Rate: 20_000, Count: 3000, Replies: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := NewReplier([6]byte(topo.End(B).MAC), topo.End(B).Addr.Addr())
	out := make([]byte, 2048)
	var p packet.Packet
	n, lastTS := 0, int64(0)
	// The steady state allocates nothing: Next (poll, ring, probe, decode)
	// and Reply (build, send).
	step := func() {
		if err := src.Next(&p); err != nil {
			t.Fatal(err)
		}
		if m := r.Respond(p.Data, out); m > 0 {
			_ = src.Reply(out[:m])
		}
		n++
	}
	step()
	if a := testing.AllocsPerRun(500, step); a != 0 {
		t.Errorf("Next+Reply allocate %.2f times per packet", a)
	}
	lastTS = p.Timestamp
	for {
		err := src.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !p.IsTCP() || p.DstPort != 5001 || p.SrcPort < 40000 || p.SrcPort > 40002 || p.Dst.Netip() != topo.End(B).Addr.Addr() {
			t.Fatalf("packet %d: %+v", n, p)
		}
		if p.Timestamp < lastTS {
			t.Fatalf("packet %d: timestamp went back", n)
		}
		lastTS = p.Timestamp
		if m := r.Respond(p.Data, out); m > 0 {
			if err := src.Reply(out[:m]); err != nil {
				t.Fatal(err)
			}
		}
		n++
	}
	if err := src.Next(&p); !errors.Is(err, io.EOF) {
		t.Fatalf("Next after EOF: %v", err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	st := src.Stats()
	t.Logf("source: %d received, one-way %v, delivery %v, rtt %v", st.Received, st.OneWay, st.Delivery, st.TX.RTT)
	if n != 3000 || st.Sent != 3000 || st.Received != 3000 || st.Probes != 3000 || st.Kernel.Drops != 0 {
		t.Fatalf("returned %d, stats %+v", n, st)
	}
	if st.Replies != 3000 || st.TX.Replies != 3000 {
		t.Fatalf("%d replies sent, %d timed", st.Replies, st.TX.Replies)
	}
}

// TestSourcePacketFrames replays a packet.Source (here frames in memory, as
// a pcap reader would yield them) through the veth: every packet arrives
// with the same 5-tuple and payload it was recorded with.
func TestSourcePacketFrames(t *testing.T) {
	topo := newTopology(t, Config{})
	var frames [][]byte
	for i := 0; i < 500; i++ {
		f := testFlow(protoUDP)
		f.SrcPort = uint16(1000 + i%7)
		payload := []byte{byte(i), byte(i >> 8), 'x'}
		if i%2 == 0 {
			frames = append(frames, build(t, f, TCPFields{}, payload))
		} else {
			frames = append(frames, build(t, f, TCPFields{}, payload)[ethLen:]) // raw IP
		}
	}
	var want []packet.Packet
	for i, fr := range frames {
		var p packet.Packet
		link := packet.LinkEthernet
		if i%2 == 1 {
			link = packet.LinkRaw
		}
		if err := packet.Decode(fr, link, &p); err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
	}
	in := &mixedSource{frames: frames}
	pf := NewPacketFrames(in, [6]byte(topo.End(A).MAC), [6]byte(topo.End(B).MAC), topo.MTU+ethLen)
	src, err := NewSource(SourceConfig{Topology: topo, Frames: pf, Sender: SenderConfig{Rate: 10_000, NoStamp: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var p packet.Packet
	for i := 0; ; i++ {
		err := src.Next(&p)
		if errors.Is(err, io.EOF) {
			if i != len(want) {
				t.Fatalf("EOF after %d packets, want %d", i, len(want))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		w := want[i]
		if p.Tuple() != w.Tuple() || string(p.Payload[:3]) != string(w.Payload[:3]) {
			t.Fatalf("packet %d: %v %x, want %v %x", i, p.Tuple(), p.Payload, w.Tuple(), w.Payload)
		}
	}
	if pf.Frames != 500 || pf.Skipped != 0 || pf.Oversize != 0 {
		t.Fatalf("player: %s", pf)
	}
}

// mixedSource alternates Ethernet and raw IP frames, as two captures would.
type mixedSource struct {
	frames [][]byte
	i      int
}

func (s *mixedSource) Next(p *packet.Packet) error {
	if s.i == len(s.frames) {
		return io.EOF
	}
	link := packet.LinkEthernet
	if s.i%2 == 1 {
		link = packet.LinkRaw
	}
	f := s.frames[s.i]
	s.i++
	p.Timestamp, p.WireLen = 0, 0
	return packet.Decode(f, link, p)
}
