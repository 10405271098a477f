package packet_test

import (
	"testing"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

// The hot paths allocate nothing per packet.
func TestHotPathsDoNotAllocate(t *testing.T) {
	var p packet.Packet
	i := 0
	if n := testing.AllocsPerRun(2000, func() {
		_ = packet.Decode(benchFrames[i&4095], packet.LinkEthernet, &p)
		i++
	}); n != 0 {
		t.Errorf("Decode: %v allocations per packet", n)
	}
	var sink uint64
	if n := testing.AllocsPerRun(2000, func() {
		_ = packet.Decode(benchFrames[i&4095], packet.LinkEthernet, &p)
		sink += p.Tuple().Hash() + p.Tuple().SymmetricHash()
		i++
	}); n != 0 {
		t.Errorf("Tuple+Hash: %v allocations per packet", n)
	}
	frame := append([]byte(nil), benchFrames[0]...)
	if err := packet.Decode(frame, packet.LinkEthernet, &p); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(2000, func() {
		packet.SetAddrs(&p, p.Dst, p.Src)
	}); n != 0 {
		t.Errorf("SetAddrs: %v allocations per packet", n)
	}
	_ = sink
}
