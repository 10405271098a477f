package session

import (
	"encoding/binary"
	"net/netip"
)

// addr is an IP address in VPP's ip46 layout: an IPv6 address in network
// byte order, or an IPv4 address in bytes 12..15 with bytes 0..11 zero. It
// is a plain array (no pointer, unlike netip.Addr's zone), so session
// records stay pointer-free; the family is kept beside it (session type).
type addr [16]byte

// addrFrom converts a netip.Addr (an IPv4-mapped IPv6 address is taken as
// IPv6, as VPP would).
func addrFrom(a netip.Addr) addr {
	var r addr
	if a.Is4() {
		v := a.As4()
		copy(r[12:], v[:])
		return r
	}
	if a.IsValid() {
		r = a.As16()
	}
	return r
}

// addr4 returns the IPv4 bytes of r.
func (r *addr) addr4() [4]byte { return [4]byte(r[12:16]) }

// netip converts back, given the family.
func (r addr) netip(ip4 bool) netip.Addr {
	if ip4 {
		return netip.AddrFrom4(r.addr4())
	}
	return netip.AddrFrom16(r)
}

// isZero reports whether r is 0.0.0.0 / ::.
func (r *addr) isZero() bool { return *r == addr{} }

// isLoopback reports whether r is 127.0.0.0/8 (v4) or ::1 (v6), the
// addresses VPP treats like zero for local scope (§3.5, §10.4).
func (r *addr) isLoopback(ip4 bool) bool {
	if ip4 {
		return r[12] == 127
	}
	return *r == addr{15: 1}
}

// word32 returns the IPv4 address as VPP stores it in a u32 read from
// network-order bytes on a little-endian host: the first octet in the low
// byte. Keys are built from these raw words (§2.10).
func (r *addr) word32() uint64 { return uint64(binary.LittleEndian.Uint32(r[12:16])) }

// words returns the two 64-bit words of an IPv6 address as VPP's as_u64[]
// view on a little-endian host.
func (r *addr) words() (uint64, uint64) {
	return binary.LittleEndian.Uint64(r[0:8]), binary.LittleEndian.Uint64(r[8:16])
}

// netPort returns a port number as VPP keeps it: in network byte order,
// read as a u16 on a little-endian host.
func netPort(p uint16) uint64 { return uint64(p>>8 | p<<8) }

// family indexes per-family arrays: 0 = IPv4, 1 = IPv6 (VPP's fib_protocol).
type family uint8

const (
	fam4 family = 0
	fam6 family = 1
)

func famOf(ip4 bool) family {
	if ip4 {
		return fam4
	}
	return fam6
}

// String returns "ip4" or "ip6".
func (f family) String() string {
	if f == fam4 {
		return "ip4"
	}
	return "ip6"
}
