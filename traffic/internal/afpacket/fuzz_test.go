package afpacket

import (
	"encoding/binary"
	"testing"
)

// FuzzBlockWalk feeds arbitrary bytes to the TPACKET_V3 block walker: it
// must never panic, every frame it returns must lie inside the block, and it
// must agree with the slow reference parser.
func FuzzBlockWalk(f *testing.F) {
	f.Add(buildBlock(4096, sampleFrames()[:1]))
	f.Add(buildBlock(8192, sampleFrames()))
	f.Add(buildBlock(4096, nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, blk []byte) {
		got, gok := fastWalk(blk)
		want, wok := refWalk(blk)
		if gok != wok {
			t.Fatalf("walker ok=%v, reference ok=%v", gok, wok)
		}
		sameFrames(t, got, want)
		for i, fr := range got {
			if len(fr.Data) > 0 && !inside(blk, fr.Data) {
				t.Fatalf("frame %d lies outside the block", i)
			}
		}
	})
}

// inside reports whether sub is a sub-slice of b's memory.
func inside(b, sub []byte) bool {
	if len(sub) == 0 {
		return true
	}
	for i := 0; i+len(sub) <= len(b); i++ {
		if &b[i] == &sub[0] {
			return true
		}
	}
	return false
}

// FuzzSlotV2 checks the TPACKET_V2 slot parser never panics and returns
// only bytes of the slot.
func FuzzSlotV2(f *testing.F) {
	slot := make([]byte, 256)
	binary.NativeEndian.PutUint32(slot[h2Snaplen:], 60)
	binary.NativeEndian.PutUint16(slot[h2Mac:], 66)
	f.Add(slot)
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, slot []byte) {
		fr, err := parseSlotV2(slot)
		if err != nil {
			return
		}
		if !inside(slot, fr.Data) {
			t.Fatal("frame outside the slot")
		}
	})
}
