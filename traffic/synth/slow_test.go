package synth_test

import (
	"fmt"
	"io"
	"sort"
	"testing"

	"github.com/sessionlab/sessionlab/traffic/packet"
	pt "github.com/sessionlab/sessionlab/traffic/packet/packettest"
	"github.com/sessionlab/sessionlab/traffic/synth"
)

// The slow reference for the generator is an independent observer of the
// capture: it knows nothing of the generator's events and checks, packet by
// packet, that each TCP conversation is one a correct TCP would produce at a
// capture point by the server:
//
//   - SYN, then SYN-ACK acknowledging ISN+1, then the client's ACK;
//   - client data inside the flow's sequence space, never beyond FIN;
//   - server ACKs never go back and never acknowledge client bytes not yet
//     captured (holes left by loss stay unacknowledged until filled);
//   - the server's FIN is sent only after all client bytes and the FIN are
//     in; the last ACK acknowledges the server's FIN;
//   - a flow ends with FIN/FIN-ACK/ACK or with the client's RST, and
//     nothing follows the end.
//
// It also checks every frame against gopacket's decoding
// (packettest.Reference) and gopacket's checksum verification.

type seqRange struct{ start, end uint32 } // relative to ISN+1

type observed struct {
	issC, issS     uint32
	synAck, hsAck  bool
	have           []seqRange // client bytes seen, merged
	finSeq         uint32     // relative end of client data (valid when fin)
	fin, finAck    bool
	lastAck, rst   bool
	respEnd        uint32
	serverFinSeq   uint32
	clientPackets  int
	serverPackets  int
	maxServerAcked uint32
}

// contiguous returns how many client bytes from 0 have been seen.
func (o *observed) contiguous() uint32 {
	var n uint32
	for _, r := range o.have {
		if r.start > n {
			break
		}
		n = max(n, r.end)
	}
	return n
}

func (o *observed) add(r seqRange) {
	o.have = append(o.have, r)
	sort.Slice(o.have, func(i, j int) bool { return o.have[i].start < o.have[j].start })
}

type checker struct {
	flows map[packet.FiveTuple]*observed // keyed client->server
	ended map[packet.FiveTuple]bool
}

func newChecker() *checker {
	return &checker{flows: map[packet.FiveTuple]*observed{}, ended: map[packet.FiveTuple]bool{}}
}

// observe checks one TCP packet of a normal flow (not flood or scan).
func (c *checker) observe(p *packet.Packet, serverPort func(uint16) bool) error {
	tu := p.Tuple()
	fromClient := serverPort(p.DstPort)
	key := tu
	if !fromClient {
		key = tu.Reverse()
	}
	if c.ended[key] {
		return fmt.Errorf("%v: packet after the flow ended", tu)
	}
	o := c.flows[key]
	f := p.TCPFlags
	if o == nil {
		if !fromClient || f != packet.TCPSyn {
			return fmt.Errorf("%v: first packet %v is not a client SYN", tu, f)
		}
		c.flows[key] = &observed{issC: p.Seq}
		return nil
	}
	rel := func(seq, isn uint32) uint32 { return seq - isn - 1 }
	switch {
	case !o.synAck:
		if fromClient || f != packet.TCPSyn|packet.TCPAck || p.Ack != o.issC+1 {
			return fmt.Errorf("%v: want SYN-ACK acking %d, got %v ack %d", tu, o.issC+1, f, p.Ack)
		}
		o.synAck, o.issS = true, p.Seq
		return nil
	case !o.hsAck:
		if !fromClient || f != packet.TCPAck || p.Seq != o.issC+1 || p.Ack != o.issS+1 || len(p.Payload) != 0 {
			return fmt.Errorf("%v: want the handshake ACK, got %v seq %d ack %d", tu, f, p.Seq, p.Ack)
		}
		o.hsAck = true
		return nil
	}
	if fromClient {
		o.clientPackets++
		s := rel(p.Seq, o.issC)
		switch {
		case f.Has(packet.TCPRst):
			o.rst = true
			c.ended[key] = true
		case f.Has(packet.TCPFin):
			if o.fin {
				return fmt.Errorf("%v: second FIN", tu)
			}
			o.fin, o.finSeq = true, s
		case len(p.Payload) > 0:
			if o.fin && s+uint32(len(p.Payload)) > o.finSeq {
				return fmt.Errorf("%v: data beyond FIN", tu)
			}
			o.add(seqRange{s, s + uint32(len(p.Payload))})
		case o.finAck:
			if p.Ack != o.serverFinSeq+o.issS+2 {
				return fmt.Errorf("%v: last ACK acks %d, want %d", tu, p.Ack, o.serverFinSeq+o.issS+2)
			}
			o.lastAck = true
			c.ended[key] = true
		default: // an ACK of response data
			if a := rel(p.Ack, o.issS); a > o.respEnd {
				return fmt.Errorf("%v: client acks %d response bytes, only %d sent", tu, a, o.respEnd)
			}
		}
		return nil
	}
	o.serverPackets++
	a := rel(p.Ack, o.issC)
	switch {
	case f.Has(packet.TCPFin):
		if !o.fin || o.contiguous() != o.finSeq || a != o.finSeq+1 {
			return fmt.Errorf("%v: server FIN acks %d, client FIN at %d, contiguous %d", tu, a, o.finSeq, o.contiguous())
		}
		o.finAck = true
		o.serverFinSeq = rel(p.Seq, o.issS)
	case len(p.Payload) > 0:
		s := rel(p.Seq, o.issS)
		if s != o.respEnd {
			return fmt.Errorf("%v: response segment at %d, expected %d", tu, s, o.respEnd)
		}
		o.respEnd += uint32(len(p.Payload))
	default:
		// An ACK can lag data that arrived while it was on its way out,
		// but never acknowledge bytes not yet seen, and never go back.
		if a > o.contiguous() || a < o.maxServerAcked {
			return fmt.Errorf("%v: server acks %d, has %d contiguous bytes (ranges %v), acked %d before", tu, a, o.contiguous(), o.have, o.maxServerAcked)
		}
		o.maxServerAcked = a
	}
	return nil
}

