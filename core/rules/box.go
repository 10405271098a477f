package rules

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// u128 is a 128-bit address: IPv6 addresses as they are, IPv4 addresses in the
// low 32 bits. Keeping one representation lets the tree code handle both
// families; an IPv4 prefix of length n is the 128-bit prefix of length 96+n,
// whose upper 96 bits are zero in every rule and key of an IPv4 table.
type u128 struct{ hi, lo uint64 }

func (a u128) and(b u128) u128 { return u128{a.hi & b.hi, a.lo & b.lo} }
func (a u128) or(b u128) u128  { return u128{a.hi | b.hi, a.lo | b.lo} }
func (a u128) not() u128       { return u128{^a.hi, ^a.lo} }

func (a u128) cmp(b u128) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

func (a u128) less(b u128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

// mask128 returns the netmask of a 128-bit prefix of length n (0..128).
func mask128(n uint8) u128 {
	switch {
	case n == 0:
		return u128{}
	case n <= 64:
		return u128{^uint64(0) << (64 - n), 0}
	default:
		return u128{^uint64(0), ^uint64(0) << (128 - n)}
	}
}

func addrTo128(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{0, uint64(binary.BigEndian.Uint32(b[:]))}
	}
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func addrFrom128(a u128, is4 bool) netip.Addr {
	if is4 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(a.lo))
		return netip.AddrFrom4(b)
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], a.hi)
	binary.BigEndian.PutUint64(b[8:], a.lo)
	return netip.AddrFrom16(b)
}

// box is a rule's match in the tree's representation: the normalised bases
// and lengths (in 128-bit space) of both prefixes and the two ports (0 = any).
// Two rules with equal boxes have the same match and mask.
type box struct {
	rmt, lcl     u128
	rlen, llen   uint8
	rport, lport uint16
}

// ordKey is the key VPP orders siblings by (max_match): the highest remote
// address, highest local address, remote port and local port a rule covers,
// a wildcard port counting as 65535. Compared lexicographically.
type ordKey struct {
	rmt, lcl     u128
	rport, lport uint16
}

func (b *box) rmtHi() u128 { return b.rmt.or(mask128(b.rlen).not()) }
func (b *box) lclHi() u128 { return b.lcl.or(mask128(b.llen).not()) }

func (b *box) key() ordKey {
	k := ordKey{rmt: b.rmtHi(), lcl: b.lclHi(), rport: b.rport, lport: b.lport}
	if k.rport == 0 {
		k.rport = 0xFFFF
	}
	if k.lport == 0 {
		k.lport = 0xFFFF
	}
	return k
}

func (a ordKey) cmp(b ordKey) int {
	if c := a.rmt.cmp(b.rmt); c != 0 {
		return c
	}
	if c := a.lcl.cmp(b.lcl); c != 0 {
		return c
	}
	switch {
	case a.rport < b.rport:
		return -1
	case a.rport > b.rport:
		return 1
	case a.lport < b.lport:
		return -1
	case a.lport > b.lport:
		return 1
	}
	return 0
}

// contains reports whether b's whole range contains o's: the containment the
// tree is built on (VPP judged it by o's base address only; fixed here).
func (b *box) contains(o *box) bool {
	return b.rlen <= o.rlen && b.llen <= o.llen &&
		o.rmt.and(mask128(b.rlen)) == b.rmt && o.lcl.and(mask128(b.llen)) == b.lcl &&
		(b.rport == 0 || b.rport == o.rport) && (b.lport == 0 || b.lport == o.lport)
}

// matches reports whether the key (rmt, lcl, rport, lport) falls in b.
func (b *box) matches(rmt, lcl u128, rport, lport uint16) bool {
	return rmt.and(mask128(b.rlen)) == b.rmt && lcl.and(mask128(b.llen)) == b.lcl &&
		(b.rport == 0 || b.rport == rport) && (b.lport == 0 || b.lport == lport)
}

// boxOf converts a normalised rule to its box.
func boxOf(r *Rule) box {
	off := uint8(0)
	if r.Rmt.Addr().Is4() {
		off = 96
	}
	return box{
		rmt: addrTo128(r.Rmt.Addr()), lcl: addrTo128(r.Lcl.Addr()),
		rlen: uint8(r.Rmt.Bits()) + off, llen: uint8(r.Lcl.Bits()) + off,
		rport: r.RmtPort, lport: r.LclPort,
	}
}

// rule converts b back to the prefixes and ports of a Rule.
func (b *box) rule(is4 bool) Rule {
	off := 0
	if is4 {
		off = 96
	}
	return Rule{
		Rmt:     netip.PrefixFrom(addrFrom128(b.rmt, is4), int(b.rlen)-off),
		Lcl:     netip.PrefixFrom(addrFrom128(b.lcl, is4), int(b.llen)-off),
		RmtPort: b.rport, LclPort: b.lport,
	}
}

// mix64 scrambles a 64-bit key for hash-table indexing: the xor-shift folds
// the high bits (where short prefixes keep their only significant bits) into
// the low ones before the Fibonacci multiply spreads them to the top bits the
// caller keeps.
func mix64(k uint64) uint64 {
	k ^= k >> 31
	k *= 0x9E3779B97F4A7C15
	return k ^ k>>29
}

// mum folds the 128-bit product of two words (wyhash's mixing step).
func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a^0x243F6A8885A308D3, b^0x13198A2E03707344)
	return hi ^ lo
}
