package packet

import (
	"math/bits"
	"net/netip"
	"strconv"
)

// FiveTuple identifies a flow direction: addresses, ports and IP protocol.
// It is comparable, so it can be a map key, and small enough to pass by value.
type FiveTuple struct {
	Src, Dst         Addr
	SrcPort, DstPort uint16
	Proto            uint8
}

// Reverse returns the tuple of the opposite direction.
func (t FiveTuple) Reverse() FiveTuple {
	return FiveTuple{Src: t.Dst, Dst: t.Src, SrcPort: t.DstPort, DstPort: t.SrcPort, Proto: t.Proto}
}

// String formats the tuple as "tcp 10.0.0.1:1234 -> 10.0.0.2:80".
func (t FiveTuple) String() string {
	var proto string
	switch t.Proto {
	case ProtoTCP:
		proto = "tcp"
	case ProtoUDP:
		proto = "udp"
	default:
		proto = "proto-" + strconv.Itoa(int(t.Proto))
	}
	return proto + " " + netip.AddrPortFrom(t.Src.Netip(), t.SrcPort).String() + " -> " + netip.AddrPortFrom(t.Dst.Netip(), t.DstPort).String()
}

// Hash keys: odd 64-bit constants with well-mixed bits (from wyhash).
const (
	hk0 = 0xa0761d6478bd642f
	hk1 = 0xe7037ed1a0b428db
	hk2 = 0x8ebc6af09c88c6e3
	hk3 = 0x589965cc75374cc3
	hk4 = 0x1d8e4e27c47d124f
)

// mum is the 64x64->128 multiply folded to 64 bits that wyhash is built on:
// one MUL instruction on amd64 and arm64, and every input bit reaches the
// middle of the product.
func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// endpoint folds one address and port into 64 bits with the given keys. The
// port goes into the top 16 bits of the low word, which an IPv4-mapped
// address leaves zero. Everything stays in registers (see Addr).
func endpoint(a Addr, port uint16, ka, kb uint64) uint64 {
	return mum(a.Hi^ka, a.Lo^uint64(port)<<48^kb)
}

// Hash returns a 64-bit hash of the tuple that depends on direction: t and
// t.Reverse() hash differently. Three multiplies, no allocation, no table.
func (t FiveTuple) Hash() uint64 {
	s := endpoint(t.Src, t.SrcPort, hk0, hk1)
	d := endpoint(t.Dst, t.DstPort, hk2, hk3)
	return mum(s^uint64(t.Proto), d^hk4)
}

// SymmetricHash returns a hash that is the same for t and t.Reverse(), so a
// dispatcher that picks a worker with it sends both directions of a flow to
// the same worker. Both endpoints are folded with the same keys and combined
// by addition, which commutes.
func (t FiveTuple) SymmetricHash() uint64 {
	s := endpoint(t.Src, t.SrcPort, hk0, hk1)
	d := endpoint(t.Dst, t.DstPort, hk0, hk1)
	return mum((s+d)^uint64(t.Proto), hk4)
}