func (c *checker) finish() error {
	for tu, o := range c.flows {
		if !c.ended[tu] {
			return fmt.Errorf("%v: flow did not end (fin %v finAck %v)", tu, o.fin, o.finAck)
		}
	}
	return nil
}

// TestGeneratedTCPIsConformant runs the observer over several mixes.
func TestGeneratedTCPIsConformant(t *testing.T) {
	for _, opt := range []synth.Options{
		{Seed: 1, Flows: 300},
		{Seed: 2, Flows: 300, Size: synth.SizeDist{Dist: "pareto", Mean: 8000}, Loss: 0.05, Reorder: 0.05, RSTFraction: 0.3},
		{Seed: 3, Flows: 200, Size: synth.SizeDist{Dist: "exponential", Mean: 5000}, ResponseRatio: 2, Loss: 0.1, IPv6Fraction: 0.5},
		{Seed: 4, Flows: 200, Size: synth.SizeDist{Dist: "none"}, ResponseRatio: 1},
		{Seed: 5, Flows: 100, Size: synth.SizeDist{Mean: 100_000}, Reorder: 0.3, Loss: 0.2, Arrival: synth.Arrival{Rate: 1e6}},
	} {
		t.Run(fmt.Sprintf("seed %d", opt.Seed), func(t *testing.T) {
			g, err := synth.New(opt)
			if err != nil {
				t.Fatal(err)
			}
			c := newChecker()
			isServer := func(port uint16) bool { return port == 80 }
			var p packet.Packet
			var last int64
			n := 0
			for {
				err := g.Next(&p)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				n++
				if p.Timestamp < last {
					t.Fatalf("packet %d: time went back", n)
				}
				last = p.Timestamp
				if n%7 == 0 { // the reference decoder is slow; sample it
					ref, err := pt.Reference(p.Data, packet.LinkEthernet)
					if err != nil {
						t.Fatalf("packet %d: gopacket: %v", n, err)
					}
					if d := pt.Diff(&p, &ref); len(d) > 0 {
						t.Fatalf("packet %d differs from gopacket: %v", n, d)
					}
					if !pt.ChecksumsOK(p.Data) {
						t.Fatalf("packet %d: bad checksums", n)
					}
				}
				if err := c.observe(&p, isServer); err != nil {
					t.Fatalf("packet %d: %v", n, err)
				}
			}
			if err := c.finish(); err != nil {
				t.Fatal(err)
			}
			st := g.Stats()
			if len(c.flows) != opt.Flows || st.TCPFlows != uint64(opt.Flows) {
				t.Errorf("%d flows observed, stats %+v", len(c.flows), st)
			}
			if opt.Loss > 0 && st.Retransmitted == 0 {
				t.Errorf("loss %v but no retransmission", opt.Loss)
			}
		})
	}
}
