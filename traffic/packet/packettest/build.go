// Package packettest builds frames byte by byte for tests and benchmarks of
// the traffic packages, and decodes them with gopacket as a slow reference.
//
// The builders write headers field by field so a test can construct any edge
// case (several VLAN tags, IPv6 extension header chains, fragments, bad
// lengths) and know exactly which byte offset each header starts at. Finish
// fills in lengths' checksums through packet.SetChecksums; tests that check
// checksums verify them with gopacket (ChecksumMismatches, ChecksumsOK), not
// with packet's own code.
package packettest

import (
	"encoding/binary"
	"net/netip"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

// MACs used by the builders.
var (
	MACA = [6]byte{0x02, 0, 0, 0, 0, 0x0a}
	MACB = [6]byte{0x02, 0, 0, 0, 0, 0x0b}
)

// Tag is one VLAN tag: its TPID (0x8100, 0x88a8 or 0x9100) and VLAN ID.
type Tag struct {
	TPID uint16
	ID   uint16
}

// Ethernet wraps payload in an Ethernet header with the given tags,
// outermost first, and EtherType.
func Ethernet(etherType uint16, payload []byte, tags ...Tag) []byte {
	b := make([]byte, 0, 14+4*len(tags)+len(payload))
	b = append(b, MACB[:]...)
	b = append(b, MACA[:]...)
	for _, t := range tags {
		b = binary.BigEndian.AppendUint16(b, t.TPID)
		b = binary.BigEndian.AppendUint16(b, t.ID)
	}
	b = binary.BigEndian.AppendUint16(b, etherType)
	return append(b, payload...)
}

// SLL wraps payload in a Linux cooked (v1) header with the given protocol.
func SLL(proto uint16, payload []byte) []byte {
	b := make([]byte, 16, 16+len(payload))
	binary.BigEndian.PutUint16(b[0:2], 0) // packet to us
	binary.BigEndian.PutUint16(b[2:4], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(b[4:6], 6) // address length
	copy(b[6:12], MACA[:])
	binary.BigEndian.PutUint16(b[14:16], proto)
	return append(b, payload...)
}

// SLL2 wraps payload in a Linux cooked v2 header with the given protocol.
func SLL2(proto uint16, payload []byte) []byte {
	b := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(b[0:2], proto)
	binary.BigEndian.PutUint32(b[4:8], 3)  // ifindex
	binary.BigEndian.PutUint16(b[8:10], 1) // ARPHRD_ETHER
	b[10] = 0                              // packet to us
	b[11] = 6                              // address length
	copy(b[12:18], MACA[:])
	return append(b, payload...)
}

// Loopback wraps payload in a null/loop header carrying family, in big- or
// little-endian byte order.
func Loopback(family uint32, bigEndian bool, payload []byte) []byte {
	b := make([]byte, 4, 4+len(payload))
	if bigEndian {
		binary.BigEndian.PutUint32(b, family)
	} else {
		binary.LittleEndian.PutUint32(b, family)
	}
	return append(b, payload...)
}

// IPv4 describes an IPv4 header. Zero TTL means 64; TotalLength zero means
// "compute it" and -1 writes a zero total length (as TSO captures have).
type IPv4 struct {
	Src, Dst    netip.Addr
	Proto       uint8
	TTL         uint8
	ID          uint16
	Options     []byte // padded to 4 bytes by the caller
	DF, MF      bool
	FragOffset  uint16 // bytes, a multiple of 8
	TotalLength int
}

// Build returns the header followed by payload, with the header checksum set.
func (h IPv4) Build(payload []byte) []byte {
	ihl := 20 + len(h.Options)
	b := make([]byte, ihl, ihl+len(payload))
	b[0] = 0x40 | byte(ihl/4)
	total := h.TotalLength
	switch total {
	case 0:
		total = ihl + len(payload)
	case -1:
		total = 0
	}
	binary.BigEndian.PutUint16(b[2:4], uint16(total))
	binary.BigEndian.PutUint16(b[4:6], h.ID)
	frag := h.FragOffset / 8
	if h.DF {
		frag |= 0x4000
	}
	if h.MF {
		frag |= 0x2000
	}
	binary.BigEndian.PutUint16(b[6:8], frag)
	b[8] = h.TTL
	if b[8] == 0 {
		b[8] = 64
	}
	b[9] = h.Proto
	s, d := h.Src.As4(), h.Dst.As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	copy(b[20:], h.Options)
	binary.BigEndian.PutUint16(b[10:12], packet.Fold(packet.Sum(b, 0)))
	return append(b, payload...)
}

// Ext is one IPv6 extension header (or AH) in a chain.
type Ext struct {
	Type uint8 // 0 hop-by-hop, 43 routing, 44 fragment, 60 destination, 51 AH, ...
	// Len is the header's total length in bytes: a multiple of 8 (AH: of 4,
	// at least 12). Ignored for the fragment header, which is always 8.
	Len int
	// FragOffset (bytes) and More for a fragment header.
	FragOffset uint16
	More       bool
}

// IPv6 describes an IPv6 header and its extension header chain. Zero
// HopLimit means 64; PayloadLength -1 means "compute it".
type IPv6 struct {
	Src, Dst      netip.Addr
	HopLimit      uint8
	Ext           []Ext
	PayloadLength int
}

// Build returns the header, the extension headers and payload; proto is the
// next header after the chain.
func (h IPv6) Build(proto uint8, payload []byte) []byte {
	var ext []byte
	for i, e := range h.Ext {
		next := proto
		if i+1 < len(h.Ext) {
			next = h.Ext[i+1].Type
		}
		var x []byte
		switch e.Type {
		case 44:
			x = make([]byte, 8)
			fo := e.FragOffset &^ 7
			if e.More {
				fo |= 1
			}
			binary.BigEndian.PutUint16(x[2:4], fo)
			binary.BigEndian.PutUint32(x[4:8], 0x1234)
		case packet.ProtoAH:
			x = make([]byte, e.Len)
			x[1] = byte(e.Len/4 - 2)
			binary.BigEndian.PutUint32(x[4:8], 0x100) // SPI
		default:
			x = make([]byte, e.Len)
			x[1] = byte(e.Len/8 - 1)
			if e.Len > 2 { // PadN option filling the rest
				x[2] = 1
				x[3] = byte(e.Len - 4)
			}
		}
		x[0] = next
		ext = append(ext, x...)
	}
	b := make([]byte, 40, 40+len(ext)+len(payload))
	b[0] = 0x60
	plen := h.PayloadLength
	if plen < 0 {
		plen = len(ext) + len(payload)
	}
	binary.BigEndian.PutUint16(b[4:6], uint16(plen))
	b[6] = proto
	if len(h.Ext) > 0 {
		b[6] = h.Ext[0].Type
	}
	b[7] = h.HopLimit
	if b[7] == 0 {
		b[7] = 64
	}
	s, d := h.Src.As16(), h.Dst.As16()
	copy(b[8:24], s[:])
	copy(b[24:40], d[:])
	b = append(b, ext...)
	return append(b, payload...)
}

// TCP describes a TCP header. Zero Window means 65535.
type TCP struct {
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	Flags            packet.TCPFlags
	Window           uint16
	Options          []byte // padded to 4 bytes by the caller
}

// Build returns the header (checksum zero) followed by payload.
func (t TCP) Build(payload []byte) []byte {
	hl := 20 + len(t.Options)
	b := make([]byte, hl, hl+len(payload))
	binary.BigEndian.PutUint16(b[0:2], t.SrcPort)
	binary.BigEndian.PutUint16(b[2:4], t.DstPort)
	binary.BigEndian.PutUint32(b[4:8], t.Seq)
	binary.BigEndian.PutUint32(b[8:12], t.Ack)
	b[12] = byte(hl/4)<<4 | byte(t.Flags>>8&1)
	b[13] = byte(t.Flags)
	w := t.Window
	if w == 0 {
		w = 65535
	}
	binary.BigEndian.PutUint16(b[14:16], w)
	copy(b[20:], t.Options)
	return append(b, payload...)
}

// UDP describes a UDP header. Length zero means "compute it".
type UDP struct {
	SrcPort, DstPort uint16
	Length           int
}

// Build returns the header (checksum zero) followed by payload.
func (u UDP) Build(payload []byte) []byte {
	b := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(b[0:2], u.SrcPort)
	binary.BigEndian.PutUint16(b[2:4], u.DstPort)
	n := u.Length
	if n == 0 {
		n = 8 + len(payload)
	}
	binary.BigEndian.PutUint16(b[4:6], uint16(n))
	return append(b, payload...)
}

// Finish decodes frame and sets its IPv4 header and TCP/UDP checksums in
// place (packet.SetChecksums); it returns frame for chaining. Frames that do
// not decode, fragments and truncated frames are returned unchanged.
func Finish(frame []byte, link packet.LinkType) []byte {
	var p packet.Packet
	if packet.Decode(frame, link, &p) == nil {
		packet.SetChecksums(&p)
	}
	return frame
}

// Payload returns n deterministic payload bytes.
func Payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}
