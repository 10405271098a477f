package packet_test

import (
	"net/netip"
	"testing"

	"pgregory.net/rapid"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

func TestAddrRoundTripsThroughNetip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var n netip.Addr
		if rapid.Bool().Draw(t, "v6") {
			n = netip.AddrFrom16([16]byte(rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "b16")))
		} else {
			n = netip.AddrFrom4([4]byte(rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, "b4")))
		}
		a := packet.AddrFromNetip(n)
		if n.Is4In6() {
			n = n.Unmap() // IPv4-mapped IPv6 is IPv4 in Addr
		}
		if a.Netip() != n {
			t.Fatalf("AddrFromNetip(%v).Netip() = %v", n, a.Netip())
		}
		if a.Is4() != n.Is4() || a.String() != n.String() {
			t.Fatalf("%v: Is4 %v String %q", n, a.Is4(), a.String())
		}
		if a.As16() != n.As16() || packet.AddrFrom16(n.As16()) != a {
			t.Fatalf("%v: As16 mismatch", n)
		}
		if n.Is4() && (a.As4() != n.As4() || packet.AddrFrom4(n.As4()) != a || packet.AddrFromV4(a.V4()) != a) {
			t.Fatalf("%v: As4/V4 mismatch", n)
		}
	})
}

func TestAddrLessMatchesNetipCompare(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := packet.Addr{Hi: rapid.Uint64().Draw(t, "ahi"), Lo: rapid.Uint64().Draw(t, "alo")}
		b := packet.Addr{Hi: rapid.Uint64().Draw(t, "bhi"), Lo: rapid.Uint64().Draw(t, "blo")}
		if rapid.Bool().Draw(t, "samehi") {
			b.Hi = a.Hi
		}
		na, nb := netip.AddrFrom16(a.As16()), netip.AddrFrom16(b.As16())
		if a.Less(b) != (na.Compare(nb) < 0) {
			t.Fatalf("%v.Less(%v) = %v", a, b, a.Less(b))
		}
	})
}

func TestAddrZeroAndParse(t *testing.T) {
	if s := (packet.Addr{}).String(); s != "::" {
		t.Errorf("zero Addr = %q, want ::", s)
	}
	if a := packet.MustParseAddr("192.0.2.1"); !a.Is4() || a.V4() != 0xc0000201 {
		t.Errorf("MustParseAddr(192.0.2.1) = %#v", a)
	}
}
