// Package packet turns captured frames into Packet records: the small value
// type every sessionlab traffic source produces and the simulator, the
// transport shim and the veth sender consume.
//
// Data flows one way: a source (a pcap reader, a synthetic generator, an
// AF_PACKET socket) owns a frame buffer, calls Decode with the frame and its
// link type, and hands the filled Packet to its consumer through the Source
// interface. Decode never copies and never allocates for a well-formed frame:
// Packet.Data and Packet.Payload alias the source's buffer and are valid only
// until the source's next call, so a consumer that keeps bytes copies them.
//
// Decode understands Ethernet (802.1Q, 802.1ad and 0x9100 QinQ tags), Linux
// cooked captures (SLL and SLL2), BSD null/loopback, raw IP, IPv4 (options,
// fragments), IPv6 (hop-by-hop, routing, fragment, destination options,
// mobility, HIP, shim6 and AH extension headers; ESP stops), TCP and UDP.
// Anything else decodes as far as it can: a non-IP frame leaves Family zero,
// a non-TCP/UDP protocol leaves HasL4 false, and neither is an error. Only a
// frame that contradicts itself (a header cut short, a wrong IP version, a
// length field smaller than its header) gets a *DecodeError naming the layer
// and the byte offset.
package packet

import (
	"strconv"
	"strings"
)

// LinkType is a pcap LINKTYPE_ value: it says how the first bytes of a frame
// are to be read. The numbers are the ones pcap and pcapng files carry.
type LinkType uint16

// Link types Decode understands. LinkRaw12 and LinkRaw14 are the DLT_RAW
// values some systems write instead of LINKTYPE_RAW (101); all three, and
// LinkIPv4/LinkIPv6, are raw IP without a link header.
const (
	LinkNull      LinkType = 0   // BSD loopback: 4-byte address family in host order
	LinkEthernet  LinkType = 1   // Ethernet II / 802.3, with 802.1Q/802.1ad tags
	LinkRaw12     LinkType = 12  // DLT_RAW on most BSDs: raw IPv4 or IPv6
	LinkRaw14     LinkType = 14  // DLT_RAW on OpenBSD: raw IPv4 or IPv6
	LinkRaw       LinkType = 101 // LINKTYPE_RAW: raw IPv4 or IPv6
	LinkLoop      LinkType = 108 // OpenBSD loopback: 4-byte address family, network order
	LinkLinuxSLL  LinkType = 113 // Linux cooked capture v1 (16-byte header)
	LinkIPv4      LinkType = 228 // raw IPv4
	LinkIPv6      LinkType = 229 // raw IPv6
	LinkLinuxSLL2 LinkType = 276 // Linux cooked capture v2 (20-byte header)
)

// Supported reports whether Decode understands frames of link type l.
func (l LinkType) Supported() bool {
	switch l {
	case LinkNull, LinkEthernet, LinkRaw12, LinkRaw14, LinkRaw, LinkLoop,
		LinkLinuxSLL, LinkIPv4, LinkIPv6, LinkLinuxSLL2:
		return true
	}
	return false
}

// String returns the link type's short name, or its number.
func (l LinkType) String() string {
	switch l {
	case LinkNull:
		return "null"
	case LinkEthernet:
		return "ethernet"
	case LinkRaw12, LinkRaw14, LinkRaw:
		return "raw"
	case LinkLoop:
		return "loop"
	case LinkLinuxSLL:
		return "linux-sll"
	case LinkIPv4:
		return "ipv4"
	case LinkIPv6:
		return "ipv6"
	case LinkLinuxSLL2:
		return "linux-sll2"
	}
	return "linktype-" + strconv.Itoa(int(l))
}

// IP protocol numbers the decoder treats specially.
const (
	ProtoICMP   uint8 = 1
	ProtoTCP    uint8 = 6
	ProtoUDP    uint8 = 17
	ProtoESP    uint8 = 50
	ProtoAH     uint8 = 51
	ProtoICMPv6 uint8 = 58
)

// Flags describe what Decode found beyond the fixed fields.
type Flags uint16

// Packet flags.
const (
	// FlagL4 says a complete TCP or UDP header was decoded: ports (and for
	// TCP seq, ack, window and flags) are valid.
	FlagL4 Flags = 1 << iota
	// FlagFragment marks an IP fragment (IPv4 MF or offset, or an IPv6
	// fragment header with M or an offset; atomic fragments are whole).
	FlagFragment
	// FlagMoreFragments is the MF/M bit of a fragment.
	FlagMoreFragments
	// FlagTruncated says the capture holds fewer bytes than the packet's
	// headers claim (snaplen, or an IP/UDP length beyond the captured data).
	// Payload then ends at the end of the capture.
	FlagTruncated
	// FlagIPOptions marks an IPv4 header longer than 20 bytes.
	FlagIPOptions
	// FlagIPv6Ext says at least one IPv6 extension header (or an AH header
	// in IPv4) was skipped.
	FlagIPv6Ext
	// FlagVLANOverflow says more than two VLAN tags were present; only the
	// outer two are recorded in Packet.VLAN.
	FlagVLANOverflow
)

