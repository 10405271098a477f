package shim

import (
	"math/rand/v2"
	"testing"

	"github.com/sessionlab/sessionlab/core/session"
	"github.com/sessionlab/sessionlab/traffic/packet"
)

// stream is the slow, obviously right model of a TCP receiver's
// reassembly: one flag per byte of the stream; the application can read
// exactly the bytes up to the first hole, and the peer's FIN counts once
// every byte before it arrived.
type stream struct {
	got []bool
	fin int // the FIN's offset, -1 until seen
}

func (s *stream) add(off, n int) {
	for i := off; i < off+n && i < len(s.got); i++ {
		s.got[i] = true
	}
}

func (s *stream) prefix() int {
	n := 0
	for n < len(s.got) && s.got[n] {
		n++
	}
	return n
}

func (s *stream) closed() bool { return s.fin >= 0 && s.prefix() >= s.fin }

// TestReassemblyAgainstReference sends the segments of a stream in random
// order, with duplicates and overlapping retransmissions, and checks after
// every segment that the application has read exactly the reference's
// in-order prefix and is told of the FIN exactly when the reference closes.
func TestReassemblyAgainstReference(t *testing.T) {
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	rng := rand.New(rand.NewPCG(7, 11))
	e := newEnv(t, session.Config{})
	for r := range rounds {
		disc := e.seen[session.EventDisconnected]
		sport := uint16(10000 + r)
		h := e.handshake(sport)
		length := 1 + rng.IntN(6000) // fits the 8 KiB fifo: nothing is dropped
		ref := &stream{got: make([]bool, length), fin: -1}
		type seg struct{ off, n int }
		var segs []seg
		for off := 0; off < length; {
			n := min(1+rng.IntN(1460), length-off)
			segs = append(segs, seg{off, n})
			off += n
		}
		// Duplicates and overlapping retransmissions.
		for range rng.IntN(4) {
			a := rng.IntN(length)
			segs = append(segs, seg{a, min(1+rng.IntN(2000), length-a)})
		}
		rng.Shuffle(len(segs), func(i, j int) { segs[i], segs[j] = segs[j], segs[i] })
		finAt := rng.IntN(len(segs) + 1) // the FIN may overtake data
		for i, sg := range segs {
			if i == finAt {
				e.in(tcp(sport, packet.TCPFin|packet.TCPAck, isn+1+uint32(length), 0))
				ref.fin = length
			}
			e.in(tcp(sport, packet.TCPAck, isn+1+uint32(sg.off), sg.n))
			ref.add(sg.off, sg.n)
			if got, want := e.read[h], ref.prefix(); got != want {
				t.Fatalf("round %d, segment %d (%+v): application read %d bytes, reference prefix %d", r, i, sg, got, want)
			}
			if got, want := e.seen[session.EventDisconnected] == disc+1, ref.closed(); got != want {
				t.Fatalf("round %d, segment %d: DISCONNECTED %v, reference closed %v", r, i, got, want)
			}
		}
		if finAt == len(segs) {
			e.in(tcp(sport, packet.TCPFin|packet.TCPAck, isn+1+uint32(length), 0))
			ref.fin = length
		}
		if e.read[h] != length || e.seen[session.EventDisconnected] != disc+1 {
			t.Fatalf("round %d: read %d of %d, DISCONNECTED %d", r, e.read[h], length, e.seen[session.EventDisconnected]-disc)
		}
		// The last ACK ends the connection; its handle may be reused.
		e.in(tcp(sport, packet.TCPAck, isn+2+uint32(length), 0))
		delete(e.read, h)
		if d := e.rec.TotalDrops(); d != 0 {
			t.Fatalf("round %d: drops %v", r, e.rec.DropList())
		}
	}
}
