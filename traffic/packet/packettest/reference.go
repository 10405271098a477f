package packettest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

// Reference decodes frame with gopacket.NewPacket and copies what it found
// into a packet.Packet: the slow, obviously right decoder that
// packet.Decode is checked against. It fills the fields that gopacket
// exposes directly (addresses, ports, TCP fields, protocol, TTL, VLANs,
// EtherType, fragment bits, payload, the truncated and option flags);
// byte offsets are left zero. The error is gopacket's decode failure, if any,
// in the headers packet.Decode reads (failures in application layers that
// gopacket goes on to decode, such as DNS, are not errors here), or a
// missing header where one must follow (gopacket stops quietly there).
//
// Gaps in gopacket are bridged so the comparison is about decoding, not
// about coverage: an outer 0x9100 tag is presented to gopacket as 802.1ad,
// raw-IP link types 12, 14, 228 and 229 as 101, and the rest of a first or
// atomic fragment (which gopacket leaves as an opaque Fragment) is decoded
// by a second gopacket.NewPacket from the header after the fragment header.
func Reference(frame []byte, link packet.LinkType) (packet.Packet, error) {
	p := packet.Packet{Data: frame, CapLen: uint32(len(frame)), WireLen: uint32(len(frame)), Link: link}
	buf := frame
	if link == packet.LinkEthernet && len(frame) >= 14 {
		buf = bytes.Clone(frame)
		for off := 12; off+4 <= len(buf); off += 4 {
			t := binary.BigEndian.Uint16(buf[off:])
			if t == 0x9100 {
				binary.BigEndian.PutUint16(buf[off:], 0x88a8)
				continue
			}
			if t != 0x8100 && t != 0x88a8 {
				break
			}
		}
	}
	if len(frame) == 0 {
		return p, errors.New("empty frame")
	}
	lt := layers.LinkType(link)
	switch link {
	case packet.LinkRaw12, packet.LinkRaw14, packet.LinkIPv4, packet.LinkIPv6:
		lt = layers.LinkTypeRaw // gopacket registers raw IP under 101 only
	}
	pk := gopacket.NewPacket(buf, lt, gopacket.Default)
	ls := pk.Layers()
	errLayer := pk.ErrorLayer()
	// continueWith replaces the layers after i with gopacket's decoding of
	// payload as layer type t: for fragments whose transport header gopacket
	// leaves opaque.
	continueWith := func(i int, payload []byte, t gopacket.LayerType) {
		sub := gopacket.NewPacket(payload, t, gopacket.Default)
		ls = append(ls[:i+1:i+1], sub.Layers()...)
		errLayer = sub.ErrorLayer()
	}
	var l3payload []byte
	haveL3 := false
	ours := true // the next layer is one packet.Decode reads
layers:
	for i := 0; i < len(ls); i++ {
		l := ls[i]
		if p.Flags&packet.FlagL4 != 0 {
			break // tunnels (VXLAN, GRE over UDP) start again below; only the outer headers count
		}
		if !ours {
			break // gopacket follows a type packet.Decode does not (0xffff "raw IP", ...)
		}
		if haveL3 {
			switch l.(type) {
			case *layers.Ethernet, *layers.Dot1Q, *layers.IPv4, *layers.IPv6:
				break layers // a tunnel (IP in IP, EtherIP): packet.Decode stops at the outer IP
			case *layers.IPv6HopByHop, *layers.IPv6Routing, *layers.IPv6Destination, *layers.IPv6Fragment:
				if p.Family == 4 {
					break layers // IPv6 extension headers mean nothing after IPv4
				}
			}
		}
		if i+1 < len(ls) {
			if _, failed := ls[i+1].(*gopacket.DecodeFailure); failed && len(l.LayerPayload()) == 0 {
				// Some gopacket decoders add their layer before decoding
				// it; a failed one is followed by the failure and has no
				// payload. Its fields are not valid.
				break
			}
		}
		switch l := l.(type) {
		case *layers.Ethernet:
			p.EtherType = uint16(l.EthernetType)
			if l.Length != 0 { // 802.3: gopacket reports LLC and keeps the length apart
				p.EtherType = l.Length
			}
			ours = etherOurs(p.EtherType)
		case *layers.Dot1Q:
			if p.VLANCount < 2 {
				p.VLAN[p.VLANCount] = l.VLANIdentifier
			} else {
				p.Flags |= packet.FlagVLANOverflow
			}
			p.VLANCount++
			p.EtherType = uint16(l.Type)
			ours = etherOurs(p.EtherType)
		case *layers.LinuxSLL:
			p.EtherType = uint16(l.EthernetType)
			ours = etherOurs(p.EtherType)
		case *layers.LinuxSLL2:
			p.EtherType = uint16(l.ProtocolType)
			ours = etherOurs(p.EtherType)
		case *layers.Loopback:
			ours = l.Family == layers.ProtocolFamilyIPv4 || l.Family == layers.ProtocolFamilyIPv6BSD ||
				l.Family == layers.ProtocolFamilyIPv6FreeBSD || l.Family == layers.ProtocolFamilyIPv6Darwin ||
				l.Family == layers.ProtocolFamilyIPv6Linux
		case *layers.IPv4:
			haveL3 = true
			p.Family = 4
			p.TTL = l.TTL
			p.Proto = uint8(l.Protocol)
			p.Src = addr(l.SrcIP)
			p.Dst = addr(l.DstIP)
			if l.IHL > 5 {
				p.Flags |= packet.FlagIPOptions
			}
			if l.Flags&layers.IPv4MoreFragments != 0 || l.FragOffset != 0 {
				p.Flags |= packet.FlagFragment
				if l.Flags&layers.IPv4MoreFragments != 0 {
					p.Flags |= packet.FlagMoreFragments
				}
				p.FragOffset = l.FragOffset * 8
			}
			if int(l.Length) > len(l.Contents)+len(l.Payload) {
				p.Flags |= packet.FlagTruncated
			}
			l3payload = l.Payload
			if l.FragOffset == 0 && l.Flags&layers.IPv4MoreFragments != 0 {
				continueWith(i, l.Payload, l.Protocol.LayerType())
			}
		case *layers.IPv6:
			haveL3 = true
			p.Family = 6
			p.TTL = l.HopLimit
			p.Proto = uint8(l.NextHeader)
			p.Src = addr(l.SrcIP)
			p.Dst = addr(l.DstIP)
			have := len(l.Payload)
			if l.HopByHop != nil {
				have += len(l.HopByHop.Contents)
			}
			if l.Length != 0 && int(l.Length) > have {
				p.Flags |= packet.FlagTruncated
			}
			l3payload = l.Payload
			if l.HopByHop != nil {
				p.Flags |= packet.FlagIPv6Ext
			}
		case *layers.IPv6HopByHop:
			p.Proto = uint8(l.NextHeader)
			l3payload = l.Payload
			p.Flags |= packet.FlagIPv6Ext
		case *layers.IPv6Routing:
			p.Proto = uint8(l.NextHeader)
			l3payload = l.Payload
			p.Flags |= packet.FlagIPv6Ext
		case *layers.IPv6Destination:
			p.Proto = uint8(l.NextHeader)
			l3payload = l.Payload
			p.Flags |= packet.FlagIPv6Ext
		case *layers.IPSecAH:
			p.Proto = uint8(l.NextHeader)
			l3payload = l.Payload
			p.Flags |= packet.FlagIPv6Ext
		case *layers.IPv6Fragment:
			p.Proto = uint8(l.NextHeader)
			l3payload = l.Payload
			p.Flags |= packet.FlagIPv6Ext
			if l.FragmentOffset != 0 || l.MoreFragments {
				p.Flags |= packet.FlagFragment
				if l.MoreFragments {
					p.Flags |= packet.FlagMoreFragments
				}
				p.FragOffset = l.FragmentOffset * 8
			}
			if l.FragmentOffset == 0 {
				continueWith(i, l.Payload, l.NextHeader.LayerType())
			}
		case *layers.TCP:
			setTCP(&p, l)
		case *layers.UDP:
			setUDP(&p, l)
		}
	}
	if haveL3 && p.Flags&packet.FlagL4 == 0 {
		p.Payload = l3payload
	}
	if p.Family != 0 && p.Flags&packet.FlagL4 == 0 && (p.Proto == 135 || p.Proto == 139 || p.Proto == 140) {
		return p, ErrNotComparable
	}
	expectMore := ours && p.Flags&packet.FlagL4 == 0 && p.FragOffset == 0 && (p.Family == 0 || ipOurs(p.Proto))
	if errLayer == nil && expectMore {
		// gopacket stops quietly when a layer's payload is empty; a header
		// that should follow and is absent is a truncation.
		return p, errors.New("gopacket stopped: next header missing")
	}
	if errLayer != nil {
		// gopacket goes on into application layers (DNS, VXLAN, ICMP, ARP)
		// that packet.Decode does not read; their failures are not
		// decoding failures of the headers compared here.
		if !(p.Flags&packet.FlagL4 != 0 || !ours || (p.Family != 0 && !ipOurs(p.Proto))) {
			return p, errLayer.Error()
		}
	}
	return p, nil
}

