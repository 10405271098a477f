package veth

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

// FuzzRespond feeds arbitrary frames to the frame parser, the probe reader
// and the built-in responder. None may panic; a reply, when there is one,
// must be a well-formed frame (it decodes, its checksums hold) addressed
// back to the sender.
func FuzzRespond(f *testing.F) {
	var pl [ProbeLen]byte
	Probe{Seq: 1, Sent: 2}.Put(pl[:])
	buf := make([]byte, 2048)
	for _, proto := range []uint8{protoUDP, protoTCP} {
		fl := testFlow(proto)
		for _, tcp := range []TCPFields{{Flags: TCPSyn}, {Seq: 5, Flags: TCPAck | TCPPsh}} {
			n, _ := fl.Build(buf, tcp, pl[:], 0)
			f.Add(append([]byte(nil), buf[:n]...))
		}
	}
	f.Add(arpRequest(netip.MustParseAddr("10.201.0.2")))
	f.Add([]byte{})
	r := NewReplier(macB, addrB)
	out := make([]byte, 2048)
	f.Fuzz(func(t *testing.T, frame []byte) {
		_, _ = probeOf(frame)
		_ = Stamp(append([]byte(nil), frame...), Probe{Seq: 3})
		n := r.Respond(frame, out)
		if n == 0 {
			return
		}
		reply := out[:n]
		to := frame[6:12]
		if binary.BigEndian.Uint16(reply[12:]) == etherTypeARP {
			to = frame[ethLen+8 : ethLen+14] // ARP answers the sender hardware address
		}
		if [6]byte(reply[6:12]) != macB || string(reply[0:6]) != string(to) {
			t.Fatalf("reply not addressed back to the sender: %x", reply)
		}
		if binary.BigEndian.Uint16(reply[12:]) == etherTypeARP {
			return
		}
		var p packet.Packet
		if err := packet.Decode(reply, packet.LinkEthernet, &p); err != nil || !p.HasL4() {
			t.Fatalf("reply does not decode: %v\n%x", err, reply)
		}
		checkChecksums(t, reply)
	})
}

// FuzzPacketFrames plays arbitrary raw and Ethernet captures: the player
// never panics and whatever it emits is an Ethernet frame with the
// topology's MAC addresses and no longer than MaxFrame.
func FuzzPacketFrames(f *testing.F) {
	fl := testFlow(protoUDP)
	buf := make([]byte, 2048)
	n, _ := fl.Build(buf, TCPFields{}, []byte("abc"), 0)
	f.Add(append([]byte(nil), buf[:n]...), true)
	f.Add(append([]byte(nil), buf[ethLen:n]...), false)
	f.Fuzz(func(t *testing.T, frame []byte, ethernet bool) {
		link := packet.LinkRaw
		if ethernet {
			link = packet.LinkEthernet
		}
		pf := NewPacketFrames(&sliceSource{frames: [][]byte{frame}, link: link}, macA, macB, 200)
		out, err := pf.NextFrame()
		if err != nil {
			return
		}
		if len(out) > 200 && len(out) > MinFrame || len(out) < MinFrame || [6]byte(out[0:6]) != macB || [6]byte(out[6:12]) != macA {
			t.Fatalf("emitted %x", out)
		}
	})
}
