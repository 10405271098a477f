package afpacket

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// The slow reference reads the kernel structures field by field with
// encoding/binary.Read into struct mirrors of linux/if_packet.h, the way the
// header file reads, with none of the walker's slicing tricks.

type refBlockDesc struct {
	Version, OffsetToPriv                       uint32
	BlockStatus, NumPkts, OffsetToFirst, BlkLen uint32
	SeqNum                                      uint64
	TsFirst, TsLast                             [2]uint32
}

type refHdr3 struct {
	NextOffset, Sec, Nsec, Snaplen, Len, Status uint32
	Mac, Net                                    uint16
	RxHash, VlanTCI                             uint32
	VlanTPID, Pad                               uint16
	Padding                                     [8]byte
}

// refWalk returns the frames of blk, or ok=false if any header is
// inconsistent. It accepts exactly what the walker accepts.
func refWalk(blk []byte) (frames []Frame, ok bool) {
	var d refBlockDesc
	if len(blk) < blockDescLen {
		return nil, false
	}
	_ = binary.Read(bytes.NewReader(blk), binary.NativeEndian, &d)
	if int(d.BlkLen) > len(blk) {
		return nil, false
	}
	blk = blk[:d.BlkLen]
	off := int(d.OffsetToFirst)
	if d.NumPkts > 0 && (off < blockDescLen || off+h3Size > len(blk)) {
		return nil, false
	}
	for i := 0; i < int(d.NumPkts); i++ {
		if off+h3Size > len(blk) {
			return frames, false
		}
		var h refHdr3
		_ = binary.Read(bytes.NewReader(blk[off:off+h3Size]), binary.NativeEndian, &h)
		if int(h.Mac) < h3Size || off+int(h.Mac)+int(h.Snaplen) > len(blk) {
			return frames, false
		}
		frames = append(frames, Frame{
			Data:      blk[off+int(h.Mac) : off+int(h.Mac)+int(h.Snaplen)],
			Timestamp: int64(h.Sec)*1e9 + int64(h.Nsec),
			Len:       h.Len,
			Status:    h.Status,
		})
		if i+1 < int(d.NumPkts) {
			if h.NextOffset < h3Size || h.NextOffset%8 != 0 {
				return frames, false
			}
			off += int(h.NextOffset)
		}
	}
	return frames, true
}

// fastWalk runs the walker over blk and collects what it returns.
func fastWalk(blk []byte) (frames []Frame, ok bool) {
	var w blockWalker
	if err := w.reset(blk, 0); err != nil {
		return nil, false
	}
	for {
		f, more, err := w.next()
		if err != nil {
			return frames, false
		}
		if !more {
			return frames, true
		}
		frames = append(frames, f)
	}
}

func sameFrames(t *testing.T, got, want []Frame) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d frames, reference has %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !bytes.Equal(g.Data, w.Data) || g.Timestamp != w.Timestamp || g.Len != w.Len || g.Status != w.Status {
			t.Fatalf("frame %d: got %+v, reference %+v", i, g, w)
		}
	}
}

// TestWalkerMatchesReference checks the walker against the reference on
// well-formed random blocks and on the same blocks with random bytes of the
// headers flipped.
func TestWalkerMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 600; iter++ {
		var frames []testFrame
		used := blockDescLen
		for used < 3500 && rng.IntN(8) != 0 {
			n := 1 + rng.IntN(200)
			used += 80 + n + 8
			if used > 4000 {
				break
			}
			d := make([]byte, n)
			for i := range d {
				d[i] = byte(rng.Uint32())
			}
			frames = append(frames, testFrame{data: d, wireLen: uint32(n + rng.IntN(3)), sec: rng.Uint32(), ns: rng.Uint32N(1e9), macExtra: 8 * rng.IntN(2)})
		}
		blk := buildBlock(4096, frames)
		if iter%2 == 1 {
			// Corrupt a few header bytes: descriptor or the first frames'.
			for k := 0; k < 1+rng.IntN(3); k++ {
				blk[rng.IntN(blockDescLen+3*h3Size)] = byte(rng.Uint32())
			}
		}
		got, gok := fastWalk(blk)
		want, wok := refWalk(blk)
		if gok != wok {
			t.Fatalf("iter %d: walker ok=%v, reference ok=%v", iter, gok, wok)
		}
		sameFrames(t, got, want)
	}
}