// ErrNotComparable is Reference's answer for frames gopacket cannot decode
// as far as packet.Decode does (IPv6 mobility, HIP and shim6 headers).
var ErrNotComparable = errors.New("packettest: gopacket does not decode this header chain")

func etherOurs(t uint16) bool {
	return t == 0x0800 || t == 0x86dd || t == 0x8100 || t == 0x88a8
}

func ipOurs(proto uint8) bool {
	switch proto {
	case packet.ProtoTCP, packet.ProtoUDP, 0, 43, 44, 60, packet.ProtoAH:
		return true
	}
	return false
}

func addr(ip net.IP) packet.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return packet.AddrFromNetip(a)
}

func setTCP(p *packet.Packet, t *layers.TCP) {
	p.SrcPort, p.DstPort = uint16(t.SrcPort), uint16(t.DstPort)
	p.Seq, p.Ack, p.Window = t.Seq, t.Ack, t.Window
	var f packet.TCPFlags
	for _, b := range []struct {
		on bool
		f  packet.TCPFlags
	}{{t.FIN, packet.TCPFin}, {t.SYN, packet.TCPSyn}, {t.RST, packet.TCPRst}, {t.PSH, packet.TCPPsh},
		{t.ACK, packet.TCPAck}, {t.URG, packet.TCPUrg}, {t.ECE, packet.TCPEce}, {t.CWR, packet.TCPCwr}, {t.NS, packet.TCPNs}} {
		if b.on {
			f |= b.f
		}
	}
	p.TCPFlags = f
	p.Payload = t.Payload
	p.Flags |= packet.FlagL4
}

