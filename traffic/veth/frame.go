package veth

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Frame layout constants (Ethernet II, IPv4 without options).
const (
	ethLen  = 14
	ipv4Len = 20
	udpLen  = 8
	tcpLen  = 20

	etherTypeIPv4 = 0x0800
	etherTypeARP  = 0x0806

	protoTCP = 6
	protoUDP = 17

	// MinFrame is the smallest frame the builder makes: an Ethernet minimum
	// frame without its FCS (the kernel does not carry the FCS).
	MinFrame = 60
)

// TCP flag bits as they sit in the header's flags byte.
const (
	TCPFin = 0x01
	TCPSyn = 0x02
	TCPRst = 0x04
	TCPPsh = 0x08
	TCPAck = 0x10
)

// Probe is the test payload sessionlab's generators put at the start of
// each frame's L4 payload: a magic word, a sequence number and the send
// time. With it a receiver checks order and completeness and computes
// one-way latency as (kernel receive timestamp - Sent); both clocks are the
// host's CLOCK_REALTIME, the clock kernel packet timestamps use.
//
// Wire format, big-endian: "SLv1" | seq uint64 | sent int64 (20 bytes).
type Probe struct {
	Seq  uint64
	Sent int64 // ns since the Unix epoch, CLOCK_REALTIME
}

// ProbeLen is the size of an encoded Probe.
const ProbeLen = 20

const probeMagic = 0x534c7631 // "SLv1"

// Put encodes p into b[:ProbeLen]. b must be at least ProbeLen long.
func (p Probe) Put(b []byte) {
	_ = b[ProbeLen-1]
	binary.BigEndian.PutUint32(b[0:], probeMagic)
	binary.BigEndian.PutUint64(b[4:], p.Seq)
	binary.BigEndian.PutUint64(b[12:], uint64(p.Sent))
}

// ParseProbe decodes a Probe from the start of an L4 payload. ok is false
// when the payload is too short or does not start with the magic word.
func ParseProbe(payload []byte) (p Probe, ok bool) {
	if len(payload) < ProbeLen || binary.BigEndian.Uint32(payload) != probeMagic {
		return Probe{}, false
	}
	return Probe{Seq: binary.BigEndian.Uint64(payload[4:]), Sent: int64(binary.BigEndian.Uint64(payload[12:]))}, true
}

// Flow is one direction of a TCP or UDP conversation as the frame builder
// writes it. It is a small value; the builder never allocates.
type Flow struct {
	SrcMAC, DstMAC   [6]byte
	Src, Dst         netip.Addr // IPv4
	SrcPort, DstPort uint16
	Proto            uint8 // protoTCP (6) or protoUDP (17)
	TTL              uint8 // default 64 when 0
}

// TCPFields are the TCP header fields that vary per segment.
type TCPFields struct {
	Seq, Ack uint32
	Flags    uint8
	Window   uint16
}

// HeaderLen returns the length of the Ethernet, IPv4 and L4 headers the
// builder writes for f.
func (f *Flow) HeaderLen() int {
	if f.Proto == protoTCP {
		return ethLen + ipv4Len + tcpLen
	}
	return ethLen + ipv4Len + udpLen
}

// Build writes one frame of flow f into dst: the headers, then payload,
// then zero bytes up to frameLen (0: no padding), all of them L4 payload. A
// frame shorter than MinFrame gets an Ethernet trailer of zeros outside the
// IP packet, as a NIC pads it. IP and L4 checksums are filled in. It returns
// the frame length, or an error when dst is too small or the flow is not
// IPv4 TCP/UDP.
func (f *Flow) Build(dst []byte, tcp TCPFields, payload []byte, frameLen int) (int, error) {
	hl := f.HeaderLen()
	end := hl + len(payload) // end of the IP packet
	if frameLen > end {
		end = frameLen
	}
	n := max(end, MinFrame)
	switch {
	case f.Proto != protoTCP && f.Proto != protoUDP:
		return 0, fmt.Errorf("veth: frame builder: protocol %d: want 6 (TCP) or 17 (UDP)", f.Proto)
	case !f.Src.Is4() || !f.Dst.Is4():
		return 0, fmt.Errorf("veth: frame builder: addresses %v -> %v: IPv4 only", f.Src, f.Dst)
	case n > len(dst):
		return 0, fmt.Errorf("veth: frame builder: %d-byte frame does not fit a %d-byte buffer", n, len(dst))
	case end-ethLen > 0xffff:
		return 0, fmt.Errorf("veth: frame builder: %d-byte frame exceeds the IPv4 length limit", n)
	}
	b := dst[:n]
	copy(b[0:6], f.DstMAC[:])
	copy(b[6:12], f.SrcMAC[:])
	binary.BigEndian.PutUint16(b[12:], etherTypeIPv4)

	ip := b[ethLen : ethLen+ipv4Len]
	ttl := f.TTL
	if ttl == 0 {
		ttl = 64
	}
	ip[0] = 0x45
	ip[1] = 0
	binary.BigEndian.PutUint16(ip[2:], uint16(end-ethLen))
	binary.BigEndian.PutUint32(ip[4:], 0x40<<8) // id 0, DF set
	ip[8] = ttl
	ip[9] = f.Proto
	ip[10], ip[11] = 0, 0
	src, dst4 := f.Src.As4(), f.Dst.As4()
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst4[:])
	binary.BigEndian.PutUint16(ip[10:], ^fold(sum(ip, 0)))

	l4 := b[ethLen+ipv4Len : end]
	copy(l4[hl-ethLen-ipv4Len:], payload)
	clear(b[hl+len(payload):]) // L4 padding and Ethernet trailer
	binary.BigEndian.PutUint16(l4[0:], f.SrcPort)
	binary.BigEndian.PutUint16(l4[2:], f.DstPort)
	if f.Proto == protoUDP {
		binary.BigEndian.PutUint16(l4[4:], uint16(len(l4)))
		l4[6], l4[7] = 0, 0
	} else {
		binary.BigEndian.PutUint32(l4[4:], tcp.Seq)
		binary.BigEndian.PutUint32(l4[8:], tcp.Ack)
		l4[12] = (tcpLen / 4) << 4
		l4[13] = tcp.Flags
		w := tcp.Window
		if w == 0 {
			w = 65535
		}
		binary.BigEndian.PutUint16(l4[14:], w)
		l4[16], l4[17], l4[18], l4[19] = 0, 0, 0, 0
	}
	putL4Checksum(ip, l4)
	return n, nil
}

