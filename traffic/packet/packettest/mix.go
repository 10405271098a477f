package packettest

import (
	"math/rand/v2"
	"net/netip"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

// Mix returns n Ethernet frames in a fixed, seeded mix that looks like a
// data-centre trace: 60% IPv4/TCP (half pure ACKs, half data, half of them
// with a 12-byte timestamp option), 15% IPv6/TCP, 15% IPv4/UDP, 5% IPv6/UDP
// and 5% 802.1Q-tagged IPv4/TCP. Frames shorter than 60 bytes are padded as a
// receiver sees them. Checksums are set. Benchmarks of every
// decoder run over the same Mix so their numbers compare.
func Mix(n int, seed uint64) [][]byte {
	r := rand.New(rand.NewPCG(seed, 0x5e55))
	tsopt := []byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}
	addr4 := func() netip.Addr {
		return netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(256)), byte(1 + r.IntN(254))})
	}
	addr6 := func() netip.Addr {
		var a [16]byte
		a[0], a[1] = 0xfd, 0x00
		a[14], a[15] = byte(r.IntN(256)), byte(1+r.IntN(254))
		return netip.AddrFrom16(a)
	}
	tcp := func() TCP {
		t := TCP{SrcPort: uint16(1024 + r.IntN(60000)), DstPort: []uint16{80, 443, 8080}[r.IntN(3)],
			Seq: r.Uint32(), Ack: r.Uint32(), Flags: packet.TCPAck, Window: uint16(r.IntN(65535) + 1)}
		if r.IntN(2) == 0 {
			t.Options = tsopt
		}
		return t
	}
	tcpPayload := func() []byte {
		if r.IntN(2) == 0 {
			return nil
		}
		return Payload(1 + r.IntN(1460))
	}
	frames := make([][]byte, n)
	for i := range frames {
		var f []byte
		switch k := r.IntN(100); {
		case k < 60:
			f = Ethernet(0x0800, IPv4{Src: addr4(), Dst: addr4(), Proto: packet.ProtoTCP, DF: true, ID: uint16(i)}.Build(tcp().Build(tcpPayload())))
		case k < 75:
			f = Ethernet(0x86dd, IPv6{Src: addr6(), Dst: addr6(), PayloadLength: -1}.Build(packet.ProtoTCP, tcp().Build(tcpPayload())))
		case k < 90:
			u := UDP{SrcPort: uint16(1024 + r.IntN(60000)), DstPort: 53}
			f = Ethernet(0x0800, IPv4{Src: addr4(), Dst: addr4(), Proto: packet.ProtoUDP, ID: uint16(i)}.Build(u.Build(Payload(16+r.IntN(1185)))))
		case k < 95:
			u := UDP{SrcPort: uint16(1024 + r.IntN(60000)), DstPort: 4789}
			f = Ethernet(0x86dd, IPv6{Src: addr6(), Dst: addr6(), PayloadLength: -1}.Build(packet.ProtoUDP, u.Build(Payload(16+r.IntN(1185)))))
		default:
			f = Ethernet(0x0800, IPv4{Src: addr4(), Dst: addr4(), Proto: packet.ProtoTCP, ID: uint16(i)}.Build(tcp().Build(tcpPayload())),
				Tag{TPID: 0x8100, ID: uint16(1 + r.IntN(4094))})
		}
		if len(f) < 60 { // receivers see short frames padded to the Ethernet minimum
			f = append(f, make([]byte, 60-len(f))...)
		}
		frames[i] = Finish(f, packet.LinkEthernet)
	}
	return frames
}