func setUDP(p *packet.Packet, u *layers.UDP) {
	p.SrcPort, p.DstPort = uint16(u.SrcPort), uint16(u.DstPort)
	p.Payload = u.Payload
	if int(u.Length) > 8+len(u.Payload) {
		p.Flags |= packet.FlagTruncated
	}
	p.Flags |= packet.FlagL4
}

// Diff lists the fields in which got differs from want, comparing what
// Reference fills (offsets, Data, CapLen, WireLen, Timestamp and Interface
// are not compared). An empty result means they agree.
func Diff(got, want *packet.Packet) []string {
	var d []string
	cmp := func(name string, g, w any) {
		if g != w {
			d = append(d, fmt.Sprintf("%s: got %v, want %v", name, g, w))
		}
	}
	cmp("Family", got.Family, want.Family)
	cmp("Proto", got.Proto, want.Proto)
	cmp("Src", got.Src, want.Src)
	cmp("Dst", got.Dst, want.Dst)
	cmp("TTL", got.TTL, want.TTL)
	cmp("SrcPort", got.SrcPort, want.SrcPort)
	cmp("DstPort", got.DstPort, want.DstPort)
	cmp("Seq", got.Seq, want.Seq)
	cmp("Ack", got.Ack, want.Ack)
	cmp("Window", got.Window, want.Window)
	cmp("TCPFlags", got.TCPFlags, want.TCPFlags)
	cmp("EtherType", got.EtherType, want.EtherType)
	cmp("VLANCount", got.VLANCount, want.VLANCount)
	cmp("VLAN", got.VLAN, want.VLAN)
	cmp("FragOffset", got.FragOffset, want.FragOffset)
	cmp("Flags", got.Flags, want.Flags)
	if !bytes.Equal(got.Payload, want.Payload) {
		d = append(d, fmt.Sprintf("Payload: got %d bytes %x, want %d bytes %x", len(got.Payload), head(got.Payload), len(want.Payload), head(want.Payload)))
	}
	return d
}

func head(b []byte) []byte {
	if len(b) > 16 {
		return b[:16]
	}
	return b
}
