package packet_test

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"github.com/sessionlab/sessionlab/traffic/packet"
	pt "github.com/sessionlab/sessionlab/traffic/packet/packettest"
)

var (
	v4a = netip.MustParseAddr("10.1.2.3")
	v4b = netip.MustParseAddr("192.168.7.9")
	v6a = netip.MustParseAddr("fd00::1:2")
	v6b = netip.MustParseAddr("2001:db8::99")
)

func tcp4(payload []byte) []byte {
	return pt.IPv4{Src: v4a, Dst: v4b, Proto: packet.ProtoTCP, TTL: 33}.Build(
		pt.TCP{SrcPort: 40000, DstPort: 80, Seq: 1000, Ack: 2000, Flags: packet.TCPAck | packet.TCPPsh, Window: 512}.Build(payload))
}

func udp6(payload []byte, ext ...pt.Ext) []byte {
	return pt.IPv6{Src: v6a, Dst: v6b, HopLimit: 7, Ext: ext, PayloadLength: -1}.Build(packet.ProtoUDP,
		pt.UDP{SrcPort: 5353, DstPort: 53}.Build(payload))
}

// want lists the fields an edge case checks; zero values are checked too.
type want struct {
	family       uint8
	proto        uint8
	src, dst     netip.Addr
	sport, dport uint16
	flags        packet.Flags
	tcpFlags     packet.TCPFlags
	seq, ack     uint32
	etherType    uint16
	vlans        []uint16
	vlanCount    uint8
	fragOffset   uint16
	l3, l4       uint16
	payload      []byte
	ttl          uint8
}

// edgeCase is a hand-built frame and the fields Decode must find in it.
type edgeCase struct {
	name  string
	link  packet.LinkType
	frame []byte
	want  want
}

