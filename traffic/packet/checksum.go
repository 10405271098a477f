package packet

import (
	"encoding/binary"
)

// Internet checksums (RFC 1071) for the writers of frames: the synthetic
// generator and the replay address rewriter. Decode itself never checks
// checksums: captures taken on the sending host routinely carry unfilled
// checksums (offload), and the session layer never sees a bad one.

// Sum adds b to a running ones'-complement sum. Pieces may be chained, but
// every piece except the last must have even length. The accumulator sums
// 32-bit big-endian words: 2^16 is 1 modulo 0xffff, so a 32-bit word adds
// the same as its two halves and the fold at the end is exact.
func Sum(b []byte, acc uint64) uint64 {
	for len(b) >= 16 {
		acc += uint64(binary.BigEndian.Uint32(b[0:4])) + uint64(binary.BigEndian.Uint32(b[4:8])) +
			uint64(binary.BigEndian.Uint32(b[8:12])) + uint64(binary.BigEndian.Uint32(b[12:16]))
		b = b[16:]
	}
	for len(b) >= 4 {
		acc += uint64(binary.BigEndian.Uint32(b[0:4]))
		b = b[4:]
	}
	if len(b) >= 2 {
		acc += uint64(binary.BigEndian.Uint16(b[0:2]))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	return acc
}

// Fold folds a running sum to 16 bits and complements it: the value that goes
// into a checksum field.
func Fold(acc uint64) uint16 {
	for acc > 0xffff {
		acc = acc>>16 + acc&0xffff
	}
	return ^uint16(acc)
}

// PseudoSum is the running sum of the TCP/UDP pseudo-header for the given
// addresses, protocol and transport length (header plus payload).
func PseudoSum(src, dst Addr, proto uint8, length int) uint64 {
	var acc uint64
	if src.Is4() && dst.Is4() {
		acc = uint64(src.V4()) + uint64(dst.V4())
	} else {
		// Each word's 32-bit halves add like its four 16-bit words.
		for _, w := range [4]uint64{src.Hi, src.Lo, dst.Hi, dst.Lo} {
			acc += w>>32 + w&0xffffffff
		}
	}
	return acc + uint64(proto) + uint64(length)
}

// ipEnd returns the end of the IP packet in p.Data, or -1 if the capture
// holds less than the header says.
func ipEnd(p *Packet) int {
	h := p.Data[p.L3Offset:]
	var end int
	if p.Family == 4 {
		end = int(p.L3Offset) + int(binary.BigEndian.Uint16(h[2:4]))
	} else {
		end = int(p.L3Offset) + 40 + int(binary.BigEndian.Uint16(h[4:6]))
	}
	if end > len(p.Data) {
		return -1
	}
	return end
}

// SetChecksums recomputes the IPv4 header checksum and the TCP or UDP
// checksum of a decoded packet in place in p.Data. It reports false, and
// changes nothing, when the packet is not IP, is truncated, or is a
// fragment (the transport checksum of a fragment covers bytes it does not
// hold).
func SetChecksums(p *Packet) bool {
	if p.Family == 0 || p.Flags&(FlagTruncated|FlagFragment) != 0 {
		return false
	}
	end := ipEnd(p)
	if end < 0 {
		return false
	}
	if p.Family == 4 {
		h := p.Data[p.L3Offset:]
		ihl := int(h[0]&0x0f) << 2
		h[10], h[11] = 0, 0
		binary.BigEndian.PutUint16(h[10:12], Fold(Sum(h[:ihl], 0)))
	}
	if p.Flags&FlagL4 == 0 {
		return true
	}
	l4 := p.Data[p.L4Offset:end]
	var at int
	switch p.Proto {
	case ProtoTCP:
		at = 16
	case ProtoUDP:
		at = 6
	default:
		return true
	}
	l4[at], l4[at+1] = 0, 0
	c := Fold(Sum(l4, PseudoSum(p.Src, p.Dst, p.Proto, len(l4))))
	if c == 0 && p.Proto == ProtoUDP {
		c = 0xffff // zero means "no checksum" for UDP
	}
	binary.BigEndian.PutUint16(l4[at:at+2], c)
	return true
}

// update applies RFC 1624's incremental update HC' = ~(~HC + ~m + m') for
// every 16-bit word that changes from old to new (equal lengths, even).
func update(hc uint16, old, new []byte) uint16 {
	acc := uint64(^hc)
	for i := 0; i+1 < len(old); i += 2 {
		acc += uint64(^binary.BigEndian.Uint16(old[i:]) & 0xffff)
		acc += uint64(binary.BigEndian.Uint16(new[i:]))
	}
	return Fold(acc)
}

// SetAddrs rewrites the IP addresses of a decoded packet in place in p.Data
// and in p.Src/p.Dst, adjusting the IPv4 header checksum and the TCP/UDP
// checksum incrementally (RFC 1624), so the cost does not depend on the
// payload size. An IPv4 packet needs IPv4 addresses; it reports false and
// changes nothing otherwise, or when p is not IP.
//
// The transport checksum is only touched when its header is in the capture
// (a non-first fragment has none; a first fragment's checksum covers the
// pseudo-header too, so the incremental update is right for it as well). A
// UDP checksum of zero (none, IPv4) stays zero.
func SetAddrs(p *Packet, src, dst Addr) bool {
	var old, nw [32]byte
	var n, at int
	switch {
	case p.Family == 4 && src.Is4() && dst.Is4():
		n, at = 8, 12
		binary.BigEndian.PutUint32(nw[0:4], src.V4())
		binary.BigEndian.PutUint32(nw[4:8], dst.V4())
	case p.Family == 6:
		n, at = 32, 8
		binary.BigEndian.PutUint64(nw[0:8], src.Hi)
		binary.BigEndian.PutUint64(nw[8:16], src.Lo)
		binary.BigEndian.PutUint64(nw[16:24], dst.Hi)
		binary.BigEndian.PutUint64(nw[24:32], dst.Lo)
	default:
		return false
	}
	h := p.Data[p.L3Offset:]
	addrs := h[at : at+n]
	copy(old[:n], addrs)
	copy(addrs, nw[:n])
	if p.Family == 4 {
		binary.BigEndian.PutUint16(h[10:12], update(binary.BigEndian.Uint16(h[10:12]), old[:n], nw[:n]))
	}
	p.Src, p.Dst = src, dst
	if p.Flags&FlagL4 == 0 {
		return true
	}
	l4 := p.Data[p.L4Offset:]
	var c int
	switch p.Proto {
	case ProtoTCP:
		c = 16
	case ProtoUDP:
		c = 6
	}
	if c == 0 || len(l4) < c+2 {
		return true
	}
	hc := binary.BigEndian.Uint16(l4[c : c+2])
	if p.Proto == ProtoUDP && hc == 0 {
		return true
	}
	hc = update(hc, old[:n], nw[:n])
	if p.Proto == ProtoUDP && hc == 0 {
		hc = 0xffff
	}
	binary.BigEndian.PutUint16(l4[c:c+2], hc)
	return true
}