// putL4Checksum computes the TCP or UDP checksum of l4 (checksum field
// zeroed by the caller) over the IPv4 pseudo-header.
func putL4Checksum(ip, l4 []byte) {
	proto := ip[9]
	s := sum(ip[12:20], uint32(proto)+uint32(len(l4)))
	s = sum(l4, s)
	c := ^fold(s)
	if proto == protoUDP {
		if c == 0 {
			c = 0xffff // 0 means "no checksum" for UDP
		}
		binary.BigEndian.PutUint16(l4[6:], c)
		return
	}
	binary.BigEndian.PutUint16(l4[16:], c)
}

// sum adds b to the one's-complement accumulator s as big-endian 16-bit
// words (an odd trailing byte is padded with zero). The 32-bit accumulator
// is folded at the end, so up to 64 KiB can be summed without overflow.
func sum(b []byte, s uint32) uint32 {
	for len(b) >= 8 {
		s += uint32(binary.BigEndian.Uint16(b[0:])) + uint32(binary.BigEndian.Uint16(b[2:])) +
			uint32(binary.BigEndian.Uint16(b[4:])) + uint32(binary.BigEndian.Uint16(b[6:]))
		b = b[8:]
	}
	for len(b) >= 2 {
		s += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

func fold(s uint32) uint16 {
	s = s>>16 + s&0xffff
	s += s >> 16
	return uint16(s)
}

// updateChecksum returns checksum c after the 16-bit-aligned bytes old
// became new at an even offset (RFC 1624: HC' = ~(~HC + ~m + m')). It lets
// the generator patch the probe of a prebuilt frame without summing the
// whole payload again.
func updateChecksum(c uint16, old, new []byte) uint16 {
	s := uint32(^c)
	for i := 0; i+1 < len(old); i += 2 {
		s += uint32(^binary.BigEndian.Uint16(old[i:])) + uint32(binary.BigEndian.Uint16(new[i:]))
	}
	return ^fold(s)
}

// frameView locates the parts of an Ethernet/IPv4/TCP-or-UDP frame.
type frameView struct {
	l3, l4, payload int // offsets
	proto           uint8
	ok              bool
}

// parseFrame finds the IPv4 and L4 headers of an untagged Ethernet frame.
// It is the responder's and the latency meter's minimal parser: anything
// else (VLAN tags, IPv6, fragments, other protocols) returns ok=false.
func parseFrame(b []byte) frameView {
	if len(b) < ethLen+ipv4Len || binary.BigEndian.Uint16(b[12:]) != etherTypeIPv4 {
		return frameView{}
	}
	ip := b[ethLen:]
	ihl := int(ip[0]&0x0f) * 4
	if ip[0]>>4 != 4 || ihl < ipv4Len || len(ip) < ihl {
		return frameView{}
	}
	if binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 { // MF or fragment offset
		return frameView{}
	}
	total := int(binary.BigEndian.Uint16(ip[2:]))
	if total < ihl || total > len(ip) {
		return frameView{}
	}
	v := frameView{l3: ethLen, l4: ethLen + ihl, proto: ip[9]}
	switch v.proto {
	case protoUDP:
		if total < ihl+udpLen {
			return frameView{}
		}
		v.payload = v.l4 + udpLen
	case protoTCP:
		if total < ihl+tcpLen {
			return frameView{}
		}
		doff := int(b[v.l4+12]>>4) * 4
		if doff < tcpLen || ihl+doff > total {
			return frameView{}
		}
		v.payload = v.l4 + doff
	default:
		return frameView{}
	}
	v.ok = true
	return v
}

// probeOf returns the probe at the start of the frame's L4 payload.
func probeOf(b []byte) (Probe, bool) {
	v := parseFrame(b)
	if !v.ok {
		return Probe{}, false
	}
	end := ethLen + int(binary.BigEndian.Uint16(b[ethLen+2:]))
	return ParseProbe(b[v.payload:end])
}
