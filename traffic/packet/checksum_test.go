package packet_test

import (
	"bytes"
	"testing"

	"pgregory.net/rapid"

	"github.com/sessionlab/sessionlab/traffic/packet"
	pt "github.com/sessionlab/sessionlab/traffic/packet/packettest"
)

// gopacketMismatches counts the checksums gopacket finds wrong in frame.
func gopacketMismatches(t testing.TB, frame []byte) int {
	t.Helper()
	n, err := pt.ChecksumMismatches(frame)
	if err != nil {
		t.Fatalf("VerifyChecksums: %v", err)
	}
	return n
}

// TestSetChecksumsAgreesWithGopacket: Mix frames get their checksums from
// SetChecksums (through packettest.Finish); gopacket must find them right,
// and must find a frame with one payload bit flipped wrong.
func TestSetChecksumsAgreesWithGopacket(t *testing.T) {
	for i, f := range pt.Mix(500, 11) {
		if n := gopacketMismatches(t, f); n != 0 {
			t.Errorf("frame %d: %d checksum mismatches", i, n)
		}
		bad := bytes.Clone(f)
		var p packet.Packet
		if err := packet.Decode(bad, packet.LinkEthernet, &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Payload) > 0 {
			p.Payload[0] ^= 0x10
			if gopacketMismatches(t, bad) == 0 {
				t.Errorf("frame %d: corrupted payload not detected (the check cannot fail)", i)
			}
		}
	}
}

func TestSetChecksumsRefusesWhatItCannotCompute(t *testing.T) {
	frag := pt.Ethernet(0x0800, pt.IPv4{Src: v4a, Dst: v4b, Proto: 17, MF: true}.Build(pt.UDP{SrcPort: 1, DstPort: 2}.Build(pt.Payload(8))))
	cut := pt.Ethernet(0x0800, tcp4(pt.Payload(40)))[:60]
	arp := pt.Ethernet(0x0806, make([]byte, 28))
	for name, f := range map[string][]byte{"fragment": frag, "truncated": cut, "arp": arp} {
		var p packet.Packet
		if err := packet.Decode(f, packet.LinkEthernet, &p); err != nil {
			t.Fatal(err)
		}
		before := bytes.Clone(f)
		if packet.SetChecksums(&p) {
			t.Errorf("%s: SetChecksums reported success", name)
		}
		if !bytes.Equal(before, f) {
			t.Errorf("%s: SetChecksums changed the frame", name)
		}
	}
}

// TestSetAddrsIncrementalMatchesFull rewrites addresses of random frames
// and checks the incrementally updated checksums equal a full recompute,
// and that the frame decodes to the new addresses.
func TestSetAddrsIncrementalMatchesFull(t *testing.T) {
	frames := pt.Mix(256, 5)
	rapid.Check(t, func(t *rapid.T) {
		f := bytes.Clone(frames[rapid.IntRange(0, len(frames)-1).Draw(t, "frame")])
		var p packet.Packet
		if err := packet.Decode(f, packet.LinkEthernet, &p); err != nil {
			t.Fatal(err)
		}
		var src, dst packet.Addr
		if p.Family == 4 {
			src = packet.AddrFromV4(rapid.Uint32().Draw(t, "src"))
			dst = packet.AddrFromV4(rapid.Uint32().Draw(t, "dst"))
		} else {
			src = packet.Addr{Hi: rapid.Uint64().Draw(t, "shi"), Lo: rapid.Uint64().Draw(t, "slo")}
			dst = packet.Addr{Hi: rapid.Uint64().Draw(t, "dhi"), Lo: rapid.Uint64().Draw(t, "dlo")}
		}
		if !packet.SetAddrs(&p, src, dst) {
			t.Fatal("SetAddrs refused")
		}
		if p.Src != src || p.Dst != dst {
			t.Fatalf("Packet addresses not updated")
		}
		incremental := bytes.Clone(f)
		var q packet.Packet
		if err := packet.Decode(f, packet.LinkEthernet, &q); err != nil {
			t.Fatal(err)
		}
		if q.Src != src || q.Dst != dst {
			t.Fatalf("frame decodes to %v -> %v, want %v -> %v", q.Src, q.Dst, src, dst)
		}
		packet.SetChecksums(&q)
		if !equalChecksums(incremental, f) {
			t.Fatalf("incremental checksums differ from a full recompute:\n%x\n%x", incremental, f)
		}
	})
}

// equalChecksums compares frames treating the ones'-complement zeros 0x0000
// and 0xffff of a TCP checksum as equal (RFC 1624 section 3).
func equalChecksums(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !((a[i] == 0 && b[i] == 0xff) || (a[i] == 0xff && b[i] == 0)) {
			return false
		}
	}
	return true
}

func TestSetAddrsFamilyMismatch(t *testing.T) {
	f := pt.Ethernet(0x0800, tcp4(nil))
	var p packet.Packet
	if err := packet.Decode(f, packet.LinkEthernet, &p); err != nil {
		t.Fatal(err)
	}
	if packet.SetAddrs(&p, packet.MustParseAddr("fd00::1"), packet.MustParseAddr("fd00::2")) {
		t.Error("SetAddrs put IPv6 addresses into an IPv4 packet")
	}
}

func TestPseudoSumMatchesBytes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := packet.Addr{Hi: rapid.Uint64().Draw(t, "shi"), Lo: rapid.Uint64().Draw(t, "slo")}
		d := packet.Addr{Hi: rapid.Uint64().Draw(t, "dhi"), Lo: rapid.Uint64().Draw(t, "dlo")}
		sb, db := s.As16(), d.As16()
		want := packet.Sum(db[:], packet.Sum(sb[:], 0)) + 6 + 100
		if packet.Fold(packet.PseudoSum(s, d, 6, 100)) != packet.Fold(want) {
			t.Fatal("PseudoSum differs from summing the address bytes")
		}
	})
}