func edgeCases() []edgeCase {
	pay := pt.Payload(10)
	icmp := []byte{8, 0, 0, 0, 0, 1, 0, 1, 'p', 'i', 'n', 'g'}
	return []edgeCase{
		{"ethernet ipv4 tcp", packet.LinkEthernet, pt.Ethernet(0x0800, tcp4(pay)),
			want{family: 4, proto: 6, src: v4a, dst: v4b, sport: 40000, dport: 80, flags: packet.FlagL4, tcpFlags: packet.TCPAck | packet.TCPPsh,
				seq: 1000, ack: 2000, etherType: 0x0800, l3: 14, l4: 34, payload: pay, ttl: 33}},
		{"802.1Q", packet.LinkEthernet, pt.Ethernet(0x0800, tcp4(pay), pt.Tag{TPID: 0x8100, ID: 100}),
			want{family: 4, proto: 6, src: v4a, dst: v4b, sport: 40000, dport: 80, flags: packet.FlagL4, tcpFlags: packet.TCPAck | packet.TCPPsh,
				seq: 1000, ack: 2000, etherType: 0x0800, vlans: []uint16{100}, vlanCount: 1, l3: 18, l4: 38, payload: pay, ttl: 33}},
		{"QinQ 802.1ad", packet.LinkEthernet, pt.Ethernet(0x0800, tcp4(pay), pt.Tag{TPID: 0x88a8, ID: 10 | 0x7000}, pt.Tag{TPID: 0x8100, ID: 20}),
			want{family: 4, proto: 6, src: v4a, dst: v4b, sport: 40000, dport: 80, flags: packet.FlagL4, tcpFlags: packet.TCPAck | packet.TCPPsh,
				seq: 1000, ack: 2000, etherType: 0x0800, vlans: []uint16{10, 20}, vlanCount: 2, l3: 22, l4: 42, payload: pay, ttl: 33}},
		{"QinQ 0x9100", packet.LinkEthernet, pt.Ethernet(0x86dd, udp6(pay), pt.Tag{TPID: 0x9100, ID: 4094}, pt.Tag{TPID: 0x8100, ID: 1}),
			want{family: 6, proto: 17, src: v6a, dst: v6b, sport: 5353, dport: 53, flags: packet.FlagL4,
				etherType: 0x86dd, vlans: []uint16{4094, 1}, vlanCount: 2, l3: 22, l4: 62, payload: pay, ttl: 7}},
		{"three tags", packet.LinkEthernet, pt.Ethernet(0x0800, tcp4(pay), pt.Tag{TPID: 0x88a8, ID: 1}, pt.Tag{TPID: 0x8100, ID: 2}, pt.Tag{TPID: 0x8100, ID: 3}),
			want{family: 4, proto: 6, src: v4a, dst: v4b, sport: 40000, dport: 80, flags: packet.FlagL4 | packet.FlagVLANOverflow, tcpFlags: packet.TCPAck | packet.TCPPsh,
				seq: 1000, ack: 2000, etherType: 0x0800, vlans: []uint16{1, 2}, vlanCount: 3, l3: 26, l4: 46, payload: pay, ttl: 33}},
		{"ipv6 hop-by-hop routing destination", packet.LinkEthernet, pt.Ethernet(0x86dd, udp6(pay, pt.Ext{Type: 0, Len: 8}, pt.Ext{Type: 43, Len: 24}, pt.Ext{Type: 60, Len: 16})),
			want{family: 6, proto: 17, src: v6a, dst: v6b, sport: 5353, dport: 53, flags: packet.FlagL4 | packet.FlagIPv6Ext,
				etherType: 0x86dd, l3: 14, l4: 14 + 40 + 48, payload: pay, ttl: 7}},
		{"ipv6 mobility header skipped", packet.LinkEthernet, pt.Ethernet(0x86dd, udp6(pay, pt.Ext{Type: 135, Len: 16})),
			want{family: 6, proto: 17, src: v6a, dst: v6b, sport: 5353, dport: 53, flags: packet.FlagL4 | packet.FlagIPv6Ext,
				etherType: 0x86dd, l3: 14, l4: 14 + 40 + 16, payload: pay, ttl: 7}},
		{"ipv6 first fragment", packet.LinkEthernet, pt.Ethernet(0x86dd, udp6(pay, pt.Ext{Type: 44, More: true})),
			want{family: 6, proto: 17, src: v6a, dst: v6b, sport: 5353, dport: 53, flags: packet.FlagL4 | packet.FlagIPv6Ext | packet.FlagFragment | packet.FlagMoreFragments,
				etherType: 0x86dd, l3: 14, l4: 62, payload: pay, ttl: 7}},
		{"ipv6 non-first fragment", packet.LinkEthernet, pt.Ethernet(0x86dd, pt.IPv6{Src: v6a, Dst: v6b, HopLimit: 7, PayloadLength: -1, Ext: []pt.Ext{{Type: 44, FragOffset: 1448}}}.Build(17, pay)),
			want{family: 6, proto: 17, src: v6a, dst: v6b, flags: packet.FlagIPv6Ext | packet.FlagFragment,
				etherType: 0x86dd, fragOffset: 1448, l3: 14, l4: 62, payload: pay, ttl: 7}},
		{"ipv6 atomic fragment is whole", packet.LinkEthernet, pt.Ethernet(0x86dd, udp6(pay, pt.Ext{Type: 44})),
			want{family: 6, proto: 17, src: v6a, dst: v6b, sport: 5353, dport: 53, flags: packet.FlagL4 | packet.FlagIPv6Ext,
				etherType: 0x86dd, l3: 14, l4: 62, payload: pay, ttl: 7}},
		{"ipv6 AH", packet.LinkEthernet, pt.Ethernet(0x86dd, udp6(pay, pt.Ext{Type: 51, Len: 24})),
			want{family: 6, proto: 17, src: v6a, dst: v6b, sport: 5353, dport: 53, flags: packet.FlagL4 | packet.FlagIPv6Ext,
				etherType: 0x86dd, l3: 14, l4: 14 + 40 + 24, payload: pay, ttl: 7}},
		{"ipv6 ESP stops", packet.LinkEthernet, pt.Ethernet(0x86dd, pt.IPv6{Src: v6a, Dst: v6b, HopLimit: 7, PayloadLength: -1}.Build(50, pay)),
			want{family: 6, proto: 50, src: v6a, dst: v6b, etherType: 0x86dd, l3: 14, l4: 54, payload: pay, ttl: 7}},
		{"ipv4 options", packet.LinkEthernet, pt.Ethernet(0x0800, pt.IPv4{Src: v4a, Dst: v4b, Proto: 17, TTL: 1, Options: []byte{0x94, 4, 0, 0, 1, 0, 0, 0}}.Build(pt.UDP{SrcPort: 1, DstPort: 2}.Build(pay))),
			want{family: 4, proto: 17, src: v4a, dst: v4b, sport: 1, dport: 2, flags: packet.FlagL4 | packet.FlagIPOptions,
				etherType: 0x0800, l3: 14, l4: 42, payload: pay, ttl: 1}},
		{"ipv4 first fragment", packet.LinkEthernet, pt.Ethernet(0x0800, pt.IPv4{Src: v4a, Dst: v4b, Proto: 17, TTL: 9, MF: true}.Build(pt.UDP{SrcPort: 1, DstPort: 2, Length: 3000}.Build(pay))),
			want{family: 4, proto: 17, src: v4a, dst: v4b, sport: 1, dport: 2, flags: packet.FlagL4 | packet.FlagFragment | packet.FlagMoreFragments | packet.FlagTruncated,
				etherType: 0x0800, l3: 14, l4: 34, payload: pay, ttl: 9}},
		{"ipv4 non-first fragment", packet.LinkEthernet, pt.Ethernet(0x0800, pt.IPv4{Src: v4a, Dst: v4b, Proto: 6, TTL: 9, FragOffset: 1480}.Build(pay)),
			want{family: 4, proto: 6, src: v4a, dst: v4b, flags: packet.FlagFragment,
				etherType: 0x0800, fragOffset: 1480, l3: 14, l4: 34, payload: pay, ttl: 9}},
		{"ipv4 AH", packet.LinkEthernet, pt.Ethernet(0x0800, pt.IPv4{Src: v4a, Dst: v4b, Proto: 51, TTL: 9}.Build(append([]byte{17, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, pt.UDP{SrcPort: 7, DstPort: 8}.Build(pay)...))),
			want{family: 4, proto: 17, src: v4a, dst: v4b, sport: 7, dport: 8, flags: packet.FlagL4 | packet.FlagIPv6Ext,
				etherType: 0x0800, l3: 14, l4: 58, payload: pay, ttl: 9}},
		{"ipv4 icmp is not an error", packet.LinkEthernet, pt.Ethernet(0x0800, pt.IPv4{Src: v4a, Dst: v4b, Proto: 1, TTL: 64}.Build(icmp)),
			want{family: 4, proto: 1, src: v4a, dst: v4b, etherType: 0x0800, l3: 14, l4: 34, payload: icmp, ttl: 64}},
		{"arp is not an error", packet.LinkEthernet, pt.Ethernet(0x0806, make([]byte, 28)),
			want{etherType: 0x0806}},
		{"802.3 llc is not an error", packet.LinkEthernet, pt.Ethernet(46, make([]byte, 46)),
			want{etherType: 46}},
		{"ethernet padding trimmed", packet.LinkEthernet, append(pt.Ethernet(0x0800, tcp4(nil)), 0, 0, 0, 0, 0, 0),
			want{family: 4, proto: 6, src: v4a, dst: v4b, sport: 40000, dport: 80, flags: packet.FlagL4, tcpFlags: packet.TCPAck | packet.TCPPsh,
				seq: 1000, ack: 2000, etherType: 0x0800, l3: 14, l4: 34, payload: []byte{}, ttl: 33}},
		{"snaplen cut payload", packet.LinkEthernet, pt.Ethernet(0x0800, tcp4(pt.Payload(100)))[:14+20+20+5],
			want{family: 4, proto: 6, src: v4a, dst: v4b, sport: 40000, dport: 80, flags: packet.FlagL4 | packet.FlagTruncated, tcpFlags: packet.TCPAck | packet.TCPPsh,
				seq: 1000, ack: 2000, etherType: 0x0800, l3: 14, l4: 34, payload: pt.Payload(5), ttl: 33}},
		{"udp length beyond capture", packet.LinkIPv4, pt.IPv4{Src: v4a, Dst: v4b, Proto: 17}.Build(pt.UDP{SrcPort: 1, DstPort: 2, Length: 100}.Build(pay)),
			want{family: 4, proto: 17, src: v4a, dst: v4b, sport: 1, dport: 2, flags: packet.FlagL4 | packet.FlagTruncated, l3: 0, l4: 20, payload: pay, ttl: 64}},
		{"ipv4 tso zero length", packet.LinkRaw, pt.IPv4{Src: v4a, Dst: v4b, Proto: 17, TotalLength: -1}.Build(pt.UDP{SrcPort: 1, DstPort: 2}.Build(pay)),
			want{family: 4, proto: 17, src: v4a, dst: v4b, sport: 1, dport: 2, flags: packet.FlagL4, l4: 20, payload: pay, ttl: 64}},
		{"linux sll", packet.LinkLinuxSLL, pt.SLL(0x0800, tcp4(pay)),
			want{family: 4, proto: 6, src: v4a, dst: v4b, sport: 40000, dport: 80, flags: packet.FlagL4, tcpFlags: packet.TCPAck | packet.TCPPsh,
				seq: 1000, ack: 2000, etherType: 0x0800, l3: 16, l4: 36, payload: pay, ttl: 33}},
		{"linux sll2", packet.LinkLinuxSLL2, pt.SLL2(0x86dd, udp6(pay)),
			want{family: 6, proto: 17, src: v6a, dst: v6b, sport: 5353, dport: 53, flags: packet.FlagL4,
				etherType: 0x86dd, l3: 20, l4: 60, payload: pay, ttl: 7}},
		{"raw 101 ipv4", packet.LinkRaw, tcp4(pay),
			want{family: 4, proto: 6, src: v4a, dst: v4b, sport: 40000, dport: 80, flags: packet.FlagL4, tcpFlags: packet.TCPAck | packet.TCPPsh,
				seq: 1000, ack: 2000, l3: 0, l4: 20, payload: pay, ttl: 33}},
		{"raw 12 ipv6", packet.LinkRaw12, udp6(pay),
			want{family: 6, proto: 17, src: v6a, dst: v6b, sport: 5353, dport: 53, flags: packet.FlagL4, l4: 40, payload: pay, ttl: 7}},
		{"raw 14 ipv4", packet.LinkRaw14, tcp4(pay),
			want{family: 4, proto: 6, src: v4a, dst: v4b, sport: 40000, dport: 80, flags: packet.FlagL4, tcpFlags: packet.TCPAck | packet.TCPPsh,
				seq: 1000, ack: 2000, l4: 20, payload: pay, ttl: 33}},
		{"linktype ipv4", packet.LinkIPv4, tcp4(pay),
			want{family: 4, proto: 6, src: v4a, dst: v4b, sport: 40000, dport: 80, flags: packet.FlagL4, tcpFlags: packet.TCPAck | packet.TCPPsh,
				seq: 1000, ack: 2000, l4: 20, payload: pay, ttl: 33}},
		{"linktype ipv6", packet.LinkIPv6, udp6(pay),
			want{family: 6, proto: 17, src: v6a, dst: v6b, sport: 5353, dport: 53, flags: packet.FlagL4, l4: 40, payload: pay, ttl: 7}},
		{"null little-endian", packet.LinkNull, pt.Loopback(2, false, tcp4(pay)),
			want{family: 4, proto: 6, src: v4a, dst: v4b, sport: 40000, dport: 80, flags: packet.FlagL4, tcpFlags: packet.TCPAck | packet.TCPPsh,
				seq: 1000, ack: 2000, l3: 4, l4: 24, payload: pay, ttl: 33}},
		{"loop big-endian ipv6", packet.LinkLoop, pt.Loopback(24, true, udp6(pay)),
			want{family: 6, proto: 17, src: v6a, dst: v6b, sport: 5353, dport: 53, flags: packet.FlagL4, l3: 4, l4: 44, payload: pay, ttl: 7}},
		{"tcp NS flag and options", packet.LinkRaw, pt.IPv4{Src: v4a, Dst: v4b, Proto: 6}.Build(pt.TCP{SrcPort: 1, DstPort: 2, Flags: packet.TCPSyn | packet.TCPNs | packet.TCPEce | packet.TCPCwr, Options: []byte{2, 4, 5, 0xb4}}.Build(nil)),
			want{family: 4, proto: 6, src: v4a, dst: v4b, sport: 1, dport: 2, flags: packet.FlagL4, tcpFlags: packet.TCPSyn | packet.TCPNs | packet.TCPEce | packet.TCPCwr,
				l4: 20, payload: []byte{}, ttl: 64}},
	}
}

func TestDecodeEdgeCases(t *testing.T) {
	for _, c := range edgeCases() {
		t.Run(c.name, func(t *testing.T) {
			var p packet.Packet
			p.Timestamp, p.WireLen, p.Interface = 42, 9000, 3
			if err := packet.Decode(c.frame, c.link, &p); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			w := c.want
			check := func(name string, got, want any) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			check("Timestamp (kept)", p.Timestamp, int64(42))
			check("WireLen (kept)", p.WireLen, uint32(9000))
			check("Interface (kept)", p.Interface, uint16(3))
			check("CapLen", p.CapLen, uint32(len(c.frame)))
			check("Link", p.Link, c.link)
			check("Family", p.Family, w.family)
			check("Proto", p.Proto, w.proto)
			check("Src", p.Src, packet.AddrFromNetip(w.src))
			check("Dst", p.Dst, packet.AddrFromNetip(w.dst))
			check("SrcPort", p.SrcPort, w.sport)
			check("DstPort", p.DstPort, w.dport)
			check("Flags", p.Flags, w.flags)
			check("TCPFlags", p.TCPFlags, w.tcpFlags)
			check("Seq", p.Seq, w.seq)
			check("Ack", p.Ack, w.ack)
			check("EtherType", p.EtherType, w.etherType)
			check("VLANCount", p.VLANCount, w.vlanCount)
			var vl [2]uint16
			copy(vl[:], w.vlans)
			check("VLAN", p.VLAN, vl)
			check("FragOffset", p.FragOffset, w.fragOffset)
			check("TTL", p.TTL, w.ttl)
			if w.family != 0 {
				check("L3Offset", p.L3Offset, w.l3)
				check("L4Offset", p.L4Offset, w.l4)
			}
			if !bytes.Equal(p.Payload, w.payload) || (w.payload != nil) != (p.Payload != nil) {
				t.Errorf("Payload = %q, want %q", p.Payload, w.payload)
			}
			if &p.Data[0] != &c.frame[0] {
				t.Errorf("Data does not alias the frame")
			}
			if len(p.Payload) > 0 && &p.Payload[0] != &c.frame[len(c.frame)-len(p.Payload)-trailing(c.frame, &p)] {
				t.Errorf("Payload does not alias the frame at the expected place")
			}
			// Decoding the same bytes again yields the same record.
			q := p
			if err := packet.Decode(c.frame, c.link, &q); err != nil || !samePacket(&p, &q) {
				t.Errorf("second decode differs: %v", err)
			}
		})
	}
}

// trailing returns how many bytes of frame follow the payload (Ethernet
// padding): the frame minus the IP packet's end.
func trailing(frame []byte, p *packet.Packet) int {
	end := int(p.L4Offset) + len(p.Payload)
	if p.HasL4() {
		hl := 8
		if p.Proto == packet.ProtoTCP {
			hl = int(frame[p.L4Offset+12]>>4) * 4
		}
		end += hl
	}
	return len(frame) - end
}

func samePacket(a, b *packet.Packet) bool {
	return a.Timestamp == b.Timestamp && a.Src == b.Src && a.Dst == b.Dst && a.WireLen == b.WireLen && a.CapLen == b.CapLen &&
		a.Seq == b.Seq && a.Ack == b.Ack && a.SrcPort == b.SrcPort && a.DstPort == b.DstPort && a.Window == b.Window &&
		a.EtherType == b.EtherType && a.VLAN == b.VLAN && a.FragOffset == b.FragOffset && a.L3Offset == b.L3Offset &&
		a.L4Offset == b.L4Offset && a.Interface == b.Interface && a.Link == b.Link && a.Family == b.Family && a.Proto == b.Proto &&
		a.TTL == b.TTL && a.VLANCount == b.VLANCount && a.TCPFlags == b.TCPFlags && a.Flags == b.Flags &&
		bytes.Equal(a.Payload, b.Payload) && len(a.Data) == len(b.Data)
}

func TestDecodeErrors(t *testing.T) {
	pay := pt.Payload(4)
	withByte := func(b []byte, i int, v byte) []byte { b = bytes.Clone(b); b[i] = v; return b }
	cases := []struct {
		name   string
		link   packet.LinkType
		frame  []byte
		layer  packet.Layer
		offset int
		reason string
		want   int
		have   int
		text   string
	}{
		{"ipv6 header behind ethertype 0x0800", packet.LinkEthernet, pt.Ethernet(0x0800, udp6(pay)), packet.LayerIPv4, 14, packet.ReasonVersion, 4, 6,
			"ipv4 at offset 14: wrong IP version: want 4, have 6"},
		{"ipv4 header behind 0x86dd", packet.LinkEthernet, pt.Ethernet(0x86dd, append(tcp4(pay), make([]byte, 20)...)), packet.LayerIPv6, 14, packet.ReasonVersion, 6, 4,
			"ipv6 at offset 14: wrong IP version: want 6, have 4"},
		{"ihl 4", packet.LinkRaw, withByte(tcp4(pay), 0, 0x44), packet.LayerIPv4, 0, packet.ReasonHeaderLength, 20, 16,
			"ipv4 at offset 0: header length too small: want 20, have 16"},
		{"total length below header", packet.LinkRaw, withByte(withByte(tcp4(pay), 2, 0), 3, 19), packet.LayerIPv4, 2, packet.ReasonTotalLength, 20, 19,
			"ipv4 at offset 2: length field smaller than header: want 20, have 19"},
		{"tcp data offset 4", packet.LinkRaw, withByte(tcp4(pay), 20+12, 0x40), packet.LayerTCP, 32, packet.ReasonHeaderLength, 20, 16,
			"tcp at offset 32: header length too small: want 20, have 16"},
		{"tcp options beyond packet", packet.LinkRaw, withByte(tcp4(pay), 20+12, 0xf0), packet.LayerTCP, 20, packet.ReasonTruncated, 60, 24,
			"tcp at offset 20: truncated header: want 60 bytes, have 24"},
		{"udp length 7", packet.LinkIPv4, pt.IPv4{Src: v4a, Dst: v4b, Proto: 17}.Build(pt.UDP{SrcPort: 1, DstPort: 2, Length: 7}.Build(pay)), packet.LayerUDP, 24, packet.ReasonTotalLength, 8, 7,
			"udp at offset 24: length field smaller than header: want 8, have 7"},
		{"ah length 8", packet.LinkIPv6, pt.IPv6{Src: v6a, Dst: v6b, PayloadLength: -1}.Build(51, []byte{17, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}), packet.LayerIPv6Ext, 41, packet.ReasonHeaderLength, 12, 8,
			"ipv6-ext at offset 41: header length too small: want 12, have 8"},
		{"unsupported link", packet.LinkType(105), []byte{1, 2, 3}, packet.LayerLink, 0, packet.ReasonUnsupportedLink, 0, 105,
			"link at offset 0: unsupported link type 105"},
		{"empty raw", packet.LinkRaw, nil, packet.LayerIPv4, 0, packet.ReasonTruncated, 20, 0,
			"ipv4 at offset 0: truncated header: want 20 bytes, have 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p packet.Packet
			err := packet.Decode(c.frame, c.link, &p)
			var de *packet.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode error = %v, want a *DecodeError", err)
			}
			if de.Layer != c.layer || de.Offset != c.offset || de.Reason != c.reason || de.Want != c.want || de.Have != c.have {
				t.Errorf("got %+v, want layer %v offset %d reason %q want %d have %d", *de, c.layer, c.offset, c.reason, c.want, c.have)
			}
			if err.Error() != c.text {
				t.Errorf("Error() = %q, want %q", err.Error(), c.text)
			}
		})
	}
}