// TCPFlags are the TCP header's control bits, with NS (now AE) as bit 8.
type TCPFlags uint16

// TCP control bits.
const (
	TCPFin TCPFlags = 1 << iota
	TCPSyn
	TCPRst
	TCPPsh
	TCPAck
	TCPUrg
	TCPEce
	TCPCwr
	TCPNs
)

var tcpFlagNames = [...]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"}

// Has reports whether all bits of m are set.
func (f TCPFlags) Has(m TCPFlags) bool { return f&m == m }

// String returns the set bits as "SYN|ACK", or "none".
func (f TCPFlags) String() string {
	if f == 0 {
		return "none"
	}
	var b strings.Builder
	for i, n := range tcpFlagNames {
		if f&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(n)
		}
	}
	return b.String()
}

// Packet is one decoded frame. It is a plain value: copying it copies the
// header fields and the two slice headers, not the bytes they alias.
type Packet struct {
	// Timestamp is nanoseconds since the Unix epoch: the capture time from a
	// reader, or the time a packet is due for a scheduled source.
	Timestamp int64
	// Data is the whole captured frame. It aliases the source's buffer.
	Data []byte
	// Payload is the TCP or UDP payload when HasL4, otherwise whatever
	// follows the last decoded header (the ICMP message, an ESP body, the
	// data of a non-first fragment). It aliases Data.
	Payload []byte
	// Src and Dst are the IP addresses; zero when Family is 0.
	Src, Dst Addr
	// WireLen is the frame's length on the wire; CapLen how much of it was
	// captured (len(Data)). WireLen >= CapLen.
	WireLen, CapLen uint32
	// Seq, Ack: TCP sequence and acknowledgement numbers.
	Seq, Ack uint32
	// SrcPort, DstPort: TCP/UDP ports (zero without FlagL4).
	SrcPort, DstPort uint16
	// Window is the TCP receive window field (unscaled).
	Window uint16
	// EtherType is the innermost EtherType (after VLAN tags), or the SLL
	// protocol. Values below 0x0600 are 802.3 lengths (an LLC frame). Zero
	// for raw IP and loopback links.
	EtherType uint16
	// VLAN holds up to two VLAN IDs, outermost first; VLANCount says how
	// many tags the frame carried (it may exceed 2, see FlagVLANOverflow).
	VLAN [2]uint16
	// FragOffset is the fragment's offset in bytes.
	FragOffset uint16
	// L3Offset and L4Offset are the byte offsets in Data of the IP header
	// and of the transport header (or of whatever follows the IP headers).
	L3Offset, L4Offset uint16
	// Interface is the capture interface (pcapng interface id); 0 otherwise.
	Interface uint16
	// Link is the link type the frame was decoded as.
	Link LinkType
	// Family is 4 or 6 for IP packets, 0 otherwise.
	Family uint8
	// Proto is the IP protocol number (for IPv6 the last next-header value).
	Proto uint8
	// TTL is the IPv4 TTL or IPv6 hop limit.
	TTL uint8
	// VLANCount is the number of VLAN tags (saturating at 255).
	VLANCount uint8
	// TCPFlags are the TCP control bits.
	TCPFlags TCPFlags
	// Flags say what else Decode found.
	Flags Flags
}

// HasL4 reports whether a complete TCP or UDP header was decoded.
func (p *Packet) HasL4() bool { return p.Flags&FlagL4 != 0 }

// IsTCP reports whether p carries a decoded TCP header.
func (p *Packet) IsTCP() bool { return p.Proto == ProtoTCP && p.Flags&FlagL4 != 0 }

// IsUDP reports whether p carries a decoded UDP header.
func (p *Packet) IsUDP() bool { return p.Proto == ProtoUDP && p.Flags&FlagL4 != 0 }

// IsFragment reports whether p is an IP fragment.
func (p *Packet) IsFragment() bool { return p.Flags&FlagFragment != 0 }

// Truncated reports whether the capture holds less than the headers claim.
func (p *Packet) Truncated() bool { return p.Flags&FlagTruncated != 0 }

// Tuple returns the packet's 5-tuple (ports are zero without FlagL4).
func (p *Packet) Tuple() FiveTuple {
	return FiveTuple{Src: p.Src, Dst: p.Dst, SrcPort: p.SrcPort, DstPort: p.DstPort, Proto: p.Proto}
}

// Source is a stream of packets: pcap readers, synthetic generators and
// schedulers implement it, and the simulator and the veth sender consume it.
//
// Next fills *p with the next packet and returns io.EOF after the last one.
// p.Data and p.Payload alias the source's buffer and stay valid only until
// the next call to Next. Timestamps are non-decreasing for sources that are
// schedules (a Scheduler, a generator); a capture file yields the times it
// recorded, in file order.
type Source interface {
	Next(p *Packet) error
}
