package packet

import (
	"encoding/binary"
	"strconv"
)

// Layer names the header a DecodeError is about.
type Layer uint8

// Layers reported in a DecodeError.
const (
	LayerLink Layer = iota // the link type itself (unsupported)
	LayerEthernet
	LayerVLAN
	LayerLinuxSLL
	LayerLinuxSLL2
	LayerLoopback
	LayerIPv4
	LayerIPv6
	LayerIPv6Ext // an IPv6 extension header (or AH in IPv4)
	LayerTCP
	LayerUDP
)

var layerNames = [...]string{"link", "ethernet", "vlan", "linux-sll", "linux-sll2", "loopback", "ipv4", "ipv6", "ipv6-ext", "tcp", "udp"}

// String returns the layer's name.
func (l Layer) String() string {
	if int(l) < len(layerNames) {
		return layerNames[l]
	}
	return "layer-" + strconv.Itoa(int(l))
}

// Reasons a DecodeError gives. They are constants so callers can compare.
const (
	ReasonTruncated       = "truncated header"                 // Want bytes needed, Have bytes captured
	ReasonVersion         = "wrong IP version"                 // Want the version the link promised, Have the one found
	ReasonHeaderLength    = "header length too small"          // Want the minimum, Have the field's value in bytes
	ReasonTotalLength     = "length field smaller than header" // Want the header length, Have the field
	ReasonUnsupportedLink = "unsupported link type"            // Have the link type number
)

// DecodeError says what was wrong with a frame and where: the layer whose
// header is bad, the byte offset in the frame of that header (or of the bad
// field), and a Reason with the numbers behind it. Fields of the layers
// decoded before the failing one are valid in the Packet.
type DecodeError struct {
	Layer  Layer
	Offset int
	Reason string
	Want   int // what was needed or expected (meaning depends on Reason)
	Have   int // what the frame had
}

// Error formats the error as, for example,
// "tcp at offset 34: truncated header: want 20 bytes, have 6".
func (e *DecodeError) Error() string {
	s := e.Layer.String() + " at offset " + strconv.Itoa(e.Offset) + ": " + e.Reason
	switch e.Reason {
	case ReasonTruncated:
		s += ": want " + strconv.Itoa(e.Want) + " bytes, have " + strconv.Itoa(e.Have)
	case ReasonUnsupportedLink:
		s += " " + strconv.Itoa(e.Have)
	default:
		s += ": want " + strconv.Itoa(e.Want) + ", have " + strconv.Itoa(e.Have)
	}
	return s
}

// truncated and invalid build errors off the hot path: they are only called
// when a frame is bad, so the allocation never touches a valid packet.
//
//go:noinline
func truncated(l Layer, off, want, have int) error {
	return &DecodeError{Layer: l, Offset: off, Reason: ReasonTruncated, Want: want, Have: have}
}

//go:noinline
func invalid(l Layer, off int, reason string, want, have int) error {
	return &DecodeError{Layer: l, Offset: off, Reason: reason, Want: want, Have: have}
}

// EtherTypes the decoder follows.
const (
	etherTypeIPv4  = 0x0800
	etherTypeIPv6  = 0x86dd
	etherTypeDot1Q = 0x8100
	etherTypeQinQ  = 0x88a8
	etherType9100  = 0x9100
)

// be16 and be32 are the loads every layer uses; they inline to a single
// (byte-swapped) load once the caller has proved the length.
func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
func be64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// Decode decodes data, a frame of the given link type, into *p.
//
// Every field of p is overwritten except Timestamp, WireLen and Interface,
// which belong to the capture record and are set by the caller first (Decode
// raises WireLen to len(data) if it is smaller). p.Data is data itself and
// p.Payload a sub-slice of it: nothing is copied and nothing is allocated
// unless an error is returned.
//
// A frame that is not IP, or IP that is not TCP or UDP, is not an error: it
// is decoded as far as it goes (Family 0, or HasL4 false). The error, always
// a *DecodeError, is reserved for frames whose headers contradict themselves
// or are cut short; the fields of the layers before the bad one stay valid.
func Decode(data []byte, link LinkType, p *Packet) error {
	ts, wl, ifc := p.Timestamp, p.WireLen, p.Interface
	*p = Packet{Timestamp: ts, Data: data, WireLen: wl, CapLen: uint32(len(data)), Interface: ifc, Link: link}
	if wl < uint32(len(data)) {
		p.WireLen = uint32(len(data))
	}
	switch link {
	case LinkEthernet:
		if len(data) < 14 {
			return truncated(LayerEthernet, 0, 14, len(data))
		}
		return decodeEtherType(data, 14, be16(data[12:14]), p)
	case LinkRaw, LinkRaw12, LinkRaw14:
		return decodeRawIP(data, 0, p)
	case LinkIPv4:
		return decodeIPv4(data, 0, p)
	case LinkIPv6:
		return decodeIPv6(data, 0, p)
	case LinkLinuxSLL:
		// packet type, ARPHRD type, address length, 8 address bytes, protocol.
		if len(data) < 16 {
			return truncated(LayerLinuxSLL, 0, 16, len(data))
		}
		return decodeEtherType(data, 16, be16(data[14:16]), p)
	case LinkLinuxSLL2:
		// protocol, reserved, ifindex, ARPHRD type, packet type, address
		// length, 8 address bytes.
		if len(data) < 20 {
			return truncated(LayerLinuxSLL2, 0, 20, len(data))
		}
		return decodeEtherType(data, 20, be16(data[0:2]), p)
	case LinkNull, LinkLoop:
		return decodeLoopback(data, p)
	}
	return invalid(LayerLink, 0, ReasonUnsupportedLink, 0, int(link))
}