// span is one header of a frame: where it starts, the bytes a decoder needs
// before it can read its length, and its full length.
type span struct {
	layer            packet.Layer
	start, min, full int
}

// TestDecodeTruncatedEveryLayer cuts frames at every length and checks that
// a cut inside a header is a truncation error naming that header's layer,
// start offset and needed length, and that a cut in the payload decodes with
// FlagTruncated set.
func TestDecodeTruncatedEveryLayer(t *testing.T) {
	pay := pt.Payload(10)
	for _, f := range truncationFrames(pay) {
		t.Run(f.name, func(t *testing.T) {
			last := f.spans[len(f.spans)-1]
			hdrEnd := last.start + last.full
			if len(f.frame) != hdrEnd+len(pay) {
				t.Fatalf("test frame has %d bytes, spans say %d", len(f.frame), hdrEnd+len(pay))
			}
			for n := 0; n <= len(f.frame); n++ {
				var p packet.Packet
				err := packet.Decode(f.frame[:n], f.link, &p)
				if n >= hdrEnd {
					if err != nil {
						t.Fatalf("cut at %d (in payload): %v", n, err)
					}
					if got, want := p.Truncated(), n < len(f.frame); got != want {
						t.Errorf("cut at %d: Truncated() = %v, want %v", n, got, want)
					}
					if !bytes.Equal(p.Payload, pay[:n-hdrEnd]) {
						t.Errorf("cut at %d: payload %q", n, p.Payload)
					}
					continue
				}
				var s span
				for _, s = range f.spans {
					if n < s.start+s.full {
						break
					}
				}
				wantNeed := s.full
				if n-s.start < s.min {
					wantNeed = s.min
				}
				var de *packet.DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("cut at %d: error %v, want a truncation of %v", n, err, s.layer)
				}
				if de.Layer != s.layer || de.Offset != s.start || de.Reason != packet.ReasonTruncated || de.Want != wantNeed || de.Have != n-s.start {
					t.Errorf("cut at %d: got %v, want %v at offset %d: want %d bytes, have %d", n, de, s.layer, s.start, wantNeed, n-s.start)
				}
			}
		})
	}
}

