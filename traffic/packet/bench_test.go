package packet_test

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sessionlab/sessionlab/traffic/packet"
	pt "github.com/sessionlab/sessionlab/traffic/packet/packettest"
)

// benchFrames is the decode benchmarks' workload: the same seeded mix for
// every implementation.
var benchFrames = pt.Mix(4096, 1)

func reportPPS(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "pkts/s")
	}
}

// BenchmarkDecode compares packet.Decode with gopacket's two decoding styles
// on the same frames. Every implementation produces the same thing: a
// Packet with addresses, ports, TCP fields and payload.
func BenchmarkDecode(b *testing.B) {
	b.Run("impl=sessionlab", func(b *testing.B) {
		var p packet.Packet
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := packet.Decode(benchFrames[i&4095], packet.LinkEthernet, &p); err != nil {
				b.Fatal(err)
			}
		}
		reportPPS(b)
	})
	b.Run("impl=gopacket-newpacket", func(b *testing.B) {
		var p packet.Packet
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			pk := gopacket.NewPacket(benchFrames[i&4095], layers.LinkTypeEthernet, gopacket.Default)
			fromGopacket(pk, &p)
		}
		reportPPS(b)
	})
	b.Run("impl=gopacket-dlp", func(b *testing.B) {
		d := pt.NewDLP()
		var p packet.Packet
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			d.Decode(benchFrames[i&4095], &p)
		}
		reportPPS(b)
	})
}

// fromGopacket copies what the benchmark's consumer needs out of a packet
// that gopacket.NewPacket decoded.
func fromGopacket(pk gopacket.Packet, p *packet.Packet) {
	*p = packet.Packet{Data: pk.Data()}
	switch n := pk.NetworkLayer().(type) {
	case *layers.IPv4:
		p.Family, p.Proto = 4, uint8(n.Protocol)
		p.Src = packet.AddrFrom4([4]byte(n.SrcIP))
		p.Dst = packet.AddrFrom4([4]byte(n.DstIP))
	case *layers.IPv6:
		p.Family, p.Proto = 6, uint8(n.NextHeader)
		p.Src = packet.AddrFrom16([16]byte(n.SrcIP))
		p.Dst = packet.AddrFrom16([16]byte(n.DstIP))
	}
	switch t := pk.TransportLayer().(type) {
	case *layers.TCP:
		p.SrcPort, p.DstPort, p.Seq, p.Ack, p.Window = uint16(t.SrcPort), uint16(t.DstPort), t.Seq, t.Ack, t.Window
		p.Payload = t.Payload
	case *layers.UDP:
		p.SrcPort, p.DstPort = uint16(t.SrcPort), uint16(t.DstPort)
		p.Payload = t.Payload
	}
}

// TestDLPPeerIsFair checks that the DecodingLayerParser peer extracts the
// same addresses, ports and payloads as packet.Decode on the benchmark
// frames, so the benchmark compares equal work.
func TestDLPPeerIsFair(t *testing.T) {
	d := pt.NewDLP()
	for i, f := range benchFrames[:512] {
		var got, want packet.Packet
		d.Decode(f, &got)
		if err := packet.Decode(f, packet.LinkEthernet, &want); err != nil {
			t.Fatal(err)
		}
		if got.Tuple() != want.Tuple() || got.Seq != want.Seq || len(got.Payload) != len(want.Payload) {
			t.Fatalf("frame %d: dlp %v seq %d payload %d, Decode %v seq %d payload %d", i, got.Tuple(), got.Seq, len(got.Payload), want.Tuple(), want.Seq, len(want.Payload))
		}
	}
}

// netipTuple is the 5-tuple as it would be with netip.Addr addresses, hashed
// the same way as packet.FiveTuple. BenchmarkAddrRepr measures why Packet and
// FiveTuple hold packet.Addr words instead (see the Addr doc comment).
type netipTuple struct {
	src, dst         netip.Addr
	srcPort, dstPort uint16
	proto            uint8
}

func netipEndpoint(a netip.Addr, port uint16, ka, kb uint64) uint64 {
	b := a.As16()
	return mum(binary.BigEndian.Uint64(b[0:8])^ka, binary.BigEndian.Uint64(b[8:16])^uint64(port)<<48^kb)
}

func (t netipTuple) hash() uint64 {
	s := netipEndpoint(t.src, t.srcPort, 0xa0761d6478bd642f, 0xe7037ed1a0b428db)
	d := netipEndpoint(t.dst, t.dstPort, 0x8ebc6af09c88c6e3, 0x589965cc75374cc3)
	return mum(s^uint64(t.proto), d^0x1d8e4e27c47d124f)
}

func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// BenchmarkAddrRepr hashes the 5-tuples of the benchmark mix held as
// packet.Addr words and as netip.Addr.
func BenchmarkAddrRepr(b *testing.B) {
	var words []packet.FiveTuple
	var nt []netipTuple
	for _, f := range benchFrames[:1024] {
		var p packet.Packet
		_ = packet.Decode(f, packet.LinkEthernet, &p)
		words = append(words, p.Tuple())
		nt = append(nt, netipTuple{p.Src.Netip(), p.Dst.Netip(), p.SrcPort, p.DstPort, p.Proto})
	}
	b.Run("impl=addr-words", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sinkHash += words[i&1023].Hash()
		}
	})
	b.Run("impl=netip", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sinkHash += nt[i&1023].hash()
		}
	})
}

var sinkHash uint64

func BenchmarkTupleHash(b *testing.B) {
	var tuples []packet.FiveTuple
	for _, f := range benchFrames[:1024] {
		var p packet.Packet
		_ = packet.Decode(f, packet.LinkEthernet, &p)
		tuples = append(tuples, p.Tuple())
	}
	b.Run("kind=directional", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sinkHash += tuples[i&1023].Hash()
		}
	})
	b.Run("kind=symmetric", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sinkHash += tuples[i&1023].SymmetricHash()
		}
	})
}