// decodeEtherType follows VLAN tags from off, where et is the EtherType just
// read, and then the IP header it names. Every tag pushes the next EtherType
// four bytes further; 0x9100 is the pre-standard QinQ outer tag.
func decodeEtherType(d []byte, off int, et uint16, p *Packet) error {
	for et == etherTypeDot1Q || et == etherTypeQinQ || et == etherType9100 {
		if len(d)-off < 4 {
			return truncated(LayerVLAN, off, 4, len(d)-off)
		}
		tag := d[off : off+4]
		switch {
		case p.VLANCount < 2:
			p.VLAN[p.VLANCount] = be16(tag[0:2]) & 0x0fff
		default:
			p.Flags |= FlagVLANOverflow
		}
		if p.VLANCount < 255 {
			p.VLANCount++
		}
		et = be16(tag[2:4])
		off += 4
	}
	p.EtherType = et
	switch et {
	case etherTypeIPv4:
		return decodeIPv4(d, off, p)
	case etherTypeIPv6:
		return decodeIPv6(d, off, p)
	}
	return nil
}

// decodeLoopback reads the 4-byte address family of a null/loop header.
// DLT_NULL stores it in the capturing host's byte order, so both orders are
// accepted: a family fits in 16 bits, so a value above 0xffff is byte-swapped.
func decodeLoopback(d []byte, p *Packet) error {
	if len(d) < 4 {
		return truncated(LayerLoopback, 0, 4, len(d))
	}
	af := be32(d[0:4])
	if af > 0xffff {
		af = binary.LittleEndian.Uint32(d[0:4])
	}
	switch af {
	case 2: // AF_INET everywhere
		return decodeIPv4(d, 4, p)
	case 10, 24, 28, 30: // AF_INET6 on Linux, Net/OpenBSD, FreeBSD, Darwin
		return decodeIPv6(d, 4, p)
	}
	return nil
}

// decodeRawIP dispatches on the IP version nibble.
func decodeRawIP(d []byte, off int, p *Packet) error {
	if len(d) <= off {
		return truncated(LayerIPv4, off, 20, 0)
	}
	if d[off]>>4 == 6 {
		return decodeIPv6(d, off, p)
	}
	return decodeIPv4(d, off, p)
}

// decodeIPv4 decodes the IPv4 header at off. The frame is cut to the header's
// total length (dropping Ethernet padding), so every later layer sees exactly
// the IP payload.
func decodeIPv4(d []byte, off int, p *Packet) error {
	h := d[off:]
	if len(h) < 20 {
		return truncated(LayerIPv4, off, 20, len(h))
	}
	if v := h[0] >> 4; v != 4 {
		return invalid(LayerIPv4, off, ReasonVersion, 4, int(v))
	}
	ihl := int(h[0]&0x0f) << 2
	if ihl < 20 {
		return invalid(LayerIPv4, off, ReasonHeaderLength, 20, ihl)
	}
	if len(h) < ihl {
		return truncated(LayerIPv4, off, ihl, len(h))
	}
	p.L3Offset = uint16(off)
	p.Family = 4
	p.TTL = h[8]
	p.Proto = h[9]
	p.Src = Addr{Lo: v4Mapped | uint64(be32(h[12:16]))}
	p.Dst = Addr{Lo: v4Mapped | uint64(be32(h[16:20]))}
	if ihl > 20 {
		p.Flags |= FlagIPOptions
	}
	end := len(h)
	switch total := int(be16(h[2:4])); {
	case total == 0:
		// Captured before TSO segmentation: the stack leaves the total
		// length zero and the capture holds the whole super-packet.
	case total < ihl:
		return invalid(LayerIPv4, off+2, ReasonTotalLength, ihl, total)
	case total <= len(h):
		end = total
	default:
		p.Flags |= FlagTruncated
	}
	frag := be16(h[6:8])
	l4 := off + ihl
	if frag&0x3fff != 0 {
		p.Flags |= FlagFragment
		if frag&0x2000 != 0 {
			p.Flags |= FlagMoreFragments
		}
		if fo := frag & 0x1fff; fo != 0 {
			// A non-first fragment carries no transport header.
			p.FragOffset = fo << 3
			p.L4Offset = uint16(l4)
			p.Payload = d[l4 : off+end]
			return nil
		}
	}
	d = d[:off+end]
	if p.Proto == ProtoAH {
		return decodeExt(d, l4, ProtoAH, p)
	}
	return decodeL4(d, l4, p)
}