// truncationFrame is a frame whose header layout is known, for cutting.
type truncationFrame struct {
	name  string
	link  packet.LinkType
	frame []byte
	spans []span
}

// truncationFrames returns frames whose headers end at the last span and are
// followed by pay.
func truncationFrames(pay []byte) []truncationFrame {
	tcpOpts := make([]byte, 12)
	ipOpts := []byte{1, 1, 1, 0}
	ethFrame := pt.Ethernet(0x0800, pt.IPv4{Src: v4a, Dst: v4b, Proto: 6, Options: ipOpts}.Build(
		pt.TCP{SrcPort: 1, DstPort: 2, Flags: packet.TCPAck, Options: tcpOpts}.Build(pay)),
		pt.Tag{TPID: 0x88a8, ID: 5}, pt.Tag{TPID: 0x8100, ID: 6})
	sll2Frame := pt.SLL2(0x86dd, udp6(pay, pt.Ext{Type: 0, Len: 8}, pt.Ext{Type: 43, Len: 24}, pt.Ext{Type: 44}, pt.Ext{Type: 51, Len: 16}, pt.Ext{Type: 60, Len: 16}))
	sllFrame := pt.SLL(0x0800, pt.IPv4{Src: v4a, Dst: v4b, Proto: 17}.Build(pt.UDP{SrcPort: 1, DstPort: 2}.Build(pay)))
	loopFrame := pt.Loopback(30, false, pt.IPv6{Src: v6a, Dst: v6b, PayloadLength: -1}.Build(6, pt.TCP{SrcPort: 1, DstPort: 2}.Build(pay)))
	rawFrame := pt.IPv4{Src: v4a, Dst: v4b, Proto: 51}.Build(append([]byte{6, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
		pt.TCP{SrcPort: 1, DstPort: 2}.Build(pay)...))
	return []truncationFrame{
		{"ethernet qinq ipv4-options tcp-options", packet.LinkEthernet, ethFrame, []span{
			{packet.LayerEthernet, 0, 14, 14}, {packet.LayerVLAN, 14, 4, 4}, {packet.LayerVLAN, 18, 4, 4},
			{packet.LayerIPv4, 22, 20, 24}, {packet.LayerTCP, 46, 20, 32}}},
		{"sll2 ipv6 extension chain udp", packet.LinkLinuxSLL2, sll2Frame, []span{
			{packet.LayerLinuxSLL2, 0, 20, 20}, {packet.LayerIPv6, 20, 40, 40}, {packet.LayerIPv6Ext, 60, 8, 8},
			{packet.LayerIPv6Ext, 68, 8, 24}, {packet.LayerIPv6Ext, 92, 8, 8}, {packet.LayerIPv6Ext, 100, 8, 16},
			{packet.LayerIPv6Ext, 116, 8, 16}, {packet.LayerUDP, 132, 8, 8}}},
		{"sll ipv4 udp", packet.LinkLinuxSLL, sllFrame, []span{
			{packet.LayerLinuxSLL, 0, 16, 16}, {packet.LayerIPv4, 16, 20, 20}, {packet.LayerUDP, 36, 8, 8}}},
		{"loopback ipv6 tcp", packet.LinkNull, loopFrame, []span{
			{packet.LayerLoopback, 0, 4, 4}, {packet.LayerIPv6, 4, 40, 40}, {packet.LayerTCP, 44, 20, 20}}},
		{"raw ipv4 ah tcp", packet.LinkRaw, rawFrame, []span{
			{packet.LayerIPv4, 0, 20, 20}, {packet.LayerIPv6Ext, 20, 8, 24}, {packet.LayerTCP, 44, 20, 20}}},
	}
}

func TestTCPFlagsString(t *testing.T) {
	for f, want := range map[packet.TCPFlags]string{0: "none", packet.TCPSyn | packet.TCPAck: "SYN|ACK", packet.TCPFin | packet.TCPNs: "FIN|NS"} {
		if got := f.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", f, got, want)
		}
	}
	if !(packet.TCPSyn | packet.TCPAck).Has(packet.TCPSyn) || packet.TCPSyn.Has(packet.TCPSyn|packet.TCPAck) {
		t.Error("Has is wrong")
	}
}

func TestLinkTypeString(t *testing.T) {
	for l, want := range map[packet.LinkType]string{packet.LinkEthernet: "ethernet", packet.LinkLinuxSLL2: "linux-sll2", packet.LinkRaw12: "raw", 105: "linktype-105"} {
		if got := l.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", l, got, want)
		}
		if l != 105 && !l.Supported() || l == 105 && l.Supported() {
			t.Errorf("%v.Supported() wrong", l)
		}
	}
}
