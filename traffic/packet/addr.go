package packet

import (
	"encoding/binary"
	"net/netip"
)

// Addr is an IPv4 or IPv6 address held as a 128-bit big-endian integer in two
// 64-bit words: Hi holds bytes 0-7 of the IPv6 form, Lo bytes 8-15. An IPv4
// address a.b.c.d is stored as its IPv4-mapped form ::ffff:a.b.c.d, so both
// families compare and hash the same way. The zero Addr is the IPv6
// unspecified address "::"; whether a Packet's addresses are meaningful is
// said by its Family.
//
// Why not netip.Addr: netip.Addr keeps the same 128-bit integer, but only
// behind As16, whose result the compiler builds with two 8-byte stores and
// copies with a 16-byte load. That copy cannot be store-forwarded, and
// hashing a 5-tuple of netip.Addr costs 22-37 ns on the benchmark machine
// against about 3 ns for the same hash over Addr's words, which stay in
// registers (BenchmarkAddrRepr). The flow dispatcher hashes every packet, so
// the words win; Netip and AddrFromNetip convert at the edges.
type Addr struct {
	Hi, Lo uint64
}

// v4Mapped is the Lo word prefix of an IPv4-mapped address (::ffff:0:0/96).
const v4Mapped = 0xffff << 32

// AddrFrom4 returns the IPv4 address a.
func AddrFrom4(a [4]byte) Addr {
	return Addr{Lo: v4Mapped | uint64(binary.BigEndian.Uint32(a[:]))}
}

// AddrFromV4 returns the IPv4 address whose big-endian value is v.
func AddrFromV4(v uint32) Addr { return Addr{Lo: v4Mapped | uint64(v)} }

// AddrFrom16 returns the IPv6 address a (an IPv4-mapped a is IPv4).
func AddrFrom16(a [16]byte) Addr {
	return Addr{Hi: binary.BigEndian.Uint64(a[0:8]), Lo: binary.BigEndian.Uint64(a[8:16])}
}

// AddrFromNetip converts a netip.Addr (the zone is dropped; the invalid
// netip.Addr becomes "::").
func AddrFromNetip(a netip.Addr) Addr {
	if a.Is4() {
		return AddrFrom4(a.As4())
	}
	return AddrFrom16(a.As16())
}

// MustParseAddr parses s as an IP address and panics if it is not one. It is
// meant for tests and constants.
func MustParseAddr(s string) Addr { return AddrFromNetip(netip.MustParseAddr(s)) }

// Is4 reports whether a is an IPv4 (IPv4-mapped) address.
func (a Addr) Is4() bool { return a.Hi == 0 && a.Lo>>32 == 0xffff }

// V4 returns the IPv4 address as a big-endian uint32 (the low 32 bits of an
// IPv6 address).
func (a Addr) V4() uint32 { return uint32(a.Lo) }

// As4 returns the IPv4 address bytes (the low 4 bytes of an IPv6 address).
func (a Addr) As4() [4]byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(a.Lo))
	return b
}

// As16 returns the 16-byte IPv6 form (IPv4-mapped for IPv4).
func (a Addr) As16() [16]byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], a.Hi)
	binary.BigEndian.PutUint64(b[8:16], a.Lo)
	return b
}

// Netip converts a to a netip.Addr: IPv4 for an IPv4-mapped address.
func (a Addr) Netip() netip.Addr {
	if a.Is4() {
		return netip.AddrFrom4(a.As4())
	}
	return netip.AddrFrom16(a.As16())
}

// String formats a as netip does ("10.0.0.1", "fd00::1").
func (a Addr) String() string { return a.Netip().String() }

// Less orders addresses as 128-bit integers (IPv4 before most IPv6).
func (a Addr) Less(b Addr) bool { return a.Hi < b.Hi || a.Hi == b.Hi && a.Lo < b.Lo }
