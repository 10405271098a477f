package veth

import (
	"encoding/binary"
	"io"
	"testing"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

// sliceSource is a packet.Source over prepared frames of one link type.
type sliceSource struct {
	frames [][]byte
	link   packet.LinkType
	i      int
}

func (s *sliceSource) Next(p *packet.Packet) error {
	if s.i == len(s.frames) {
		return io.EOF
	}
	f := s.frames[s.i]
	s.i++
	p.Timestamp, p.WireLen = int64(s.i), 0
	return packet.Decode(f, s.link, p)
}

func TestPacketFrames(t *testing.T) {
	f := testFlow(protoUDP)
	f.SrcMAC, f.DstMAC = [6]byte{1, 1, 1, 1, 1, 1}, [6]byte{2, 2, 2, 2, 2, 2}
	eth := build(t, f, TCPFields{}, []byte("payload"))
	big := make([]byte, 3000)
	nBig, _ := f.Build(big, TCPFields{}, nil, 2000)
	arp := arpRequest(addrB)
	src := &sliceSource{frames: [][]byte{eth, big[:nBig], arp}, link: packet.LinkEthernet}
	pf := NewPacketFrames(src, macA, macB, 1514)
	got, err := pf.NextFrame()
	if err != nil {
		t.Fatal(err)
	}
	if [6]byte(got[0:6]) != macB || [6]byte(got[6:12]) != macA || string(got[12:]) != string(eth[12:]) {
		t.Fatalf("rewritten frame %x from %x", got, eth)
	}
	// The oversize frame is skipped and counted; the Ethernet ARP frame
	// passes (it is a valid Ethernet frame).
	got, err = pf.NextFrame()
	if err != nil || binary.BigEndian.Uint16(got[12:]) != etherTypeARP {
		t.Fatalf("second frame %x, %v", got, err)
	}
	if _, err := pf.NextFrame(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	if pf.Frames != 2 || pf.Oversize != 1 || pf.Skipped != 0 {
		t.Fatalf("counters: %s", pf)
	}

	// Raw IP gets an Ethernet header; a raw non-IP blob is skipped.
	raw := &sliceSource{frames: [][]byte{eth[ethLen:], {0x00, 0x01}}, link: packet.LinkRaw}
	pf = NewPacketFrames(raw, macA, macB, 1514)
	got, err = pf.NextFrame()
	if err != nil {
		t.Fatal(err)
	}
	if [6]byte(got[0:6]) != macB || binary.BigEndian.Uint16(got[12:]) != etherTypeIPv4 || string(got[ethLen:ethLen+len(eth)-ethLen]) != string(eth[ethLen:]) {
		t.Fatalf("wrapped raw frame %x", got)
	}
	if len(got) < MinFrame {
		t.Fatalf("wrapped frame of %d bytes", len(got))
	}
	if _, err := pf.NextFrame(); err == nil {
		// A 2-byte "IP packet" fails to decode: the source's error passes
		// through unchanged rather than being skipped.
		t.Fatal("undecodable raw frame passed")
	}
}
