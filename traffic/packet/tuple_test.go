package packet_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/sessionlab/sessionlab/traffic/packet"
	pt "github.com/sessionlab/sessionlab/traffic/packet/packettest"
)

func genAddr(t *rapid.T, label string) packet.Addr {
	if rapid.Bool().Draw(t, label+"-v6") {
		return packet.Addr{Hi: rapid.Uint64().Draw(t, label+"-hi"), Lo: rapid.Uint64().Draw(t, label+"-lo")}
	}
	return packet.AddrFromV4(rapid.Uint32().Draw(t, label+"-v4"))
}

func genTuple(t *rapid.T) packet.FiveTuple {
	return packet.FiveTuple{
		Src: genAddr(t, "src"), Dst: genAddr(t, "dst"),
		SrcPort: rapid.Uint16().Draw(t, "sport"), DstPort: rapid.Uint16().Draw(t, "dport"),
		Proto: rapid.SampledFrom([]uint8{6, 17, 1}).Draw(t, "proto"),
	}
}

func TestTupleReverse(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tu := genTuple(t)
		r := tu.Reverse()
		if r.Reverse() != tu {
			t.Fatalf("Reverse twice changed %v", tu)
		}
		if r.Src != tu.Dst || r.Dst != tu.Src || r.SrcPort != tu.DstPort || r.DstPort != tu.SrcPort || r.Proto != tu.Proto {
			t.Fatalf("Reverse(%v) = %v", tu, r)
		}
	})
}

func TestSymmetricHashIgnoresDirection(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tu := genTuple(t)
		if tu.SymmetricHash() != tu.Reverse().SymmetricHash() {
			t.Fatalf("SymmetricHash differs between %v and its reverse", tu)
		}
	})
}

// TestHashDependsOnDirection counts how many random tuples hash the same in
// both directions with Hash; for distinct endpoints that must (practically)
// never happen.
func TestHashDependsOnDirection(t *testing.T) {
	same := 0
	rapid.Check(t, func(t *rapid.T) {
		tu := genTuple(t)
		if tu.Src == tu.Dst && tu.SrcPort == tu.DstPort {
			return
		}
		if tu.Hash() == tu.Reverse().Hash() {
			same++
		}
	})
	if same > 0 {
		t.Errorf("%d tuples hashed the same in both directions", same)
	}
}

// TestHashSpreadsFlows hashes the flows of the benchmark mix (and
// sequential flows, the worst case for a weak hash) onto 8 workers and
// checks each worker gets its share within 10%.
func TestHashSpreadsFlows(t *testing.T) {
	const workers = 8
	check := func(name string, tuples []packet.FiveTuple, hash func(packet.FiveTuple) uint64) {
		var n [workers]int
		for _, tu := range tuples {
			n[hash(tu)%workers]++
		}
		mean := float64(len(tuples)) / workers
		for w, c := range n {
			if float64(c) < 0.9*mean || float64(c) > 1.1*mean {
				t.Errorf("%s: worker %d got %d of %d tuples (mean %.0f)", name, w, c, len(tuples), mean)
			}
		}
	}
	var mix, seq []packet.FiveTuple
	for _, f := range pt.Mix(20000, 3) {
		var p packet.Packet
		if err := packet.Decode(f, packet.LinkEthernet, &p); err != nil {
			t.Fatal(err)
		}
		mix = append(mix, p.Tuple())
	}
	for i := range 20000 {
		seq = append(seq, packet.FiveTuple{Src: packet.AddrFromV4(0x0a000000 + uint32(i/100)), Dst: packet.AddrFromV4(0x0a010001),
			SrcPort: uint16(32768 + i%100), DstPort: 80, Proto: 6})
	}
	for _, set := range []struct {
		name   string
		tuples []packet.FiveTuple
	}{{"mix", mix}, {"sequential", seq}} {
		check(set.name+"/Hash", set.tuples, packet.FiveTuple.Hash)
		check(set.name+"/SymmetricHash", set.tuples, packet.FiveTuple.SymmetricHash)
	}
}

func TestTupleString(t *testing.T) {
	tu := packet.FiveTuple{Src: packet.MustParseAddr("10.0.0.1"), Dst: packet.MustParseAddr("fd00::2"), SrcPort: 1234, DstPort: 80, Proto: 6}
	if got, want := tu.String(), "tcp 10.0.0.1:1234 -> [fd00::2]:80"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	tu.Proto = 17
	if got, want := tu.Reverse().String(), "udp [fd00::2]:80 -> 10.0.0.1:1234"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	tu.Proto = 47
	if got, want := tu.String(), "proto-47 10.0.0.1:1234 -> [fd00::2]:80"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