// decodeIPv6 decodes the fixed IPv6 header at off and walks the extension
// header chain. Each step consumes at least 8 bytes, so the walk ends.
func decodeIPv6(d []byte, off int, p *Packet) error {
	h := d[off:]
	if len(h) < 40 {
		return truncated(LayerIPv6, off, 40, len(h))
	}
	h = h[:40]
	if v := h[0] >> 4; v != 6 {
		return invalid(LayerIPv6, off, ReasonVersion, 6, int(v))
	}
	p.L3Offset = uint16(off)
	p.Family = 6
	p.TTL = h[7]
	p.Src = Addr{Hi: be64(h[8:16]), Lo: be64(h[16:24])}
	p.Dst = Addr{Hi: be64(h[24:32]), Lo: be64(h[32:40])}
	nh := h[6]
	if plen := int(be16(h[4:6])); plen != 0 { // 0: jumbogram or TSO, take the capture
		if end := off + 40 + plen; end <= len(d) {
			d = d[:end]
		} else {
			p.Flags |= FlagTruncated
		}
	}
	return decodeExt(d, off+40, nh, p)
}

// decodeExt skips IPv6 extension headers (and AH, which IPv4 may carry too)
// starting at off with next-header nh, then decodes the transport header.
func decodeExt(d []byte, off int, nh uint8, p *Packet) error {
	for {
		switch nh {
		case 0, 43, 60, 135, 139, 140:
			// Hop-by-hop, routing, destination options, mobility, HIP,
			// shim6: next header, length in 8-octet units not counting the
			// first 8.
			if len(d)-off < 8 {
				return truncated(LayerIPv6Ext, off, 8, len(d)-off)
			}
			n := (int(d[off+1]) + 1) << 3
			if len(d)-off < n {
				return truncated(LayerIPv6Ext, off, n, len(d)-off)
			}
			nh = d[off]
			off += n
			p.Flags |= FlagIPv6Ext
		case ProtoAH:
			// Authentication header: length in 4-octet units minus 2.
			if len(d)-off < 8 {
				return truncated(LayerIPv6Ext, off, 8, len(d)-off)
			}
			n := (int(d[off+1]) + 2) << 2
			if n < 12 { // SPI and sequence number are mandatory
				return invalid(LayerIPv6Ext, off+1, ReasonHeaderLength, 12, n)
			}
			if len(d)-off < n {
				return truncated(LayerIPv6Ext, off, n, len(d)-off)
			}
			nh = d[off]
			off += n
			p.Flags |= FlagIPv6Ext
		case 44:
			// Fragment header: fixed 8 bytes.
			if len(d)-off < 8 {
				return truncated(LayerIPv6Ext, off, 8, len(d)-off)
			}
			fh := d[off : off+8]
			nh = fh[0]
			fo := be16(fh[2:4])
			off += 8
			p.Flags |= FlagIPv6Ext
			if fo&0xfff9 != 0 { // offset or M set: a real fragment
				p.Flags |= FlagFragment
				if fo&1 != 0 {
					p.Flags |= FlagMoreFragments
				}
				if fo>>3 != 0 {
					p.FragOffset = fo &^ 7
					p.Proto = nh
					p.L4Offset = uint16(off)
					p.Payload = d[off:]
					return nil
				}
			}
		default:
			p.Proto = nh
			return decodeL4(d, off, p)
		}
	}
}

// decodeL4 decodes the TCP or UDP header at off; d ends where the IP packet
// ends. Any other protocol leaves its bytes in Payload.
func decodeL4(d []byte, off int, p *Packet) error {
	p.L4Offset = uint16(off)
	h := d[off:]
	switch p.Proto {
	case ProtoTCP:
		if len(h) < 20 {
			return truncated(LayerTCP, off, 20, len(h))
		}
		doff := int(h[12]>>4) << 2
		if doff < 20 {
			return invalid(LayerTCP, off+12, ReasonHeaderLength, 20, doff)
		}
		if len(h) < doff {
			return truncated(LayerTCP, off, doff, len(h))
		}
		t := h[:20]
		p.SrcPort = be16(t[0:2])
		p.DstPort = be16(t[2:4])
		p.Seq = be32(t[4:8])
		p.Ack = be32(t[8:12])
		p.TCPFlags = TCPFlags(t[13]) | TCPFlags(t[12]&1)<<8
		p.Window = be16(t[14:16])
		p.Payload = h[doff:]
		p.Flags |= FlagL4
	case ProtoUDP:
		if len(h) < 8 {
			return truncated(LayerUDP, off, 8, len(h))
		}
		u := h[:8]
		switch n := int(be16(u[4:6])); {
		case n == 0: // IPv6 jumbogram: the IP length rules
			p.Payload = h[8:]
		case n < 8:
			return invalid(LayerUDP, off+4, ReasonTotalLength, 8, n)
		case n <= len(h):
			p.Payload = h[8:n]
		default:
			p.Flags |= FlagTruncated
			p.Payload = h[8:]
		}
		p.SrcPort = be16(u[0:2])
		p.DstPort = be16(u[2:4])
		p.Flags |= FlagL4
	default:
		p.Payload = h
	}
	return nil
}
